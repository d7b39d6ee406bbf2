import { ReactNode, useEffect, useState } from 'react';
import Button from '@material-ui/core/Button';
import CircularProgress from '@material-ui/core/CircularProgress';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogContentText from '@material-ui/core/DialogContentText';
import DialogTitle from '@material-ui/core/DialogTitle';
import TextField from '@material-ui/core/TextField';
import Alert from '@material-ui/lab/Alert';
import { errorMessage } from './errors';

/** A reason is kept in the audit trail: ask for a sentence, not a letter. */
export const MIN_REASON_LENGTH = 5;

/**
 * Asks before an action. With `reason`, the user must say why (the API
 * records it); the backend's refusal is shown in the dialog, which then stays
 * open so nothing is lost.
 */
export function ConfirmDialog(props: {
  open: boolean;
  title: string;
  description: ReactNode;
  confirmLabel: string;
  reason?: boolean;
  danger?: boolean;
  onConfirm: (reason: string) => Promise<unknown>;
  onClose: () => void;
}) {
  const { open, onClose, onConfirm } = props;
  const [reason, setReason] = useState('');
  const [touched, setTouched] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();

  useEffect(() => {
    if (open) {
      setReason('');
      setTouched(false);
      setError(undefined);
      setBusy(false);
    }
  }, [open]);

  const tooShort = props.reason && reason.trim().length < MIN_REASON_LENGTH;
  const submit = async () => {
    setTouched(true);
    if (tooShort) return;
    setBusy(true);
    setError(undefined);
    try {
      await onConfirm(reason.trim());
      onClose();
    } catch (e) {
      setError(errorMessage(e));
      setBusy(false);
    }
  };

  return (
    <Dialog
      open={open}
      onClose={busy ? undefined : onClose}
      aria-labelledby="fincloud-confirm-title"
      fullWidth
      maxWidth="sm"
    >
      <DialogTitle id="fincloud-confirm-title">{props.title}</DialogTitle>
      <DialogContent>
        <DialogContentText component="div">
          {props.description}
        </DialogContentText>
        {props.reason && (
          <TextField
            id="fincloud-confirm-reason"
            label="Reason"
            value={reason}
            onChange={e => setReason(e.target.value)}
            onBlur={() => setTouched(true)}
            error={touched && !!tooShort}
            helperText={
              touched && tooShort
                ? `Say why in at least ${MIN_REASON_LENGTH} characters; it is kept in the audit trail.`
                : 'Kept with the release and in the audit trail.'
            }
            multiline
            minRows={2}
            fullWidth
            required
            variant="outlined"
            margin="normal"
          />
        )}
        {error && (
          <Alert severity="error" role="alert">
            {error}
          </Alert>
        )}
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose} disabled={busy}>
          Cancel
        </Button>
        <Button
          onClick={submit}
          color={props.danger ? 'secondary' : 'primary'}
          variant="contained"
          disabled={busy}
          startIcon={busy ? <CircularProgress size={16} /> : undefined}
        >
          {props.confirmLabel}
        </Button>
      </DialogActions>
    </Dialog>
  );
}
