import type { SimClock } from '../contracts';

/** The clock of a served simulator: wall time and real timers. */
export class RealClock implements SimClock {
  private readonly timers = new Set<NodeJS.Timeout>();

  now(): number {
    return Date.now();
  }

  setTimeout(fn: () => void, ms: number): () => void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, Math.max(0, ms));
    timer.unref?.();
    this.timers.add(timer);
    return () => {
      clearTimeout(timer);
      this.timers.delete(timer);
    };
  }

  /** Cancels every pending timer (server stop). */
  stop() {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/**
 * A clock that only moves when told to: `advance(ms)` runs every timer due
 * in that span in time order, setting now() to each timer's time first, and
 * calls `afterEach` (the controllers' work queue) after each one. Makes the
 * simulator deterministic in tests.
 */
export class ManualClock implements SimClock {
  private current: number;
  private seq = 0;
  private timers: Timer[] = [];
  afterEach: () => void = () => {};

  constructor(start = Date.UTC(2026, 0, 15, 9, 0, 0)) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): () => void {
    const timer: Timer = {
      at: this.current + Math.max(0, ms),
      seq: this.seq++,
      fn,
      cancelled: false,
    };
    this.timers.push(timer);
    return () => {
      timer.cancelled = true;
    };
  }

  /** Moves time forward by `ms`, running what falls due in order. */
  advance(ms: number) {
    if (ms < 0) throw new Error('time only moves forward');
    const end = this.current + ms;
    this.afterEach();
    for (;;) {
      const next = this.nextDue(end);
      if (!next) break;
      this.current = Math.max(this.current, next.at);
      next.cancelled = true;
      next.fn();
      this.afterEach();
    }
    this.current = end;
    this.afterEach();
  }

  /** Timers not yet run (tests). */
  pending(): number {
    this.timers = this.timers.filter(t => !t.cancelled);
    return this.timers.length;
  }

  private nextDue(end: number): Timer | undefined {
    let best: Timer | undefined;
    for (const t of this.timers) {
      if (t.cancelled || t.at > end) continue;
      if (!best || t.at < best.at || (t.at === best.at && t.seq < best.seq))
        best = t;
    }
    if (this.timers.length > 1000)
      this.timers = this.timers.filter(t => !t.cancelled);
    return best;
  }
}
