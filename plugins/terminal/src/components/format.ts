import { SessionSummary } from '@fincloud/plugin-terminal-common';

/** `2026-11-29 10:34:12 UTC`: auditors compare times across offices, so UTC. */
export function formatTime(iso: string | undefined): string {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** `45 s`, `12 min 5 s`, `2 h 3 min`. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) {
    const rest = seconds % 60;
    return rest ? `${minutes} min ${rest} s` : `${minutes} min`;
  }
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest ? `${hours} h ${rest} min` : `${hours} h`;
}

/** How long a session lasted, or has lasted so far when live. */
export function sessionDuration(
  session: Pick<SessionSummary, 'startedAt' | 'endedAt'>,
  now = Date.now(),
): string {
  const start = Date.parse(session.startedAt);
  const end = session.endedAt ? Date.parse(session.endedAt) : now;
  if (Number.isNaN(start) || Number.isNaN(end)) return '';
  return formatDuration(end - start);
}

/** `user:default/pete` → `pete`; other refs unchanged. */
export function shortUser(ref: string): string {
  const match = /^user:default\/(.+)$/i.exec(ref);
  return match ? match[1] : ref;
}

/** `1.2 KiB`. */
export function formatBytes(bytes: number | undefined): string {
  if (bytes === undefined) return '';
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

const END_REASONS: Record<string, string> = {
  closed: 'closed',
  'idle-timeout': 'idle timeout',
  'max-duration': 'time box reached',
  terminated: 'terminated',
  'recorder-failed': 'recorder failed',
  error: 'error',
};

export function formatEndReason(session: SessionSummary): string {
  if (session.live) return 'live';
  const reason = session.endReason
    ? END_REASONS[session.endReason] ?? session.endReason
    : 'ended';
  return session.endReason === 'terminated' && session.terminatedBy
    ? `${reason} by ${shortUser(session.terminatedBy)}`
    : reason;
}

/** `sim / payments / payment-gateway-7d9f / app` (+ debug container). */
export function formatTarget(
  session: Pick<
    SessionSummary,
    'cluster' | 'namespace' | 'pod' | 'container' | 'debugContainer'
  >,
): string {
  const base = `${session.cluster} / ${session.namespace} / ${session.pod} / ${session.container}`;
  return session.debugContainer
    ? `${base} (debug: ${session.debugContainer})`
    : base;
}
