import { useState } from 'react';
import { useApi } from '@backstage/core-plugin-api';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import {
  ScanFinding,
  ScanResult,
  Waiver,
} from '@fincloud/plugin-builds-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Checkbox from '@material-ui/core/Checkbox';
import Chip from '@material-ui/core/Chip';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogTitle from '@material-ui/core/DialogTitle';
import FormControlLabel from '@material-ui/core/FormControlLabel';
import FormGroup from '@material-ui/core/FormGroup';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import { buildsApiRef } from '../api';
import { formatTime } from './format';

const SEVERITY_RANK: Record<ScanFinding['severity'], number> = {
  critical: 4,
  high: 3,
  medium: 2,
  low: 1,
};

/** Whether a finding is at or above the threshold that fails the build. */
export function blocks(finding: ScanFinding, threshold: string): boolean {
  const limit = SEVERITY_RANK[threshold as ScanFinding['severity']];
  return limit !== undefined && SEVERITY_RANK[finding.severity] >= limit;
}

function isActive(waiver: Waiver, now: number) {
  return waiver.status === 'approved' && Date.parse(waiver.expiresAt) > now;
}

/** The waiver that speaks for a rule: an active one, else pending, else the latest. */
export function waiverFor(
  ruleId: string,
  waivers: Waiver[],
  now = Date.now(),
): Waiver | undefined {
  const mine = waivers
    .filter(w => w.ruleIds.includes(ruleId))
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  return (
    mine.find(w => isActive(w, now)) ??
    mine.find(w => w.status === 'pending') ??
    mine[0]
  );
}

function userName(ref: string | undefined) {
  return ref ? ref.replace(/^user:(default\/)?/, '') : 'unknown';
}

function WaiverState(props: { waiver?: Waiver }) {
  const { waiver } = props;
  if (!waiver) return <>—</>;
  if (isActive(waiver, Date.now())) {
    return (
      <>
        Waived until {formatTime(waiver.expiresAt)} (approved by{' '}
        {userName(waiver.approvedBy)})
      </>
    );
  }
  if (waiver.status === 'pending') {
    return <>Waiver pending (requested by {userName(waiver.requestedBy)})</>;
  }
  if (waiver.status === 'rejected') return <>Waiver rejected</>;
  return <>Waiver expired</>;
}

const SEVERITY_COLOR: Record<
  ScanFinding['severity'],
  'secondary' | 'primary' | 'default'
> = {
  critical: 'secondary',
  high: 'secondary',
  medium: 'primary',
  low: 'default',
};

function toDateInput(date: Date) {
  return date.toISOString().slice(0, 10);
}

