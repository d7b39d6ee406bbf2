import { useState } from 'react';
import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogContentText from '@material-ui/core/DialogContentText';
import DialogTitle from '@material-ui/core/DialogTitle';
import TextField from '@material-ui/core/TextField';
import Alert from '@material-ui/lab/Alert';

/**
 * A justification shorter than this is not a reason anybody can audit (the
 * backend's default minimum; it checks again and says so if its own is longer).
 */
export const MIN_JUSTIFICATION = 20;

/**
 * Asks why a break-glass shell is needed before opening one. The text goes
 * to the audit trail and the session record; the backend checks it again.
 */
export function BreakGlassDialog(props: {
  open: boolean;
  where: string;
  initial?: string;
  onCancel(): void;
  onConfirm(justification: string): void;
}) {
  const [text, setText] = useState(props.initial ?? '');
  const [touched, setTouched] = useState(false);
  const tooShort = text.trim().length < MIN_JUSTIFICATION;

  return (
    <Dialog
      open={props.open}
      onClose={props.onCancel}
      aria-labelledby="break-glass-title"
      fullWidth
      maxWidth="sm"
    >
      <DialogTitle id="break-glass-title">Open a break-glass shell</DialogTitle>
      <DialogContent>
        <DialogContentText>
          A full interactive shell in <strong>{props.where}</strong>, outside
          the command allow-list.
        </DialogContentText>
        <Alert severity="warning">
          The whole session — everything you type and everything shown — is
          recorded and audited, and ends when its time box runs out.
        </Alert>
        <TextField
          margin="normal"
          id="break-glass-justification"
          label="Justification"
          placeholder="e.g. INC-4711: payment-gateway leaks file handles, need lsof"
          multiline
          minRows={3}
          fullWidth
          required
          variant="outlined"
          value={text}
          onChange={e => setText(e.target.value)}
          onBlur={() => setTouched(true)}
          error={touched && tooShort}
          helperText={`Why do you need a shell? An incident or change number helps the auditors (at least ${MIN_JUSTIFICATION} characters).`}
        />
      </DialogContent>
      <DialogActions>
        <Button onClick={props.onCancel}>Cancel</Button>
        <Button
          color="secondary"
          variant="contained"
          disabled={tooShort}
          onClick={() => props.onConfirm(text.trim())}
        >
          Open shell
        </Button>
      </DialogActions>
    </Dialog>
  );
}
