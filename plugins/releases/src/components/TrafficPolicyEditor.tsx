import {
  Fragment,
  ReactNode,
  useCallback,
  useEffect,
  useMemo,
  useRef,
  useState,
} from 'react';
import {
  InfoCard,
  Progress,
  ResponseErrorPanel,
  StatusAborted,
  StatusOK,
  StatusPending,
  StatusWarning,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import {
  PolicyLint,
  TrafficPolicyLintResult,
  TrafficPolicyProposal,
  TrafficPolicyView,
} from '@fincloud/plugin-releases-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import FormControlLabel from '@material-ui/core/FormControlLabel';
import Grid from '@material-ui/core/Grid';
import List from '@material-ui/core/List';
import ListItem from '@material-ui/core/ListItem';
import ListItemIcon from '@material-ui/core/ListItemIcon';
import ListItemText from '@material-ui/core/ListItemText';
import MenuItem from '@material-ui/core/MenuItem';
import Switch from '@material-ui/core/Switch';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import ErrorIcon from '@material-ui/icons/Error';
import WarningIcon from '@material-ui/icons/Warning';
import Alert from '@material-ui/lab/Alert';
import { releasesApiRef } from '../api';
import { approvalBlocker } from './ApprovalsPanel';
import { ConfirmDialog } from './ConfirmDialog';
import { errorMessage } from './errors';
import { formatTime, formatUser } from './format';
import { ReleasePermissions } from './hooks';
import { formToPolicy, PolicyForm, policyToForm } from './policyForm';

/** Lint runs this long after the last keystroke. */
export const LINT_DEBOUNCE_MS = 400;

const useStyles = makeStyles(theme => ({
  diff: {
    fontFamily: 'monospace',
    fontSize: theme.typography.body2.fontSize,
    whiteSpace: 'pre',
    overflowX: 'auto',
    margin: 0,
    padding: theme.spacing(1),
    background: theme.palette.background.default,
    border: `1px solid ${theme.palette.divider}`,
    borderRadius: theme.shape.borderRadius,
  },
  added: { color: theme.palette.success.dark, display: 'block' },
  removed: { color: theme.palette.error.dark, display: 'block' },
  context: { display: 'block' },
}));

export function DiffView(props: { diff: string; label: string }) {
  const classes = useStyles();
  if (!props.diff.trim()) {
    return (
      <Typography
        variant="body2"
        color="textSecondary"
        aria-label={props.label}
      >
        No change from what runs in the cluster.
      </Typography>
    );
  }
  return (
    <pre className={classes.diff} aria-label={props.label}>
      {props.diff.split('\n').map((line, i) => {
        let cls = classes.context;
        if (line.startsWith('+') && !line.startsWith('+++'))
          cls = classes.added;
        else if (line.startsWith('-') && !line.startsWith('---'))
          cls = classes.removed;
        return (
          <span key={i} className={cls}>
            {line || ' '}
          </span>
        );
      })}
    </pre>
  );
}

export function LintList(props: { lint: PolicyLint[] }) {
  if (props.lint.length === 0) {
    return (
      <Typography variant="body2" aria-label="Policy lint">
        <StatusOK>No known pitfalls found.</StatusOK>
      </Typography>
    );
  }
  return (
    <List dense aria-label="Policy lint" disablePadding>
      {props.lint.map((finding, i) => (
        <ListItem key={`${finding.rule}-${i}`} disableGutters>
          <ListItemIcon style={{ minWidth: 32 }}>
            {finding.severity === 'error' ? (
              <ErrorIcon color="error" aria-label="error" />
            ) : (
              <WarningIcon style={{ color: '#ed6c02' }} aria-label="warning" />
            )}
          </ListItemIcon>
          <ListItemText
            primary={finding.message}
            secondary={`${finding.rule} · ${finding.path}`}
            primaryTypographyProps={{ style: { whiteSpace: 'normal' } }}
          />
        </ListItem>
      ))}
    </List>
  );
}

function Section(props: {
  title: string;
  help: string;
  enabled: boolean;
  onToggle: (enabled: boolean) => void;
  children: ReactNode;
}) {
  return (
    <Box component="fieldset" border={0} p={0} m={0} mb={2}>
      <FormControlLabel
        control={
          <Switch
            checked={props.enabled}
            onChange={e => props.onToggle(e.target.checked)}
            color="primary"
          />
        }
        label={<Typography variant="subtitle2">{props.title}</Typography>}
      />
      <Typography variant="caption" color="textSecondary" component="div">
        {props.help}
      </Typography>
      {props.enabled && (
        <Box display="flex" flexWrap="wrap" style={{ gap: 8 }} mt={1}>
          {props.children}
        </Box>
      )}
    </Box>
  );
}

function ProposalState(props: { state: TrafficPolicyProposal['state'] }) {
  switch (props.state) {
    case 'applied':
      return <StatusOK>Applied</StatusOK>;
    case 'rejected':
      return <StatusAborted>Rejected</StatusAborted>;
    case 'reverted':
      return <StatusWarning>Reverted</StatusWarning>;
    default:
      return <StatusPending>Awaiting approval</StatusPending>;
  }
}

function Proposals(props: {
  proposals: TrafficPolicyProposal[];
  permissions: ReleasePermissions;
  userRef?: string;
  onApprove: (p: TrafficPolicyProposal, reason: string) => Promise<unknown>;
  onRevert: (p: TrafficPolicyProposal, reason: string) => Promise<unknown>;
}) {
  const [dialog, setDialog] = useState<
    { kind: 'approve' | 'revert'; proposal: TrafficPolicyProposal } | undefined
  >();
  const [open, setOpen] = useState<string | undefined>();
  if (props.proposals.length === 0) {
    return (
      <Typography variant="body2" color="textSecondary">
        No traffic policy has been proposed for this service yet.
      </Typography>
    );
  }
  return (
    <>
      <Table size="small" aria-label="Traffic policy proposals">
        <TableHead>
          <TableRow>
            <TableCell>Proposed</TableCell>
            <TableCell>By</TableCell>
            <TableCell>State</TableCell>
            <TableCell>Lint</TableCell>
            <TableCell>Approvals</TableCell>
            <TableCell>Actions</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {props.proposals.map(p => {
            const blocker =
              p.state === 'awaiting-approval'
                ? approvalBlocker({
                    requestedBy: p.requestedBy,
                    approvals: p.approvals,
                    userRef: props.userRef,
                    mayApprove: props.permissions.approve,
                  })
                : undefined;
            const errors = p.lint.filter(l => l.severity === 'error').length;
            const warnings = p.lint.length - errors;
            return (
              <Fragment key={p.id}>
                <TableRow>
                  <TableCell>{formatTime(p.createdAt)}</TableCell>
                  <TableCell>{formatUser(p.requestedBy)}</TableCell>
                  <TableCell>
                    <ProposalState state={p.state} />
                    {p.appliedAt && (
                      <Typography variant="caption" component="div">
                        applied {formatTime(p.appliedAt)}
                      </Typography>
                    )}
                  </TableCell>
                  <TableCell>
                    {errors} error{errors === 1 ? '' : 's'}, {warnings} warning
                    {warnings === 1 ? '' : 's'}
                  </TableCell>
                  <TableCell>
                    {p.approvals.length === 0
                      ? '—'
                      : p.approvals
                          .map(
                            a =>
                              `${a.decision} by ${formatUser(a.by)} (“${
                                a.reason
                              }”)`,
                          )
                          .join('; ')}
                  </TableCell>
                  <TableCell>
                    <Box
                      display="flex"
                      flexWrap="wrap"
                      alignItems="center"
                      style={{ gap: 4 }}
                    >
                      <Button
                        size="small"
                        onClick={() =>
                          setOpen(open === p.id ? undefined : p.id)
                        }
                      >
                        {open === p.id ? 'Hide diff' : 'Show diff'}
                      </Button>
                      {p.state === 'awaiting-approval' && !blocker && (
                        <Button
                          size="small"
                          color="primary"
                          variant="contained"
                          onClick={() =>
                            setDialog({ kind: 'approve', proposal: p })
                          }
                        >
                          Approve
                        </Button>
                      )}
                      {p.state === 'awaiting-approval' && blocker && (
                        <Typography
                          variant="caption"
                          color="textSecondary"
                          role="note"
                        >
                          {blocker}
                        </Typography>
                      )}
                      {p.state === 'applied' &&
                        props.permissions.policyWrite && (
                          <Button
                            size="small"
                            color="secondary"
                            variant="outlined"
                            onClick={() =>
                              setDialog({ kind: 'revert', proposal: p })
                            }
                          >
                            Revert
                          </Button>
                        )}
                    </Box>
                  </TableCell>
                </TableRow>
                {open === p.id && (
                  <TableRow>
                    <TableCell colSpan={6}>
                      <DiffView
                        diff={p.diff}
                        label={`Diff of the proposal of ${formatTime(
                          p.createdAt,
                        )}`}
                      />
                    </TableCell>
                  </TableRow>
                )}
              </Fragment>
            );
          })}
        </TableBody>
      </Table>
      <ConfirmDialog
        open={dialog?.kind === 'approve'}
        title="Approve this traffic policy?"
        description={`Proposed by ${formatUser(
          dialog?.proposal.requestedBy,
        )}; it is applied to the cluster once the approvals it needs are in.`}
        confirmLabel="Approve"
        reason
        onConfirm={reason => props.onApprove(dialog!.proposal, reason)}
        onClose={() => setDialog(undefined)}
      />
      <ConfirmDialog
        open={dialog?.kind === 'revert'}
        title="Revert this traffic policy?"
        description="The policy in force before it is applied again at once."
        confirmLabel="Revert"
        reason
        danger
        onConfirm={reason => props.onRevert(dialog!.proposal, reason)}
        onClose={() => setDialog(undefined)}
      />
    </>
  );
}

/**
 * Circuit breaking (DestinationRule connection pool and outlier detection)
 * and local rate limiting (Envoy's local_ratelimit, shadow or enforce) per
 * subset: typed fields, live lint and diff against the cluster, submit for
 * approval, approve, revert.
 */
export function TrafficPolicyEditor(props: {
  entityRef: string;
  permissions: ReleasePermissions;
  userRef?: string;
}) {
  const { entityRef, permissions, userRef } = props;
  const api = useApi(releasesApiRef);
  const [view, setView] = useState<TrafficPolicyView | undefined>();
  const [loadError, setLoadError] = useState<Error | undefined>();
  const [form, setForm] = useState<PolicyForm | undefined>();
  const [lint, setLint] = useState<TrafficPolicyLintResult | undefined>();
  const [lintError, setLintError] = useState<string | undefined>();
  const [linting, setLinting] = useState(false);
  const [submitting, setSubmitting] = useState(false);
  const [notice, setNotice] = useState<
    { severity: 'success' | 'error'; text: string } | undefined
  >();
  const lintGeneration = useRef(0);

  const load = useCallback(
    (resetForm: boolean) =>
      api.getTrafficPolicy(entityRef).then(
        next => {
          setView(next);
          setLoadError(undefined);
          if (resetForm) setForm(policyToForm(next.current));
        },
        e => setLoadError(e),
      ),
    [api, entityRef],
  );

  useEffect(() => {
    load(true);
  }, [load]);

  const checked = useMemo(
    () => (form ? formToPolicy(form) : undefined),
    [form],
  );
  const formErrors = checked?.errors ?? {};
  const hasFormErrors = Object.keys(formErrors).length > 0;

  useEffect(() => {
    if (!checked || hasFormErrors) return undefined;
    const mine = ++lintGeneration.current;
    setLinting(true);
    const timer = setTimeout(() => {
      api.lintTrafficPolicy(entityRef, checked.policy).then(
        result => {
          if (lintGeneration.current !== mine) return;
          setLint(result);
          setLintError(undefined);
          setLinting(false);
        },
        e => {
          if (lintGeneration.current !== mine) return;
          setLintError(errorMessage(e));
          setLinting(false);
        },
      );
    }, LINT_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [api, entityRef, checked, hasFormErrors]);

  if (loadError) {
    return (
      <ResponseErrorPanel
        title="Could not load the traffic policy"
        error={loadError}
      />
    );
  }
  if (!view || !form) return <Progress />;

  const set = <K extends keyof PolicyForm>(
    key: K,
    patch: Partial<PolicyForm[K]>,
  ) =>
    setForm(current =>
      current
        ? {
            ...current,
            [key]:
              typeof patch === 'object'
                ? { ...(current[key] as object), ...patch }
                : patch,
          }
        : current,
    );

  const field = (
    section: 'pool' | 'outlier' | 'rateLimit',
    name: string,
    label: string,
    path: string,
    help?: string,
  ) => {
    const lintHere = lint?.lint.find(l => l.path === path);
    const error = formErrors[path];
    return (
      <TextField
        key={name}
        id={`fincloud-policy-${path.replace(/\./g, '-')}`}
        label={label}
        value={(form[section] as unknown as Record<string, string>)[name]}
        onChange={e => set(section, { [name]: e.target.value } as any)}
        error={!!error || lintHere?.severity === 'error'}
        helperText={error ?? lintHere?.message ?? help}
        size="small"
        variant="outlined"
        style={{ width: 270 }}
      />
    );
  };

  const lintErrors = lint?.lint.some(l => l.severity === 'error') ?? false;
  const pending = view.proposals.some(p => p.state === 'awaiting-approval');
  const submit = async () => {
    if (!checked || hasFormErrors) return;
    setSubmitting(true);
    setNotice(undefined);
    try {
      await api.proposeTrafficPolicy(entityRef, checked.policy);
      setNotice({
        severity: 'success',
        text: 'Submitted: a team lead of the owning team (or the platform team) must approve it before it is applied.',
      });
      await load(false);
    } catch (e) {
      setNotice({ severity: 'error', text: errorMessage(e) });
    } finally {
      setSubmitting(false);
    }
  };

  return (
    <Grid container spacing={3}>
      <Grid item xs={12} lg={7}>
        <InfoCard
          title="Traffic policy"
          subheader="Circuit breaking and rate limiting without code changes"
        >
          <TextField
            id="fincloud-policy-subset"
            select
            label="Applies to"
            value={form.subset}
            onChange={e =>
              set('subset', e.target.value as PolicyForm['subset'])
            }
            size="small"
            variant="outlined"
            style={{ width: 240, marginBottom: 16 }}
          >
            <MenuItem value="all">All pods</MenuItem>
            <MenuItem value="stable">Stable subset</MenuItem>
            <MenuItem value="canary">Canary subset</MenuItem>
          </TextField>
          <Section
            title="Connection pool"
            help="Istio DestinationRule connectionPool: requests beyond these limits fail fast (503 UO) instead of piling up."
            enabled={form.pool.enabled}
            onToggle={enabled => set('pool', { enabled })}
          >
            {field(
              'pool',
              'maxConnections',
              'Max connections (TCP)',
              'connectionPool.tcp.maxConnections',
            )}
            {field(
              'pool',
              'connectTimeout',
              'Connect timeout',
              'connectionPool.tcp.connectTimeout',
              'e.g. 500ms',
            )}
            {field(
              'pool',
              'http1MaxPendingRequests',
              'Max pending requests (HTTP/1.1)',
              'connectionPool.http.http1MaxPendingRequests',
            )}
            {field(
              'pool',
              'http2MaxRequests',
              'Max requests (HTTP/2)',
              'connectionPool.http.http2MaxRequests',
            )}
            {field(
              'pool',
              'maxRequestsPerConnection',
              'Max requests per connection',
              'connectionPool.http.maxRequestsPerConnection',
            )}
            {field(
              'pool',
              'maxRetries',
              'Max retries',
              'connectionPool.http.maxRetries',
            )}
          </Section>
          <Section
            title="Outlier detection"
            help="Istio DestinationRule outlierDetection: pods that keep failing are ejected from the load-balancing pool for a while."
            enabled={form.outlier.enabled}
            onToggle={enabled => set('outlier', { enabled })}
          >
            {field(
              'outlier',
              'consecutive5xxErrors',
              'Consecutive 5xx errors',
              'outlierDetection.consecutive5xxErrors',
            )}
            {field(
              'outlier',
              'interval',
              'Interval',
              'outlierDetection.interval',
              'e.g. 10s',
            )}
            {field(
              'outlier',
              'baseEjectionTime',
              'Base ejection time',
              'outlierDetection.baseEjectionTime',
              'e.g. 30s',
            )}
            {field(
              'outlier',
              'maxEjectionPercent',
              'Max ejection %',
              'outlierDetection.maxEjectionPercent',
            )}
          </Section>
          <Section
            title="Rate limit"
            help="Envoy local_ratelimit token bucket per pod (an EnvoyFilter). Shadow counts what would be refused without refusing; enforce answers 429."
            enabled={form.rateLimit.enabled}
            onToggle={enabled => set('rateLimit', { enabled })}
          >
            {field(
              'rateLimit',
              'maxTokens',
              'Bucket size (tokens)',
              'rateLimit.maxTokens',
            )}
            {field(
              'rateLimit',
              'tokensPerFill',
              'Tokens per fill',
              'rateLimit.tokensPerFill',
            )}
            {field(
              'rateLimit',
              'fillIntervalSeconds',
              'Fill interval (s)',
              'rateLimit.fillIntervalSeconds',
            )}
            <TextField
              id="fincloud-policy-rate-limit-mode"
              select
              label="Mode"
              value={form.rateLimit.mode}
              onChange={e =>
                set('rateLimit', {
                  mode: e.target.value as 'shadow' | 'enforce',
                })
              }
              size="small"
              variant="outlined"
              style={{ width: 270 }}
            >
              <MenuItem value="shadow">Shadow (count only)</MenuItem>
              <MenuItem value="enforce">Enforce (refuse with 429)</MenuItem>
            </TextField>
          </Section>
          {permissions.policyWrite ? (
            <Box display="flex" alignItems="center" style={{ gap: 12 }}>
              <Button
                variant="contained"
                color="primary"
                onClick={submit}
                disabled={
                  submitting || linting || hasFormErrors || lintErrors || !lint
                }
              >
                Submit for approval
              </Button>
              <Button
                onClick={() => setForm(policyToForm(view.current))}
                disabled={submitting}
              >
                Reset to the current policy
              </Button>
              {lintErrors && (
                <Typography variant="body2" color="error">
                  Fix the lint errors first.
                </Typography>
              )}
              {pending && !lintErrors && (
                <Typography variant="body2" color="textSecondary">
                  Another proposal is waiting for approval.
                </Typography>
              )}
            </Box>
          ) : (
            <Typography variant="body2" color="textSecondary" role="note">
              Proposing a traffic policy is for the service's developers and the
              platform team; you can try values here and see the lint.
            </Typography>
          )}
          {notice && (
            <Box mt={2}>
              <Alert
                severity={notice.severity}
                role={notice.severity === 'error' ? 'alert' : 'status'}
              >
                {notice.text}
              </Alert>
            </Box>
          )}
        </InfoCard>
      </Grid>
      <Grid item xs={12} lg={5}>
        <InfoCard
          title="Lint and diff"
          subheader={linting ? 'Checking…' : 'Against what runs in the cluster'}
        >
          {hasFormErrors && (
            <Typography variant="body2" color="error">
              Correct the highlighted fields to see the lint and the diff.
            </Typography>
          )}
          {lintError && (
            <Alert severity="error" role="alert">
              Could not lint: {lintError}
            </Alert>
          )}
          {!hasFormErrors && lint && (
            <>
              <LintList lint={lint.lint} />
              <Box mt={2}>
                <Typography variant="subtitle2">
                  Diff against the cluster
                </Typography>
                <DiffView diff={lint.diff} label="Diff against the cluster" />
              </Box>
            </>
          )}
        </InfoCard>
      </Grid>
      <Grid item xs={12}>
        <InfoCard title="Proposals">
          <Proposals
            proposals={view.proposals}
            permissions={permissions}
            userRef={userRef}
            onApprove={async (p, reason) => {
              await api.approveTrafficPolicy(p.id, reason);
              await load(false);
            }}
            onRevert={async (p, reason) => {
              await api.revertTrafficPolicy(p.id, reason);
              await load(true);
            }}
          />
        </InfoCard>
      </Grid>
    </Grid>
  );
}
