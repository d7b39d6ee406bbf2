/**
 * The restricted-mode line editor. In restricted mode the pod never sees a
 * keystroke: the browser edits one command line locally and sends it whole
 * (`{ type: 'line' }`), so the backend can parse and check it before anything
 * runs. This class turns the terminal's input (xterm.js `onData`) into the
 * escape sequences that echo the edit, and into submitted lines.
 *
 * Keys: printable text inserts at the cursor; Backspace / Delete; Left /
 * Right, Home / End (also Ctrl-A / Ctrl-E); Up / Down walk the history;
 * Ctrl-U clears the line; Ctrl-C abandons it (or, while a command runs,
 * interrupts the command); Ctrl-L clears the screen;
 * Ctrl-D on an empty line ends the session; Enter submits. Text typed while a
 * command runs is kept and replayed at the next prompt (so a pasted block of
 * lines runs one line after the other). Other control characters are
 * dropped: they are refused by the backend anyway and cannot be shown.
 *
 * Characters count as one cell each (no East Asian wide characters).
 */

/** What the editor asks of its owner. */
export type LineEditorEvent =
  | { type: 'line'; line: string }
  | { type: 'eof' }
  | { type: 'clear-screen' }
  /** Ctrl-C while a command runs: the owner asks the backend to interrupt it. */
  | { type: 'interrupt' };

export interface LineEditorOptions {
  /** Written before each line, e.g. `payment-gateway-7d9f $ `. */
  prompt: string;
  /** The terminal's width in cells. */
  cols: number;
  /** Lines kept for Up / Down; oldest dropped first. Default 200. */
  historyLimit?: number;
}

const ESC = '\x1b';
const CSI = `${ESC}[`;

/** The escape sequences and control keys the editor understands. */
const KEYS: Record<string, string> = {
  [`${CSI}A`]: 'up',
  [`${ESC}OA`]: 'up',
  [`${CSI}B`]: 'down',
  [`${ESC}OB`]: 'down',
  [`${CSI}C`]: 'right',
  [`${ESC}OC`]: 'right',
  [`${CSI}D`]: 'left',
  [`${ESC}OD`]: 'left',
  [`${CSI}H`]: 'home',
  [`${ESC}OH`]: 'home',
  [`${CSI}1~`]: 'home',
  [`${CSI}F`]: 'end',
  [`${ESC}OF`]: 'end',
  [`${CSI}4~`]: 'end',
  [`${CSI}3~`]: 'delete',
  '\r': 'enter',
  '\n': 'enter',
  '\x7f': 'backspace',
  '\b': 'backspace',
  '\x01': 'home',
  '\x05': 'end',
  '\x02': 'left',
  '\x06': 'right',
  '\x03': 'interrupt',
  '\x04': 'eof',
  '\x0c': 'clear-screen',
  '\x15': 'kill-line',
  '\x10': 'up',
  '\x0e': 'down',
};

/** Splits terminal input into keys: escape sequences whole, text by code point. */
export function splitKeys(data: string): string[] {
  const keys: string[] = [];
  let i = 0;
  while (i < data.length) {
    if (data[i] === ESC) {
      const next = data[i + 1];
      if (next === '[' || next === 'O') {
        // CSI / SS3: parameters, then one final byte in @..~.
        let j = i + 2;
        while (j < data.length && !/[@-~]/.test(data[j])) j++;
        keys.push(data.slice(i, Math.min(j + 1, data.length)));
        i = j + 1;
      } else {
        // Alt+key or a lone Escape.
        keys.push(data.slice(i, next === undefined ? i + 1 : i + 2));
        i += next === undefined ? 1 : 2;
      }
      continue;
    }
    if (data[i] === '\r' && data[i + 1] === '\n') {
      keys.push('\r');
      i += 2;
      continue;
    }
    const codePoint = data.codePointAt(i)!;
    const char = String.fromCodePoint(codePoint);
    keys.push(char);
    i += char.length;
  }
  return keys;
}

function isPrintable(key: string): boolean {
  if (key.length === 0 || key.startsWith(ESC)) return false;
  const code = key.codePointAt(0)!;
  // C0, DEL and C1 controls.
  return !(code < 0x20 || code === 0x7f || (code >= 0x80 && code < 0xa0));
}

