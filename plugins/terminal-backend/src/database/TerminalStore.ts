import type {
  CommandLogEntry,
  SessionEndReason,
  SessionPage,
  SessionSummary,
  TerminalMode,
} from '@fincloud/plugin-terminal-common';

/** A session as stored, with what the backend needs beyond the API summary. */
export interface StoredSession extends SessionSummary {
  instanceId: string;
  heartbeatAt: number;
  terminateRequestedBy?: string;
  terminateReason?: string;
}

export interface NewSession {
  id: string;
  entityRef: string;
  user: string;
  mode: TerminalMode;
  cluster: string;
  namespace: string;
  pod: string;
  container: string;
  justification?: string;
  startedAt: number;
  hasRecording: boolean;
  instanceId: string;
}

export interface SessionQuery {
  /** Only these entities (a caller who may read some entities only); undefined = all. */
  entityRefs?: string[];
  entityRef?: string;
  user?: string;
  mode?: TerminalMode;
  live?: boolean;
  limit: number;
  cursor?: string;
}

export type LimitResult = 'ok' | 'user-limit' | 'entity-limit';

/** Sessions and command logs. Recordings are in a RecordingStore. */
export interface TerminalStore {
  /**
   * Inserts the session when the user and the entity are under their limits
   * of live sessions (counting sessions whose heartbeat is newer than
   * `staleBefore`), in one transaction.
   */
  createSessionWithinLimits(
    session: NewSession,
    limits: { perUser: number; perEntity: number; staleBefore: number },
  ): Promise<LimitResult>;
  setDebugContainer(id: string, name: string): Promise<void>;
  updateCounters(
    id: string,
    counters: { commands: number; refused: number; bytesOut: number },
  ): Promise<void>;
  /** Ends a live session; false when it had ended already. */
  endSession(
    id: string,
    end: {
      endedAt: number;
      endReason: SessionEndReason;
      terminatedBy?: string;
      terminateReason?: string;
    },
  ): Promise<boolean>;
  /** Marks the live sessions of this instance as alive now. */
  heartbeat(instanceId: string, ids: string[], now: number): Promise<void>;
  /** Asks the replica holding a live session to end it; the session, or undefined when not live. */
  requestTerminate(
    id: string,
    by: string,
    reason: string,
  ): Promise<StoredSession | undefined>;
  /** Termination requests for live sessions held by this instance. */
  pendingTerminations(
    instanceId: string,
  ): Promise<Array<{ id: string; by: string; reason: string }>>;
  getSession(id: string): Promise<StoredSession | undefined>;
  listSessions(query: SessionQuery): Promise<SessionPage>;
  /** Entities that have sessions (for callers who may read some of them). */
  distinctEntityRefs(limit: number): Promise<string[]>;
  /** Live sessions whose heartbeat is older than `before` (their replica died). */
  staleLiveSessions(before: number): Promise<StoredSession[]>;
  appendCommand(sessionId: string, entry: CommandLogEntry): Promise<void>;
  listCommands(sessionId: string): Promise<CommandLogEntry[]>;
}
