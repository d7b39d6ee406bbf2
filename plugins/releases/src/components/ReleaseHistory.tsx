import { Fragment, useCallback, useEffect, useRef, useState } from 'react';
import { Progress, ResponseErrorPanel } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { Release } from '@fincloud/plugin-releases-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import IconButton from '@material-ui/core/IconButton';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import KeyboardArrowDownIcon from '@material-ui/icons/KeyboardArrowDown';
import KeyboardArrowRightIcon from '@material-ui/icons/KeyboardArrowRight';
import { releasesApiRef } from '../api';
import { AnalysisCharts } from './AnalysisCharts';
import { ReleaseStateLabel } from './ReleaseStateLabel';
import { StepPlan } from './StepPlan';
import {
  formatTime,
  formatUser,
  releaseDuration,
  STRATEGY_LABELS,
} from './format';

export const HISTORY_PAGE_SIZE = 20;

function Details(props: { release: Release }) {
  const { release } = props;
  return (
    <Box py={1}>
      <Typography variant="body2" gutterBottom>
        Image <code>{release.image}</code>
        {release.stableVersion ? `, replacing ${release.stableVersion}` : ''}.
        Approvals:{' '}
        {release.approvals.length === 0
          ? 'none'
          : release.approvals
              .map(
                a =>
                  `${a.decision} by ${formatUser(a.by)} at ${formatTime(
                    a.at,
                  )} (“${a.reason}”)`,
              )
              .join('; ')}
        {release.breakGlass
          ? `. Break-glass by ${formatUser(release.breakGlass.by)}: “${
              release.breakGlass.justification
            }”`
          : ''}
      </Typography>
      <StepPlan steps={release.steps} />
      <AnalysisCharts analyses={release.analyses} />
    </Box>
  );
}

/**
 * Every release of the service, newest first: who, version, strategy,
 * outcome, duration and why it rolled back. `refreshKey` changes when the
 * current release moves, so a finished release shows up at once.
 */
export function ReleaseHistory(props: {
  entityRef: string;
  refreshKey?: string;
}) {
  const api = useApi(releasesApiRef);
  const [items, setItems] = useState<Release[]>([]);
  const [cursor, setCursor] = useState<string | undefined>();
  const [loading, setLoading] = useState(true);
  const [loadingMore, setLoadingMore] = useState(false);
  const [error, setError] = useState<Error | undefined>();
  const [open, setOpen] = useState<string | undefined>();
  const generation = useRef(0);
  const { entityRef, refreshKey } = props;

  useEffect(() => {
    const mine = ++generation.current;
    api.listReleases(entityRef, { limit: HISTORY_PAGE_SIZE }).then(
      page => {
        if (generation.current !== mine) return;
        setItems(page.items);
        setCursor(page.nextCursor);
        setError(undefined);
        setLoading(false);
      },
      e => {
        if (generation.current !== mine) return;
        setError(e);
        setLoading(false);
      },
    );
  }, [api, entityRef, refreshKey]);

  const loadMore = useCallback(() => {
    if (!cursor) return;
    const mine = generation.current;
    setLoadingMore(true);
    api
      .listReleases(entityRef, { limit: HISTORY_PAGE_SIZE, cursor })
      .then(
        page => {
          if (generation.current !== mine) return;
          setItems(current => [...current, ...page.items]);
          setCursor(page.nextCursor);
        },
        e => {
          if (generation.current === mine) setError(e);
        },
      )
      .finally(() => setLoadingMore(false));
  }, [api, entityRef, cursor]);

  if (loading) return <Progress />;
  if (error && items.length === 0) {
    return (
      <ResponseErrorPanel
        title="Could not load the release history"
        error={error}
      />
    );
  }
  if (items.length === 0) {
    return (
      <Typography variant="body2" color="textSecondary">
        This service has not been released through the portal yet.
      </Typography>
    );
  }
  return (
    <>
      <Table size="small" aria-label="Release history">
        <TableHead>
          <TableRow>
            <TableCell padding="checkbox" />
            <TableCell>Version</TableCell>
            <TableCell>Strategy</TableCell>
            <TableCell>Outcome</TableCell>
            <TableCell>Requested by</TableCell>
            <TableCell>Started</TableCell>
            <TableCell>Duration</TableCell>
            <TableCell>Why</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {items.map(release => (
            <Fragment key={release.id}>
              <TableRow hover>
                <TableCell padding="checkbox">
                  <IconButton
                    size="small"
                    aria-label={`${
                      open === release.id ? 'Hide' : 'Show'
                    } details of release ${release.version}`}
                    aria-expanded={open === release.id}
                    onClick={() =>
                      setOpen(open === release.id ? undefined : release.id)
                    }
                  >
                    {open === release.id ? (
                      <KeyboardArrowDownIcon />
                    ) : (
                      <KeyboardArrowRightIcon />
                    )}
                  </IconButton>
                </TableCell>
                <TableCell>
                  <strong>{release.version}</strong>
                  {release.stableVersion ? (
                    <Typography
                      variant="caption"
                      color="textSecondary"
                      component="div"
                    >
                      from {release.stableVersion}
                    </Typography>
                  ) : null}
                </TableCell>
                <TableCell>{STRATEGY_LABELS[release.strategy]}</TableCell>
                <TableCell>
                  <ReleaseStateLabel state={release.state} />
                </TableCell>
                <TableCell>{formatUser(release.requestedBy)}</TableCell>
                <TableCell>{formatTime(release.createdAt)}</TableCell>
                <TableCell>{releaseDuration(release)}</TableCell>
                <TableCell>
                  {release.reason ?? ''}
                  {release.breakGlass ? ' (break-glass)' : ''}
                </TableCell>
              </TableRow>
              {open === release.id && (
                <TableRow>
                  <TableCell />
                  <TableCell colSpan={7}>
                    <Details release={release} />
                  </TableCell>
                </TableRow>
              )}
            </Fragment>
          ))}
        </TableBody>
      </Table>
      {cursor && (
        <Box mt={1} display="flex" justifyContent="center">
          <Button onClick={loadMore} disabled={loadingMore}>
            {loadingMore ? 'Loading…' : 'Load more'}
          </Button>
        </Box>
      )}
    </>
  );
}
