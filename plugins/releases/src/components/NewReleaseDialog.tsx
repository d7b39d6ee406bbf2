import { useEffect, useMemo, useState } from 'react';
import { Progress } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import {
  Release,
  ReleaseOptions,
  Strategy,
} from '@fincloud/plugin-releases-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Checkbox from '@material-ui/core/Checkbox';
import CircularProgress from '@material-ui/core/CircularProgress';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogTitle from '@material-ui/core/DialogTitle';
import FormControlLabel from '@material-ui/core/FormControlLabel';
import IconButton from '@material-ui/core/IconButton';
import InputAdornment from '@material-ui/core/InputAdornment';
import MenuItem from '@material-ui/core/MenuItem';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import AddIcon from '@material-ui/icons/Add';
import DeleteIcon from '@material-ui/icons/Delete';
import Alert from '@material-ui/lab/Alert';
import AlertTitle from '@material-ui/lab/AlertTitle';
import { LatestBuildImage, releasesApiRef } from '../api';
import { errorMessage } from './errors';
import { formatTime, STRATEGY_LABELS } from './format';
import {
  checkPlan,
  PlanRow,
  resolveImage,
  STARTING_PLANS,
  toRows,
} from './plan';

/** A justification for breaking a freeze must say something. */
export const MIN_JUSTIFICATION_LENGTH = 20;

const STRATEGY_HELP: Record<Strategy, string> = {
  rolling:
    'Kubernetes replaces the pods one by one; no traffic split, no steps.',
  canary:
    'A new Deployment beside the stable one; the VirtualService moves traffic to it step by step.',
  'blue-green':
    'The new version starts beside the old one behind a preview service; all traffic switches at once, and the old version stays warm for an instant switch back.',
};

function PlanEditor(props: {
  rows: PlanRow[];
  onChange: (rows: PlanRow[]) => void;
  errors: ReturnType<typeof checkPlan>;
  showErrors: boolean;
  /** Blue-green: the preview and the switch, weights fixed. */
  fixedWeights?: boolean;
}) {
  const { rows, onChange, errors, showErrors, fixedWeights } = props;
  const update = (i: number, patch: Partial<PlanRow>) =>
    onChange(rows.map((row, j) => (j === i ? { ...row, ...patch } : row)));
  return (
    <Box component="fieldset" border={0} p={0} m={0}>
      <Typography component="legend" variant="subtitle2">
        {fixedWeights
          ? 'Step plan: the preview (0 %, reachable on the preview service), then the switch (100 %)'
          : 'Step plan (weights must rise and end at 100 %)'}
      </Typography>
      {rows.map((row, i) => {
        const n = i + 1;
        const rowErrors = errors.rows[i] ?? {};
        return (
          <Box
            key={i}
            display="flex"
            alignItems="flex-start"
            flexWrap="wrap"
            style={{ gap: 8 }}
            mt={1}
          >
            <TextField
              id={`fincloud-step-${n}-weight`}
              label={`Step ${n} weight`}
              value={row.weight}
              onChange={e => update(i, { weight: e.target.value })}
              error={showErrors && !!rowErrors.weight}
              helperText={showErrors ? rowErrors.weight : undefined}
              disabled={fixedWeights}
              size="small"
              variant="outlined"
              style={{ width: 150 }}
              inputProps={{ inputMode: 'numeric' }}
              InputProps={{
                endAdornment: <InputAdornment position="end">%</InputAdornment>,
              }}
            />
            <TextField
              id={`fincloud-step-${n}-pause`}
              label={`Step ${n} pause`}
              value={row.pause}
              onChange={e => update(i, { pause: e.target.value })}
              error={showErrors && !!rowErrors.pause}
              helperText={showErrors ? rowErrors.pause : undefined}
              size="small"
              variant="outlined"
              style={{ width: 150 }}
              inputProps={{ inputMode: 'numeric' }}
              InputProps={{
                endAdornment: <InputAdornment position="end">s</InputAdornment>,
              }}
            />
            <FormControlLabel
              control={
                <Checkbox
                  checked={row.approval}
                  onChange={e => update(i, { approval: e.target.checked })}
                  inputProps={{ 'aria-label': `Step ${n} waits for approval` }}
                />
              }
              label="approval"
            />
            <FormControlLabel
              control={
                <Checkbox
                  checked={row.analysis}
                  onChange={e => update(i, { analysis: e.target.checked })}
                  inputProps={{
                    'aria-label': `Step ${n} runs metric analysis`,
                  }}
                />
              }
              label="analysis"
            />
            {!fixedWeights && (
              <IconButton
                aria-label={`Remove step ${n}`}
                onClick={() => onChange(rows.filter((_, j) => j !== i))}
                disabled={rows.length === 1}
              >
                <DeleteIcon />
              </IconButton>
            )}
          </Box>
        );
      })}
      <Box mt={1} display={fixedWeights ? 'none' : 'block'}>
        <Button
          size="small"
          startIcon={<AddIcon />}
          onClick={() =>
            onChange([
              ...rows,
              { weight: '', pause: '', approval: false, analysis: false },
            ])
          }
        >
          Add step
        </Button>
      </Box>
      {showErrors && errors.plan && (
        <Typography color="error" variant="body2" role="alert">
          {errors.plan}
        </Typography>
      )}
    </Box>
  );
}

