/**
 * The emulated shell (sh/ash/dash/bash flavours): expansion, redirection,
 * pipelines, control flow and builtins over the emulated container. Every
 * command it runs is an emulated program; it never starts a host process.
 */
import { FsError, normalise, readChunks } from '../memfs';
import { Interrupted, write, type Process, type Runtime } from '../runtime';
import {
  BrokenPipe,
  DISCARD,
  EMPTY,
  Pipe,
  yieldToEventLoop,
  type Input,
  type Output,
} from '../streams';
import type { Terminal } from '../terminal';
import { echoText, evaluateTest, printfText } from '../commands/text';
import { globMatcher, wholeMatch } from '../commands/regex';
import {
  IncompleteInput,
  Parser,
  SyntaxError,
  type AndOr,
  type Command,
  type List,
  type Pipeline,
  type Redir,
  type Word,
  type WordPart,
} from './parse';

export type ShellFlavour = 'sh' | 'ash' | 'dash' | 'bash';

export class ExitSignal extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

/** The program could not be found or run (the shell prints the message). */
export class SpawnError extends Error {
  constructor(
    readonly kind: 'notfound' | 'denied' | 'isdir' | 'format' | 'limit',
    readonly path: string,
  ) {
    super(kind);
  }
}

export interface IoCtx {
  stdin: Input;
  stdout: Output;
  stderr: Output;
  signal: AbortSignal;
  stdoutIsTty: boolean;
}

/** What the shell needs from the container. */
export interface ShellHost {
  rt: Runtime;
  terminal?: Terminal;
  /** Runs an external program (PATH lookup, process table); throws SpawnError. */
  spawn(
    argv: string[],
    env: Record<string, string>,
    cwd: string,
    io: IoCtx,
    ppid: number,
  ): Promise<number>;
  /** Where a command name resolves on PATH (for `type`, `command -v`). */
  which(name: string, path: string, cwd: string): string | undefined;
  /** Nesting guard shared by every shell of the container. */
  enter(): boolean;
  leave(): void;
}

interface Var {
  value: string;
  exported: boolean;
}

const MAX_CAPTURE = 16 * 1024 * 1024;
const BUILTIN_NAMES = [
  'cd',
  'pwd',
  'export',
  'unset',
  'readonly',
  'set',
  'exit',
  'return',
  'true',
  'false',
  ':',
  'echo',
  'printf',
  'test',
  '[',
  'read',
  'eval',
  'exec',
  'source',
  '.',
  'type',
  'command',
  'alias',
  'unalias',
  'history',
  'jobs',
  'wait',
  'shift',
  'umask',
  'ulimit',
  'trap',
  'times',
  'hash',
  'let',
  'declare',
  'typeset',
  'local',
  'logout',
  'help',
  'builtin',
  'bg',
  'fg',
  'getopts',
  'kill',
];

interface Seg {
  text: string;
  q: boolean;
  split?: boolean;
  breakBefore?: boolean;
}

class ExpansionError extends Error {
  constructor(message: string, readonly code: number, readonly fatal: boolean) {
    super(message);
  }
}

/** `return` in a sourced script. */
class ReturnSignal extends Error {
  constructor(readonly code: number) {
    super(`return ${code}`);
  }
}

function stripQuotes(s: string): string {
  if (
    s.length >= 2 &&
    ((s.startsWith("'") && s.endsWith("'")) ||
      (s.startsWith('"') && s.endsWith('"')))
  )
    return s.slice(1, -1);
  return s;
}

/** Source text inside `${x:-...}` / `$((...))` as a word (expansions active, blanks literal). */
function parseInner(s: string): Word {
  if (!/[$`\\]/.test(s)) return [{ t: 'lit', v: s, q: true }];
  const list = Parser.parse(`: "${s.replace(/(["])/g, '\\$1')}"`);
  const cmd = list[0]?.first.cmds[0];
  if (cmd?.t === 'simple' && cmd.words[1]) return cmd.words[1];
  return [{ t: 'lit', v: s, q: true }];
}

/** An input that streams a device. */
function deviceInput(device: string, signal: AbortSignal): Input {
  let i = 0;
  return {
    read: async () => {
      if (signal.aborted) throw new Interrupted();
      if (++i % 8 === 0) await yieldToEventLoop();
      return device === 'zero'
        ? '\0'.repeat(16384)
        : String.fromCharCode(
            ...Array.from(
              { length: 4096 },
              (_, j) => (Math.imul(i * 4096 + j, 2654435761) >>> 24) & 0xff,
            ),
          );
    },
  };
}

function jobStatus(e: unknown): number {
  if (e instanceof ExitSignal) return e.code;
  return e instanceof Interrupted ? 130 : 1;
}

function joinGlob(base: string, name: string): string {
  if (base === '') return name;
  return base === '/' ? `/${name}` : `${base}/${name}`;
}

function createErrorMessage(e: unknown, flavour: ShellFlavour): string {
  if (!(e instanceof FsError)) return String(e);
  if (e.code !== 'ENOENT') return e.message;
  return flavour === 'bash'
    ? 'No such file or directory'
    : 'nonexistent directory';
}

/** `$(( ))`: a small precedence-climbing evaluator over integer tokens (no eval). */
class Arithmetic {
  private readonly toks: string[];
  private i = 0;

  constructor(
    private readonly src: string,
    private readonly vars: {
      get(name: string): string | undefined;
      set(name: string, value: string): void;
    },
  ) {
    this.toks =
      src.match(
        /0x[0-9a-fA-F]+|\d+|[A-Za-z_]\w*|\*\*=?|<<=?|>>=?|&&|\|\||[-+*/%&|^]=|==|!=|<=|>=|\+\+|--|[-+*/%()<>!~&|^?:=,]/g,
      ) ?? [];
    if (this.toks.join('').replace(/\s/g, '') !== src.replace(/\s/g, ''))
      throw this.error();
  }

  evaluate(): number {
    if (this.toks.length === 0) return 0;
    const v = this.comma();
    if (this.i < this.toks.length) throw this.error();
    return v;
  }

  private error(
    what = `arithmetic syntax error: "${this.src.trim()}"`,
  ): ExpansionError {
    return new ExpansionError(what, 2, false);
  }

  private peek(): string | undefined {
    return this.toks[this.i];
  }

  private num(name: string): number {
    const v = this.vars.get(name) ?? '0';
    const n = Number(v.trim() || '0');
    if (!Number.isFinite(n))
      throw this.error(`arithmetic syntax error: "${v}"`);
    return Math.trunc(n);
  }