export class LineEditor {
  private readonly write: (data: string) => void;
  private prompt: string;
  private cols: number;
  private readonly historyLimit: number;
  private readonly history: string[] = [];
  /** Index into history while walking it; history.length = the line being edited. */
  private historyIndex = 0;
  /** The line being edited before Up was pressed, restored by Down. */
  private draft: string[] = [];
  private chars: string[] = [];
  private cursor = 0;
  /** Rows below the prompt's first row where the cursor is now. */
  private cursorRow = 0;
  private state: 'stopped' | 'editing' | 'waiting' = 'stopped';
  private typeahead = '';

  constructor(options: LineEditorOptions, write: (data: string) => void) {
    this.write = write;
    this.prompt = options.prompt;
    this.cols = Math.max(1, options.cols);
    this.historyLimit = options.historyLimit ?? 200;
  }

  /** The line as typed so far. */
  get line(): string {
    return this.chars.join('');
  }

  /** True between a submitted line and `resume()`. */
  get waiting(): boolean {
    return this.state === 'waiting';
  }

  /** The submitted lines, oldest first. */
  get lines(): readonly string[] {
    return this.history;
  }

  setPrompt(prompt: string) {
    this.prompt = prompt;
  }

  /** The terminal was resized; later redraws wrap at the new width. */
  setCols(cols: number) {
    this.cols = Math.max(1, cols);
  }

  /** Shows the prompt and starts editing a new, empty line. */
  start(): LineEditorEvent[] {
    this.state = 'editing';
    this.chars = [];
    this.cursor = 0;
    this.cursorRow = 0;
    this.historyIndex = this.history.length;
    this.write(this.prompt);
    this.placeCursorAfterWrite(this.promptLength());
    const pending = this.typeahead;
    this.typeahead = '';
    return pending ? this.feed(pending) : [];
  }

  /** The submitted line has finished; prompt again (replaying typeahead). */
  resume(): LineEditorEvent[] {
    return this.start();
  }

  /** Stops editing (session closed): input is ignored until `start()`. */
  stop() {
    this.state = 'stopped';
    this.typeahead = '';
  }

  /** Feeds terminal input; returns what the owner must act on. */
  feed(data: string): LineEditorEvent[] {
    const events: LineEditorEvent[] = [];
    const keys = splitKeys(data);
    for (let k = 0; k < keys.length; k++) {
      const key = keys[k];
      if (this.state === 'stopped') break;
      if (this.state === 'waiting') {
        if (KEYS[key] === 'interrupt') {
          // Interrupts the running command and forgets what was typed ahead.
          this.typeahead = '';
          events.push({ type: 'interrupt' });
        } else {
          this.typeahead += key;
        }
        continue;
      }
      const action = KEYS[key];
      if (action === 'enter') {
        const line = this.line;
        this.moveToEnd();
        this.write('\r\n');
        this.cursorRow = 0;
        if (line.trim() === '') {
          this.write(this.prompt);
          this.placeCursorAfterWrite(this.promptLength());
          this.chars = [];
          this.cursor = 0;
          continue;
        }
        this.remember(line);
        this.state = 'waiting';
        this.typeahead = keys.slice(k + 1).join('');
        events.push({ type: 'line', line });
        break;
      }
      if (action === 'eof') {
        if (this.chars.length === 0) {
          this.write('\r\n');
          this.state = 'stopped';
          events.push({ type: 'eof' });
          break;
        }
        this.deleteAt(this.cursor);
        continue;
      }
      if (action === 'clear-screen') {
        events.push({ type: 'clear-screen' });
        continue;
      }
      this.apply(action, key);
    }
    return events;
  }

  /** Rewrites prompt and line after the owner cleared the screen. */
  redrawAfterClear() {
    if (this.state !== 'editing') return;
    this.cursorRow = 0;
    this.redraw();
  }

