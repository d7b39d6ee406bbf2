/** Test helpers for the exec emulator: a manual clock, a container, a terminal. */
import type {
  ContainerContext,
  EmulatedContainer,
  SimClock,
} from '../../contracts';
import { createEmulatedContainer } from '../container';

export interface ManualClock extends SimClock {
  /** Moves time forward, firing due timers in order (and letting their work run). */
  advance(ms: number): Promise<void>;
}

export const T0 = Date.UTC(2024, 10, 28, 10, 42, 1);

export function manualClock(startAt = T0): ManualClock {
  let now = startAt;
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  const settle = async () => {
    for (let i = 0; i < 5; i++) await new Promise(r => setImmediate(r));
  };
  return {
    now: () => now,
    setTimeout(fn, ms) {
      const id = ++seq;
      timers.set(id, { at: now + Math.max(0, ms), fn });
      return () => timers.delete(id);
    },
    async advance(ms) {
      const target = now + ms;
      await settle();
      for (;;) {
        const due = [...timers.entries()]
          .filter(([, t]) => t.at <= target)
          .sort((a, b) => a[1].at - b[1].at || a[0] - b[0]);
        if (due.length === 0) break;
        const [id, t] = due[0];
        timers.delete(id);
        now = Math.max(now, t.at);
        t.fn();
        await settle();
      }
      now = target;
      await settle();
    },
  };
}

export interface HttpCall {
  url: string;
  method: string;
  headers: Record<string, string>;
}

export interface Made {
  container: EmulatedContainer;
  clock: ManualClock;
  calls: HttpCall[];
  context: ContainerContext;
}

/** A cluster with one Service (risk-engine in namespace risk) that answers JSON. */
export function makeContainer(
  over: Partial<ContainerContext> = {},
  clock = manualClock(),
): Made {
  const calls: HttpCall[] = [];
  const context: ContainerContext = {
    namespace: 'payments',
    podName: 'payment-gateway-7d9f8b6c5-x2k4p',
    containerName: 'app',
    image: 'registry.fincloud.example/payments/payment-gateway:1.4.0',
    env: {
      PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      HOSTNAME: 'payment-gateway-7d9f8b6c5-x2k4p',
      KUBERNETES_SERVICE_HOST: '10.96.0.1',
      KUBERNETES_SERVICE_PORT: '443',
      PAYMENT_GATEWAY_SERVICE_HOST: '10.96.33.12',
      JAVA_OPTS: '-XX:MaxRAMPercentage=75',
    },
    podIp: '10.244.1.12',
    nodeName: 'general-1',
    labels: { app: 'payment-gateway', version: 'v1' },
    clock,
    startedAt: clock.now() - 30 * 60_000,
    resolve: host =>
      /^risk-engine(\.risk(\.svc(\.cluster\.local)?)?)?$/.test(host)
        ? '10.96.14.201'
        : undefined,
    async httpRequest(request): ReturnType<ContainerContext['httpRequest']> {
      calls.push(request);
      const host = new URL(request.url).hostname;
      if (
        /^risk-engine(\.risk(\.svc(\.cluster\.local)?)?)?$/.test(host) ||
        host === '10.96.14.201'
      ) {
        const path = new URL(request.url).pathname;
        if (path === '/fail')
          return {
            status: 503,
            headers: { 'content-type': 'text/plain' },
            body: 'no healthy upstream',
          };
        return {
          status: 200,
          headers: {
            'content-type': 'application/json',
            'x-envoy-upstream-service-time': '12',
          },
          body: '{"workload":"risk-engine","version":"v2","status":"UP"}',
        };
      }
      return undefined;
    },
    ...over,
  };
  return { container: createEmulatedContainer(context), clock, calls, context };
}

/** A stdin the test writes into. */
export class Keyboard implements AsyncIterable<Buffer> {
  private queue: Buffer[] = [];
  private ended = false;
  private wake?: () => void;

  type(s: string): void {
    this.queue.push(Buffer.from(s));
    this.wake?.();
  }

  end(): void {
    this.ended = true;
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Buffer> {
    for (;;) {
      while (this.queue.length === 0 && !this.ended)
        await new Promise<void>(r => (this.wake = r));
      const next = this.queue.shift();
      if (next) yield next;
      else if (this.ended) return;
    }
  }
}

export interface Session {
  code: Promise<number>;
  out(): string;
  err(): string;
  keyboard: Keyboard;
  resize(cols: number, rows: number): void;
  abort(): void;
  /** Waits (real time, up to 3 s) until stdout satisfies the predicate. */
  waitFor(pred: (out: string) => boolean, what?: string): Promise<void>;
  chunks: string[];
}

export function start(
  container: EmulatedContainer,
  argv: string[],
  opts: {
    tty?: boolean;
    stdin?: boolean | string;
    stdout?: (chunk: string) => void | Promise<void>;
  } = {},
): Session {
  let out = '';
  let err = '';
  const chunks: string[] = [];
  const keyboard = new Keyboard();
  const controller = new AbortController();
  const resizeListeners: Array<(s: { cols: number; rows: number }) => void> =
    [];
  if (typeof opts.stdin === 'string') {
    keyboard.type(opts.stdin);
    keyboard.end();
  }
  const code = container.exec(argv, {
    stdin: opts.stdin !== undefined && opts.stdin !== false ? keyboard : null,
    stdout: c => {
      const s = c.toString();
      out += s;
      chunks.push(s);
      return opts.stdout?.(s) as void;
    },
    stderr: c => {
      err += c.toString();
    },
    tty: !!opts.tty,
    onResize: l => resizeListeners.push(l),
    signal: controller.signal,
  });
  return {
    code,
    out: () => out,
    err: () => err,
    keyboard,
    chunks,
    resize: (cols, rows) => resizeListeners.forEach(l => l({ cols, rows })),
    abort: () => controller.abort(),
    async waitFor(pred, what = 'output') {
      const deadline = Date.now() + 3000;
      while (!pred(out)) {
        if (Date.now() > deadline)
          throw new Error(
            `timed out waiting for ${what}; output so far:\n${out}`,
          );
        await new Promise(r => setTimeout(r, 5));
      }
    },
  };
}

/** Runs argv to completion (no stdin unless given) and returns the result. */
export async function run(
  container: EmulatedContainer,
  argv: string[],
  stdin?: string,
) {
  const s = start(container, argv, { stdin });
  const code = await s.code;
  return { code, out: s.out(), err: s.err() };
}

/** `sh -c script`. */
export function sh(
  container: EmulatedContainer,
  script: string,
  stdin?: string,
) {
  return run(container, ['sh', '-c', script], stdin);
}