  private div(a: number, b: number): number {
    if (b === 0) throw this.error('division by zero');
    return Math.trunc(a / b);
  }

  private comma(): number {
    let v = this.conditional();
    while (this.peek() === ',') {
      this.i++;
      v = this.conditional();
    }
    return v;
  }

  private conditional(): number {
    const c = this.binary(0);
    if (this.peek() !== '?') return c;
    this.i++;
    const a = this.conditional();
    if (this.toks[this.i++] !== ':')
      throw this.error('arithmetic syntax error: expecting ":"');
    const b = this.conditional();
    return c ? a : b;
  }

  private static readonly LEVELS: Array<
    Record<string, (a: number, b: number) => number>
  > = [
    { '||': (a, b) => +(!!a || !!b) },
    { '&&': (a, b) => +(!!a && !!b) },
    { '|': (a, b) => a | b },
    { '^': (a, b) => a ^ b },
    { '&': (a, b) => a & b },
    { '==': (a, b) => +(a === b), '!=': (a, b) => +(a !== b) },
    {
      '<': (a, b) => +(a < b),
      '>': (a, b) => +(a > b),
      '<=': (a, b) => +(a <= b),
      '>=': (a, b) => +(a >= b),
    },
    { '<<': (a, b) => a << b, '>>': (a, b) => a >> b },
    { '+': (a, b) => a + b, '-': (a, b) => a - b },
    { '*': (a, b) => a * b, '/': () => 0, '%': () => 0 },
  ];

  private binary(level: number): number {
    if (level >= Arithmetic.LEVELS.length) return this.power();
    const ops = Arithmetic.LEVELS[level];
    let v = this.binary(level + 1);
    for (let op = this.peek(); op !== undefined && ops[op]; op = this.peek()) {
      this.i++;
      const r = this.binary(level + 1);
      if (op === '/') v = this.div(v, r);
      else if (op === '%') v = r === 0 ? this.div(v, r) : v % r;
      else v = ops[op](v, r);
    }
    return v;
  }

  private power(): number {
    const b = this.unary();
    if (this.peek() === '**') {
      this.i++;
      return b ** this.power();
    }
    return b;
  }

  private unary(): number {
    const t = this.toks[this.i++];
    if (t === undefined) throw this.error('arithmetic syntax error');
    switch (t) {
      case '(': {
        const v = this.comma();
        if (this.toks[this.i++] !== ')')
          throw this.error('arithmetic syntax error: missing )');
        return v;
      }
      case '-':
        return -this.unary();
      case '+':
        return this.unary();
      case '!':
        return this.unary() ? 0 : 1;
      case '~':
        return ~this.unary();
      case '++':
      case '--': {
        const n = this.toks[this.i++];
        const v = this.num(n) + (t === '++' ? 1 : -1);
        this.vars.set(n, String(v));
        return v;
      }
      default:
        return this.operand(t);
    }
  }

  private operand(t: string): number {
    if (/^0x/i.test(t)) return parseInt(t, 16);
    if (/^\d+$/.test(t))
      return t.length > 1 && t.startsWith('0') ? parseInt(t, 8) : Number(t);
    if (!/^[A-Za-z_]/.test(t)) throw this.error();
    const next = this.peek();
    if (next && ['=', '+=', '-=', '*=', '/=', '%='].includes(next)) {
      this.i++;
      const r = this.conditional();
      const cur = this.num(t);
      let v = r;
      if (next === '+=') v = cur + r;
      else if (next === '-=') v = cur - r;
      else if (next === '*=') v = cur * r;
      else if (next === '/=') v = this.div(cur, r);
      else if (next === '%=') v = cur % r;
      this.vars.set(t, String(v));
      return v;
    }
    if (next === '++' || next === '--') {
      this.i++;
      const v = this.num(t);
      this.vars.set(t, String(v + (next === '++' ? 1 : -1)));
      return v;
    }
    return this.num(t);
  }
}

export class Shell {
  vars = new Map<string, Var>();
  cwd: string;
  status = 0;
  positional: string[] = [];
  history: string[] = [];
  name: string;
  pid: number;
  opts = { errexit: false, xtrace: false, nounset: false, pipefail: false };
  private jobs: Array<{
    id: number;
    pid: number;
    text: string;
    done: Promise<number>;
    finished: boolean;
    status: number;
  }> = [];
  private lastBg = 0;
  private commandsRun = 0;
  private condition = 0;
  private sourced = 0;

  constructor(
    private readonly host: ShellHost,
    readonly flavour: ShellFlavour,
    env: Record<string, string>,
    cwd: string,
    pid: number,
    readonly interactive: boolean,
  ) {
    for (const [k, v] of Object.entries(env))
      this.vars.set(k, { value: v, exported: true });
    this.cwd = cwd;
    this.pid = pid;
    this.name = flavour === 'bash' ? 'bash' : 'sh';
    if (!this.vars.has('PWD')) this.setVar('PWD', cwd, true);
    if (!this.vars.has('HOME')) this.setVar('HOME', '/root', true);
    if (!this.vars.has('PATH'))
      this.setVar(
        'PATH',
        '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        true,
      );
    if (!this.vars.has('SHLVL')) this.setVar('SHLVL', '1', true);
    this.setVar('IFS', ' \t\n', false);
    this.setVar('PPID', '0', false);
    if (flavour === 'bash')
      this.setVar('BASH_VERSION', '5.1.16(1)-release', false);
  }

  get rt(): Runtime {
    return this.host.rt;
  }

  /** A copy for subshells (pipelines, `( )`, `$( )`): changes do not flow back. */
  clone(): Shell {
    const s = new Shell(this.host, this.flavour, {}, this.cwd, this.pid, false);
    s.vars = new Map([...this.vars].map(([k, v]) => [k, { ...v }]));
    s.status = this.status;
    s.positional = [...this.positional];
    s.name = this.name;
    s.opts = { ...this.opts };
    return s;
  }

  getVar(name: string): string | undefined {
    return this.vars.get(name)?.value;
  }

  setVar(name: string, value: string, exported?: boolean): void {
    const cur = this.vars.get(name);
    this.vars.set(name, {
      value,
      exported: exported ?? cur?.exported ?? false,
    });
  }

  exportedEnv(): Record<string, string> {
    const env: Record<string, string> = {};
    for (const [k, v] of this.vars) if (v.exported) env[k] = v.value;
    return env;
  }

