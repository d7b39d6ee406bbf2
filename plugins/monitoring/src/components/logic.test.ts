import { dashboard, panel, series, FROM, TO } from '../__testUtils__/fixtures';
import {
  colorOf,
  currentValue,
  isSplit,
  SERIES_COLORS,
  thresholdLevel,
  toChartData,
  yMax,
} from './chartData';
import {
  conditionText,
  formatAxisValue,
  formatDuration,
  formatGroupKey,
  formatMinutes,
  formatTick,
  formatValue,
  seriesName,
} from './format';
import { markersIn } from './markers';
import {
  customRangeProblem,
  fromLocalInput,
  rangeFromParams,
  rangeToParams,
  resolveRange,
  toLocalInput,
} from './timeRange';

describe('formatValue', () => {
  it.each([
    [20.44, 'reqps', '20.4 req/s'],
    [0.004, 'reqps', '0.004 req/s'],
    [0.25, 'percent', '0.25 %'],
    [12.5, 'percent', '12.5 %'],
    [128.4, 'ms', '128 ms'],
    [1250, 'ms', '1.25 s'],
    [0.16, 'cores', '0.16 cores'],
    [312 * 2 ** 20, 'bytes', '312 MiB'],
    [1.5 * 2 ** 30, 'bytes', '1.5 GiB'],
    [3, 'count', '3'],
    [0, 'percent', '0 %'],
  ] as const)('%p %s → %s', (value, unit, text) => {
    expect(formatValue(value, unit)).toBe(text);
  });

  it('says "no data" for a gap, never 0', () => {
    expect(formatValue(null, 'percent')).toBe('no data');
    expect(formatValue(NaN, 'ms')).toBe('no data');
  });

  it('shortens axis labels', () => {
    expect(formatAxisValue(1500, 'reqps')).toBe('1.5k');
    expect(formatAxisValue(2.5e6, 'count')).toBe('2.5M');
    expect(formatAxisValue(5, 'percent')).toBe('5 %');
    expect(formatAxisValue(1500, 'ms')).toBe('1.5 s');
  });
});

describe('names and durations', () => {
  it('names a series by version, by labels, or by the panel', () => {
    expect(seriesName({ version: 'v2' }, 'Request rate')).toBe('v2');
    expect(seriesName({}, 'CPU')).toBe('CPU');
    expect(seriesName({ version: 'v2', pod: 'a' }, 'x')).toBe(
      'version=v2, pod=a',
    );
  });

  it('reads durations the way people say them', () => {
    expect(formatDuration(45_000)).toBe('45 s');
    expect(formatDuration(12 * 60_000)).toBe('12 min');
    expect(formatDuration(185 * 60_000)).toBe('3 h 5 min');
    expect(formatDuration(52 * 3600_000)).toBe('2 d 4 h');
    expect(formatMinutes(0)).toBe('at once');
    expect(formatMinutes(10080)).toBe('7 d');
  });

  it('labels the time axis as precisely as the range needs', () => {
    const t = new Date(2026, 10, 29, 12, 50, 32).getTime();
    expect(formatTick(t, 5 * 60_000)).toBe('12:50:32');
    expect(formatTick(t, 3600_000)).toBe('12:50');
    expect(formatTick(t, 7 * 24 * 3600_000)).toBe('29 Nov 12:50');
  });

  it('writes conditions and group keys', () => {
    expect(conditionText('>=', 800, 'ms')).toBe('>= 800 ms');
    expect(conditionText('<', 3, 'count')).toBe('< 3');
    expect(formatGroupKey('group:default/team-payments')).toBe('team-payments');
    expect(formatGroupKey('system:finance/core')).toBe('finance/core');
    expect(formatGroupKey('critical')).toBe('critical');
  });
});

