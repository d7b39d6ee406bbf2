/**
 * createEmulatedContainer: an in-memory container (filesystem seeded per
 * image, process table, /proc) whose `exec` runs emulated programs only.
 * No host process, host file or socket is ever used: the programs are
 * TypeScript functions over the in-memory state, and this directory may not
 * import child_process, worker_threads or fs (lint rule).
 */
import {
  CommandNotFoundError,
  type ContainerContext,
  type CreateEmulatedContainer,
  type EmulatedContainer,
  type ExecIO,
} from '../contracts';
import { APP_PROGRAMS } from './commands/apps';
import { FILE_PROGRAMS } from './commands/files';
import { NET_PROGRAMS } from './commands/net';
import { SYSTEM_PROGRAMS } from './commands/system';
import { TEXT_PROGRAMS } from './commands/text';
import {
  RUNTIMES,
  detectProfile,
  initialProcesses,
  mountProc,
  seedFilesystem,
} from './image';
import { FsError, readChunks, type DirNode, type Node } from './memfs';
import {
  Interrupted,
  ProcessTable,
  write,
  type Process,
  type Program,
  type Runtime,
} from './runtime';
import {
  ExitSignal,
  Shell,
  SpawnError,
  type IoCtx,
  type ShellFlavour,
  type ShellHost,
} from './shell/interp';
import {
  BrokenPipe,
  EMPTY,
  bytesInput,
  type Input,
  type Output,
} from './streams';
import { Terminal } from './terminal';

/** Emulated programs by name (the shells are added below). */
const PROGRAMS: Record<string, Program> = {
  ...FILE_PROGRAMS,
  ...TEXT_PROGRAMS,
  ...SYSTEM_PROGRAMS,
  ...NET_PROGRAMS,
  ...APP_PROGRAMS,
};

const SHELLS = new Set(['sh', 'ash', 'dash', 'bash']);
/** A pids cgroup limit: more live processes than this and "fork" fails. */
const MAX_PROCESSES = 256;
const MAX_NESTING = 48;
const MAX_ARG_BYTES = 2 * 1024 * 1024;

class Container implements EmulatedContainer, ShellHost {
  readonly rt: Runtime;
  private nesting = 0;
  private lastPid = 1;
  terminal?: Terminal;

  constructor(readonly context: ContainerContext) {
    const clock = context.clock;
    const createdAt = clock.now();
    const startedAt = Math.min(
      createdAt,
      context.startedAt ?? createdAt - 20 * 60_000,
    );
    const profile = detectProfile(context);
    const bootedAt =
      startedAt -
      (2 * 86400_000 +
        (((context.nodeName ?? 'node').length * 3_671_000) % 86400_000));
    const procs = new ProcessTable(
      initialProcesses(profile, startedAt, () => clock.now()),
      7 + (context.podName.length % 5),
    );
    const partial = {
      context,
      profile,
      clock,
      startedAt,
      bootedAt,
      procs,
    } as Omit<Runtime, 'fs'>;
    const fs = seedFilesystem(partial, () => clock.now());
    this.rt = { ...partial, fs };
    // Files of the image were built before the container started.
    const imageTime = startedAt - 3 * 86400_000;
    const stamp = (n: Node) => {
      if (n.mtime === 0 || n.mtime >= createdAt) n.mtime = imageTime;
      if (n.type === 'dir' && !n.dynamic)
        for (const c of n.children.values()) stamp(c);
    };
    stamp(fs.root);
    for (const p of ['/tmp', '/var/log/app', '/usr/src/app/logs']) {
      const n = fs.tryLookup(p);
      if (n) n.mtime = startedAt;
    }
    mountProc(this.rt, () => this.lastPid);
  }

  // ---------------------------------------------------------------- ShellHost

  enter(): boolean {
    if (this.nesting >= MAX_NESTING) return false;
    this.nesting++;
    return true;
  }

  leave(): void {
    this.nesting = Math.max(0, this.nesting - 1);
  }

  which(name: string, path: string, cwd: string): string | undefined {
    try {
      return this.locate(name, path, cwd).path;
    } catch {
      return undefined;
    }
  }

  /** PATH lookup in the in-memory filesystem. */
  private locate(
    name: string,
    path: string,
    cwd: string,
  ): { path: string; node: Node } {
    if (name === '' || name.includes('\0') || Buffer.byteLength(name) > 4096)
      throw new SpawnError('notfound', name);
    if (name.includes('/')) {
      try {
        const r = this.rt.fs.resolve(name, cwd);
        return { path: r.path, node: r.node };
      } catch {
        throw new SpawnError('notfound', name);
      }
    }
    for (const dir of (
      path || '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
    ).split(':')) {
      if (!dir.startsWith('/')) continue;
      try {
        const r = this.rt.fs.resolve(`${dir}/${name}`, '/');
        if (r.node.type === 'file' && r.node.mode & 0o111)
          return { path: `${dir}/${name}`, node: r.node };
      } catch {
        // keep looking
      }
    }
    throw new SpawnError('notfound', name);
  }

