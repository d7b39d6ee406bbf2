/** Text programs: grep, sort, uniq, cut, tr, tee, xargs, seq, base64, sums, sed/awk subsets, echo, printf, test. */
import { createHash } from 'node:crypto';
import { FsError, normalise, type Node } from '../memfs';
import { Interrupted, type Process, type Program } from '../runtime';
import { yieldToEventLoop } from '../streams';
import {
  badOption,
  breToJs,
  contentBytes,
  err,
  escapeRegex,
  fail,
  fsMessage,
  inputChunks,
  linesOf,
  out,
  parseArgs,
  readNode,
  sources,
  value,
  write,
  rethrowSignals,
} from './util';
import { userRegex, type UserRegex } from './regex';

// ------------------------------------------------------------------ grep

/** Text that fits in latin1 is bytes (binary-safe); anything else is UTF-8. */
function encodingOf(text: string): 'utf8' | 'latin1' {
  for (let i = 0; i < text.length; i++)
    if (text.charCodeAt(i) > 0xff) return 'utf8';
  return 'latin1';
}

export const grep: Program = async p => {
  const a = parseArgs(
    p.argv.slice(1),
    'ivnrRclLhHEFwxoqsZa',
    'emA',
    [
      'recursive',
      'ignore-case',
      'invert-match',
      'count',
      'line-number',
      'files-with-matches',
      'quiet',
      'silent',
      'extended-regexp',
      'fixed-strings',
      'only-matching',
      'color',
      'no-filename',
      'with-filename',
    ],
    ['regexp', 'include', 'exclude', 'color', 'max-count'],
  );
  if (a.bad) return badOption(p, a.bad);
  const f = (k: string, long?: string) =>
    a.flags.has(k) || (long !== undefined && a.flags.has(long));
  const operands = [...a.operands];
  const patterns = [
    ...(a.values.get('e') ?? []),
    ...(a.values.get('regexp') ?? []),
  ];
  if (patterns.length === 0) {
    if (operands.length === 0) {
      await err(
        p,
        p.rt.profile.busybox
          ? 'BusyBox v1.36.1 (2024-06-10 07:11:47 UTC) multi-call binary.\n\nUsage: grep [-HhnlLoqvsrRiwFE] [-m N] [-A|B|C N] { PATTERN | -e PATTERN... | -f FILE... } [FILE]...'
          : "Usage: grep [OPTION]... PATTERNS [FILE]...\nTry 'grep --help' for more information.",
      );
      return 2;
    }
    patterns.push(operands.shift()!);
  }
  const extended = f('E', 'extended-regexp') || p.name === 'egrep';
  const fixed = f('F', 'fixed-strings') || p.name === 'fgrep';
  const sources_ = patterns
    .flatMap(x => x.split('\n'))
    .map(pat => {
      let src = extended ? pat : breToJs(pat);
      if (fixed) src = escapeRegex(pat);
      if (f('w')) src = `\\b(?:${src})\\b`;
      if (f('x')) src = `^(?:${src})$`;
      return src;
    });
  let re: UserRegex;
  try {
    re = userRegex(
      sources_.map(x => `(?:${x})`).join('|'),
      f('i', 'ignore-case'),
    );
  } catch (e) {
    rethrowSignals(e);
    await err(p, `grep: ${(e as Error).message}`);
    return 2;
  }
  const invert = f('v', 'invert-match');
  const count = f('c', 'count');
  const listFiles = f('l', 'files-with-matches');
  const listNon = f('L');
  const quiet = f('q', 'quiet') || f('s', 'silent');
  const only = f('o', 'only-matching');
  const lineNo = f('n', 'line-number');
  const recursive = f('r', 'recursive') || f('R');
  const maxCount = Number(value(a, 'm') ?? value(a, 'max-count') ?? Infinity);
  const fs = p.rt.fs;

  // expand recursive operands into files
  const files: Array<{ name: string; node?: Node }> = [];
  let status = 1;
  let errors = false;
  const collect = (path: string, node: Node) => {
    if (node.type === 'dir') {
      for (const [name, child] of [...fs.children(node)].sort((x, y) =>
        x[0] < y[0] ? -1 : 1,
      )) {
        if (child.type === 'symlink' || child.type === 'device') continue;
        collect(`${path.replace(/\/$/, '')}/${name}`, child);
      }
    } else files.push({ name: path, node });
  };
  let ops = operands;
  if (ops.length === 0 && recursive) ops = ['.'];
  for (const o of ops) {
    if (o === '-') {
      files.push({ name: '(standard input)' });
      continue;
    }
    try {
      const node = fs.lookup(o, p.cwd);
      if (node.type === 'dir') {
        if (recursive) collect(o, node);
        else {
          await err(p, `grep: ${o}: Is a directory`);
          errors = true;
        }
      } else files.push({ name: o, node });
    } catch (e) {
      rethrowSignals(e);
      if (!f('s')) await err(p, `grep: ${o}: ${fsMessage(e)}`);
      errors = true;
    }
  }
  if (ops.length === 0) files.push({ name: '(standard input)' });
  const withName =
    f('H', 'with-filename') ||
    (!f('h', 'no-filename') && (files.length > 1 || recursive));

  for (const file of files) {
    const chunks = file.node
      ? readNode(p, file.node, file.name)
      : inputChunks(p.stdin);
    let matches = 0;
    let n = 0;
    let binary = false;
    let buffered = '';
    for await (const line of linesOf(chunks)) {
      n++;
      if (n % 5000 === 0) await yieldToEventLoop();
      if (!binary && line.includes('\0')) binary = true;
      const hit =
        re.test(line.length > 65536 ? line.slice(0, 65536) : line) !== invert;
      if (!hit) continue;
      matches++;
      status = 0;
      if (quiet) return 0;
      if (listFiles || listNon) break;
      if (!count && !binary) {
        const prefix = `${withName ? `${file.name}:` : ''}${
          lineNo ? `${n}:` : ''
        }`;
        if (only && !invert) {
          for (const m of re.all(line)) buffered += `${prefix}${m}\n`;
        } else buffered += `${prefix}${line}\n`;
        if (buffered.length > 16384) {
          await out(p, buffered);
          buffered = '';
        }
      }
      if (matches >= maxCount) break;
    }
    if (buffered) await out(p, buffered);
    if (binary && matches && !count && !listFiles) {
      await out(
        p,
        p.rt.profile.busybox
          ? `Binary file ${file.name} matches\n`
          : `grep: ${file.name}: binary file matches\n`,
      );
    }
    if (count) await out(p, `${withName ? `${file.name}:` : ''}${matches}\n`);
    if (listFiles && matches) await out(p, `${file.name}\n`);
    if (listNon && !matches) await out(p, `${file.name}\n`);
  }
  return errors && status !== 0 ? 2 : status;
};

