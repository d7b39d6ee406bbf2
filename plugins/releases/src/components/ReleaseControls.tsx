import { useState } from 'react';
import { Release } from '@fincloud/plugin-releases-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Typography from '@material-ui/core/Typography';
import FastForwardIcon from '@material-ui/icons/FastForward';
import PauseIcon from '@material-ui/icons/Pause';
import PlayArrowIcon from '@material-ui/icons/PlayArrow';
import SkipNextIcon from '@material-ui/icons/SkipNext';
import SwapHorizIcon from '@material-ui/icons/SwapHoriz';
import UndoIcon from '@material-ui/icons/Undo';
import Alert from '@material-ui/lab/Alert';
import { ConfirmDialog } from './ConfirmDialog';
import { errorMessage } from './errors';
import { isActive } from './format';

export interface ReleaseActions {
  promote: (full: boolean) => Promise<unknown>;
  pause: () => Promise<unknown>;
  resume: () => Promise<unknown>;
  rollback: (reason: string) => Promise<unknown>;
  switchBack: (reason: string) => Promise<unknown>;
}

type Dialog =
  | 'promote-next'
  | 'promote-full'
  | 'end-warm'
  | 'rollback'
  | 'switch-back';

/**
 * A pause the controller set for a step's timer: it ends by itself, and
 * promoting skips it; resuming does not apply (the backend says so too).
 */
export function isTimedPause(release: Release): boolean {
  if (release.state !== 'paused' || release.drift) return false;
  const reason = release.reason ?? '';
  return (
    !reason.startsWith('paused by') &&
    !reason.startsWith('analysis inconclusive')
  );
}

/** Which controls apply to a release in its current state (permissions aside). */
export function availableControls(release: Release) {
  const running = ['progressing', 'paused', 'analysing'].includes(
    release.state,
  );
  const lastIndex = release.steps.length - 1;
  const warm =
    release.strategy === 'blue-green' && !!release.blueGreen?.warmUntil;
  const movable =
    running && release.strategy !== 'rolling' && !release.drift && !warm;
  return {
    promoteNext: movable && release.currentStep < lastIndex,
    promoteFull:
      movable &&
      release.strategy === 'canary' &&
      release.currentStep < lastIndex - 1,
    endWarm: running && warm,
    pause:
      release.state === 'progressing' ||
      release.state === 'analysing' ||
      isTimedPause(release),
    resume: release.state === 'paused' && !isTimedPause(release),
    rollback: isActive(release.state),
    switchBack:
      release.strategy === 'blue-green' &&
      release.blueGreen?.activeColor === 'green' &&
      isActive(release.state),
  };
}

/**
 * Promote (next step / 100 %), pause, resume, roll back and switch back, each
 * shown only to those whose permission allows it. Irreversible or risky ones
 * ask first, with a reason where the API keeps one.
 */
