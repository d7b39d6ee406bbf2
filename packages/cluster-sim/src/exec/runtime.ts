/** The emulated container's state and what an emulated program gets to run with. */
import type { ContainerContext, SimClock } from '../contracts';
import type { MemFs } from './memfs';
import type { ImageProfile } from './image';
import type { Input, Output } from './streams';
import type { Terminal } from './terminal';

export interface Proc {
  pid: number;
  ppid: number;
  argv: string[];
  user: string;
  startedAt: number;
  tty: string;
  /** RSS in KiB. */
  rssKb: number;
  vszKb: number;
  /** CPU time used so far (ms). */
  cpuMs(): number;
  state(): string;
  /** Stops the process (kill). Absent for PID 1, which ignores signals from inside. */
  kill?: (signal: number) => void;
}

export class ProcessTable {
  private readonly procs = new Map<number, Proc>();
  private nextPid: number;

  constructor(first: Proc[], nextPid: number) {
    for (const p of first) this.procs.set(p.pid, p);
    this.nextPid = nextPid;
  }

  spawn(p: Omit<Proc, 'pid'>): Proc {
    const pid = this.nextPid;
    this.nextPid += 1 + (pid % 3 === 0 ? 1 : 0);
    const proc = { ...p, pid } as Proc;
    this.procs.set(pid, proc);
    return proc;
  }

  exit(pid: number): void {
    if (pid !== 1) this.procs.delete(pid);
  }

  get(pid: number): Proc | undefined {
    return this.procs.get(pid);
  }

  list(): Proc[] {
    return [...this.procs.values()].sort((a, b) => a.pid - b.pid);
  }
}

export interface Runtime {
  fs: MemFs;
  context: ContainerContext;
  profile: ImageProfile;
  clock: SimClock;
  /** When the container started (ms since epoch). */
  startedAt: number;
  /** When the node booted (for uptime). */
  bootedAt: number;
  procs: ProcessTable;
}

/** What every emulated program runs with. */
export interface Process {
  argv: string[];
  /** Exported variables. */
  env: Record<string, string>;
  cwd: string;
  stdin: Input;
  stdout: Output;
  stderr: Output;
  signal: AbortSignal;
  rt: Runtime;
  pid: number;
  /** The terminal, when the session is interactive on a tty. */
  terminal?: Terminal;
  /** stdout is the terminal (ls columns, colours, pagers). */
  stdoutIsTty: boolean;
  /** Runs another emulated program (find -exec, xargs, watch). */
  run(
    argv: string[],
    io?: {
      stdin?: Input;
      stdout?: Output;
      stderr?: Output;
      signal?: AbortSignal;
    },
  ): Promise<number>;
  /** The name programs print in messages (`ls: ...`). */
  name: string;
}

export type Program = (p: Process) => Promise<number>;

/** An aborted wait (^C or a dropped connection). */
export class Interrupted extends Error {
  constructor() {
    super('interrupted');
  }
}

/** Waits `ms` on the container's clock, or until the signal aborts. */
export function sleep(
  clock: SimClock,
  ms: number,
  signal: AbortSignal,
): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(new Interrupted());
      return;
    }
    const timer: { cancel?: () => void } = {};
    const onAbort = () => {
      timer.cancel?.();
      reject(new Interrupted());
    };
    timer.cancel = clock.setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, Math.max(0, ms));
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

export async function write(out: Output, s: string): Promise<void> {
  const r = out.write(s);
  if (r && typeof (r as Promise<void>).then === 'function') await r;
}
