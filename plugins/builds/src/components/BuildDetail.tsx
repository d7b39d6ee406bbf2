import { ReactNode, useCallback, useEffect, useState } from 'react';
import {
  InfoCard,
  Link,
  Progress,
  ResponseErrorPanel,
  WarningPanel,
} from '@backstage/core-components';
import { identityApiRef, useApi } from '@backstage/core-plugin-api';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import {
  Build,
  BuildStep,
  isBuildFinished,
  Waiver,
} from '@fincloud/plugin-builds-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogTitle from '@material-ui/core/DialogTitle';
import Grid from '@material-ui/core/Grid';
import List from '@material-ui/core/List';
import ListItem from '@material-ui/core/ListItem';
import ListItemText from '@material-ui/core/ListItemText';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableRow from '@material-ui/core/TableRow';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import ArrowBackIcon from '@material-ui/icons/ArrowBack';
import { buildsApiRef } from '../api';
import { BuildLog } from './BuildLog';
import { BuildStatusChip } from './BuildStatusChip';
import {
  BUILD_TYPE_LABELS,
  elapsedMs,
  formatDuration,
  formatTime,
} from './format';
import { ScanFindings } from './ScanFindings';
import { useBuildUpdates } from './useBuildUpdates';

const STEP_LABELS: Record<BuildStep['name'], string> = {
  clone: 'Clone',
  scan: 'Scan',
  build: 'Build and push',
};

export interface BuildPermissions {
  trigger: boolean;
  cancel: boolean;
  approveWaivers: boolean;
}

function Row(props: { label: string; children: ReactNode }) {
  return (
    <TableRow>
      <TableCell component="th" scope="row" style={{ width: '35%' }}>
        {props.label}
      </TableCell>
      <TableCell style={{ wordBreak: 'break-all' }}>{props.children}</TableCell>
    </TableRow>
  );
}