  private apply(action: string | undefined, key: string) {
    switch (action) {
      case 'backspace':
        if (this.cursor > 0) {
          this.cursor--;
          this.deleteAt(this.cursor);
        }
        return;
      case 'delete':
        this.deleteAt(this.cursor);
        return;
      case 'left':
        if (this.cursor > 0) this.moveCursor(this.cursor - 1);
        return;
      case 'right':
        if (this.cursor < this.chars.length) this.moveCursor(this.cursor + 1);
        return;
      case 'home':
        this.moveCursor(0);
        return;
      case 'end':
        this.moveCursor(this.chars.length);
        return;
      case 'up':
        this.walkHistory(-1);
        return;
      case 'down':
        this.walkHistory(1);
        return;
      case 'kill-line':
        this.chars = [];
        this.cursor = 0;
        this.redraw();
        return;
      case 'interrupt':
        this.moveToEnd();
        this.write('^C\r\n');
        this.cursorRow = 0;
        this.chars = [];
        this.cursor = 0;
        this.historyIndex = this.history.length;
        this.write(this.prompt);
        this.placeCursorAfterWrite(this.promptLength());
        return;
      default:
        if (isPrintable(key)) this.insert(key);
    }
  }

  private insert(char: string) {
    const atEnd = this.cursor === this.chars.length;
    this.chars.splice(this.cursor, 0, char);
    this.cursor++;
    if (atEnd) {
      // The common case: plain echo.
      this.write(char);
      this.placeCursorAfterWrite(this.promptLength() + this.chars.length);
    } else {
      this.redraw();
    }
  }

  private deleteAt(index: number) {
    if (index >= this.chars.length) return;
    this.chars.splice(index, 1);
    this.redraw();
  }

  private walkHistory(step: number) {
    const next = this.historyIndex + step;
    if (next < 0 || next > this.history.length) return;
    if (this.historyIndex === this.history.length) {
      this.draft = this.chars;
    }
    this.historyIndex = next;
    this.chars =
      next === this.history.length
        ? this.draft
        : Array.from(this.history[next]);
    this.cursor = this.chars.length;
    this.redraw();
  }

  private remember(line: string) {
    if (this.history[this.history.length - 1] !== line) {
      this.history.push(line);
      if (this.history.length > this.historyLimit) this.history.shift();
    }
    this.historyIndex = this.history.length;
    this.draft = [];
  }

  private promptLength() {
    // The prompt may carry colour sequences; they take no cells.
    // eslint-disable-next-line no-control-regex
    return Array.from(this.prompt.replace(/\x1b\[[0-9;]*m/g, '')).length;
  }

  /**
   * After writing text that ends at cell `end` (counted from the prompt's
   * start), the cursor sits on row floor(end / cols) — except when the text
   * fills a row exactly and the terminal holds the cursor at the last column
   * ("pending wrap"). Writing a space and a backspace there moves the cursor
   * to the start of the next row, so the arithmetic below stays true.
   */
  private placeCursorAfterWrite(end: number) {
    if (end > 0 && end % this.cols === 0) {
      this.write(' \b');
    }
    this.cursorRow = Math.floor(end / this.cols);
  }

  /** Redraws prompt and line from the prompt's first row, then places the cursor. */
  private redraw() {
    let out = '';
    if (this.cursorRow > 0) out += `${CSI}${this.cursorRow}A`;
    out += `\r${CSI}J${this.prompt}${this.line}`;
    this.write(out);
    const end = this.promptLength() + this.chars.length;
    this.placeCursorAfterWrite(end);
    this.moveCursor(this.cursor, true);
  }

  /** Moves the cursor to line index `index` with relative cursor moves. */
  private moveCursor(index: number, force = false) {
    if (!force && index === this.cursor) return;
    const target = this.promptLength() + index;
    const targetRow = Math.floor(target / this.cols);
    const targetCol = target % this.cols;
    let out = '';
    if (targetRow < this.cursorRow)
      out += `${CSI}${this.cursorRow - targetRow}A`;
    if (targetRow > this.cursorRow)
      out += `${CSI}${targetRow - this.cursorRow}B`;
    out += '\r';
    if (targetCol > 0) out += `${CSI}${targetCol}C`;
    this.write(out);
    this.cursorRow = targetRow;
    this.cursor = index;
  }

  private moveToEnd() {
    this.moveCursor(this.chars.length);
  }
}
