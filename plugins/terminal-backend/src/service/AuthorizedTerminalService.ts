import { BackstageCredentials } from '@backstage/backend-plugin-api';
import { NotAllowedError } from '@backstage/errors';
import {
  CommandDecision,
  CommandLog,
  PodTarget,
  PolicyHint,
  SessionPage,
  SessionSummary,
  terminalExecPermission,
  terminalSessionsReadPermission,
  terminalSessionsTerminatePermission,
} from '@fincloud/plugin-terminal-common';
import type { StoredSession } from '../database/TerminalStore';
import {
  DefaultTerminalService,
  SessionListQuery,
} from './DefaultTerminalService';
import { TerminalAccess } from './TerminalAccess';

/**
 * The permission decorator of the terminal's HTTP API: every call is
 * authorized on the entity it concerns before the logic runs.
 *
 * - targets, policy, check: `terminal.exec` on the entity
 * - sessions, session, recording, commands: `terminal.sessions.read` on the
 *   session's entity (the list: all entities for platform and auditors,
 *   the entities the policy allows one by one for owners and leads)
 * - terminate: `terminal.sessions.terminate` on the session's entity
 */
export class AuthorizedTerminalService {
  constructor(
    private readonly inner: DefaultTerminalService,
    private readonly access: TerminalAccess,
  ) {}

  private async execEntity(entityRef: string, credentials: BackstageCredentials) {
    const entity = await this.inner.getEntity(entityRef, credentials);
    await this.access.require(
      terminalExecPermission,
      this.inner.entityRefOf(entity),
      credentials,
      'open a terminal in the pods',
    );
    return entity;
  }

  async targets(
    entityRef: string,
    credentials: BackstageCredentials,
  ): Promise<PodTarget[]> {
    return this.inner.targets(await this.execEntity(entityRef, credentials));
  }

  async policy(
    entityRef: string,
    credentials: BackstageCredentials,
  ): Promise<PolicyHint> {
    return this.inner.policy(await this.execEntity(entityRef, credentials));
  }

  async check(
    entityRef: string,
    line: string,
    credentials: BackstageCredentials,
  ): Promise<CommandDecision> {
    return this.inner.check(
      await this.execEntity(entityRef, credentials),
      line,
    );
  }

  async listSessions(
    query: SessionListQuery,
    credentials: BackstageCredentials,
  ): Promise<{ page: SessionPage; scope: 'all' | 'entities' }> {
    const readable = await this.access.readableEntities(credentials, () =>
      query.entityRef
        ? Promise.resolve([query.entityRef])
        : this.inner.distinctEntityRefs(),
    );
    if (readable === 'all') {
      return { page: await this.inner.listSessions(query, 'all'), scope: 'all' };
    }
    if (readable === 'none' || (readable.length === 0 && query.entityRef)) {
      throw new NotAllowedError(
        query.entityRef
          ? `You may not read the terminal sessions of ${query.entityRef} (terminal.sessions.read)`
          : 'You may not read terminal sessions (terminal.sessions.read); name an entityRef you own',
      );
    }
    return {
      page: await this.inner.listSessions(query, readable),
      scope: 'entities',
    };
  }

  async session(
    id: string,
    credentials: BackstageCredentials,
  ): Promise<StoredSession> {
    const session = await this.inner.getStoredSession(id);
    await this.access.require(
      terminalSessionsReadPermission,
      session.entityRef,
      credentials,
      'read the terminal sessions',
    );
    return session;
  }

  async getSession(
    id: string,
    credentials: BackstageCredentials,
  ): Promise<SessionSummary> {
    return this.inner.summary(await this.session(id, credentials));
  }

  async recording(
    id: string,
    credentials: BackstageCredentials,
  ): Promise<{ session: StoredSession; chunks: AsyncIterable<string> }> {
    const session = await this.session(id, credentials);
    return { session, chunks: await this.inner.recording(session) };
  }

  async commands(
    id: string,
    credentials: BackstageCredentials,
  ): Promise<{ session: StoredSession; log: CommandLog }> {
    const session = await this.session(id, credentials);
    return { session, log: await this.inner.commands(session) };
  }

  /** Looks the session up and checks `terminal.sessions.terminate` (the route audits before it terminates). */
  async authorizeTerminate(
    id: string,
    credentials: BackstageCredentials,
  ): Promise<StoredSession> {
    const session = await this.inner.getStoredSession(id);
    await this.access.require(
      terminalSessionsTerminatePermission,
      session.entityRef,
      credentials,
      'terminate the terminal sessions',
    );
    return session;
  }

  terminate(
    session: StoredSession,
    by: string,
    reason: string,
  ): Promise<SessionSummary> {
    return this.inner.terminate(session, by, reason);
  }
}
