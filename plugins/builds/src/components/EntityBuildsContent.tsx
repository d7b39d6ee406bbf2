import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useLocation, useSearchParams } from 'react-router-dom';
import { stringifyEntityRef } from '@backstage/catalog-model';
import {
  EmptyState,
  MissingAnnotationEmptyState,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  Build,
  BuildConfigView,
  BuildStatus,
  BuildType,
  buildsCancelPermission,
  buildsDockerfileWritePermission,
  buildsTriggerPermission,
  buildsWaiverApprovePermission,
  isBuildFinished,
  isBuildsAvailable,
} from '@fincloud/plugin-builds-common';
import { FINCLOUD_ANNOTATIONS } from '@fincloud/plugin-fincloud-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Typography from '@material-ui/core/Typography';
import AddIcon from '@material-ui/icons/Add';
import { buildsApiRef } from '../api';
import { BuildDetail } from './BuildDetail';
import { BuildFilters } from './BuildFilters';
import { BuildHistoryTable } from './BuildHistoryTable';
import { BuildStatsHeader } from './BuildStatsHeader';
import { BUILD_TYPE_LABELS } from './format';
import { NewBuildDialog } from './NewBuildDialog';
import { BuildFilterValues, useBuildHistory } from './useBuildHistory';
import { useBuildUpdates } from './useBuildUpdates';

const FILTER_KEYS = [
  'status',
  'branch',
  'triggeredBy',
  'buildType',
  'from',
  'to',
] as const;

function filtersFromParams(params: URLSearchParams): BuildFilterValues {
  const values: Record<string, string> = {};
  for (const key of FILTER_KEYS) {
    const value = params.get(key);
    if (value) values[key] = value;
  }
  return values as BuildFilterValues & {
    status?: BuildStatus;
    buildType?: BuildType;
  };
}

function usePermissions(entityRef: string) {
  const trigger = usePermission({
    permission: buildsTriggerPermission,
    resourceRef: entityRef,
  });
  const cancel = usePermission({
    permission: buildsCancelPermission,
    resourceRef: entityRef,
  });
  const dockerfile = usePermission({
    permission: buildsDockerfileWritePermission,
    resourceRef: entityRef,
  });
  const approve = usePermission({
    permission: buildsWaiverApprovePermission,
    resourceRef: entityRef,
  });
  return {
    trigger: !trigger.loading && trigger.allowed,
    cancel: !cancel.loading && cancel.allowed,
    writeDockerfile: !dockerfile.loading && dockerfile.allowed,
    approveWaivers: !approve.loading && approve.allowed,
  };
}

function EntityBuilds(props: { entityRef: string }) {
  const { entityRef } = props;
  const api = useApi(buildsApiRef);
  const location = useLocation();
  const [params, setParams] = useSearchParams();
  const permissions = usePermissions(entityRef);
  const [config, setConfig] = useState<BuildConfigView | undefined>();
  const [configError, setConfigError] = useState<Error | undefined>();
  const [dialogOpen, setDialogOpen] = useState(false);

  useEffect(() => {
    let current = true;
    setConfig(undefined);
    setConfigError(undefined);
    api.getConfig(entityRef).then(
      c => current && setConfig(c),
      e => current && setConfigError(e),
    );
    return () => {
      current = false;
    };
  }, [api, entityRef]);

  const paramsKey = params.toString();
  const filters = useMemo(
    () => filtersFromParams(new URLSearchParams(paramsKey)),
    [paramsKey],
  );
  const selected = params.get('build') ?? undefined;

  const hrefWith = useCallback(
    (changes: Record<string, string | undefined>) => {
      const next = new URLSearchParams(paramsKey);
      for (const [key, value] of Object.entries(changes)) {
        if (value === undefined) next.delete(key);
        else next.set(key, value);
      }
      const search = next.toString();
      return `${location.pathname}${search ? `?${search}` : ''}`;
    },
    [paramsKey, location.pathname],
  );
  const linkToBuild = useCallback(
    (id: string) => hrefWith({ build: id }),
    [hrefWith],
  );
  const openBuild = useCallback(
    (build: Build) => {
      setParams(previous => {
        const next = new URLSearchParams(previous);
        next.set('build', build.id);
        return next;
      });
    },
    [setParams],
  );

  if (configError) {
    return (
      <ResponseErrorPanel
        defaultExpanded
        title="Could not read how this service is built"
        error={configError}
      />
    );
  }
  if (!config) return <Progress />;

  const newBuild = permissions.trigger ? (
    <Button
      variant="contained"
      color="primary"
      startIcon={<AddIcon />}
      onClick={() => setDialogOpen(true)}
    >
      New build
    </Button>
  ) : undefined;

  return (
    <>
      {selected ? (
        <BuildDetail
          key={selected}
          buildId={selected}
          entityRef={entityRef}
          permissions={permissions}
          backTo={hrefWith({ build: undefined })}
          linkToBuild={linkToBuild}
          onOpenBuild={openBuild}
        />
      ) : (
        <BuildList
          entityRef={entityRef}
          config={config}
          filters={filters}
          onFiltersChange={values => {
            const next = new URLSearchParams();
            for (const [key, value] of Object.entries(values)) {
              if (value) next.set(key, String(value));
            }
            setParams(next);
          }}
          linkToBuild={linkToBuild}
          newBuild={newBuild}
        />
      )}
      {dialogOpen && (
        <NewBuildDialog
          open
          onClose={() => setDialogOpen(false)}
          entityRef={entityRef}
          config={config}
          canWriteDockerfile={permissions.writeDockerfile}
          onStarted={build => {
            setDialogOpen(false);
            openBuild(build);
          }}
        />
      )}
    </>
  );
}

