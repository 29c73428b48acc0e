// Shape / indexing reference ops (float64, always materialized).
import { type RefTensor, make, numel, normDim, normDims, stridesOf, stridedOffsets, broadcastTo } from './tensor.ts';

function gatherOffsets(t: RefTensor, shape: readonly number[], strides: readonly number[], base = 0): RefTensor {
  const offs = stridedOffsets(shape, strides, base);
  const out = make(shape, undefined, t.dtype);
  for (let i = 0; i < offs.length; i++) out.data[i] = t.data[offs[i]];
  return out;
}

export function reshape(t: RefTensor, shape: readonly number[]): RefTensor {
  const s = [...shape];
  const neg = s.indexOf(-1);
  if (neg >= 0) s[neg] = numel(t.shape) / s.filter((_, i) => i !== neg).reduce((a, b) => a * b, 1);
  if (numel(s) !== numel(t.shape)) throw new Error(`ref.reshape: [${t.shape}] -> [${shape}]`);
  return make(s, t.data, t.dtype);
}

export function flatten(t: RefTensor, start = 0, end = -1): RefTensor {
  const r = t.shape.length;
  if (r === 0) return reshape(t, [1]);
  const s0 = normDim(start, r);
  const e0 = normDim(end, r);
  const mid = t.shape.slice(s0, e0 + 1).reduce((a, b) => a * b, 1);
  return reshape(t, [...t.shape.slice(0, s0), mid, ...t.shape.slice(e0 + 1)]);
}

export function permute(t: RefTensor, dims: readonly number[]): RefTensor {
  const r = t.shape.length;
  const d = dims.map((x) => normDim(x, r));
  const st = stridesOf(t.shape);
  return gatherOffsets(t, d.map((k) => t.shape[k]), d.map((k) => st[k]));
}

export function transpose(t: RefTensor, d0: number, d1: number): RefTensor {
  const r = t.shape.length;
  const perm = Array.from({ length: r }, (_, i) => i);
  const a = normDim(d0, r);
  const b = normDim(d1, r);
  perm[a] = b;
  perm[b] = a;
  return permute(t, perm);
}

export const contiguous = (t: RefTensor): RefTensor => make(t.shape, t.data, t.dtype);

/** Python-style slice along one dim: negative start/end count from the end, clamped; step > 0. */
export function slice(t: RefTensor, dim: number, start?: number, end?: number, step = 1): RefTensor {
  const r = t.shape.length;
  const d = normDim(dim, r);
  const n = t.shape[d];
  const norm = (x: number) => Math.min(Math.max(x < 0 ? x + n : x, 0), n);
  const s = start === undefined ? 0 : norm(start);
  const e = end === undefined ? n : norm(end);
  const len = e > s ? Math.ceil((e - s) / step) : 0;
  const st = stridesOf(t.shape);
  const shape = [...t.shape];
  shape[d] = len;
  const strides = [...st];
  strides[d] = st[d] * step;
  return gatherOffsets(t, shape, strides, s * st[d]);
}

export function expand(t: RefTensor, shape: readonly number[]): RefTensor {
  return broadcastTo(t, shape);
}

export function squeeze(t: RefTensor, dim?: number | readonly number[]): RefTensor {
  const r = t.shape.length;
  const drop = dim === undefined ? t.shape.map((_, k) => k) : normDims(dim, r);
  return reshape(t, t.shape.filter((s, k) => !(s === 1 && drop.includes(k))));
}

export function unsqueeze(t: RefTensor, dim: number): RefTensor {
  const r = t.shape.length + 1;
  const d = normDim(dim, r);
  const s = [...t.shape];
  s.splice(d, 0, 1);
  return reshape(t, s);
}

export function cat(ts: RefTensor[], dim = 0): RefTensor {
  const r = ts[0].shape.length;
  const d = normDim(dim, r);
  const shape = [...ts[0].shape];
  shape[d] = ts.reduce((a, t) => a + t.shape[d], 0);
  const out = make(shape);
  const outer = shape.slice(0, d).reduce((a, b) => a * b, 1);
  const inner = shape.slice(d + 1).reduce((a, b) => a * b, 1);
  let o = 0;
  for (let i = 0; i < outer; i++) {
    for (const t of ts) {
      const blk = t.shape[d] * inner;
      for (let j = 0; j < blk; j++) out.data[o++] = t.data[i * blk + j];
    }
  }
  return out;
}