  /** The message style of this shell: `sh: foo: not found`, `bash: foo: command not found`. */
  private async complain(io: IoCtx, what: string): Promise<void> {
    const prefix =
      this.flavour === 'dash' ? `${this.name}: 1: ` : `${this.name}: `;
    await write(io.stderr, `${prefix}${what}\n`);
  }

  // ---------------------------------------------------------------- entry points

  /** Parses and runs source text; syntax errors give status 2. */
  async runSource(src: string, io: IoCtx): Promise<number> {
    let list: List;
    try {
      list = Parser.parse(src);
    } catch (e) {
      if (e instanceof IncompleteInput || e instanceof SyntaxError) {
        await this.syntaxError(io, e);
        this.status = 2;
        return 2;
      }
      throw e;
    }
    return this.runList(list, io);
  }

  async syntaxError(io: IoCtx, e: Error): Promise<void> {
    if (e instanceof IncompleteInput) {
      if (this.flavour === 'bash')
        await this.complain(io, `syntax error: unexpected end of file`);
      else
        await this.complain(
          io,
          e.message === "'" || e.message === '"'
            ? 'syntax error: unterminated quoted string'
            : 'syntax error: unexpected end of file',
        );
    } else if (e instanceof SyntaxError) {
      if (this.flavour === 'bash')
        await this.complain(
          io,
          `syntax error near unexpected token \`${e.token}'`,
        );
      else await this.complain(io, `syntax error: unexpected "${e.token}"`);
    }
  }

  /** Whether `src` is complete (interactive shells ask for more with PS2 otherwise). */
  static isIncomplete(src: string): boolean {
    try {
      Parser.parse(src);
      return false;
    } catch (e) {
      return e instanceof IncompleteInput;
    }
  }

  // ---------------------------------------------------------------- lists

  async runList(list: List, io: IoCtx): Promise<number> {
    for (const item of list) {
      if (io.signal.aborted) throw new Interrupted();
      if (item.background) {
        this.startJob(item, io);
        this.status = 0;
        continue;
      }
      this.status = await this.runAndOr(item, io);
      if (this.opts.errexit && this.status !== 0 && this.condition === 0)
        throw new ExitSignal(this.status);
    }
    return this.status;
  }

  private startJob(item: AndOr, io: IoCtx): void {
    const sub = this.clone();
    const id = this.jobs.filter(j => !j.finished).length + 1;
    const pid =
      this.rt.procs.list().reduce((m, pr) => Math.max(m, pr.pid), 0) + 1;
    const job = {
      id,
      pid,
      text: '',
      done: Promise.resolve(0),
      finished: false,
      status: 0,
    };
    job.done = sub
      .runAndOr({ ...item, background: false }, { ...io, stdin: EMPTY })
      .catch(jobStatus)
      .then(code => {
        job.finished = true;
        job.status = code;
        return code;
      });
    this.jobs.push(job);
    this.lastBg = pid;
    if (this.interactive) void write(io.stderr, `[${id}] ${pid}\n`);
  }

  async runAndOr(item: AndOr, io: IoCtx): Promise<number> {
    const conditional = item.rest.length > 0;
    if (conditional) this.condition++;
    let status: number;
    try {
      status = await this.runPipeline(item.first, io);
      for (let i = 0; i < item.rest.length; i++) {
        const { op, p } = item.rest[i];
        if (i === item.rest.length - 1) this.condition--;
        if ((op === '&&' && status === 0) || (op === '||' && status !== 0)) {
          status = await this.runPipeline(p, io);
        }
        if (i === item.rest.length - 1) this.condition++;
      }
    } finally {
      if (conditional) this.condition--;
    }
    this.status = status;
    return status;
  }

  async runPipeline(pl: Pipeline, io: IoCtx): Promise<number> {
    if (pl.negate) this.condition++;
    let status: number;
    try {
      if (pl.cmds.length === 1) {
        status = await this.runCommand(pl.cmds[0], io);
      } else {
        const pipes = pl.cmds.slice(1).map(() => new Pipe());
        const results = await Promise.all(
          pl.cmds.map(async (cmd, i) => {
            const stdin = i === 0 ? io.stdin : pipes[i - 1];
            const stdout = i === pl.cmds.length - 1 ? io.stdout : pipes[i];
            const sub = this.clone();
            try {
              return await sub.runCommand(cmd, {
                ...io,
                stdin,
                stdout,
                stdoutIsTty: i === pl.cmds.length - 1 && io.stdoutIsTty,
              });
            } catch (e) {
              if (e instanceof ExitSignal) return e.code;
              if (e instanceof BrokenPipe) return 141;
              throw e;
            } finally {
              if (i < pl.cmds.length - 1) pipes[i].end();
              if (i > 0) pipes[i - 1].close();
            }
          }),
        );
        status = results[results.length - 1];
        if (this.opts.pipefail)
          status = [...results].reverse().find(r => r !== 0) ?? 0;
      }
    } finally {
      if (pl.negate) this.condition--;
    }
    if (pl.negate) return status === 0 ? 1 : 0;
    return status;
  }

  // ---------------------------------------------------------------- commands

  async runCommand(cmd: Command, io: IoCtx): Promise<number> {
    if (++this.commandsRun % 64 === 0) await yieldToEventLoop();
    if (io.signal.aborted) throw new Interrupted();
    const redirected = await this.applyRedirs(cmd.redirs, io);
    if (typeof redirected === 'number') return (this.status = redirected);
    const cio = redirected;
    switch (cmd.t) {
      case 'simple':
        return (this.status = await this.runSimple(cmd, cio));
      case 'group':
        if (cmd.subshell) {
          const sub = this.clone();
          try {
            return (this.status = await sub.runList(cmd.body, cio));
          } catch (e) {
            if (e instanceof ExitSignal) return (this.status = e.code);
            throw e;
          }
        }
        return this.runList(cmd.body, cio);
      case 'if': {
        for (const clause of cmd.clauses) {
          this.condition++;
          let c: number;
          try {
            c = await this.runList(clause.cond, cio);
          } finally {
            this.condition--;
          }
          if (c === 0) return this.runList(clause.body, cio);
        }
        this.status = 0;
        return cmd.otherwise ? this.runList(cmd.otherwise, cio) : 0;
      }
      case 'for': {
        const items = cmd.items
          ? await this.expandWords(cmd.items, cio)
          : [...this.positional];
        let status = 0;
        for (const item of items) {
          this.setVar(cmd.name, item);
          status = await this.runList(cmd.body, cio);
          await this.tick(cio);
        }
        return (this.status = status);
      }
      case 'while': {
        let status = 0;
        for (;;) {
          this.condition++;
          let c: number;
          try {
            c = await this.runList(cmd.cond, cio);
          } finally {
            this.condition--;
          }
          if ((c === 0) === cmd.until) break;
          status = await this.runList(cmd.body, cio);
          await this.tick(cio);
        }
        return (this.status = status);
      }
      default:
        return 0;
    }
  }

