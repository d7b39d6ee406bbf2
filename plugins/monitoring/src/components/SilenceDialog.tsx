import { useState } from 'react';
import { Alert, MAX_SILENCE_MINUTES } from '@fincloud/plugin-monitoring-common';
import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogTitle from '@material-ui/core/DialogTitle';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import { Alert as MuiAlert } from '@material-ui/lab';
import { LabelChips } from './AlertBits';
import { errorMessage } from './errors';
import { formatDateTime, formatMinutes } from './format';

export const SILENCE_DURATIONS = [15, 60, 120, 240, 480, 1440, 4320, 10080];

/**
 * Silence one alert for a while, saying why. The backend adds the service's
 * own labels to the matchers, so the silence never mutes another service.
 */
export function SilenceDialog(props: {
  alert: Alert;
  onClose: () => void;
  onSubmit: (durationMinutes: number, comment: string) => Promise<void>;
}) {
  const { alert, onClose, onSubmit } = props;
  const [duration, setDuration] = useState(60);
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const titleId = 'monitoring-silence-title';
  const valid =
    comment.trim().length > 0 &&
    duration >= 1 &&
    duration <= MAX_SILENCE_MINUTES;

  const submit = async () => {
    if (!valid) return;
    setBusy(true);
    setError(undefined);
    try {
      await onSubmit(duration, comment.trim());
    } catch (e) {
      setError(errorMessage(e));
      setBusy(false);
    }
  };

  return (
    <Dialog
      open
      onClose={busy ? undefined : onClose}
      aria-labelledby={titleId}
      maxWidth="sm"
      fullWidth
    >
      <DialogTitle id={titleId}>Silence {alert.name}</DialogTitle>
      <DialogContent>
        <Typography variant="body2" gutterBottom>
          Alertmanager stops notifying about alerts with exactly these labels
          until{' '}
          <strong>{formatDateTime(Date.now() + duration * 60_000)}</strong>. The
          silence is recorded in the audit trail with your comment.
        </Typography>
        <LabelChips
          labels={alert.labels}
          omit={[]}
          ariaLabel="Silenced labels"
        />
        <TextField
          select
          id="monitoring-silence-duration"
          label="Duration"
          value={duration}
          onChange={e => setDuration(Number(e.target.value))}
          margin="normal"
          fullWidth
          variant="outlined"
          SelectProps={{ native: true }}
        >
          {SILENCE_DURATIONS.map(m => (
            <option key={m} value={m}>
              {formatMinutes(m)}
            </option>
          ))}
        </TextField>
        <TextField
          id="monitoring-silence-comment"
          label="Comment"
          value={comment}
          onChange={e => setComment(e.target.value)}
          margin="normal"
          fullWidth
          variant="outlined"
          multiline
          minRows={2}
          required
          helperText="Why (the incident, the ticket): shown in Alertmanager and the audit trail"
          inputProps={{ maxLength: 1000 }}
        />
        {error && <MuiAlert severity="error">{error}</MuiAlert>}
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose} disabled={busy}>
          Cancel
        </Button>
        <Button
          color="primary"
          variant="contained"
          onClick={submit}
          disabled={!valid || busy}
        >
          Silence
        </Button>
      </DialogActions>
    </Dialog>
  );
}
