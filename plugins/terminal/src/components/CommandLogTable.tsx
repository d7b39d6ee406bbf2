import useAsync from 'react-use/esm/useAsync';
import {
  Progress,
  ResponseErrorPanel,
  StatusError,
  StatusOK,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import { terminalApiRef } from '../api';
import { formatBytes, formatDuration, formatTime } from './format';

const useStyles = makeStyles({
  mono: {
    fontFamily: 'monospace',
    fontSize: '0.8rem',
    overflowWrap: 'anywhere',
  },
  nowrap: { whiteSpace: 'nowrap' },
});

function formatCommandDuration(ms: number | undefined): string {
  if (ms === undefined) return '';
  return ms < 1000 ? `${Math.round(ms)} ms` : formatDuration(ms);
}

/** The restricted-mode command log of a session: every line, allowed or refused. */
export function CommandLogTable(props: { sessionId: string }) {
  const classes = useStyles();
  const api = useApi(terminalApiRef);
  const log = useAsync(
    () => api.getCommands(props.sessionId),
    [api, props.sessionId],
  );
  if (log.loading) return <Progress />;
  if (log.error) {
    return (
      <ResponseErrorPanel
        title="Could not load the command log"
        error={log.error}
      />
    );
  }
  const items = log.value?.items ?? [];
  if (items.length === 0) {
    return (
      <Typography variant="body2">No command lines in this session.</Typography>
    );
  }
  return (
    <Table size="small" aria-label="Command log">
      <TableHead>
        <TableRow>
          <TableCell>#</TableCell>
          <TableCell>Time</TableCell>
          <TableCell>Command line</TableCell>
          <TableCell>Decision</TableCell>
          <TableCell align="right">Exit code</TableCell>
          <TableCell align="right">Duration</TableCell>
          <TableCell align="right">Output</TableCell>
        </TableRow>
      </TableHead>
      <TableBody>
        {items.map(entry => (
          <TableRow key={entry.seq}>
            <TableCell>{entry.seq}</TableCell>
            <TableCell className={classes.nowrap}>
              {formatTime(entry.at)}
            </TableCell>
            <TableCell className={classes.mono}>
              {entry.line}
              {entry.argv.length > 0 && (
                <Typography
                  variant="caption"
                  display="block"
                  color="textSecondary"
                >
                  argv {JSON.stringify(entry.argv)}
                </Typography>
              )}
            </TableCell>
            <TableCell>
              {entry.allowed ? (
                <StatusOK>allowed</StatusOK>
              ) : (
                <StatusError>refused</StatusError>
              )}
              <Typography
                variant="caption"
                display="block"
                className={classes.mono}
              >
                {entry.rule}
              </Typography>
              {!entry.allowed && entry.message && (
                <Typography variant="caption" display="block">
                  {entry.message}
                </Typography>
              )}
            </TableCell>
            <TableCell align="right">{entry.exitCode ?? ''}</TableCell>
            <TableCell align="right" className={classes.nowrap}>
              {formatCommandDuration(entry.durationMs)}
            </TableCell>
            <TableCell align="right" className={classes.nowrap}>
              {formatBytes(entry.bytesOut)}
            </TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}
