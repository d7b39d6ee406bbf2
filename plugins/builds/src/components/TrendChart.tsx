import { BuildStats } from '@fincloud/plugin-builds-common';
import { useTheme } from '@material-ui/core/styles';
import { formatDuration } from './format';

const WIDTH = 240;
const HEIGHT = 56;

/**
 * Builds per day as stacked bars (succeeded below, failed on top) with the
 * daily median duration as a line: a few hundred bytes of SVG instead of a
 * chart library.
 */
export function TrendChart(props: { trend: BuildStats['trend'] }) {
  const theme = useTheme();
  const { trend } = props;
  if (trend.length === 0) return null;
  const maxCount = Math.max(1, ...trend.map(d => d.succeeded + d.failed));
  const durations = trend
    .map(d => d.durationP50Ms)
    .filter((d): d is number => d !== null);
  const maxDuration = Math.max(1, ...durations);
  const slot = WIDTH / trend.length;
  const bar = Math.max(1, slot * 0.7);
  const scale = (HEIGHT - 4) / maxCount;

  const points = trend
    .map((d, i) =>
      d.durationP50Ms === null
        ? undefined
        : `${(i * slot + slot / 2).toFixed(1)},${(
            HEIGHT -
            2 -
            (d.durationP50Ms / maxDuration) * (HEIGHT - 8)
          ).toFixed(1)}`,
    )
    .filter(Boolean);

  const total = trend.reduce(
    (sum, d) => ({
      succeeded: sum.succeeded + d.succeeded,
      failed: sum.failed + d.failed,
    }),
    { succeeded: 0, failed: 0 },
  );
  const label = `Builds per day over ${trend.length} days: ${total.succeeded} succeeded, ${total.failed} failed`;

  return (
    <svg
      role="img"
      aria-label={label}
      width={WIDTH}
      height={HEIGHT}
      viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
    >
      <title>{label}</title>
      {trend.map((d, i) => {
        const x = i * slot + (slot - bar) / 2;
        const ok = d.succeeded * scale;
        const bad = d.failed * scale;
        return (
          <g key={d.day}>
            <title>
              {`${d.day}: ${d.succeeded} succeeded, ${
                d.failed
              } failed, median ${formatDuration(d.durationP50Ms)}`}
            </title>
            <rect
              x={x}
              y={HEIGHT - ok}
              width={bar}
              height={ok}
              fill={theme.palette.success?.main ?? '#4caf50'}
            />
            <rect
              x={x}
              y={HEIGHT - ok - bad}
              width={bar}
              height={bad}
              fill={theme.palette.error.main}
            />
          </g>
        );
      })}
      {points.length > 1 && (
        <polyline
          points={points.join(' ')}
          fill="none"
          stroke={theme.palette.text.secondary}
          strokeWidth={1.5}
        />
      )}
    </svg>
  );
}
