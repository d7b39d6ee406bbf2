import { useCallback, useEffect, useRef, useState } from 'react';
import { useApi } from '@backstage/core-plugin-api';
import { CommandDecision } from '@fincloud/plugin-terminal-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Chip from '@material-ui/core/Chip';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import {
  ConnectionState,
  SessionTarget,
  TerminalConnection,
  terminalApiRef,
} from '../api';
import { LineEditor } from '../terminal/LineEditor';
import { DecisionLine } from './DecisionLine';
import { TerminalScreen } from './screen/TerminalScreen';
import { TerminalScreenHandle } from './screen/types';
import { RecordingIndicator, TimeBoxCountdown } from './SessionIndicators';

const RED = '\x1b[31m';
const YELLOW = '\x1b[33m';
const DIM = '\x1b[2m';
const GREEN_BOLD = '\x1b[1;32m';
const RESET = '\x1b[0m';

/** Restricted output is not from a TTY: bare `\n` must also return the carriage. */
function toTerminalNewlines(data: string): string {
  return data.replace(/\r?\n/g, '\r\n');
}

function ConnectionChip(props: { state: ConnectionState }) {
  const { state } = props;
  if (state.status === 'connecting') {
    return (
      <Chip
        size="small"
        label="Connecting…"
        aria-label="Connection: connecting"
      />
    );
  }
  if (state.status === 'open') {
    return (
      <Chip
        size="small"
        color="primary"
        label="Connected"
        aria-label="Connection: connected"
      />
    );
  }
  return <Chip size="small" label="Closed" aria-label="Connection: closed" />;
}

/**
 * One live session in xterm.js.
 *
 * Restricted mode: the line editor echoes locally and sends whole lines;
 * each line is answered by a decision, refused lines get a red line in the
 * terminal and a visible notice naming the rule; Ctrl-C interrupts the
 * running command. Shell mode (break-glass): keystrokes go straight to the
 * pod's TTY, the written justification is the first message, and the
 * recording badge and the time-box countdown stay visible.
 */
