/** File programs: ls, cat, head, tail, wc, mkdir, rmdir, touch, rm, cp, mv, ln, find, du, df, stat, chmod, ... */
import {
  basename,
  dirname,
  FsError,
  normalise,
  readChunks,
  type DirNode,
  type Node,
} from '../memfs';
import { Interrupted, sleep, type Process, type Program } from '../runtime';
import { yieldToEventLoop } from '../streams';
import {
  badOption,
  contentBytes,
  err,
  fail,
  fsMessage,
  human,
  inputChunks,
  linesOf,
  lsTime,
  nodeSize,
  out,
  parseArgs,
  permString,
  readNode,
  readPath,
  sources,
  value,
  rethrowSignals,
} from './util';
import { globMatcher } from './regex';

const userName = (uid: number) =>
  ((
    { 0: 'root', 1000: 'node', 101: 'nginx', 65534: 'nobody' } as Record<
      number,
      string
    >
  )[uid] ?? String(uid));

async function cannotAccess(
  p: Process,
  path: string,
  e: unknown,
): Promise<void> {
  if (p.rt.profile.busybox) await err(p, `${p.name}: ${path}: ${fsMessage(e)}`);
  else await err(p, `${p.name}: cannot access '${path}': ${fsMessage(e)}`);
}

// ------------------------------------------------------------------ ls

