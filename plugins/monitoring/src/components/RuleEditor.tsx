import { useMemo, useState } from 'react';
import { StatusError, StatusOK } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import {
  ALERT_RULE_NAME_PATTERN,
  AlertRulePreview,
  AlertRuleSpec,
  Comparison,
  MAX_RULE_FOR_MINUTES,
  Panel,
} from '@fincloud/plugin-monitoring-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogTitle from '@material-ui/core/DialogTitle';
import Grid from '@material-ui/core/Grid';
import InputAdornment from '@material-ui/core/InputAdornment';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import { Alert as MuiAlert } from '@material-ui/lab';
import { monitoringApiRef } from '../api';
import { errorMessage } from './errors';
import { formatValue, unitLabel } from './format';

const COMPARISONS: Comparison[] = ['>', '>=', '<', '<='];
const SEVERITIES: AlertRuleSpec['severity'][] = ['critical', 'warning', 'info'];

const useStyles = makeStyles(theme => ({
  preview: {
    marginTop: theme.spacing(2),
    padding: theme.spacing(1.5),
    border: `1px solid ${theme.palette.divider}`,
    borderRadius: theme.shape.borderRadius,
  },
  expr: {
    fontFamily: 'monospace',
    fontSize: 12,
    whiteSpace: 'pre-wrap',
    wordBreak: 'break-all',
    margin: theme.spacing(1, 0, 0),
    color: theme.palette.text.secondary,
  },
}));

/** The form as typed: numbers stay text until they are checked. */
interface Draft {
  name: string;
  metric: string;
  comparison: Comparison;
  threshold: string;
  forMinutes: string;
  severity: AlertRuleSpec['severity'];
  summary: string;
}

export function newDraft(panels: Pick<Panel, 'id' | 'thresholds'>[]): Draft {
  const metric =
    panels.find(p => p.id === 'error-ratio')?.id ?? panels[0]?.id ?? '';
  const panel = panels.find(p => p.id === metric);
  const threshold =
    panel?.thresholds?.find(t => t.color === 'error')?.value ??
    panel?.thresholds?.[0]?.value ??
    0;
  return {
    name: '',
    metric,
    comparison: '>',
    threshold: String(threshold),
    forMinutes: '5',
    severity: 'warning',
    summary: '',
  };
}

function draftOf(rule: AlertRuleSpec): Draft {
  return {
    name: rule.name,
    metric: rule.metric,
    comparison: rule.comparison,
    threshold: String(rule.threshold),
    forMinutes: String(rule.forMinutes),
    severity: rule.severity,
    summary: rule.summary ?? '',
  };
}

/** The problems of a draft by field, and the rule when there are none. */
export function checkDraft(
  draft: Draft,
  metrics: string[],
): { problems: Partial<Record<keyof Draft, string>>; rule?: AlertRuleSpec } {
  const problems: Partial<Record<keyof Draft, string>> = {};
  if (!ALERT_RULE_NAME_PATTERN.test(draft.name)) {
    problems.name =
      'Letters, digits and _ only, not starting with a digit (e.g. HighErrorRatio)';
  }
  if (!metrics.includes(draft.metric)) problems.metric = 'Pick a metric';
  const threshold = Number(draft.threshold);
  if (draft.threshold.trim() === '' || !Number.isFinite(threshold)) {
    problems.threshold = 'A number';
  }
  const forMinutes = Number(draft.forMinutes);
  if (
    draft.forMinutes.trim() === '' ||
    !Number.isInteger(forMinutes) ||
    forMinutes < 0 ||
    forMinutes > MAX_RULE_FOR_MINUTES
  ) {
    problems.forMinutes = `Whole minutes from 0 to ${MAX_RULE_FOR_MINUTES}`;
  }
  if (Object.keys(problems).length > 0) return { problems };
  const summary = draft.summary.trim();
  return {
    problems,
    rule: {
      name: draft.name,
      metric: draft.metric,
      comparison: draft.comparison,
      threshold,
      forMinutes,
      severity: draft.severity,
      ...(summary ? { summary } : {}),
    },
  };
}