  /** Loops yield to the event loop and stop when interrupted. */
  private async tick(io: IoCtx): Promise<void> {
    if (io.signal.aborted) throw new Interrupted();
    if (++this.commandsRun % 32 === 0) await yieldToEventLoop();
  }

  private async runSimple(
    cmd: Extract<Command, { t: 'simple' }>,
    io: IoCtx,
  ): Promise<number> {
    let argv: string[];
    const assigned: Array<[string, string]> = [];
    try {
      for (const a of cmd.assigns)
        assigned.push([a.name, await this.expandWordNoSplit(a.value, io)]);
      argv = await this.expandWords(cmd.words, io);
    } catch (e) {
      if (e instanceof ExpansionError) {
        await this.complain(io, e.message);
        if (!this.interactive && e.fatal) throw new ExitSignal(e.code);
        return e.code;
      }
      throw e;
    }
    if (argv.length === 0) {
      for (const [k, v] of assigned) this.setVar(k, v);
      return this.lastSubstitutionStatus ?? 0;
    }
    if (this.opts.xtrace)
      await write(
        io.stderr,
        `+ ${[...assigned.map(([k, v]) => `${k}=${v}`), ...argv].join(' ')}\n`,
      );
    const name = argv[0];
    if (
      BUILTIN_NAMES.includes(name) &&
      !(name === 'kill' && !argv.slice(1).some(a => a.startsWith('%')))
    ) {
      const saved = assigned.map(([k]) => [k, this.vars.get(k)] as const);
      for (const [k, v] of assigned) this.setVar(k, v);
      try {
        return await this.builtin(argv, io);
      } finally {
        if (
          ![
            'export',
            'readonly',
            'set',
            'declare',
            'typeset',
            'local',
          ].includes(name)
        ) {
          for (const [k, v] of saved) {
            if (v) this.vars.set(k, v);
            else this.vars.delete(k);
          }
        }
      }
    }
    const env = this.exportedEnv();
    for (const [k, v] of assigned) env[k] = v;
    return this.external(argv, env, io);
  }

  private async external(
    argv: string[],
    env: Record<string, string>,
    io: IoCtx,
  ): Promise<number> {
    try {
      return await this.host.spawn(argv, env, this.cwd, io, this.pid);
    } catch (e) {
      if (!(e instanceof SpawnError)) throw e;
      const n = argv[0];
      switch (e.kind) {
        case 'notfound':
          await this.complain(
            io,
            this.flavour === 'bash'
              ? `${n}: ${
                  n.includes('/')
                    ? 'No such file or directory'
                    : 'command not found'
                }`
              : `${n}: not found`,
          );
          return 127;
        case 'isdir':
          await this.complain(
            io,
            this.flavour === 'bash'
              ? `${n}: Is a directory`
              : `${n}: Permission denied`,
          );
          return 126;
        case 'format':
          await this.complain(
            io,
            `${n}: cannot execute binary file: Exec format error`,
          );
          return 126;
        case 'limit':
          await this.complain(io, 'fork: Resource temporarily unavailable');
          return 2;
        default:
          await this.complain(io, `${n}: Permission denied`);
          return 126;
      }
    }
  }

  // ---------------------------------------------------------------- redirections

  private async applyRedirs(
    redirs: Redir[],
    io: IoCtx,
  ): Promise<IoCtx | number> {
    if (redirs.length === 0) return io;
    const cio = { ...io };
    const fs = this.rt.fs;
    for (const r of redirs) {
      let target: string;
      try {
        target = await this.expandWordNoSplit(r.target, io);
      } catch (e) {
        if (e instanceof ExpansionError) {
          await this.complain(io, e.message);
          return e.code;
        }
        throw e;
      }
      if (r.op === '>&' || r.op === '<&') {
        if (target === '-') {
          if (r.fd === 0) cio.stdin = EMPTY;
          else if (r.fd === 1) cio.stdout = DISCARD;
          else if (r.fd === 2) cio.stderr = DISCARD;
          continue;
        }
        if (/^\d+$/.test(target)) {
          const src = Number(target);
          const pick = [undefined, cio.stdout, cio.stderr][src];
          if (r.fd === 0) continue;
          if (!pick) {
            await this.complain(io, `${target}: Bad file descriptor`);
            return 1;
          }
          if (r.fd === 1) {
            cio.stdout = pick;
            cio.stdoutIsTty = src === 1 ? cio.stdoutIsTty : io.stdoutIsTty;
          } else if (r.fd === 2) cio.stderr = pick;
          continue;
        }
      }
      const path = normalise(target, this.cwd);
      if (r.op === '<' || r.op === '<&' || r.op === '<>') {
        const node = fs.tryLookup(path);
        if (!node) {
          await this.complain(
            io,
            this.flavour === 'bash'
              ? `${target}: No such file or directory`
              : `can't open '${target}': No such file or directory`,
          );
          return 1;
        }
        if (node.type === 'dir') {
          await this.complain(
            io,
            this.flavour === 'bash'
              ? `${target}: Is a directory`
              : `can't open '${target}': Is a directory`,
          );
          return 1;
        }
        if (node.type === 'device') {
          if (node.device === 'null') cio.stdin = EMPTY;
          else if (node.device === 'stdin' || node.device === 'tty')
            cio.stdin = io.stdin;
          else cio.stdin = deviceInput(node.device, io.signal);
        } else if (node.type === 'file') {
          const gen = readChunks(node.content);
          cio.stdin = { read: async () => gen.next().value ?? null };
        }
        continue;
      }
      // output
      const node = fs.tryLookup(path);
      let output: Output;
      if (node?.type === 'device') {
        if (node.device === 'stdout' || node.device === 'tty')
          output = io.stdout;
        else output = node.device === 'stderr' ? io.stderr : DISCARD;
      } else {
        try {
          if (r.op !== '>>') fs.writeFile(path, '', '/', false);
          else if (!node) fs.writeFile(path, '', '/', true);
        } catch (e) {
          const msg = createErrorMessage(e, this.flavour);
          await this.complain(
            io,
            this.flavour === 'bash'
              ? `${target}: ${msg}`
              : `can't create ${target}: ${msg}`,
          );
          return 1;
        }
        output = {
          write: (chunk: string) => {
            fs.writeFile(path, chunk, '/', true);
          },
        };
      }
      if (r.op === '&>' || (r.op === '>&' && !/^\d+$/.test(target))) {
        cio.stdout = output;
        cio.stderr = output;
        cio.stdoutIsTty = false;
      } else if (r.fd === 1) {
        cio.stdout = output;
        cio.stdoutIsTty = false;
      } else if (r.fd === 2) cio.stderr = output;
    }
    return cio;
  }