export function ReleaseControls(props: {
  release: Release;
  mayPromote: boolean;
  mayRollback: boolean;
  actions: ReleaseActions;
}) {
  const { release, mayPromote, mayRollback, actions } = props;
  const [dialog, setDialog] = useState<Dialog | undefined>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const can = availableControls(release);
  const next = release.steps[release.currentStep + 1];

  const immediate = async (run: () => Promise<unknown>) => {
    setBusy(true);
    setError(undefined);
    try {
      await run();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  const promoteShown =
    mayPromote &&
    (can.promoteNext ||
      can.promoteFull ||
      can.endWarm ||
      can.pause ||
      can.resume);
  const blueGreen = release.strategy === 'blue-green';
  const rollbackShown = mayRollback && (can.rollback || can.switchBack);
  if (!promoteShown && !rollbackShown) {
    if (!mayPromote && !mayRollback && isActive(release.state)) {
      return (
        <Typography variant="body2" color="textSecondary" role="note">
          Promoting and rolling back are for the service's developers, its team
          leads and the platform team.
        </Typography>
      );
    }
    return null;
  }

  return (
    <section aria-label="Release controls">
      <Box display="flex" flexWrap="wrap" style={{ gap: 8 }}>
        {mayPromote && can.promoteNext && (
          <Button
            variant="outlined"
            color="primary"
            startIcon={<SkipNextIcon />}
            onClick={() => setDialog('promote-next')}
            disabled={busy}
          >
            {blueGreen ? 'Switch to the new version' : 'Promote to next step'}
          </Button>
        )}
        {mayPromote && can.endWarm && (
          <Button
            variant="outlined"
            color="primary"
            startIcon={<FastForwardIcon />}
            onClick={() => setDialog('end-warm')}
            disabled={busy}
          >
            Finish now
          </Button>
        )}
        {mayPromote && can.promoteFull && (
          <Button
            variant="outlined"
            color="primary"
            startIcon={<FastForwardIcon />}
            onClick={() => setDialog('promote-full')}
            disabled={busy}
          >
            Promote to 100 %
          </Button>
        )}
        {mayPromote && can.pause && (
          <Button
            variant="outlined"
            startIcon={<PauseIcon />}
            onClick={() => immediate(actions.pause)}
            disabled={busy}
          >
            Pause
          </Button>
        )}
        {mayPromote && can.resume && (
          <Button
            variant="outlined"
            startIcon={<PlayArrowIcon />}
            onClick={() => immediate(actions.resume)}
            disabled={busy}
          >
            Resume
          </Button>
        )}
        {mayRollback && can.switchBack && (
          <Button
            variant="contained"
            color="secondary"
            startIcon={<SwapHorizIcon />}
            onClick={() => setDialog('switch-back')}
            disabled={busy}
          >
            Switch back
          </Button>
        )}
        {mayRollback && can.rollback && (
          <Button
            variant="contained"
            color="secondary"
            startIcon={<UndoIcon />}
            onClick={() => setDialog('rollback')}
            disabled={busy}
          >
            Roll back
          </Button>
        )}
      </Box>
      {error && (
        <Box mt={1}>
          <Alert
            severity="error"
            role="alert"
            onClose={() => setError(undefined)}
          >
            {error}
          </Alert>
        </Box>
      )}
      <ConfirmDialog
        open={dialog === 'promote-next'}
        title={
          blueGreen ? 'Switch to the new version?' : 'Promote to the next step?'
        }
        description={
          next
            ? `Moves ${next.weight} % of traffic to ${release.version} now, without waiting for the current step's pause or analysis.`
            : 'Moves on to the next step now.'
        }
        confirmLabel={blueGreen ? 'Switch' : 'Promote'}
        onConfirm={() => actions.promote(false)}
        onClose={() => setDialog(undefined)}
      />
      <ConfirmDialog
        open={dialog === 'promote-full'}
        title="Promote to 100 %?"
        description={`Skips the remaining steps and sends all traffic to ${release.version}.`}
        confirmLabel="Promote to 100 %"
        onConfirm={() => actions.promote(true)}
        onClose={() => setDialog(undefined)}
      />
      <ConfirmDialog
        open={dialog === 'end-warm'}
        title="Finish the release now?"
        description={`Ends the warm window: ${
          release.stableVersion ?? 'the previous version'
        } is scaled down and switching back is no longer possible.`}
        confirmLabel="Finish now"
        onConfirm={() => actions.promote(false)}
        onClose={() => setDialog(undefined)}
      />
      <ConfirmDialog
        open={dialog === 'rollback'}
        title={`Roll back ${release.version}?`}
        description={`All traffic goes back to ${
          release.stableVersion
            ? `the stable version ${release.stableVersion}`
            : 'the stable version'
        } and ${release.version} is scaled down.`}
        confirmLabel="Roll back"
        reason
        danger
        onConfirm={actions.rollback}
        onClose={() => setDialog(undefined)}
      />
      <ConfirmDialog
        open={dialog === 'switch-back'}
        title="Switch back?"
        description={`All traffic switches back at once to ${
          release.stableVersion ?? 'the previous version'
        }, which is still warm.`}
        confirmLabel="Switch back"
        reason
        danger
        onConfirm={actions.switchBack}
        onClose={() => setDialog(undefined)}
      />
    </section>
  );
}