describe('chart data', () => {
  it('aligns series by time and keeps gaps as gaps', () => {
    const p = panel({
      id: 'error-ratio',
      title: 'Errors',
      series: [
        {
          labels: { version: 'v1' },
          points: [
            [1, 0.1],
            [2, 0.2],
            [3, 0.3],
          ],
        },
        {
          labels: { version: 'v2' },
          points: [
            [2, null],
            [3, 4],
          ],
        },
      ],
    });
    const data = toChartData(p, ['v1', 'v2']);
    expect(data.rows).toEqual([
      { t: 1, s0: 0.1, s1: null },
      { t: 2, s0: 0.2, s1: null },
      { t: 3, s0: 0.3, s1: 4 },
    ]);
    expect(data.series.map(s => [s.name, s.latest])).toEqual([
      ['v1', 0.3],
      ['v2', 4],
    ]);
  });

  it('gives a version the same colour on every panel', () => {
    expect(colorOf({ version: 'v2' }, 0, ['v1', 'v2'])).toBe(SERIES_COLORS[1]);
    expect(colorOf({}, 2, ['v1', 'v2'])).toBe(SERIES_COLORS[2]);
  });

  it('takes the worst series as the value, sums stat panels, and grades thresholds', () => {
    const lines = panel({
      id: 'x',
      thresholds: [
        { value: 1, color: 'warning' },
        { value: 5, color: 'error' },
      ],
      series: [
        series({ version: 'v1' }, [0.2]),
        series({ version: 'v2' }, [2]),
      ],
    });
    expect(currentValue(lines)).toBe(2);
    expect(thresholdLevel(lines, 2)).toBe('warning');
    expect(thresholdLevel(lines, 5)).toBe('error');
    expect(thresholdLevel(lines, 0.5)).toBeUndefined();
    expect(thresholdLevel(lines, null)).toBeUndefined();
    const stat = panel({
      id: 'pods',
      kind: 'stat',
      series: [series({ a: '1' }, [2]), series({ a: '2' }, [3])],
    });
    expect(currentValue(stat)).toBe(5);
    expect(currentValue(panel({ id: 'empty' }))).toBeNull();
  });

  it('raises the y axis to show the nearest threshold', () => {
    const p = panel({
      id: 'latency',
      thresholds: [
        { value: 500, color: 'warning' },
        { value: 1000, color: 'error' },
      ],
      series: [series({}, [100, 120])],
    });
    expect(yMax(p, toChartData(p))).toBeCloseTo(550);
    const flat = panel({ id: 'z', series: [series({}, [0, 0])] });
    expect(yMax(flat, toChartData(flat))).toBe(1);
  });

  it('knows a canary from a single version', () => {
    expect(isSplit(dashboard({ versions: ['v1', 'v2'] }))).toBe(true);
    expect(isSplit(dashboard())).toBe(false);
  });

  it('marks only deploys inside the range, in order', () => {
    const markers = [
      { at: TO - 1, kind: 'build' as const, label: 'b' },
      { at: FROM - 1, kind: 'build' as const, label: 'old' },
      { at: FROM + 1, kind: 'release' as const, label: 'r' },
    ];
    expect(markersIn(markers, FROM, TO).map(m => m.label)).toEqual(['r', 'b']);
  });
});

describe('time range', () => {
  it('reads presets and fixed windows from the URL, else the last hour', () => {
    expect(rangeFromParams(new URLSearchParams('range=6h'))).toEqual({
      kind: 'relative',
      key: '6h',
    });
    expect(rangeFromParams(new URLSearchParams('from=1000&to=2000'))).toEqual({
      kind: 'absolute',
      from: 1000,
      to: 2000,
    });
    for (const bad of ['range=2y', 'from=2000&to=1000', 'from=x&to=1', '']) {
      expect(rangeFromParams(new URLSearchParams(bad))).toEqual({
        kind: 'relative',
        key: '1h',
      });
    }
  });

  it('writes a range into the URL without touching other parameters', () => {
    const params = new URLSearchParams('version=v2&range=6h');
    expect(
      rangeToParams({ kind: 'absolute', from: 1, to: 2 }, params).toString(),
    ).toBe('version=v2&from=1&to=2');
    expect(
      rangeToParams({ kind: 'relative', key: '1h' }, params).toString(),
    ).toBe('version=v2');
  });

  it('resolves a preset against now', () => {
    expect(resolveRange({ kind: 'relative', key: '7d' }, 1e12)).toEqual({
      from: 1e12 - 7 * 24 * 3600_000,
      to: 1e12,
    });
  });

  it('round-trips datetime-local text and checks custom windows', () => {
    const ms = new Date(2026, 10, 29, 12, 3).getTime();
    expect(fromLocalInput(toLocalInput(ms))).toBe(ms);
    expect(fromLocalInput('yesterday')).toBeNaN();
    const now = ms + 3600_000;
    expect(customRangeProblem(ms, ms + 60_000, now)).toBeUndefined();
    expect(customRangeProblem(ms, ms, now)).toBe(
      'The start must be before the end.',
    );
    expect(customRangeProblem(NaN, ms, now)).toBe(
      'Enter both the start and the end.',
    );
    expect(customRangeProblem(now + 1, now + 2, now)).toBe(
      'The start must be in the past.',
    );
    expect(customRangeProblem(ms - 40 * 24 * 3600_000, ms, now)).toBe(
      'A range may span at most 32 days.',
    );
  });
});
