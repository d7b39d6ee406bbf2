import { CronExpressionParser } from 'cron-parser';

/** A change-freeze calendar: releases are refused from each cron occurrence for `durationHours`. */
export interface FreezeWindow {
  name: string;
  /** Only services of this catalog System; every service when absent. */
  system?: string;
  /** Five-field cron expression of the window's start, e.g. `0 18 * * 5`. */
  cron: string;
  durationHours: number;
  /** IANA time zone of the cron expression; default UTC. */
  timezone: string;
}

export interface FreezeStatus {
  window: FreezeWindow;
  from: number;
  until: number;
}

/** Checks a window's cron expression and time zone; throws a message naming the problem. */
export function validateFreezeWindow(window: FreezeWindow): void {
  CronExpressionParser.parse(window.cron, {
    currentDate: new Date(0),
    tz: window.timezone,
    strict: false,
  });
  if (!(window.durationHours > 0 && window.durationHours <= 24 * 31)) {
    throw new Error(
      `durationHours must be between 0 and 744, got ${window.durationHours}`,
    );
  }
}

function appliesTo(window: FreezeWindow, system: string | undefined) {
  return !window.system || window.system === system;
}

/** The freeze in force for a service of `system` at `now`, if any (the one lasting longest). */
export function activeFreeze(
  windows: FreezeWindow[],
  system: string | undefined,
  now: number,
): FreezeStatus | undefined {
  let found: FreezeStatus | undefined;
  for (const window of windows) {
    if (!appliesTo(window, system)) continue;
    // The latest start at or before now; cron-parser's prev() is strictly before.
    const expression = CronExpressionParser.parse(window.cron, {
      currentDate: new Date(now + 1),
      tz: window.timezone,
    });
    const from = expression.prev().getTime();
    const until = from + window.durationHours * 3600_000;
    if (now >= from && now < until && (!found || until > found.until)) {
      found = { window, from, until };
    }
  }
  return found;
}

/** The next freeze to start after `now` for a service of `system`, if any. */
export function nextFreeze(
  windows: FreezeWindow[],
  system: string | undefined,
  now: number,
): FreezeStatus | undefined {
  let found: FreezeStatus | undefined;
  for (const window of windows) {
    if (!appliesTo(window, system)) continue;
    const expression = CronExpressionParser.parse(window.cron, {
      currentDate: new Date(now),
      tz: window.timezone,
    });
    const from = expression.next().getTime();
    if (!found || from < found.from) {
      found = { window, from, until: from + window.durationHours * 3600_000 };
    }
  }
  return found;
}

export function describeFreeze(status: FreezeStatus): string {
  const w = status.window;
  return `${w.name} (${w.cron} ${w.timezone}, ${w.durationHours} h${
    w.system ? `, system ${w.system}` : ''
  })`;
}