  async spawn(
    invokedArgv: string[],
    env: Record<string, string>,
    cwd: string,
    io: IoCtx,
    ppid: number,
  ): Promise<number> {
    let argv = invokedArgv;
    if (argv.reduce((n, a) => n + a.length, 0) > MAX_ARG_BYTES) {
      await write(io.stderr, `${argv[0]}: Argument list too long\n`);
      return 126;
    }
    const { path, node } = this.locate(argv[0], env.PATH ?? '', cwd);
    if (node.type === 'dir') throw new SpawnError('isdir', argv[0]);
    if (node.type !== 'file' || !(node.mode & 0o111))
      throw new SpawnError('denied', argv[0]);
    if (this.rt.procs.list().length >= MAX_PROCESSES)
      throw new SpawnError('limit', argv[0]);

    let program: Program | undefined;
    let name = argv[0].split('/').pop() ?? argv[0];
    if (node.program === 'busybox') {
      // busybox runs the applet it was invoked as (or `busybox <applet> ...`).
      const invoked = (path.split('/').pop() ?? '').replace(/^busybox$/, '');
      const applet = invoked || argv[1];
      if (!invoked) argv = argv.slice(1);
      if (!applet) {
        await write(
          io.stdout,
          'BusyBox v1.36.1 (2024-06-10 07:11:47 UTC) multi-call binary.\nUsage: busybox [function [arguments]...]\n',
        );
        return 0;
      }
      name = applet;
      program = SHELLS.has(applet)
        ? shellProgram(applet === 'sh' ? 'sh' : 'ash', this)
        : PROGRAMS[applet];
      if (!program) {
        await write(io.stderr, `${applet}: applet not found\n`);
        return 127;
      }
    } else if (node.program) {
      name = node.program;
      program = SHELLS.has(node.program)
        ? shellProgram(node.program as ShellFlavour, this)
        : PROGRAMS[node.program];
    }
    if (!program) {
      // A file the user made executable: a script for the shell, or junk.
      let head = '';
      for (const c of readChunks(node.content, 4096)) {
        head = c;
        break;
      }
      if (head.includes('\0')) throw new SpawnError('format', argv[0]);
      const interpreter =
        /^#!\s*\S*bash/.test(head) && this.rt.profile.shells.includes('bash')
          ? 'bash'
          : 'sh';
      program = shellProgram(interpreter, this);
      argv = [interpreter, path, ...argv.slice(1)];
      name = interpreter;
    }
    return this.run(program, name, argv, env, cwd, io, ppid);
  }

  /** Runs a program as a process of the container. */
  async run(
    program: Program,
    name: string,
    argv: string[],
    env: Record<string, string>,
    cwd: string,
    io: IoCtx,
    ppid: number,
  ): Promise<number> {
    const controller = new AbortController();
    let killedBy = 0;
    const onAbort = () => controller.abort();
    if (io.signal.aborted) controller.abort();
    io.signal.addEventListener('abort', onAbort, { once: true });
    const started = this.rt.clock.now();
    const proc = this.rt.procs.spawn({
      ppid,
      argv,
      user: 'root',
      startedAt: started,
      tty: this.terminal ? 'pts/0' : '?',
      rssKb: 1_600 + (argv.join(' ').length % 900),
      vszKb: 4_628,
      cpuMs: () => Math.min(20, (this.rt.clock.now() - started) / 1000),
      state: () => (name === 'ps' || name === 'top' ? 'R+' : 'S+'),
      kill: signal => {
        killedBy = signal;
        controller.abort();
      },
    });
    this.lastPid = proc.pid;
    const p: Process = {
      argv,
      env,
      cwd,
      stdin: io.stdin,
      stdout: io.stdout,
      stderr: io.stderr,
      signal: controller.signal,
      rt: this.rt,
      pid: proc.pid,
      terminal: this.terminal,
      stdoutIsTty: io.stdoutIsTty,
      name:
        name === 'realpath' ? 'realpath' : argv[0]?.split('/').pop() ?? name,
      run: (a, o) =>
        this.spawn(
          a,
          env,
          cwd,
          {
            stdin: o?.stdin ?? EMPTY,
            stdout: o?.stdout ?? io.stdout,
            stderr: o?.stderr ?? io.stderr,
            signal: o?.signal ?? controller.signal,
            stdoutIsTty: io.stdoutIsTty,
          },
          proc.pid,
        ),
    };
    try {
      return await program(p);
    } catch (e) {
      if (e instanceof Interrupted) {
        if (killedBy) return 128 + killedBy;
        throw e;
      }
      if (e instanceof BrokenPipe) return 141;
      if (e instanceof ExitSignal) return e.code;
      if (e instanceof SpawnError) throw e;
      if (e instanceof FsError) {
        await write(io.stderr, `${p.name}: ${e.path}: ${e.message}\n`).catch(
          () => undefined,
        );
        return 1;
      }
      await write(
        io.stderr,
        `${p.name}: ${e instanceof Error ? e.message : String(e)}\n`,
      ).catch(() => undefined);
      return 1;
    } finally {
      io.signal.removeEventListener('abort', onAbort);
      this.rt.procs.exit(proc.pid);
      if (this.lastPid === proc.pid) this.lastPid = ppid;
    }
  }