  // ---------------------------------------------------------------- expansion

  private lastSubstitutionStatus?: number;

  /** Words → fields: parameter, command and arithmetic expansion, field splitting, globbing. */
  async expandWords(words: Word[], io: IoCtx): Promise<string[]> {
    this.lastSubstitutionStatus = undefined;
    const fields: string[] = [];
    for (const w of words) fields.push(...(await this.expandWord(w, io)));
    return fields;
  }

  async expandWordNoSplit(w: Word, io: IoCtx): Promise<string> {
    let s = '';
    for (const part of w) {
      const seg = await this.expandPart(part, io);
      s += seg.map(x => (x.breakBefore ? ' ' : '') + x.text).join('');
    }
    return s;
  }

  private async expandWord(w: Word, io: IoCtx): Promise<string[]> {
    const segs: Seg[] = [];
    for (const part of w) segs.push(...(await this.expandPart(part, io)));
    // field splitting
    const ifs = this.getVar('IFS') ?? ' \t\n';
    const out: Seg[][] = [];
    let cur: Seg[] = [];
    let has = false;
    for (const s of segs) {
      if (s.breakBefore && (has || cur.length)) {
        out.push(cur);
        cur = [];
        has = false;
      }
      if (!s.split || ifs === '') {
        cur.push(s);
        if (s.q || s.text) has = true;
        continue;
      }
      let buf = '';
      for (const ch of s.text) {
        if (ifs.includes(ch)) {
          if (buf) cur.push({ text: buf, q: false });
          if (buf || has) out.push(cur);
          cur = [];
          buf = '';
          has = false;
        } else {
          buf += ch;
          has = true;
        }
      }
      if (buf) cur.push({ text: buf, q: false });
    }
    if (has || cur.some(s => s.q)) out.push(cur);
    // pathname expansion
    const result: string[] = [];
    for (const field of out) {
      const unquotedGlob = field.some(s => !s.q && /[*?[]/.test(s.text));
      const literal = field.map(s => s.text).join('');
      if (!unquotedGlob) {
        result.push(literal);
        continue;
      }
      const pattern = field
        .map(s => (s.q ? s.text.replace(/[\\*?[\]]/g, c => `\\${c}`) : s.text))
        .join('');
      const matches = this.glob(pattern);
      if (matches.length) result.push(...matches);
      else result.push(literal);
    }
    return result;
  }

  /** Pathname expansion over the in-memory filesystem. */
  glob(pattern: string): string[] {
    const fs = this.rt.fs;
    const absolute = pattern.startsWith('/');
    const comps = pattern.split('/').filter((c, i) => c !== '' || i === 0);
    let paths: string[] = [absolute ? '/' : ''];
    for (const comp of comps) {
      if (comp === '') continue;
      const next: string[] = [];
      const hasGlob = /(^|[^\\])[*?[]/.test(comp);
      for (const base of paths) {
        const dirPath = base === '' ? this.cwd : base;
        if (!hasGlob) {
          const name = comp.replace(/\\(.)/g, '$1');
          const candidate = joinGlob(base, name);
          if (fs.tryLookup(candidate, this.cwd, true)) next.push(candidate);
          continue;
        }
        const dir = fs.tryLookup(dirPath, '/');
        if (dir?.type !== 'dir') continue;
        const re = globMatcher(comp);
        for (const name of [...fs.children(dir).keys()].sort()) {
          if (name.startsWith('.') && !comp.startsWith('.')) continue;
          if (re.test(name)) next.push(joinGlob(base, name));
        }
      }
      paths = next;
      if (paths.length === 0) break;
      if (paths.length > 10000) paths = paths.slice(0, 10000);
    }
    return paths.filter(p => p !== '' && p !== '/').sort();
  }

  private async expandPart(part: WordPart, io: IoCtx): Promise<Seg[]> {
    switch (part.t) {
      case 'lit':
        return [{ text: part.v, q: part.q }];
      case 'tilde': {
        let home = `/home/${part.user}`;
        if (part.user === '') home = this.getVar('HOME') ?? '/root';
        else if (part.user === 'root') home = '/root';
        return [{ text: home, q: true }];
      }
      case 'param': {
        if ((part.name === '@' || part.name === '*') && !part.op) {
          if (part.q && part.name === '@')
            return this.positional.map((v, i) => ({
              text: v,
              q: true,
              breakBefore: i > 0,
            }));
          return [
            { text: this.positional.join(' '), q: part.q, split: !part.q },
          ];
        }
        const v = await this.paramValue(part, io);
        return [{ text: v, q: part.q, split: !part.q }];
      }
      case 'cmd': {
        const captured = await this.capture(part.src, io);
        return [
          { text: captured.replace(/\n+$/, ''), q: part.q, split: !part.q },
        ];
      }
      case 'arith': {
        const src = await this.expandWordNoSplit(parseInner(part.src), io);
        const v = this.arith(src);
        return [{ text: String(v), q: part.q, split: !part.q }];
      }
      default:
        return [];
    }
  }

  private special(name: string): string | undefined {
    switch (name) {
      case '?':
        return String(this.status);
      case '$':
        return String(this.pid);
      case '#':
        return String(this.positional.length);
      case '0':
        return this.name;
      case '!':
        return this.lastBg ? String(this.lastBg) : '';
      case '-':
        return `${this.opts.errexit ? 'e' : ''}${this.interactive ? 'i' : ''}${
          this.opts.xtrace ? 'x' : ''
        }`;
      case '@':
      case '*':
        return this.positional.join(' ');
      default:
        if (/^\d+$/.test(name)) return this.positional[Number(name) - 1];
        if (name === 'RANDOM') return String(Math.floor(Math.random() * 32768));
        if (name === 'SECONDS')
          return String(
            Math.floor((this.rt.clock.now() - this.rt.startedAt) / 1000),
          );
        if (name === 'LINENO') return '1';
        return this.getVar(name);
    }
  }

  private async paramValue(
    part: Extract<WordPart, { t: 'param' }>,
    io: IoCtx,
  ): Promise<string> {
    const value = this.special(part.name);
    const set = value !== undefined;
    const empty = !value;
    const arg = async () =>
      part.arg === undefined
        ? ''
        : this.expandWordNoSplit(parseInner(stripQuotes(part.arg)), io);
    switch (part.op) {
      case undefined:
        if (!set && this.opts.nounset && !/^[?$#0!-]$/.test(part.name))
          throw new ExpansionError(`${part.name}: parameter not set`, 2, true);
        return value ?? '';
      case 'len':
        return String((value ?? '').length);
      case ':-':
        return empty ? arg() : value!;
      case '-':
        return set ? value! : arg();
      case ':=':
      case '=': {
        if ((part.op === ':=' && empty) || (part.op === '=' && !set)) {
          const v = await arg();
          this.setVar(part.name, v);
          return v;
        }
        return value!;
      }
      case ':+':
        return empty ? '' : arg();
      case '+':
        return set ? arg() : '';
      case ':?':
      case '?':
        if ((part.op === ':?' && empty) || (part.op === '?' && !set)) {
          const msg =
            (await arg()) ||
            (set ? 'parameter null or not set' : 'parameter not set');
          throw new ExpansionError(`${part.name}: ${msg}`, 1, true);
        }
        return value!;
      case '#':
      case '##':
      case '%':
      case '%%': {
        const pat = await arg();
        const v = value ?? '';
        const matches = wholeMatch(globMatcher(pat).source);
        const longest = part.op.length === 2;
        if (part.op.startsWith('#')) {
          for (
            let i = longest ? v.length : 0;
            longest ? i >= 0 : i <= v.length;
            i += longest ? -1 : 1
          ) {
            if (matches(v.slice(0, i))) return v.slice(i);
          }
          return v;
        }
        for (
          let i = longest ? 0 : v.length;
          longest ? i <= v.length : i >= 0;
          i += longest ? 1 : -1
        ) {
          if (matches(v.slice(i))) return v.slice(0, i);
        }
        return v;
      }
      default:
        return value ?? '';
    }
  }

  /** `$(...)`: runs in a subshell, output captured (bounded). */
  private async capture(src: string, io: IoCtx): Promise<string> {
    if (!this.host.enter())
      throw new ExpansionError(
        'fork: Resource temporarily unavailable',
        2,
        false,
      );
    let text = '';
    const sub = this.clone();
    try {
      await sub.runSource(src, {
        ...io,
        stdout: {
          write: (c: string) => {
            if (text.length < MAX_CAPTURE)
              text += c.slice(0, MAX_CAPTURE - text.length);
          },
        },
        stdoutIsTty: false,
      });
      this.lastSubstitutionStatus = sub.status;
    } catch (e) {
      if (e instanceof ExitSignal) this.lastSubstitutionStatus = e.code;
      else throw e;
    } finally {
      this.host.leave();
    }
    return text;
  }

  /** Shell arithmetic (integers): + - * / % ** << >> comparisons, && || ! ~ & | ^ ?:, names, assignments. */
  arith(src: string): number {
    return new Arithmetic(src, {
      get: name => this.getVar(name),
      set: (name, value) => this.setVar(name, value),
    }).evaluate();
  }

  // ---------------------------------------------------------------- builtins

  private processFor(argv: string[], io: IoCtx): Process {
    return {
      argv,
      env: this.exportedEnv(),
      cwd: this.cwd,
      stdin: io.stdin,
      stdout: io.stdout,
      stderr: io.stderr,
      signal: io.signal,
      rt: this.rt,
      pid: this.pid,
      terminal: this.host.terminal,
      stdoutIsTty: io.stdoutIsTty,
      name: argv[0],
      run: (a, o) =>
        this.host.spawn(
          a,
          this.exportedEnv(),
          this.cwd,
          { ...io, ...o },
          this.pid,
        ),
    };
  }

  private async builtin(argv: string[], io: IoCtx): Promise<number> {
    const [name, ...args] = argv;
    const say = (s: string) => write(io.stdout, s);
    switch (name) {
      case ':':
      case 'true':
        return 0;
      case 'false':
        return 1;
      case 'echo':
        await say(echoText(args, this.flavour === 'dash'));
        return 0;
      case 'printf':
        if (args.length === 0) {
          await this.complain(io, 'printf: usage: printf format [arguments]');
          return 2;
        }
        await say(printfText(args));
        return 0;
      case 'test':
      case '[': {
        let a = args;
        if (name === '[') {
          if (a[a.length - 1] !== ']') {
            await this.complain(io, "[: missing ']'");
            return 2;
          }
          a = a.slice(0, -1);
        }
        try {
          return evaluateTest(this.processFor(argv, io), a);
        } catch (e) {
          await this.complain(io, `${name}: ${(e as Error).message}`);
          return 2;
        }
      }
      case 'pwd':
        await say(`${this.cwd}\n`);
        return 0;
      case 'cd': {
        let target =
          args.filter(a => a !== '-P' && a !== '-L')[0] ??
          this.getVar('HOME') ??
          '/';
        if (target === '-') {
          target = this.getVar('OLDPWD') ?? this.cwd;
          await say(`${target}\n`);
        }
        try {
          const r = this.rt.fs.resolve(target, this.cwd);
          if (r.node.type !== 'dir') {
            await this.complain(
              io,
              this.flavour === 'bash'
                ? `cd: ${target}: Not a directory`
                : `cd: can't cd to ${target}: Not a directory`,
            );
            return 1;
          }
          this.setVar('OLDPWD', this.cwd, true);
          this.cwd = normalise(target, this.cwd);
          this.setVar('PWD', this.cwd, true);
          return 0;
        } catch (e) {
          const msg = e instanceof FsError ? e.message : String(e);
          await this.complain(
            io,
            this.flavour === 'bash'
              ? `cd: ${target}: ${msg}`
              : `cd: can't cd to ${target}: ${msg}`,
          );
          return this.flavour === 'bash' ? 1 : 2;
        }
      }
      case 'export':
      case 'readonly':
      case 'declare':
      case 'typeset':
      case 'local': {
        if (name === 'local') {
          await this.complain(io, 'local: can only be used in a function');
          return 1;
        }
        const list = args.filter(a => !a.startsWith('-'));
        if (list.length === 0) {
          const lines = [...this.vars]
            .filter(([, v]) => v.exported || name !== 'export')
            .sort(([a], [b]) => (a < b ? -1 : 1))
            .map(
              ([k, v]) =>
                `${
                  this.flavour === 'bash' ? 'declare -x' : 'export'
                } ${k}="${v.value.replace(/(["\\$`])/g, '\\$1')}"`,
            );
          await say(lines.length ? `${lines.join('\n')}\n` : '');
          return 0;
        }
        for (const a of list) {
          const eq = a.indexOf('=');
          const k = eq >= 0 ? a.slice(0, eq) : a;
          if (!/^[A-Za-z_]\w*$/.test(k)) {
            await this.complain(io, `${name}: \`${a}': not a valid identifier`);
            return 1;
          }
          if (eq >= 0)
            this.setVar(
              k,
              a.slice(eq + 1),
              name === 'export' || args.includes('-x') ? true : undefined,
            );
          else if (this.vars.has(k))
            this.vars.get(k)!.exported =
              name === 'export' ||
              args.includes('-x') ||
              this.vars.get(k)!.exported;
          else if (name === 'export')
            this.vars.set(k, { value: '', exported: true });
        }
        return 0;
      }
      case 'unset':
        for (const a of args.filter(x => !x.startsWith('-')))
          this.vars.delete(a);
        return 0;
      case 'set': {
        if (args.length === 0) {
          await say(
            [...this.vars]
              .sort(([a], [b]) => (a < b ? -1 : 1))
              .map(([k, v]) => `${k}='${v.value.replace(/'/g, "'\\''")}'\n`)
              .join(''),
          );
          return 0;
        }
        for (let i = 0; i < args.length; i++) {
          const a = args[i];
          if (a === '--') {
            this.positional = args.slice(i + 1);
            break;
          }
          if (a === '-o' || a === '+o') {
            const opt = args[++i];
            if (opt === 'pipefail') this.opts.pipefail = a === '-o';
            else if (opt === 'errexit') this.opts.errexit = a === '-o';
            else if (opt === 'xtrace') this.opts.xtrace = a === '-o';
            else if (opt === 'nounset') this.opts.nounset = a === '-o';
            continue;
          }
          if (/^[-+][a-zA-Z]+$/.test(a)) {
            const on = a[0] === '-';
            for (const c of a.slice(1)) {
              if (c === 'e') this.opts.errexit = on;
              if (c === 'x') this.opts.xtrace = on;
              if (c === 'u') this.opts.nounset = on;
            }
            continue;
          }
          this.positional = args.slice(i);
          break;
        }
        return 0;
      }
      case 'shift': {
        const n = Number(args[0] ?? 1);
        if (n > this.positional.length) return 1;
        this.positional = this.positional.slice(n);
        return 0;
      }
      case 'exit':
      case 'logout': {
        const code =
          args[0] !== undefined ? Number(args[0]) & 255 : this.status;
        if (args[0] !== undefined && !/^-?\d+$/.test(args[0])) {
          await this.complain(
            io,
            `exit: ${args[0]}: numeric argument required`,
          );
          throw new ExitSignal(2);
        }
        if (this.interactive && this.flavour === 'bash')
          await write(io.stderr, 'exit\n');
        throw new ExitSignal(code);
      }
      case 'return':
        if (this.sourced > 0)
          throw new ReturnSignal(args[0] ? Number(args[0]) & 255 : this.status);
        await this.complain(
          io,
          "return: can only `return' from a function or sourced script",
        );
        return 1;
      case 'read': {
        const names: string[] = [];
        let raw = false;
        let prompt = '';
        for (let i = 0; i < args.length; i++) {
          if (args[i] === '-r') raw = true;
          else if (args[i] === '-p') prompt = args[++i] ?? '';
          else if (args[i] === '-s' || args[i] === '-e') continue;
          else if (args[i] === '-t' || args[i] === '-n' || args[i] === '-d')
            i++;
          else names.push(args[i]);
        }
        if (prompt) await write(io.stderr, prompt);
        let line = '';
        let gotNewline = false;
        for (;;) {
          const c = await io.stdin.read();
          if (c === null) break;
          const nl = c.indexOf('\n');
          if (nl >= 0) {
            line += c.slice(0, nl);
            gotNewline = true;
            break;
          }
          line += c;
          if (line.length > 1024 * 1024) break;
        }
        if (!raw) line = line.replace(/\\(.)/g, '$1');
        const targets = names.length ? names : ['REPLY'];
        const parts = line.trim().split(/[ \t]+/);
        targets.forEach((n, idx) =>
          this.setVar(
            n,
            idx === targets.length - 1
              ? parts.slice(idx).join(' ')
              : parts[idx] ?? '',
          ),
        );
        return gotNewline || line ? 0 : 1;
      }
      case 'eval':
        return this.nested(io, () => this.runSource(args.join(' '), io));
      case 'exec': {
        if (args.length === 0) return 0;
        const code = await this.external(args, this.exportedEnv(), io);
        throw new ExitSignal(code);
      }
      case 'source':
      case '.': {
        if (!args[0]) {
          await this.complain(io, `${name}: filename argument required`);
          return 2;
        }
        const path = args[0].includes('/')
          ? args[0]
          : this.findOnPath(args[0]) ?? args[0];
        let text = '';
        try {
          const node = this.rt.fs.lookup(path, this.cwd);
          if (node.type !== 'file')
            throw new FsError(node.type === 'dir' ? 'EISDIR' : 'ENOENT', path);
          for (const c of readChunks(node.content)) {
            text += c;
            if (text.length > 4 * 1024 * 1024) break;
          }
        } catch (e) {
          await this.complain(
            io,
            this.flavour === 'bash'
              ? `${args[0]}: ${(e as Error).message}`
              : `${name}: can't open '${args[0]}': ${(e as Error).message}`,
          );
          return this.flavour === 'bash' ? 1 : 2;
        }
        const saved = this.positional;
        if (args.length > 1) this.positional = args.slice(1);
        this.sourced++;
        try {
          return await this.nested(io, () => this.runSource(text, io));
        } catch (e) {
          if (e instanceof ReturnSignal) return e.code;
          throw e;
        } finally {
          this.sourced--;
          this.positional = saved;
        }
      }
      case 'type':
      case 'command': {
        const list = args.filter(a => !a.startsWith('-'));
        if (
          name === 'command' &&
          !args.includes('-v') &&
          !args.includes('-V')
        ) {
          if (list.length === 0) return 0;
          return this.external(list, this.exportedEnv(), io);
        }
        let status = 0;
        for (const n of list) {
          if (BUILTIN_NAMES.includes(n))
            await say(
              name === 'command' && args.includes('-v')
                ? `${n}\n`
                : `${n} is a shell builtin\n`,
            );
          else {
            const where = this.host.which(
              n,
              this.getVar('PATH') ?? '',
              this.cwd,
            );
            if (where)
              await say(
                name === 'command' && args.includes('-v')
                  ? `${where}\n`
                  : `${n} is ${where}\n`,
              );
            else {
              if (name === 'type')
                await this.complain(io, `type: ${n}: not found`);
              status = 1;
            }
          }
        }
        return status;
      }
      case 'alias':
      case 'unalias':
      case 'hash':
      case 'trap':
      case 'bg':
      case 'fg':
        return 0;
      case 'umask':
        await say('0022\n');
        return 0;
      case 'ulimit':
        await say('unlimited\n');
        return 0;
      case 'times':
        await say('0m0.01s 0m0.00s\n0m0.00s 0m0.00s\n');
        return 0;
      case 'history':
        await say(
          this.history
            .map((h, i) => `${String(i + 1).padStart(5)}  ${h}\n`)
            .join(''),
        );
        return 0;
      case 'jobs':
        for (const j of this.jobs)
          await say(
            `[${j.id}]  ${
              j.finished ? `Done${j.status ? `(${j.status})` : ''}` : 'Running'
            }\t\t${j.text}\n`,
          );
        this.jobs = this.jobs.filter(j => !j.finished);
        return 0;
      case 'wait': {
        let status = 0;
        for (const j of this.jobs) status = await j.done;
        this.jobs = [];
        return status;
      }
      case 'kill': {
        for (const a of args.filter(x => x.startsWith('%'))) {
          const job = this.jobs.find(j => `%${j.id}` === a);
          if (!job) {
            await this.complain(io, `kill: ${a}: no such job`);
            return 1;
          }
          this.rt.procs.get(job.pid)?.kill?.(15);
        }
        return 0;
      }
      case 'let': {
        let v = 0;
        try {
          for (const e of args) v = this.arith(e);
        } catch (e) {
          await this.complain(io, `let: ${(e as Error).message}`);
          return 1;
        }
        return v === 0 ? 1 : 0;
      }
      case 'help':
        await say(
          `GNU bash, version 5.1.16(1)-release (x86_64-pc-linux-gnu)\nThese shell commands are defined internally.\n\n${BUILTIN_NAMES.join(
            ' ',
          )}\n`,
        );
        return 0;
      case 'builtin':
        return args.length ? this.builtin(args, io) : 0;
      case 'getopts':
        return 1;
      default:
        return 127;
    }
  }

