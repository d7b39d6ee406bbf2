import {
  AuditorService,
  LoggerService,
  SchedulerService,
} from '@backstage/backend-plugin-api';
import { TERMINAL_EVENTS } from '../auditor/events';
import type { TerminalStore } from '../database/TerminalStore';

/**
 * Ends the sessions whose backend replica stopped sending heartbeats (it was
 * killed or lost its database): they cannot be live any more, since their
 * WebSocket and exec stream lived in that process. One replica runs it
 * (`scope: 'global'`); ending is idempotent (`ended_at` is set only once).
 */
export async function reapLostSessions(options: {
  store: TerminalStore;
  auditor: AuditorService;
  logger: LoggerService;
  staleAfterMs: number;
  now?: number;
}): Promise<number> {
  const { store, auditor, logger } = options;
  const now = options.now ?? Date.now();
  let ended = 0;
  for (const session of await store.staleLiveSessions(now - options.staleAfterMs)) {
    const event = await auditor.createEvent({
      eventId: TERMINAL_EVENTS.lost,
      severityLevel: 'high',
      meta: {
        entityRef: session.entityRef,
        sessionId: session.id,
        user: session.user,
        mode: session.mode,
        lastHeartbeat: new Date(session.heartbeatAt).toISOString(),
      },
    });
    const changed = await store.endSession(session.id, {
      endedAt: now,
      endReason: 'error',
    });
    await event.success({ meta: { ended: changed } });
    if (changed) {
      ended++;
      logger.warn(
        `Terminal session ${session.id} of ${session.user} on ${session.entityRef} lost its backend; marked ended`,
      );
    }
  }
  return ended;
}

export async function scheduleReaper(options: {
  scheduler: SchedulerService;
  store: TerminalStore;
  auditor: AuditorService;
  logger: LoggerService;
  staleAfterMs: number;
}) {
  await options.scheduler.scheduleTask({
    id: 'terminal-reap-lost-sessions',
    frequency: { seconds: 30 },
    timeout: { seconds: 60 },
    scope: 'global',
    fn: async () => {
      await reapLostSessions(options);
    },
  });
}
