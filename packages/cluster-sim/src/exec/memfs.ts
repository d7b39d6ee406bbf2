/**
 * The emulated container's filesystem: a tree of nodes in memory. Nothing
 * here can reach the host's files; paths are resolved inside this tree only
 * (`..` stops at `/`, symlinks point within the tree).
 */

export type Content =
  | { kind: 'text'; text: string }
  | { kind: 'bytes'; bytes: Uint8Array }
  /** Generated on read (large logs, binaries): size and a reader of ranges. */
  | {
      kind: 'virtual';
      size: () => number;
      read: (offset: number, length: number) => string;
    }
  /** Computed from the container's state when read (/proc). */
  | { kind: 'dynamic'; render: () => string };

export type DeviceKind =
  | 'null'
  | 'zero'
  | 'urandom'
  | 'tty'
  | 'stdout'
  | 'stderr'
  | 'stdin';

interface Base {
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
}

export interface FileNode extends Base {
  type: 'file';
  content: Content;
  /** An emulated program: the command name it runs. */
  program?: string;
}

export interface DirNode extends Base {
  type: 'dir';
  children: Map<string, Node>;
  /** Listing computed on demand (/proc). */
  dynamic?: () => Map<string, Node>;
}

export interface LinkNode extends Base {
  type: 'symlink';
  target: string | (() => string);
}

export interface DeviceNode extends Base {
  type: 'device';
  device: DeviceKind;
}

export type Node = FileNode | DirNode | LinkNode | DeviceNode;

export class FsError extends Error {
  constructor(
    readonly code:
      | 'ENOENT'
      | 'ENOTDIR'
      | 'EISDIR'
      | 'EEXIST'
      | 'ENOTEMPTY'
      | 'ENOSPC'
      | 'ELOOP'
      | 'EACCES'
      | 'EINVAL'
      | 'EBUSY',
    readonly path: string,
  ) {
    super(
      {
        ENOENT: 'No such file or directory',
        ENOTDIR: 'Not a directory',
        EISDIR: 'Is a directory',
        EEXIST: 'File exists',
        ENOTEMPTY: 'Directory not empty',
        ENOSPC: 'No space left on device',
        ELOOP: 'Too many levels of symbolic links',
        EACCES: 'Permission denied',
        EINVAL: 'Invalid argument',
        EBUSY: 'Resource busy',
      }[code],
    );
  }
}

const MAX_LINKS = 40;
/** Everything users write into the container together (keeps memory bounded). */
export const FS_QUOTA_BYTES = 64 * 1024 * 1024;
const MAX_PATH = 4096;

