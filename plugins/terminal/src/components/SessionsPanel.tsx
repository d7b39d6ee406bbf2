import { FormEvent, useCallback, useEffect, useState } from 'react';
import { Link as RouterLink } from 'react-router-dom';
import {
  EmptyState,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import { SessionSummary, TerminalMode } from '@fincloud/plugin-terminal-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Checkbox from '@material-ui/core/Checkbox';
import Chip from '@material-ui/core/Chip';
import FormControlLabel from '@material-ui/core/FormControlLabel';
import Link from '@material-ui/core/Link';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import { ResponseError } from '@backstage/errors';
import { SessionQuery, terminalApiRef } from '../api';
import {
  formatEndReason,
  formatTarget,
  formatTime,
  sessionDuration,
  shortUser,
} from './format';
import { TerminateButton } from './TerminateButton';

const PAGE_SIZE = 25;
/** Live sessions change; the list refreshes itself this often while it shows one. */
const REFRESH_MS = 15_000;

const useStyles = makeStyles(theme => ({
  nowrap: { whiteSpace: 'nowrap' },
  mono: {
    fontFamily: 'monospace',
    fontSize: '0.8rem',
    maxWidth: 320,
    overflowWrap: 'anywhere',
  },
  why: { minWidth: 160, maxWidth: 280, overflowWrap: 'anywhere' },
  head: { '& th': { whiteSpace: 'nowrap' } },
  shell: {
    backgroundColor: theme.palette.warning.main,
    color: theme.palette.warning.contrastText,
  },
  live: {
    backgroundColor: theme.palette.success.main,
    color: theme.palette.success.contrastText,
  },
}));

export function ModeChip(props: { session: SessionSummary }) {
  const classes = useStyles();
  const { session } = props;
  return (
    <Chip
      size="small"
      label={`${session.mode}${session.debugContainer ? ' · debug' : ''}`}
      className={session.mode === 'shell' ? classes.shell : undefined}
    />
  );
}

export function StatusChip(props: { session: SessionSummary }) {
  const classes = useStyles();
  const { session } = props;
  return session.live ? (
    <Chip size="small" label="live" className={classes.live} />
  ) : (
    <Typography variant="body2">{formatEndReason(session)}</Typography>
  );
}

/** `pete` → `user:default/pete`; full refs as typed. */
function userRef(value: string): string | undefined {
  const trimmed = value.trim();
  if (!trimmed) return undefined;
  return trimmed.includes(':') ? trimmed : `user:default/${trimmed}`;
}

interface Filters {
  user: string;
  mode: '' | TerminalMode;
  live: boolean;
}

/**
 * Past and live terminal sessions, newest first: who, when, why, how long,
 * mode, commands run and refused; a link to each session's details and
 * replay, and "Terminate" on live ones for the platform team. On an entity
 * it lists that entity's sessions; on the global page, every session the
 * backend lets the user read.
 */
export function SessionsPanel(props: { entityRef?: string }) {
  const { entityRef } = props;
  const classes = useStyles();
  const api = useApi(terminalApiRef);
  const [draft, setDraft] = useState<Filters>({
    user: '',
    mode: '',
    live: false,
  });
  const [filters, setFilters] = useState<Filters>(draft);
  const [items, setItems] = useState<SessionSummary[]>([]);
  const [nextCursor, setNextCursor] = useState<string>();
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<Error>();
  const [refreshed, setRefreshed] = useState(0);

  const query = useCallback(
    (cursor?: string): SessionQuery => ({
      entityRef,
      user: userRef(filters.user),
      mode: filters.mode || undefined,
      live: filters.live || undefined,
      limit: PAGE_SIZE,
      cursor,
    }),
    [entityRef, filters],
  );

  useEffect(() => {
    let cancelled = false;
    setLoading(true);
    api.listSessions(query()).then(
      page => {
        if (cancelled) return;
        setItems(page.items);
        setNextCursor(page.nextCursor);
        setError(undefined);
        setLoading(false);
      },
      e => {
        if (cancelled) return;
        setError(e);
        setLoading(false);
      },
    );
    return () => {
      cancelled = true;
    };
  }, [api, query, refreshed]);

  const anyLive = items.some(s => s.live);
  useEffect(() => {
    if (!anyLive && !filters.live) return undefined;
    const timer = setInterval(() => setRefreshed(n => n + 1), REFRESH_MS);
    return () => clearInterval(timer);
  }, [anyLive, filters.live]);

  const loadMore = async () => {
    if (!nextCursor) return;
    setLoading(true);
    try {
      const page = await api.listSessions(query(nextCursor));
      setItems(current => [...current, ...page.items]);
      setNextCursor(page.nextCursor);
    } catch (e) {
      setError(e as Error);
    } finally {
      setLoading(false);
    }
  };

  const apply = (event: FormEvent) => {
    event.preventDefault();
    setFilters(draft);
  };

  const replace = (ended: SessionSummary) =>
    setItems(current => current.map(s => (s.id === ended.id ? ended : s)));

  const forbidden =
    error instanceof ResponseError && error.response.status === 403;

  return (
    <Box>
      <Box
        component="form"
        onSubmit={apply}
        display="flex"
        alignItems="center"
        flexWrap="wrap"
        mb={2}
        style={{ gap: 16 }}
      >
        <TextField
          id="terminal-sessions-user"
          label="User"
          placeholder="pete or user:default/pete"
          size="small"
          variant="outlined"
          value={draft.user}
          onChange={e => setDraft({ ...draft, user: e.target.value })}
        />
        <TextField
          select
          id="terminal-sessions-mode"
          label="Mode"
          size="small"
          variant="outlined"
          value={draft.mode}
          onChange={e =>
            setDraft({ ...draft, mode: e.target.value as Filters['mode'] })
          }
          SelectProps={{ native: true }}
          InputLabelProps={{ shrink: true }}
        >
          <option value="">any</option>
          <option value="restricted">restricted</option>
          <option value="shell">shell (break-glass)</option>
        </TextField>
        <FormControlLabel
          control={
            <Checkbox
              checked={draft.live}
              onChange={e => setDraft({ ...draft, live: e.target.checked })}
            />
          }
          label="Live only"
        />
        <Button type="submit" variant="outlined">
          Apply filters
        </Button>
        <Button onClick={() => setRefreshed(n => n + 1)}>Refresh</Button>
      </Box>

      {error && forbidden && (
        <EmptyState
          missing="info"
          title="You may not see these terminal sessions"
          description="A service's sessions are open to its developers and their team leads; every service's to the platform team and auditors."
        />
      )}
      {error && !forbidden && (
        <ResponseErrorPanel title="Could not load sessions" error={error} />
      )}
      {!error && loading && items.length === 0 && <Progress />}
      {!error && !loading && items.length === 0 && (
        <EmptyState
          missing="data"
          title="No terminal sessions"
          description={
            entityRef
              ? 'Nobody has opened a terminal on this service yet (with these filters).'
              : 'No sessions you may see match these filters.'
          }
        />
      )}
      {items.length > 0 && (
        <Table size="small" aria-label="Terminal sessions">
          <TableHead className={classes.head}>
            <TableRow>
              <TableCell>Started</TableCell>
              <TableCell>User</TableCell>
              <TableCell>Mode</TableCell>
              {!entityRef && <TableCell>Service</TableCell>}
              <TableCell>Target</TableCell>
              <TableCell>Why</TableCell>
              <TableCell>Duration</TableCell>
              <TableCell align="right">Commands</TableCell>
              <TableCell align="right">Refused</TableCell>
              <TableCell>Status</TableCell>
              <TableCell />
            </TableRow>
          </TableHead>
          <TableBody>
            {items.map(session => (
              <TableRow key={session.id} hover>
                <TableCell className={classes.nowrap}>
                  {formatTime(session.startedAt)}
                </TableCell>
                <TableCell className={classes.nowrap}>
                  {shortUser(session.user)}
                </TableCell>
                <TableCell>
                  <ModeChip session={session} />
                </TableCell>
                {!entityRef && (
                  <TableCell>
                    <EntityRefLink entityRef={session.entityRef} />
                  </TableCell>
                )}
                <TableCell className={classes.mono}>
                  {formatTarget(session)}
                </TableCell>
                <TableCell className={classes.why}>
                  {session.justification ?? ''}
                  {session.approvedBy
                    ? ` (approved by ${shortUser(session.approvedBy)})`
                    : ''}
                </TableCell>
                <TableCell className={classes.nowrap}>
                  {sessionDuration(session)}
                </TableCell>
                <TableCell align="right">{session.commands}</TableCell>
                <TableCell align="right">{session.refused}</TableCell>
                <TableCell className={classes.nowrap}>
                  <StatusChip session={session} />
                </TableCell>
                <TableCell className={classes.nowrap}>
                  <Box display="flex" alignItems="center" style={{ gap: 8 }}>
                    <Link
                      component={RouterLink}
                      to={session.id}
                      aria-label={`Details of session ${session.id}`}
                    >
                      {session.hasRecording ? 'Replay' : 'Details'}
                    </Link>
                    <TerminateButton session={session} onTerminated={replace} />
                  </Box>
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
      {nextCursor && !error && (
        <Box mt={2} display="flex" justifyContent="center">
          <Button variant="outlined" disabled={loading} onClick={loadMore}>
            Load more
          </Button>
        </Box>
      )}
    </Box>
  );
}
