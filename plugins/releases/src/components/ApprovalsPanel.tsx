import { useState } from 'react';
import { Approval, Release } from '@fincloud/plugin-releases-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import List from '@material-ui/core/List';
import ListItem from '@material-ui/core/ListItem';
import ListItemText from '@material-ui/core/ListItemText';
import Typography from '@material-ui/core/Typography';
import { StatusAborted, StatusOK } from '@backstage/core-components';
import { ConfirmDialog } from './ConfirmDialog';
import { formatTime, formatUser } from './format';

/** Why the approve buttons are not there, in the user's terms. */
export function approvalBlocker(options: {
  requestedBy: string;
  approvals: Approval[];
  userRef?: string;
  mayApprove: boolean;
  gateStep?: number;
}): string | undefined {
  const { requestedBy, approvals, userRef, mayApprove, gateStep } = options;
  if (!mayApprove) {
    return 'Only a team lead of the owning team (or the platform team) may approve. You can follow it here.';
  }
  if (userRef && userRef === requestedBy) {
    return 'You requested this change, so another team lead must approve it (four-eyes).';
  }
  if (
    userRef &&
    approvals.some(
      a =>
        a.by === userRef &&
        a.decision === 'approved' &&
        a.step === gateStep &&
        Date.parse(a.expiresAt) > Date.now(),
    )
  ) {
    return 'You have approved it; it waits for the remaining approvals.';
  }
  return undefined;
}

/**
 * The approval a release waits for: its start (undefined) while nothing has
 * run and the service needs approvals, else the current step.
 */
export function gateStepOf(release: Release): number | undefined {
  const notStarted = release.steps.every(s => s.status === 'pending');
  return notStarted && release.requiredApprovals > 0
    ? undefined
    : release.currentStep;
}

/** Approvals a gate needs: the release's count, at least one for a step. */
export function approvalsNeeded(
  release: Release,
  gateStep: number | undefined,
) {
  return gateStep === undefined
    ? release.requiredApprovals
    : Math.max(1, release.requiredApprovals);
}

function ApprovalRow(props: { approval: Approval }) {
  const { approval } = props;
  const expired = Date.parse(approval.expiresAt) <= Date.now();
  return (
    <ListItem disableGutters divider>
      <ListItemText
        primary={
          <Box
            display="flex"
            alignItems="center"
            flexWrap="wrap"
            style={{ gap: 8 }}
          >
            {approval.decision === 'approved' ? (
              <StatusOK>Approved by {formatUser(approval.by)}</StatusOK>
            ) : (
              <StatusAborted>
                Rejected by {formatUser(approval.by)}
              </StatusAborted>
            )}
            <Typography variant="caption" color="textSecondary">
              {approval.step === undefined
                ? 'start'
                : `step ${approval.step + 1}`}{' '}
              · {formatTime(approval.at)}
              {approval.decision === 'approved' &&
                (expired
                  ? ` · expired ${formatTime(approval.expiresAt)}`
                  : ` · valid until ${formatTime(approval.expiresAt)}`)}
            </Typography>
          </Box>
        }
        secondary={`“${approval.reason}”`}
      />
    </ListItem>
  );
}

/**
 * Who approved or rejected, when, why and until when; approve / reject for
 * those allowed, and for everybody else the reason they may not.
 */
export function ApprovalsPanel(props: {
  release: Release;
  userRef?: string;
  mayApprove: boolean;
  onApprove: (reason: string) => Promise<unknown>;
  onReject: (reason: string) => Promise<unknown>;
}) {
  const { release } = props;
  const [dialog, setDialog] = useState<'approve' | 'reject' | undefined>();
  const waiting = release.state === 'awaiting-approval';
  const gateStep = gateStepOf(release);
  const counted = release.approvals.filter(
    a =>
      a.decision === 'approved' &&
      a.step === gateStep &&
      Date.parse(a.expiresAt) > Date.now(),
  ).length;
  const needed = approvalsNeeded(release, gateStep);
  const blocker = approvalBlocker({
    requestedBy: release.requestedBy,
    approvals: release.approvals,
    userRef: props.userRef,
    mayApprove: props.mayApprove,
    gateStep,
  });
  const what =
    gateStep === undefined
      ? `the release of ${release.version}`
      : `step ${gateStep + 1} (${release.steps[gateStep]?.weight} %) of ${
          release.version
        }`;

  return (
    <section aria-label="Approvals">
      <Typography variant="subtitle1">Approvals</Typography>
      {waiting && (
        <Typography variant="body2" gutterBottom>
          Waiting for {what}: {counted} of {needed} approval
          {needed === 1 ? '' : 's'} from a team lead.
        </Typography>
      )}
      {release.approvals.length === 0 ? (
        <Typography variant="body2" color="textSecondary">
          No approvals yet.
        </Typography>
      ) : (
        <List dense disablePadding aria-label="Approval decisions">
          {release.approvals.map((a, i) => (
            <ApprovalRow key={`${a.by}-${a.at}-${i}`} approval={a} />
          ))}
        </List>
      )}
      {waiting && !blocker && (
        <Box mt={1} display="flex" style={{ gap: 8 }}>
          <Button
            variant="contained"
            color="primary"
            onClick={() => setDialog('approve')}
          >
            Approve
          </Button>
          <Button variant="outlined" onClick={() => setDialog('reject')}>
            Reject
          </Button>
        </Box>
      )}
      {waiting && blocker && (
        <Typography variant="body2" color="textSecondary" role="note">
          {blocker}
        </Typography>
      )}
      <ConfirmDialog
        open={dialog === 'approve'}
        title={`Approve ${what}?`}
        description={`Requested by ${formatUser(
          release.requestedBy,
        )}. Your approval is recorded with your reason and expires after a while.`}
        confirmLabel="Approve"
        reason
        onConfirm={props.onApprove}
        onClose={() => setDialog(undefined)}
      />
      <ConfirmDialog
        open={dialog === 'reject'}
        title={`Reject ${what}?`}
        description="Rejecting stops the release; traffic stays on the stable version."
        confirmLabel="Reject"
        reason
        danger
        onConfirm={props.onReject}
        onClose={() => setDialog(undefined)}
      />
    </section>
  );
}
