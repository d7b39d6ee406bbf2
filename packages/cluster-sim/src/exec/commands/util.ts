/** Shared pieces for emulated programs. */
import { FsError, readChunks, type Content, type Node } from '../memfs';
import { Interrupted, write, type Process } from '../runtime';
import { BrokenPipe, yieldToEventLoop, type Input } from '../streams';

export { write };

export async function out(p: Process, s: string): Promise<void> {
  if (p.signal.aborted) throw new Interrupted();
  await write(p.stdout, s);
}

export async function err(p: Process, s: string): Promise<void> {
  await write(p.stderr, s.endsWith('\n') ? s : `${s}\n`);
}

/** `<name>: <message>` on stderr. */
export async function fail(
  p: Process,
  message: string,
  code = 1,
): Promise<number> {
  await err(p, `${p.name}: ${message}`);
  return code;
}

export function fsMessage(e: unknown): string {
  if (e instanceof FsError) return e.message;
  return e instanceof Error ? e.message : String(e);
}

export interface Parsed {
  flags: Set<string>;
  values: Map<string, string[]>;
  operands: string[];
  bad?: string;
}

/**
 * getopt-style parsing: `flags` are single-letter switches (combinable,
 * `-lah`), `withValue` take an argument (`-n 5`, `-n5`), long options are
 * given as `--name` in either set. `--` ends options.
 */
export function parseArgs(
  args: string[],
  flags: string,
  withValue = '',
  longFlags: string[] = [],
  longValues: string[] = [],
): Parsed {
  const r: Parsed = { flags: new Set(), values: new Map(), operands: [] };
  const addValue = (k: string, v: string) =>
    r.values.set(k, [...(r.values.get(k) ?? []), v]);
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') {
      r.operands.push(...args.slice(i + 1));
      break;
    }
    if (a.startsWith('--') && a.length > 2) {
      const [name, inline] = a.slice(2).split(/=(.*)/s, 2);
      if (longFlags.includes(name)) r.flags.add(name);
      else if (longValues.includes(name)) {
        const v = inline ?? args[++i];
        if (v === undefined) {
          r.bad = a;
          return r;
        }
        addValue(name, v);
      } else {
        r.bad = a;
        return r;
      }
      continue;
    }
    if (
      a.startsWith('-') &&
      a.length > 1 &&
      !(/^-\d/.test(a) && !flags.includes(a[1]))
    ) {
      for (let j = 1; j < a.length; j++) {
        const c = a[j];
        if (withValue.includes(c)) {
          const v = j + 1 < a.length ? a.slice(j + 1) : args[++i];
          if (v === undefined) {
            r.bad = `-${c}`;
            return r;
          }
          addValue(c, v);
          break;
        }
        if (flags.includes(c)) r.flags.add(c);
        else {
          r.bad = `-${c}`;
          return r;
        }
      }
      continue;
    }
    r.operands.push(a);
  }
  return r;
}

export function value(parsed: Parsed, key: string): string | undefined {
  const v = parsed.values.get(key);
  return v?.[v.length - 1];
}

export async function badOption(p: Process, opt: string): Promise<number> {
  const busybox = p.rt.profile.busybox;
  if (opt.startsWith('--')) {
    await err(p, `${p.name}: unrecognized option '${opt}'`);
  } else {
    await err(
      p,
      busybox
        ? `${p.name}: unrecognized option: ${opt.slice(1)}`
        : `${p.name}: invalid option -- '${opt.slice(1)}'`,
    );
  }
  if (!busybox) await err(p, `Try '${p.name} --help' for more information.`);
  return busybox ? 1 : 2;
}

/** Chunks of a readable path: files stream, devices behave as devices. */
export async function* readPath(
  p: Process,
  path: string,
): AsyncGenerator<string> {
  const node = p.rt.fs.lookup(path, p.cwd);
  yield* readNode(p, node, path);
}

export async function* readNode(
  p: Process,
  node: Node,
  path: string,
): AsyncGenerator<string> {
  if (node.type === 'dir') throw new FsError('EISDIR', path);
  if (node.type === 'device') {
    switch (node.device) {
      case 'null':
        return;
      case 'zero':
      case 'urandom':
        for (let i = 0; ; i++) {
          if (p.signal.aborted) throw new Interrupted();
          yield node.device === 'zero' ? '\0'.repeat(16384) : randomChunk(i);
          if (i % 8 === 7) await yieldToEventLoop();
        }
      default:
        yield* inputChunks(p.stdin);
        return;
    }
  }
  if (node.type === 'symlink') return;
  let n = 0;
  for (const chunk of readChunks(node.content)) {
    if (p.signal.aborted) throw new Interrupted();
    yield chunk;
    if (++n % 16 === 0) await yieldToEventLoop();
  }
}

