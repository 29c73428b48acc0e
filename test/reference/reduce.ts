// Reduction reference ops (float64). Dims: number | number[] | undefined (= all); negatives allowed.
import { type RefTensor, make, normDims, stridesOf, stridedOffsets } from './tensor.ts';

type Dims = number | readonly number[] | undefined;

/**
 * Generic reduction: calls `f` with the values along the reduced dims (row-major order of the
 * reduced sub-index) for every output position.
 */
export function reduce(t: RefTensor, dims: Dims, keepdim: boolean, f: (vals: Float64Array) => number, dtype?: RefTensor['dtype']): RefTensor {
  const r = t.shape.length;
  const rd = normDims(dims, r);
  const isRed = t.shape.map((_, k) => rd.includes(k));
  const st = stridesOf(t.shape);
  const keptShape = t.shape.filter((_, k) => !isRed[k]);
  const outShape = keepdim ? t.shape.map((s, k) => (isRed[k] ? 1 : s)) : keptShape;
  const outOffs = stridedOffsets(keptShape, st.filter((_, k) => !isRed[k]));
  const redOffs = stridedOffsets(rd.map((k) => t.shape[k]), rd.map((k) => st[k]));
  const out = make(outShape, undefined, dtype);
  const vals = new Float64Array(redOffs.length);
  for (let o = 0; o < outOffs.length; o++) {
    const b = outOffs[o];
    for (let j = 0; j < redOffs.length; j++) vals[j] = t.data[b + redOffs[j]];
    out.data[o] = f(vals);
  }
  return out;
}

/**
 * float64 sum with Neumaier compensation: (nearly) correctly rounded, so that finite differences
 * of large sums are not swamped by summation rounding noise.
 */
export function fsum(v: ArrayLike<number>): number {
  let s = 0;
  let comp = 0;
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    const t = s + x;
    comp += Math.abs(s) >= Math.abs(x) ? s - t + x : x - t + s;
    s = t;
  }
  return s + comp;
}

export const sum = (t: RefTensor, dims?: Dims, keepdim = false) => reduce(t, dims, keepdim, fsum);
export const mean = (t: RefTensor, dims?: Dims, keepdim = false) => reduce(t, dims, keepdim, (v) => fsum(v) / v.length);
export const max = (t: RefTensor, dims?: Dims, keepdim = false) =>
  reduce(t, dims, keepdim, (v) => {
    let m = -Infinity;
    for (let i = 0; i < v.length; i++) if (v[i] > m) m = v[i];
    return m;
  });
export const min = (t: RefTensor, dims?: Dims, keepdim = false) =>
  reduce(t, dims, keepdim, (v) => {
    let m = Infinity;
    for (let i = 0; i < v.length; i++) if (v[i] < m) m = v[i];
    return m;
  });

/** First index of the maximum along one dim (PyTorch returns the first occurrence too). */
export const argmax = (t: RefTensor, dim: number, keepdim = false) =>
  reduce(t, dim, keepdim, (v) => {
    let bi = 0;
    for (let i = 1; i < v.length; i++) if (v[i] > v[bi]) bi = i;
    return bi;
  }, 'int32');

export const variance = (t: RefTensor, dims?: Dims, correction = 1, keepdim = false) =>
  reduce(t, dims, keepdim, (v) => {
    const m = fsum(v) / v.length;
    const d2 = v.map((x) => (x - m) * (x - m));
    return fsum(d2) / (v.length - correction);
  });

export const logsumexp = (t: RefTensor, dims: Dims, keepdim = false) =>
  reduce(t, dims, keepdim, (v) => {
    let m = -Infinity;
    for (let i = 0; i < v.length; i++) if (v[i] > m) m = v[i];
    if (m === -Infinity) return -Infinity;
    return m + Math.log(fsum(v.map((x) => Math.exp(x - m))));
  });
