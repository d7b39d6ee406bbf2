import { useEffect, useRef, useState } from 'react';
import { act } from '@testing-library/react';
import { Terminal } from '@xterm/headless';
import {
  TerminalScreenHandle,
  TerminalScreenProps,
} from '../components/screen/types';

const live = new Map<string, Terminal>();

function screenText(terminal: Terminal): string {
  const buffer = terminal.buffer.active;
  const lines: string[] = [];
  for (let i = 0; i < buffer.length; i++) {
    lines.push((buffer.getLine(i)?.translateToString(true) ?? '').trimEnd());
  }
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines.join('\n');
}

/**
 * The screen for component tests: a real xterm.js emulator
 * (`@xterm/headless`) whose screen text is rendered into a `<pre>` with the
 * terminal's accessible name, so tests read what a user would see.
 */
export function HeadlessScreen(props: TerminalScreenProps) {
  const [text, setText] = useState('');
  const latest = useRef(props);
  latest.current = props;
  const { label, fixedSize, readOnly } = props;
  const [terminal] = useState(
    () =>
      new Terminal({
        cols: fixedSize?.cols ?? 80,
        rows: fixedSize?.rows ?? 24,
        allowProposedApi: true,
        disableStdin: readOnly,
      }),
  );

  useEffect(() => {
    live.set(label, terminal);
    const parsed = terminal.onWriteParsed(() => setText(screenText(terminal)));
    const data = terminal.onData(d => latest.current.onData?.(d));
    const resize = terminal.onResize(size => latest.current.onResize?.(size));
    const handle: TerminalScreenHandle = {
      write: d => terminal.write(d),
      clear: () => {
        terminal.clear();
        setText(screenText(terminal));
      },
      reset: (cols, rows) => {
        terminal.reset();
        if (cols && rows) terminal.resize(cols, rows);
        setText(screenText(terminal));
      },
      resize: (cols, rows) => terminal.resize(cols, rows),
      focus: () => {},
      get cols() {
        return terminal.cols;
      },
      get rows() {
        return terminal.rows;
      },
    };
    props.onReady(handle);
    // Like the fit addon, report the size once the terminal is laid out.
    if (!fixedSize)
      props.onResize?.({ cols: terminal.cols, rows: terminal.rows });
    return () => {
      live.delete(label);
      parsed.dispose();
      data.dispose();
      resize.dispose();
    };
    // Mounted once, like XtermScreen.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [terminal]);

  useEffect(() => () => terminal.dispose(), [terminal]);

  return (
    <pre role="log" aria-label={label} data-cols={terminal.cols}>
      {text}
    </pre>
  );
}

/** Types into the test screen named `label`, as the user would into xterm.js. */
export function typeInto(label: string, data: string) {
  const terminal = live.get(label);
  if (!terminal) throw new Error(`No terminal screen named ${label}`);
  act(() => {
    terminal.input(data, true);
  });
}

/** Resizes the test screen named `label`, as fitting a bigger box would. */
export function resizeScreen(label: string, cols: number, rows: number) {
  const terminal = live.get(label);
  if (!terminal) throw new Error(`No terminal screen named ${label}`);
  act(() => {
    terminal.resize(cols, rows);
  });
}