function CancelDialog(props: {
  build: Build;
  onClose: () => void;
  onCancelled: (build: Build) => void;
}) {
  const api = useApi(buildsApiRef);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const submit = async () => {
    setBusy(true);
    setError(undefined);
    try {
      props.onCancelled(
        await api.cancelBuild(props.build.id, reason.trim() || undefined),
      );
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog
      open
      onClose={() => !busy && props.onClose()}
      aria-labelledby="builds-cancel-title"
      fullWidth
      maxWidth="sm"
    >
      <DialogTitle id="builds-cancel-title">
        Cancel build #{props.build.number}?
      </DialogTitle>
      <DialogContent>
        <Typography variant="body2" paragraph>
          Its pod is stopped; the log so far is kept.
        </Typography>
        <TextField
          fullWidth
          variant="outlined"
          id="builds-cancel-reason"
          label="Reason (optional)"
          value={reason}
          onChange={e => setReason(e.target.value)}
        />
        {error && (
          <Typography color="error" role="alert">
            {error}
          </Typography>
        )}
      </DialogContent>
      <DialogActions>
        <Button onClick={props.onClose} disabled={busy}>
          Keep it running
        </Button>
        <Button
          variant="contained"
          color="secondary"
          onClick={submit}
          disabled={busy}
        >
          Cancel build
        </Button>
      </DialogActions>
    </Dialog>
  );
}

/** One build: status, actions, steps, details, scan findings and its log. */
export function BuildDetail(props: {
  buildId: string;
  entityRef: string;
  permissions: BuildPermissions;
  backTo: string;
  linkToBuild: (id: string) => string;
  onOpenBuild: (build: Build) => void;
}) {
  const api = useApi(buildsApiRef);
  const identityApi = useApi(identityApiRef);
  const { buildId, entityRef, permissions } = props;
  const [build, setBuild] = useState<Build | undefined>();
  const [error, setError] = useState<Error | undefined>();
  const [waivers, setWaivers] = useState<Waiver[]>([]);
  const [me, setMe] = useState<string | undefined>();
  const [cancelling, setCancelling] = useState(false);
  const [rerunning, setRerunning] = useState(false);
  const [actionError, setActionError] = useState<string | undefined>();

  const load = useCallback(() => {
    api.getBuild(buildId).then(
      b => {
        setBuild(b);
        setError(undefined);
      },
      e => setError(e),
    );
  }, [api, buildId]);

  const loadWaivers = useCallback(() => {
    api.listWaivers(entityRef).then(setWaivers, () => setWaivers([]));
  }, [api, entityRef]);

  useEffect(() => {
    setBuild(undefined);
    load();
  }, [load]);

  useEffect(() => {
    identityApi.getBackstageIdentity().then(
      id => setMe(id.userEntityRef),
      () => setMe(undefined),
    );
  }, [identityApi]);

  const hasScan = Boolean(build?.scan);
  useEffect(() => {
    if (hasScan) loadWaivers();
  }, [hasScan, loadWaivers]);

  const finished = build ? isBuildFinished(build.status) : false;
  useBuildUpdates(entityRef, {
    active: Boolean(build) && !finished,
    onUpdate: signal => {
      if (!signal || signal.buildId === buildId) load();
    },
  });

  if (error && !build) {
    return (
      <>
        <Box mb={2}>
          <Link to={props.backTo}>← All builds</Link>
        </Box>
        <ResponseErrorPanel
          defaultExpanded
          title="Could not load the build"
          error={error}
        />
      </>
    );
  }
  if (!build) return <Progress />;

  const rerun = async () => {
    setRerunning(true);
    setActionError(undefined);
    try {
      props.onOpenBuild(await api.rerunBuild(build.id));
    } catch (e) {
      setActionError((e as Error).message);
    } finally {
      setRerunning(false);
    }
  };

  const queue =
    build.queueMs ?? elapsedMs(build.createdAt, build.startedAt ?? undefined);
  const run =
    build.runMs ??
    (finished ? undefined : elapsedMs(build.startedAt, undefined));

  return (
    <Box>
      <Box
        display="flex"
        alignItems="center"
        flexWrap="wrap"
        mb={2}
        style={{ gap: 16 }}
      >
        <Link to={props.backTo}>
          <Box display="flex" alignItems="center" component="span">
            <ArrowBackIcon fontSize="small" />
            <Box component="span" ml={0.5}>
              All builds
            </Box>
          </Box>
        </Link>
        <Typography variant="h5" component="h2">
          Build #{build.number}
        </Typography>
        <Box role="status" aria-label="Build status">
          <BuildStatusChip status={build.status} />
        </Box>
        <Box flexGrow={1} />
        {permissions.trigger && finished && (
          <Button variant="outlined" onClick={rerun} disabled={rerunning}>
            {rerunning ? 'Starting…' : 'Re-run'}
          </Button>
        )}
        {permissions.cancel && !finished && (
          <Button
            variant="outlined"
            color="secondary"
            onClick={() => setCancelling(true)}
          >
            Cancel build
          </Button>
        )}
      </Box>
      {actionError && (
        <Box mb={2}>
          <Typography color="error" role="alert">
            {actionError}
          </Typography>
        </Box>
      )}
      {build.error && (
        <Box mb={2}>
          <WarningPanel
            severity={build.status === 'failed' ? 'error' : 'warning'}
            title={
              build.status === 'cancelled'
                ? 'Why it was cancelled'
                : 'Why it failed'
            }
            message={build.error}
            defaultExpanded
          />
        </Box>
      )}
      <Grid container spacing={2}>
        <Grid item xs={12} md={6}>
          <InfoCard title="Steps" noPadding>
            <List dense aria-label="Build steps">
              {build.steps.map(step => (
                <ListItem key={step.name} divider>
                  <ListItemText
                    primary={
                      <Box
                        display="flex"
                        alignItems="center"
                        style={{ gap: 8 }}
                      >
                        <strong>{STEP_LABELS[step.name] ?? step.name}</strong>
                        <BuildStatusChip status={step.status} />
                      </Box>
                    }
                    secondary={[
                      step.startedAt
                        ? formatDuration(
                            elapsedMs(step.startedAt, step.finishedAt),
                          )
                        : undefined,
                      step.exitCode !== undefined
                        ? `exit code ${step.exitCode}`
                        : undefined,
                      step.message,
                    ]
                      .filter(Boolean)
                      .join(' · ')}
                  />
                </ListItem>
              ))}
            </List>
          </InfoCard>
        </Grid>
        <Grid item xs={12} md={6}>
          <InfoCard title="Details" noPadding>
            <Table size="small" aria-label="Build details">
              <TableBody>
                <Row label="Build type">
                  {BUILD_TYPE_LABELS[build.buildType]}
                  {build.language ? ` (${build.language})` : ''}
                  {build.dockerfileRevision !== undefined
                    ? ` · Dockerfile revision ${build.dockerfileRevision}`
                    : ''}
                </Row>
                <Row label="Branch">{build.branch}</Row>
                <Row label="Commit">
                  <span style={{ fontFamily: 'monospace' }}>
                    {build.commit ?? 'the branch head'}
                  </span>
                </Row>
                <Row label="Triggered by">
                  <EntityRefLink
                    entityRef={build.triggeredBy}
                    defaultKind="user"
                  />
                </Row>
                {build.rerunOf && (
                  <Row label="Re-run of">
                    <Link to={props.linkToBuild(build.rerunOf)}>
                      an earlier build
                    </Link>
                  </Row>
                )}
                <Row label="Created">{formatTime(build.createdAt)}</Row>
                <Row label="Queued for">{formatDuration(queue)}</Row>
                <Row label="Ran for">
                  {formatDuration(run)}
                  {build.finishedAt
                    ? ` (finished ${formatTime(build.finishedAt)})`
                    : ''}
                </Row>
                <Row label="Image">{build.image?.ref ?? '—'}</Row>
                <Row label="Digest">
                  <span style={{ fontFamily: 'monospace' }}>
                    {build.image?.digest ?? '—'}
                  </span>
                </Row>
                <Row label="Runs in">
                  {build.cluster} / {build.namespace}
                  {build.jobName ? ` / job ${build.jobName}` : ''}
                </Row>
              </TableBody>
            </Table>
          </InfoCard>
        </Grid>
        {build.scan && (
          <Grid item xs={12}>
            <InfoCard title="Scan findings">
              <ScanFindings
                scan={build.scan}
                entityRef={entityRef}
                waivers={waivers}
                canRequest={permissions.trigger}
                canApprove={permissions.approveWaivers}
                currentUserRef={me}
                onWaiversChanged={loadWaivers}
              />
            </InfoCard>
          </Grid>
        )}
        <Grid item xs={12}>
          <InfoCard title="Log">
            <BuildLog buildId={build.id} finished={finished} />
          </InfoCard>
        </Grid>
      </Grid>
      {cancelling && (
        <CancelDialog
          build={build}
          onClose={() => setCancelling(false)}
          onCancelled={b => {
            setCancelling(false);
            setBuild(b);
          }}
        />
      )}
    </Box>
  );
}
