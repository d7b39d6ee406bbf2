import { Dashboard, Panel } from '@fincloud/plugin-monitoring-common';
import Paper from '@material-ui/core/Paper';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import ErrorOutlineIcon from '@material-ui/icons/ErrorOutline';
import { currentValue, thresholdLevel, toChartData } from './chartData';
import { formatValue } from './format';
import { Sparkline, TimeSeriesChart } from './LazyCharts';

const useStyles = makeStyles(theme => ({
  grid: {
    display: 'grid',
    gridTemplateColumns: 'repeat(auto-fill, minmax(420px, 1fr))',
    gap: theme.spacing(2),
  },
  panel: {
    padding: theme.spacing(1.5, 2),
    display: 'flex',
    flexDirection: 'column',
    minHeight: 250,
  },
  header: {
    display: 'flex',
    justifyContent: 'space-between',
    alignItems: 'baseline',
    gap: theme.spacing(1),
    marginBottom: theme.spacing(1),
  },
  value: { fontVariantNumeric: 'tabular-nums', whiteSpace: 'nowrap' },
  warning: { color: theme.palette.warning.dark },
  error: { color: theme.palette.error.main },
  stat: {
    fontSize: 40,
    fontWeight: 500,
    fontVariantNumeric: 'tabular-nums',
    margin: theme.spacing(2, 0, 1),
  },
  failed: {
    flex: 1,
    display: 'flex',
    alignItems: 'center',
    gap: theme.spacing(1),
    padding: theme.spacing(2),
    color: theme.palette.error.main,
    background:
      theme.palette.type === 'dark' ? 'rgba(244,67,54,0.08)' : '#fdecea',
    borderRadius: theme.shape.borderRadius,
    wordBreak: 'break-word',
  },
  empty: {
    flex: 1,
    display: 'flex',
    alignItems: 'center',
    justifyContent: 'center',
  },
}));

function thresholdsText(panel: Panel): string | undefined {
  if (!panel.thresholds?.length) return undefined;
  return panel.thresholds
    .map(t => `${t.color} ${formatValue(t.value, panel.unit)}`)
    .join(' · ');
}

/**
 * One chart of the grid. A panel whose query failed shows why, in its own
 * place; the other panels are unaffected.
 */
export function PanelCard(props: {
  panel: Panel;
  dashboard: Pick<Dashboard, 'from' | 'to' | 'markers' | 'versions'>;
}) {
  const { panel, dashboard } = props;
  const classes = useStyles();
  const data = toChartData(panel, dashboard.versions);
  const value = currentValue(panel);
  const level = thresholdLevel(panel, value);
  const valueText = formatValue(value, panel.unit);
  const thresholds = thresholdsText(panel);
  const titleId = `monitoring-panel-${panel.id}`;
  const hasData = data.series.some(s => s.latest !== null);
  const valueLabel = `${panel.title} now: ${valueText}${
    level ? ` (over the ${level} threshold)` : ''
  }`;

  let body: JSX.Element;
  if (panel.error) {
    body = (
      <div className={classes.failed} role="alert">
        <ErrorOutlineIcon fontSize="small" />
        <Typography variant="body2" component="span">
          This panel's query failed: {panel.error}
        </Typography>
      </div>
    );
  } else if (!hasData) {
    body = (
      <div className={classes.empty}>
        <Typography variant="body2" color="textSecondary">
          No data in this range.
        </Typography>
      </div>
    );
  } else if (panel.kind === 'stat') {
    body = (
      <>
        <div
          className={`${classes.stat} ${level ? classes[level] : ''}`}
          role="status"
          aria-label={valueLabel}
        >
          {valueText}
        </div>
        <Sparkline
          panel={panel}
          data={data}
          height={60}
          label={`${panel.title} over the range`}
        />
      </>
    );
  } else {
    body = (
      <TimeSeriesChart
        panel={panel}
        data={data}
        from={dashboard.from}
        to={dashboard.to}
        markers={dashboard.markers}
      />
    );
  }

  return (
    <Paper
      variant="outlined"
      className={classes.panel}
      role="region"
      aria-labelledby={titleId}
      data-panel-id={panel.id}
    >
      <div className={classes.header}>
        <div>
          <Typography variant="subtitle1" component="h3" id={titleId}>
            {panel.title}
          </Typography>
          {thresholds && (
            <Typography variant="caption" color="textSecondary">
              thresholds: {thresholds}
            </Typography>
          )}
        </div>
        {!panel.error && (panel.kind !== 'stat' || !hasData) && (
          <Typography
            variant="h6"
            component="span"
            role="status"
            className={`${classes.value} ${level ? classes[level] : ''}`}
            aria-label={valueLabel}
            title={
              data.series.length > 1
                ? 'the highest of the series, latest point'
                : 'latest point'
            }
          >
            {valueText}
          </Typography>
        )}
      </div>
      {body}
    </Paper>
  );
}

export function PanelGrid(props: { dashboard: Dashboard }) {
  const classes = useStyles();
  const { dashboard } = props;
  if (dashboard.panels.length === 0) {
    return (
      <Typography variant="body2" color="textSecondary">
        This service has no panels: the platform team configures them in
        fincloud.monitoring.panels, a service adds or hides some with the
        fincloud.io/monitoring-panels annotation.
      </Typography>
    );
  }
  return (
    <div className={classes.grid}>
      {dashboard.panels.map(panel => (
        <PanelCard key={panel.id} panel={panel} dashboard={dashboard} />
      ))}
    </div>
  );
}
