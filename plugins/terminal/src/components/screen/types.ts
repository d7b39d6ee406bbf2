/**
 * The terminal screen the components draw on. In the portal it is xterm.js
 * (`XtermScreen`, lazy-loaded); tests provide a real xterm.js emulator
 * without a renderer (`@xterm/headless`), since jsdom has no canvas or
 * layout. Everything above this interface (socket, line editor, decisions,
 * replay) is the same code in both.
 */
export interface TerminalScreenHandle {
  write(data: string): void;
  /** Clears the screen and scrollback (Ctrl-L), keeping the cursor line. */
  clear(): void;
  /** Back to a blank terminal of the given size (replay: start or seek). */
  reset(cols?: number, rows?: number): void;
  /** A fixed size (replay follows the recording's size). */
  resize(cols: number, rows: number): void;
  focus(): void;
  readonly cols: number;
  readonly rows: number;
}

export interface TerminalScreenProps {
  /** Accessible name of the terminal, e.g. "Terminal" or "Replay". */
  label: string;
  /** Called once the terminal exists, with what can be done to it. */
  onReady(handle: TerminalScreenHandle): void;
  /** Keystrokes and pasted text, as xterm.js reports them. */
  onData?(data: string): void;
  /** The terminal's size changed (it fits its box, unless `fixedSize`). */
  onResize?(size: { cols: number; rows: number }): void;
  /** Replay: the size comes from the recording, not the box. */
  fixedSize?: { cols: number; rows: number };
  /** Input is ignored (replay, closed sessions). */
  readOnly?: boolean;
  /** Height of the box in pixels; default 420. */
  height?: number;
}