  // ---------------------------------------------------------------- exec

  async exec(argv: string[], io: ExecIO): Promise<number> {
    if (argv.length === 0) throw new CommandNotFoundError('');
    const interactiveTty = io.tty && io.stdin !== null;
    const pass = (fn: (chunk: string) => void | Promise<void>) => fn;
    const rawOut = pass(
      chunk => io.stdout(chunk) as unknown as void | Promise<void>,
    );
    const term = interactiveTty ? new Terminal(io, rawOut) : undefined;
    const stdout: Output = term
      ? { write: s => term.write(s) }
      : { write: s => io.stdout(s) as unknown as void | Promise<void> };
    // With a tty there is one stream: stderr goes to the terminal too.
    const stderr: Output = term
      ? stdout
      : { write: s => io.stderr(s) as unknown as void | Promise<void> };
    let stdin: Input = EMPTY;
    if (term) stdin = term.cookedInput();
    else if (io.stdin) stdin = bytesInput(io.stdin);

    let located: { path: string; node: Node };
    try {
      located = this.locate(
        argv[0],
        this.context.env.PATH ?? '',
        this.workdir(),
      );
      if (located.node.type !== 'file' || !(located.node.mode & 0o111))
        throw new SpawnError('denied', argv[0]);
    } catch {
      throw new CommandNotFoundError(argv[0]);
    }
    const previous = this.terminal;
    this.terminal = term;
    const top = new AbortController();
    const onAbort = () => top.abort();
    io.signal.addEventListener('abort', onAbort, { once: true });
    if (io.signal.aborted) top.abort();
    const invokedAs = located.path.split('/').pop() ?? '';
    const isShell =
      located.node.type === 'file' &&
      (SHELLS.has(located.node.program ?? '') ||
        (located.node.program === 'busybox' && SHELLS.has(invokedAs)));
    const release =
      term && !isShell ? term.setForeground(() => top.abort()) : undefined;
    const env = {
      ...this.baseEnv(),
      ...(io.tty ? { TERM: this.context.env.TERM ?? 'xterm' } : {}),
    };
    try {
      return await this.spawn(
        argv,
        env,
        this.workdir(),
        { stdin, stdout, stderr, signal: top.signal, stdoutIsTty: !!term },
        0,
      );
    } catch (e) {
      if (e instanceof Interrupted) return 130;
      if (e instanceof SpawnError) throw new CommandNotFoundError(argv[0]);
      throw e;
    } finally {
      release?.();
      io.signal.removeEventListener('abort', onAbort);
      this.terminal = previous;
    }
  }

  private workdir(): string {
    return RUNTIMES[this.rt.profile.runtime].workdir;
  }

  private baseEnv(): Record<string, string> {
    return {
      PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      HOSTNAME: this.context.podName,
      HOME: '/root',
      ...(this.rt.profile.runtime === 'java'
        ? {
            JAVA_HOME: '/opt/java/openjdk',
            JAVA_VERSION: 'jdk-21.0.4+7',
            LANG: 'en_US.UTF-8',
          }
        : {}),
      ...(this.rt.profile.runtime === 'node'
        ? { NODE_VERSION: '20.17.0', YARN_VERSION: '1.22.22' }
        : {}),
      ...this.context.env,
    };
  }
}

/** `sh` is ash on Alpine (busybox) and dash on Debian/Ubuntu. */
function shellFlavour(flavour: ShellFlavour, busybox: boolean): ShellFlavour {
  if (flavour !== 'sh') return flavour;
  return busybox ? 'ash' : 'dash';
}

