import { useState } from 'react';
import { DeployMarker, Panel } from '@fincloud/plugin-monitoring-common';
import Tooltip from '@material-ui/core/Tooltip';
import { makeStyles, useTheme } from '@material-ui/core/styles';
import {
  Area,
  CartesianGrid,
  ComposedChart,
  Line,
  ReferenceLine,
  Tooltip as ChartTooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { ChartData, yMax } from '../chartData';
import {
  formatAxisValue,
  formatDateTime,
  formatTick,
  formatValue,
} from '../format';
import { MARKER_COLORS, markersIn, markerText } from '../markers';
import { useWidth } from '../useWidth';

const useStyles = makeStyles(theme => ({
  root: { width: '100%' },
  legend: {
    display: 'flex',
    flexWrap: 'wrap',
    gap: theme.spacing(0.5, 1.5),
    listStyle: 'none',
    margin: 0,
    padding: theme.spacing(0, 0, 0, 9),
  },
  legendButton: {
    display: 'inline-flex',
    alignItems: 'center',
    gap: theme.spacing(0.5),
    border: 'none',
    background: 'none',
    padding: 0,
    cursor: 'pointer',
    color: theme.palette.text.primary,
    font: 'inherit',
    fontSize: 12,
  },
  hidden: { opacity: 0.4, textDecoration: 'line-through' },
  swatch: { width: 12, height: 3, borderRadius: 1 },
}));

export interface TimeSeriesChartProps {
  panel: Panel;
  data: ChartData;
  from: number;
  to: number;
  markers: DeployMarker[];
  height?: number;
}

/** A deploy marker's flag at the top of its line, with a tooltip. */
function MarkerFlag(props: {
  viewBox?: { x?: number; y?: number };
  marker: DeployMarker;
}) {
  const x = props.viewBox?.x ?? 0;
  const y = props.viewBox?.y ?? 0;
  const text = markerText(props.marker);
  const color = MARKER_COLORS[props.marker.kind];
  return (
    <Tooltip title={text} placement="top" arrow>
      <g
        role="img"
        aria-label={text}
        tabIndex={0}
        data-marker-kind={props.marker.kind}
      >
        <path
          d={`M${x - 5},${y} L${x + 5},${y} L${x},${y + 7} Z`}
          fill={color}
        />
        <rect x={x - 6} y={y} width={12} height={12} fill="transparent" />
      </g>
    </Tooltip>
  );
}

/**
 * One panel's chart: a line or area per series (one per version during a
 * canary), its thresholds as dashed lines and the deploy markers as vertical
 * lines with flags. recharts lives in this module only, which the plugin
 * loads lazily.
 */
export function TimeSeriesChart(props: TimeSeriesChartProps) {
  const { panel, data, from, to, height = 180 } = props;
  const classes = useStyles();
  const theme = useTheme();
  const [ref, width] = useWidth<HTMLDivElement>(480);
  const [hidden, setHidden] = useState<Set<string>>(new Set());
  const markers = markersIn(props.markers, from, to);
  const lowestThreshold = Math.min(
    ...(panel.thresholds ?? []).map(t => t.value),
  );
  const range = to - from;
  const toggle = (key: string) =>
    setHidden(current => {
      const next = new Set(current);
      if (next.has(key)) next.delete(key);
      else next.add(key);
      return next;
    });

  return (
    <div ref={ref} className={classes.root}>
      <ComposedChart
        width={width}
        height={height}
        data={data.rows}
        margin={{ top: 12, right: 12, bottom: 0, left: 0 }}
        accessibilityLayer={false}
      >
        <CartesianGrid strokeDasharray="3 3" stroke={theme.palette.divider} />
        <XAxis
          dataKey="t"
          type="number"
          scale="time"
          domain={[from, to]}
          allowDataOverflow
          tickFormatter={(t: number) => formatTick(t, range)}
          tick={{ fontSize: 11, fill: theme.palette.text.secondary }}
          minTickGap={24}
        />
        <YAxis
          domain={[0, 'auto']}
          tickFormatter={(v: number) => formatAxisValue(v, panel.unit)}
          tick={{ fontSize: 11, fill: theme.palette.text.secondary }}
          width={72}
        />
        <ChartTooltip
          isAnimationActive={false}
          labelFormatter={(t: any) => formatDateTime(Number(t))}
          formatter={(value: any, name: any) => [
            formatValue(value === null ? null : Number(value), panel.unit),
            name,
          ]}
          contentStyle={{
            background: theme.palette.background.paper,
            borderColor: theme.palette.divider,
          }}
        />
        {(panel.thresholds ?? []).map(t => (
          <ReferenceLine
            key={`threshold-${t.color}-${t.value}`}
            y={t.value}
            stroke={
              t.color === 'error'
                ? theme.palette.error.main
                : theme.palette.warning.main
            }
            strokeDasharray="6 4"
            // The axis grows to show the lowest threshold (how close is
            // the service to it?); higher ones show once the data nears them.
            ifOverflow={
              t.value === lowestThreshold ? 'extendDomain' : 'discard'
            }
          />
        ))}
        {data.series.map(s =>
          panel.kind === 'area' ? (
            <Area
              key={s.key}
              dataKey={s.key}
              name={s.name}
              type="monotone"
              stroke={s.color}
              fill={s.color}
              fillOpacity={0.15}
              strokeWidth={1.5}
              isAnimationActive={false}
              connectNulls={false}
              dot={false}
              hide={hidden.has(s.key)}
            />
          ) : (
            <Line
              key={s.key}
              dataKey={s.key}
              name={s.name}
              type="monotone"
              stroke={s.color}
              strokeWidth={1.5}
              isAnimationActive={false}
              connectNulls={false}
              dot={false}
              hide={hidden.has(s.key)}
            />
          ),
        )}
        {markers.map(m => (
          <ReferenceLine
            key={`marker-${m.kind}-${m.at}-${m.label}`}
            x={m.at}
            stroke={MARKER_COLORS[m.kind]}
            strokeDasharray={m.kind === 'build' ? '2 3' : undefined}
            label={(labelProps: any) => (
              <MarkerFlag viewBox={labelProps.viewBox} marker={m} />
            )}
          />
        ))}
      </ComposedChart>
      {data.series.length > 1 && (
        <ul className={classes.legend} aria-label={`${panel.title} series`}>
          {data.series.map(s => (
            <li key={s.key}>
              <button
                type="button"
                className={`${classes.legendButton} ${
                  hidden.has(s.key) ? classes.hidden : ''
                }`}
                aria-pressed={!hidden.has(s.key)}
                onClick={() => toggle(s.key)}
                title={hidden.has(s.key) ? 'Show' : 'Hide'}
              >
                <span
                  className={classes.swatch}
                  style={{ background: s.color }}
                />
                {s.name}: {formatValue(s.latest, panel.unit)}
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** A small chart without axes: the overview card's golden signals and stat panels. */
export function Sparkline(props: {
  panel: Panel;
  data: ChartData;
  height?: number;
  label: string;
}) {
  const { panel, data, height = 40 } = props;
  const [ref, width] = useWidth<HTMLDivElement>(160);
  const top = yMax(panel, data);
  return (
    <div
      ref={ref}
      role="img"
      aria-label={props.label}
      style={{ width: '100%' }}
    >
      <ComposedChart
        width={width}
        height={height}
        data={data.rows}
        margin={{ top: 2, right: 2, bottom: 2, left: 2 }}
        accessibilityLayer={false}
      >
        <XAxis dataKey="t" type="number" domain={['dataMin', 'dataMax']} hide />
        <YAxis domain={[0, top]} hide allowDataOverflow />
        {data.series.map(s => (
          <Line
            key={s.key}
            dataKey={s.key}
            stroke={s.color}
            strokeWidth={1.5}
            dot={false}
            isAnimationActive={false}
            connectNulls={false}
          />
        ))}
      </ComposedChart>
    </div>
  );
}
