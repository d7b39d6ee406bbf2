import { Comparison, PanelUnit } from '@fincloud/plugin-monitoring-common';

const UNIT_SUFFIX: Record<PanelUnit, string> = {
  reqps: 'req/s',
  percent: '%',
  ms: 'ms',
  cores: 'cores',
  bytes: 'B',
  count: '',
};

/** What a unit is called next to an input ("threshold in %"). */
export function unitLabel(unit: PanelUnit): string {
  switch (unit) {
    case 'reqps':
      return 'req/s';
    case 'percent':
      return '%';
    case 'ms':
      return 'ms';
    case 'cores':
      return 'cores';
    case 'bytes':
      return 'bytes';
    default:
      return '';
  }
}

/** 3 significant digits at most, never exponent notation for everyday values. */
function round(value: number): string {
  const abs = Math.abs(value);
  if (abs === 0) return '0';
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1).replace(/\.0$/, '');
  if (abs >= 1) return value.toFixed(2).replace(/\.?0+$/, '');
  if (abs >= 0.001) return value.toFixed(3).replace(/\.?0+$/, '');
  return value.toExponential(1);
}

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/**
 * A value as a person reads it in that unit: `12.3 req/s`, `0.42 %`,
 * `230 ms` / `1.25 s`, `0.15 cores`, `312 MiB`, `3`; `no data` for a gap.
 */
export function formatValue(value: number | null | undefined, unit: PanelUnit) {
  if (value === null || value === undefined || !Number.isFinite(value)) {
    return 'no data';
  }
  switch (unit) {
    case 'ms':
      return Math.abs(value) >= 1000
        ? `${round(value / 1000)} s`
        : `${round(value)} ms`;
    case 'bytes': {
      let v = value;
      let i = 0;
      while (Math.abs(v) >= 1024 && i < BYTE_UNITS.length - 1) {
        v /= 1024;
        i++;
      }
      return `${round(v)} ${BYTE_UNITS[i]}`;
    }
    case 'count':
      return Number.isInteger(value) ? String(value) : round(value);
    case 'percent':
      return `${round(value)} %`;
    default:
      return `${round(value)} ${UNIT_SUFFIX[unit]}`;
  }
}

/** A shorter form for chart axes: `1.2k`, `512 MiB`, `1.5 s`. */
export function formatAxisValue(value: number, unit: PanelUnit): string {
  if (unit === 'bytes' || unit === 'ms') return formatValue(value, unit);
  const abs = Math.abs(value);
  let text: string;
  if (abs >= 1e6) text = `${round(value / 1e6)}M`;
  else if (abs >= 1e3) text = `${round(value / 1e3)}k`;
  else text = round(value);
  return unit === 'percent' ? `${text} %` : text;
}

/**
 * How a series is named in legends and tooltips: its `version` when it has
 * one, else its labels, else the panel's title.
 */
export function seriesName(
  labels: Record<string, string>,
  fallback: string,
): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return fallback;
  if (labels.version !== undefined && entries.length === 1) {
    return labels.version;
  }
  return entries.map(([k, v]) => `${k}=${v}`).join(', ');
}

/** `HH:mm:ss` for ranges up to 10 minutes, `HH:mm` within a day, `d MMM HH:mm` beyond. */
export function formatTick(ms: number, rangeMs: number): string {
  const date = new Date(ms);
  const time = date.toLocaleTimeString('en-GB', {
    hour: '2-digit',
    minute: '2-digit',
    ...(rangeMs <= 10 * 60_000 ? { second: '2-digit' as const } : {}),
  });
  if (rangeMs <= 24 * 3600_000) return time;
  const day = date.toLocaleDateString('en-GB', {
    day: 'numeric',
    month: 'short',
  });
  return `${day} ${time}`;
}

/** `29 Nov 2026, 12:03:04` (local time). */
export function formatDateTime(value: number | string): string {
  return new Date(value).toLocaleString('en-GB', {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
}

/** `45 s`, `12 min`, `3 h 5 min`, `2 d 4 h`. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) {
    const rest = minutes % 60;
    return rest ? `${hours} h ${rest} min` : `${hours} h`;
  }
  const days = Math.floor(hours / 24);
  const rest = hours % 24;
  return rest ? `${days} d ${rest} h` : `${days} d`;
}

/** `for 12 min` since an ISO time. */
export function formatSince(iso: string, now: number): string {
  return formatDuration(now - new Date(iso).getTime());
}

/** `30 min`, `1 h`, `7 d` for a silence or a rule's `for`. */
export function formatMinutes(minutes: number): string {
  if (minutes === 0) return 'at once';
  return formatDuration(minutes * 60_000);
}

/** `> 5 %`, `>= 800 ms`: a rule's condition in the panel's unit. */
export function conditionText(
  comparison: Comparison,
  threshold: number,
  unit: PanelUnit | undefined,
): string {
  const suffix = unit ? unitLabel(unit) : '';
  return `${comparison} ${threshold}${suffix ? ` ${suffix}` : ''}`;
}

/** `user:default/pete` → `pete`; anything else as it is. */
export function formatUser(ref: string): string {
  const match = /^user:(?:default\/)?(.+)$/.exec(ref);
  return match ? match[1] : ref;
}

/** `group:default/team-payments` → `team-payments`; severity keys as they are. */
export function formatGroupKey(key: string): string {
  const match = /^[a-z]+:(?:default\/)?(.+)$/i.exec(key);
  return match ? match[1] : key;
}