/** sh / ash / dash / bash as an emulated program. */
function shellProgram(flavour: ShellFlavour, host: Container): Program {
  return async p => {
    const args = p.argv.slice(1);
    let script: string | undefined;
    let file: string | undefined;
    const opts = { e: false, x: false, u: false, i: false, s: false };
    let positional: string[] = [];
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      if (a === '--version' && flavour === 'bash') {
        await write(
          p.stdout,
          'GNU bash, version 5.1.16(1)-release (x86_64-pc-linux-gnu)\nCopyright (C) 2020 Free Software Foundation, Inc.\n',
        );
        return 0;
      }
      if (a === '-c') {
        script = args[++i];
        if (script === undefined) {
          await write(
            p.stderr,
            `${
              flavour === 'bash' ? 'bash' : 'sh'
            }: -c: option requires an argument\n`,
          );
          return 2;
        }
        positional = args.slice(i + 1);
        break;
      }
      if (
        a === '--login' ||
        a === '-l' ||
        a === '--norc' ||
        a === '--noprofile' ||
        a === '--posix'
      )
        continue;
      if (a === '-o') {
        i++;
        continue;
      }
      if (/^-[a-zA-Z]+$/.test(a)) {
        for (const c of a.slice(1)) {
          if (c === 'c') {
            script = args[++i];
            positional = args.slice(i + 1);
            i = args.length;
            break;
          }
          if (c in opts) (opts as Record<string, boolean>)[c] = true;
        }
        continue;
      }
      file = a;
      positional = args.slice(i + 1);
      break;
    }
    if (!host.enter()) {
      await write(
        p.stderr,
        `${
          flavour === 'bash' ? 'bash' : 'sh'
        }: fork: Resource temporarily unavailable\n`,
      );
      return 2;
    }
    const env: Record<string, string> = {
      ...p.env,
      SHLVL: String(Number(p.env.SHLVL ?? 0) + 1),
    };
    const interactive =
      script === undefined &&
      file === undefined &&
      !!p.terminal &&
      p.stdoutIsTty;
    const shell = new Shell(
      host,
      shellFlavour(flavour, host.rt.profile.busybox),
      env,
      p.cwd,
      p.pid,
      interactive,
    );
    if (flavour === 'sh' && !host.rt.profile.busybox) shell.name = 'sh';
    shell.opts.errexit = opts.e;
    shell.opts.xtrace = opts.x;
    shell.opts.nounset = opts.u;
    const io: IoCtx = {
      stdin: p.stdin,
      stdout: p.stdout,
      stderr: p.stderr,
      signal: p.signal,
      stdoutIsTty: p.stdoutIsTty,
    };
    try {
      if (script !== undefined) {
        if (positional.length) {
          shell.name = positional[0];
          shell.positional = positional.slice(1);
        }
        // bash reads $BASH_ENV for non-interactive shells: from the container's own files.
        if (flavour === 'bash' && env.BASH_ENV) {
          try {
            const n = host.rt.fs.lookup(env.BASH_ENV, p.cwd);
            if (n.type === 'file')
              await shell.runSource(
                [...readChunks(n.content)].join('').slice(0, 1024 * 1024),
                io,
              );
          } catch {
            // a missing BASH_ENV is ignored, as bash does
          }
        }
        await shell.runSource(script, io);
        await shell.settle();
        return shell.status;
      }
      if (file !== undefined) {
        let text = '';
        try {
          const n = host.rt.fs.lookup(file, p.cwd);
          if (n.type === 'dir') throw new FsError('EISDIR', file);
          if (n.type !== 'file') throw new FsError('ENOENT', file);
          for (const c of readChunks(n.content)) {
            text += c;
            if (text.length > 4 * 1024 * 1024) break;
          }
        } catch (e) {
          await write(
            p.stderr,
            flavour === 'bash'
              ? `bash: ${file}: ${(e as Error).message}\n`
              : `sh: can't open '${file}': ${(e as Error).message}\n`,
          );
          return 127;
        }
        shell.name = file;
        shell.positional = positional;
        await shell.runSource(text, io);
        await shell.settle();
        return shell.status;
      }
      if (interactive && p.terminal)
        return await shell.interactiveLoop(p.terminal, io);
      return await shell.streamLoop(p.stdin, io);
    } catch (e) {
      if (e instanceof ExitSignal) return e.code;
      throw e;
    } finally {
      shell.abortJobs();
      host.leave();
    }
  };
}

export const createEmulatedContainer: CreateEmulatedContainer = context =>
  new Container(context);

export type { DirNode };