/** Asks the team lead to let some findings pass until a date. */
function RequestWaiverDialog(props: {
  open: boolean;
  entityRef: string;
  ruleIds: string[];
  initial: string[];
  onClose: () => void;
  onCreated: (waiver: Waiver) => void;
}) {
  const api = useApi(buildsApiRef);
  const [selected, setSelected] = useState<string[]>(props.initial);
  const [reason, setReason] = useState('');
  const tomorrow = new Date(Date.now() + 86_400_000);
  const [expires, setExpires] = useState(
    toDateInput(new Date(Date.now() + 14 * 86_400_000)),
  );
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const expiresAt = new Date(`${expires}T23:59:59.000Z`);
  const expiryProblem =
    Number.isNaN(expiresAt.getTime()) || expiresAt.getTime() <= Date.now()
      ? 'Choose a day in the future'
      : undefined;

  const submit = async () => {
    setBusy(true);
    setError(undefined);
    try {
      props.onCreated(
        await api.requestWaiver(props.entityRef, {
          ruleIds: selected,
          reason: reason.trim(),
          expiresAt: expiresAt.toISOString(),
        }),
      );
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog
      open={props.open}
      onClose={() => !busy && props.onClose()}
      aria-labelledby="builds-waiver-title"
      fullWidth
      maxWidth="sm"
    >
      <DialogTitle id="builds-waiver-title">Request a scan waiver</DialogTitle>
      <DialogContent>
        <Typography variant="body2" paragraph>
          A team lead of the owning team (or the platform team) approves it;
          until it expires, these rules no longer fail this service's builds.
          You cannot approve your own request.
        </Typography>
        <FormGroup aria-label="Rules to waive">
          {props.ruleIds.map(ruleId => (
            <FormControlLabel
              key={ruleId}
              label={ruleId}
              control={
                <Checkbox
                  checked={selected.includes(ruleId)}
                  onChange={() =>
                    setSelected(s =>
                      s.includes(ruleId)
                        ? s.filter(r => r !== ruleId)
                        : [...s, ruleId],
                    )
                  }
                />
              }
            />
          ))}
        </FormGroup>
        <TextField
          fullWidth
          multiline
          minRows={2}
          required
          margin="normal"
          variant="outlined"
          id="builds-waiver-reason"
          label="Why the risk is acceptable"
          value={reason}
          onChange={e => setReason(e.target.value)}
        />
        <TextField
          type="date"
          required
          margin="normal"
          variant="outlined"
          id="builds-waiver-expires"
          label="Expires (end of day, UTC)"
          value={expires}
          onChange={e => setExpires(e.target.value)}
          inputProps={{ min: toDateInput(tomorrow) }}
          InputLabelProps={{ shrink: true }}
          error={Boolean(expiryProblem)}
          helperText={expiryProblem ?? ' '}
        />
        {error && (
          <Typography color="error" role="alert">
            {error}
          </Typography>
        )}
      </DialogContent>
      <DialogActions>
        <Button onClick={props.onClose} disabled={busy}>
          Cancel
        </Button>
        <Button
          color="primary"
          variant="contained"
          onClick={submit}
          disabled={
            busy || selected.length === 0 || !reason.trim() || !!expiryProblem
          }
        >
          Request waiver
        </Button>
      </DialogActions>
    </Dialog>
  );
}

/** Approve or reject a pending waiver, with a reason for the trail. */
function DecideWaiverDialog(props: {
  waiver: Waiver;
  decision: 'approve' | 'reject';
  onClose: () => void;
  onDecided: (waiver: Waiver) => void;
}) {
  const api = useApi(buildsApiRef);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const verb = props.decision === 'approve' ? 'Approve' : 'Reject';
  const submit = async () => {
    setBusy(true);
    setError(undefined);
    try {
      props.onDecided(
        await api.decideWaiver(props.waiver.id, props.decision, reason.trim()),
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
      aria-labelledby="builds-decide-title"
      fullWidth
      maxWidth="sm"
    >
      <DialogTitle id="builds-decide-title">{verb} waiver</DialogTitle>
      <DialogContent>
        <Typography variant="body2" paragraph>
          {props.waiver.ruleIds.join(', ')} — requested by{' '}
          {userName(props.waiver.requestedBy)}: “{props.waiver.reason}”, until{' '}
          {formatTime(props.waiver.expiresAt)}.
        </Typography>
        <TextField
          fullWidth
          required
          variant="outlined"
          id="builds-decide-reason"
          label="Reason"
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
          Cancel
        </Button>
        <Button
          color="primary"
          variant="contained"
          onClick={submit}
          disabled={busy || !reason.trim()}
        >
          {verb}
        </Button>
      </DialogActions>
    </Dialog>
  );
}

/**
 * The pre-build scan: result, counts, threshold, each finding with its waiver
 * state, and the entity's waivers with the actions the user may take.
 */
export function ScanFindings(props: {
  scan: ScanResult;
  entityRef: string;
  waivers: Waiver[];
  canRequest: boolean;
  canApprove: boolean;
  currentUserRef?: string;
  onWaiversChanged: () => void;
}) {
  const { scan, waivers } = props;
  const [requesting, setRequesting] = useState<string[] | undefined>();
  const [deciding, setDeciding] = useState<
    { waiver: Waiver; decision: 'approve' | 'reject' } | undefined
  >();
  const blocking = [
    ...new Set(
      scan.findings
        .filter(f => blocks(f, scan.threshold))
        .filter(f => {
          const w = waiverFor(f.ruleId, waivers);
          return !w || (w.status !== 'pending' && !isActive(w, Date.now()));
        })
        .map(f => f.ruleId),
    ),
  ];
  const relevant = waivers.filter(w =>
    w.ruleIds.some(r => scan.findings.some(f => f.ruleId === r)),
  );

  return (
    <Box>
      <Box
        display="flex"
        alignItems="center"
        flexWrap="wrap"
        style={{ gap: 8 }}
      >
        <Typography variant="body2">
          Scan <strong>{scan.status}</strong> · fails at{' '}
          <strong>{scan.threshold}</strong> or above ·
        </Typography>
        {(['critical', 'high', 'medium', 'low'] as const).map(s => (
          <Chip
            key={s}
            size="small"
            color={scan.counts[s] > 0 ? SEVERITY_COLOR[s] : 'default'}
            variant={scan.counts[s] > 0 ? 'default' : 'outlined'}
            label={`${s} ${scan.counts[s]}`}
          />
        ))}
        {props.canRequest && blocking.length > 0 && (
          <Button
            size="small"
            variant="outlined"
            onClick={() => setRequesting(blocking)}
          >
            Request waiver
          </Button>
        )}
      </Box>
      {scan.findings.length > 0 && (
        <Box mt={1} style={{ overflowX: 'auto' }}>
          <Table size="small" aria-label="Scan findings">
            <TableHead>
              <TableRow>
                <TableCell>Severity</TableCell>
                <TableCell>Rule</TableCell>
                <TableCell>Message</TableCell>
                <TableCell>Location</TableCell>
                <TableCell style={{ whiteSpace: 'nowrap' }}>Waiver</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {scan.findings.map((f, i) => (
                <TableRow key={`${f.ruleId}-${i}`}>
                  <TableCell>
                    <Chip
                      size="small"
                      color={SEVERITY_COLOR[f.severity]}
                      label={f.severity}
                    />
                    {blocks(f, scan.threshold) && (
                      <Typography variant="caption" display="block">
                        blocks the build
                      </Typography>
                    )}
                  </TableCell>
                  <TableCell style={{ fontFamily: 'monospace' }}>
                    {f.ruleId}
                  </TableCell>
                  <TableCell>{f.message}</TableCell>
                  <TableCell style={{ fontFamily: 'monospace' }}>
                    {f.location ?? '—'}
                  </TableCell>
                  <TableCell>
                    <WaiverState waiver={waiverFor(f.ruleId, waivers)} />
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </Box>
      )}
      {relevant.length > 0 && (
        <Box mt={2}>
          <Typography variant="subtitle2">Waivers</Typography>
          <Table size="small" aria-label="Waivers">
            <TableHead>
              <TableRow>
                <TableCell>Status</TableCell>
                <TableCell>Rules</TableCell>
                <TableCell>Reason</TableCell>
                <TableCell>Requested by</TableCell>
                <TableCell>Expires</TableCell>
                <TableCell />
              </TableRow>
            </TableHead>
            <TableBody>
              {relevant.map(w => {
                const own = props.currentUserRef === w.requestedBy;
                return (
                  <TableRow key={w.id}>
                    <TableCell style={{ whiteSpace: 'nowrap' }}>
                      {w.status}
                    </TableCell>
                    <TableCell style={{ fontFamily: 'monospace' }}>
                      {w.ruleIds.join(', ')}
                    </TableCell>
                    <TableCell>{w.reason}</TableCell>
                    <TableCell>
                      <EntityRefLink
                        entityRef={w.requestedBy}
                        defaultKind="user"
                      />
                    </TableCell>
                    <TableCell>{formatTime(w.expiresAt)}</TableCell>
                    <TableCell>
                      {w.status === 'pending' && props.canApprove && !own && (
                        <>
                          <Button
                            size="small"
                            color="primary"
                            onClick={() =>
                              setDeciding({ waiver: w, decision: 'approve' })
                            }
                          >
                            Approve
                          </Button>
                          <Button
                            size="small"
                            onClick={() =>
                              setDeciding({ waiver: w, decision: 'reject' })
                            }
                          >
                            Reject
                          </Button>
                        </>
                      )}
                      {w.status === 'pending' && props.canApprove && own && (
                        <Typography variant="caption">
                          Your own request: another lead approves it
                        </Typography>
                      )}
                    </TableCell>
                  </TableRow>
                );
              })}
            </TableBody>
          </Table>
        </Box>
      )}
      {requesting && (
        <RequestWaiverDialog
          open
          entityRef={props.entityRef}
          ruleIds={requesting}
          initial={requesting}
          onClose={() => setRequesting(undefined)}
          onCreated={() => {
            setRequesting(undefined);
            props.onWaiversChanged();
          }}
        />
      )}
      {deciding && (
        <DecideWaiverDialog
          waiver={deciding.waiver}
          decision={deciding.decision}
          onClose={() => setDeciding(undefined)}
          onDecided={() => {
            setDeciding(undefined);
            props.onWaiversChanged();
          }}
        />
      )}
    </Box>
  );
}