  private findOnPath(name: string): string | undefined {
    for (const dir of (this.getVar('PATH') ?? '').split(':')) {
      const p = `${dir}/${name}`;
      if (this.rt.fs.tryLookup(p)?.type === 'file') return p;
    }
    return undefined;
  }

  private async nested(io: IoCtx, fn: () => Promise<number>): Promise<number> {
    if (!this.host.enter()) {
      await this.complain(io, 'fork: Resource temporarily unavailable');
      return 2;
    }
    try {
      return await fn();
    } finally {
      this.host.leave();
    }
  }

  // ---------------------------------------------------------------- interactive

  prompt(): string {
    const home = this.getVar('HOME') ?? '/root';
    let w = this.cwd;
    if (this.cwd === home) w = '~';
    else if (this.cwd.startsWith(`${home}/`))
      w = `~${this.cwd.slice(home.length)}`;
    if (this.flavour === 'bash')
      return `root@${this.rt.context.podName}:${w}# `;
    if (this.flavour === 'dash') return '# ';
    return `${w} # `;
  }

  /** The interactive read–eval loop on a terminal. */
  async interactiveLoop(term: Terminal, io: IoCtx): Promise<number> {
    for (;;) {
      let src = '';
      let prompt = this.prompt();
      for (;;) {
        const r = await term.readLine(prompt, this.history);
        if (r.line === null) {
          if (this.flavour === 'bash') await term.write('exit\n');
          this.abortJobs();
          return this.status;
        }
        if (r.interrupted) {
          this.status = 130;
          src = '';
          break;
        }
        src += (src ? '\n' : '') + r.line;
        if (!Shell.isIncomplete(src)) break;
        prompt = '> ';
      }
      if (!src.trim()) continue;
      this.history.push(src);
      if (this.history.length > 1000) this.history.shift();
      const controller = new AbortController();
      const onOuter = () => controller.abort();
      io.signal.addEventListener('abort', onOuter, { once: true });
      const release = term.setForeground(() => {
        void term.write('^C');
        controller.abort();
      });
      try {
        await this.runSource(src, {
          ...io,
          signal: controller.signal,
          stdin: term.cookedInput(),
        });
      } catch (e) {
        if (e instanceof ExitSignal) {
          this.abortJobs();
          return e.code;
        }
        if (e instanceof Interrupted) {
          if (io.signal.aborted) throw e;
          await term.write('\n');
          this.status = 130;
        } else if (e instanceof BrokenPipe) {
          this.status = 141;
        } else throw e;
      } finally {
        release();
        io.signal.removeEventListener('abort', onOuter);
      }
    }
  }