function randomChunk(i: number): string {
  let s = '';
  let x = (i + 1) * 2654435761;
  for (let j = 0; j < 16384; j++) {
    x = (Math.imul(x ^ (x >>> 15), 2246822519) + j) >>> 0;
    s += String.fromCharCode(x & 0xff);
  }
  return s;
}

export async function* inputChunks(input: Input): AsyncGenerator<string> {
  for (;;) {
    const c = await input.read();
    if (c === null) return;
    yield c;
  }
}

/** Lines from chunks. */
export async function* linesOf(
  chunks: AsyncIterable<string>,
): AsyncGenerator<string> {
  let pending = '';
  for await (const c of chunks) {
    pending += c;
    let nl = pending.indexOf('\n');
    while (nl >= 0) {
      yield pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      nl = pending.indexOf('\n');
    }
    if (pending.length > 1024 * 1024) {
      yield pending;
      pending = '';
    }
  }
  if (pending) yield pending;
}

/** The inputs of a filter program: files, or stdin when none / `-`. */
export async function* sources(
  p: Process,
  files: string[],
): AsyncGenerator<{ name: string; chunks: AsyncGenerator<string> }> {
  if (files.length === 0) {
    yield { name: '-', chunks: inputChunks(p.stdin) };
    return;
  }
  for (const f of files) {
    yield {
      name: f,
      chunks: f === '-' ? inputChunks(p.stdin) : readPath(p, f),
    };
  }
}

/** Lets ^C and broken pipes through a catch block that reports other errors. */
export function rethrowSignals(e: unknown): void {
  if (e instanceof BrokenPipe || e instanceof Interrupted) throw e;
}

export function isBrokenPipe(e: unknown): boolean {
  return e instanceof BrokenPipe;
}

export function permString(node: Node): string {
  const t = { dir: 'd', symlink: 'l', device: 'c', file: '-' }[node.type];
  const m = node.mode;
  const bits = 'rwxrwxrwx'
    .split('')
    .map((ch, i) => ((m >> (8 - i)) & 1 ? ch : '-'))
    .join('');
  const s = bits.split('');
  if (m & 0o1000) s[8] = s[8] === 'x' ? 't' : 'T';
  if (m & 0o4000) s[2] = s[2] === 'x' ? 's' : 'S';
  return t + s.join('');
}

export function human(bytes: number, si = false): string {
  const unit = si ? 1000 : 1024;
  if (bytes < unit) return String(bytes);
  const units = ['K', 'M', 'G', 'T', 'P'];
  let v = bytes;
  let i = -1;
  do {
    v /= unit;
    i++;
  } while (v >= unit && i < units.length - 1);
  return `${v < 10 ? (Math.ceil(v * 10) / 10).toFixed(1) : Math.ceil(v)}${
    units[i]
  }`;
}

export function nodeSize(node: Node): number {
  if (node.type === 'dir') return 4096;
  if (node.type === 'symlink')
    return (typeof node.target === 'function' ? node.target() : node.target)
      .length;
  if (node.type === 'device') return 0;
  if (node.content.kind === 'dynamic') return 0;
  return contentBytes(node.content);
}

export function contentBytes(c: Content): number {
  switch (c.kind) {
    case 'text':
      return Buffer.byteLength(c.text);
    case 'bytes':
      return c.bytes.length;
    case 'virtual':
      return c.size();
    default:
      return Buffer.byteLength(c.render());
  }
}

export const MONTHS = [
  'Jan',
  'Feb',
  'Mar',
  'Apr',
  'May',
  'Jun',
  'Jul',
  'Aug',
  'Sep',
  'Oct',
  'Nov',
  'Dec',
];
export const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

export const pad2 = (n: number) => String(n).padStart(2, '0');

/** `ls -l` style time: "Nov 28 10:42", or "Nov 28  2023" when older than six months. */
export function lsTime(ms: number, now: number): string {
  const d = new Date(ms);
  const recent = Math.abs(now - ms) < 182 * 24 * 3600 * 1000;
  const tail = recent
    ? `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}`
    : ` ${d.getUTCFullYear()}`;
  return `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(
    2,
    ' ',
  )} ${tail}`;
}

/** A basic regular expression (grep, sed) as a JS RegExp source. */
export function breToJs(bre: string): string {
  let js = '';
  for (let i = 0; i < bre.length; i++) {
    const c = bre[i];
    if (c === '\\' && i + 1 < bre.length) {
      const n = bre[++i];
      if ('(){}|+?'.includes(n)) js += n;
      else if (n === '<' || n === '>') js += '\\b';
      else js += `\\${n}`;
    } else if ('(){}|+?'.includes(c)) {
      js += `\\${c}`;
    } else {
      js += c;
    }
  }
  return js;
}

export function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
