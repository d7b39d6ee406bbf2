import { createApiRef } from '@backstage/frontend-plugin-api';
import {
  CommandDecision,
  CommandLog,
  PodTarget,
  PolicyHint,
  SessionPage,
  SessionSummary,
  TerminalMode,
} from '@fincloud/plugin-terminal-common';
import {
  TerminalConnection,
  TerminalConnectionHandlers,
} from './TerminalConnection';

/** Filters of the sessions list (`GET /sessions`). @public */
export interface SessionQuery {
  entityRef?: string;
  user?: string;
  mode?: TerminalMode;
  live?: boolean;
  limit?: number;
  cursor?: string;
}

/** Where a session goes. @public */
export interface SessionTarget {
  entityRef: string;
  cluster: string;
  namespace: string;
  pod: string;
  container: string;
  mode: TerminalMode;
  /** Run in an ephemeral debug container next to `container`. */
  debug?: boolean;
}

/**
 * The terminal backend as the UI sees it (`/api/terminal`). The backend
 * decides who may call what; errors are `ResponseError`s carrying its message.
 *
 * @public
 */
export interface TerminalApi {
  /** The pods of the entity, per cluster of its `fincloud.io/cluster` annotation. */
  getTargets(entityRef: string): Promise<PodTarget[]>;
  /** What restricted mode allows on the entity. */
  getPolicy(entityRef: string): Promise<PolicyHint>;
  /** Would this line be allowed? Nothing runs. */
  checkLine(entityRef: string, line: string): Promise<CommandDecision>;
  listSessions(query: SessionQuery): Promise<SessionPage>;
  getSession(id: string): Promise<SessionSummary>;
  /** The asciicast v2 recording of a session (masked). */
  getRecording(id: string): Promise<string>;
  /** The restricted-mode command log of a session. */
  getCommands(id: string): Promise<CommandLog>;
  terminateSession(id: string, reason: string): Promise<SessionSummary>;
  /** Opens the session's WebSocket with the user's Backstage token. */
  connect(
    target: SessionTarget,
    handlers: TerminalConnectionHandlers,
  ): TerminalConnection;
}

/** @public */
export const terminalApiRef = createApiRef<TerminalApi>({
  id: 'plugin.terminal.service',
});
