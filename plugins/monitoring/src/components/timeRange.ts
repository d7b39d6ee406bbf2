/**
 * The Monitoring tab's time range: a preset relative to now (kept live by
 * auto refresh) or a fixed window, stored in the URL so a link shows the
 * same view.
 */

export interface RangePreset {
  key: string;
  label: string;
  ms: number;
}

export const RANGE_PRESETS: RangePreset[] = [
  { key: '15m', label: '15m', ms: 15 * 60_000 },
  { key: '1h', label: '1h', ms: 3600_000 },
  { key: '6h', label: '6h', ms: 6 * 3600_000 },
  { key: '24h', label: '24h', ms: 24 * 3600_000 },
  { key: '7d', label: '7d', ms: 7 * 24 * 3600_000 },
];

export const DEFAULT_RANGE = '1h';

/** The backend refuses ranges over 32 days. */
export const MAX_RANGE_MS = 32 * 24 * 3600_000;

export type TimeRange =
  | { kind: 'relative'; key: string }
  | { kind: 'absolute'; from: number; to: number };

/** Auto-refresh choices (ms; 0 = off). */
export const REFRESH_OPTIONS: Array<{ ms: number; label: string }> = [
  { ms: 0, label: 'Off' },
  { ms: 10_000, label: '10s' },
  { ms: 30_000, label: '30s' },
  { ms: 60_000, label: '1m' },
  { ms: 300_000, label: '5m' },
];

export const DEFAULT_REFRESH_MS = 30_000;

export function presetOf(key: string): RangePreset | undefined {
  return RANGE_PRESETS.find(p => p.key === key);
}

/** The window a range covers at `now`, in unix ms. */
export function resolveRange(
  range: TimeRange,
  now: number,
): { from: number; to: number } {
  if (range.kind === 'absolute') return { from: range.from, to: range.to };
  const preset = presetOf(range.key) ?? presetOf(DEFAULT_RANGE)!;
  return { from: now - preset.ms, to: now };
}

/** `?range=6h` or `?from=…&to=…` (unix ms); anything else is the default. */
export function rangeFromParams(params: URLSearchParams): TimeRange {
  const from = Number(params.get('from'));
  const to = Number(params.get('to'));
  if (
    params.has('from') &&
    params.has('to') &&
    Number.isInteger(from) &&
    Number.isInteger(to) &&
    from > 0 &&
    from < to
  ) {
    return { kind: 'absolute', from, to };
  }
  const key = params.get('range');
  if (key && presetOf(key)) return { kind: 'relative', key };
  return { kind: 'relative', key: DEFAULT_RANGE };
}

/** Writes a range into search params, leaving other params alone. */
export function rangeToParams(
  range: TimeRange,
  params: URLSearchParams,
): URLSearchParams {
  const next = new URLSearchParams(params);
  next.delete('range');
  next.delete('from');
  next.delete('to');
  if (range.kind === 'absolute') {
    next.set('from', String(range.from));
    next.set('to', String(range.to));
  } else if (range.key !== DEFAULT_RANGE) {
    next.set('range', range.key);
  }
  return next;
}

/** `2026-11-29T12:03` for a datetime-local input, in local time. */
export function toLocalInput(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(
    d.getHours(),
  )}:${pad(d.getMinutes())}`;
}

/** The other way; NaN when the text is not a date. */
export function fromLocalInput(text: string): number {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(text)) return NaN;
  return new Date(text).getTime();
}

/** What is wrong with a custom window, or undefined when it is usable. */
export function customRangeProblem(
  from: number,
  to: number,
  now: number,
): string | undefined {
  if (!Number.isFinite(from) || !Number.isFinite(to)) {
    return 'Enter both the start and the end.';
  }
  if (from >= to) return 'The start must be before the end.';
  if (from >= now) return 'The start must be in the past.';
  if (to - from > MAX_RANGE_MS) return 'A range may span at most 32 days.';
  return undefined;
}
