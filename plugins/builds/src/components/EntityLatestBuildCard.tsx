import { useCallback, useEffect, useState } from 'react';
import { stringifyEntityRef } from '@backstage/catalog-model';
import {
  InfoCard,
  Link,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useApi, useRouteRef } from '@backstage/core-plugin-api';
import {
  EntityRefLink,
  entityRouteRef,
  useEntity,
} from '@backstage/plugin-catalog-react';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  Build,
  buildsTriggerPermission,
  isBuildFinished,
  isBuildsAvailable,
} from '@fincloud/plugin-builds-common';
import { FINCLOUD_ANNOTATIONS } from '@fincloud/plugin-fincloud-common';
import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import { buildsApiRef } from '../api';
import { buildDuration, ImageCell } from './BuildHistoryTable';
import { BuildStatusChip } from './BuildStatusChip';
import {
  BUILD_TYPE_LABELS,
  formatDuration,
  formatTime,
  shortCommit,
} from './format';
import { useBuildUpdates } from './useBuildUpdates';

function LatestBuild(props: { entityRef: string; tab: string }) {
  const api = useApi(buildsApiRef);
  const { entityRef, tab } = props;
  const [latest, setLatest] = useState<Build | null | undefined>();
  const [error, setError] = useState<Error | undefined>();
  const trigger = usePermission({
    permission: buildsTriggerPermission,
    resourceRef: entityRef,
  });

  const load = useCallback(() => {
    api.listBuilds(entityRef, { limit: 1 }).then(
      page => {
        setLatest(page.items[0] ?? null);
        setError(undefined);
      },
      e => setError(e),
    );
  }, [api, entityRef]);
  useEffect(load, [load]);
  useBuildUpdates(entityRef, {
    active: Boolean(latest) && !isBuildFinished(latest!.status),
    onUpdate: signal => {
      // Log progress of the build already shown changes nothing here.
      if (
        signal &&
        latest?.id === signal.buildId &&
        latest.status === signal.status
      ) {
        return;
      }
      load();
    },
  });

  if (error) {
    return (
      <ResponseErrorPanel
        defaultExpanded
        title="Could not load builds"
        error={error}
      />
    );
  }
  if (latest === undefined) return <Progress />;
  if (latest === null) {
    return (
      <Typography variant="body2">
        No builds yet.
        {trigger.allowed && (
          <>
            {' '}
            <Link to={tab}>Start one on the Builds tab.</Link>
          </>
        )}
      </Typography>
    );
  }
  return (
    <Box aria-label="Latest build" role="group">
      <Box
        display="flex"
        alignItems="center"
        flexWrap="wrap"
        style={{ gap: 8 }}
      >
        <Link to={`${tab}?build=${encodeURIComponent(latest.id)}`}>
          <Typography variant="h6" component="span">
            Build #{latest.number}
          </Typography>
        </Link>
        <BuildStatusChip status={latest.status} />
      </Box>
      <Typography variant="body2">
        {BUILD_TYPE_LABELS[latest.buildType]} · {latest.branch}
        {latest.commit ? ` @ ${shortCommit(latest.commit)}` : ''}
      </Typography>
      <Typography variant="body2" color="textSecondary">
        {formatTime(latest.createdAt)} by{' '}
        <EntityRefLink entityRef={latest.triggeredBy} defaultKind="user" /> ·{' '}
        {formatDuration(buildDuration(latest))}
      </Typography>
      {latest.error && (
        <Typography variant="body2" color="error">
          {latest.error}
        </Typography>
      )}
      <Box mt={1}>
        <ImageCell image={latest.image} />
      </Box>
    </Box>
  );
}

/** The overview card: the newest build of the service, live. */
export function EntityLatestBuildCard() {
  const { entity } = useEntity();
  const entityLink = useRouteRef(entityRouteRef);
  const tab = `${entityLink({
    kind: entity.kind.toLocaleLowerCase('en-US'),
    namespace: entity.metadata.namespace ?? 'default',
    name: entity.metadata.name,
  })}/builds`;
  const available = isBuildsAvailable(entity);

  return (
    <InfoCard
      title="Latest build"
      deepLink={available ? { title: 'All builds', link: tab } : undefined}
    >
      {available ? (
        <LatestBuild entityRef={stringifyEntityRef(entity)} tab={tab} />
      ) : (
        <Typography variant="body2">
          Add the <code>{FINCLOUD_ANNOTATIONS.buildType}</code> annotation to
          build this service in the cluster.
        </Typography>
      )}
    </InfoCard>
  );
}