/**
 * The typed rule editor: metric template, comparison, threshold, for,
 * severity. "Preview" asks the backend for the rule's value now and whether
 * it would fire; Save (for `monitoring.rules.write`) is offered once the
 * rule as it stands has been previewed and Prometheus accepted it.
 */
export function RuleEditor(props: {
  entityRef: string;
  panels: Panel[];
  rule?: AlertRuleSpec;
  canSave: boolean;
  onClose: () => void;
  onSaved: (rule: AlertRuleSpec) => void;
}) {
  const { entityRef, panels, rule, canSave, onClose, onSaved } = props;
  const api = useApi(monitoringApiRef);
  const classes = useStyles();
  const [draft, setDraft] = useState<Draft>(() =>
    rule ? draftOf(rule) : newDraft(panels),
  );
  const [touched, setTouched] = useState(false);
  const [preview, setPreview] = useState<{
    key: string;
    result: AlertRulePreview;
  }>();
  const [busy, setBusy] = useState<'preview' | 'save'>();
  const [error, setError] = useState<string>();
  const metricIds = panels.map(p => p.id);
  const { problems, rule: checked } = checkDraft(draft, metricIds);
  const key = JSON.stringify(checked ?? null);
  const current = preview?.key === key ? preview.result : undefined;
  const panel = panels.find(p => p.id === draft.metric);
  const unit = panel?.unit;
  const editing = rule !== undefined;
  const titleId = 'monitoring-rule-editor-title';

  const metricOptions = useMemo(
    () =>
      panels.map(p => ({
        id: p.id,
        label: `${p.title}${
          unitLabel(p.unit) ? ` (${unitLabel(p.unit)})` : ''
        }`,
      })),
    [panels],
  );

  const set = <K extends keyof Draft>(field: K, value: Draft[K]) => {
    setDraft(d => ({ ...d, [field]: value }));
    setError(undefined);
  };

  const runPreview = async () => {
    setTouched(true);
    if (!checked) return;
    setBusy('preview');
    setError(undefined);
    try {
      const result = await api.previewRule(entityRef, checked);
      setPreview({ key, result });
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(undefined);
    }
  };

  const save = async () => {
    if (!checked || !current?.valid) return;
    setBusy('save');
    setError(undefined);
    try {
      onSaved(await api.saveRule(entityRef, checked));
    } catch (e) {
      setError(errorMessage(e));
      setBusy(undefined);
    }
  };

  const show = (field: keyof Draft) => (touched ? problems[field] : undefined);

  return (
    <Dialog
      open
      onClose={busy ? undefined : onClose}
      aria-labelledby={titleId}
      maxWidth="md"
      fullWidth
    >
      <DialogTitle id={titleId}>
        {editing ? `Edit alert rule ${rule!.name}` : 'New alert rule'}
      </DialogTitle>
      <DialogContent>
        <Typography variant="body2" color="textSecondary" gutterBottom>
          Fires when the metric, for the service as a whole, stays{' '}
          {draft.comparison} the threshold for the given minutes. Saved as a
          rule of the service's PrometheusRule in its namespace.
        </Typography>
        <Grid container spacing={2}>
          <Grid item xs={12} sm={6}>
            <TextField
              id="monitoring-rule-name"
              label="Name"
              value={draft.name}
              onChange={e => set('name', e.target.value)}
              disabled={editing}
              error={!!show('name')}
              helperText={show('name') ?? 'The alert name, e.g. HighErrorRatio'}
              fullWidth
              variant="outlined"
              margin="dense"
              inputProps={{ maxLength: 200 }}
            />
          </Grid>
          <Grid item xs={12} sm={6}>
            <TextField
              select
              id="monitoring-rule-metric"
              label="Metric"
              value={draft.metric}
              onChange={e => set('metric', e.target.value)}
              error={!!show('metric')}
              helperText={show('metric') ?? 'A panel of this dashboard'}
              fullWidth
              variant="outlined"
              margin="dense"
              SelectProps={{ native: true }}
            >
              {metricOptions.map(o => (
                <option key={o.id} value={o.id}>
                  {o.label}
                </option>
              ))}
            </TextField>
          </Grid>
          <Grid item xs={4} sm={2}>
            <TextField
              select
              id="monitoring-rule-comparison"
              label="Comparison"
              value={draft.comparison}
              onChange={e => set('comparison', e.target.value as Comparison)}
              fullWidth
              variant="outlined"
              margin="dense"
              SelectProps={{ native: true }}
            >
              {COMPARISONS.map(c => (
                <option key={c} value={c}>
                  {c}
                </option>
              ))}
            </TextField>
          </Grid>
          <Grid item xs={8} sm={4}>
            <TextField
              id="monitoring-rule-threshold"
              label="Threshold"
              value={draft.threshold}
              onChange={e => set('threshold', e.target.value)}
              error={!!show('threshold')}
              helperText={show('threshold')}
              fullWidth
              variant="outlined"
              margin="dense"
              inputProps={{ inputMode: 'decimal' }}
              InputProps={
                unit && unitLabel(unit)
                  ? {
                      endAdornment: (
                        <InputAdornment position="end">
                          {unitLabel(unit)}
                        </InputAdornment>
                      ),
                    }
                  : undefined
              }
            />
          </Grid>
          <Grid item xs={6} sm={3}>
            <TextField
              id="monitoring-rule-for"
              label="For (minutes)"
              value={draft.forMinutes}
              onChange={e => set('forMinutes', e.target.value)}
              error={!!show('forMinutes')}
              helperText={show('forMinutes') ?? '0 fires at once'}
              fullWidth
              variant="outlined"
              margin="dense"
              inputProps={{ inputMode: 'numeric' }}
            />
          </Grid>
          <Grid item xs={6} sm={3}>
            <TextField
              select
              id="monitoring-rule-severity"
              label="Severity"
              value={draft.severity}
              onChange={e =>
                set('severity', e.target.value as AlertRuleSpec['severity'])
              }
              fullWidth
              variant="outlined"
              margin="dense"
              SelectProps={{ native: true }}
            >
              {SEVERITIES.map(s => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </TextField>
          </Grid>
          <Grid item xs={12}>
            <TextField
              id="monitoring-rule-summary"
              label="Summary (optional)"
              value={draft.summary}
              onChange={e => set('summary', e.target.value)}
              fullWidth
              variant="outlined"
              margin="dense"
              inputProps={{ maxLength: 500 }}
              helperText="Shown with the alert; default: the metric, condition and duration"
            />
          </Grid>
        </Grid>

        {current && (
          <section className={classes.preview} aria-label="Preview">
            {current.valid ? (
              <Box display="flex" alignItems="center" style={{ gap: 16 }}>
                <Typography variant="body2">
                  Current value:{' '}
                  <strong>
                    {unit
                      ? formatValue(current.currentValue, unit)
                      : String(current.currentValue ?? 'no data')}
                  </strong>
                </Typography>
                {current.wouldFire ? (
                  <StatusError>Would fire now</StatusError>
                ) : (
                  <StatusOK>Would not fire now</StatusOK>
                )}
              </Box>
            ) : (
              <MuiAlert severity="error">
                Prometheus refused this rule: {current.error ?? 'invalid'}
              </MuiAlert>
            )}
            <pre className={classes.expr} aria-label="PromQL">
              {current.expr}
            </pre>
          </section>
        )}
        {!canSave && (
          <Typography
            variant="caption"
            color="textSecondary"
            component="p"
            style={{ marginTop: 8 }}
          >
            You can preview rules; saving them is for the owning team and the
            platform team.
          </Typography>
        )}
        {error && (
          <MuiAlert severity="error" style={{ marginTop: 8 }}>
            {error}
          </MuiAlert>
        )}
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose} disabled={!!busy}>
          {canSave ? 'Cancel' : 'Close'}
        </Button>
        <Button onClick={runPreview} disabled={!!busy} color="primary">
          Preview
        </Button>
        {canSave && (
          <Button
            onClick={save}
            disabled={!!busy || !current?.valid}
            color="primary"
            variant="contained"
            title={current?.valid ? undefined : 'Preview the rule first'}
          >
            Save rule
          </Button>
        )}
      </DialogActions>
    </Dialog>
  );
}