// ------------------------------------------------------------------ sort, uniq, cut, tr, tee

async function allLines(
  p: Process,
  files: string[],
): Promise<string[] | number> {
  const lines: string[] = [];
  for await (const src of sources(p, files)) {
    try {
      for await (const l of linesOf(src.chunks)) {
        lines.push(l);
        if (lines.length > 2_000_000)
          return fail(p, 'input too large for the emulated container');
      }
    } catch (e) {
      rethrowSignals(e);
      if (!(e instanceof FsError)) throw e;
      return fail(p, `${src.name}: ${e.message}`, 2);
    }
  }
  return lines;
}

export const sort: Program = async p => {
  const a = parseArgs(
    p.argv.slice(1),
    'rnuhfbV',
    'kto',
    ['reverse', 'numeric-sort', 'unique', 'human-numeric-sort'],
    ['key', 'field-separator'],
  );
  if (a.bad) return badOption(p, a.bad);
  const lines = await allLines(p, a.operands);
  if (typeof lines === 'number') return lines;
  const sep = value(a, 't');
  const keySpec = value(a, 'k');
  const keyOf = (l: string) => {
    if (!keySpec) return l;
    const start = Number(keySpec.split(/[,.]/)[0]);
    const fields = sep ? l.split(sep) : l.trim().split(/\s+/);
    return fields.slice(start - 1).join(sep ?? ' ');
  };
  const numeric =
    a.flags.has('n') || a.flags.has('h') || a.flags.has('numeric-sort');
  const hnum = (s: string) => {
    const m = /^\s*(-?[\d.]+)\s*([KMGTP]?)/i.exec(s);
    if (!m) return 0;
    return Number(m[1]) * 1024 ** ' KMGTP'.indexOf((m[2] || ' ').toUpperCase());
  };
  const cmp = (x: string, y: string) => {
    const kx = keyOf(x);
    const ky = keyOf(y);
    if (numeric) {
      const d = a.flags.has('h')
        ? hnum(kx) - hnum(ky)
        : (parseFloat(kx) || 0) - (parseFloat(ky) || 0);
      if (d !== 0) return d;
    }
    const fx = a.flags.has('f') ? kx.toLowerCase() : kx;
    const fy = a.flags.has('f') ? ky.toLowerCase() : ky;
    if (fx === fy) return 0;
    return fx < fy ? -1 : 1;
  };
  lines.sort(cmp);
  if (a.flags.has('r') || a.flags.has('reverse')) lines.reverse();
  const result =
    a.flags.has('u') || a.flags.has('unique')
      ? lines.filter((l, i) => i === 0 || cmp(l, lines[i - 1]) !== 0)
      : lines;
  const text = result.map(l => `${l}\n`).join('');
  const o = value(a, 'o');
  if (o) {
    p.rt.fs.writeFile(o, text, p.cwd);
    return 0;
  }
  await out(p, text);
  return 0;
};

export const uniq: Program = async p => {
  const a = parseArgs(p.argv.slice(1), 'cdui');
  if (a.bad) return badOption(p, a.bad);
  const lines = await allLines(p, a.operands.slice(0, 1));
  if (typeof lines === 'number') return lines;
  const groups: Array<[string, number]> = [];
  for (const l of lines) {
    const last = groups[groups.length - 1];
    const same =
      last &&
      (a.flags.has('i')
        ? last[0].toLowerCase() === l.toLowerCase()
        : last[0] === l);
    if (same) last[1]++;
    else groups.push([l, 1]);
  }
  let text = '';
  for (const [l, c] of groups) {
    if (a.flags.has('d') && c < 2) continue;
    if (a.flags.has('u') && c > 1) continue;
    text += a.flags.has('c') ? `${String(c).padStart(7)} ${l}\n` : `${l}\n`;
  }
  await out(p, text);
  return 0;
};

function ranges(spec: string): Array<[number, number]> {
  return spec.split(',').map(r => {
    const [s, e] = r.split('-');
    const start = s ? Number(s) : 1;
    let end = e ? Number(e) : Number.POSITIVE_INFINITY;
    if (e === undefined) end = start;
    return [start, end];
  });
}

export const cut: Program = async p => {
  const a = parseArgs(
    p.argv.slice(1),
    's',
    'dfcb',
    [],
    ['delimiter', 'fields', 'characters'],
  );
  if (a.bad) return badOption(p, a.bad);
  const fields = value(a, 'f') ?? value(a, 'fields');
  const chars = value(a, 'c') ?? value(a, 'b') ?? value(a, 'characters');
  if (!fields && !chars)
    return fail(p, 'you must specify a list of bytes, characters, or fields');
  const delim = value(a, 'd') ?? value(a, 'delimiter') ?? '\t';
  const rs = ranges((fields ?? chars)!);
  const inRange = (i: number) => rs.some(([s, e]) => i >= s && i <= e);
  for await (const src of sources(p, a.operands)) {
    for await (const l of linesOf(src.chunks)) {
      if (fields) {
        if (!l.includes(delim)) {
          if (!a.flags.has('s')) await out(p, `${l}\n`);
          continue;
        }
        await out(
          p,
          `${l
            .split(delim)
            .filter((_, i) => inRange(i + 1))
            .join(delim)}\n`,
        );
      } else {
        await out(p, `${[...l].filter((_, i) => inRange(i + 1)).join('')}\n`);
      }
    }
  }
  return 0;
};

