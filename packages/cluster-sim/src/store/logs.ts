/**
 * Container logs: per container instance, lines in fixed-size chunks (so a
 * million-line log appends and streams without copying one huge string),
 * with the time of each line for sinceTime / timestamps.
 */

const CHUNK_LINES = 2048;
/** Like the kubelet's log rotation: the oldest lines go once a container instance has logged this much. */
export const MAX_LOG_BYTES = 256 * 1024 * 1024;

interface Chunk {
  lines: string[];
  times: number[];
  bytes: number;
  /** Joined text of a full chunk, made once when first streamed. */
  text?: Buffer;
}

export interface LogReadOptions {
  tailLines?: number;
  sinceTime?: number;
  limitBytes?: number;
  timestamps?: boolean;
}

export function formatTimestamp(ms: number): string {
  const iso = new Date(ms).toISOString(); // 2024-01-01T00:00:00.123Z
  return `${iso.slice(0, 23)}000000Z`;
}

export class ContainerLog {
  private readonly chunks: Chunk[] = [];
  /** Lines appended since the start (positions are absolute, so followers survive rotation). */
  private totalLines = 0;
  private totalBytes = 0;
  /** Lines rotated away from the front. */
  private droppedLines = 0;
  private ended = false;
  private readonly followers = new Set<() => void>();

  get lineCount() {
    return this.totalLines;
  }

  /** Bytes currently kept. */
  get byteCount() {
    return this.totalBytes;
  }

  private rotate() {
    while (this.totalBytes > MAX_LOG_BYTES && this.chunks.length > 1) {
      const dropped = this.chunks.shift()!;
      this.totalBytes -= dropped.bytes;
      this.droppedLines += dropped.lines.length;
    }
  }

  get isEnded() {
    return this.ended;
  }

  append(time: number, text: string) {
    if (this.ended) return;
    // One entry per line; a trailing newline is implied.
    const lines = text.endsWith('\n')
      ? text.slice(0, -1).split('\n')
      : text.split('\n');
    for (const line of lines) {
      let chunk = this.chunks[this.chunks.length - 1];
      if (!chunk || chunk.lines.length >= CHUNK_LINES) {
        chunk = { lines: [], times: [], bytes: 0 };
        this.chunks.push(chunk);
      }
      chunk.lines.push(line);
      chunk.times.push(time);
      const bytes = Buffer.byteLength(line) + 1;
      chunk.bytes += bytes;
      this.totalBytes += bytes;
      this.totalLines++;
    }
    this.rotate();
    this.notify();
  }

  /** Appends many lines at once (tests and the benchmark). */
  appendLines(time: number, lines: string[]) {
    if (this.ended) return;
    for (const line of lines) {
      let chunk = this.chunks[this.chunks.length - 1];
      if (!chunk || chunk.lines.length >= CHUNK_LINES) {
        chunk = { lines: [], times: [], bytes: 0 };
        this.chunks.push(chunk);
      }
      chunk.lines.push(line);
      chunk.times.push(time);
      const bytes = Buffer.byteLength(line) + 1;
      chunk.bytes += bytes;
      this.totalBytes += bytes;
      this.totalLines++;
    }
    this.rotate();
    this.notify();
  }

  end() {
    if (this.ended) return;
    this.ended = true;
    this.notify();
  }

  /** Called whenever lines are appended or the log ends; returns an unsubscribe function. */
  follow(listener: () => void): () => void {
    this.followers.add(listener);
    return () => this.followers.delete(listener);
  }

  private notify() {
    for (const f of [...this.followers]) f();
  }

  /** Position (line index) where reading starts for these options. */
  startIndex(options: LogReadOptions): number {
    let start = this.droppedLines;
    if (options.sinceTime !== undefined) {
      start = this.firstLineAtOrAfter(options.sinceTime);
    }
    if (options.tailLines !== undefined) {
      start = Math.max(start, this.totalLines - options.tailLines);
    }
    return start;
  }

  private firstLineAtOrAfter(time: number): number {
    let index = this.droppedLines;
    for (const chunk of this.chunks) {
      const last = chunk.times[chunk.times.length - 1];
      if (last < time) {
        index += chunk.lines.length;
        continue;
      }
      for (let i = 0; i < chunk.times.length; i++) {
        if (chunk.times[i] >= time) return index + i;
      }
    }
    return index;
  }

  /**
   * Buffers of lines [from, end) in the form the log endpoint sends them;
   * whole chunks are sent as one cached buffer.
   */
  *read(from: number, timestamps: boolean): Generator<Buffer> {
    let index = this.droppedLines;
    for (let c = 0; c < this.chunks.length; c++) {
      const chunk = this.chunks[c];
      const next = index + chunk.lines.length;
      if (next <= from) {
        index = next;
        continue;
      }
      const offset = Math.max(0, from - index);
      const full = offset === 0 && chunk.lines.length === CHUNK_LINES;
      if (full && !timestamps) {
        chunk.text ??= Buffer.from(`${chunk.lines.join('\n')}\n`);
        yield chunk.text;
      } else {
        const parts: string[] = [];
        for (let i = offset; i < chunk.lines.length; i++) {
          parts.push(
            timestamps
              ? `${formatTimestamp(chunk.times[i])} ${chunk.lines[i]}`
              : chunk.lines[i],
          );
        }
        yield Buffer.from(`${parts.join('\n')}\n`);
      }
      index = next;
    }
  }

  /** The whole log as text (tests). */
  text(options: LogReadOptions = {}): string {
    const out: Buffer[] = [];
    for (const b of this.read(this.startIndex(options), !!options.timestamps))
      out.push(b);
    const all = Buffer.concat(out);
    return (
      options.limitBytes !== undefined
        ? all.subarray(0, options.limitBytes)
        : all
    ).toString();
  }
}

/** All container logs, by pod uid and container name; the previous instance is kept for `previous=true`. */
export class LogStore {
  private readonly logs = new Map<
    string,
    { current: ContainerLog; previous?: ContainerLog }
  >();

  private key(podUid: string, container: string) {
    return `${podUid}/${container}`;
  }

  get(podUid: string, container: string): ContainerLog | undefined {
    return this.logs.get(this.key(podUid, container))?.current;
  }

  previous(podUid: string, container: string): ContainerLog | undefined {
    return this.logs.get(this.key(podUid, container))?.previous;
  }

  /** The log of a starting container instance; the old one becomes `previous`. */
  start(podUid: string, container: string): ContainerLog {
    const key = this.key(podUid, container);
    const entry = this.logs.get(key);
    const current = new ContainerLog();
    if (entry) {
      entry.current.end();
      this.logs.set(key, { current, previous: entry.current });
    } else {
      this.logs.set(key, { current });
    }
    return current;
  }

  /** The current log, created if the container has none yet. */
  ensure(podUid: string, container: string): ContainerLog {
    return this.get(podUid, container) ?? this.start(podUid, container);
  }

  removePod(podUid: string) {
    for (const [key, entry] of this.logs) {
      if (key.startsWith(`${podUid}/`)) {
        entry.current.end();
        this.logs.delete(key);
      }
    }
  }
}
