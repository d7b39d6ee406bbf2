import { Dashboard, Panel, Series } from '@fincloud/plugin-monitoring-common';
import { seriesName } from './format';

/** Colours of series; versions keep theirs across every panel of a dashboard. */
export const SERIES_COLORS = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#17becf',
  '#7f7f7f',
];

export interface ChartSeries {
  /** key in the chart rows */
  key: string;
  name: string;
  color: string;
  /** last value that is not a gap */
  latest: number | null;
}

export interface ChartData {
  /** one row per timestamp: `{ t, s0, s1, ... }`, null for a gap */
  rows: Array<Record<string, number | null>>;
  series: ChartSeries[];
}

export function latestValue(series: Series): number | null {
  for (let i = series.points.length - 1; i >= 0; i--) {
    const value = series.points[i][1];
    if (value !== null && Number.isFinite(value)) return value;
  }
  return null;
}

/**
 * Colour of a series: the version's own colour when the series is one
 * version (so v2 is the same colour on every chart), else by position.
 */
export function colorOf(
  labels: Record<string, string>,
  index: number,
  versions: string[],
): string {
  const v = labels.version;
  const at = v !== undefined ? versions.indexOf(v) : -1;
  const i = at >= 0 ? at : index;
  return SERIES_COLORS[i % SERIES_COLORS.length];
}

/** Turns a panel's series into rows a chart draws (points aligned by time). */
export function toChartData(panel: Panel, versions: string[] = []): ChartData {
  const byTime = new Map<number, Record<string, number | null>>();
  const series: ChartSeries[] = panel.series.map((s, i) => {
    const key = `s${i}`;
    for (const [t, value] of s.points) {
      let row = byTime.get(t);
      if (!row) {
        row = { t };
        byTime.set(t, row);
      }
      row[key] = value !== null && Number.isFinite(value) ? value : null;
    }
    return {
      key,
      name: seriesName(s.labels, panel.title),
      color: colorOf(s.labels, i, versions),
      latest: latestValue(s),
    };
  });
  const rows = [...byTime.values()].sort((a, b) => a.t! - b.t!);
  for (const row of rows) {
    for (const s of series) if (!(s.key in row)) row[s.key] = null;
  }
  return { rows, series };
}

/** The panel's value now: the sum for stat panels over several series, else per series. */
export function currentValue(panel: Panel): number | null {
  const latest = panel.series
    .map(latestValue)
    .filter((v): v is number => v !== null);
  if (latest.length === 0) return null;
  if (latest.length === 1) return latest[0];
  return panel.kind === 'stat'
    ? latest.reduce((a, b) => a + b, 0)
    : Math.max(...latest);
}

/** The worst threshold the value has crossed (`error` over `warning`). */
export function thresholdLevel(
  panel: Pick<Panel, 'thresholds'>,
  value: number | null,
): 'error' | 'warning' | undefined {
  if (value === null) return undefined;
  let level: 'error' | 'warning' | undefined;
  for (const t of panel.thresholds ?? []) {
    if (value >= t.value) {
      if (t.color === 'error') return 'error';
      level = 'warning';
    }
  }
  return level;
}

/**
 * The top of the y axis: the data's maximum, raised to show the lowest
 * threshold (so "how close to warning" is visible), with some headroom.
 */
export function yMax(panel: Panel, data: ChartData): number {
  let max = 0;
  for (const row of data.rows) {
    for (const s of data.series) {
      const v = row[s.key];
      if (v !== null && v !== undefined && v > max) max = v;
    }
  }
  const thresholds = (panel.thresholds ?? []).map(t => t.value);
  if (thresholds.length > 0) max = Math.max(max, Math.min(...thresholds));
  if (max <= 0) return 1;
  return max * 1.1;
}

/** More than one version with traffic: a canary or blue-green is running. */
export function isSplit(dashboard: Pick<Dashboard, 'versions'>): boolean {
  return dashboard.versions.length > 1;
}
