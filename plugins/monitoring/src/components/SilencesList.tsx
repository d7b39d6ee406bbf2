import { useState } from 'react';
import {
  StatusAborted,
  StatusOK,
  StatusPending,
} from '@backstage/core-components';
import { Silence } from '@fincloud/plugin-monitoring-common';
import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogTitle from '@material-ui/core/DialogTitle';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { Alert as MuiAlert } from '@material-ui/lab';
import { TextChips } from './AlertBits';
import { errorMessage } from './errors';
import { formatDateTime, formatDuration, formatUser } from './format';

function SilenceStatus(props: { silence: Silence }) {
  switch (props.silence.status) {
    case 'active':
      return <StatusOK>Active</StatusOK>;
    case 'pending':
      return <StatusPending>Pending</StatusPending>;
    default:
      return <StatusAborted>Expired</StatusAborted>;
  }
}

/** `name="value"` the way Alertmanager shows matchers: `=`, `!=`, `=~`, `!~`. */
export function matcherText(m: Silence['matchers'][number]): string {
  let op: string;
  if (m.isRegex) op = m.isEqual ? '=~' : '!~';
  else op = m.isEqual ? '=' : '!=';
  return `${m.name}${op}${m.value}`;
}

function ExpireDialog(props: {
  silence: Silence;
  onClose: () => void;
  onExpire: () => Promise<void>;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const go = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await props.onExpire();
    } catch (e) {
      setError(errorMessage(e));
      setBusy(false);
    }
  };
  return (
    <Dialog
      open
      onClose={busy ? undefined : props.onClose}
      aria-labelledby="monitoring-expire-title"
    >
      <DialogTitle id="monitoring-expire-title">
        Expire this silence?
      </DialogTitle>
      <DialogContent>
        <Typography variant="body2" gutterBottom>
          The alerts it mutes notify again at once. “{props.silence.comment}” by{' '}
          {formatUser(props.silence.createdBy)}.
        </Typography>
        {error && <MuiAlert severity="error">{error}</MuiAlert>}
      </DialogContent>
      <DialogActions>
        <Button onClick={props.onClose} disabled={busy}>
          Cancel
        </Button>
        <Button
          color="primary"
          variant="contained"
          onClick={go}
          disabled={busy}
        >
          Expire
        </Button>
      </DialogActions>
    </Dialog>
  );
}

/**
 * The service's silences: active and pending first, the recently expired
 * on request; Expire for those allowed (`monitoring.silence`).
 */
export function SilencesList(props: {
  silences: Silence[];
  now: number;
  canExpire: boolean;
  onExpire: (silence: Silence) => Promise<void>;
}) {
  const { silences, now, canExpire, onExpire } = props;
  const [showExpired, setShowExpired] = useState(false);
  const [expiring, setExpiring] = useState<Silence>();
  const live = silences.filter(s => s.status !== 'expired');
  const expired = silences.filter(s => s.status === 'expired');
  const shown = showExpired ? [...live, ...expired] : live;

  return (
    <>
      {live.length === 0 && (
        <Typography variant="body2" color="textSecondary">
          No active silences.
        </Typography>
      )}
      {shown.length > 0 && (
        <Table size="small" aria-label="Silences">
          <TableHead>
            <TableRow>
              <TableCell>Status</TableCell>
              <TableCell>Matchers</TableCell>
              <TableCell>Comment</TableCell>
              <TableCell>By</TableCell>
              <TableCell>Ends</TableCell>
              <TableCell align="right">Actions</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {shown.map(silence => {
              const ends = new Date(silence.endsAt).getTime();
              return (
                <TableRow key={silence.id} aria-label={`Silence ${silence.id}`}>
                  <TableCell>
                    <SilenceStatus silence={silence} />
                  </TableCell>
                  <TableCell>
                    <TextChips
                      items={silence.matchers.map(matcherText)}
                      ariaLabel="Matchers"
                    />
                  </TableCell>
                  <TableCell>{silence.comment}</TableCell>
                  <TableCell>{formatUser(silence.createdBy)}</TableCell>
                  <TableCell title={formatDateTime(silence.endsAt)}>
                    {ends > now
                      ? `in ${formatDuration(ends - now)}`
                      : `${formatDuration(now - ends)} ago`}
                  </TableCell>
                  <TableCell align="right">
                    {canExpire && silence.status !== 'expired' && (
                      <Button
                        size="small"
                        onClick={() => setExpiring(silence)}
                        aria-label={`Expire silence ${silence.id}`}
                      >
                        Expire
                      </Button>
                    )}
                  </TableCell>
                </TableRow>
              );
            })}
          </TableBody>
        </Table>
      )}
      {expired.length > 0 && (
        <Button size="small" onClick={() => setShowExpired(v => !v)}>
          {showExpired
            ? 'Hide expired silences'
            : `Show expired silences (${expired.length})`}
        </Button>
      )}
      {expiring && (
        <ExpireDialog
          silence={expiring}
          onClose={() => setExpiring(undefined)}
          onExpire={async () => {
            await onExpire(expiring);
            setExpiring(undefined);
          }}
        />
      )}
    </>
  );
}
