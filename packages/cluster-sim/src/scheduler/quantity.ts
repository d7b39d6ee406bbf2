/**
 * Kubernetes resource quantities ("100m", "1.5", "512Mi", "2G", "1e3"),
 * parsed exactly (BigInt fractions) so that "0.1" CPU is 100 millicores and
 * not 101 after floating-point rounding. Rounding follows apimachinery:
 * `MilliValue()` and `Value()` round up.
 */

const QUANTITY = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)([a-zA-Z]*|[eE][+-]?\d+)$/;

const BINARY: Record<string, number> = {
  Ki: 10,
  Mi: 20,
  Gi: 30,
  Ti: 40,
  Pi: 50,
  Ei: 60,
};
const DECIMAL: Record<string, number> = {
  n: -9,
  u: -6,
  m: -3,
  '': 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};

interface Fraction {
  num: bigint;
  den: bigint;
}

const cache = new Map<string, Fraction | undefined>();

/** Quantities repeat (every pod of a Deployment): parse each spelling once. */
function parseFraction(input: string): Fraction | undefined {
  if (cache.has(input)) return cache.get(input);
  const parsed = parseUncached(input);
  if (cache.size > 10_000) cache.clear();
  cache.set(input, parsed);
  return parsed;
}

function parseUncached(input: string): Fraction | undefined {
  const match = QUANTITY.exec(input.trim());
  if (!match) {
    return undefined;
  }
  const [, sign, mantissa, suffix] = match;
  const [whole, frac = ''] = mantissa.split('.');
  let num = BigInt(`${whole || '0'}${frac}`);
  let den = 10n ** BigInt(frac.length);
  if (sign === '-') {
    num = -num;
  }
  if (suffix in BINARY) {
    num *= 2n ** BigInt(BINARY[suffix]);
  } else if (suffix in DECIMAL) {
    const exp = DECIMAL[suffix];
    if (exp >= 0) num *= 10n ** BigInt(exp);
    else den *= 10n ** BigInt(-exp);
  } else if (/^[eE]/.test(suffix)) {
    const exp = Number(suffix.slice(1));
    if (Math.abs(exp) > 30) return undefined;
    if (exp >= 0) num *= 10n ** BigInt(exp);
    else den *= 10n ** BigInt(-exp);
  } else {
    return undefined;
  }
  return { num, den };
}

function ceilDiv(num: bigint, den: bigint): bigint {
  const q = num / den;
  return num % den > 0n ? q + 1n : q;
}

/** True when `input` is a valid Kubernetes quantity. */
export function isQuantity(input: unknown): boolean {
  return typeof input === 'string'
    ? parseFraction(input) !== undefined
    : typeof input === 'number' && Number.isFinite(input);
}

/** The quantity in thousandths (CPU millicores), rounded up; 0 when absent or invalid. */
export function milliValue(input: string | number | undefined): number {
  if (input === undefined || input === null) return 0;
  if (typeof input === 'number') return Math.ceil(input * 1000);
  const f = parseFraction(input);
  return f ? Number(ceilDiv(f.num * 1000n, f.den)) : 0;
}

/** The quantity as an integer (bytes, pods), rounded up; 0 when absent or invalid. */
export function value(input: string | number | undefined): number {
  if (input === undefined || input === null) return 0;
  if (typeof input === 'number') return Math.ceil(input);
  const f = parseFraction(input);
  return f ? Number(ceilDiv(f.num, f.den)) : 0;
}