export function LiveTerminal(props: {
  target: SessionTarget;
  /** Shell mode: the written reason. */
  justification?: string;
  /** Leaves the session view (back to the pod picker). */
  onLeave(): void;
  /** Shell mode: a new shell needs a new justification; the owner asks for it. */
  onReconnectShell?(): void;
}) {
  const { target, justification, onLeave, onReconnectShell } = props;
  const api = useApi(terminalApiRef);
  const shell = target.mode === 'shell';

  const [state, setState] = useState<ConnectionState>({
    status: 'connecting',
  });
  const [attempt, setAttempt] = useState(0);
  const [refusal, setRefusal] = useState<{
    line: string;
    decision: CommandDecision;
  }>();
  const [notice, setNotice] = useState<{
    level: 'info' | 'warning' | 'error';
    message: string;
  }>();

  const screen = useRef<TerminalScreenHandle>();
  const unwritten = useRef<string[]>([]);
  const size = useRef<{ cols: number; rows: number }>();
  const connection = useRef<TerminalConnection>();
  const open = useRef(false);
  const atLineStart = useRef(true);
  const lastLine = useRef('');
  const editor = useRef<LineEditor>();

  const write = useCallback((data: string) => {
    if (!data) return;
    atLineStart.current = /[\r\n]$/.test(data);
    if (screen.current) screen.current.write(data);
    else unwritten.current.push(data);
  }, []);

  if (!editor.current) {
    editor.current = new LineEditor(
      {
        prompt: `${GREEN_BOLD}${target.pod}${RESET}:${target.container} $ `,
        cols: 80,
      },
      write,
    );
  }

  const prompt = useCallback(() => {
    if (!atLineStart.current) write('\r\n');
    for (const event of editor.current!.resume()) {
      // Typeahead can submit the next line right away.
      if (event.type === 'line') {
        lastLine.current = event.line;
        connection.current?.sendLine(event.line);
      }
    }
  }, [write]);

  useEffect(() => {
    open.current = false;
    if (attempt > 0) write(`\r\n${DIM}Reconnecting…${RESET}\r\n`);
    const conn = api.connect(target, {
      onState: next => {
        setState(next);
        if (next.status === 'open') {
          open.current = true;
          if (size.current) {
            conn.resize(size.current.cols, size.current.rows);
          }
          if (!shell) {
            write(
              `${DIM}Restricted session ${next.sessionId}: one allowed command per line ` +
                `(see "What you can run"), each one audited.${RESET}\r\n`,
            );
            for (const event of editor.current!.start()) {
              if (event.type === 'line') conn.sendLine(event.line);
            }
          }
          screen.current?.focus();
        }
        if (next.status === 'closed') {
          open.current = false;
          editor.current!.stop();
          write(
            `${atLineStart.current ? '' : '\r\n'}${YELLOW}[${
              next.message
            }]${RESET}\r\n`,
          );
        }
      },
      onOutput: data => write(shell ? data : toTerminalNewlines(data)),
      onDecision: decision => {
        if (decision.allowed) {
          setRefusal(undefined);
          return;
        }
        setRefusal({ line: lastLine.current, decision });
        write(
          `${atLineStart.current ? '' : '\r\n'}${RED}✗ Not allowed (${
            decision.rule
          }): ${decision.message}${RESET}\r\n`,
        );
        prompt();
      },
      onExit: exit => {
        if (!atLineStart.current) write('\r\n');
        if (exit.code !== 0)
          write(`${DIM}[exit code ${exit.code}]${RESET}\r\n`);
        prompt();
      },
      onNotice: setNotice,
    });
    connection.current = conn;
    if (shell && justification) conn.sendJustification(justification);
    return () => {
      conn.close();
      if (connection.current === conn) connection.current = undefined;
    };
    // A new connection per attempt; the target is fixed for this component.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [api, attempt]);

  const onReady = useCallback((handle: TerminalScreenHandle) => {
    screen.current = handle;
    for (const data of unwritten.current.splice(0)) handle.write(data);
    handle.focus();
  }, []);

  const onResize = useCallback((next: { cols: number; rows: number }) => {
    size.current = next;
    editor.current?.setCols(next.cols);
    if (open.current) connection.current?.resize(next.cols, next.rows);
  }, []);

  const onData = useCallback(
    (data: string) => {
      const conn = connection.current;
      if (!conn || !open.current) return;
      if (shell) {
        conn.sendStdin(data);
        return;
      }
      for (const event of editor.current!.feed(data)) {
        switch (event.type) {
          case 'line':
            lastLine.current = event.line;
            conn.sendLine(event.line);
            break;
          case 'interrupt':
            conn.sendStdin('\u0003');
            break;
          case 'eof':
            conn.close();
            break;
          case 'clear-screen':
            screen.current?.clear();
            editor.current!.redrawAfterClear();
            break;
          default:
        }
      }
    },
    [shell],
  );

  const closed = state.status === 'closed';
  const where = `${target.cluster} / ${target.namespace} / ${target.pod} / ${
    target.debug
      ? `debug container next to ${target.container}`
      : target.container
  }`;

  return (
    <Box>
      <Box
        display="flex"
        alignItems="center"
        flexWrap="wrap"
        mb={1}
        style={{ gap: 12 }}
      >
        <Typography variant="subtitle1" component="h3">
          {shell ? 'Break-glass shell' : 'Restricted terminal'}
        </Typography>
        <ConnectionChip state={state} />
        <Typography variant="body2" color="textSecondary">
          {where}
        </Typography>
        {shell && state.status === 'open' && state.recording && (
          <RecordingIndicator />
        )}
        {shell && state.status === 'open' && !state.recording && (
          <Chip size="small" label="Not recorded" />
        )}
        {state.status === 'open' && state.expiresAt && (
          <TimeBoxCountdown expiresAt={state.expiresAt} />
        )}
        <Box flexGrow={1} />
        {!closed && (
          <Button
            variant="outlined"
            size="small"
            onClick={() => connection.current?.close()}
          >
            End session
          </Button>
        )}
        {closed && (
          <Button
            variant="contained"
            color="primary"
            size="small"
            onClick={() =>
              shell && onReconnectShell
                ? onReconnectShell()
                : setAttempt(a => a + 1)
            }
          >
            Reconnect
          </Button>
        )}
        {closed && (
          <Button variant="outlined" size="small" onClick={onLeave}>
            Choose another pod
          </Button>
        )}
      </Box>
      {state.status === 'closed' && (
        <Box mb={1}>
          <Alert severity={state.byUser ? 'info' : 'warning'}>
            {state.message}
          </Alert>
        </Box>
      )}
      {notice && !closed && (
        <Box mb={1}>
          <Alert severity={notice.level} onClose={() => setNotice(undefined)}>
            {notice.message}
          </Alert>
        </Box>
      )}
      {refusal && (
        <Box mb={1}>
          <Alert
            severity="error"
            aria-label="Refused command"
            onClose={() => setRefusal(undefined)}
          >
            <DecisionLine
              plain
              line={refusal.line}
              decision={refusal.decision}
            />
          </Alert>
        </Box>
      )}
      <TerminalScreen
        label={shell ? 'Shell terminal' : 'Terminal'}
        onReady={onReady}
        onData={onData}
        onResize={onResize}
      />
    </Box>
  );
}
