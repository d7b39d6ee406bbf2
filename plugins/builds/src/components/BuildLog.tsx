import { FormEvent, useCallback, useEffect, useRef, useState } from 'react';
import {
  LogViewer,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { alertApiRef, useApi } from '@backstage/core-plugin-api';
import { LogSearchResult } from '@fincloud/plugin-builds-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import List from '@material-ui/core/List';
import ListItem from '@material-ui/core/ListItem';
import ListItemText from '@material-ui/core/ListItemText';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import { buildsApiRef } from '../api';

/** Lines read for the first screen (the end of the log) and each "earlier" step. */
export const FIRST_SCREEN_LINES = 1000;
/** Lines asked for per tail read (the backend's maximum is 5000). */
const TAIL_BATCH = 5000;
/** How often the tail is read while the build runs. */
export const TAIL_MS = 1500;
/** Lines shown after a search match (the viewer shows the end of its text). */
const MATCH_CONTEXT = 5;
/** Lines kept in the browser; older ones are dropped from the view (download has all). */
const MAX_WINDOW = 50_000;

interface Window {
  from: number;
  lines: string[];
}

/** Saves a blob as a file through a temporary link. */
export function saveBlob(blob: Blob, filename: string) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

const number = (n: number) => n.toLocaleString('en-US');

/**
 * A build's log in Backstage's LogViewer. The first screen is one ranged
 * read of the last lines (fast however long the log is); while the build
 * runs the tail is read every 1.5 s and appended. Earlier lines load on
 * demand, the whole log is searchable on the server (a match opens the lines
 * around it) and downloadable.
 */
export function BuildLog(props: { buildId: string; finished: boolean }) {
  const api = useApi(buildsApiRef);
  const alertApi = useApi(alertApiRef);
  const { buildId, finished } = props;
  const [view, setView] = useState<Window | undefined>();
  const [total, setTotal] = useState(0);
  const [complete, setComplete] = useState(false);
  const [following, setFollowing] = useState(true);
  const [error, setError] = useState<Error | undefined>();
  const [loadingEarlier, setLoadingEarlier] = useState(false);
  const [query, setQuery] = useState('');
  const [search, setSearch] = useState<
    (LogSearchResult & { q: string }) | undefined
  >();
  const [searching, setSearching] = useState(false);
  const generation = useRef(0);
  const viewRef = useRef<Window | undefined>();
  viewRef.current = view;
  const finishedRef = useRef(finished);
  finishedRef.current = finished;

  /** Reads the end of the log and follows it. */
  const followEnd = useCallback(() => {
    const mine = ++generation.current;
    setFollowing(true);
    setError(undefined);
    api.readLog(buildId, -FIRST_SCREEN_LINES, FIRST_SCREEN_LINES).then(
      chunk => {
        if (generation.current !== mine) return;
        setView({ from: chunk.fromLine, lines: chunk.lines });
        setTotal(chunk.totalLines);
        setComplete(chunk.complete);
      },
      e => {
        if (generation.current === mine) setError(e);
      },
    );
  }, [api, buildId]);

  useEffect(() => {
    setView(undefined);
    setSearch(undefined);
    followEnd();
  }, [followEnd]);

  // The tail, while following and the log is not complete.
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (!view || !following || complete) return undefined;
    const mine = generation.current;
    let cancelled = false;
    const timer = setTimeout(() => {
      const current = viewRef.current!;
      const next = current.from + current.lines.length;
      const wasFinished = finishedRef.current;
      api.readLog(buildId, next, TAIL_BATCH).then(
        chunk => {
          if (cancelled || generation.current !== mine) return;
          setTotal(chunk.totalLines);
          if (chunk.lines.length > 0) {
            setView(previous => {
              if (!previous) return previous;
              // Only lines that continue what is shown (no gap, no repeat).
              const skip =
                previous.from + previous.lines.length - chunk.fromLine;
              if (skip < 0) return previous;
              const lines = previous.lines.concat(chunk.lines.slice(skip));
              const drop = Math.max(0, lines.length - MAX_WINDOW);
              return { from: previous.from + drop, lines: lines.slice(drop) };
            });
          }
          // A finished build whose store says nothing more is coming.
          if (
            chunk.complete ||
            (wasFinished &&
              chunk.lines.length === 0 &&
              next >= chunk.totalLines)
          ) {
            setComplete(true);
          }
          setTick(t => t + 1);
        },
        () => {
          // A failed tail read is retried on the next tick.
          if (!cancelled) setTick(t => t + 1);
        },
      );
    }, TAIL_MS);
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [api, buildId, view === undefined, following, complete, tick]); // eslint-disable-line react-hooks/exhaustive-deps

  const loadEarlier = async () => {
    const current = viewRef.current;
    if (!current || current.from === 0) return;
    const from = Math.max(0, current.from - FIRST_SCREEN_LINES);
    const mine = generation.current;
    setLoadingEarlier(true);
    try {
      const chunk = await api.readLog(buildId, from, current.from - from);
      if (generation.current !== mine) return;
      setView(previous =>
        previous && previous.from === current.from
          ? {
              from: chunk.fromLine,
              lines: chunk.lines
                .slice(0, previous.from - chunk.fromLine)
                .concat(previous.lines),
            }
          : previous,
      );
    } catch (e) {
      alertApi.post({
        message: `Could not load earlier lines: ${(e as Error).message}`,
        severity: 'error',
      });
    } finally {
      setLoadingEarlier(false);
    }
  };

  /**
   * Shows the lines up to a little after a 1-based line number, and stops
   * following. The LogViewer scrolls to the end of what it shows, so the
   * window ends just after the match to keep it on screen.
   */
  const openAround = async (line: number) => {
    const mine = ++generation.current;
    setFollowing(false);
    try {
      const end = line + MATCH_CONTEXT;
      const from = Math.max(0, end - FIRST_SCREEN_LINES);
      const chunk = await api.readLog(buildId, from, end - from);
      if (generation.current !== mine) return;
      setView({ from: chunk.fromLine, lines: chunk.lines });
      setTotal(chunk.totalLines);
    } catch (e) {
      if (generation.current === mine) setError(e as Error);
    }
  };

  const runSearch = async (e: FormEvent) => {
    e.preventDefault();
    const q = query.trim();
    if (!q) {
      setSearch(undefined);
      return;
    }
    setSearching(true);
    try {
      setSearch({ ...(await api.searchLog(buildId, q, 200)), q });
    } catch (err) {
      alertApi.post({
        message: `Could not search the log: ${(err as Error).message}`,
        severity: 'error',
      });
    } finally {
      setSearching(false);
    }
  };

  const download = async () => {
    try {
      const file = await api.downloadLog(buildId);
      saveBlob(file.blob, file.filename);
    } catch (e) {
      alertApi.post({
        message: `Could not download the log: ${(e as Error).message}`,
        severity: 'error',
      });
    }
  };

  if (error && !view) {
    return (
      <ResponseErrorPanel
        defaultExpanded
        title="Could not read the build log"
        error={error}
      />
    );
  }
  if (!view) return <Progress />;

  const shownTo = view.from + view.lines.length;
  let state: string;
  if (!following) state = 'Not following: the match is near the bottom.';
  else if (complete) state = 'Complete: every line is stored.';
  else state = 'Following the live output…';

  return (
    <Box>
      <Box
        display="flex"
        alignItems="center"
        flexWrap="wrap"
        mb={1}
        style={{ gap: 8 }}
      >
        <Typography variant="body2" role="status" aria-label="Log position">
          {view.lines.length === 0
            ? 'No output yet.'
            : `Lines ${number(view.from + 1)}–${number(shownTo)} of ${number(
                Math.max(total, shownTo),
              )}${
                view.from > 0
                  ? ` (the viewer's line 1 is line ${number(view.from + 1)})`
                  : ''
              }`}{' '}
          · {state}
        </Typography>
        {view.from > 0 && (
          <Button size="small" onClick={loadEarlier} disabled={loadingEarlier}>
            {loadingEarlier ? 'Loading…' : 'Load earlier lines'}
          </Button>
        )}
        {!following && (
          <Button size="small" color="primary" onClick={followEnd}>
            Back to the end
          </Button>
        )}
        <Button size="small" onClick={download}>
          Download full log
        </Button>
      </Box>
      <Box
        component="form"
        onSubmit={runSearch}
        display="flex"
        alignItems="center"
        mb={1}
        aria-label="Log search"
      >
        <TextField
          size="small"
          variant="outlined"
          id="builds-log-search"
          label="Search the whole log"
          value={query}
          onChange={e => setQuery(e.target.value)}
        />
        <Box ml={1}>
          <Button type="submit" variant="outlined" disabled={searching}>
            {searching ? 'Searching…' : 'Search'}
          </Button>
        </Box>
      </Box>
      {search && (
        <Box mb={1}>
          <Typography variant="body2">
            {search.matches.length === 0
              ? `No line contains “${search.q}”.`
              : `${search.matches.length}${search.truncated ? '+' : ''} line${
                  search.matches.length === 1 ? '' : 's'
                } contain “${search.q}”${
                  search.truncated ? ' (first ones shown)' : ''
                }:`}
          </Typography>
          {search.matches.length > 0 && (
            <List
              dense
              aria-label="Log search results"
              style={{ maxHeight: 200, overflow: 'auto' }}
            >
              {search.matches.map(m => (
                <ListItem
                  key={m.line}
                  button
                  onClick={() => openAround(m.line)}
                >
                  <ListItemText
                    primary={`Line ${number(m.line)}`}
                    secondary={m.text}
                    secondaryTypographyProps={{
                      style: { fontFamily: 'monospace' },
                    }}
                  />
                </ListItem>
              ))}
            </List>
          )}
        </Box>
      )}
      <Box role="region" aria-label="Build log" height={480}>
        <LogViewer text={view.lines.join('\n')} onDownloadLog={download} />
      </Box>
    </Box>
  );
}
