/**
 * A step's timeline, written at nominal speed (milliseconds at the default
 * step unit) and scaled when finished. Large blocks of generated lines stay
 * lazy: they are produced only when read.
 */
import type { ScriptedStep } from '../contracts';

/** A line's text, or a function of its real time (and of the nominal → real conversion). */
export type Text =
  | string
  | ((atMs: number, toMs: (nominal: number) => number) => string);

interface Line {
  kind: 'line';
  t: number;
  text: Text;
}

interface Block {
  kind: 'block';
  t0: number;
  t1: number;
  count: number;
  line: (i: number, atMs: number) => string;
}

export type LogLine = ScriptedStep['lines'][number];

export class Script {
  private t = 0;
  private readonly items: Array<Line | Block> = [];

  /** Nominal time now. */
  get now(): number {
    return this.t;
  }

  /** A line `dt` nominal ms after the previous one. */
  line(text: Text, dt = 15): this {
    this.t += dt;
    this.items.push({ kind: 'line', t: this.t, text });
    return this;
  }

  lines(texts: Text[], dt = 15): this {
    for (const t of texts) this.line(t, dt);
    return this;
  }

  wait(dt: number): this {
    this.t += dt;
    return this;
  }

  /** `count` generated lines spread over `span` nominal ms, produced on demand. */
  block(
    count: number,
    span: number,
    line: (i: number, atMs: number) => string,
  ): this {
    if (count <= 0) return this;
    this.items.push({
      kind: 'block',
      t0: this.t,
      t1: this.t + span,
      count,
      line,
    });
    this.t += span;
    return this;
  }

  /** The lines, scaled so that a nominal ms lasts `scale` real ms. */
  finish(scale: number): { lines: LogLine[]; durationMs: number } {
    const at = (t: number) => Math.round(t * scale);
    const durationMs = Math.max(1, at(this.t + 10));
    const hasBlocks = this.items.some(i => i.kind === 'block');
    const materialise = (l: Line): LogLine => {
      const atMs = at(l.t);
      return {
        atMs,
        text: typeof l.text === 'function' ? l.text(atMs, at) : l.text,
      };
    };
    if (!hasBlocks) {
      return {
        lines: (this.items as Line[]).map(materialise),
        durationMs,
      };
    }
    return { lines: lazyLines(this.items, at, materialise), durationMs };
  }
}

/**
 * An Array of lines whose generated blocks are produced on access (a Proxy
 * over a sparse array of the right length): indexing, `length`, iteration,
 * `slice` and the other Array methods work; nothing is held in memory.
 */
function lazyLines(
  items: Array<Line | Block>,
  at: (t: number) => number,
  materialise: (l: Line) => LogLine,
): LogLine[] {
  const starts: number[] = [];
  let total = 0;
  for (const item of items) {
    starts.push(total);
    total += item.kind === 'line' ? 1 : item.count;
  }
  const get = (index: number): LogLine => {
    let lo = 0;
    let hi = items.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= index) lo = mid;
      else hi = mid - 1;
    }
    const item = items[lo];
    if (item.kind === 'line') return materialise(item);
    const i = index - starts[lo];
    const t = item.t0 + ((item.t1 - item.t0) * (i + 1)) / item.count;
    const atMs = at(t);
    return { atMs, text: item.line(i, atMs) };
  };
  const isIndex = (p: string | symbol): p is string =>
    typeof p === 'string' && /^(0|[1-9]\d*)$/.test(p) && Number(p) < total;
  // eslint-disable-next-line no-sparse-arrays
  const target: LogLine[] = [];
  target.length = total;
  return new Proxy(target, {
    get(obj, prop, receiver) {
      if (isIndex(prop)) return get(Number(prop));
      return Reflect.get(obj, prop, receiver);
    },
    has(obj, prop) {
      return isIndex(prop) || Reflect.has(obj, prop);
    },
    getOwnPropertyDescriptor(obj, prop) {
      if (isIndex(prop)) {
        return {
          value: get(Number(prop)),
          writable: false,
          enumerable: true,
          configurable: true,
        };
      }
      return Reflect.getOwnPropertyDescriptor(obj, prop);
    },
    set() {
      return false;
    },
  });
}
