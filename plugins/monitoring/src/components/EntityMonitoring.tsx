import { useCallback, useEffect, useRef, useState } from 'react';
import { stringifyEntityRef } from '@backstage/catalog-model';
import {
  InfoCard,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import {
  Alert,
  Dashboard,
  isMonitoringAvailable,
  Silence,
} from '@fincloud/plugin-monitoring-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Grid from '@material-ui/core/Grid';
import Link from '@material-ui/core/Link';
import Typography from '@material-ui/core/Typography';
import { Alert as MuiAlert } from '@material-ui/lab';
import { useSearchParams } from 'react-router-dom';
import { monitoringApiRef } from '../api';
import { AlertsList } from './AlertsList';
import { MissingMonitoringAnnotations, NoPrometheusState } from './EmptyStates';
import { errorMessage, statusOf } from './errors';
import { formatDateTime } from './format';
import { useDashboard, useMonitoringPermissions, useNow } from './hooks';
import { MARKER_COLORS, markersIn } from './markers';
import { PanelGrid } from './PanelGrid';
import { RulesPanel } from './RulesPanel';
import { SilenceDialog } from './SilenceDialog';
import { SilencesList } from './SilencesList';
import { Toolbar } from './Toolbar';
import {
  DEFAULT_REFRESH_MS,
  rangeFromParams,
  rangeToParams,
  TimeRange,
} from './timeRange';

function alertsTitle(alerts: Alert[]): string {
  const firing = alerts.filter(a => a.state === 'firing').length;
  const pending = alerts.filter(a => a.state === 'pending').length;
  const parts = [];
  if (firing) parts.push(`${firing} firing`);
  if (pending) parts.push(`${pending} pending`);
  return parts.length ? `Alerts (${parts.join(', ')})` : 'Alerts';
}

/** The deploys in the range, as a list (the charts mark them too). */
function DeploysList(props: { dashboard: Dashboard }) {
  const { dashboard } = props;
  const markers = markersIn(dashboard.markers, dashboard.from, dashboard.to);
  if (!dashboard.markersError && markers.length === 0) return null;
  return (
    <Box>
      <Typography variant="subtitle2" component="h3" gutterBottom>
        Deploys in this range
      </Typography>
      {dashboard.markersError && (
        <MuiAlert severity="warning">
          Builds and releases could not be read: {dashboard.markersError}
        </MuiAlert>
      )}
      <ul aria-label="Deploys" style={{ margin: 0, paddingLeft: 20 }}>
        {markers.map(m => (
          <li
            key={`${m.kind}-${m.at}-${m.label}`}
            style={{ color: MARKER_COLORS[m.kind] }}
          >
            <Typography variant="body2" color="textPrimary" component="span">
              {formatDateTime(m.at)} · {m.kind} · {m.label}
              {m.status ? ` · ${m.status}` : ''}
              {m.link && (
                <>
                  {' · '}
                  <Link href={m.link}>details</Link>
                </>
              )}
            </Typography>
          </li>
        ))}
      </ul>
    </Box>
  );
}

/** The first answer failed: say why, and how to fix it where the user can. */
function DashboardError(props: { error: Error; onRetry: () => void }) {
  const status = statusOf(props.error);
  const message = errorMessage(props.error);
  if (status === 404 && /Prometheus/i.test(message)) {
    return <NoPrometheusState message={message} />;
  }
  if (status === 400 && /fincloud\.io\/prometheus/.test(message)) {
    return <NoPrometheusState message={message} />;
  }
  if (status === 403) {
    return (
      <MuiAlert severity="info">
        You may not see this service's monitoring: {message}
      </MuiAlert>
    );
  }
  return (
    <>
      <ResponseErrorPanel
        error={props.error}
        title="Monitoring is unavailable"
      />
      <Button
        onClick={props.onRetry}
        variant="outlined"
        style={{ marginTop: 8 }}
      >
        Try again
      </Button>
    </>
  );
}

function MonitoringView(props: { entityRef: string }) {
  const { entityRef } = props;
  const api = useApi(monitoringApiRef);
  const [params, setParams] = useSearchParams();
  const range = rangeFromParams(params);
  const version = params.get('version') || undefined;
  const [refreshMs, setRefreshMs] = useState(DEFAULT_REFRESH_MS);
  const permissions = useMonitoringPermissions(entityRef);
  const now = useNow();
  const state = useDashboard(entityRef, range, { refreshMs, version });
  const { dashboard, reload } = state;
  const [silencing, setSilencing] = useState<Alert>();
  const [silences, setSilences] = useState<Silence[]>();
  const [silencesError, setSilencesError] = useState<string>();
  const [notice, setNotice] = useState<string>();

  const loadSilences = useCallback(() => {
    api.getSilences(entityRef).then(
      s => {
        setSilences(s);
        setSilencesError(undefined);
      },
      e => setSilencesError(errorMessage(e)),
    );
  }, [api, entityRef]);

  useEffect(loadSilences, [loadSilences]);

  const setRange = (next: TimeRange) =>
    setParams(rangeToParams(next, params), { replace: true });
  const setVersion = (next?: string) => {
    const p = new URLSearchParams(params);
    if (next) p.set('version', next);
    else p.delete('version');
    setParams(p, { replace: true });
  };
  const refreshAll = () => {
    reload();
    loadSilences();
  };

  // With a version picked, the backend reports only that version's traffic:
  // remember the versions of the last unfiltered answer, so the others stay
  // selectable.
  const unfilteredVersions = useRef<string[]>([]);
  if (dashboard && !version) unfilteredVersions.current = dashboard.versions;

  if (state.loading) return <Progress />;
  if (!dashboard) {
    return <DashboardError error={state.error!} onRetry={reload} />;
  }
  const versions = version
    ? [...new Set([...unfilteredVersions.current, version])].sort()
    : dashboard.versions;

  return (
    <Grid container spacing={3}>
      <Grid item xs={12}>
        <Toolbar
          range={range}
          onRange={setRange}
          refreshMs={refreshMs}
          onRefreshMs={setRefreshMs}
          onRefresh={refreshAll}
          refreshing={state.refreshing}
          updatedAt={state.updatedAt}
          versions={versions}
          version={version}
          onVersion={setVersion}
        />
      </Grid>
      {state.error && (
        <Grid item xs={12}>
          <MuiAlert severity="warning">
            Could not refresh ({errorMessage(state.error)}); showing the data
            read at{' '}
            {state.updatedAt
              ? new Date(state.updatedAt).toLocaleTimeString('en-GB')
              : 'the last refresh'}
            .
          </MuiAlert>
        </Grid>
      )}
      {versions.length > 1 && (
        <Grid item xs={12}>
          <MuiAlert severity="info" aria-label="Versions with traffic">
            {versions.length} versions have traffic in this range (
            {versions.join(', ')}): a canary or blue-green release is in
            progress.{' '}
            {version
              ? `Request rate, errors and latency show ${version} only.`
              : 'Request rate, errors and latency are drawn per version.'}
          </MuiAlert>
        </Grid>
      )}
      {notice && (
        <Grid item xs={12}>
          <MuiAlert severity="success" onClose={() => setNotice(undefined)}>
            {notice}
          </MuiAlert>
        </Grid>
      )}
      <Grid item xs={12}>
        <InfoCard title={alertsTitle(dashboard.alerts)} noPadding={false}>
          <AlertsList
            alerts={dashboard.alerts}
            now={now}
            canSilence={permissions.silence}
            onSilence={setSilencing}
            error={dashboard.alertsError}
          />
        </InfoCard>
      </Grid>
      <Grid item xs={12}>
        <section aria-label="Panels">
          <PanelGrid dashboard={dashboard} />
        </section>
      </Grid>
      <Grid item xs={12}>
        <DeploysList dashboard={dashboard} />
      </Grid>
      <Grid item xs={12}>
        <InfoCard title="Silences">
          {silencesError && (
            <MuiAlert severity="warning">
              The silences could not be read: {silencesError}
            </MuiAlert>
          )}
          {!silences && !silencesError && <Progress />}
          {silences && (
            <SilencesList
              silences={silences}
              now={now}
              canExpire={permissions.silence}
              onExpire={async silence => {
                await api.expireSilence(silence.id, entityRef);
                setNotice('Silence expired.');
                refreshAll();
              }}
            />
          )}
        </InfoCard>
      </Grid>
      <Grid item xs={12}>
        <InfoCard title="Alert rules">
          <RulesPanel
            entityRef={entityRef}
            panels={dashboard.panels}
            canWrite={permissions.rulesWrite}
          />
        </InfoCard>
      </Grid>
      {silencing && (
        <SilenceDialog
          alert={silencing}
          onClose={() => setSilencing(undefined)}
          onSubmit={async (durationMinutes, comment) => {
            const silence = await api.createSilence(entityRef, {
              alertFingerprint: silencing.fingerprint,
              durationMinutes,
              comment,
            });
            setSilencing(undefined);
            setNotice(
              `${silencing.name} silenced until ${formatDateTime(
                silence.endsAt,
              )}.`,
            );
            refreshAll();
          }}
        />
      )}
    </Grid>
  );
}

/**
 * The entity's Monitoring tab: time range and refresh, the grid of panels
 * with thresholds and deploy markers, the alerts with silences, and the
 * alert rules.
 */
export function EntityMonitoringContent() {
  const { entity } = useEntity();
  if (!isMonitoringAvailable(entity)) return <MissingMonitoringAnnotations />;
  return <MonitoringView entityRef={stringifyEntityRef(entity)} />;
}
