import {
  DatabaseService,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import type {
  CommandLogEntry,
  SessionEndReason,
  SessionPage,
  TerminalMode,
} from '@fincloud/plugin-terminal-common';
import { Knex } from 'knex';
import {
  LimitResult,
  NewSession,
  SessionQuery,
  StoredSession,
  TerminalStore,
} from './TerminalStore';

const migrationsDir = resolvePackagePath(
  '@fincloud/plugin-terminal-backend',
  'migrations',
);

/** pg_advisory_xact_lock key of session creation ("finc" + 1). */
const SESSION_LOCK_KEY = 0x66696e63 + 1;

type SessionRow = {
  id: string;
  entity_ref: string;
  user_ref: string;
  mode: string;
  cluster: string;
  namespace: string;
  pod: string;
  container: string;
  debug_container: string | null;
  justification: string | null;
  approved_by: string | null;
  started_at: number | string;
  ended_at: number | string | null;
  end_reason: string | null;
  terminated_by: string | null;
  terminate_reason: string | null;
  terminate_requested_by: string | null;
  commands: number;
  refused: number;
  bytes_out: number | string;
  has_recording: boolean | number;
  instance_id: string;
  heartbeat_at: number | string;
};

const iso = (ms: number) => new Date(ms).toISOString();

function toSession(row: SessionRow): StoredSession {
  const endedAt = row.ended_at === null ? undefined : Number(row.ended_at);
  return {
    id: row.id,
    entityRef: row.entity_ref,
    user: row.user_ref,
    mode: row.mode as TerminalMode,
    cluster: row.cluster,
    namespace: row.namespace,
    pod: row.pod,
    container: row.container,
    ...(row.debug_container ? { debugContainer: row.debug_container } : {}),
    ...(row.justification ? { justification: row.justification } : {}),
    ...(row.approved_by ? { approvedBy: row.approved_by } : {}),
    startedAt: iso(Number(row.started_at)),
    ...(endedAt !== undefined ? { endedAt: iso(endedAt) } : {}),
    ...(row.end_reason
      ? { endReason: row.end_reason as SessionEndReason }
      : {}),
    ...(row.terminated_by ? { terminatedBy: row.terminated_by } : {}),
    commands: Number(row.commands),
    refused: Number(row.refused),
    bytesOut: Number(row.bytes_out),
    live: endedAt === undefined,
    hasRecording: Boolean(row.has_recording),
    instanceId: row.instance_id,
    heartbeatAt: Number(row.heartbeat_at),
    ...(row.terminate_requested_by
      ? { terminateRequestedBy: row.terminate_requested_by }
      : {}),
    ...(row.terminate_reason ? { terminateReason: row.terminate_reason } : {}),
  };
}

function encodeCursor(row: SessionRow): string {
  return Buffer.from(
    JSON.stringify([Number(row.started_at), row.id]),
  ).toString('base64url');
}

function decodeCursor(cursor: string): [number, string] {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      Number.isSafeInteger(value[0]) &&
      typeof value[1] === 'string'
    ) {
      return [value[0], value[1]];
    }
  } catch {
    // fall through
  }
  throw new InputError('cursor is not one this API returned');
}

/** Sessions and command logs on knex (Postgres, SQLite). */
export class DatabaseTerminalStore implements TerminalStore {
  private constructor(private readonly db: Knex) {}

  /** Opens the plugin's database and runs the migrations (unless `migrations.skip`). */
  static async create(options: {
    database: DatabaseService;
    skipMigrations?: boolean;
  }): Promise<DatabaseTerminalStore> {
    const client = await options.database.getClient();
    const skip =
      options.skipMigrations ?? Boolean(options.database.migrations?.skip);
    if (!skip) {
      await client.migrate.latest({
        directory: migrationsDir,
        tableName: 'terminal_knex_migrations',
      });
    }
    return new DatabaseTerminalStore(client);
  }

  /** The knex client (tests, the recording store on the same database). */
  get knex(): Knex {
    return this.db;
  }

  async createSessionWithinLimits(
    session: NewSession,
    limits: { perUser: number; perEntity: number; staleBefore: number },
  ): Promise<LimitResult> {
    const entityRef = session.entityRef.toLocaleLowerCase('en-US');
    return this.db.transaction(async tx => {
      if (this.db.client.config.client === 'pg') {
        // Two replicas must not both admit the last allowed session:
        // creations take one transaction-scoped lock (sessions are rare).
        await tx.raw('select pg_advisory_xact_lock(?)', [SESSION_LOCK_KEY]);
      }
      const live = (column: string, value: string) =>
        tx('terminal_sessions')
          .where(column, value)
          .whereNull('ended_at')
          .where('heartbeat_at', '>=', limits.staleBefore)
          .count({ n: '*' })
          .first();
      const [byUser, byEntity] = await Promise.all([
        live('user_ref', session.user),
        live('entity_ref', entityRef),
      ]);
      if (Number(byUser?.n ?? 0) >= limits.perUser) return 'user-limit';
      if (Number(byEntity?.n ?? 0) >= limits.perEntity) return 'entity-limit';
      await tx('terminal_sessions').insert({
        id: session.id,
        entity_ref: entityRef,
        user_ref: session.user,
        mode: session.mode,
        cluster: session.cluster,
        namespace: session.namespace,
        pod: session.pod,
        container: session.container,
        justification: session.justification ?? null,
        started_at: session.startedAt,
        has_recording: session.hasRecording,
        instance_id: session.instanceId,
        heartbeat_at: session.startedAt,
      });
      return 'ok';
    });
  }

  async setDebugContainer(id: string, name: string): Promise<void> {
    await this.db('terminal_sessions')
      .where({ id })
      .update({ debug_container: name });
  }

