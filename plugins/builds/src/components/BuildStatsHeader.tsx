import { useEffect, useState } from 'react';
import { ResponseErrorPanel } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { BuildStats } from '@fincloud/plugin-builds-common';
import Box from '@material-ui/core/Box';
import Grid from '@material-ui/core/Grid';
import MenuItem from '@material-ui/core/MenuItem';
import Paper from '@material-ui/core/Paper';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import { buildsApiRef, StatsWindow } from '../api';
import { formatDuration } from './format';
import { TrendChart } from './TrendChart';

function Figure(props: { label: string; value: string; hint?: string }) {
  return (
    <Box role="group" aria-label={props.label}>
      <Typography variant="overline" color="textSecondary" component="div">
        {props.label}
      </Typography>
      <Typography variant="h5" component="div">
        {props.value}
      </Typography>
      {props.hint && (
        <Typography variant="caption" color="textSecondary">
          {props.hint}
        </Typography>
      )}
    </Box>
  );
}

/**
 * Success rate, p50/p90 duration, queue time and a per-day trend over a
 * window; re-read whenever `version` changes (a build changed).
 */
export function BuildStatsHeader(props: {
  entityRef: string;
  version: number;
}) {
  const api = useApi(buildsApiRef);
  const [window, setWindow] = useState<StatsWindow>('30d');
  const [stats, setStats] = useState<BuildStats | undefined>();
  const [error, setError] = useState<Error | undefined>();
  const { entityRef, version } = props;

  useEffect(() => {
    let current = true;
    api.getStats(entityRef, window).then(
      s => {
        if (!current) return;
        setStats(s);
        setError(undefined);
      },
      e => {
        if (current) setError(e);
      },
    );
    return () => {
      current = false;
    };
  }, [api, entityRef, window, version]);

  if (error && !stats) {
    return (
      <Box mb={2}>
        <ResponseErrorPanel
          defaultExpanded
          title="Could not load build statistics"
          error={error}
        />
      </Box>
    );
  }
  return (
    <Box mb={2}>
      <Paper
        variant="outlined"
        aria-label="Build statistics"
        component="section"
      >
        <Box p={2}>
          <Grid container spacing={3} alignItems="center">
            <Grid item>
              <Figure
                label="Success rate"
                value={
                  stats?.successRate === null || stats === undefined
                    ? '—'
                    : `${Math.round(stats.successRate * 100)} %`
                }
                hint={
                  stats
                    ? `${stats.succeeded} succeeded · ${stats.failed} failed · ${stats.cancelled} cancelled`
                    : undefined
                }
              />
            </Grid>
            <Grid item>
              <Figure
                label="Duration p50 / p90"
                value={
                  stats
                    ? `${formatDuration(
                        stats.durationP50Ms,
                      )} / ${formatDuration(stats.durationP90Ms)}`
                    : '—'
                }
              />
            </Grid>
            <Grid item>
              <Figure
                label="Queue time p50"
                value={stats ? formatDuration(stats.queueP50Ms) : '—'}
              />
            </Grid>
            <Grid item>
              <Figure
                label="Builds"
                value={stats ? String(stats.total) : '—'}
              />
            </Grid>
            <Grid item xs>
              {stats && <TrendChart trend={stats.trend} />}
            </Grid>
            <Grid item>
              <TextField
                select
                size="small"
                variant="outlined"
                label="Window"
                id="builds-stats-window"
                value={window}
                onChange={e => setWindow(e.target.value as StatsWindow)}
              >
                <MenuItem value="7d">Last 7 days</MenuItem>
                <MenuItem value="30d">Last 30 days</MenuItem>
                <MenuItem value="90d">Last 90 days</MenuItem>
              </TextField>
            </Grid>
          </Grid>
        </Box>
      </Paper>
    </Box>
  );
}
