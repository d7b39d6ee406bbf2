import { Analysis, MetricResult } from '@fincloud/plugin-releases-common';
import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import { makeStyles, useTheme } from '@material-ui/core/styles';
import {
  StatusError,
  StatusOK,
  StatusPending,
} from '@backstage/core-components';
import { formatTime } from './format';

const useStyles = makeStyles(theme => ({
  grid: {
    display: 'flex',
    flexWrap: 'wrap',
    gap: theme.spacing(1.5),
    listStyle: 'none',
    padding: 0,
    margin: 0,
  },
  metric: {
    width: 220,
    padding: theme.spacing(1),
    border: `1px solid ${theme.palette.divider}`,
    borderRadius: theme.shape.borderRadius,
  },
  failed: { borderColor: theme.palette.error.main },
}));

/** 0.9987 → `0.9987`, 123.456 → `123.5`, null → `no data`. */
export function formatMetric(value: number | null): string {
  if (value === null || !Number.isFinite(value)) return 'no data';
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 1) return value.toFixed(1);
  return value.toPrecision(4).replace(/0+$/, '').replace(/\.$/, '');
}

/** Two horizontal bars, canary over stable, on the same scale. */
function MetricChart(props: { result: MetricResult }) {
  const theme = useTheme();
  const { canary, stable } = props.result;
  const max = Math.max(canary ?? 0, stable ?? 0) || 1;
  const width = 120;
  const bar = (value: number | null) =>
    value === null ? 0 : Math.max(1, (Math.abs(value) / max) * width);
  const rows: Array<[string, number | null, string]> = [
    ['canary', canary, theme.palette.warning.dark],
    ['stable', stable, theme.palette.primary.main],
  ];
  return (
    <svg
      width={200}
      height={40}
      role="img"
      aria-label={`${props.result.name}: canary ${formatMetric(
        canary,
      )}, stable ${formatMetric(stable)}`}
    >
      {rows.map(([label, value, color], i) => (
        <g key={label} transform={`translate(0, ${i * 20})`}>
          <text x={0} y={13} fontSize={11} fill={theme.palette.text.secondary}>
            {label}
          </text>
          <rect
            x={44}
            y={3}
            width={bar(value)}
            height={12}
            rx={2}
            fill={color}
          />
          <text
            x={44 + bar(value) + 4}
            y={13}
            fontSize={11}
            fill={theme.palette.text.primary}
          >
            {formatMetric(value)}
          </text>
        </g>
      ))}
    </svg>
  );
}

function Verdict(props: { pass: boolean | null }) {
  if (props.pass === null) return <StatusPending>no data</StatusPending>;
  return props.pass ? (
    <StatusOK>pass</StatusOK>
  ) : (
    <StatusError>fail</StatusError>
  );
}

/**
 * The metric gates of every analysed step, newest first: per metric, canary
 * against stable, the threshold and the verdict.
 */
export function AnalysisCharts(props: { analyses: Analysis[] }) {
  const classes = useStyles();
  if (props.analyses.length === 0) {
    return (
      <Typography variant="body2" color="textSecondary">
        No metric analysis has run yet.
      </Typography>
    );
  }
  const ordered = [...props.analyses].sort((a, b) => b.at.localeCompare(a.at));
  return (
    <Box>
      {ordered.map(analysis => (
        <section
          key={`${analysis.step}-${analysis.at}`}
          aria-label={`Analysis of step ${analysis.step + 1}`}
        >
          <Box
            display="flex"
            alignItems="center"
            style={{ gap: 8 }}
            mt={1}
            mb={0.5}
          >
            <Typography variant="body2">
              Step {analysis.step + 1} · {formatTime(analysis.at)}
            </Typography>
            {analysis.pass ? (
              <StatusOK>gates passed</StatusOK>
            ) : (
              <StatusError>gates failed</StatusError>
            )}
          </Box>
          <ul className={classes.grid}>
            {analysis.results.map(result => (
              <li
                key={result.name}
                className={`${classes.metric} ${
                  result.pass === false ? classes.failed : ''
                }`}
              >
                <Box
                  display="flex"
                  justifyContent="space-between"
                  alignItems="center"
                >
                  <Typography variant="subtitle2" component="span">
                    {result.name}
                  </Typography>
                  <Verdict pass={result.pass} />
                </Box>
                <MetricChart result={result} />
                <Typography
                  variant="caption"
                  color="textSecondary"
                  component="div"
                  title={result.query}
                >
                  threshold {result.threshold}
                </Typography>
              </li>
            ))}
          </ul>
        </section>
      ))}
    </Box>
  );
}
