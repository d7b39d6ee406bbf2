import { Terminal } from '@xterm/headless';

/** A real xterm.js terminal without a renderer: what a user would see on screen. */
export class Screen {
  readonly term: Terminal;
  private pending: Promise<void> = Promise.resolve();

  constructor(cols: number, rows: number) {
    this.term = new Terminal({ cols, rows, allowProposedApi: true, scrollback: 1000 });
  }

  write(data: string) {
    const done = new Promise<void>(resolve => this.term.write(data, resolve));
    this.pending = this.pending.then(() => done);
  }

  resize(cols: number, rows: number) {
    this.pending = this.pending.then(() => this.term.resize(cols, rows));
  }

  async lines(): Promise<string[]> {
    await this.pending;
    const buffer = this.term.buffer.active;
    const out: string[] = [];
    for (let i = 0; i < buffer.length; i++) {
      out.push(buffer.getLine(i)?.translateToString(true) ?? '');
    }
    return out;
  }

  async cursor() {
    await this.pending;
    const b = this.term.buffer.active;
    return { row: b.baseY + b.cursorY, col: b.cursorX };
  }
}

/** An asciicast v2 file: header and events. */
export function parseCast(text: string) {
  const [header, ...rest] = text.split('\n').filter(Boolean);
  return {
    header: JSON.parse(header),
    events: rest.map(l => JSON.parse(l) as [number, 'o' | 'i' | 'r', string]),
  };
}

/** Replays a recording's output and resize events into a fresh screen, as a player does. */
export async function replay(text: string): Promise<Screen> {
  const { header, events } = parseCast(text);
  const screen = new Screen(header.width, header.height);
  for (const [, type, data] of events) {
    if (type === 'o') screen.write(data);
    if (type === 'r') {
      const [cols, rows] = data.split('x').map(Number);
      screen.resize(cols, rows);
    }
  }
  await screen.lines();
  return screen;
}
