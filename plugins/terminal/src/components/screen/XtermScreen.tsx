import '@xterm/xterm/css/xterm.css';
import { useEffect, useRef } from 'react';
import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import { makeStyles } from '@material-ui/core/styles';
import { TerminalScreenHandle, TerminalScreenProps } from './types';

const useStyles = makeStyles(theme => ({
  box: {
    width: '100%',
    overflow: 'auto',
    backgroundColor: '#1e1e1e',
    borderRadius: theme.shape.borderRadius,
    padding: theme.spacing(1),
    boxSizing: 'border-box',
  },
}));

/** xterm.js in a box; fits the box (and follows its size) unless `fixedSize`. */
export function XtermScreen(props: TerminalScreenProps) {
  const classes = useStyles();
  const boxRef = useRef<HTMLDivElement>(null);
  // The latest callbacks, without re-creating the terminal when they change.
  const callbacks = useRef(props);
  callbacks.current = props;
  const { fixedSize, readOnly } = props;

  useEffect(() => {
    const box = boxRef.current;
    if (!box) return undefined;
    const terminal = new Terminal({
      cursorBlink: !readOnly,
      disableStdin: Boolean(readOnly),
      fontFamily: 'Menlo, "DejaVu Sans Mono", Consolas, monospace',
      fontSize: 13,
      scrollback: 5000,
      // xterm.js refuses an explicit `undefined` size.
      ...(fixedSize ? { cols: fixedSize.cols, rows: fixedSize.rows } : {}),
      theme: { background: '#1e1e1e' },
    });
    const fit = new FitAddon();
    terminal.loadAddon(fit);
    terminal.open(box);
    const fitNow = () => {
      if (fixedSize) return;
      try {
        fit.fit();
      } catch {
        // The box is not laid out yet (hidden tab); the observer calls again.
      }
    };
    const dataSub = terminal.onData(data => callbacks.current.onData?.(data));
    const resizeSub = terminal.onResize(size =>
      callbacks.current.onResize?.(size),
    );
    const observer = new ResizeObserver(() => fitNow());
    observer.observe(box);
    fitNow();

    const handle: TerminalScreenHandle = {
      write: data => terminal.write(data),
      clear: () => terminal.clear(),
      reset: (cols, rows) => {
        terminal.reset();
        if (cols && rows) terminal.resize(cols, rows);
      },
      resize: (cols, rows) => terminal.resize(cols, rows),
      focus: () => terminal.focus(),
      get cols() {
        return terminal.cols;
      },
      get rows() {
        return terminal.rows;
      },
    };
    callbacks.current.onReady(handle);
    if (!readOnly) terminal.focus();

    return () => {
      observer.disconnect();
      dataSub.dispose();
      resizeSub.dispose();
      terminal.dispose();
    };
    // The terminal is made once per size mode; the size itself changes via the handle.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [Boolean(fixedSize), readOnly]);

  return (
    <div
      ref={boxRef}
      role="group"
      aria-label={props.label}
      className={classes.box}
      style={{ height: props.height ?? 420 }}
      data-testid="xterm-screen"
    />
  );
}
