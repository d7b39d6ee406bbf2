import { LoggerService } from '@backstage/backend-plugin-api';
import type { TerminalStore } from '../database/TerminalStore';

/** What the registry needs of a live session. */
export interface LiveSession {
  readonly id: string;
  /** Ends the session as terminated by `by` (a platform member). */
  terminate(by: string, reason: string): Promise<void>;
  /** Ends the session because the backend stops. */
  shutdown(): Promise<void>;
  /** Writes its counters (commands, refused, bytes) to the store. */
  persistCounters(): Promise<void>;
}

/**
 * The live sessions of this backend instance. Every `heartbeatMs` it marks
 * them alive in the store (a replica that dies stops doing so; the reaper
 * ends its sessions) and picks up terminations requested on other replicas.
 */
export class SessionRegistry {
  private readonly sessions = new Map<string, LiveSession>();
  private timer: NodeJS.Timeout | undefined;
  private beating = false;

  constructor(
    readonly instanceId: string,
    private readonly store: TerminalStore,
    private readonly logger: LoggerService,
    readonly heartbeatMs = 5_000,
  ) {}

  start() {
    if (this.timer) return;
    this.timer = setInterval(() => void this.beat(), this.heartbeatMs);
    this.timer.unref?.();
  }

  add(session: LiveSession) {
    this.sessions.set(session.id, session);
  }

  remove(id: string) {
    this.sessions.delete(id);
  }

  get(id: string): LiveSession | undefined {
    return this.sessions.get(id);
  }

  get size(): number {
    return this.sessions.size;
  }

  async beat(): Promise<void> {
    if (this.beating) return;
    this.beating = true;
    try {
      const ids = [...this.sessions.keys()];
      if (ids.length === 0) return;
      await this.store.heartbeat(this.instanceId, ids, Date.now());
      await Promise.all([...this.sessions.values()].map(s => s.persistCounters()));
      for (const t of await this.store.pendingTerminations(this.instanceId)) {
        await this.sessions.get(t.id)?.terminate(t.by, t.reason);
      }
    } catch (error) {
      this.logger.warn(`Terminal session heartbeat failed: ${error}`);
    } finally {
      this.beating = false;
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await Promise.all([...this.sessions.values()].map(s => s.shutdown()));
  }
}
