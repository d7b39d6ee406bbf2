import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, WebSocket } from 'ws';
import { CommandNotFoundError, EmulatedContainer, ExecIO } from '../contracts';

/** Subprotocols in the order the simulator prefers them. */
export const EXEC_PROTOCOLS = [
  'v5.channel.k8s.io',
  'v4.channel.k8s.io',
  'channel.k8s.io',
];

const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const STATUS = 3;
const RESIZE = 4;
const CLOSE = 255;

export interface ExecRequest {
  container: EmulatedContainer;
  command: string[];
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

export interface ExecSessionHooks {
  /** An exec session started / ended (audit-free metrics). */
  onStart?(): void;
  onEnd?(exitCode: number | undefined): void;
  /** Registers a way to drop this session; returns an unregister function. */
  register?(drop: () => void): () => void;
}

/** An async iterable fed by WebSocket frames: the command's stdin. */
class InputQueue implements AsyncIterable<Buffer> {
  private readonly buffered: Buffer[] = [];
  private waiting?: (result: IteratorResult<Buffer>) => void;
  private ended = false;

  push(chunk: Buffer) {
    if (this.ended) return;
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = undefined;
      w({ value: chunk, done: false });
    } else {
      this.buffered.push(chunk);
    }
  }

  end() {
    if (this.ended) return;
    this.ended = true;
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = undefined;
      w({ value: undefined as any, done: true });
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<Buffer> {
    return {
      next: () => {
        if (this.buffered.length > 0)
          return Promise.resolve({
            value: this.buffered.shift()!,
            done: false,
          });
        if (this.ended)
          return Promise.resolve({ value: undefined as any, done: true });
        return new Promise(resolve => {
          this.waiting = resolve;
        });
      },
      return: () => {
        this.end();
        return Promise.resolve({ value: undefined as any, done: true });
      },
    };
  }
}

function frame(channel: number, data: string | Buffer): Buffer {
  const payload = typeof data === 'string' ? Buffer.from(data) : data;
  const out = Buffer.alloc(payload.length + 1);
  out[0] = channel;
  payload.copy(out, 1);
  return out;
}

function exitStatus(command: string[], code: number) {
  if (code === 0) return { metadata: {}, status: 'Success' };
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${command.join(
      ' ',
    )}], exit code ${code}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
  };
}

function errorStatus(message: string) {
  return {
    metadata: {},
    status: 'Failure',
    message: `Internal error occurred: error executing command in container: ${message}`,
    reason: 'InternalError',
    details: {
      causes: [{ message: `error executing command in container: ${message}` }],
    },
    code: 500,
  };
}

/**
 * The exec endpoint's WebSocket side: the channel protocol (v5 with the
 * close channel, v4 with JSON status, plain channel.k8s.io), stdin/stdout/
 * stderr/resize frames, and the exit status, for one emulated container.
 * Nothing here starts a host process: the command runs in the emulator.
 */
export class ExecEndpoint {
  private readonly wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    handleProtocols: (protocols: Set<string>) => {
      for (const p of EXEC_PROTOCOLS) if (protocols.has(p)) return p;
      return false;
    },
  });

  /** Completes the upgrade and runs the command; the socket closes after the status frame. */
  upgrade(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    exec: ExecRequest,
    hooks: ExecSessionHooks = {},
  ) {
    this.wss.handleUpgrade(req, socket, head, ws => {
      this.run(ws, exec, hooks).catch(() => ws.terminate());
    });
  }

  private async run(ws: WebSocket, exec: ExecRequest, hooks: ExecSessionHooks) {
    const protocol = ws.protocol || 'channel.k8s.io';
    const v5 = protocol === 'v5.channel.k8s.io';
    const jsonStatus = protocol !== 'channel.k8s.io';
    const abort = new AbortController();
    const stdin = exec.stdin ? new InputQueue() : null;
    const resizeListeners: Array<
      (size: { cols: number; rows: number }) => void
    > = [];
    let finished = false;
    hooks.onStart?.();
    const unregister = hooks.register?.(() => {
      finished = true;
      abort.abort();
      stdin?.end();
      ws.terminate();
    });

    ws.on('message', (data: Buffer, isBinary: boolean) => {
      const buf = Buffer.isBuffer(data) ? data : Buffer.from(data as any);
      if (buf.length === 0) return;
      // base64 protocols are not offered, so every frame is binary-framed.
      void isBinary;
      const channel = buf[0];
      const payload = buf.subarray(1);
      if (channel === STDIN) {
        if (payload.length > 0) stdin?.push(Buffer.from(payload));
      } else if (channel === RESIZE) {
        try {
          const size = JSON.parse(payload.toString('utf8'));
          const cols = Number(size.Width ?? size.width);
          const rows = Number(size.Height ?? size.height);
          if (cols > 0 && rows > 0)
            for (const l of resizeListeners) l({ cols, rows });
        } catch {
          // a malformed resize frame is ignored, like the kubelet does
        }
      } else if (channel === CLOSE && v5) {
        if (payload[0] === STDIN) stdin?.end();
      }
    });
    ws.on('close', () => {
      stdin?.end();
      if (!finished) abort.abort();
    });
    ws.on('error', () => {
      stdin?.end();
      abort.abort();
    });

    const send = (channel: number, chunk: string | Buffer) => {
      if (ws.readyState !== WebSocket.OPEN || finished) return;
      const payload = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      if (payload.length === 0) return;
      ws.send(frame(channel, payload));
    };
    const io: ExecIO = {
      stdin,
      stdout: chunk => exec.stdout && send(STDOUT, chunk),
      stderr: chunk => {
        if (exec.tty) send(STDOUT, chunk);
        else if (exec.stderr) send(STDERR, chunk);
      },
      tty: exec.tty,
      onResize: listener => resizeListeners.push(listener),
      signal: abort.signal,
    };

    let code: number | undefined;
    let status: unknown;
    try {
      code = await exec.container.exec(exec.command, io);
      status = exitStatus(exec.command, code);
    } catch (error) {
      if (error instanceof CommandNotFoundError) {
        status = errorStatus(
          `failed to exec in container: failed to start exec: OCI runtime exec failed: exec failed: unable to start container process: ${error.message}`,
        );
      } else {
        status = errorStatus(String((error as Error)?.message ?? error));
      }
    } finally {
      unregister?.();
    }
    if (finished || ws.readyState !== WebSocket.OPEN) {
      hooks.onEnd?.(code);
      return;
    }
    if (jsonStatus) {
      ws.send(frame(STATUS, JSON.stringify(status)));
    } else if (code !== 0) {
      ws.send(frame(STATUS, (status as any).message ?? 'error'));
    }
    finished = true;
    ws.close(1000);
    hooks.onEnd?.(code);
  }

  close() {
    for (const client of this.wss.clients) client.terminate();
    this.wss.close();
  }
}
