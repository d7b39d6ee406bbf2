import { InfoCard } from '@backstage/core-components';
import { Release } from '@fincloud/plugin-releases-common';
import Box from '@material-ui/core/Box';
import Divider from '@material-ui/core/Divider';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import AlertTitle from '@material-ui/lab/AlertTitle';
import { AnalysisCharts } from './AnalysisCharts';
import { ApprovalsPanel, gateStepOf } from './ApprovalsPanel';
import { ReleaseActions, ReleaseControls } from './ReleaseControls';
import { ReleaseStateLabel } from './ReleaseStateLabel';
import { StepPlan } from './StepPlan';
import { TrafficBar } from './TrafficBar';
import {
  formatTime,
  formatUser,
  releaseDuration,
  STRATEGY_LABELS,
} from './format';
import { ReleasePermissions } from './hooks';

/** The running release: traffic, plan, approvals, gates and controls. */
export function CurrentRelease(props: {
  release: Release;
  permissions: ReleasePermissions;
  userRef?: string;
  actions: ReleaseActions & {
    approve: (reason: string) => Promise<unknown>;
    reject: (reason: string) => Promise<unknown>;
  };
}) {
  const { release, permissions, actions } = props;
  return (
    <InfoCard
      title={`Release ${release.version}`}
      subheader={
        <Box
          display="flex"
          alignItems="center"
          flexWrap="wrap"
          style={{ gap: 12 }}
        >
          <span aria-label="Release state">
            <ReleaseStateLabel state={release.state} />
          </span>
          <span>{STRATEGY_LABELS[release.strategy]}</span>
          <span>
            requested by {formatUser(release.requestedBy)} ·{' '}
            {formatTime(release.createdAt)} · running {releaseDuration(release)}
          </span>
        </Box>
      }
    >
      {release.breakGlass && (
        <Box mb={2}>
          <Alert severity="error" role="alert" aria-label="Break-glass release">
            <AlertTitle>Break-glass release inside a change freeze</AlertTitle>
            Started by {formatUser(release.breakGlass.by)}: “
            {release.breakGlass.justification}”
          </Alert>
        </Box>
      )}
      {release.drift && (
        <Box mb={2}>
          <Alert severity="warning" role="alert" aria-label="Drift detected">
            <AlertTitle>The cluster was changed by hand</AlertTitle>
            {release.drift.details} (detected{' '}
            {formatTime(release.drift.detectedAt)}). The release does not
            overwrite it; decide whether to resume or roll back.
          </Alert>
        </Box>
      )}
      {release.reason && (
        <Box mb={2}>
          <Alert severity="info">{release.reason}</Alert>
        </Box>
      )}

      <Typography variant="body2" gutterBottom>
        Image <code>{release.image}</code> in {release.cluster}/
        {release.namespace}/{release.workload}
        {release.schedulingProfile
          ? ` · scheduling profile ${release.schedulingProfile}`
          : ''}
        {release.blueGreen
          ? ` · preview service ${release.blueGreen.previewService}, active ${
              release.blueGreen.activeColor
            }${
              release.blueGreen.warmUntil
                ? `, old version warm until ${formatTime(
                    release.blueGreen.warmUntil,
                  )}`
                : ''
            }`
          : ''}
      </Typography>

      <Box my={2}>
        <TrafficBar
          weights={release.weights}
          stableVersion={release.stableVersion}
          newVersion={release.version}
        />
      </Box>

      <Box my={2}>
        <StepPlan
          steps={release.steps}
          waitingStep={
            release.state === 'awaiting-approval'
              ? gateStepOf(release) ?? release.currentStep
              : undefined
          }
        />
      </Box>

      <Box my={2}>
        <ReleaseControls
          release={release}
          mayPromote={permissions.promote}
          mayRollback={permissions.rollback}
          actions={actions}
        />
      </Box>

      <Divider />
      <Box my={2}>
        <ApprovalsPanel
          release={release}
          userRef={props.userRef}
          mayApprove={permissions.approve}
          onApprove={actions.approve}
          onReject={actions.reject}
        />
      </Box>

      <Divider />
      <Box mt={2}>
        <Typography variant="subtitle1">Metric gates</Typography>
        <AnalysisCharts analyses={release.analyses} />
      </Box>
    </InfoCard>
  );
}
