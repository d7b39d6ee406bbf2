import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import { PreparedRecord } from './types';

const LOCK = 'lock.json';

/** Instance directories opened by this process (several stores in one process: tests). */
const openHere = new Set<string>();

function isSegmentName(name: string) {
  return name.startsWith('spool-') && name.endsWith('.jsonl');
}

function safeHost() {
  return os.hostname().replace(/[^a-zA-Z0-9.-]/g, '_');
}

/**
 * Whether the process that owns an instance directory still runs. A lock
 * of another host counts as alive (a spool on a shared disk is not
 * supported, and never stolen); our own pid is a previous incarnation (a
 * restarted container reuses pids).
 */
function ownerAlive(dir: string): boolean {
  if (openHere.has(dir)) return true;
  let lock: { host?: string; pid?: number };
  try {
    lock = JSON.parse(fs.readFileSync(path.join(dir, LOCK), 'utf8'));
  } catch {
    return false;
  }
  if (lock.host !== os.hostname()) return true;
  if (!lock.pid || lock.pid === process.pid) return false;
  try {
    process.kill(lock.pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * One spool file. Lines are JSON `PreparedRecord`s, appended with a
 * synchronous write (so a killed process keeps them: they are in the
 * kernel's page cache) and fsynced once per writer batch (so a power loss
 * keeps all but the last batch interval).
 */
export class SpoolSegment {
  fd: number | undefined;
  /** Lines written by this process. */
  written = 0;
  /** Lines this process knows to be in the database. */
  committed = 0;
  /** Lines that only exist in the file (memory bound hit): the file must be replayed. */
  dropped = 0;
  bytes = 0;
  closed = false;
  /** A file left by an earlier run, or one that overflowed: replay it whole. */
  needsReplay: boolean;
  dirty = false;

  constructor(readonly file: string, fromEarlierRun: boolean) {
    this.needsReplay = fromEarlierRun;
  }
}

/**
 * The local durable spool of buffered (low / medium) audit events:
 * append-only segment files in one directory per backend instance.
 */
export class Spool {
  private current: SpoolSegment;
  private readonly closedSegments: SpoolSegment[] = [];
  private counter = 0;
  private readonly prefix: string;

  private constructor(
    readonly directory: string,
    private readonly maxSegmentBytes: number,
    earlier: SpoolSegment[],
  ) {
    this.prefix = `${os.hostname().replace(/[^a-zA-Z0-9.-]/g, '_')}-${
      process.pid
    }-${Date.now()}`;
    this.closedSegments.push(...earlier);
    this.current = this.openSegment();
  }

  /**
   * Opens the spool under `root` (created with mode 0700). Each process
   * writes to its own `instance-…` directory holding a `lock.json` (host,
   * pid); directories of instances that are gone (killed, crashed) — and
   * segment files left directly in `root` — are adopted: moved (an atomic
   * rename, so two starting processes never both take one) into this
   * instance's directory and replayed. Two backends sharing a working
   * directory therefore never replay each other's live spool.
   */
  static open(root: string, maxSegmentBytes = 16 * 1024 * 1024): Spool {
    fs.mkdirSync(root, { recursive: true, mode: 0o700 });
    const own = path.join(
      root,
      `instance-${safeHost()}-${process.pid}-${Date.now()}-${randomBytes(
        3,
      ).toString('hex')}`,
    );
    fs.mkdirSync(own, { mode: 0o700 });
    openHere.add(own);
    fs.writeFileSync(
      path.join(own, LOCK),
      JSON.stringify({
        host: os.hostname(),
        pid: process.pid,
        startedAt: new Date().toISOString(),
      }),
      { mode: 0o600 },
    );
    const adopted: string[] = [];
    const claim = (from: string, name: string) => {
      const to = path.join(own, name);
      try {
        fs.renameSync(from, to);
        adopted.push(to);
      } catch (e) {
        // Another starting process claimed it first.
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    };
    for (const entry of fs.readdirSync(root, { withFileTypes: true })) {
      const full = path.join(root, entry.name);
      if (entry.isFile() && isSegmentName(entry.name)) {
        claim(full, `adopted-${entry.name}`);
      } else if (
        entry.isDirectory() &&
        entry.name.startsWith('instance-') &&
        full !== own &&
        !ownerAlive(full)
      ) {
        claim(full, `adopted-${entry.name}`);
      }
    }
    const files: string[] = [];
    for (const a of adopted) {
      if (fs.statSync(a).isDirectory()) {
        for (const f of fs.readdirSync(a)) {
          if (isSegmentName(f)) files.push(path.join(a, f));
          if (f === 'rejected.jsonl') {
            fs.appendFileSync(
              path.join(own, f),
              fs.readFileSync(path.join(a, f)),
            );
          }
        }
      } else {
        files.push(a);
      }
    }
    const earlier = files
      .map(full => ({ full, mtime: fs.statSync(full).mtimeMs }))
      .sort((a, b) => a.mtime - b.mtime || a.full.localeCompare(b.full))
      .map(({ full }) => {
        const seg = new SpoolSegment(full, true);
        seg.closed = true;
        return seg;
      });
    const spool = new Spool(own, maxSegmentBytes, earlier);
    spool.adoptedDirs = adopted.filter(a => fs.statSync(a).isDirectory());
    spool.removeEmptyAdopted();
    return spool;
  }

  private adoptedDirs: string[] = [];

  /** Removes adopted instance directories whose segments are all replayed. */
  private removeEmptyAdopted() {
    this.adoptedDirs = this.adoptedDirs.filter(dir => {
      const left = fs.existsSync(dir)
        ? fs.readdirSync(dir).filter(isSegmentName)
        : [];
      if (left.length) return true;
      fs.rmSync(dir, { recursive: true, force: true });
      return false;
    });
  }

  private openSegment(): SpoolSegment {
    this.counter += 1;
    const file = path.join(
      this.directory,
      `spool-${this.prefix}-${String(this.counter).padStart(6, '0')}.jsonl`,
    );
    const seg = new SpoolSegment(file, false);
    seg.fd = fs.openSync(file, 'a', 0o600);
    return seg;
  }

  /** Appends one record; returns its segment. Throws when the disk refuses. */
  write(record: PreparedRecord, opts?: { dropped?: boolean }): SpoolSegment {
    if (this.current.bytes >= this.maxSegmentBytes) this.rotate();
    const seg = this.current;
    const line = `${JSON.stringify(record)}\n`;
    const buf = Buffer.from(line, 'utf8');
    fs.writeSync(seg.fd!, buf);
    seg.bytes += buf.length;
    seg.written += 1;
    seg.dirty = true;
    if (opts?.dropped) {
      seg.dropped += 1;
      seg.needsReplay = true;
    }
    return seg;
  }

  /** fsync of the current segment, if it has unsynced lines. */
  async sync(): Promise<void> {
    const seg = this.current;
    if (!seg.dirty || seg.fd === undefined) return;
    seg.dirty = false;
    const fd = seg.fd;
    await new Promise<void>((resolve, reject) =>
      fs.fsync(fd, err => (err ? reject(err) : resolve())),
    );
  }

  syncNow(): void {
    const seg = this.current;
    if (seg.fd !== undefined) fs.fsyncSync(seg.fd);
    seg.dirty = false;
  }

  /** Closes the current segment and starts a new one. */
  rotate(): void {
    const old = this.current;
    if (old.written === 0) return;
    this.closeFd(old);
    old.closed = true;
    this.closedSegments.push(old);
    this.current = this.openSegment();
    this.collect();
  }

  private closeFd(seg: SpoolSegment) {
    if (seg.fd !== undefined) {
      try {
        if (seg.dirty) fs.fsyncSync(seg.fd);
      } finally {
        fs.closeSync(seg.fd);
        seg.fd = undefined;
        seg.dirty = false;
      }
    }
  }

  /** Records that `n` lines of `seg` are in the database. */
  markCommitted(seg: SpoolSegment, n = 1): void {
    seg.committed += n;
    if (seg.closed) this.collect();
    else if (
      !seg.needsReplay &&
      seg.committed >= seg.written &&
      seg.bytes >= 1024 * 1024
    ) {
      // Fully delivered and large enough: start afresh so the file stays small.
      this.rotate();
    }
  }

  /** Deletes closed segments whose every line is in the database. */
  collect(): void {
    for (let i = this.closedSegments.length - 1; i >= 0; i--) {
      const seg = this.closedSegments[i];
      if (!seg.needsReplay && seg.committed >= seg.written) {
        this.closedSegments.splice(i, 1);
        fs.rmSync(seg.file, { force: true });
      }
    }
  }

  /** The oldest closed segment that must be replayed from its file. */
  nextToReplay(): SpoolSegment | undefined {
    return this.closedSegments.find(s => s.needsReplay);
  }

  /** Deletes a replayed segment once all its lines are in the database. */
  finishReplay(seg: SpoolSegment): void {
    seg.needsReplay = false;
    seg.committed = seg.written;
    const i = this.closedSegments.indexOf(seg);
    if (i >= 0) this.closedSegments.splice(i, 1);
    fs.rmSync(seg.file, { force: true });
    this.removeEmptyAdopted();
  }

  get currentSegment(): SpoolSegment {
    return this.current;
  }

  /** Lines written that are not known to be in the database (files of earlier runs count as unknown: -1). */
  pending(): number {
    let n = 0;
    for (const s of [...this.closedSegments, this.current]) {
      n += Math.max(0, s.written - s.committed);
    }
    return n;
  }

  hasReplayWork(): boolean {
    return this.closedSegments.some(s => s.needsReplay);
  }

  /** Reads every complete line of a segment file. A torn last line (process killed mid-write) is skipped. */
  static readRecords(file: string): PreparedRecord[] {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    const out: PreparedRecord[] = [];
    for (const line of text.split('\n')) {
      if (!line) continue;
      try {
        out.push(JSON.parse(line));
      } catch {
        // torn line of a killed process: its createEvent never returned
      }
    }
    return out;
  }

  close(): void {
    this.closeFd(this.current);
    if (
      !this.current.needsReplay &&
      this.current.committed >= this.current.written
    ) {
      fs.rmSync(this.current.file, { force: true });
    }
    // Nothing left to deliver: the instance directory goes. Otherwise it
    // stays, and the next start on this host adopts and replays it.
    openHere.delete(this.directory);
    if (!fs.existsSync(this.directory)) return;
    const left = fs
      .readdirSync(this.directory)
      .filter(
        f =>
          isSegmentName(f) ||
          f === 'rejected.jsonl' ||
          f.startsWith('adopted-'),
      );
    if (!left.length)
      fs.rmSync(this.directory, { recursive: true, force: true });
  }
}