function BuildList(props: {
  entityRef: string;
  config: BuildConfigView;
  filters: BuildFilterValues;
  onFiltersChange: (values: BuildFilterValues) => void;
  linkToBuild: (id: string) => string;
  newBuild?: JSX.Element;
}) {
  const { entityRef, config, filters } = props;
  const history = useBuildHistory(entityRef, filters);
  const [statsVersion, setStatsVersion] = useState(0);
  const statsTimer = useRef<ReturnType<typeof setTimeout>>();
  useEffect(() => () => clearTimeout(statsTimer.current), []);

  const active = history.items.some(b => !isBuildFinished(b.status));
  const { refresh } = history;
  const itemsRef = useRef(history.items);
  itemsRef.current = history.items;
  useBuildUpdates(entityRef, {
    active,
    onUpdate: signal => {
      // Signals also come as log lines are stored: a build already shown
      // with that status changes nothing in the list.
      const shown =
        signal && itemsRef.current.find(b => b.id === signal.buildId);
      if (shown && shown.status === signal.status) return;
      refresh();
      // A burst of step changes re-reads the statistics once.
      clearTimeout(statsTimer.current);
      statsTimer.current = setTimeout(() => setStatsVersion(v => v + 1), 1000);
    },
  });
  const filtered = Object.keys(filters).length > 0;

  return (
    <Box>
      <Box display="flex" alignItems="center" mb={2}>
        <Typography variant="body2" color="textSecondary">
          Default build type: {BUILD_TYPE_LABELS[props.config.buildType]}
          {config.language ? ` · ${config.language}` : ''}
          {config.sourceRepo ? ` · ${config.sourceRepo}` : ''}
          {' · '}
          {config.scanEnabled
            ? `scan before build, fails at ${config.scanThreshold} or above`
            : 'no pre-build scan'}
        </Typography>
        <Box flexGrow={1} />
        {props.newBuild}
      </Box>
      <BuildStatsHeader entityRef={entityRef} version={statsVersion} />
      <BuildFilters value={filters} onChange={props.onFiltersChange} />
      {history.error && (
        <Box mb={2}>
          <ResponseErrorPanel
            defaultExpanded
            title="Could not load the build history"
            error={history.error}
          />
        </Box>
      )}
      {history.loading && <Progress />}
      {!history.loading && history.items.length === 0 && !history.error && (
        <EmptyState
          missing="data"
          title={filtered ? 'No builds match these filters' : 'No builds yet'}
          description={
            filtered
              ? 'Widen the time range or clear some filters.'
              : `Every build of this service runs in a pod in the cluster and keeps its whole log.${
                  props.newBuild ? ' Start the first one.' : ''
                }`
          }
          action={filtered ? undefined : props.newBuild}
        />
      )}
      {history.items.length > 0 && (
        <BuildHistoryTable
          items={history.items}
          linkTo={b => props.linkToBuild(b.id)}
        />
      )}
      {history.hasMore && (
        <Box display="flex" justifyContent="center" mt={2}>
          <Button
            variant="outlined"
            onClick={history.loadMore}
            disabled={history.loadingMore}
          >
            {history.loadingMore ? 'Loading…' : 'Load more'}
          </Button>
        </Box>
      )}
    </Box>
  );
}

/**
 * The entity's "Builds" tab: statistics, history with filters, "New build",
 * and a build's detail with its live log (`?build=<id>`).
 */
export function EntityBuildsContent() {
  const { entity } = useEntity();
  if (!isBuildsAvailable(entity)) {
    return (
      <MissingAnnotationEmptyState
        annotation={FINCLOUD_ANNOTATIONS.buildType}
      />
    );
  }
  return <EntityBuilds entityRef={stringifyEntityRef(entity)} />;
}
