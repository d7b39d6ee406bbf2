import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { PreparedRecord } from './types';

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

  /** Opens (creating, mode 0700) the spool directory and finds files of earlier runs. */
  static open(directory: string, maxSegmentBytes = 16 * 1024 * 1024): Spool {
    fs.mkdirSync(directory, { recursive: true, mode: 0o700 });
    const earlier = fs
      .readdirSync(directory)
      .filter(f => f.startsWith('spool-') && f.endsWith('.jsonl'))
      .map(f => {
        const full = path.join(directory, f);
        return { full, mtime: fs.statSync(full).mtimeMs };
      })
      .sort((a, b) => a.mtime - b.mtime || a.full.localeCompare(b.full))
      .map(({ full }) => {
        const s = new SpoolSegment(full, true);
        s.closed = true;
        return s;
      });
    return new Spool(directory, maxSegmentBytes, earlier);
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
      this.current.written === 0 ||
      this.current.committed >= this.current.written
    ) {
      if (!this.current.needsReplay)
        fs.rmSync(this.current.file, { force: true });
    }
  }
}