  /** Commands from a non-terminal stdin, run as complete commands arrive (`kubectl exec -i ... sh`). */
  async streamLoop(input: Input, io: IoCtx): Promise<number> {
    let buf = '';
    const runReady = async (final: boolean) => {
      const lines = buf.split('\n');
      const keep = final ? '' : lines.pop() ?? '';
      let pending = '';
      for (const line of lines) {
        pending += (pending ? '\n' : '') + line;
        if (Shell.isIncomplete(pending)) continue;
        if (pending.trim())
          await this.runSource(pending, { ...io, stdin: EMPTY });
        pending = '';
      }
      if (final && pending.trim())
        await this.runSource(pending, { ...io, stdin: EMPTY });
      buf = (pending ? `${pending}\n` : '') + keep;
    };
    try {
      for (;;) {
        const chunk = await input.read();
        if (chunk === null) break;
        buf += chunk;
        if (buf.length > 4 * 1024 * 1024) buf = buf.slice(-4 * 1024 * 1024);
        if (buf.includes('\n')) await runReady(false);
      }
      await runReady(true);
    } catch (e) {
      if (e instanceof ExitSignal) return e.code;
      throw e;
    }
    return this.status;
  }

  abortJobs(): void {
    for (const j of this.jobs) this.rt.procs.get(j.pid)?.kill?.(15);
  }

  /** Waits for background jobs at the end of a non-interactive script. */
  async settle(): Promise<void> {
    for (const j of this.jobs) await j.done.catch(() => 0);
  }
}
