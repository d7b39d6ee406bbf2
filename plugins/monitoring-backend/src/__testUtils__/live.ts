/*
 * Helpers of the live suites (the cluster simulator's traffic scraped by a
 * real Prometheus every second): waiting for what arrives over time, and
 * reading the latest values of a dashboard.
 */
import { Dashboard, Panel } from '@fincloud/plugin-monitoring-common';

/** Resolves with the first value `probe` gives that is not undefined; fails after the timeout with the last error. */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 90_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out waiting for ${what}${last ? `: ${last}` : ''}`,
      );
    }
    await new Promise(r => setTimeout(r, 500));
  }
}

/** The latest point of a series that is not a gap. */
export function latest(points: Array<[number, number | null]>) {
  return [...points].reverse().find(([, v]) => v !== null)?.[1] ?? undefined;
}

/** A panel of the dashboard (throws when it has none of that id). */
export function panelOf(d: Dashboard, id: string): Panel {
  const found = d.panels.find(p => p.id === id);
  if (!found) throw new Error(`no panel ${id}`);
  return found;
}

/** The highest latest value of a panel's series. */
export function lastValue(d: Dashboard, panel: string) {
  const values = (d.panels.find(p => p.id === panel)?.series ?? [])
    .map(s => latest(s.points))
    .filter((v): v is number => typeof v === 'number');
  return values.length ? Math.max(...values) : undefined;
}

/** The latest value of each series of a panel, by its `version` label ('' without one). */
export function latestByVersion(d: Dashboard, panel: string) {
  return Object.fromEntries(
    panelOf(d, panel).series.map(s => [
      s.labels.version ?? '',
      latest(s.points),
    ]),
  ) as Record<string, number | undefined>;
}