function byteOrder(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

function classifySuffix(n: Node): string {
  if (n.type === 'dir') return '/';
  if (n.type === 'symlink') return '@';
  return n.type === 'file' && n.mode & 0o111 ? '*' : '';
}

export const ls: Program = async p => {
  const a = parseArgs(
    p.argv.slice(1),
    'laAhR1dtrSFip',
    '',
    ['all', 'human-readable', 'recursive', 'directory', 'color', 'help'],
    ['color'],
  );
  if (a.bad) return badOption(p, a.bad);
  const long = a.flags.has('l');
  const all = a.flags.has('a') || a.flags.has('all');
  const almost = a.flags.has('A');
  const h = a.flags.has('h') || a.flags.has('human-readable');
  const recursive = a.flags.has('R') || a.flags.has('recursive');
  const dirOnly = a.flags.has('d') || a.flags.has('directory');
  const one = a.flags.has('1') || !p.stdoutIsTty;
  const classify = a.flags.has('F');
  const inode = a.flags.has('i');
  const now = p.rt.clock.now();
  const fs = p.rt.fs;
  let status = 0;
  const operands = a.operands.length ? a.operands : ['.'];

  const sortEntries = (entries: Array<[string, Node]>) => {
    if (a.flags.has('t'))
      entries.sort((x, y) => y[1].mtime - x[1].mtime || (x[0] < y[0] ? -1 : 1));
    else if (a.flags.has('S'))
      entries.sort(
        (x, y) => nodeSize(y[1]) - nodeSize(x[1]) || (x[0] < y[0] ? -1 : 1),
      );
    else entries.sort((x, y) => byteOrder(x[0], y[0]));
    if (a.flags.has('r')) entries.reverse();
    return entries;
  };
  const suffix = (n: Node) => (classify ? classifySuffix(n) : '');
  const ino = (name: string) =>
    inode
      ? `${String(100000 + ((name.length * 7919) % 90000)).padStart(7)} `
      : '';

  const longLine = (name: string, n: Node, linkPath?: string): string => {
    let size = h ? human(nodeSize(n)) : String(nodeSize(n));
    if (n.type === 'device') size = n.device === 'null' ? '1,   3' : '1,   5';
    const links =
      n.type === 'dir'
        ? 2 + [...fs.children(n).values()].filter(c => c.type === 'dir').length
        : 1;
    const target =
      n.type === 'symlink'
        ? ` -> ${typeof n.target === 'function' ? n.target() : n.target}`
        : '';
    void linkPath;
    if (p.rt.profile.busybox) {
      return `${ino(name)}${permString(n)} ${String(links).padStart(
        4,
      )} ${userName(n.uid).padEnd(8)} ${userName(n.gid).padEnd(
        8,
      )} ${size.padStart(9)} ${lsTime(n.mtime, now)} ${name}${target}${suffix(
        n,
      )}`;
    }
    return `${ino(name)}${permString(n)} ${String(links).padStart(
      2,
    )} ${userName(n.uid)} ${userName(n.gid)} ${size.padStart(
      h ? 4 : 6,
    )} ${lsTime(n.mtime, now)} ${name}${target}${suffix(n)}`;
  };

  const columns = (names: string[]): string => {
    if (one || names.length === 0) return names.map(n => `${n}\n`).join('');
    const width = p.terminal?.cols ?? 80;
    const colWidth = Math.max(...names.map(n => n.length)) + 2;
    const perRow = Math.max(1, Math.floor(width / colWidth));
    const rows = Math.ceil(names.length / perRow);
    let s = '';
    for (let r = 0; r < rows; r++) {
      const row: string[] = [];
      for (let c = 0; c < perRow; c++) {
        const i = c * rows + r;
        if (i < names.length) row.push(names[i].padEnd(colWidth));
      }
      s += `${row.join('').trimEnd()}\n`;
    }
    return s;
  };

  const listDir = async (path: string, dir: DirNode, header: boolean) => {
    let entries = [...fs.children(dir)].filter(
      ([n]) => all || almost || !n.startsWith('.'),
    );
    entries = sortEntries(entries);
    if (all) entries = [['.', dir], ['..', dir], ...entries];
    if (header) await out(p, `${path}:\n`);
    if (long) {
      const blocks = entries.reduce(
        (s, [, n]) => s + Math.ceil(nodeSize(n) / 4096) * 4,
        0,
      );
      await out(p, `total ${blocks}\n`);
      let text = '';
      for (const [name, n] of entries) text += `${longLine(name, n)}\n`;
      await out(p, text);
    } else {
      await out(
        p,
        columns(entries.map(([name, n]) => `${ino(name)}${name}${suffix(n)}`)),
      );
    }
    if (recursive) {
      for (const [name, n] of entries) {
        if (n.type === 'dir' && name !== '.' && name !== '..') {
          await out(p, '\n');
          await listDir(
            `${path === '/' ? '' : path}/${name}`.replace(/^\.\//, './'),
            n,
            true,
          );
          await yieldToEventLoop();
        }
      }
    }
  };

  const files: Array<[string, Node]> = [];
  const dirs: Array<[string, DirNode]> = [];
  for (const op of operands) {
    try {
      const node = fs.lookup(op, p.cwd, long || dirOnly);
      if (node.type === 'dir' && !dirOnly) dirs.push([op, node]);
      else files.push([op, node]);
    } catch (e) {
      rethrowSignals(e);
      await cannotAccess(p, op, e);
      status = p.rt.profile.busybox ? 1 : 2;
    }
  }
  if (files.length) {
    if (long)
      for (const [name, n] of sortEntries(files))
        await out(p, `${longLine(name, n)}\n`);
    else
      await out(
        p,
        columns(sortEntries(files).map(([n, node]) => `${n}${suffix(node)}`)),
      );
  }
  const many = operands.length > 1 || recursive;
  for (let i = 0; i < dirs.length; i++) {
    if (i > 0 || files.length) await out(p, '\n');
    await listDir(dirs[i][0], dirs[i][1], many);
  }
  return status;
};

// ------------------------------------------------------------------ cat, head, tail, wc

export const cat: Program = async p => {
  const a = parseArgs(p.argv.slice(1), 'nAuvetsb');
  if (a.bad) return badOption(p, a.bad);
  const number = a.flags.has('n');
  let status = 0;
  let lineNo = 0;
  for await (const src of sources(p, a.operands)) {
    try {
      if (number) {
        for await (const line of linesOf(src.chunks))
          await out(p, `${String(++lineNo).padStart(6)}\t${line}\n`);
      } else {
        for await (const chunk of src.chunks) await out(p, chunk);
      }
    } catch (e) {
      rethrowSignals(e);
      if (!(e instanceof FsError)) throw e;
      await err(
        p,
        p.rt.profile.busybox
          ? `cat: can't open '${src.name}': ${e.message}`
          : `cat: ${src.name}: ${e.message}`,
      );
      status = 1;
    }
  }
  return status;
};

function countArg(
  a: ReturnType<typeof parseArgs>,
  key: string,
  argv: string[],
): string | undefined {
  const v = value(a, key);
  if (v !== undefined) return v;
  const old = argv.find(x => /^-\d+$/.test(x));
  return old?.slice(1);
}

export const head: Program = async p => {
  const argv = p.argv.slice(1).filter(x => !/^-\d+$/.test(x));
  const a = parseArgs(argv, 'qv', 'nc', [], ['lines', 'bytes']);
  if (a.bad) return badOption(p, a.bad);
  const n = Number(countArg(a, 'n', p.argv) ?? value(a, 'lines') ?? 10);
  const bytes = value(a, 'c') ?? value(a, 'bytes');
  if (!Number.isFinite(n))
    return fail(p, `invalid number of lines: '${value(a, 'n')}'`);
  let status = 0;
  const multi = a.operands.length > 1;
  let first = true;
  for await (const src of sources(p, a.operands)) {
    try {
      if (multi) await out(p, `${first ? '' : '\n'}==> ${src.name} <==\n`);
      first = false;
      if (bytes !== undefined) {
        let left = Number(bytes);
        for await (const c of src.chunks) {
          await out(p, c.slice(0, left));
          left -= c.length;
          if (left <= 0) break;
        }
      } else {
        let i = 0;
        if (n > 0) {
          for await (const line of linesOf(src.chunks)) {
            await out(p, `${line}\n`);
            if (++i >= n) break;
          }
        }
      }
      if (src.name === '-') p.stdin.close?.();
    } catch (e) {
      rethrowSignals(e);
      if (!(e instanceof FsError)) throw e;
      await err(
        p,
        p.rt.profile.busybox
          ? `head: ${src.name}: ${e.message}`
          : `head: cannot open '${src.name}' for reading: ${e.message}`,
      );
      status = 1;
    }
  }
  return status;
};

/** The last n lines of a file, read backwards in chunks (huge files stay cheap). */
function lastLines(
  content: import('../memfs').Content,
  n: number,
): { text: string; size: number } {
  if (content.kind !== 'virtual') {
    const all = [...readChunks(content)].join('');
    const lines = all.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    const text = lines.slice(Math.max(0, lines.length - n)).join('\n');
    return {
      text: text ? `${text}${all.endsWith('\n') ? '\n' : ''}` : '',
      size: all.length,
    };
  }
  const size = content.size();
  let text = '';
  let offset = size;
  while (offset > 0) {
    const len = Math.min(65536, offset);
    offset -= len;
    text = content.read(offset, len) + text;
    const count = (text.match(/\n/g) ?? []).length;
    if (count > n) break;
  }
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const picked = lines.slice(Math.max(0, lines.length - n));
  return { text: picked.length ? `${picked.join('\n')}\n` : '', size };
}

export const tail: Program = async p => {
  const argv = p.argv.slice(1).filter(x => !/^-\d+$/.test(x));
  const a = parseArgs(argv, 'fFqv', 'nc', ['follow'], ['lines', 'bytes']);
  if (a.bad) return badOption(p, a.bad);
  const spec = countArg(a, 'n', p.argv) ?? value(a, 'lines') ?? '10';
  const fromStart = spec.startsWith('+');
  const n = Math.abs(Number(spec.replace(/^\+/, '')));
  if (!Number.isFinite(n)) return fail(p, `invalid number of lines: '${spec}'`);
  const follow = a.flags.has('f') || a.flags.has('F') || a.flags.has('follow');
  const fs = p.rt.fs;
  let status = 0;

  if (a.operands.length === 0) {
    const lines: string[] = [];
    let i = 0;
    for await (const line of linesOf(inputChunks(p.stdin))) {
      i++;
      if (fromStart) {
        if (i >= n) await out(p, `${line}\n`);
      } else {
        lines.push(line);
        if (lines.length > n) lines.shift();
      }
    }
    if (!fromStart && lines.length) await out(p, `${lines.join('\n')}\n`);
    return 0;
  }

  const followed: Array<{ name: string; size: number }> = [];
  const multi = a.operands.length > 1;
  for (const [idx, name] of a.operands.entries()) {
    try {
      const node = fs.lookup(name, p.cwd);
      if (node.type === 'dir') throw new FsError('EISDIR', name);
      if (multi) await out(p, `${idx ? '\n' : ''}==> ${name} <==\n`);
      if (node.type !== 'file') {
        for await (const c of readNode(p, node, name)) await out(p, c);
        continue;
      }
      if (fromStart) {
        let i = 0;
        for await (const line of linesOf(readNode(p, node, name)))
          if (++i >= n) await out(p, `${line}\n`);
        followed.push({ name, size: contentBytes(node.content) });
      } else {
        const last = lastLines(node.content, n);
        await out(p, last.text);
        followed.push({ name, size: contentBytes(node.content) });
      }
    } catch (e) {
      rethrowSignals(e);
      if (!(e instanceof FsError)) throw e;
      await err(
        p,
        p.rt.profile.busybox
          ? `tail: can't open '${name}': ${e.message}`
          : `tail: cannot open '${name}' for reading: ${e.message}`,
      );
      status = 1;
    }
  }
  if (!follow) return status;
  if (followed.length === 0) return fail(p, 'no files remaining');
  // -f: poll once a second on the container's clock until interrupted.
  for (;;) {
    await sleep(p.rt.clock, 1000, p.signal);
    for (const f of followed) {
      const node = fs.tryLookup(f.name, p.cwd);
      if (node?.type !== 'file') continue;
      const size = contentBytes(node.content);
      if (size < f.size) {
        await err(p, `tail: ${f.name}: file truncated`);
        f.size = 0;
      }
      if (size > f.size) {
        const c = node.content;
        const chunk =
          c.kind === 'virtual'
            ? c.read(f.size, size - f.size)
            : [...readChunks(c)].join('').slice(f.size);
        await out(p, chunk);
        f.size = size;
      }
    }
  }
};

export const wc: Program = async p => {
  const a = parseArgs(p.argv.slice(1), 'lwcmL', '', [
    'lines',
    'words',
    'bytes',
    'chars',
  ]);
  if (a.bad) return badOption(p, a.bad);
  let show = ['l', 'w', 'c'].filter(
    f =>
      a.flags.has(f) ||
      (f === 'l' && a.flags.has('lines')) ||
      (f === 'w' && a.flags.has('words')) ||
      (f === 'c' &&
        (a.flags.has('bytes') || a.flags.has('m') || a.flags.has('chars'))),
  );
  if (show.length === 0) show = ['l', 'w', 'c'];
  const rows: Array<{ counts: number[]; name: string }> = [];
  let status = 0;
  for await (const src of sources(p, a.operands)) {
    try {
      let l = 0;
      let w = 0;
      let c = 0;
      let inWord = false;
      for await (const chunk of src.chunks) {
        c +=
          Buffer.byteLength(chunk, 'latin1') === chunk.length
            ? Buffer.byteLength(chunk)
            : chunk.length;
        for (let i = 0; i < chunk.length; i++) {
          const ch = chunk.charCodeAt(i);
          if (ch === 10) l++;
          const space = ch === 32 || (ch >= 9 && ch <= 13);
          if (!space && !inWord) w++;
          inWord = !space;
        }
      }
      const all = { l, w, c } as Record<string, number>;
      rows.push({
        counts: show.map(s => all[s]),
        name: src.name === '-' ? '' : src.name,
      });
    } catch (e) {
      rethrowSignals(e);
      if (!(e instanceof FsError)) throw e;
      await err(p, `wc: ${src.name}: ${e.message}`);
      status = 1;
    }
  }
  if (rows.length > 1)
    rows.push({
      counts: show.map((_, i) => rows.reduce((s, r) => s + r.counts[i], 0)),
      name: 'total',
    });
  const single = rows.length === 1 && show.length === 1;
  const width = single
    ? 0
    : Math.max(
        ...rows.flatMap(r => r.counts.map(c => String(c).length)),
        p.rt.profile.busybox ? 7 : 1,
      );
  for (const r of rows) {
    await out(
      p,
      `${r.counts.map(c => String(c).padStart(width)).join(' ')}${
        r.name ? ` ${r.name}` : ''
      }\n`,
    );
  }
  return status;
};

export const tac: Program = async p => {
  let status = 0;
  for await (const src of sources(p, p.argv.slice(1))) {
    try {
      const lines: string[] = [];
      for await (const l of linesOf(src.chunks)) lines.push(l);
      await out(
        p,
        lines
          .reverse()
          .map(l => `${l}\n`)
          .join(''),
      );
    } catch (e) {
      rethrowSignals(e);
      await err(p, `tac: ${src.name}: ${fsMessage(e)}`);
      status = 1;
    }
  }
  return status;
};

export const rev: Program = async p => {
  for await (const src of sources(p, p.argv.slice(1))) {
    for await (const l of linesOf(src.chunks))
      await out(p, `${[...l].reverse().join('')}\n`);
  }
  return 0;
};

export const nl: Program = async p => {
  let i = 0;
  for await (const src of sources(p, p.argv.slice(1))) {
    for await (const l of linesOf(src.chunks))
      await out(p, l ? `${String(++i).padStart(6)}\t${l}\n` : '\n');
  }
  return 0;
};

// ------------------------------------------------------------------ mkdir, rmdir, touch, rm

export const mkdir: Program = async p => {
  const a = parseArgs(p.argv.slice(1), 'pv', 'm', ['parents', 'verbose']);
  if (a.bad) return badOption(p, a.bad);
  if (a.operands.length === 0) return fail(p, 'missing operand');
  let status = 0;
  for (const d of a.operands) {
    try {
      p.rt.fs.mkdir(
        d,
        p.cwd,
        a.flags.has('p') || a.flags.has('parents'),
        value(a, 'm') ? parseInt(value(a, 'm')!, 8) : 0o755,
      );
      if (a.flags.has('v')) await out(p, `mkdir: created directory '${d}'\n`);
    } catch (e) {
      rethrowSignals(e);
      await err(
        p,
        p.rt.profile.busybox
          ? `mkdir: can't create directory '${d}': ${fsMessage(e)}`
          : `mkdir: cannot create directory '${d}': ${fsMessage(e)}`,
      );
      status = 1;
    }
  }
  return status;
};

export const rmdir: Program = async p => {
  let status = 0;
  for (const d of p.argv.slice(1).filter(x => !x.startsWith('-'))) {
    try {
      p.rt.fs.rmdir(d, p.cwd);
    } catch (e) {
      rethrowSignals(e);
      await err(p, `rmdir: failed to remove '${d}': ${fsMessage(e)}`);
      status = 1;
    }
  }
  return status;
};

export const touch: Program = async p => {
  const a = parseArgs(p.argv.slice(1), 'acm', 'dt');
  if (a.bad) return badOption(p, a.bad);
  if (a.operands.length === 0) return fail(p, 'missing file operand');
  let status = 0;
  for (const f of a.operands) {
    try {
      const n = p.rt.fs.tryLookup(f, p.cwd);
      if (n) n.mtime = p.rt.clock.now();
      else if (!a.flags.has('c')) p.rt.fs.writeFile(f, '', p.cwd);
    } catch (e) {
      rethrowSignals(e);
      await err(p, `touch: cannot touch '${f}': ${fsMessage(e)}`);
      status = 1;
    }
  }
  return status;
};

export const rm: Program = async p => {
  const a = parseArgs(p.argv.slice(1), 'rRfvid', '', [
    'recursive',
    'force',
    'verbose',
    'no-preserve-root',
    'preserve-root',
    'dir',
  ]);
  if (a.bad) return badOption(p, a.bad);
  const recursive =
    a.flags.has('r') || a.flags.has('R') || a.flags.has('recursive');
  const force = a.flags.has('f') || a.flags.has('force');
  if (a.operands.length === 0) return force ? 0 : fail(p, 'missing operand');
  let status = 0;
  for (const f of a.operands) {
    const abs = normalise(f, p.cwd);
    if (abs === '/' && recursive && !a.flags.has('no-preserve-root')) {
      await err(p, "rm: it is dangerous to operate recursively on '/'");
      await err(p, 'rm: use --no-preserve-root to override this failsafe');
      status = 1;
      continue;
    }
    try {
      const node = p.rt.fs.lookup(f, p.cwd, true);
      if (node.type === 'dir' && !recursive && !a.flags.has('d')) {
        await err(
          p,
          p.rt.profile.busybox
            ? `rm: '${f}' is a directory`
            : `rm: cannot remove '${f}': Is a directory`,
        );
        status = 1;
        continue;
      }
      if (abs === '/') {
        for (const name of [...p.rt.fs.root.children.keys()]) {
          try {
            p.rt.fs.remove(`/${name}`, '/', true);
          } catch (e) {
            rethrowSignals(e);
            await err(p, `rm: cannot remove '/${name}': ${fsMessage(e)}`);
            status = 1;
          }
        }
        continue;
      }
      p.rt.fs.remove(f, p.cwd, true);
      if (a.flags.has('v')) await out(p, `removed '${f}'\n`);
    } catch (e) {
      rethrowSignals(e);
      if (force && e instanceof FsError && e.code === 'ENOENT') continue;
      await err(
        p,
        p.rt.profile.busybox
          ? `rm: can't remove '${f}': ${fsMessage(e)}`
          : `rm: cannot remove '${f}': ${fsMessage(e)}`,
      );
      status = 1;
    }
  }
  return status;
};

// ------------------------------------------------------------------ cp, mv, ln

export const cp: Program = async p => {
  const a = parseArgs(p.argv.slice(1), 'rRapfvnL', '', [
    'recursive',
    'archive',
    'force',
    'verbose',
  ]);
  if (a.bad) return badOption(p, a.bad);
  const recursive = ['r', 'R', 'a', 'recursive', 'archive'].some(f =>
    a.flags.has(f),
  );
  if (a.operands.length < 2)
    return fail(
      p,
      a.operands.length
        ? `missing destination file operand after '${a.operands[0]}'`
        : 'missing file operand',
    );
  const fs = p.rt.fs;
  const dest = a.operands[a.operands.length - 1];
  const srcs = a.operands.slice(0, -1);
  const destNode = fs.tryLookup(dest, p.cwd);
  if (srcs.length > 1 && destNode?.type !== 'dir')
    return fail(p, `target '${dest}' is not a directory`);
  let status = 0;
  for (const s of srcs) {
    try {
      const node = fs.lookup(s, p.cwd);
      if (node.type === 'dir' && !recursive) {
        await err(p, `cp: -r not specified; omitting directory '${s}'`);
        status = 1;
        continue;
      }
      const target =
        destNode?.type === 'dir'
          ? `${normalise(dest, p.cwd)}/${basename(s)}`
          : normalise(dest, p.cwd);
      if (
        node.type === 'file' &&
        (node.content.kind === 'virtual' || node.content.kind === 'dynamic')
      ) {
        let data = '';
        for (const c of readChunks(node.content)) {
          data += c;
          if (data.length > 8 * 1024 * 1024)
            throw new FsError('ENOSPC', target);
        }
        fs.writeFile(
          target,
          node.content.kind === 'virtual' ? Buffer.from(data, 'latin1') : data,
          '/',
          false,
          node.mode,
        );
      } else if (node.type === 'device') {
        fs.writeFile(target, '', '/');
      } else {
        const copy = fs.copyNode(node);
        const { dir, name } = fs.parent(target);
        dir.children.set(name, copy);
      }
      if (a.flags.has('v')) await out(p, `'${s}' -> '${target}'\n`);
    } catch (e) {
      rethrowSignals(e);
      await err(p, `cp: cannot stat '${s}': ${fsMessage(e)}`);
      status = 1;
    }
  }
  return status;
};

export const mv: Program = async p => {
  const a = parseArgs(p.argv.slice(1), 'fivn', '', ['force', 'verbose']);
  if (a.bad) return badOption(p, a.bad);
  if (a.operands.length < 2)
    return fail(
      p,
      a.operands.length
        ? `missing destination file operand after '${a.operands[0]}'`
        : 'missing file operand',
    );
  const dest = a.operands[a.operands.length - 1];
  let status = 0;
  for (const s of a.operands.slice(0, -1)) {
    try {
      p.rt.fs.rename(s, dest, p.cwd);
      if (a.flags.has('v')) await out(p, `renamed '${s}' -> '${dest}'\n`);
    } catch (e) {
      rethrowSignals(e);
      await err(p, `mv: cannot move '${s}' to '${dest}': ${fsMessage(e)}`);
      status = 1;
    }
  }
  return status;
};

export const ln: Program = async p => {
  const a = parseArgs(p.argv.slice(1), 'sfnv');
  if (a.bad) return badOption(p, a.bad);
  if (a.operands.length < 1) return fail(p, 'missing file operand');
  const target = a.operands[0];
  const link = a.operands[1] ?? basename(target);
  const fs = p.rt.fs;
  try {
    const linkPath =
      fs.tryLookup(link, p.cwd)?.type === 'dir'
        ? `${normalise(link, p.cwd)}/${basename(target)}`
        : normalise(link, p.cwd);
    if (fs.tryLookup(linkPath, '/', true)) {
      if (!a.flags.has('f'))
        return fail(
          p,
          `failed to create ${
            a.flags.has('s') ? 'symbolic ' : 'hard '
          }link '${link}': File exists`,
        );
      fs.remove(linkPath, '/', false);
    }
    const { dir, name } = fs.parent(linkPath);
    if (a.flags.has('s')) {
      dir.children.set(name, {
        type: 'symlink',
        target,
        mode: 0o777,
        uid: 0,
        gid: 0,
        mtime: p.rt.clock.now(),
      });
    } else {
      const node = fs.lookup(target, p.cwd);
      if (node.type === 'dir')
        return fail(p, `'${target}': hard link not allowed for directory`);
      dir.children.set(name, node);
    }
    return 0;
  } catch (e) {
    rethrowSignals(e);
    return fail(p, `failed to create link '${link}': ${fsMessage(e)}`);
  }
};

export const readlink: Program = async p => {
  const a = parseArgs(p.argv.slice(1), 'fenm');
  const canonical =
    a.flags.has('f') ||
    a.flags.has('e') ||
    a.flags.has('m') ||
    p.name === 'realpath';
  let status = 0;
  for (const f of a.operands) {
    try {
      if (canonical) {
        await out(p, `${p.rt.fs.resolve(f, p.cwd).path}\n`);
      } else {
        const n = p.rt.fs.lookup(f, p.cwd, true);
        if (n.type !== 'symlink') {
          status = 1;
          continue;
        }
        await out(
          p,
          `${typeof n.target === 'function' ? n.target() : n.target}\n`,
        );
      }
    } catch (e) {
      rethrowSignals(e);
      if (p.name === 'realpath')
        await err(p, `realpath: ${f}: ${fsMessage(e)}`);
      status = 1;
    }
  }
  return status;
};

export const basenameCmd: Program = async p => {
  const args = p.argv.slice(1);
  if (args.length === 0) return fail(p, 'missing operand');
  let b = basename(args[0]);
  if (args[1] && b.endsWith(args[1]) && b !== args[1])
    b = b.slice(0, -args[1].length);
  await out(p, `${b}\n`);
  return 0;
};

export const dirnameCmd: Program = async p => {
  const args = p.argv.slice(1);
  if (args.length === 0) return fail(p, 'missing operand');
  for (const a of args) await out(p, `${dirname(a)}\n`);
  return 0;
};

// ------------------------------------------------------------------ find

type Pred = (
  path: string,
  node: Node,
  depth: number,
) => Promise<boolean> | boolean;

export const find: Program = async p => {
  const args = p.argv.slice(1);
  const fs = p.rt.fs;
  const paths: string[] = [];
  let i = 0;
  while (
    i < args.length &&
    !args[i].startsWith('-') &&
    args[i] !== '!' &&
    args[i] !== '('
  )
    paths.push(args[i++]);
  if (paths.length === 0) paths.push('.');
  let maxDepth = Number.POSITIVE_INFINITY;
  let minDepth = 0;
  let printed = false;
  let status = 0;
  const pending: string[][] = [];

  // expression parser: or → and → not → primary
  const toks = args.slice(i);
  let k = 0;
  function parseOr(): Pred {
    let left = parseAnd();
    while (toks[k] === '-o' || toks[k] === '-or') {
      k++;
      const l = left;
      const r = parseAnd();
      left = async (pa, n, d) => (await l(pa, n, d)) || r(pa, n, d);
    }
    return left;
  }
  function parseAnd(): Pred {
    let left = parseNot();
    while (
      k < toks.length &&
      toks[k] !== '-o' &&
      toks[k] !== '-or' &&
      toks[k] !== ')'
    ) {
      if (toks[k] === '-a' || toks[k] === '-and') k++;
      const l = left;
      const r = parseNot();
      left = async (pa, n, d) => (await l(pa, n, d)) && r(pa, n, d);
    }
    return left;
  }
  function parseNot(): Pred {
    if (toks[k] === '!' || toks[k] === '-not') {
      k++;
      const inner = parseNot();
      return async (pa, n, d) => !(await inner(pa, n, d));
    }
    return primary();
  }
  function need(opt: string): string {
    const v = toks[++k];
    if (v === undefined) throw new Error(`missing argument to \`${opt}'`);
    return v;
  }
  function primary(): Pred {
    const t = toks[k];
    if (t === '(') {
      k++;
      const e = parseOr();
      if (toks[k] !== ')')
        throw new Error(
          "invalid expression; I was expecting to find a ')' somewhere but did not see one.",
        );
      k++;
      return e;
    }
    switch (t) {
      case '-name':
      case '-iname': {
        const re = globMatcher(need(t), t === '-iname');
        k++;
        return pa => re.test(basename(pa));
      }
      case '-path':
      case '-wholename': {
        const re = globMatcher(need(t));
        k++;
        return pa => re.test(pa);
      }
      case '-type': {
        const ty = need(t);
        k++;
        const wanted = (
          { f: 'file', d: 'dir', l: 'symlink', c: 'device' } as Record<
            string,
            string
          >
        )[ty];
        return (_pa, n) => n.type === wanted;
      }
      case '-maxdepth':
        maxDepth = Number(need(t));
        k++;
        return () => true;
      case '-mindepth':
        minDepth = Number(need(t));
        k++;
        return () => true;
      case '-empty':
        k++;
        return (_pa, n) =>
          n.type === 'dir' ? fs.children(n).size === 0 : nodeSize(n) === 0;
      case '-size': {
        const spec = need(t);
        k++;
        const m = /^([+-]?)(\d+)([ckMG]?)$/.exec(spec);
        if (!m) throw new Error(`invalid argument \`${spec}' to \`-size'`);
        const unit = { '': 512, c: 1, k: 1024, M: 1024 ** 2, G: 1024 ** 3 }[
          m[3]
        ]!;
        const want = Number(m[2]);
        return (_pa, n) => {
          const size = Math.ceil(nodeSize(n) / unit);
          if (m[1] === '+') return size > want;
          return m[1] === '-' ? size < want : size === want;
        };
      }
      case '-newer': {
        const ref = fs.lookup(need(t), p.cwd);
        k++;
        return (_pa, n) => n.mtime > ref.mtime;
      }
      case '-print':
        k++;
        printed = true;
        return async pa => {
          await out(p, `${pa}\n`);
          return true;
        };
      case '-delete':
        k++;
        printed = true;
        return pa => {
          try {
            fs.remove(pa, p.cwd, true);
            return true;
          } catch {
            return false;
          }
        };
      case '-exec':
      case '-ok': {
        const cmd: string[] = [];
        k++;
        while (k < toks.length && toks[k] !== ';' && toks[k] !== '+')
          cmd.push(toks[k++]);
        if (k >= toks.length) throw new Error(`missing argument to \`${t}'`);
        const batch = toks[k] === '+';
        k++;
        printed = true;
        if (batch) {
          const collected: string[] = [];
          pending.push(collected);
          return pa => {
            collected.push(pa);
            return true;
          };
        }
        return async pa => {
          const argv = cmd.map(c => c.split('{}').join(pa));
          try {
            return (await p.run(argv)) === 0;
          } catch (e) {
            rethrowSignals(e);
            await err(p, `find: '${argv[0]}': No such file or directory`);
            status = 1;
            void e;
            return false;
          }
        };
      }
      case '-prune':
        k++;
        return () => true;
      default:
        throw new Error(
          t?.startsWith('-')
            ? `unknown predicate \`${t}'`
            : `paths must precede expression: \`${t}'`,
        );
    }
  }

  let expr: Pred;
  try {
    expr = toks.length ? parseOr() : () => true;
    if (k < toks.length)
      throw new Error(`paths must precede expression: \`${toks[k]}'`);
  } catch (e) {
    rethrowSignals(e);
    return fail(p, (e as Error).message);
  }
  let visited = 0;
  const walk = async (
    path: string,
    node: Node,
    depth: number,
  ): Promise<void> => {
    if (p.signal.aborted) throw new Interrupted();
    if (++visited % 200 === 0) await yieldToEventLoop();
    if (depth >= minDepth) {
      const ok = await expr(path, node, depth);
      if (ok && !printed) await out(p, `${path}\n`);
    }
    if (node.type === 'dir' && depth < maxDepth) {
      const entries = [...fs.children(node)].sort((x, y) =>
        x[0] < y[0] ? -1 : 1,
      );
      for (const [name, child] of entries) {
        await walk(
          path.endsWith('/') ? `${path}${name}` : `${path}/${name}`,
          child,
          depth + 1,
        );
      }
    }
  };
  for (const start of paths) {
    try {
      await walk(start, fs.lookup(start, p.cwd), 0);
    } catch (e) {
      rethrowSignals(e);
      if (e instanceof Interrupted) throw e;
      await err(p, `find: '${start}': ${fsMessage(e)}`);
      status = 1;
    }
  }
  for (const [idx, collected] of pending.entries()) {
    void idx;
    if (collected.length) {
      const cmdStart = toks.indexOf('-exec');
      const cmd = toks
        .slice(cmdStart + 1, toks.indexOf('+', cmdStart))
        .filter(c => c !== '{}');
      status = (await p.run([...cmd, ...collected])) || status;
    }
  }
  return status;
};

// ------------------------------------------------------------------ du, df, stat, chmod, chown, file

function treeSize(p: Process, node: Node): number {
  if (node.type !== 'dir') return Math.ceil(nodeSize(node) / 4096) * 4096;
  let n = 4096;
  for (const c of p.rt.fs.children(node).values()) n += treeSize(p, c);
  return n;
}

export const du: Program = async p => {
  const a = parseArgs(p.argv.slice(1), 'shack', 'd', [], ['max-depth']);
  if (a.bad) return badOption(p, a.bad);
  const h = a.flags.has('h');
  const maxDepth = a.flags.has('s')
    ? 0
    : Number(value(a, 'd') ?? value(a, 'max-depth') ?? Infinity);
  const fmt = (bytes: number) =>
    h ? human(bytes) : String(Math.ceil(bytes / 1024));
  let total = 0;
  let status = 0;
  const walk = async (
    path: string,
    node: Node,
    depth: number,
  ): Promise<number> => {
    if (node.type !== 'dir') {
      const s = treeSize(p, node);
      if (a.flags.has('a') && depth <= maxDepth)
        await out(p, `${fmt(s)}\t${path}\n`);
      return s;
    }
    let s = 4096;
    for (const [name, c] of [...p.rt.fs.children(node)].sort()) {
      if (path === '/' && name === 'proc') continue;
      s += await walk(`${path.replace(/\/$/, '')}/${name}`, c, depth + 1);
    }
    if (depth <= maxDepth) await out(p, `${fmt(s)}\t${path}\n`);
    return s;
  };
  for (const f of a.operands.length ? a.operands : ['.']) {
    try {
      total += await walk(f, p.rt.fs.lookup(f, p.cwd), 0);
    } catch (e) {
      rethrowSignals(e);
      await err(p, `du: cannot access '${f}': ${fsMessage(e)}`);
      status = 1;
    }
  }
  if (a.flags.has('c')) await out(p, `${fmt(total)}\ttotal\n`);
  return status;
};

export const df: Program = async p => {
  const a = parseArgs(p.argv.slice(1), 'hkTPa');
  if (a.bad) return badOption(p, a.bad);
  const h = a.flags.has('h');
  const used = 41 * 1024 ** 3 + p.rt.fs.usedBytes;
  const size = 98 * 1024 ** 3;
  const rows: Array<[string, string, number, number, string]> = [
    ['overlay', 'overlay', size, used, '/'],
    ['tmpfs', 'tmpfs', 64 * 1024 ** 2, 0, '/dev'],
    ['shm', 'tmpfs', 64 * 1024 ** 2, 0, '/dev/shm'],
    ['/dev/nvme0n1p1', 'ext4', size, used, '/etc/hosts'],
    [
      'tmpfs',
      'tmpfs',
      15 * 1024 ** 3,
      12 * 1024,
      '/var/run/secrets/kubernetes.io/serviceaccount',
    ],
    ['tmpfs', 'tmpfs', 8 * 1024 ** 3, 0, '/proc/acpi'],
  ];
  const fmt = (b: number) => (h ? human(b) : String(Math.ceil(b / 1024)));
  const header = h
    ? ['Filesystem', 'Size', 'Used', 'Avail', 'Use%', 'Mounted on']
    : ['Filesystem', '1K-blocks', 'Used', 'Available', 'Use%', 'Mounted on'];
  const table = rows.map(([fsn, , s, u, m]) => [
    fsn,
    fmt(s),
    fmt(u),
    fmt(s - u),
    `${Math.ceil((u / s) * 100)}%`,
    m,
  ]);
  const widths = header.map((hd, i) =>
    Math.max(hd.length, ...table.map(r => r[i].length)),
  );
  const line = (r: string[]) =>
    r
      .map((c, i) =>
        i === 0 || i === 5 ? c.padEnd(widths[i]) : c.padStart(widths[i]),
      )
      .join(' ')
      .trimEnd();
  await out(p, `${[header, ...table].map(line).join('\n')}\n`);
  return 0;
};

export const stat: Program = async p => {
  const a = parseArgs(p.argv.slice(1), 'L', 'c', [], ['format']);
  if (a.bad) return badOption(p, a.bad);
  if (a.operands.length === 0) return fail(p, 'missing operand');
  let status = 0;
  for (const f of a.operands) {
    try {
      const n = p.rt.fs.lookup(f, p.cwd, !a.flags.has('L'));
      const size = nodeSize(n);
      const kind =
        {
          dir: 'directory',
          symlink: 'symbolic link',
          device: 'character special file',
        }[n.type as string] ??
        (size === 0 ? 'regular empty file' : 'regular file');
      const fmtTime = (ms: number) =>
        new Date(ms)
          .toISOString()
          .replace('T', ' ')
          .replace('Z', '000000 +0000');
      const fmt = value(a, 'c') ?? value(a, 'format');
      if (fmt) {
        await out(
          p,
          `${fmt.replace(
            /%[sanUGFyY]/g,
            m =>
              ({
                '%s': String(size),
                '%a': (n.mode & 0o7777).toString(8),
                '%n': f,
                '%U': userName(n.uid),
                '%G': userName(n.gid),
                '%F': kind,
                '%y': fmtTime(n.mtime),
                '%Y': String(Math.floor(n.mtime / 1000)),
              }[m] ?? m),
          )}\n`,
        );
        continue;
      }
      await out(
        p,
        `  File: ${f}${
          n.type === 'symlink'
            ? ` -> ${typeof n.target === 'function' ? n.target() : n.target}`
            : ''
        }\n` +
          `  Size: ${String(size).padEnd(10)}\tBlocks: ${String(
            Math.ceil(size / 512),
          ).padEnd(10)} IO Block: 4096   ${kind}\n` +
          `Device: 0,${n.type === 'device' ? 5 : 123}\tInode: ${
            100000 + ((f.length * 7919) % 90000)
          }     Links: 1\n` +
          `Access: (${(n.mode & 0o7777)
            .toString(8)
            .padStart(4, '0')}/${permString(n)})  Uid: (${String(
            n.uid,
          ).padStart(5)}/${userName(n.uid).padStart(8)})   Gid: (${String(
            n.gid,
          ).padStart(5)}/${userName(n.gid).padStart(8)})\n` +
          `Access: ${fmtTime(n.mtime)}\nModify: ${fmtTime(
            n.mtime,
          )}\nChange: ${fmtTime(n.mtime)}\n Birth: -\n`,
      );
    } catch (e) {
      rethrowSignals(e);
      await err(
        p,
        p.rt.profile.busybox
          ? `stat: can't stat '${f}': ${fsMessage(e)}`
          : `stat: cannot statx '${f}': ${fsMessage(e)}`,
      );
      status = 1;
    }
  }
  return status;
};

export const chmod: Program = async p => {
  const args = p.argv.slice(1).filter(x => x !== '-R' && x !== '-v');
  if (args.length < 2) return fail(p, 'missing operand');
  const [mode, ...files] = args;
  let status = 0;
  for (const f of files) {
    try {
      const n = p.rt.fs.lookup(f, p.cwd);
      if (/^[0-7]{1,4}$/.test(mode)) n.mode = parseInt(mode, 8);
      else {
        for (const clause of mode.split(',')) {
          const m = /^([ugoa]*)([+=-])([rwxXst]*)$/.exec(clause);
          if (!m) return fail(p, `invalid mode: '${mode}'`);
          const who = m[1] || 'a';
          let bits = 0;
          for (const c of m[3]) {
            const b =
              ({ r: 4, w: 2, x: 1, X: 1 } as Record<string, number>)[c] ?? 0;
            if (who.includes('u') || who.includes('a')) bits |= b << 6;
            if (who.includes('g') || who.includes('a')) bits |= b << 3;
            if (who.includes('o') || who.includes('a')) bits |= b;
          }
          if (m[2] === '+') n.mode |= bits;
          else if (m[2] === '-') n.mode &= ~bits;
          else n.mode = (n.mode & ~0o777) | bits;
        }
      }
    } catch (e) {
      rethrowSignals(e);
      await err(p, `chmod: cannot access '${f}': ${fsMessage(e)}`);
      status = 1;
    }
  }
  return status;
};

export const chown: Program = async p => {
  const args = p.argv.slice(1).filter(x => !x.startsWith('-'));
  if (args.length < 2) return fail(p, 'missing operand');
  const [owner, ...files] = args;
  const [u, g] = owner.split(':');
  const ids: Record<string, number> = {
    root: 0,
    node: 1000,
    nobody: 65534,
    nginx: 101,
  };
  const uid = /^\d+$/.test(u) ? Number(u) : ids[u];
  if (uid === undefined) return fail(p, `invalid user: '${owner}'`);
  let status = 0;
  for (const f of files) {
    try {
      const n = p.rt.fs.lookup(f, p.cwd);
      n.uid = uid;
      if (g !== undefined) n.gid = /^\d+$/.test(g) ? Number(g) : ids[g] ?? uid;
    } catch (e) {
      rethrowSignals(e);
      await err(p, `chown: cannot access '${f}': ${fsMessage(e)}`);
      status = 1;
    }
  }
  return status;
};

export const fileCmd: Program = async p => {
  let status = 0;
  for (const f of p.argv.slice(1).filter(x => !x.startsWith('-'))) {
    const n = p.rt.fs.tryLookup(f, p.cwd, true);
    if (!n) {
      await out(p, `${f}: cannot open \`${f}' (No such file or directory)\n`);
      status = 1;
      continue;
    }
    let kind: string;
    if (n.type === 'dir') kind = 'directory';
    else if (n.type === 'symlink')
      kind = `symbolic link to ${
        typeof n.target === 'function' ? n.target() : n.target
      }`;
    else if (n.type === 'device') kind = 'character special (1/3)';
    else if (n.program)
      kind =
        'ELF 64-bit LSB pie executable, x86-64, version 1 (SYSV), dynamically linked, stripped';
    else if (f.endsWith('.jar')) kind = 'Java archive data (JAR)';
    else if (nodeSize(n) === 0) kind = 'empty';
    else kind = 'ASCII text';
    await out(p, `${f}: ${kind}\n`);
  }
  return status;
};

export const FILE_PROGRAMS: Record<string, Program> = {
  ls,
  cat,
  head,
  tail,
  wc,
  tac,
  rev,
  nl,
  mkdir,
  rmdir,
  touch,
  rm,
  cp,
  mv,
  ln,
  readlink,
  realpath: readlink,
  basename: basenameCmd,
  dirname: dirnameCmd,
  find,
  du,
  df,
  stat,
  chmod,
  chown,
  file: fileCmd,
};

export { readPath };
