// Tolerance comparison + message formatting shared by the runners. No Node built-ins.
import type { Tol } from './types.ts';
import { unravel } from '../reference/tensor.ts';

export interface Mismatch {
  ok: boolean;
  /** Elements out of tolerance / elements compared. */
  bad: number;
  count: number;
  /** Worst element (largest err/allowed), in flat index of the compared tensor. */
  worst: { i: number; got: number; exp: number; err: number; allowed: number } | null;
}

export function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1e-3 && a < 1e6 ? String(Number(v.toPrecision(8))) : v.toExponential(6);
}

/** The atol multiplier of a tolerance for expected values whose largest magnitude is `maxAbs`. */
export function atolScale(tol: Tol, maxAbs: number): number {
  return tol.scale === 'one' ? 1 : Math.max(1, Number.isFinite(maxAbs) ? maxAbs : 1);
}

/**
 * |got - exp| <= atol * scale + rtol * |exp| with scale = atolScale(tol, max |exp|) unless given.
 * NaN must match NaN; infinities must match exactly. `idx` maps compared element k to flat index
 * idx[k] of `got` (sampled comparisons); otherwise element k of both arrays.
 */
export function compare(got: ArrayLike<number>, exp: ArrayLike<number>, tol: Tol, idx?: readonly number[], scaleIn?: number): Mismatch {
  const count = exp.length;
  let scale = scaleIn;
  if (scale === undefined) {
    let mx = 0;
    for (let k = 0; k < count; k++) if (Number.isFinite(exp[k])) mx = Math.max(mx, Math.abs(exp[k]));
    scale = atolScale(tol, mx);
  }
  let bad = 0;
  let worst: Mismatch['worst'] = null;
  let worstR = -1;
  for (let k = 0; k < count; k++) {
    const i = idx ? idx[k] : k;
    const g = got[i];
    const e = exp[k];
    const allowed = tol.atol * scale + tol.rtol * Math.abs(e);
    let r: number;
    let err: number;
    if (Number.isNaN(e) || Number.isNaN(g) || !Number.isFinite(e) || !Number.isFinite(g)) {
      const same = (Number.isNaN(e) && Number.isNaN(g)) || e === g;
      r = same ? 0 : Infinity;
      err = same ? 0 : Infinity;
    } else {
      err = Math.abs(g - e);
      r = err / allowed;
    }
    if (r > 1) bad++;
    if (r > worstR) {
      worstR = r;
      worst = { i, got: g, exp: e, err, allowed };
    }
  }
  return { ok: bad === 0, bad, count, worst };
}

/** Exact comparison (bool / int outputs). */
export function compareExact(got: ArrayLike<number>, exp: ArrayLike<number>, idx?: readonly number[]): Mismatch {
  return compare(got, exp, { rtol: 0, atol: 0 }, idx, 0);
}

export function describeMismatch(what: string, m: Mismatch, shape: readonly number[]): string {
  if (!m.worst) return `${what}: nothing compared`;
  const w = m.worst;
  const at = shape.length ? `[${unravel(w.i, shape).join(',')}]` : '[]';
  return `${what}: ${m.bad}/${m.count} elements out of tolerance; worst at ${at}: expected ${fmt(w.exp)} got ${fmt(w.got)} (|diff| ${fmt(w.err)} > allowed ${fmt(w.allowed)})`;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * Signed projection sum_i s_i * v_i with s_i = +-1 from a multiplicative hash of i; generate.py
 * computes the same. Used on large tensors stored as samples: wrong elements anywhere shift it,
 * while rounding errors (random signs) and systematic relative biases mostly cancel.
 */
export function signedProjection(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += ((Math.imul(i, 0x9e3779b1) >>> 16) & 1 ? v[i] : -v[i]);
  return s;
}
