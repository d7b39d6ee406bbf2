/** Byte streams between emulated processes (as text), with back-pressure. */
import { StringDecoder } from 'node:string_decoder';

export interface Input {
  /** The next chunk, or null at end of input. */
  read(): Promise<string | null>;
  /** The reader is done (a later writer gets a broken pipe). */
  close?(): void;
}

export interface Output {
  /** May return a promise: the writer waits for it (back-pressure). */
  write(chunk: string): void | Promise<void>;
}

/** Thrown into a writer whose reader has gone away (SIGPIPE). */
export class BrokenPipe extends Error {
  constructor() {
    super('Broken pipe');
  }
}

export const EMPTY: Input = { read: async () => null };
export const DISCARD: Output = { write: () => undefined };

export function stringInput(text: string): Input {
  let done = false;
  return {
    read: async () => {
      if (done || text === '') return null;
      done = true;
      return text;
    },
  };
}

/** A pipe between two processes: buffers up to `highWaterMark` characters, then makes the writer wait. */
export class Pipe implements Input, Output {
  private chunks: string[] = [];
  private size = 0;
  private ended = false;
  private readerGone = false;
  private readWaiters: Array<() => void> = [];
  private writeWaiters: Array<() => void> = [];

  constructor(private readonly highWaterMark = 256 * 1024) {}

  async write(chunk: string): Promise<void> {
    if (this.readerGone) throw new BrokenPipe();
    if (!chunk) return;
    this.chunks.push(chunk);
    this.size += chunk.length;
    this.wake(this.readWaiters);
    while (this.size > this.highWaterMark && !this.readerGone) {
      await new Promise<void>(r => this.writeWaiters.push(r));
    }
    if (this.readerGone) throw new BrokenPipe();
  }

  /** The writer is done. */
  end(): void {
    this.ended = true;
    this.wake(this.readWaiters);
  }

  async read(): Promise<string | null> {
    while (this.chunks.length === 0 && !this.ended && !this.readerGone) {
      await new Promise<void>(r => this.readWaiters.push(r));
    }
    const chunk = this.chunks.shift();
    if (chunk === undefined) return null;
    this.size -= chunk.length;
    this.wake(this.writeWaiters);
    return chunk;
  }

  close(): void {
    this.readerGone = true;
    this.chunks = [];
    this.size = 0;
    this.wake(this.writeWaiters);
    this.wake(this.readWaiters);
  }

  private wake(list: Array<() => void>): void {
    const waiters = list.splice(0);
    for (const w of waiters) w();
  }
}

/** io.stdin (bytes) as text input. */
export function bytesInput(
  source: AsyncIterable<Buffer>,
): Input & { iterator: AsyncIterator<Buffer> } {
  const iterator = source[Symbol.asyncIterator]();
  const decoder = new StringDecoder('utf8');
  let done = false;
  return {
    iterator,
    read: async () => {
      while (!done) {
        const r = await iterator.next();
        if (r.done) {
          done = true;
          const rest = decoder.end();
          return rest || null;
        }
        const text = decoder.write(
          Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value),
        );
        if (text) return text;
      }
      return null;
    },
  };
}

/** Lines of an input, without their newline; a last unterminated line is included. */
export async function* lines(input: Input): AsyncGenerator<string> {
  let pending = '';
  for (;;) {
    const chunk = await input.read();
    if (chunk === null) break;
    pending += chunk;
    let nl = pending.indexOf('\n');
    while (nl >= 0) {
      yield pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      nl = pending.indexOf('\n');
    }
  }
  if (pending) yield pending;
}

/** All of an input, up to `limit` characters (the rest is drained and dropped). */
export async function readAll(
  input: Input,
  limit = 16 * 1024 * 1024,
): Promise<string> {
  let out = '';
  for (;;) {
    const chunk = await input.read();
    if (chunk === null) return out;
    if (out.length < limit) out += chunk.slice(0, limit - out.length);
  }
}

/** Yields to the event loop so that long loops never starve I/O. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise(resolve => setImmediate(resolve));
}
