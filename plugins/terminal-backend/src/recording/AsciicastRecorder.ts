import { performance } from 'node:perf_hooks';
import {
  MASK,
  SecretMasker,
  StreamingMasker,
} from '@fincloud/plugin-terminal-common';
import type { RecordingStore } from './RecordingStore';

export interface RecorderOptions {
  sessionId: string;
  store: RecordingStore;
  masker: SecretMasker;
  width: number;
  height: number;
  title?: string;
  env?: Record<string, string>;
  /** Write a chunk when it reaches this many bytes ... */
  chunkBytes: number;
  /** ... or when its oldest line is this old. */
  flushMillis: number;
  /** Called once when a write fails (the session must end: fail-closed). */
  onFailure: (error: Error) => void;
}

type EventType = 'o' | 'i' | 'r';
interface PendingEvent {
  t: number;
  type: EventType;
  data: string;
  /** Input typed at a password prompt: recorded as masked. */
  secret?: boolean;
}

/** How long events may wait for the end of their line before they are masked and written anyway. */
const MAX_HOLD_WITH_INPUT_MS = 30_000;
const MAX_PENDING_CHARS = 64 * 1024;
const PROMPT_FOR_SECRET =
  /(password|passphrase|pass phrase|passcode|pin|secret|token)[^\n]{0,40}[:?]\s*$/i;

/**
 * Records a session as asciicast v2 (header, then `[time, "o"|"i"|"r", data]`
 * lines) into a RecordingStore, masking secrets.
 *
 * Masking needs whole lines (a secret echoed one keystroke at a time is only
 * recognisable once the line is complete), so events are held until the
 * output completes a line, or until output alone has waited `flushMillis`
 * (a prompt), then masked together: when masking changes nothing the
 * events are written exactly as they happened (same data, same times);
 * otherwise the line's output and input are each written as one masked
 * event at the time of their first part. Input typed after a prompt that
 * asks for a password (no echo) is recorded as masked.
 *
 * Fail-closed: a failed write calls `onFailure` (the session ends); the
 * backlog of unwritten bytes is bounded by the caller pausing the pod's
 * output while `backlogBytes` is high.
 */
export class AsciicastRecorder {
  private readonly startPerf = performance.now();
  private readonly startedAt = Date.now();
  private readonly stream: StreamingMasker;
  private pending: PendingEvent[] = [];
  private pendingChars = 0;
  private lines: string[] = [];
  private linesBytes = 0;
  private linesSince = 0;
  private seq = 1;
  private writing: Promise<void> = Promise.resolve();
  private inFlightBytes = 0;
  private failure: Error | undefined;
  private timer: NodeJS.Timeout | undefined;
  private outputTail = '';
  private secretInput = false;
  private closed = false;
  private readonly drainListeners = new Set<() => void>();

  constructor(private readonly options: RecorderOptions) {
    this.stream = options.masker.stream(Number.MAX_SAFE_INTEGER);
  }

  /** Writes the header (chunk 0); rejects when the store cannot write: the session must not start. */
  async start(): Promise<void> {
    const header = {
      version: 2,
      width: this.options.width,
      height: this.options.height,
      timestamp: Math.floor(this.startedAt / 1000),
      ...(this.options.title ? { title: this.options.title } : {}),
      env: { TERM: 'xterm-256color', SHELL: '/bin/sh', ...this.options.env },
    };
    await this.options.store.append(
      this.options.sessionId,
      0,
      `${JSON.stringify(header)}\n`,
    );
    this.timer = setInterval(
      () => this.tick(),
      Math.min(this.options.flushMillis, 250),
    );
    this.timer.unref?.();
  }

  /** The error that stopped the recorder, if any. */
  get failed(): Error | undefined {
    return this.failure;
  }

  /** Bytes recorded but not yet durably written. */
  get backlogBytes(): number {
    return this.pendingChars + this.linesBytes + this.inFlightBytes;
  }

  /** Called when the backlog has been written. */
  onDrain(listener: () => void): () => void {
    this.drainListeners.add(listener);
    return () => this.drainListeners.delete(listener);
  }

  private now(): number {
    return (performance.now() - this.startPerf) / 1000;
  }

  output(data: string) {
    if (this.closed || !data) return;
    this.pending.push({ t: this.now(), type: 'o', data });
    this.pendingChars += data.length;
    const nl = data.lastIndexOf('\n');
    this.outputTail =
      nl >= 0
        ? data.slice(nl + 1)
        : (this.outputTail + data).slice(-256);
    if (nl >= 0) this.settleThroughLastNewline();
    else if (this.pendingChars > MAX_PENDING_CHARS) this.settle(true);
  }

