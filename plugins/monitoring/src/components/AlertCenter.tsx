import { useCallback, useEffect, useState } from 'react';
import {
  Content,
  Header,
  Link,
  Page,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  ALERT_GROUP_BY,
  AlertGroup,
  AlertGroupBy,
  monitoringNoiseReadPermission,
  NOISE_WINDOWS,
  NoiseReport,
  NoiseWindow,
  UNOWNED_ALERT_GROUP,
} from '@fincloud/plugin-monitoring-common';
import Box from '@material-ui/core/Box';
import Checkbox from '@material-ui/core/Checkbox';
import FormControlLabel from '@material-ui/core/FormControlLabel';
import FormGroup from '@material-ui/core/FormGroup';
import Grid from '@material-ui/core/Grid';
import IconButton from '@material-ui/core/IconButton';
import Paper from '@material-ui/core/Paper';
import Tab from '@material-ui/core/Tab';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Tabs from '@material-ui/core/Tabs';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import RefreshIcon from '@material-ui/icons/Refresh';
import ToggleButton from '@material-ui/lab/ToggleButton';
import ToggleButtonGroup from '@material-ui/lab/ToggleButtonGroup';
import { useSearchParams } from 'react-router-dom';
import { monitoringApiRef } from '../api';
import {
  AlertStateLabel,
  LabelChips,
  SeverityChip,
  sortAlerts,
} from './AlertBits';
import { formatDateTime, formatGroupKey, formatSince } from './format';
import { useNow } from './hooks';
import { useMonitoringTabLink } from './links';

const SEVERITY_FILTERS = ['critical', 'warning', 'info'];
const REFRESH_MS = 30_000;

const useStyles = makeStyles(theme => ({
  filters: {
    display: 'flex',
    flexWrap: 'wrap',
    alignItems: 'center',
    gap: theme.spacing(2),
    marginBottom: theme.spacing(2),
  },
  group: { padding: theme.spacing(1.5, 2), marginBottom: theme.spacing(2) },
}));

const GROUP_BY_LABELS: Record<AlertGroupBy, string> = {
  owner: 'Owner',
  system: 'System',
  severity: 'Severity',
};

function groupTitle(groupBy: AlertGroupBy, key: string): string {
  if (key === UNOWNED_ALERT_GROUP) return 'No catalog entity';
  return groupBy === 'severity' ? key : formatGroupKey(key);
}

function ServiceLink(props: { entityRef?: string }) {
  const tabLink = useMonitoringTabLink();
  if (!props.entityRef) {
    return (
      <Typography variant="body2" color="textSecondary" component="span">
        —
      </Typography>
    );
  }
  return (
    <Link to={tabLink(props.entityRef)}>{formatGroupKey(props.entityRef)}</Link>
  );
}

