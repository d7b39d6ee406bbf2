import { useCallback, useEffect, useState } from 'react';
import { stringifyEntityRef } from '@backstage/catalog-model';
import {
  InfoCard,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useApi, useRouteRef } from '@backstage/core-plugin-api';
import {
  entityRouteRef,
  MissingAnnotationEmptyState,
  useEntity,
} from '@backstage/plugin-catalog-react';
import { FINCLOUD_ANNOTATIONS } from '@fincloud/plugin-fincloud-common';
import { isReleasesAvailable, Release } from '@fincloud/plugin-releases-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Grid from '@material-ui/core/Grid';
import Tab from '@material-ui/core/Tab';
import Tabs from '@material-ui/core/Tabs';
import Typography from '@material-ui/core/Typography';
import AddIcon from '@material-ui/icons/Add';
import { useSearchParams } from 'react-router-dom';
import { releasesApiRef } from '../api';
import { CurrentRelease } from './CurrentRelease';
import { NewReleaseDialog } from './NewReleaseDialog';
import { ReleaseHistory } from './ReleaseHistory';
import { ReleaseStateLabel } from './ReleaseStateLabel';
import { TrafficPolicyEditor } from './TrafficPolicyEditor';
import { TrafficBar } from './TrafficBar';
import {
  formatTime,
  formatUser,
  releaseDuration,
  STRATEGY_LABELS,
} from './format';
import {
  useCurrentUserRef,
  useLiveRelease,
  useReleasePermissions,
} from './hooks';

function MissingAnnotations() {
  return (
    <MissingAnnotationEmptyState
      annotation={[
        FINCLOUD_ANNOTATIONS.cluster,
        FINCLOUD_ANNOTATIONS.namespace,
      ]}
    />
  );
}

function ReleasesView(props: { entityRef: string }) {
  const { entityRef } = props;
  const api = useApi(releasesApiRef);
  const permissions = useReleasePermissions(entityRef);
  const userRef = useCurrentUserRef();
  const live = useLiveRelease(entityRef);
  const [dialogOpen, setDialogOpen] = useState(false);
  const { release, replace } = live;

  const run = useCallback(
    async (action: () => Promise<Release>) => {
      replace(await action());
    },
    [replace],
  );

  const id = release?.id ?? '';
  const actions = {
    approve: (reason: string) => run(() => api.approve(id, reason)),
    reject: (reason: string) => run(() => api.reject(id, reason)),
    promote: (full: boolean) => run(() => api.promote(id, { full })),
    pause: () => run(() => api.pause(id)),
    resume: () => run(() => api.resume(id)),
    rollback: (reason: string) => run(() => api.rollback(id, reason)),
    switchBack: (reason: string) => run(() => api.switchBack(id, reason)),
  };

  // The history re-reads whenever the running release moves or ends.
  const [historyKey, setHistoryKey] = useState('');
  useEffect(() => {
    if (live.loading) return;
    setHistoryKey(
      release ? `${release.id}:${release.state}:${release.revision}` : 'none',
    );
  }, [live.loading, release]);

  return (
    <Grid container spacing={3}>
      <Grid item xs={12}>
        <Box display="flex" alignItems="center" justifyContent="space-between">
          <Typography variant="body2" color="textSecondary">
            {live.live
              ? 'Live: changes arrive through signals as the release moves, and are re-checked every 15 s.'
              : 'Refreshing every 3 s (signals are not available in this portal).'}
          </Typography>
          {permissions.create && (
            <Button
              variant="contained"
              color="primary"
              startIcon={<AddIcon />}
              onClick={() => setDialogOpen(true)}
              disabled={!!release && release.state !== 'succeeded'}
              title={
                release
                  ? 'One release at a time: finish or roll back the running one first.'
                  : undefined
              }
            >
              New release
            </Button>
          )}
        </Box>
      </Grid>
      <Grid item xs={12}>
        {live.loading && <Progress />}
        {!live.loading && live.error && (
          <ResponseErrorPanel
            title="Could not load the current release"
            error={live.error}
          />
        )}
        {!live.loading && !live.error && !release && (
          <InfoCard title="No release running">
            <Typography variant="body2">
              All traffic goes to the version that runs now.
              {permissions.create
                ? ' Start a release with "New release".'
                : " Releases are started by the service's developers and the platform team."}
            </Typography>
          </InfoCard>
        )}
        {!live.loading && release && (
          <CurrentRelease
            release={release}
            permissions={permissions}
            userRef={userRef}
            actions={actions}
          />
        )}
      </Grid>
      <Grid item xs={12}>
        <InfoCard title="Release history">
          <ReleaseHistory entityRef={entityRef} refreshKey={historyKey} />
        </InfoCard>
      </Grid>
      <NewReleaseDialog
        open={dialogOpen}
        entityRef={entityRef}
        mayBreakGlass={permissions.breakGlass}
        onClose={() => setDialogOpen(false)}
        onCreated={created => replace(created)}
      />
    </Grid>
  );
}