function expandSet(set: string): string {
  const classes: Record<string, string> = {
    '[:upper:]': 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
    '[:lower:]': 'abcdefghijklmnopqrstuvwxyz',
    '[:digit:]': '0123456789',
    '[:space:]': ' \t\n\r\f\v',
    '[:alpha:]': 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz',
    '[:alnum:]':
      'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789',
    '[:punct:]': '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~',
  };
  let s = set;
  for (const [k, v] of Object.entries(classes)) s = s.split(k).join(v);
  s = s
    .replace(/\\n/g, '\n')
    .replace(/\\t/g, '\t')
    .replace(/\\r/g, '\r')
    .replace(/\\\\/g, '\\');
  let outS = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i + 1] === '-' && i + 2 < s.length) {
      const from = s.charCodeAt(i);
      const to = s.charCodeAt(i + 2);
      for (let c = from; c <= to && c - from < 256; c++)
        outS += String.fromCharCode(c);
      i += 2;
    } else outS += s[i];
  }
  return outS;
}

export const tr: Program = async p => {
  const a = parseArgs(p.argv.slice(1), 'dsc');
  if (a.bad) return badOption(p, a.bad);
  const [s1, s2] = a.operands.map(expandSet);
  if (s1 === undefined) return fail(p, 'missing operand');
  for await (const chunk of inputChunks(p.stdin)) {
    let res = '';
    let prev = '';
    for (const ch of chunk) {
      const i = s1.indexOf(ch);
      let o = ch;
      if (a.flags.has('d')) {
        if (i >= 0) continue;
      } else if (i >= 0 && s2) o = s2[Math.min(i, s2.length - 1)];
      if (a.flags.has('s') && o === prev && (s2 ?? s1).includes(o)) continue;
      res += o;
      prev = o;
    }
    await out(p, res);
  }
  return 0;
};

export const tee: Program = async p => {
  const a = parseArgs(p.argv.slice(1), 'ai');
  if (a.bad) return badOption(p, a.bad);
  let status = 0;
  const files = a.operands.filter(f => {
    try {
      if (!a.flags.has('a')) p.rt.fs.writeFile(f, '', p.cwd);
      return true;
    } catch (e) {
      rethrowSignals(e);
      void err(p, `tee: ${f}: ${fsMessage(e)}`);
      status = 1;
      return false;
    }
  });
  for await (const chunk of inputChunks(p.stdin)) {
    for (const f of files) {
      try {
        p.rt.fs.writeFile(f, chunk, p.cwd, true);
      } catch (e) {
        rethrowSignals(e);
        await err(p, `tee: ${f}: ${fsMessage(e)}`);
        status = 1;
      }
    }
    await out(p, chunk);
  }
  return status;
};

// ------------------------------------------------------------------ xargs, seq, yes

export const xargs: Program = async p => {
  const a = parseArgs(
    p.argv.slice(1).slice(0, firstNonOption(p.argv.slice(1))),
    '0rt',
    'nIL',
  );
  if (a.bad) return badOption(p, a.bad);
  const cmdStart = firstNonOption(p.argv.slice(1));
  const cmd = p.argv.slice(1 + cmdStart);
  if (cmd.length === 0) cmd.push('echo');
  let text = '';
  for await (const c of inputChunks(p.stdin)) text += c;
  const items = a.flags.has('0')
    ? text.split('\0').filter(Boolean)
    : text.split(/\s+/).filter(Boolean);
  if (items.length === 0 && a.flags.has('r')) return 0;
  const replace = value(a, 'I');
  const n = replace
    ? 1
    : Number(value(a, 'n') ?? value(a, 'L') ?? (items.length || 1));
  let status = 0;
  for (let i = 0; i < Math.max(items.length, 1); i += n) {
    const batch = items.slice(i, i + n);
    const argv = replace
      ? cmd.map(c => c.split(replace).join(batch[0] ?? ''))
      : [...cmd, ...batch];
    if (a.flags.has('t')) await err(p, argv.join(' '));
    const code = await p.run(argv).catch(async () => {
      await err(p, `xargs: ${argv[0]}: No such file or directory`);
      return 127;
    });
    if (code === 127) return 127;
    if (code !== 0) status = 123;
  }
  return status;
};

function firstNonOption(args: string[]): number {
  for (let i = 0; i < args.length; i++) {
    if (!args[i].startsWith('-')) return i;
    if (/^-[nIL]$/.test(args[i])) i++;
  }
  return args.length;
}

export const seq: Program = async p => {
  const args = p.argv.slice(1).filter(x => !/^-[sw]/.test(x));
  const nums = args.map(Number);
  if (nums.length === 0 || nums.some(n => !Number.isFinite(n)))
    return fail(
      p,
      args.length
        ? `invalid floating point argument: '${args.find(
            x => !Number.isFinite(Number(x)),
          )}'`
        : 'missing operand',
    );
  let [first, incr, last] = nums;
  if (nums.length === 1) [first, incr, last] = [1, 1, nums[0]];
  else if (nums.length === 2) [first, incr, last] = [nums[0], 1, nums[1]];
  if (incr === 0) return fail(p, "invalid Zero increment value: '0'");
  let buf = '';
  let count = 0;
  for (let x = first; incr > 0 ? x <= last : x >= last; x += incr) {
    buf += `${Number.isInteger(x) ? x : x.toFixed(2)}\n`;
    if (buf.length > 16384) {
      await out(p, buf);
      buf = '';
      if (++count % 16 === 0) await yieldToEventLoop();
    }
  }
  await out(p, buf);
  return 0;
};