function useDebounced<T>(value: T, ms: number): T {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setDebounced(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return debounced;
}

/** Every firing alert the user may see, grouped and filtered. */
function FiringAlerts() {
  const classes = useStyles();
  const api = useApi(monitoringApiRef);
  const now = useNow();
  const [params, setParams] = useSearchParams();
  const groupBy = (ALERT_GROUP_BY as readonly string[]).includes(
    params.get('groupBy') ?? '',
  )
    ? (params.get('groupBy') as AlertGroupBy)
    : 'owner';
  const severity = (params.get('severity') ?? '')
    .split(',')
    .filter(s => SEVERITY_FILTERS.includes(s));
  const severityKey = severity.join(',');
  const [text, setText] = useState(params.get('q') ?? '');
  const q = useDebounced(text.trim(), 300);
  const [groups, setGroups] = useState<AlertGroup[]>();
  const [error, setError] = useState<Error>();
  const [busy, setBusy] = useState(false);

  const update = (changes: Record<string, string | undefined>) => {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(changes)) {
      if (v) next.set(k, v);
      else next.delete(k);
    }
    setParams(next, { replace: true });
  };

  useEffect(() => {
    if ((params.get('q') ?? '') !== q) update({ q: q || undefined });
    // only when the debounced text settles
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [q]);

  const load = useCallback(() => {
    setBusy(true);
    api
      .getAlertCenter({
        groupBy,
        severity: severityKey ? severityKey.split(',') : undefined,
        q: q || undefined,
      })
      .then(
        g => {
          setGroups(g);
          setError(undefined);
        },
        e => setError(e),
      )
      .finally(() => setBusy(false));
  }, [api, groupBy, severityKey, q]);

  useEffect(() => {
    load();
    const timer = setInterval(() => {
      if (typeof document !== 'undefined' && document.hidden) return;
      load();
    }, REFRESH_MS);
    return () => clearInterval(timer);
  }, [load]);

  const total = (groups ?? []).reduce((n, g) => n + g.alerts.length, 0);

  return (
    <>
      <div className={classes.filters}>
        <ToggleButtonGroup
          size="small"
          exclusive
          value={groupBy}
          aria-label="Group by"
          onChange={(_e, value: AlertGroupBy | null) =>
            value && update({ groupBy: value === 'owner' ? undefined : value })
          }
        >
          {ALERT_GROUP_BY.map(g => (
            <ToggleButton key={g} value={g} aria-label={`Group by ${g}`}>
              {GROUP_BY_LABELS[g]}
            </ToggleButton>
          ))}
        </ToggleButtonGroup>
        <FormGroup row aria-label="Severity">
          {SEVERITY_FILTERS.map(s => (
            <FormControlLabel
              key={s}
              label={s}
              control={
                <Checkbox
                  size="small"
                  checked={severity.includes(s)}
                  onChange={e => {
                    const next = e.target.checked
                      ? [...severity, s]
                      : severity.filter(x => x !== s);
                    update({ severity: next.join(',') || undefined });
                  }}
                />
              }
            />
          ))}
        </FormGroup>
        <TextField
          size="small"
          variant="outlined"
          id="monitoring-alert-search"
          label="Search"
          placeholder="alert, service, label"
          value={text}
          onChange={e => setText(e.target.value)}
          inputProps={{ maxLength: 200 }}
        />
        <Box flexGrow={1} />
        <Typography variant="body2" color="textSecondary" aria-live="polite">
          {groups ? `${total} alert${total === 1 ? '' : 's'}` : ''}
        </Typography>
        <IconButton
          aria-label="Refresh"
          onClick={load}
          disabled={busy}
          size="small"
        >
          <RefreshIcon />
        </IconButton>
      </div>
      {error && <ResponseErrorPanel error={error} title="Alerts unavailable" />}
      {!groups && !error && <Progress />}
      {groups && groups.length === 0 && (
        <Typography variant="body1" color="textSecondary">
          Nothing is firing
          {severity.length || q ? ' that matches the filters' : ''}.
        </Typography>
      )}
      {groups?.map(group => (
        <Paper
          key={group.key}
          variant="outlined"
          className={classes.group}
          component="section"
          aria-label={`${groupTitle(groupBy, group.key)} (${
            group.alerts.length
          })`}
        >
          <Typography variant="h6" component="h2" gutterBottom>
            {groupTitle(groupBy, group.key)}{' '}
            <Typography component="span" color="textSecondary">
              ({group.alerts.length})
            </Typography>
          </Typography>
          <Table size="small">
            <TableHead>
              <TableRow>
                <TableCell>State</TableCell>
                <TableCell>Severity</TableCell>
                <TableCell>Alert</TableCell>
                <TableCell>Service</TableCell>
                {groupBy !== 'owner' && <TableCell>Owner</TableCell>}
                <TableCell>Since</TableCell>
                <TableCell>Labels</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {sortAlerts(group.alerts).map(alert => (
                <TableRow
                  key={`${alert.fingerprint}-${alert.source}`}
                  aria-label={`${alert.name} ${alert.state}`}
                >
                  <TableCell>
                    <AlertStateLabel state={alert.state} />
                  </TableCell>
                  <TableCell>
                    <SeverityChip severity={alert.severity} />
                  </TableCell>
                  <TableCell>
                    <Typography variant="body2" style={{ fontWeight: 500 }}>
                      {alert.name}
                    </Typography>
                    {alert.summary && (
                      <Typography variant="caption" color="textSecondary">
                        {alert.summary}
                      </Typography>
                    )}
                  </TableCell>
                  <TableCell>
                    <ServiceLink entityRef={alert.entityRef} />
                  </TableCell>
                  {groupBy !== 'owner' && (
                    <TableCell>
                      {alert.owner ? formatGroupKey(alert.owner) : '—'}
                    </TableCell>
                  )}
                  <TableCell title={formatDateTime(alert.startsAt)}>
                    {formatSince(alert.startsAt, now)}
                  </TableCell>
                  <TableCell>
                    <LabelChips labels={alert.labels} />
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </Paper>
      ))}
    </>
  );
}

/** Top firing rules and flapping alerts (platform, auditors). */
function NoiseView() {
  const api = useApi(monitoringApiRef);
  const [window, setWindow] = useState<NoiseWindow>('24h');
  const [report, setReport] = useState<NoiseReport>();
  const [error, setError] = useState<Error>();

  useEffect(() => {
    let current = true;
    setReport(undefined);
    setError(undefined);
    api.getNoise(window).then(
      r => current && setReport(r),
      e => current && setError(e),
    );
    return () => {
      current = false;
    };
  }, [api, window]);

  return (
    <>
      <Box mb={2}>
        <ToggleButtonGroup
          size="small"
          exclusive
          value={window}
          aria-label="Window"
          onChange={(_e, value: NoiseWindow | null) =>
            value && setWindow(value)
          }
        >
          {NOISE_WINDOWS.map(w => (
            <ToggleButton key={w} value={w} aria-label={`Last ${w}`}>
              {w}
            </ToggleButton>
          ))}
        </ToggleButtonGroup>
      </Box>
      {error && (
        <ResponseErrorPanel error={error} title="Noise report unavailable" />
      )}
      {!report && !error && <Progress />}
      {report && (
        <Grid container spacing={3}>
          <Grid item xs={12} md={6}>
            <Paper
              variant="outlined"
              style={{ padding: 16 }}
              component="section"
              aria-label="Top firing rules"
            >
              <Typography variant="h6" component="h2" gutterBottom>
                Top firing rules
              </Typography>
              {report.topRules.length === 0 ? (
                <Typography variant="body2" color="textSecondary">
                  No alert fired in the last {report.window}.
                </Typography>
              ) : (
                <Table size="small">
                  <TableHead>
                    <TableRow>
                      <TableCell>Alert</TableCell>
                      <TableCell>Service</TableCell>
                      <TableCell align="right">Firings</TableCell>
                    </TableRow>
                  </TableHead>
                  <TableBody>
                    {report.topRules.map(r => (
                      <TableRow key={`${r.name}-${r.entityRef ?? ''}`}>
                        <TableCell>{r.name}</TableCell>
                        <TableCell>
                          <ServiceLink entityRef={r.entityRef} />
                        </TableCell>
                        <TableCell align="right">{r.firings}</TableCell>
                      </TableRow>
                    ))}
                  </TableBody>
                </Table>
              )}
            </Paper>
          </Grid>
          <Grid item xs={12} md={6}>
            <Paper
              variant="outlined"
              style={{ padding: 16 }}
              component="section"
              aria-label="Flapping alerts"
            >
              <Typography variant="h6" component="h2" gutterBottom>
                Flapping alerts
              </Typography>
              {report.flapping.length === 0 ? (
                <Typography variant="body2" color="textSecondary">
                  No alert flapped (4 or more switches) in the last{' '}
                  {report.window}.
                </Typography>
              ) : (
                <Table size="small">
                  <TableHead>
                    <TableRow>
                      <TableCell>Alert</TableCell>
                      <TableCell>Service</TableCell>
                      <TableCell align="right">Switches</TableCell>
                    </TableRow>
                  </TableHead>
                  <TableBody>
                    {report.flapping.map(r => (
                      <TableRow key={`${r.name}-${r.entityRef ?? ''}`}>
                        <TableCell>{r.name}</TableCell>
                        <TableCell>
                          <ServiceLink entityRef={r.entityRef} />
                        </TableCell>
                        <TableCell align="right">{r.transitions}</TableCell>
                      </TableRow>
                    ))}
                  </TableBody>
                </Table>
              )}
            </Paper>
          </Grid>
        </Grid>
      )}
    </>
  );
}

/**
 * The alert center: every firing alert across the catalog the user may see,
 * grouped by owner, system or severity; the noise report for those allowed
 * (`monitoring.noise.read`: platform, auditors).
 */
export function AlertCenter() {
  const noise = usePermission({ permission: monitoringNoiseReadPermission });
  const [params, setParams] = useSearchParams();
  const view =
    params.get('view') === 'noise' && noise.allowed ? 'noise' : 'firing';
  return (
    <>
      <Typography variant="body2" color="textSecondary" paragraph>
        Every firing and silenced alert of the services you may see, from every
        Alertmanager and Prometheus the portal knows; refreshed every 30
        seconds. Open a service to silence an alert or change its rules.
      </Typography>
      {noise.allowed && (
        <Tabs
          value={view}
          onChange={(_e, value: string) => {
            const next = new URLSearchParams(params);
            if (value === 'noise') next.set('view', 'noise');
            else next.delete('view');
            setParams(next, { replace: true });
          }}
          aria-label="Alert center views"
          style={{ marginBottom: 16 }}
        >
          <Tab value="firing" label="Firing alerts" />
          <Tab value="noise" label="Noise" />
        </Tabs>
      )}
      {view === 'noise' ? <NoiseView /> : <FiringAlerts />}
    </>
  );
}

/** The page body for New Frontend System apps (the app draws the header). */
export function AlertCenterContent() {
  return (
    <Content>
      <AlertCenter />
    </Content>
  );
}

/** The whole page for legacy apps. */
export function AlertCenterPage() {
  return (
    <Page themeId="tool">
      <Header
        title="Alert center"
        subtitle="Every firing alert of the services you can see, in one place"
      />
      <Content>
        <AlertCenter />
      </Content>
    </Page>
  );
}
