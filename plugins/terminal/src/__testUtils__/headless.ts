import { Terminal } from '@xterm/headless';

/**
 * A real xterm.js terminal without a renderer (`@xterm/headless`): tests
 * write what the UI would write to the browser's xterm.js and read back what
 * a user would see on the screen.
 */
export class HeadlessTerminal {
  readonly term: Terminal;
  private pending: Promise<void> = Promise.resolve();

  constructor(cols = 80, rows = 24) {
    this.term = new Terminal({ cols, rows, allowProposedApi: true });
  }

  /** Queues a write; `settled()` waits for every queued write to be parsed. */
  write = (data: string) => {
    const done = new Promise<void>(resolve => this.term.write(data, resolve));
    this.pending = this.pending.then(() => done);
  };

  async settled() {
    await this.pending;
  }

  /** The visible screen, one string per row, trailing blanks trimmed, trailing empty rows dropped. */
  lines(): string[] {
    const buffer = this.term.buffer.active;
    const out: string[] = [];
    for (let i = 0; i < buffer.length; i++) {
      out.push((buffer.getLine(i)?.translateToString(true) ?? '').trimEnd());
    }
    while (out.length > 0 && out[out.length - 1] === '') out.pop();
    return out;
  }

  text(): string {
    return this.lines().join('\n');
  }

  /** Cursor position in the whole buffer (row counted from the top of the scrollback). */
  cursor(): { row: number; col: number } {
    const buffer = this.term.buffer.active;
    return { row: buffer.baseY + buffer.cursorY, col: buffer.cursorX };
  }

  dispose() {
    this.term.dispose();
  }
}