export const yes: Program = async p => {
  const line = `${p.argv.slice(1).join(' ') || 'y'}\n`;
  const chunk = line.repeat(Math.max(1, Math.floor(8192 / line.length)));
  for (let i = 0; ; i++) {
    await out(p, chunk);
    if (i % 8 === 7) await yieldToEventLoop();
  }
};

// ------------------------------------------------------------------ base64, sums, od, strings

export const base64: Program = async p => {
  const a = parseArgs(p.argv.slice(1), 'dwi', '', ['decode']);
  const decode = a.flags.has('d') || a.flags.has('decode');
  let data = '';
  for await (const src of sources(p, a.operands)) {
    try {
      for await (const c of src.chunks) data += c;
    } catch (e) {
      rethrowSignals(e);
      return fail(p, `${src.name}: ${fsMessage(e)}`);
    }
  }
  if (decode) {
    const clean = data.replace(/\s+/g, '');
    if (/[^A-Za-z0-9+/=]/.test(clean)) return fail(p, 'invalid input');
    await out(p, Buffer.from(clean, 'base64').toString('latin1'));
  } else {
    const enc = Buffer.from(data, encodingOf(data)).toString('base64');
    await out(p, `${enc.replace(/(.{76})/g, '$1\n').replace(/\n$/, '')}\n`);
  }
  return 0;
};

function hashProgram(algo: 'md5' | 'sha256' | 'sha1'): Program {
  return async p => {
    let status = 0;
    for await (const src of sources(
      p,
      p.argv.slice(1).filter(x => !x.startsWith('-') || x === '-'),
    )) {
      try {
        const h = createHash(algo);
        for await (const c of src.chunks) h.update(c, encodingOf(c));
        await out(p, `${h.digest('hex')}  ${src.name}\n`);
      } catch (e) {
        rethrowSignals(e);
        await err(p, `${p.name}: ${src.name}: ${fsMessage(e)}`);
        status = 1;
      }
    }
    return status;
  };
}

export const hexdump: Program = async p => {
  let data = '';
  for await (const src of sources(
    p,
    p.argv.slice(1).filter(x => !x.startsWith('-')),
  )) {
    for await (const c of src.chunks) {
      data += c;
      if (data.length >= 65536) break;
    }
  }
  data = data.slice(0, 65536);
  let text = '';
  for (let off = 0; off < data.length; off += 16) {
    const row = data.slice(off, off + 16);
    const hex = [...row].map(c =>
      (c.charCodeAt(0) & 0xff).toString(16).padStart(2, '0'),
    );
    const left = hex.slice(0, 8).join(' ');
    const right = hex.slice(8).join(' ');
    const ascii = [...row].map(c => (c >= ' ' && c <= '~' ? c : '.')).join('');
    text += `${off.toString(16).padStart(8, '0')}  ${left.padEnd(
      23,
    )}  ${right.padEnd(23)}  |${ascii}|\n`;
  }
  text += `${data.length.toString(16).padStart(8, '0')}\n`;
  await out(p, text);
  return 0;
};

export const strings: Program = async p => {
  for await (const src of sources(
    p,
    p.argv.slice(1).filter(x => !x.startsWith('-')),
  )) {
    let cur = '';
    let total = 0;
    for await (const c of src.chunks) {
      for (const ch of c) {
        if (ch >= ' ' && ch <= '~') cur += ch;
        else {
          if (cur.length >= 4) await out(p, `${cur}\n`);
          cur = '';
        }
      }
      total += c.length;
      if (total > 4 * 1024 * 1024) break;
    }
    if (cur.length >= 4) await out(p, `${cur}\n`);
  }
  return 0;
};

// ------------------------------------------------------------------ echo, printf, test, expr

export function echoText(args: string[], busyboxOrDash = false): string {
  let newline = true;
  let escapes = false;
  let i = 0;
  while (i < args.length && /^-[neE]+$/.test(args[i])) {
    if (args[i].includes('n')) newline = false;
    if (args[i].includes('e')) escapes = true;
    if (args[i].includes('E')) escapes = false;
    i++;
  }
  let s = args.slice(i).join(' ');
  if (escapes || busyboxOrDash) {
    const stop = s.indexOf('\\c');
    if (stop >= 0) {
      s = s.slice(0, stop);
      newline = false;
    }
    s = unescapeC(s);
  }
  return newline ? `${s}\n` : s;
}

function unescapeC(s: string): string {
  return s.replace(
    /\\(0[0-7]{0,3}|x[0-9a-fA-F]{1,2}|[abefnrtv\\])/g,
    (_, e: string) => {
      if (e[0] === '0')
        return String.fromCharCode(parseInt(e.slice(1) || '0', 8));
      if (e[0] === 'x') return String.fromCharCode(parseInt(e.slice(1), 16));
      return (
        {
          a: '\x07',
          b: '\b',
          e: '\x1b',
          f: '\f',
          n: '\n',
          r: '\r',
          t: '\t',
          v: '\v',
          '\\': '\\',
        } as Record<string, string>
      )[e];
    },
  );
}

export const echo: Program = async p => {
  await out(p, echoText(p.argv.slice(1)));
  return 0;
};

function formatConversion(
  conv: string,
  arg: string,
  flags: string,
  width: string,
  prec: string,
): string {
  const int = Math.trunc(Number(arg)) || 0;
  let v: string;
  switch (conv) {
    case 'd':
    case 'i':
      v = String(Math.trunc(Number(arg) || 0));
      break;
    case 'f':
      v = (Number(arg) || 0).toFixed(prec ? Number(prec) : 6);
      break;
    case 'x':
      v = int.toString(16);
      break;
    case 'X':
      v = int.toString(16).toUpperCase();
      break;
    case 'o':
      v = int.toString(8);
      break;
    case 'c':
      v = arg.charAt(0);
      break;
    case 'b':
      v = unescapeC(arg);
      break;
    default:
      v = prec ? arg.slice(0, Number(prec)) : arg;
  }
  const w = Number(width || 0);
  if (v.length >= w) return v;
  if (flags.includes('-')) return v.padEnd(w);
  return v.padStart(w, flags.includes('0') && conv !== 's' ? '0' : ' ');
}