export function stack(ts: RefTensor[], dim = 0): RefTensor {
  const d = normDim(dim, ts[0].shape.length + 1);
  return cat(ts.map((t) => unsqueeze(t, d)), d);
}

export function split(t: RefTensor, sizeOrSections: number | readonly number[], dim = 0): RefTensor[] {
  const d = normDim(dim, t.shape.length);
  const n = t.shape[d];
  const sizes: number[] = [];
  if (typeof sizeOrSections === 'number') {
    for (let s = 0; s < n; s += sizeOrSections) sizes.push(Math.min(sizeOrSections, n - s));
  } else sizes.push(...sizeOrSections);
  const out: RefTensor[] = [];
  let s = 0;
  for (const len of sizes) {
    out.push(slice(t, d, s, s + len));
    s += len;
  }
  return out;
}

/** Constant pad; `pad` in PyTorch order (last dim first): [l_last, r_last, l_prev, r_prev, ...]. */
export function pad(t: RefTensor, padding: readonly number[], value = 0): RefTensor {
  const r = t.shape.length;
  const before = new Array<number>(r).fill(0);
  const after = new Array<number>(r).fill(0);
  for (let i = 0; i < padding.length / 2; i++) {
    before[r - 1 - i] = padding[2 * i];
    after[r - 1 - i] = padding[2 * i + 1];
  }
  const shape = t.shape.map((s, k) => s + before[k] + after[k]);
  const out = make(shape);
  out.data.fill(value);
  const st = stridesOf(shape);
  const offs = stridedOffsets(t.shape, st, before.reduce((a, b, k) => a + b * st[k], 0));
  for (let i = 0; i < offs.length; i++) out.data[offs[i]] = t.data[i];
  return out;
}

export function flip(t: RefTensor, dims: number | readonly number[]): RefTensor {
  const r = t.shape.length;
  const fd = normDims(dims, r);
  const st = stridesOf(t.shape);
  const base = fd.reduce((a, k) => a + (t.shape[k] - 1) * st[k], 0);
  return gatherOffsets(t, t.shape, st.map((s, k) => (fd.includes(k) ? -s : s)), base);
}

/** torch.rot90: rotates from dims[0] towards dims[1]. */
export function rot90(t: RefTensor, k = 1, dims: readonly number[] = [0, 1]): RefTensor {
  const r = t.shape.length;
  const d0 = normDim(dims[0], r);
  const d1 = normDim(dims[1], r);
  const kk = ((k % 4) + 4) % 4;
  if (kk === 0) return contiguous(t);
  if (kk === 1) return transpose(flip(t, [d1]), d0, d1);
  if (kk === 2) return flip(t, [d0, d1]);
  return flip(transpose(t, d0, d1), [d1]);
}

/** torch.gather: out[i][j][k] = t[index[i][j][k]][j][k] (dim 0), index.shape gives the output shape. */
export function gather(t: RefTensor, dim: number, index: RefTensor): RefTensor {
  const r = t.shape.length;
  const d = normDim(dim, r);
  const st = stridesOf(t.shape);
  const out = make(index.shape);
  const offs = stridedOffsets(index.shape, index.shape.map((_, k) => (k === d ? 0 : st[k])));
  for (let i = 0; i < offs.length; i++) {
    const ix = index.data[i];
    if (ix < 0 || ix >= t.shape[d]) throw new Error('ref.gather: index out of range');
    out.data[i] = t.data[offs[i] + ix * st[d]];
  }
  return out;
}

export function indexSelect(t: RefTensor, dim: number, index: RefTensor): RefTensor {
  const d = normDim(dim, t.shape.length);
  return cat(Array.from(index.data, (ix) => slice(t, d, ix, ix + 1)), d);
}
