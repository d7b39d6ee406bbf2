import {
  CommandDecision,
  TERMINAL_CLOSE_CODES,
  TerminalClientMessage,
  TerminalMode,
  TerminalServerMessage,
} from '@fincloud/plugin-terminal-common';

/** The state of a session's connection, as the UI shows it. @public */
export type ConnectionState =
  | { status: 'connecting' }
  | {
      status: 'open';
      sessionId: string;
      mode: TerminalMode;
      expiresAt?: string;
      recording: boolean;
    }
  | {
      status: 'closed';
      /** WebSocket close code, when the socket closed with one. */
      code?: number;
      /** The backend's `closed` reason (`idle-timeout`, `terminated`, ...), when it sent one. */
      reason?: string;
      /** What to tell the user. */
      message: string;
      /** True when the user ended the session themselves. */
      byUser: boolean;
    };

/** What the connection reports. @public */
export interface TerminalConnectionHandlers {
  onState(state: ConnectionState): void;
  onOutput(data: string): void;
  onDecision?(decision: CommandDecision): void;
  onExit?(exit: { code: number; durationMs: number }): void;
  onNotice?(notice: {
    level: 'info' | 'warning' | 'error';
    message: string;
  }): void;
}

const REASONS: Record<string, string> = {
  closed: 'The session ended.',
  'idle-timeout': 'The session was closed after being idle too long.',
  'max-duration': 'The session reached its maximum duration.',
  terminated: 'The session was terminated by the platform team.',
  'recorder-failed':
    'The session was ended because its recording could not be saved (sessions are never left unrecorded).',
  error: 'The session ended with an error.',
};

const CODES: Record<number, string> = {
  [TERMINAL_CLOSE_CODES.normal]: 'The session ended.',
  [TERMINAL_CLOSE_CODES.unauthenticated]:
    'You are not signed in, or your sign-in expired.',
  [TERMINAL_CLOSE_CODES.notAllowed]:
    'You may not open this kind of session on this service.',
  [TERMINAL_CLOSE_CODES.timeout]:
    'The session was closed: idle too long or at its maximum duration.',
  [TERMINAL_CLOSE_CODES.tooManySessions]:
    'Too many open sessions (for you or for this service). Close another session first.',
  [TERMINAL_CLOSE_CODES.terminated]:
    'The session was terminated by the platform team.',
  [TERMINAL_CLOSE_CODES.recorderFailed]:
    'The session was ended because its recording could not be saved (sessions are never left unrecorded).',
  1006: 'The connection to the portal was lost.',
  1011: 'The portal hit an internal error.',
};

/** What to tell the user about a closed session. */
export function describeClose(options: {
  code?: number;
  reason?: string;
  socketReason?: string;
}): string {
  const { code, reason, socketReason } = options;
  if (reason && REASONS[reason] && reason !== 'closed' && reason !== 'error') {
    return REASONS[reason];
  }
  // A refusal before `ready` carries the backend's message as its reason
  // ("Shell sessions need a justification of at least 20 characters").
  if (reason && !REASONS[reason]) return reason;
  const known = code !== undefined ? CODES[code] : undefined;
  // The backend's own words (e.g. why 4403) are more precise than ours.
  if (socketReason && code !== TERMINAL_CLOSE_CODES.normal) {
    return known && code !== 4403 && code !== 4409
      ? `${known} (${socketReason})`
      : socketReason;
  }
  if (known) return known;
  if (reason && REASONS[reason]) return REASONS[reason];
  return code !== undefined
    ? `The connection closed (code ${code}).`
    : 'The connection closed.';
}

/**
 * One terminal session over one WebSocket: JSON text frames both ways
 * (`TerminalClientMessage` / `TerminalServerMessage`).
 *
 * @public
 */
export class TerminalConnection {
  private socket?: WebSocket;
  private readonly handlers: TerminalConnectionHandlers;
  private closedByUser = false;
  private serverReason?: string;
  private done = false;
  private opened = false;
  private readonly queue: TerminalClientMessage[] = [];

  constructor(
    open: () => Promise<WebSocket>,
    handlers: TerminalConnectionHandlers,
  ) {
    this.handlers = handlers;
    handlers.onState({ status: 'connecting' });
    open().then(
      socket => this.attach(socket),
      error =>
        this.finish({
          message: `Could not connect: ${
            error instanceof Error ? error.message : String(error)
          }`,
        }),
    );
  }

  /** Restricted mode: one command line. */
  sendLine(line: string) {
    this.send({ type: 'line', line });
  }

  /** Shell mode: keystrokes. Restricted mode: Ctrl-C interrupts the running command. */
  sendStdin(data: string) {
    this.send({ type: 'stdin', data });
  }

  resize(cols: number, rows: number) {
    this.send({ type: 'resize', cols, rows });
  }

  /** Shell mode: the written reason, sent first. */
  sendJustification(text: string) {
    this.send({ type: 'justification', text });
  }

  /** Ends the session. */
  close() {
    if (this.done) return;
    this.closedByUser = true;
    const socket = this.socket;
    if (!socket) {
      this.finish({ message: 'You closed the session.' });
      return;
    }
    if (socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify({ type: 'close' }));
      socket.close(TERMINAL_CLOSE_CODES.normal);
    } else {
      socket.close();
    }
  }

  private send(message: TerminalClientMessage) {
    if (this.done) return;
    const socket = this.socket;
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify(message));
    } else {
      this.queue.push(message);
    }
  }

  private attach(socket: WebSocket) {
    if (this.closedByUser) {
      socket.close();
      this.finish({ message: 'You closed the session.' });
      return;
    }
    this.socket = socket;
    socket.addEventListener('open', () => {
      this.opened = true;
      for (const message of this.queue.splice(0)) {
        socket.send(JSON.stringify(message));
      }
    });
    socket.addEventListener('message', event => this.receive(event.data));
    socket.addEventListener('close', event =>
      this.finish({ code: event.code, socketReason: event.reason }),
    );
  }

  private receive(raw: unknown) {
    if (typeof raw !== 'string') return;
    let message: TerminalServerMessage;
    try {
      message = JSON.parse(raw);
    } catch {
      return;
    }
    switch (message.type) {
      case 'ready':
        this.handlers.onState({
          status: 'open',
          sessionId: message.sessionId,
          mode: message.mode,
          expiresAt: message.expiresAt,
          recording: message.recording,
        });
        return;
      case 'output':
        this.handlers.onOutput(message.data);
        return;
      case 'decision':
        this.handlers.onDecision?.(message.decision);
        return;
      case 'exit':
        this.handlers.onExit?.({
          code: message.code,
          durationMs: message.durationMs,
        });
        return;
      case 'notice':
        this.handlers.onNotice?.({
          level: message.level,
          message: message.message,
        });
        return;
      case 'closed':
        this.serverReason = message.reason;
        return;
      default:
    }
  }

  private finish(options: {
    code?: number;
    socketReason?: string;
    message?: string;
  }) {
    if (this.done) return;
    this.done = true;
    const byUser = this.closedByUser;
    const neverOpened =
      !this.opened && options.code === 1006 && !options.message;
    this.handlers.onState({
      status: 'closed',
      code: options.code,
      reason: this.serverReason,
      byUser,
      message:
        options.message ??
        (neverOpened
          ? 'Could not open the session: the portal could not be reached or refused the connection.'
          : undefined) ??
        (byUser && (options.code === 1000 || options.code === 1005)
          ? 'You closed the session.'
          : describeClose({
              code: options.code,
              reason: this.serverReason,
              socketReason: options.socketReason,
            })),
    });
  }
}
