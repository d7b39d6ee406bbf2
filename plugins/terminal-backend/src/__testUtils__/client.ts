import {
  CommandDecision,
  TERMINAL_WS_BEARER_PREFIX,
  TERMINAL_WS_PROTOCOL,
  TerminalClientMessage,
  TerminalServerMessage,
} from '@fincloud/plugin-terminal-common';
import { WebSocket } from 'ws';

export interface ConnectOptions {
  port: number;
  token?: string;
  protocols?: string[];
  entityRef?: string;
  cluster?: string;
  namespace: string;
  pod: string;
  container: string;
  mode?: 'restricted' | 'shell';
  debug?: boolean;
  cols?: number;
  rows?: number;
}

/** A terminal WebSocket client as the browser uses it: messages collected, helpers to wait for them. */
export class TerminalClient {
  readonly messages: TerminalServerMessage[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private listeners = new Set<() => void>();

  private constructor(readonly ws: WebSocket) {
    ws.on('message', data => {
      this.messages.push(JSON.parse(String(data)));
      for (const l of [...this.listeners]) l();
    });
    this.closed = new Promise(resolve => {
      ws.on('close', (code, reason) => {
        resolve({ code, reason: reason.toString() });
        for (const l of [...this.listeners]) l();
      });
    });
  }

  static connect(options: ConnectOptions): TerminalClient {
    const params = new URLSearchParams({
      entityRef: options.entityRef ?? 'component:default/payment-gateway',
      cluster: options.cluster ?? 'sim',
      namespace: options.namespace,
      pod: options.pod,
      container: options.container,
      mode: options.mode ?? 'restricted',
      ...(options.debug ? { debug: 'true' } : {}),
      ...(options.cols ? { cols: String(options.cols) } : {}),
      ...(options.rows ? { rows: String(options.rows) } : {}),
    });
    const protocols =
      options.protocols ??
      (options.token
        ? [TERMINAL_WS_PROTOCOL, `${TERMINAL_WS_BEARER_PREFIX}${options.token}`]
        : [TERMINAL_WS_PROTOCOL]);
    const ws = new WebSocket(
      `ws://127.0.0.1:${options.port}/api/terminal/ws?${params}`,
      protocols,
    );
    ws.on('error', () => undefined);
    return new TerminalClient(ws);
  }

  /** Sends a message (queued until the socket is open, as a browser app would wait for `open`). */
  send(message: TerminalClientMessage) {
    const text = JSON.stringify(message);
    if (this.ws.readyState === WebSocket.CONNECTING) {
      this.ws.once('open', () => this.ws.send(text));
    } else if (this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(text);
    }
  }

  /** Resolves with the first message (from index `from`) matching, or rejects on close/timeout. */
  waitFor<T extends TerminalServerMessage['type']>(
    type: T,
    options: { from?: number; timeoutMs?: number; where?: (m: any) => boolean } = {},
  ): Promise<Extract<TerminalServerMessage, { type: T }>> {
    const from = options.from ?? 0;
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined = undefined;
      let check: () => void = () => undefined;
      const cleanup = () => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      check = () => {
        const found = this.messages
          .slice(from)
          .find(m => m.type === type && (!options.where || options.where(m)));
        if (found) {
          cleanup();
          resolve(found as any);
        } else if (this.ws.readyState === WebSocket.CLOSED) {
          cleanup();
          reject(
            new Error(
              `closed before "${type}": ${JSON.stringify(this.messages.slice(-5))}`,
            ),
          );
        }
      };
      timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out waiting for "${type}": ${JSON.stringify(this.messages.slice(-5))}`));
      }, options.timeoutMs ?? 15_000);
      this.listeners.add(check);
      check();
    });
  }

  async ready() {
    return this.waitFor('ready');
  }

  /** Sends a restricted-mode line; resolves with its decision, the output and the exit (when it ran). */
  async run(line: string): Promise<{
    decision: CommandDecision;
    output: string;
    exit?: { code: number; durationMs: number };
  }> {
    const from = this.messages.length;
    this.send({ type: 'line', line });
    const { decision } = await this.waitFor('decision', { from });
    if (!decision.allowed) return { decision, output: '' };
    const exit = await this.waitFor('exit', { from, timeoutMs: 30_000 });
    const output = this.messages
      .slice(from)
      .filter(m => m.type === 'output')
      .map(m => (m as any).data)
      .join('');
    return { decision, output, exit };
  }

  output(from = 0): string {
    return this.messages
      .slice(from)
      .filter(m => m.type === 'output')
      .map(m => (m as any).data)
      .join('');
  }

  close() {
    if (this.ws.readyState === WebSocket.OPEN) this.send({ type: 'close' });
  }
}