export function contentSize(c: Content): number {
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

/** Normalises a path against cwd without touching symlinks. */
export function normalise(path: string, cwd = '/'): string {
  const abs = path.startsWith('/') ? path : `${cwd}/${path}`;
  const out: string[] = [];
  for (const part of abs.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return `/${out.join('/')}`;
}

export function basename(path: string): string {
  const p = path.replace(/\/+$/, '');
  if (p === '') return '/';
  return p.slice(p.lastIndexOf('/') + 1);
}

export function dirname(path: string): string {
  const p = path.replace(/\/+$/, '');
  const i = p.lastIndexOf('/');
  if (i < 0) return '.';
  if (i === 0) return '/';
  return p.slice(0, i);
}

export class MemFs {
  readonly root: DirNode;
  private written = 0;

  constructor(private readonly now: () => number) {
    this.root = this.dir(0o755);
  }

  dir(mode = 0o755, uid = 0, gid = 0): DirNode {
    return {
      type: 'dir',
      children: new Map(),
      mode,
      uid,
      gid,
      mtime: this.now(),
    };
  }

  /** Resolves a path to its node, following symlinks (the last one too unless `nofollow`). */
  lookup(path: string, cwd = '/', nofollow = false): Node {
    return this.resolve(path, cwd, nofollow).node;
  }

  tryLookup(path: string, cwd = '/', nofollow = false): Node | undefined {
    try {
      return this.lookup(path, cwd, nofollow);
    } catch {
      return undefined;
    }
  }

  /** The canonical path (symlinks resolved) and its node. */
  resolve(
    path: string,
    cwd = '/',
    nofollow = false,
  ): { path: string; node: Node } {
    if (path.length > MAX_PATH) throw new FsError('EINVAL', path.slice(0, 64));
    if (path.includes('\0'))
      throw new FsError('ENOENT', path.replace(/\0/g, ''));
    return this.walk(normalise(path, cwd), 0, nofollow, path);
  }

  private walk(
    abs: string,
    hops: number,
    nofollow: boolean,
    asked: string,
  ): { path: string; node: Node } {
    const parts = abs.split('/').filter(Boolean);
    let node: Node = this.root;
    const at: string[] = [];
    for (let i = 0; i < parts.length; i++) {
      if (node.type !== 'dir') throw new FsError('ENOTDIR', asked);
      const child: Node | undefined = this.children(node).get(parts[i]);
      if (!child) throw new FsError('ENOENT', asked);
      const last = i === parts.length - 1;
      if (child.type === 'symlink' && !(last && nofollow)) {
        if (hops >= MAX_LINKS) throw new FsError('ELOOP', asked);
        const target =
          typeof child.target === 'function' ? child.target() : child.target;
        const rest = parts.slice(i + 1).join('/');
        const next = normalise(
          `${target}${rest ? `/${rest}` : ''}`,
          `/${at.join('/')}`,
        );
        return this.walk(next, hops + 1, nofollow, asked);
      }
      node = child;
      at.push(parts[i]);
    }
    return { path: `/${at.join('/')}`, node };
  }

  children(dir: DirNode): Map<string, Node> {
    return dir.dynamic ? dir.dynamic() : dir.children;
  }

  /** The directory that holds `path` and the entry name. */
  parent(
    path: string,
    cwd = '/',
  ): { dir: DirNode; name: string; dirPath: string } {
    const abs = normalise(path, cwd);
    if (abs === '/') throw new FsError('EBUSY', '/');
    const dirPath = dirname(abs);
    const r = this.resolve(dirPath);
    if (r.node.type !== 'dir') throw new FsError('ENOTDIR', path);
    if (r.node.dynamic) throw new FsError('EACCES', path);
    return { dir: r.node, name: basename(abs), dirPath: r.path };
  }

  mkdir(path: string, cwd = '/', parents = false, mode = 0o755): void {
    const abs = normalise(path, cwd);
    if (parents) {
      let cur = '';
      for (const part of abs.split('/').filter(Boolean)) {
        cur += `/${part}`;
        const n = this.tryLookup(cur);
        if (!n) this.mkdir(cur, '/', false, mode);
        else if (n.type !== 'dir') throw new FsError('ENOTDIR', path);
      }
      return;
    }
    const { dir, name } = this.parent(abs);
    if (dir.children.has(name)) throw new FsError('EEXIST', path);
    dir.children.set(name, this.dir(mode));
    dir.mtime = this.now();
  }

  /** Creates or replaces a regular file's content. */
  writeFile(
    path: string,
    data: string | Uint8Array,
    cwd = '/',
    append = false,
    mode = 0o644,
  ): void {
    const target = this.tryLookup(path, cwd);
    if (target?.type === 'dir') throw new FsError('EISDIR', path);
    if (target?.type === 'device') return;
    const addBytes =
      typeof data === 'string' ? Buffer.byteLength(data) : data.length;
    if (target?.type === 'file') {
      const old = target.content;
      const oldSize =
        old.kind === 'text' || old.kind === 'bytes' ? contentSize(old) : 0;
      const newTotal = this.written + addBytes - (append ? 0 : oldSize);
      if (newTotal > FS_QUOTA_BYTES) throw new FsError('ENOSPC', path);
      this.written = Math.max(0, newTotal);
      if (append && old.kind === 'text' && typeof data === 'string') {
        target.content = { kind: 'text', text: old.text + data };
      } else if (append) {
        const prev = readAllBytes(old);
        const add = typeof data === 'string' ? Buffer.from(data) : data;
        target.content = { kind: 'bytes', bytes: Buffer.concat([prev, add]) };
      } else {
        target.content =
          typeof data === 'string'
            ? { kind: 'text', text: data }
            : { kind: 'bytes', bytes: data };
      }
      target.mtime = this.now();
      target.program = undefined;
      return;
    }
    if (this.written + addBytes > FS_QUOTA_BYTES)
      throw new FsError('ENOSPC', path);
    const { dir, name } = this.parent(this.resolveForCreate(path, cwd));
    this.written += addBytes;
    dir.children.set(name, {
      type: 'file',
      content:
        typeof data === 'string'
          ? { kind: 'text', text: data }
          : { kind: 'bytes', bytes: data },
      mode,
      uid: 0,
      gid: 0,
      mtime: this.now(),
    });
    dir.mtime = this.now();
  }

  /** A dangling symlink's target, else the path itself. */
  private resolveForCreate(path: string, cwd: string): string {
    const abs = normalise(path, cwd);
    const n = this.tryLookup(abs, '/', true);
    if (n?.type === 'symlink') {
      const t = typeof n.target === 'function' ? n.target() : n.target;
      return normalise(t, dirname(abs));
    }
    return abs;
  }

  /** Sets a node into place (seeding). */
  put(path: string, node: Node): void {
    const abs = normalise(path);
    this.mkdir(dirname(abs), '/', true);
    const { dir, name } = this.parent(abs);
    dir.children.set(name, node);
  }

  remove(path: string, cwd = '/', recursive = false): void {
    const abs = normalise(path, cwd);
    const { dir, name } = this.parent(abs);
    const node = dir.children.get(name);
    if (!node) throw new FsError('ENOENT', path);
    if (node.type === 'dir' && !recursive) {
      throw new FsError('EISDIR', path);
    }
    if (node.type === 'dir' && node.dynamic) throw new FsError('EACCES', path);
    this.written = Math.max(0, this.written - sizeOfTree(node));
    dir.children.delete(name);
    dir.mtime = this.now();
  }

  rmdir(path: string, cwd = '/'): void {
    const node = this.lookup(path, cwd, true);
    if (node.type !== 'dir') throw new FsError('ENOTDIR', path);
    if (this.children(node).size > 0) throw new FsError('ENOTEMPTY', path);
    this.remove(path, cwd, true);
  }

  /** Moves a node (rename); the destination directory must exist. */
  rename(from: string, to: string, cwd = '/'): void {
    const src = this.parent(from, cwd);
    const node = src.dir.children.get(src.name);
    if (!node) throw new FsError('ENOENT', from);
    let destPath = normalise(to, cwd);
    const dest = this.tryLookup(destPath);
    if (dest?.type === 'dir')
      destPath = `${destPath.replace(/\/$/, '')}/${src.name}`;
    if (`${destPath}/`.startsWith(`${normalise(from, cwd)}/`))
      throw new FsError('EINVAL', to);
    const d = this.parent(destPath);
    const existing = d.dir.children.get(d.name);
    if (existing?.type === 'dir' && node.type !== 'dir')
      throw new FsError('EISDIR', to);
    src.dir.children.delete(src.name);
    d.dir.children.set(d.name, node);
    node.mtime = this.now();
  }

  /** A deep copy of a node for cp (counts against the quota). */
  copyNode(node: Node): Node {
    const bytes = sizeOfTree(node);
    if (this.written + bytes > FS_QUOTA_BYTES) throw new FsError('ENOSPC', '');
    this.written += bytes;
    return cloneNode(node, this.now());
  }

  /** The bytes users have written (for df). */
  get usedBytes(): number {
    return this.written;
  }
}

function sizeOfTree(node: Node): number {
  if (node.type === 'file') {
    return node.content.kind === 'text' || node.content.kind === 'bytes'
      ? contentSize(node.content)
      : 0;
  }
  if (node.type === 'dir' && !node.dynamic) {
    let n = 0;
    for (const c of node.children.values()) n += sizeOfTree(c);
    return n;
  }
  return 0;
}

function cloneNode(node: Node, now: number): Node {
  switch (node.type) {
    case 'file':
      return { ...node, content: { ...node.content }, mtime: now };
    case 'dir':
      return {
        ...node,
        dynamic: undefined,
        children: new Map(
          [...node.children].map(([k, v]) => [k, cloneNode(v, now)]),
        ),
        mtime: now,
      };
    default:
      return { ...node };
  }
}

export function readAllBytes(c: Content): Uint8Array {
  switch (c.kind) {
    case 'text':
      return Buffer.from(c.text);
    case 'bytes':
      return c.bytes;
    case 'virtual':
      return Buffer.from(
        c.read(0, Math.min(c.size(), FS_QUOTA_BYTES)),
        'latin1',
      );
    default:
      return Buffer.from(c.render());
  }
}

/** Reads a file in chunks (text), so that huge files stream. */
export function* readChunks(
  c: Content,
  chunkSize = 64 * 1024,
): Generator<string> {
  switch (c.kind) {
    case 'text':
      for (let i = 0; i < c.text.length; i += chunkSize)
        yield c.text.slice(i, i + chunkSize);
      return;
    case 'bytes': {
      const s = Buffer.from(c.bytes).toString('latin1');
      for (let i = 0; i < s.length; i += chunkSize)
        yield s.slice(i, i + chunkSize);
      return;
    }
    case 'virtual': {
      const size = c.size();
      for (let off = 0; off < size; off += chunkSize)
        yield c.read(off, Math.min(chunkSize, size - off));
      return;
    }
    default:
      yield c.render();
  }
}
