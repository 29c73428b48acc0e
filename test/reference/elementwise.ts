// Elementwise reference ops (float64), broadcasting like PyTorch.
import { type RefTensor, asRef, map, zip, zipN } from './tensor.ts';

type Operand = RefTensor | number;

export const add = (a: Operand, b: Operand) => zip(asRef(a), asRef(b), (x, y) => x + y);
export const sub = (a: Operand, b: Operand) => zip(asRef(a), asRef(b), (x, y) => x - y);
export const mul = (a: Operand, b: Operand) => zip(asRef(a), asRef(b), (x, y) => x * y);
export const div = (a: Operand, b: Operand) => zip(asRef(a), asRef(b), (x, y) => x / y);
export const pow = (a: Operand, b: Operand) => zip(asRef(a), asRef(b), (x, y) => Math.pow(x, y));
export const maximum = (a: Operand, b: Operand) => zip(asRef(a), asRef(b), (x, y) => Math.max(x, y));
export const minimum = (a: Operand, b: Operand) => zip(asRef(a), asRef(b), (x, y) => Math.min(x, y));

export const neg = (a: RefTensor) => map(a, (x) => -x);
export const exp = (a: RefTensor) => map(a, Math.exp);
export const log = (a: RefTensor) => map(a, Math.log);
export const sqrt = (a: RefTensor) => map(a, Math.sqrt);
export const rsqrt = (a: RefTensor) => map(a, (x) => 1 / Math.sqrt(x));
export const abs = (a: RefTensor) => map(a, Math.abs);
export const relu = (a: RefTensor) => map(a, (x) => (x > 0 ? x : 0));
export const sigmoid = (a: RefTensor) => map(a, (x) => 1 / (1 + Math.exp(-x)));
export const tanh = (a: RefTensor) => map(a, Math.tanh);

export function clamp(a: RefTensor, lo?: number, hi?: number): RefTensor {
  return map(a, (x) => {
    let y = x;
    if (lo !== undefined && y < lo) y = lo;
    if (hi !== undefined && y > hi) y = hi;
    return y;
  });
}

/**
 * erf(x) in float64 via the everywhere-positive series
 *   erf(x) = 2/sqrt(pi) * exp(-x^2) * sum_n 2^n x^(2n+1) / (1*3*...*(2n+1)),
 * which has no cancellation; |x| >= 6 returns +-1 (erfc(6) ~ 2e-17).
 */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax >= 6) return Math.sign(x);
  let term = ax;
  let sum = ax;
  const x2 = ax * ax;
  for (let n = 1; n < 500; n++) {
    term *= (2 * x2) / (2 * n + 1);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  const r = (2 / Math.sqrt(Math.PI)) * Math.exp(-x2) * sum;
  return x < 0 ? -r : r;
}

export function gelu(a: RefTensor, approximate: 'none' | 'tanh' = 'none'): RefTensor {
  if (approximate === 'tanh') {
    const c = Math.sqrt(2 / Math.PI);
    return map(a, (x) => 0.5 * x * (1 + Math.tanh(c * (x + 0.044715 * x * x * x))));
  }
  return map(a, (x) => 0.5 * x * (1 + erf(x / Math.SQRT2)));
}

const cmp = (f: (x: number, y: number) => boolean) => (a: Operand, b: Operand) =>
  zip(asRef(a), asRef(b), (x, y) => (f(x, y) ? 1 : 0), 'bool');
export const eq = cmp((x, y) => x === y);
export const ne = cmp((x, y) => x !== y);
export const lt = cmp((x, y) => x < y);
export const le = cmp((x, y) => x <= y);
export const gt = cmp((x, y) => x > y);
export const ge = cmp((x, y) => x >= y);

export function where(cond: RefTensor, a: Operand, b: Operand): RefTensor {
  return zipN([cond, asRef(a), asRef(b)], (c, x, y) => (c !== 0 ? x : y));
}
