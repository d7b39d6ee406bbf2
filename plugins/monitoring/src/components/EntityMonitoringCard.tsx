import { stringifyEntityRef } from '@backstage/catalog-model';
import {
  InfoCard,
  Progress,
  StatusError,
  StatusOK,
  StatusPending,
} from '@backstage/core-components';
import { useEntity } from '@backstage/plugin-catalog-react';
import {
  Dashboard,
  GOLDEN_SIGNAL_PANEL_IDS,
  isMonitoringAvailable,
} from '@fincloud/plugin-monitoring-common';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import { currentValue, thresholdLevel, toChartData } from './chartData';
import { errorMessage, statusOf } from './errors';
import { formatValue } from './format';
import { useDashboard } from './hooks';
import { Sparkline } from './LazyCharts';
import { useMonitoringTabLink } from './links';
import { TimeRange } from './timeRange';

const LAST_HOUR: TimeRange = { kind: 'relative', key: '1h' };
const CARD_REFRESH_MS = 30_000;

const useStyles = makeStyles(theme => ({
  grid: {
    display: 'grid',
    gridTemplateColumns: 'repeat(2, minmax(0, 1fr))',
    gap: theme.spacing(2),
    listStyle: 'none',
    margin: theme.spacing(1.5, 0, 0),
    padding: 0,
  },
  tile: { minWidth: 0 },
  value: { fontVariantNumeric: 'tabular-nums', fontWeight: 500 },
  warning: { color: theme.palette.warning.dark },
  error: { color: theme.palette.error.main },
}));

const SIGNAL_NAMES: Record<string, string> = {
  'request-rate': 'Traffic',
  'error-ratio': 'Errors',
  'latency-p99': 'Latency p99',
  cpu: 'Saturation (CPU)',
};

function FiringSummary(props: { dashboard: Dashboard }) {
  const { alerts, alertsError } = props.dashboard;
  const firing = alerts.filter(a => a.state === 'firing').length;
  const pending = alerts.filter(a => a.state === 'pending').length;
  if (alertsError) {
    return <StatusPending>Alerts unavailable</StatusPending>;
  }
  if (firing > 0) {
    return (
      <StatusError>
        {firing} alert{firing === 1 ? '' : 's'} firing
      </StatusError>
    );
  }
  if (pending > 0) {
    return <StatusPending>{pending} pending</StatusPending>;
  }
  return <StatusOK>Nothing firing</StatusOK>;
}

function GoldenSignals(props: { entityRef: string }) {
  const classes = useStyles();
  // The same range and (backend-chosen) step as the Monitoring tab's
  // default view, so the card and the tab share the backend's cached queries.
  const state = useDashboard(props.entityRef, LAST_HOUR, {
    refreshMs: CARD_REFRESH_MS,
  });
  const { dashboard } = state;
  if (state.loading) return <Progress />;
  if (!dashboard) {
    const status = statusOf(state.error);
    return (
      <Typography variant="body2" color="textSecondary">
        {status === 404
          ? 'No Prometheus is configured for this service: see its Monitoring tab.'
          : `Monitoring is unavailable: ${errorMessage(state.error)}`}
      </Typography>
    );
  }
  const panels = GOLDEN_SIGNAL_PANEL_IDS.map(id =>
    dashboard.panels.find(p => p.id === id),
  ).filter(<T,>(p: T | undefined): p is T => p !== undefined);

  return (
    <>
      <div aria-label="Firing alerts">
        <FiringSummary dashboard={dashboard} />
      </div>
      <ul className={classes.grid} aria-label="Golden signals">
        {panels.map(panel => {
          const value = currentValue(panel);
          const level = thresholdLevel(panel, value);
          const name = SIGNAL_NAMES[panel.id] ?? panel.title;
          const text = panel.error
            ? 'query failed'
            : formatValue(value, panel.unit);
          return (
            <li
              key={panel.id}
              className={classes.tile}
              aria-label={`${name}: ${text}`}
            >
              <Typography
                variant="caption"
                color="textSecondary"
                component="div"
              >
                {name}
              </Typography>
              <Typography
                variant="body1"
                className={`${classes.value} ${level ? classes[level] : ''}`}
                title={panel.error}
              >
                {text}
              </Typography>
              {!panel.error && (
                <Sparkline
                  panel={panel}
                  data={toChartData(panel, dashboard.versions)}
                  height={36}
                  label={`${name} over the last hour`}
                />
              )}
            </li>
          );
        })}
      </ul>
    </>
  );
}

/** The overview card: the four golden signals of the last hour and what is firing. */
export function EntityMonitoringCard() {
  const { entity } = useEntity();
  const available = isMonitoringAvailable(entity);
  const entityRef = stringifyEntityRef(entity);
  const tabLink = useMonitoringTabLink();
  return (
    <InfoCard
      title="Golden signals"
      subheader="Last hour"
      deepLink={
        available
          ? { title: 'Open monitoring', link: tabLink(entityRef) }
          : undefined
      }
    >
      {available ? (
        <GoldenSignals entityRef={entityRef} />
      ) : (
        <Typography variant="body2" color="textSecondary">
          Add the fincloud.io/cluster and fincloud.io/namespace annotations to
          monitor this service.
        </Typography>
      )}
    </InfoCard>
  );
}
