/**
 * Audit event ids of the terminal (`coreServices.auditor`; the fincloud
 * auditor stores them in the tamper-evident trail). Every record carries
 * `meta.entityRef`, so the audit explorer's entity tab finds it.
 *
 * - `terminal-session` (high, fail-closed): created before anything runs
 *   in the pod (restricted or shell, debug container included); its
 *   outcome (`succeeded`/`failed`) is written when the session ends, with
 *   the end reason, counters and who terminated it. A session the trail
 *   cannot record never starts (close 4500).
 * - `terminal-command` (medium): every restricted-mode line, allowed
 *   (`succeeded` with exit code, duration, bytes) or refused (`failed` with
 *   the rule). argv and line masked.
 * - `terminal-session-terminate` (high): a platform member ends a session.
 * - `terminal-session-lost` (high): the reaper ends a session whose backend
 *   replica stopped answering.
 * - `terminal-check` (low): a dry check of a line (nothing runs).
 * - `terminal-sessions-read`, `terminal-recording-read` (low / medium):
 *   reading sessions, command logs and recordings.
 */
export const TERMINAL_EVENTS = {
  session: 'terminal-session',
  command: 'terminal-command',
  terminate: 'terminal-session-terminate',
  lost: 'terminal-session-lost',
  check: 'terminal-check',
  sessionsRead: 'terminal-sessions-read',
  recordingRead: 'terminal-recording-read',
} as const;