  async updateCounters(
    id: string,
    counters: { commands: number; refused: number; bytesOut: number },
  ): Promise<void> {
    await this.db('terminal_sessions').where({ id }).update({
      commands: counters.commands,
      refused: counters.refused,
      bytes_out: counters.bytesOut,
    });
  }

  async endSession(
    id: string,
    end: {
      endedAt: number;
      endReason: SessionEndReason;
      terminatedBy?: string;
      terminateReason?: string;
    },
  ): Promise<boolean> {
    const n = await this.db('terminal_sessions')
      .where({ id })
      .whereNull('ended_at')
      .update({
        ended_at: end.endedAt,
        end_reason: end.endReason,
        terminated_by: end.terminatedBy ?? null,
        ...(end.terminateReason !== undefined
          ? { terminate_reason: end.terminateReason }
          : {}),
      });
    return n > 0;
  }

  async heartbeat(instanceId: string, ids: string[], now: number) {
    if (ids.length === 0) return;
    for (let i = 0; i < ids.length; i += 500) {
      await this.db('terminal_sessions')
        .whereIn('id', ids.slice(i, i + 500))
        .where('instance_id', instanceId)
        .whereNull('ended_at')
        .update({ heartbeat_at: now });
    }
  }

  async requestTerminate(
    id: string,
    by: string,
    reason: string,
  ): Promise<StoredSession | undefined> {
    const n = await this.db('terminal_sessions')
      .where({ id })
      .whereNull('ended_at')
      .update({ terminate_requested_by: by, terminate_reason: reason });
    if (n === 0) return undefined;
    return this.getSession(id);
  }

  async pendingTerminations(
    instanceId: string,
  ): Promise<Array<{ id: string; by: string; reason: string }>> {
    const rows = await this.db('terminal_sessions')
      .where('instance_id', instanceId)
      .whereNull('ended_at')
      .whereNotNull('terminate_requested_by')
      .select('id', 'terminate_requested_by', 'terminate_reason');
    return rows.map(r => ({
      id: r.id,
      by: r.terminate_requested_by,
      reason: r.terminate_reason ?? '',
    }));
  }

  async getSession(id: string): Promise<StoredSession | undefined> {
    const row = await this.db<SessionRow>('terminal_sessions')
      .where({ id })
      .first();
    return row ? toSession(row) : undefined;
  }

  async listSessions(query: SessionQuery): Promise<SessionPage> {
    const q = this.db<SessionRow>('terminal_sessions');
    if (query.entityRefs) {
      if (query.entityRefs.length === 0) return { items: [] };
      q.whereIn(
        'entity_ref',
        query.entityRefs.map(r => r.toLocaleLowerCase('en-US')),
      );
    }
    if (query.entityRef) {
      q.where('entity_ref', query.entityRef.toLocaleLowerCase('en-US'));
    }
    if (query.user) q.where('user_ref', query.user);
    if (query.mode) q.where('mode', query.mode);
    if (query.live === true) q.whereNull('ended_at');
    if (query.live === false) q.whereNotNull('ended_at');
    if (query.cursor) {
      const [startedAt, id] = decodeCursor(query.cursor);
      q.where(w =>
        w
          .where('started_at', '<', startedAt)
          .orWhere(w2 => w2.where('started_at', startedAt).where('id', '<', id)),
      );
    }
    const rows = await q
      .orderBy([
        { column: 'started_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(query.limit + 1);
    const page = rows.slice(0, query.limit);
    return {
      items: page.map(r => {
        const {
          instanceId: _i,
          heartbeatAt: _h,
          terminateRequestedBy: _t,
          terminateReason: _r,
          ...summary
        } = toSession(r);
        return summary;
      }),
      ...(rows.length > query.limit
        ? { nextCursor: encodeCursor(page[page.length - 1]) }
        : {}),
    };
  }

  async distinctEntityRefs(limit: number): Promise<string[]> {
    const rows = await this.db('terminal_sessions')
      .distinct('entity_ref')
      .orderBy('entity_ref')
      .limit(limit);
    return rows.map(r => r.entity_ref);
  }

  async staleLiveSessions(before: number): Promise<StoredSession[]> {
    const rows = await this.db<SessionRow>('terminal_sessions')
      .whereNull('ended_at')
      .where('heartbeat_at', '<', before)
      .limit(1000);
    return rows.map(toSession);
  }

  async appendCommand(sessionId: string, entry: CommandLogEntry) {
    await this.db('terminal_commands').insert({
      session_id: sessionId,
      seq: entry.seq,
      at: Date.parse(entry.at),
      line: entry.line,
      argv: JSON.stringify(entry.argv),
      allowed: entry.allowed,
      rule: entry.rule.slice(0, 512),
      message: entry.message,
      exit_code: entry.exitCode ?? null,
      duration_ms: entry.durationMs ?? null,
      bytes_out: entry.bytesOut ?? null,
    });
  }

  async listCommands(sessionId: string): Promise<CommandLogEntry[]> {
    const rows = await this.db('terminal_commands')
      .where({ session_id: sessionId })
      .orderBy('seq');
    return rows.map(r => ({
      seq: Number(r.seq),
      at: iso(Number(r.at)),
      line: r.line,
      argv: JSON.parse(r.argv),
      allowed: Boolean(r.allowed),
      rule: r.rule,
      message: r.message,
      ...(r.exit_code !== null ? { exitCode: Number(r.exit_code) } : {}),
      ...(r.duration_ms !== null ? { durationMs: Number(r.duration_ms) } : {}),
      ...(r.bytes_out !== null ? { bytesOut: Number(r.bytes_out) } : {}),
    }));
  }
}
