/**
 * The terminal side of an interactive tty session: a line editor for the
 * shell prompt (echo, backspace, arrows, history, ^C, ^D, ^L, ^U, ^W),
 * cooked input for foreground programs, raw keys for full-screen ones, and
 * ^C delivered as an interrupt to whatever runs in the foreground.
 */
import type { ExecIO } from '../contracts';
import { bytesInput, type Input } from './streams';

const CTRL_C = '\x03';
const CTRL_D = '\x04';

/** Splits terminal input into keys (escape sequences kept whole). */
function splitKeys(chunk: string): string[] {
  const keys: string[] = [];
  for (let i = 0; i < chunk.length; ) {
    if (chunk[i] === '\x1b') {
      // After ESC: a CSI sequence, an SS3 key, or one character (Alt+key).
      const m = /^(\[[0-9;?]*[A-Za-z~]|O[A-Za-z]|.)?/.exec(
        chunk.slice(i + 1, i + 16),
      );
      const len = 1 + (m ? m[0].length : 0);
      keys.push(chunk.slice(i, i + len));
      i += len;
    } else {
      const cp = chunk.codePointAt(i)!;
      const len = cp > 0xffff ? 2 : 1;
      keys.push(chunk.slice(i, i + len));
      i += len;
    }
  }
  return keys;
}

export interface ReadLineResult {
  line: string | null;
  interrupted?: boolean;
}

export class Terminal {
  cols = 80;
  rows = 24;
  private readonly queue: string[] = [];
  private waiters: Array<() => void> = [];
  private ended = false;
  private foreground?: () => void;
  private readonly resizeListeners: Array<() => void> = [];

  constructor(
    private readonly io: ExecIO,
    private readonly rawWrite: (s: string) => void | Promise<void>,
  ) {
    io.onResize(size => {
      this.cols = size.cols;
      this.rows = size.rows;
      for (const l of this.resizeListeners) l();
    });
    io.signal.addEventListener('abort', () => this.wake(), { once: true });
    void this.pump();
  }

  onResize(listener: () => void): void {
    this.resizeListeners.push(listener);
  }

  private async pump(): Promise<void> {
    if (!this.io.stdin) {
      this.ended = true;
      return;
    }
    const input = bytesInput(this.io.stdin);
    try {
      for (;;) {
        const chunk = await input.read();
        if (chunk === null) break;
        for (const key of splitKeys(chunk)) {
          if (key === CTRL_C && this.foreground) {
            this.foreground();
            continue;
          }
          this.queue.push(key);
        }
        this.wake();
      }
    } catch {
      // the client went away
    }
    this.ended = true;
    this.wake();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** The next key, or null when the client closed stdin. */
  async key(): Promise<string | null> {
    while (this.queue.length === 0 && !this.ended && !this.io.signal.aborted) {
      await new Promise<void>(r => this.waiters.push(r));
    }
    return this.queue.shift() ?? null;
  }

  /** Output to the terminal: newlines become CR LF as a tty does (onlcr). */
  write(s: string): void | Promise<void> {
    return this.rawWrite(s.replace(/\r?\n/g, '\r\n'));
  }

  /** While a program runs in the foreground, ^C calls `interrupt`. Returns a release function. */
  setForeground(interrupt: () => void): () => void {
    this.foreground = interrupt;
    return () => {
      if (this.foreground === interrupt) this.foreground = undefined;
    };
  }

  /** The shell's line editor. */
  async readLine(prompt: string, history: string[]): Promise<ReadLineResult> {
    let line = '';
    let cursor = 0;
    let hist = history.length;
    const w = (s: string) => this.rawWrite(s);
    const redraw = () => {
      w(`\r\x1b[K${prompt}${line}`);
      if (cursor < line.length) w(`\x1b[${line.length - cursor}D`);
    };
    await w(prompt);
    for (;;) {
      const k = await this.key();
      if (k === null) return { line: null };
      switch (k) {
        case '\r':
        case '\n':
          await w('\r\n');
          return { line };
        case CTRL_C:
          await w('^C\r\n');
          return { line: '', interrupted: true };
        case CTRL_D:
          if (line === '') {
            return { line: null };
          }
          break;
        case '\x7f':
        case '\b':
          if (cursor > 0) {
            line = line.slice(0, cursor - 1) + line.slice(cursor);
            cursor--;
            if (cursor === line.length) await w('\b \b');
            else redraw();
          }
          break;
        case '\x15': // ^U
          line = line.slice(cursor);
          cursor = 0;
          redraw();
          break;
        case '\x17': {
          // ^W
          const before = line.slice(0, cursor).replace(/\S+\s*$/, '');
          line = before + line.slice(cursor);
          cursor = before.length;
          redraw();
          break;
        }
        case '\x0c': // ^L
          await w('\x1b[H\x1b[2J');
          redraw();
          break;
        case '\x01': // ^A
        case '\x1b[H':
        case '\x1bOH':
          cursor = 0;
          redraw();
          break;
        case '\x05': // ^E
        case '\x1b[F':
        case '\x1bOF':
          cursor = line.length;
          redraw();
          break;
        case '\x1b[D':
        case '\x1bOD':
          if (cursor > 0) {
            cursor--;
            await w('\x1b[D');
          }
          break;
        case '\x1b[C':
        case '\x1bOC':
          if (cursor < line.length) {
            cursor++;
            await w('\x1b[C');
          }
          break;
        case '\x1b[A':
        case '\x1bOA':
          if (hist > 0) {
            hist--;
            line = history[hist];
            cursor = line.length;
            redraw();
          }
          break;
        case '\x1b[B':
        case '\x1bOB':
          if (hist < history.length) {
            hist++;
            line = hist === history.length ? '' : history[hist];
            cursor = line.length;
            redraw();
          }
          break;
        case '\t':
          await w('\x07');
          break;
        default:
          if (k.length > 0 && k >= ' ' && !k.startsWith('\x1b')) {
            line = line.slice(0, cursor) + k + line.slice(cursor);
            cursor += k.length;
            if (cursor === line.length) await w(k);
            else redraw();
          }
      }
    }
  }

  /** Line-buffered input with echo for a foreground program (a tty in canonical mode). */
  cookedInput(): Input {
    let eof = false;
    return {
      read: async () => {
        if (eof) return null;
        let line = '';
        for (;;) {
          const k = await this.key();
          if (k === null) {
            eof = true;
            return line || null;
          }
          if (k === CTRL_D) {
            if (line === '') {
              eof = true;
              return null;
            }
            return line;
          }
          if (k === '\r' || k === '\n') {
            await this.rawWrite('\r\n');
            return `${line}\n`;
          }
          if (k === '\x7f' || k === '\b') {
            if (line) {
              line = line.slice(0, -1);
              await this.rawWrite('\b \b');
            }
            continue;
          }
          if (k >= ' ' && !k.startsWith('\x1b')) {
            line += k;
            await this.rawWrite(k);
          }
        }
      },
    };
  }
}
