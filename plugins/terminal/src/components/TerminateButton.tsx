import { useState } from 'react';
import { useApi } from '@backstage/core-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  SessionSummary,
  terminalSessionsTerminatePermission,
} from '@fincloud/plugin-terminal-common';
import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogContentText from '@material-ui/core/DialogContentText';
import DialogTitle from '@material-ui/core/DialogTitle';
import TextField from '@material-ui/core/TextField';
import Alert from '@material-ui/lab/Alert';
import { terminalApiRef } from '../api';
import { errorMessage } from './errors';
import { shortUser } from './format';

/**
 * "Terminate" on a live session, for those `terminal.sessions.terminate`
 * allows on its entity (the platform team). Asks for a reason, which goes to
 * the audit trail and to the user whose session ends.
 */
export function TerminateButton(props: {
  session: SessionSummary;
  onTerminated(session: SessionSummary): void;
}) {
  const { session } = props;
  const api = useApi(terminalApiRef);
  const { allowed } = usePermission({
    permission: terminalSessionsTerminatePermission,
    resourceRef: session.entityRef,
  });
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error>();

  if (!allowed || !session.live) return null;

  const terminate = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const ended = await api.terminateSession(session.id, reason.trim());
      setOpen(false);
      props.onTerminated(ended);
    } catch (e) {
      setError(e as Error);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <Button
        size="small"
        color="secondary"
        variant="outlined"
        onClick={() => setOpen(true)}
        aria-label={`Terminate session ${session.id}`}
      >
        Terminate
      </Button>
      <Dialog
        open={open}
        onClose={() => setOpen(false)}
        aria-labelledby={`terminate-${session.id}`}
      >
        <DialogTitle id={`terminate-${session.id}`}>
          Terminate {shortUser(session.user)}'s session?
        </DialogTitle>
        <DialogContent>
          <DialogContentText>
            The {session.mode} session in {session.pod} ends at once; the user
            sees that the platform team terminated it.
          </DialogContentText>
          <TextField
            fullWidth
            required
            id={`terminate-reason-${session.id}`}
            label="Reason"
            variant="outlined"
            value={reason}
            onChange={e => setReason(e.target.value)}
          />
          {error && (
            <Alert severity="error" style={{ marginTop: 8 }}>
              Could not terminate: {errorMessage(error)}
            </Alert>
          )}
        </DialogContent>
        <DialogActions>
          <Button onClick={() => setOpen(false)}>Cancel</Button>
          <Button
            color="secondary"
            variant="contained"
            disabled={busy || !reason.trim()}
            onClick={terminate}
          >
            Terminate session
          </Button>
        </DialogActions>
      </Dialog>
    </>
  );
}