  input(data: string) {
    if (this.closed || !data) return;
    if (!this.secretInput && PROMPT_FOR_SECRET.test(this.outputTail)) {
      this.secretInput = true;
    }
    const event: PendingEvent = { t: this.now(), type: 'i', data };
    if (this.secretInput) {
      event.secret = true;
      if (/[\r\n]/.test(data)) this.secretInput = false;
    }
    this.pending.push(event);
    this.pendingChars += data.length;
    if (this.pendingChars > MAX_PENDING_CHARS) this.settle(true);
  }

  resize(cols: number, rows: number) {
    if (this.closed) return;
    this.pending.push({ t: this.now(), type: 'r', data: `${cols}x${rows}` });
  }

  /** Masks and writes everything, waits for the store; rejects when a write failed. */
  async close(): Promise<void> {
    if (this.closed) {
      await this.writing;
      if (this.failure) throw this.failure;
      return;
    }
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.settle(true);
    this.writeChunk();
    await this.writing;
    if (this.failure) throw this.failure;
  }

  private tick() {
    if (this.pending.length > 0) {
      const age = (this.now() - this.pending[0].t) * 1000;
      const hasInput = this.pending.some(e => e.type === 'i');
      if (
        age >= (hasInput ? MAX_HOLD_WITH_INPUT_MS : this.options.flushMillis)
      ) {
        this.settle(true);
      }
    }
    if (
      this.lines.length > 0 &&
      (this.linesBytes >= this.options.chunkBytes ||
        performance.now() - this.linesSince >= this.options.flushMillis)
    ) {
      this.writeChunk();
    }
  }

  /** Settles the events up to the last newline of output; what follows stays pending. */
  private settleThroughLastNewline() {
    const last = this.pending[this.pending.length - 1];
    const nl = last.data.lastIndexOf('\n');
    const rest = last.data.slice(nl + 1);
    if (rest) {
      last.data = last.data.slice(0, nl + 1);
      this.settle(false);
      this.pending.push({ t: last.t, type: 'o', data: rest });
      this.pendingChars += rest.length;
    } else {
      this.settle(false);
    }
  }

  private settle(force: boolean) {
    if (this.pending.length === 0) return;
    const events = this.pending;
    this.pending = [];
    this.pendingChars = 0;
    const outText = events
      .filter(e => e.type === 'o')
      .map(e => e.data)
      .join('');
    const maskedOut = outText
      ? this.stream.push(outText) + (force ? this.stream.flush() : '')
      : '';
    const inputs = events.filter(e => e.type === 'i');
    const inText = inputs.map(e => e.data).join('');
    const maskedIn = this.options.masker.mask(
      inputs
        .map(e => (e.secret ? e.data.replace(/[^\r\n]+/g, MASK) : e.data))
        .join(''),
    );
    let out: PendingEvent[];
    if (maskedOut === outText && maskedIn === inText) {
      out = events;
    } else {
      const firstOut = events.find(e => e.type === 'o');
      const firstIn = inputs[0];
      out = [
        ...(firstOut && maskedOut
          ? [{ t: firstOut.t, type: 'o' as const, data: maskedOut }]
          : []),
        ...(firstIn ? [{ t: firstIn.t, type: 'i' as const, data: maskedIn }] : []),
        ...events.filter(e => e.type === 'r'),
      ].sort((a, b) => a.t - b.t);
    }
    for (const e of out) {
      const line = `${JSON.stringify([Number(e.t.toFixed(6)), e.type, e.data])}\n`;
      if (this.lines.length === 0) this.linesSince = performance.now();
      this.lines.push(line);
      this.linesBytes += line.length;
    }
    if (this.linesBytes >= this.options.chunkBytes) this.writeChunk();
  }

  private writeChunk() {
    if (this.lines.length === 0 || this.failure) return;
    const data = this.lines.join('');
    const bytes = this.linesBytes;
    const seq = this.seq++;
    this.lines = [];
    this.linesBytes = 0;
    this.inFlightBytes += bytes;
    this.writing = this.writing.then(async () => {
      if (this.failure) return;
      try {
        await this.options.store.append(this.options.sessionId, seq, data);
      } catch (error) {
        this.failure =
          error instanceof Error ? error : new Error(String(error));
        if (this.timer) clearInterval(this.timer);
        this.options.onFailure(this.failure);
      } finally {
        this.inFlightBytes -= bytes;
        for (const l of [...this.drainListeners]) l();
      }
    });
  }
}
