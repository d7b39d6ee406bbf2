/**
 * The terminal API between `@fincloud/plugin-terminal-backend` and
 * `@fincloud/plugin-terminal` (HTTP under `/api/terminal`, one WebSocket per
 * session at `/api/terminal/ws`). See the backend's README for the full
 * description of every route and message.
 */

/** `restricted`: one allow-listed command per line, run as argv. `shell`: break-glass `/bin/sh` with a TTY, recorded. @public */
export type TerminalMode = 'restricted' | 'shell';

/** A pod (and its containers) the user may open a terminal in. @public */
export interface PodTarget {
  cluster: string;
  namespace: string;
  pod: string;
  containers: string[];
  phase: string;
  ready: boolean;
}

/** What restricted mode allows for an entity, for the hint panel. @public */
export interface PolicyHint {
  allowed: Array<{ command: string; args?: string; description: string }>;
  notes: string[];
}

/**
 * The verdict on one command line.
 *
 * `rule` names the rule that allowed or refused it, e.g. `allowed:ls`,
 * `no-pipes`, `binary-not-allowed:rm`, `arg-denied:curl -o`,
 * `path-not-allowed:cat /etc/shadow`. The rule ids are listed in
 * `TERMINAL_RULES` (the part before the first `:`).
 *
 * @public
 */
export interface CommandDecision {
  allowed: boolean;
  rule: string;
  message: string;
}

/** Why a session ended. @public */
export type SessionEndReason =
  | 'closed'
  | 'idle-timeout'
  | 'max-duration'
  | 'terminated'
  | 'recorder-failed'
  | 'error';

/** One terminal session, live or past. @public */
export interface SessionSummary {
  id: string;
  entityRef: string;
  user: string;
  mode: TerminalMode;
  cluster: string;
  namespace: string;
  pod: string;
  container: string;
  /** Name of the ephemeral debug container when the session used one. */
  debugContainer?: string;
  justification?: string;
  approvedBy?: string;
  /** ISO 8601. */
  startedAt: string;
  endedAt?: string;
  endReason?: SessionEndReason;
  terminatedBy?: string;
  /** Restricted-mode commands run (allowed ones). */
  commands: number;
  /** Restricted-mode command lines refused. */
  refused: number;
  /** Bytes of output sent to the user. */
  bytesOut: number;
  live: boolean;
  hasRecording: boolean;
}

/** A page of sessions, newest first; pass `nextCursor` as `cursor` for the next page. @public */
export interface SessionPage {
  items: SessionSummary[];
  nextCursor?: string;
}

/** One line typed in restricted mode, allowed or refused. @public */
export interface CommandLogEntry {
  /** 1, 2, 3 ... within the session. */
  seq: number;
  /** ISO 8601, when the line arrived. */
  at: string;
  /** The line as typed (secrets masked). */
  line: string;
  /** The argv it parsed to (secrets masked); empty when the parser refused it. */
  argv: string[];
  allowed: boolean;
  rule: string;
  message: string;
  /** Exit code of an allowed command; absent when refused or aborted before a status. */
  exitCode?: number;
  durationMs?: number;
  bytesOut?: number;
}

/** `GET /sessions/:id/commands`. @public */
export interface CommandLog {
  items: CommandLogEntry[];
}

/** Body of `POST /entities/:kind/:namespace/:name/check`. @public */
export interface CheckRequest {
  line: string;
}

/** Body of `POST /sessions/:id/terminate`. @public */
export interface TerminateRequest {
  reason: string;
}

// ------------------------------------------------------------------ WebSocket

/**
 * Messages the browser sends (JSON text frames).
 *
 * - `line`: restricted mode, one command line.
 * - `stdin`: shell mode, keystrokes. In restricted mode a `stdin` message
 *   containing `\u0003` (Ctrl-C) interrupts the running command.
 * - `resize`: terminal size.
 * - `justification`: shell mode, the written reason; must be the first
 *   message of a shell session.
 * - `close`: end the session.
 *
 * @public
 */
export type TerminalClientMessage =
  | { type: 'line'; line: string }
  | { type: 'stdin'; data: string }
  | { type: 'resize'; cols: number; rows: number }
  | { type: 'justification'; text: string }
  | { type: 'close' };

/**
 * Messages the backend sends (JSON text frames).
 *
 * - `ready`: the session is open (restricted: after the checks; shell: once
 *   the shell runs). `expiresAt` (ISO 8601) is the time box end.
 * - `output`: what the pod printed (stdout and stderr), as text.
 * - `decision`: the verdict on a `line` (restricted), sent before any output.
 * - `exit`: a restricted command finished.
 * - `notice`: idle warning, time-box countdown, truncated output ...
 * - `closed`: the session ended; the socket closes next with one of
 *   `TERMINAL_CLOSE_CODES`.
 *
 * @public
 */
export type TerminalServerMessage =
  | {
      type: 'ready';
      sessionId: string;
      mode: TerminalMode;
      expiresAt?: string;
      recording: boolean;
    }
  | { type: 'output'; data: string }
  | { type: 'decision'; decision: CommandDecision }
  | { type: 'exit'; code: number; durationMs: number }
  | { type: 'notice'; level: 'info' | 'warning' | 'error'; message: string }
  | { type: 'closed'; reason: SessionEndReason | string };

/** WebSocket close codes of the terminal. @public */
export const TERMINAL_CLOSE_CODES = {
  /** Normal end (the user closed, the shell exited). */
  normal: 1000,
  /** No or invalid Backstage token. */
  unauthenticated: 4401,
  /** Not allowed (permission, missing justification, bad target, approval needed). */
  notAllowed: 4403,
  /** Idle timeout or maximum duration reached. */
  timeout: 4408,
  /** Too many concurrent sessions for the user or the entity. */
  tooManySessions: 4409,
  /** Terminated by the platform team. */
  terminated: 4410,
  /** The recorder (or the audit trail) could not write: the session ends (fail-closed). */
  recorderFailed: 4500,
} as const;

/**
 * The WebSocket sub-protocol. The browser offers it together with its
 * Backstage token: `new WebSocket(url, [TERMINAL_WS_PROTOCOL, TERMINAL_WS_BEARER_PREFIX + token])`;
 * the backend selects `TERMINAL_WS_PROTOCOL` and never echoes the token.
 *
 * @public
 */
export const TERMINAL_WS_PROTOCOL = 'fincloud.terminal.v1';

/** Prefix of the sub-protocol value that carries the Backstage token. @public */
export const TERMINAL_WS_BEARER_PREFIX = 'bearer.';

/** The plugin id: the backend is mounted at `/api/terminal`. @public */
export const TERMINAL_PLUGIN_ID = 'terminal';