/** One pass of a printf format over the arguments from `start`; returns the text and the arguments used. */
function formatOnce(
  fmt: string,
  args: string[],
  start: number,
): { text: string; used: number } {
  let used = 0;
  const text = unescapeC(fmt).replace(
    /%([-+ 0#]*)(\d*)(?:\.(\d+))?([sdifxXocb%])/g,
    (_m, flags: string, width: string, prec: string, conv: string) => {
      if (conv === '%') return '%';
      const arg = args[start + used] ?? '';
      used++;
      return formatConversion(conv, arg, flags, width, prec);
    },
  );
  return { text, used };
}

/** printf: the format is reused until every argument is consumed. */
export function printfText(args: string[]): string {
  const [fmt = '', ...rest] = args;
  let text = '';
  let consumed = 0;
  do {
    const once = formatOnce(fmt, rest, consumed);
    text += once.text;
    if (once.used === 0) break;
    consumed += once.used;
  } while (consumed < rest.length);
  return text;
}

export const printf: Program = async p => {
  if (p.argv.length < 2)
    return fail(p, 'missing operand', p.rt.profile.busybox ? 1 : 1);
  await out(p, printfText(p.argv.slice(1)));
  return 0;
};

/** test / [ : the usual unary and binary primaries, !, -a, -o. */
export function evaluateTest(p: Process, args: string[]): number {
  const fs = p.rt.fs;
  const unary = (op: string, x: string): boolean => {
    const n = fs.tryLookup(x, p.cwd);
    switch (op) {
      case '-e':
        return !!n;
      case '-f':
        return n?.type === 'file';
      case '-d':
        return n?.type === 'dir';
      case '-L':
      case '-h':
        return fs.tryLookup(x, p.cwd, true)?.type === 'symlink';
      case '-s':
        return (
          !!n &&
          n.type === 'file' &&
          (n.content.kind === 'dynamic' || contentBytes(n.content) > 0)
        );
      case '-r':
      case '-w':
        return !!n;
      case '-x':
        return !!n && (n.mode & 0o111) !== 0;
      case '-c':
        return n?.type === 'device';
      case '-p':
      case '-S':
      case '-b':
        return false;
      case '-z':
        return x.length === 0;
      case '-n':
        return x.length > 0;
      case '-t':
        return !!p.terminal;
      default:
        throw new Error(`${op}: unary operator expected`);
    }
  };
  const binary = (x: string, op: string, y: string): boolean => {
    const num = (s: string) => {
      if (!/^\s*-?\d+\s*$/.test(s))
        throw new Error(`${s}: integer expression expected`);
      return Number(s);
    };
    switch (op) {
      case '=':
      case '==':
        return x === y;
      case '!=':
        return x !== y;
      case '-eq':
        return num(x) === num(y);
      case '-ne':
        return num(x) !== num(y);
      case '-lt':
        return num(x) < num(y);
      case '-le':
        return num(x) <= num(y);
      case '-gt':
        return num(x) > num(y);
      case '-ge':
        return num(x) >= num(y);
      case '<':
        return x < y;
      case '>':
        return x > y;
      case '-nt':
        return (
          (fs.tryLookup(x, p.cwd)?.mtime ?? 0) >
          (fs.tryLookup(y, p.cwd)?.mtime ?? 0)
        );
      default:
        throw new Error(`${op}: binary operator expected`);
    }
  };
  let i = 0;
  function orExpr(): boolean {
    let v = andExpr();
    while (args[i] === '-o') {
      i++;
      const r = andExpr();
      v = v || r;
    }
    return v;
  }
  function andExpr(): boolean {
    let v = notExpr();
    while (args[i] === '-a') {
      i++;
      const r = notExpr();
      v = v && r;
    }
    return v;
  }
  function notExpr(): boolean {
    if (args[i] === '!') {
      i++;
      return !notExpr();
    }
    return prim();
  }
  function prim(): boolean {
    if (args[i] === '(') {
      i++;
      const v = orExpr();
      if (args[i] !== ')') throw new Error("')' expected");
      i++;
      return v;
    }
    const rest = args.length - i;
    if (
      rest >= 3 &&
      /^(=|==|!=|-eq|-ne|-lt|-le|-gt|-ge|<|>|-nt)$/.test(args[i + 1])
    ) {
      const v = binary(args[i], args[i + 1], args[i + 2]);
      i += 3;
      return v;
    }
    if (rest >= 2 && /^-[a-zA-Z]$/.test(args[i])) {
      const v = unary(args[i], args[i + 1]);
      i += 2;
      return v;
    }
    const v = (args[i] ?? '').length > 0;
    i++;
    return v;
  }
  if (args.length === 0) return 1;
  const v = orExpr();
  if (i < args.length) throw new Error(`${args[i]}: unexpected operator`);
  return v ? 0 : 1;
}

export const test: Program = async p => {
  let args = p.argv.slice(1);
  if (p.name === '[') {
    if (args[args.length - 1] !== ']') return fail(p, "missing ']'", 2);
    args = args.slice(0, -1);
  }
  try {
    return evaluateTest(p, args);
  } catch (e) {
    rethrowSignals(e);
    await err(p, `${p.name}: ${(e as Error).message}`);
    return 2;
  }
};

export const expr: Program = async p => {
  const args = p.argv.slice(1);
  const num = (s: string) => (/^-?\d+$/.test(s) ? Number(s) : NaN);
  let result: string;
  if (args.length === 3) {
    const [x, op, y] = args;
    const a = num(x);
    const b = num(y);
    switch (op) {
      case '+':
        result = String(a + b);
        break;
      case '-':
        result = String(a - b);
        break;
      case '*':
        result = String(a * b);
        break;
      case '/':
        if (b === 0) return fail(p, 'division by zero', 2);
        result = String(Math.trunc(a / b));
        break;
      case '%':
        result = String(a % b);
        break;
      case '=':
        result = x === y ? '1' : '0';
        break;
      case '!=':
        result = x !== y ? '1' : '0';
        break;
      case '<':
        result = (Number.isNaN(a) ? x < y : a < b) ? '1' : '0';
        break;
      case '>':
        result = (Number.isNaN(a) ? x > y : a > b) ? '1' : '0';
        break;
      default:
        return fail(p, 'syntax error', 2);
    }
    if (result === 'NaN') return fail(p, 'non-integer argument', 2);
  } else if (args.length === 2 && args[0] === 'length') {
    result = String(args[1].length);
  } else if (args.length === 1) {
    result = args[0];
  } else return fail(p, 'syntax error', 2);
  await out(p, `${result}\n`);
  return result === '0' || result === '' ? 1 : 0;
};

// ------------------------------------------------------------------ sed (subset)

interface SedCmd {
  addr?: (line: string, n: number, last: boolean) => boolean;
  cmd: 's' | 'p' | 'd' | 'q' | '=';
  re?: UserRegex;
  rep?: string;
  global?: boolean;
  print?: boolean;
}

function parseSed(script: string, extended: boolean): SedCmd[] {
  const cmds: SedCmd[] = [];
  const mkRe = (src: string, ignoreCase = false) =>
    userRegex(extended ? src : breToJs(src), ignoreCase);
  for (const part of script
    .split(/;|\n/)
    .map(s => s.trim())
    .filter(Boolean)) {
    let s = part;
    let addr: SedCmd['addr'];
    let m = /^(\d+|\$)(?:,(\d+|\$))?/.exec(s);
    if (m) {
      const a1 = m[1];
      const a2 = m[2];
      const at = (spec: string, n: number, last: boolean) =>
        spec === '$' ? last : n === Number(spec);
      addr = a2
        ? (_l, n, last) =>
            n >= Number(a1) &&
            (a2 === '$' ? true : n <= Number(a2)) &&
            !(a1 === '$' && !last)
        : (_l, n, last) => at(a1, n, last);
      s = s.slice(m[0].length).trim();
    } else if (/^\/((?:[^/\\]|\\.)*)\//.test(s)) {
      m = /^\/((?:[^/\\]|\\.)*)\//.exec(s)!;
      const re = mkRe(m[1]);
      addr = l => re.test(l);
      s = s.slice(m[0].length).trim();
    }
    if (s.startsWith('s') && s.length > 1) {
      const d = s[1];
      const parts: string[] = [];
      let cur = '';
      for (let i = 2; i < s.length; i++) {
        if (s[i] === '\\' && s[i + 1] === d) {
          cur += d;
          i++;
        } else if (s[i] === d) {
          parts.push(cur);
          cur = '';
        } else cur += s[i];
      }
      parts.push(cur);
      if (parts.length < 3) throw new Error(`unterminated \`s' command`);
      const [pat, rep, flags] = parts;
      cmds.push({
        addr,
        cmd: 's',
        re: mkRe(pat, flags.includes('i') || flags.includes('I')),
        rep,
        global: flags.includes('g'),
        print: flags.includes('p'),
      });
    } else if (['p', 'd', 'q', '='].includes(s)) {
      cmds.push({ addr, cmd: s as SedCmd['cmd'] });
    } else {
      throw new Error(`unsupported command in this emulated sed: ${part}`);
    }
  }
  return cmds;
}

export const sed: Program = async p => {
  const a = parseArgs(
    p.argv.slice(1),
    'nEri',
    'e',
    ['quiet', 'silent', 'regexp-extended', 'in-place'],
    ['expression'],
  );
  if (a.bad) return badOption(p, a.bad);
  const scripts = [
    ...(a.values.get('e') ?? []),
    ...(a.values.get('expression') ?? []),
  ];
  const operands = [...a.operands];
  if (scripts.length === 0) {
    if (operands.length === 0) return fail(p, 'no script specified');
    scripts.push(operands.shift()!);
  }
  let cmds: SedCmd[];
  try {
    cmds = parseSed(
      scripts.join('\n'),
      a.flags.has('E') || a.flags.has('r') || a.flags.has('regexp-extended'),
    );
  } catch (e) {
    rethrowSignals(e);
    return fail(p, `-e expression #1, char 0: ${(e as Error).message}`);
  }
  const quiet = a.flags.has('n') || a.flags.has('quiet');
  const run = async (
    chunks: AsyncGenerator<string>,
    emit: (s: string) => Promise<void>,
  ) => {
    const all: string[] = [];
    for await (const l of linesOf(chunks)) all.push(l);
    for (let i = 0; i < all.length; i++) {
      let line = all[i];
      let deleted = false;
      let quit = false;
      for (const c of cmds) {
        if (c.addr && !c.addr(line, i + 1, i === all.length - 1)) continue;
        if (c.cmd === 's') {
          const before = line;
          line = c.re!.replace(line, c.rep!, !!c.global);
          if (c.print && line !== before) await emit(`${line}\n`);
        } else if (c.cmd === 'p') await emit(`${line}\n`);
        else if (c.cmd === '=') await emit(`${i + 1}\n`);
        else if (c.cmd === 'd') {
          deleted = true;
          break;
        } else if (c.cmd === 'q') {
          quit = true;
          break;
        }
      }
      if (!deleted && !quiet) await emit(`${line}\n`);
      if (quit) break;
    }
  };
  if (a.flags.has('i') || a.flags.has('in-place')) {
    for (const f of operands) {
      try {
        let result = '';
        await run(readNode(p, p.rt.fs.lookup(f, p.cwd), f), async s => {
          result += s;
        });
        p.rt.fs.writeFile(f, result, p.cwd);
      } catch (e) {
        rethrowSignals(e);
        return fail(p, `couldn't edit ${f}: ${fsMessage(e)}`, 4);
      }
    }
    return 0;
  }
  for await (const src of sources(p, operands)) {
    try {
      await run(src.chunks, s => out(p, s));
    } catch (e) {
      rethrowSignals(e);
      if (!(e instanceof FsError)) throw e;
      return fail(p, `can't read ${src.name}: ${e.message}`, 2);
    }
  }
  return 0;
};

// ------------------------------------------------------------------ awk (subset)

/**
 * The awk people type in a terminal: `{print $1, $3}`, `-F: '{print $1}'`,
 * `/re/ {print}`, `NR==2`, `$3 > 100`, `{s+=$2} END {print s}`, `{print NF}`.
 */
export const awk: Program = async p => {
  const a = parseArgs(p.argv.slice(1), '', 'Fv');
  if (a.bad) return badOption(p, a.bad);
  const [program, ...files] = a.operands;
  if (!program)
    return fail(
      p,
      'usage: awk [-F fs][-v var=value][prog | -f progfile][file ...]',
      2,
    );
  const fsep = value(a, 'F');
  const splitter =
    fsep && fsep.length > 1 ? fsep.replace(/^\[(.)\]$/, '$1') : undefined;
  const vars = new Map<string, number | string>();
  for (const v of a.values.get('v') ?? []) {
    const [k, ...rest] = v.split('=');
    vars.set(k, rest.join('='));
  }
  type Rule = {
    kind: 'begin' | 'end' | 'main';
    test?: (f: string[], line: string, nr: number) => boolean;
    actions: string;
  };
  const rules: Rule[] = [];
  const src = program.trim();
  try {
    let pos = 0;
    while (pos < src.length) {
      while (pos < src.length && /[\s;]/.test(src[pos])) pos++;
      if (pos >= src.length) break;
      let kind: Rule['kind'] = 'main';
      const word = /^(BEGIN|END)\b/.exec(src.slice(pos));
      if (word) {
        kind = word[1] === 'BEGIN' ? 'begin' : 'end';
        pos += word[0].length;
      }
      let cond = '';
      let inRe = false;
      let inStr = false;
      while (
        pos < src.length &&
        (inRe || inStr || (src[pos] !== '{' && src[pos] !== '\n'))
      ) {
        const ch = src[pos];
        if (ch === '"' && !inRe) inStr = !inStr;
        else if (ch === '/' && !inStr && src[pos - 1] !== '\\') inRe = !inRe;
        cond += ch;
        pos++;
      }
      let actions: string | undefined;
      if (src[pos] === '{') {
        let depth = 0;
        const begin = pos;
        for (; pos < src.length; pos++) {
          if (src[pos] === '{') depth++;
          else if (src[pos] === '}' && --depth === 0) break;
        }
        if (depth !== 0)
          throw new Error(
            `syntax error at source line 1 near ${src.slice(
              begin,
              begin + 10,
            )}`,
          );
        actions = src.slice(begin + 1, pos);
        pos++;
      }
      cond = cond.trim();
      if (!cond && actions === undefined) continue;
      rules.push({
        kind,
        test: cond ? compileCondition(cond) : undefined,
        actions: actions ?? 'print',
      });
    }
  } catch (e) {
    return fail(p, (e as Error).message, 2);
  }
  let nr = 0;
  let emitted = '';
  const flush = async () => {
    if (emitted) await out(p, emitted);
    emitted = '';
  };
  const exec = (actions: string, fields: string[], line: string): void => {
    emitted += runAwkActions(actions, fields, line, nr, vars);
  };
  try {
    for (const r of rules.filter(x => x.kind === 'begin'))
      exec(r.actions, [], '');
    for await (const srcFile of sources(p, files)) {
      for await (const line of linesOf(srcFile.chunks)) {
        nr++;
        const fields = fsep
          ? line.split(fsep.length === 1 ? fsep : splitter!)
          : line.trim().split(/\s+/).filter(Boolean);
        vars.set('NF', fields.length);
        for (const r of rules.filter(x => x.kind === 'main')) {
          if (!r.test || r.test(fields, line, nr))
            exec(r.actions, fields, line);
        }
        if (emitted.length > 16384) await flush();
      }
    }
    for (const r of rules.filter(x => x.kind === 'end'))
      exec(r.actions, [], '');
  } catch (e) {
    rethrowSignals(e);
    if (e instanceof FsError) return fail(p, `can't open file ${files[0]}`, 2);
    if (e instanceof Interrupted) throw e;
    await flush();
    return fail(p, (e as Error).message, 2);
  }
  await flush();
  return 0;

  function compileCondition(cond: string): Rule['test'] {
    const re = /^\/((?:[^/\\]|\\.)*)\/$/.exec(cond);
    if (re) {
      const r = userRegex(re[1]);
      return (_f, line) => r.test(line);
    }
    const m = /^(.+?)\s*(==|!=|>=|<=|>|<|~|!~)\s*(.+)$/.exec(cond);
    if (!m)
      throw new Error(`unsupported pattern in this emulated awk: ${cond}`);
    const [, l, op, r] = m;
    return (fields, line, n) => {
      const x = evalExpr(l, fields, line, n, vars);
      if (op === '~' || op === '!~') {
        const rr = /^\/(.*)\/$/.exec(r.trim());
        const hit = userRegex(
          rr ? rr[1] : String(evalExpr(r, fields, line, n, vars)),
        ).test(String(x));
        return op === '~' ? hit : !hit;
      }
      const y = evalExpr(r, fields, line, n, vars);
      const bothNum =
        !Number.isNaN(Number(x)) &&
        !Number.isNaN(Number(y)) &&
        String(x) !== '' &&
        String(y) !== '';
      const [cx, cy] = bothNum
        ? [Number(x), Number(y)]
        : [String(x), String(y)];
      switch (op) {
        case '==':
          return cx === cy;
        case '!=':
          return cx !== cy;
        case '>':
          return cx > cy;
        case '<':
          return cx < cy;
        case '>=':
          return cx >= cy;
        default:
          return cx <= cy;
      }
    };
  }
};

/** awk statements: print, printf, assignments (=, +=, -=, *=), ++ and --. */
function runAwkActions(
  actions: string,
  fields: string[],
  line: string,
  nr: number,
  vars: Map<string, number | string>,
): string {
  let emitted = '';
  const evaluate = (x: string) => evalExpr(x, fields, line, nr, vars);
  for (const stmt of actions
    .split(/;|\n/)
    .map(x => x.trim())
    .filter(Boolean)) {
    const print = /^print\s+(.+)$/.exec(stmt);
    const printfMatch = /^printf\s+(.+)$/.exec(stmt);
    const assign = /^([A-Za-z_]\w*)\s*(\+|-|\*)?=\s*(.+)$/.exec(stmt);
    const step = /^([A-Za-z_]\w*)(\+\+|--)$/.exec(stmt);
    if (stmt === 'print' || stmt === 'print $0') emitted += `${line}\n`;
    else if (print)
      emitted += `${splitArgs(print[1]).map(evaluate).join(' ')}\n`;
    else if (printfMatch)
      emitted += printfText(
        splitArgs(printfMatch[1]).map(x => String(evaluate(x))),
      );
    else if (assign) {
      const v = evaluate(assign[3]);
      const cur = Number(vars.get(assign[1]) ?? 0);
      const ops: Record<string, (a: number, b: number) => number> = {
        '+': (a, b) => a + b,
        '-': (a, b) => a - b,
        '*': (a, b) => a * b,
      };
      vars.set(assign[1], assign[2] ? ops[assign[2]](cur, Number(v)) : v);
    } else if (step) {
      vars.set(
        step[1],
        Number(vars.get(step[1]) ?? 0) + (step[2] === '++' ? 1 : -1),
      );
    } else
      throw new Error(`unsupported statement in this emulated awk: ${stmt}`);
  }
  return emitted;
}

function splitArgs(s: string): string[] {
  const parts: string[] = [];
  let cur = '';
  let q = false;
  for (const ch of s) {
    if (ch === '"') q = !q;
    if (ch === ',' && !q) {
      parts.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) parts.push(cur.trim());
  return parts;
}

function evalExpr(
  source: string,
  fields: string[],
  line: string,
  nr: number,
  vars: Map<string, number | string>,
): string | number {
  const tokens =
    source.match(
      /"(?:[^"\\]|\\.)*"|\$\(?[A-Za-z_0-9]+\)?|[A-Za-z_]\w*|\d+(?:\.\d+)?|[-+*/%()]/g,
    ) ?? [];
  // concatenation of terms; arithmetic when operators are present
  if (tokens.some(t => /^[-+*/%]$/.test(t))) {
    let js = '';
    for (const t of tokens) {
      if (/^[-+*/%()]$/.test(t)) js += t;
      else js += String(Number(term(t)) || 0);
    }
    return arith(js);
  }
  return tokens.map(term).join('');

  function term(t: string): string | number {
    if (t.startsWith('"'))
      return t
        .slice(1, -1)
        .replace(/\\n/g, '\n')
        .replace(/\\t/g, '\t')
        .replace(/\\"/g, '"');
    if (t.startsWith('$')) {
      const inner = t.replace(/^\$\(?/, '').replace(/\)$/, '');
      const idx = /^\d+$/.test(inner)
        ? Number(inner)
        : Number(inner === 'NF' ? fields.length : vars.get(inner) ?? 0);
      return idx === 0 ? line : fields[idx - 1] ?? '';
    }
    if (t === 'NR') return nr;
    if (t === 'NF') return fields.length;
    if (/^\d/.test(t)) return Number(t);
    return vars.get(t) ?? '';
  }
}

/** Integer/float arithmetic over + - * / % and parentheses (no eval). */
export function arith(src: string): number {
  const s = src.replace(/\s+/g, '');
  let i = 0;
  function add(): number {
    let v = mul();
    while (s[i] === '+' || s[i] === '-') {
      const op = s[i++];
      const r = mul();
      v = op === '+' ? v + r : v - r;
    }
    return v;
  }
  function mul(): number {
    let v = num();
    while (s[i] === '*' || s[i] === '/' || s[i] === '%') {
      const op = s[i++];
      const r = num();
      if (op === '*') v *= r;
      else v = op === '/' ? v / r : v % r;
    }
    return v;
  }
  function num(): number {
    if (s[i] === '(') {
      i++;
      const v = add();
      i++;
      return v;
    }
    if (s[i] === '-' || s[i] === '+') return s[i++] === '-' ? -num() : num();
    const m = /^\d+(\.\d+)?/.exec(s.slice(i));
    if (!m) throw new Error('syntax error in expression');
    i += m[0].length;
    return Number(m[0]);
  }
  return add();
}

export const TEXT_PROGRAMS: Record<string, Program> = {
  grep,
  egrep: grep,
  fgrep: grep,
  sort,
  uniq,
  cut,
  tr,
  tee,
  xargs,
  seq,
  yes,
  base64,
  md5sum: hashProgram('md5'),
  sha256sum: hashProgram('sha256'),
  sha1sum: hashProgram('sha1'),
  hexdump,
  od: hexdump,
  strings,
  echo,
  printf,
  test,
  '[': test,
  expr,
  sed,
  awk,
};

export { normalise, write };
