// Exact decimal arithmetic on bigint: a value is an integer count of 10^-scale units. Money never
// touches floating point; the only rounding is explicit (half-even) and only where the brief allows it.

export interface Decimal {
  readonly units: bigint;
  readonly scale: number;
}

const TEN = 10n;
const pow10 = (n: number): bigint => TEN ** BigInt(n);

export function parseDecimal(s: string): Decimal {
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(s);
  if (m === null) throw new RangeError(`not a decimal: ${s}`);
  const frac = m[3] ?? '';
  const units = BigInt(`${m[2]}${frac}`);
  return { units: m[1] === '-' ? -units : units, scale: frac.length };
}

export const rescale = (d: Decimal, scale: number): Decimal =>
  scale >= d.scale ? { units: d.units * pow10(scale - d.scale), scale } : roundHalfEven(d, scale);

export function add(a: Decimal, b: Decimal): Decimal {
  const scale = Math.max(a.scale, b.scale);
  return { units: rescale(a, scale).units + rescale(b, scale).units, scale };
}

export const sub = (a: Decimal, b: Decimal): Decimal => add(a, { units: -b.units, scale: b.scale });
export const mul = (a: Decimal, b: Decimal): Decimal => ({ units: a.units * b.units, scale: a.scale + b.scale });
export const ZERO: Decimal = Object.freeze({ units: 0n, scale: 0 });

export function compare(a: Decimal, b: Decimal): -1 | 0 | 1 {
  const scale = Math.max(a.scale, b.scale);
  const x = rescale(a, scale).units;
  const y = rescale(b, scale).units;
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Integer division rounded half to even (banker's): no bias when many values are rounded and summed. */
export function divHalfEven(n: bigint, d: bigint): bigint {
  if (d === 0n) throw new RangeError('division by zero');
  if (d < 0n) return divHalfEven(-n, -d);
  const q = n / d; // truncates toward zero
  const r = n - q * d;
  const twice = 2n * (r < 0n ? -r : r);
  if (twice < d) return q;
  const away = q + (n < 0n ? -1n : 1n);
  if (twice > d) return away;
  return q % 2n === 0n ? q : away;
}

export function roundHalfEven(d: Decimal, scale: number): Decimal {
  if (scale >= d.scale) return rescale(d, scale);
  return { units: divHalfEven(d.units, pow10(d.scale - scale)), scale };
}

/** Canonical text: no exponent, no trailing fractional zeros ("12.50" → "12.5", "3.000" → "3"). */
export function formatDecimal(d: Decimal): string {
  const neg = d.units < 0n;
  const digits = (neg ? -d.units : d.units).toString().padStart(d.scale + 1, '0');
  const int = digits.slice(0, digits.length - d.scale);
  const frac = digits.slice(digits.length - d.scale).replace(/0+$/, '');
  return `${neg ? '-' : ''}${int}${frac ? `.${frac}` : ''}`;
}

/** Micro-units (10^-6) of an amount with at most 6 decimals. */
export const toMicros = (s: string): bigint => rescale(parseDecimal(s), 6).units;
export const fromMicros = (micros: bigint): string => formatDecimal({ units: micros, scale: 6 });

/**
 * Splits `total` micro-units over `weights` (exact decimals, ≥ 0) by the largest-remainder method:
 * everyone gets floor(total·w/W), and the micro-units left over go one each to the largest remainders
 * (ties: the order of `weights`, which callers sort by name). The shares always sum to `total` exactly.
 * With W = 0 nothing can be apportioned: every share is 0 and the caller reports the pool as unallocated.
 */
export function apportion(total: bigint, weights: readonly Decimal[]): bigint[] {
  const scale = Math.max(0, ...weights.map((w) => w.scale));
  const w = weights.map((x) => rescale(x, scale).units);
  const sum = w.reduce((a, b) => a + b, 0n);
  if (sum === 0n) return w.map(() => 0n);
  const floors = w.map((x) => (total * x) / sum);
  const remainders = w.map((x, i) => ({ i, r: total * x - floors[i]! * sum }));
  let left = total - floors.reduce((a, b) => a + b, 0n);
  remainders.sort((a, b) => (a.r === b.r ? a.i - b.i : a.r > b.r ? -1 : 1));
  for (const { i } of remainders) {
    if (left === 0n) break;
    floors[i]! += 1n;
    left -= 1n;
  }
  return floors;
}