/**
 * Starts a release: the image (the latest successful build when the builds
 * plugin answers, or a tag), the strategy, the step plan; warns about a
 * change freeze (break-glass for the platform team) and about a scheduling
 * profile the cluster cannot satisfy.
 */
export function NewReleaseDialog(props: {
  open: boolean;
  entityRef: string;
  mayBreakGlass: boolean;
  onClose: () => void;
  onCreated: (release: Release) => void;
}) {
  const { open, entityRef, onClose, onCreated, mayBreakGlass } = props;
  const api = useApi(releasesApiRef);
  const [options, setOptions] = useState<ReleaseOptions | undefined>();
  const [build, setBuild] = useState<LatestBuildImage | undefined>();
  const [loadError, setLoadError] = useState<string | undefined>();
  const [image, setImage] = useState('');
  const [strategy, setStrategy] = useState<Strategy>('canary');
  // Per strategy: the plan being edited; absent = the service's default.
  const [plans, setPlans] = useState<Partial<Record<Strategy, PlanRow[]>>>({});
  const [breakGlass, setBreakGlass] = useState(false);
  const [justification, setJustification] = useState('');
  const [submitted, setSubmitted] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();

  useEffect(() => {
    if (!open) return undefined;
    let cancelled = false;
    setOptions(undefined);
    setLoadError(undefined);
    setError(undefined);
    setSubmitted(false);
    setBreakGlass(false);
    setJustification('');
    Promise.all([
      api.getOptions(entityRef),
      api.getLatestBuildImage(entityRef),
    ]).then(
      ([opts, latest]) => {
        if (cancelled) return;
        setOptions(opts);
        setBuild(latest);
        setImage(latest?.image ?? '');
        setStrategy(opts.defaultStrategy);
        setPlans(
          opts.defaultStrategy === 'rolling'
            ? {}
            : { [opts.defaultStrategy]: toRows(opts.defaultPlan) },
        );
      },
      e => {
        if (!cancelled) setLoadError(errorMessage(e));
      },
    );
    return () => {
      cancelled = true;
    };
  }, [open, api, entityRef]);

  const rows = strategy === 'rolling' ? undefined : plans[strategy];
  const plan = useMemo(
    () => (rows ? checkPlan(rows, strategy) : undefined),
    [rows, strategy],
  );
  const setRows = (next: PlanRow[]) =>
    setPlans(current => ({ ...current, [strategy]: next }));
  const resolved = resolveImage(image, options?.currentImage);
  const frozen = !!options?.freeze?.active;
  const justificationShort =
    justification.trim().length < MIN_JUSTIFICATION_LENGTH;
  const blocked = frozen && (!mayBreakGlass || !breakGlass);

  const submit = async () => {
    setSubmitted(true);
    if (!options || resolved.error) return;
    if (plan && !plan.steps) return;
    if (blocked) return;
    if (frozen && breakGlass && justificationShort) return;
    setBusy(true);
    setError(undefined);
    try {
      const release = await api.createRelease(entityRef, {
        image: resolved.image!,
        strategy,
        ...(plan?.steps ? { steps: plan.steps } : {}),
        ...(frozen && breakGlass
          ? { breakGlass: { justification: justification.trim() } }
          : {}),
      });
      onCreated(release);
      onClose();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  const imageHelp = () => {
    if (submitted && resolved.error) return resolved.error;
    if (build && image === build.image) {
      const about = [
        build.buildNumber !== undefined ? `#${build.buildNumber}` : undefined,
        build.finishedAt ? formatTime(build.finishedAt) : undefined,
      ].filter(Boolean);
      return `From the latest successful build${
        about.length ? ` (${about.join(', ')})` : ''
      }.`;
    }
    if (resolved.image && resolved.image !== image.trim()) {
      return `Releases ${resolved.image}`;
    }
    return options?.currentImage
      ? `A tag (put on the running image's repository) or a full reference. Running now: ${options.currentImage}`
      : 'A full image reference, e.g. registry/team/service:1.4.0';
  };

  return (
    <Dialog
      open={open}
      onClose={busy ? undefined : onClose}
      aria-labelledby="fincloud-new-release-title"
      fullWidth
      maxWidth="md"
    >
      <DialogTitle id="fincloud-new-release-title">New release</DialogTitle>
      <DialogContent>
        {loadError && (
          <Alert severity="error" role="alert">
            Could not read the release options: {loadError}
          </Alert>
        )}
        {!loadError && !options && <Progress />}
        {options && (
          <>
            {frozen && (
              <Box mb={2}>
                <Alert severity="warning" aria-label="Change freeze">
                  <AlertTitle>Change freeze in effect</AlertTitle>
                  {options.freeze?.window ? `${options.freeze.window}. ` : ''}
                  {options.freeze?.until
                    ? `Until ${formatTime(options.freeze.until)}. `
                    : ''}
                  {mayBreakGlass
                    ? 'Releases are refused unless you break the glass with a justification; it is audited.'
                    : 'Releases are refused until it ends; only the platform team can break the glass.'}
                </Alert>
              </Box>
            )}
            {!frozen && options.freeze?.window && (
              <Box mb={2}>
                <Alert severity="info" aria-label="Next change freeze">
                  Next change freeze: {options.freeze.window}
                </Alert>
              </Box>
            )}
            {options.scheduling && !options.scheduling.satisfiable && (
              <Box mb={2}>
                <Alert severity="warning" aria-label="Scheduling warning">
                  <AlertTitle>
                    Scheduling profile {options.scheduling.profile} cannot be
                    satisfied
                  </AlertTitle>
                  {options.scheduling.message} The new pods would stay Pending.
                </Alert>
              </Box>
            )}
            <TextField
              id="fincloud-release-image"
              label="Image"
              value={image}
              onChange={e => setImage(e.target.value)}
              error={submitted && !!resolved.error}
              helperText={imageHelp()}
              fullWidth
              required
              variant="outlined"
              margin="dense"
            />
            <TextField
              id="fincloud-release-strategy"
              select
              label="Strategy"
              value={strategy}
              onChange={e => setStrategy(e.target.value as Strategy)}
              helperText={STRATEGY_HELP[strategy]}
              fullWidth
              variant="outlined"
              margin="dense"
            >
              {options.strategies.map(s => (
                <MenuItem key={s} value={s}>
                  {STRATEGY_LABELS[s]}
                </MenuItem>
              ))}
            </TextField>
            {strategy !== 'rolling' && rows && plan && (
              <Box mt={2}>
                <PlanEditor
                  rows={rows}
                  onChange={setRows}
                  errors={plan}
                  showErrors={submitted || rows.some(r => r.weight !== '')}
                  fixedWeights={strategy === 'blue-green'}
                />
              </Box>
            )}
            {strategy !== 'rolling' && !rows && (
              <Box mt={2} display="flex" alignItems="center" style={{ gap: 8 }}>
                <Typography variant="body2">
                  Uses the platform's default{' '}
                  {STRATEGY_LABELS[strategy].toLocaleLowerCase('en-US')} plan.
                </Typography>
                <Button
                  size="small"
                  onClick={() => setRows(toRows(STARTING_PLANS[strategy]))}
                >
                  Customise the plan
                </Button>
              </Box>
            )}
            <Box mt={2}>
              <Typography variant="body2" color="textSecondary">
                {options.requiredApprovals > 0
                  ? `Starts after ${options.requiredApprovals} approval${
                      options.requiredApprovals === 1 ? '' : 's'
                    } by a team lead of the owning team (not you).`
                  : 'Starts at once; no approval is required for this service.'}
                {options.scheduling?.satisfiable
                  ? ` Scheduling profile ${options.scheduling.profile}: ${
                      options.scheduling.nodes.length
                    } eligible node${
                      options.scheduling.nodes.length === 1 ? '' : 's'
                    }.`
                  : ''}
              </Typography>
            </Box>
            {frozen && mayBreakGlass && (
              <Box mt={2}>
                <FormControlLabel
                  control={
                    <Checkbox
                      checked={breakGlass}
                      onChange={e => setBreakGlass(e.target.checked)}
                    />
                  }
                  label="Break the glass: release inside the freeze"
                />
                {breakGlass && (
                  <TextField
                    id="fincloud-release-justification"
                    label="Justification"
                    value={justification}
                    onChange={e => setJustification(e.target.value)}
                    error={submitted && justificationShort}
                    helperText={
                      submitted && justificationShort
                        ? `At least ${MIN_JUSTIFICATION_LENGTH} characters: the incident or change this release fixes.`
                        : 'Recorded with the release and in the audit trail at high severity.'
                    }
                    multiline
                    minRows={2}
                    fullWidth
                    required
                    variant="outlined"
                    margin="dense"
                  />
                )}
              </Box>
            )}
            {error && (
              <Box mt={2}>
                <Alert severity="error" role="alert">
                  {error}
                </Alert>
              </Box>
            )}
          </>
        )}
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose} disabled={busy}>
          Cancel
        </Button>
        <Button
          onClick={submit}
          color="primary"
          variant="contained"
          disabled={!options || busy || blocked}
          startIcon={busy ? <CircularProgress size={16} /> : undefined}
        >
          Start release
        </Button>
      </DialogActions>
    </Dialog>
  );
}