function PolicyView(props: { entityRef: string }) {
  const permissions = useReleasePermissions(props.entityRef);
  const userRef = useCurrentUserRef();
  if (permissions.loading) return <Progress />;
  return (
    <TrafficPolicyEditor
      entityRef={props.entityRef}
      permissions={permissions}
      userRef={userRef}
    />
  );
}

const VIEWS = ['releases', 'traffic-policy'] as const;

/**
 * The entity's "Releases" tab: the running release (live traffic bar, plan,
 * approvals, gates, controls), the history, the "New release" dialog, and the
 * "Traffic policy" sub-view (`?view=traffic-policy`).
 */
export function EntityReleasesContent() {
  const { entity } = useEntity();
  const [params, setParams] = useSearchParams();
  if (!isReleasesAvailable(entity)) return <MissingAnnotations />;
  const entityRef = stringifyEntityRef(entity);
  const view =
    params.get('view') === 'traffic-policy' ? 'traffic-policy' : 'releases';
  return (
    <>
      <Tabs
        value={VIEWS.indexOf(view)}
        onChange={(_, index: number) => {
          const next = new URLSearchParams(params);
          if (index === 0) next.delete('view');
          else next.set('view', VIEWS[index]);
          setParams(next, { replace: true });
        }}
        indicatorColor="primary"
        aria-label="Releases views"
      >
        <Tab label="Releases" />
        <Tab label="Traffic policy" />
      </Tabs>
      <Box mt={2}>
        {view === 'releases' ? (
          <ReleasesView entityRef={entityRef} />
        ) : (
          <PolicyView entityRef={entityRef} />
        )}
      </Box>
    </>
  );
}

function LastOutcome(props: { entityRef: string }) {
  const api = useApi(releasesApiRef);
  const [state, setState] = useState<{
    last?: Release;
    loading: boolean;
    error?: Error;
  }>({
    loading: true,
  });
  useEffect(() => {
    let cancelled = false;
    api.listReleases(props.entityRef, { limit: 1 }).then(
      page => !cancelled && setState({ last: page.items[0], loading: false }),
      error => !cancelled && setState({ loading: false, error }),
    );
    return () => {
      cancelled = true;
    };
  }, [api, props.entityRef]);
  if (state.loading) return <Progress />;
  if (state.error) {
    return (
      <ResponseErrorPanel
        title="Could not load the releases"
        error={state.error}
      />
    );
  }
  if (!state.last) {
    return (
      <Typography variant="body2">
        No release yet; all traffic goes to the version that runs now.
      </Typography>
    );
  }
  const last = state.last;
  return (
    <Box aria-label="Last release">
      <Typography variant="body2" gutterBottom>
        Last release <strong>{last.version}</strong> (
        {STRATEGY_LABELS[last.strategy]}):{' '}
        <ReleaseStateLabel state={last.state} />
      </Typography>
      <Typography variant="caption" color="textSecondary" component="div">
        by {formatUser(last.requestedBy)} ·{' '}
        {formatTime(last.finishedAt ?? last.updatedAt)} ·{' '}
        {releaseDuration(last)}
        {last.reason ? ` · ${last.reason}` : ''}
      </Typography>
    </Box>
  );
}

/** The overview card: the live release (state, traffic bar) or the last outcome. */
export function EntityReleaseCard() {
  const { entity } = useEntity();
  const entityLink = useRouteRef(entityRouteRef);
  if (!isReleasesAvailable(entity)) {
    return (
      <InfoCard title="Release">
        <MissingAnnotations />
      </InfoCard>
    );
  }
  const entityRef = stringifyEntityRef(entity);
  const tab = `${entityLink({
    kind: entity.kind.toLocaleLowerCase('en-US'),
    namespace: entity.metadata.namespace ?? 'default',
    name: entity.metadata.name,
  })}/releases`;
  return (
    <InfoCard title="Release" deepLink={{ title: 'Releases', link: tab }}>
      <CardBody entityRef={entityRef} />
    </InfoCard>
  );
}

function CardBody(props: { entityRef: string }) {
  const live = useLiveRelease(props.entityRef);
  if (live.loading) return <Progress />;
  if (live.error) {
    return (
      <ResponseErrorPanel
        title="Could not load the current release"
        error={live.error}
      />
    );
  }
  if (!live.release) return <LastOutcome entityRef={props.entityRef} />;
  const release = live.release;
  return (
    <Box aria-label="Running release">
      <Box
        display="flex"
        alignItems="center"
        justifyContent="space-between"
        mb={1}
      >
        <Typography variant="body2">
          <strong>{release.version}</strong> ·{' '}
          {STRATEGY_LABELS[release.strategy]} · step{' '}
          {Math.min(release.currentStep + 1, release.steps.length)} of{' '}
          {release.steps.length}
        </Typography>
        <ReleaseStateLabel state={release.state} />
      </Box>
      <TrafficBar
        weights={release.weights}
        stableVersion={release.stableVersion}
        newVersion={release.version}
      />
    </Box>
  );
}
