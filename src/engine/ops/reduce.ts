// Reductions over any set of dims: sum, mean, max, min, argmax/argmin, var, logsumexp.
// Reductions compute in float32 and return float32 (int inputs are converted first).
import { Tensor } from '../tensor/tensor.ts';
import { runtime, groupsFor } from '../kernels/runtime.ts';
import { recordOp } from '../autograd/graph.ts';
import { contiguousStrides, fmt, normDims, numel, type Shape } from '../tensor/shape.ts';
import type { Binding } from '../kernels/runtime.ts';
import { empty, coalesce, map } from './launch.ts';
import { splitBox } from './split.ts';
import { cast, eq, div, mul, sub, exp, log, add } from './elementwise.ts';
import { expand, reshape, stack } from './shape.ts';
import { noGrad } from '../autograd/mode.ts';
import { full } from './creation.ts';

export type Dims = number | readonly number[] | undefined;

const OPS = { sum: 0, max: 1, min: 2 } as const;
type ReduceKind = keyof typeof OPS;

function keptShape(shape: Shape, dims: number[]): number[] {
  return shape.map((d, i) => (dims.includes(i) ? 1 : d));
}

function squeezedShape(shape: Shape, dims: number[]): number[] {
  return shape.filter((_, i) => !dims.includes(i));
}

interface Plan {
  nOut: number;
  nInner: number;
  outer: { shape: number[]; strides: number[] };
  inner: { shape: number[]; strides: number[] };
}

function plan(x: Tensor, dims: number[]): Plan {
  const outerDims = x.shape.map((_, i) => i).filter((i) => !dims.includes(i));
  const group = (ds: number[]) => {
    if (ds.length === 0) return { shape: [1], strides: [0] };
    const c = coalesce(ds.map((d) => x.shape[d]), [ds.map((d) => x.strides[d])]);
    return { shape: c.shape, strides: c.strides[0] };
  };
  return { nOut: numel(outerDims.map((d) => x.shape[d])), nInner: numel(dims.map((d) => x.shape[d])), outer: group(outerDims), inner: group(dims) };
}

/** One reduction launch: outputs over `outer` (a sub-box of the outer positions), bound buffers. */
interface ReduceLaunch extends Plan {
  x: Binding;
  xOff: number;
  out: Binding;
  outOff: number;
  outStrides: number[];
}

function writeReduce(w: import('../kernels/uniforms.ts').UniformWriter, l: ReduceLaunch, split: number, chunk: number, scale: number): void {
  w.u32(l.nOut, l.nInner, l.outer.shape.length, l.inner.shape.length, l.xOff, split, chunk).f32(scale).u32(l.outOff, 0, 0, 0);
  w.u32x8(l.outer.shape).i32x8(l.outer.strides).u32x8(l.inner.shape).i32x8(l.inner.strides).i32x8(l.outStrides);
}

/** Element offsets [min, max] that one output's reduced elements span in x. */
function innerSpan(p: Plan): [number, number] {
  let lo = 0;
  let hi = 0;
  p.inner.shape.forEach((d, i) => {
    lo += Math.min(0, (d - 1) * p.inner.strides[i]);
    hi += Math.max(0, (d - 1) * p.inner.strides[i]);
  });
  return [lo, hi];
}

/**
 * Splits the outer positions into launches whose input and output fit a binding each; null when
 * one output's reduced elements alone span more than a binding.
 */
function reduceLaunches(x: Tensor, p: Plan, out: Tensor): ReduceLaunch[] | null {
  const outStrides = contiguousStrides(p.outer.shape);
  const ps = splitBox(p.outer.shape, [
    { buffer: x.storage.buffer, offset: x.offset, strides: p.outer.strides, span: innerSpan(p) },
    { buffer: out.storage.buffer, offset: out.offset, strides: outStrides },
  ]);
  return ps?.map((piece) => ({
    nOut: numel(piece.shape), nInner: p.nInner, inner: p.inner,
    outer: { shape: piece.shape, strides: p.outer.strides },
    x: piece.bindings[0], xOff: piece.offsets[0], out: piece.bindings[1], outOff: piece.offsets[1], outStrides,
  })) ?? null;
}

function launchReduce(op: string, l: ReduceLaunch, kind: ReduceKind, scale: number): void {
  const rt = runtime();
  const defines = { OP: OPS[kind] };
  const perThread = l.nInner <= 32 || l.nOut >= 4096;
  if (perThread) {
    rt.dispatch(op, { shader: 'reduce', entry: 'main_thread', defines }, (w) => writeReduce(w, l, 1, l.nInner, scale), [l.x, l.out], groupsFor(l.nOut, 64));
    return;
  }
  // Few outputs over long extents: split each into chunks so many workgroups share the work,
  // then reduce the partial results (kept within one binding).
  const want = l.nOut < 256 && l.nInner > 16384 ? Math.min(1024, Math.ceil(l.nInner / 8192)) : 1;
  const split = Math.max(1, Math.min(want, Math.floor(rt.bindingLimit / 4 / l.nOut)));
  const chunk = Math.ceil(l.nInner / split);
  if (split === 1) {
    rt.dispatch(op, { shader: 'reduce', entry: 'main_group', defines }, (w) => writeReduce(w, l, 1, chunk, scale), [l.x, l.out], l.nOut);
    return;
  }
  const partial = empty(op, [l.nOut, split], 'float32');
  const local = contiguousStrides(l.outer.shape);
  const first: ReduceLaunch = { ...l, out: partial.storage.buffer, outOff: 0, outStrides: local };
  rt.dispatch(op, { shader: 'reduce', entry: 'main_group', defines }, (w) => writeReduce(w, first, split, chunk, 1), [l.x, partial.storage.buffer], l.nOut * split);
  const second: ReduceLaunch = {
    ...l, nInner: split, outer: { shape: l.outer.shape, strides: local.map((s) => s * split) }, inner: { shape: [split], strides: [1] },
    x: partial.storage.buffer, xOff: 0,
  };
  rt.dispatch(op, { shader: 'reduce', entry: 'main_group', defines }, (w) => writeReduce(w, second, 1, split, scale), [partial.storage.buffer, l.out], l.nOut);
  partial.dispose();
}

/** Runs the reduce kernel; returns a contiguous tensor of the keepdim shape. */
function reduceRaw(op: string, x0: Tensor, dims: number[], kind: ReduceKind, scale = 1): Tensor {
  const x = x0.dtype === 'float32' ? x0 : cast(x0, 'float32');
  try {
    const outShape = keptShape(x.shape, dims);
    const p = plan(x, dims);
    if (p.nInner === 0) {
      if (kind !== 'sum') throw new Error(`${op}: cannot reduce an empty dimension (shape ${fmt(x.shape)}, dims [${dims}])`);
      return full(outShape, 0);
    }
    const out = empty(op, outShape, 'float32');
    if (p.nOut === 0) return out;
    const launches = reduceLaunches(x, p, out);
    if (launches) {
      for (const l of launches) launchReduce(op, l, kind, scale);
      return out;
    }
    out.dispose();
    return reduceInParts(op, x, dims, kind, scale);
  } finally {
    if (x !== x0) x.dispose();
  }
}

/**
 * A reduction whose single output spans more than one binding: reduces slices of the reduced dim
 * along which x spreads the most (views, no copies), then reduces the stacked partial results.
 */
function reduceInParts(op: string, x: Tensor, dims: number[], kind: ReduceKind, scale: number): Tensor {
  const d = dims.reduce((best, i) => (Math.abs((x.shape[i] - 1) * x.strides[i]) > Math.abs((x.shape[best] - 1) * x.strides[best]) ? i : best), dims[0]);
  const [lo, hi] = innerSpan(plan(x, dims));
  const parts = Math.min(x.shape[d], Math.max(2, Math.ceil((hi - lo + 1) / (runtime().bindingLimit / 8))));
  const step = Math.ceil(x.shape[d] / parts);
  const partials: Tensor[] = [];
  for (let i = 0; i < x.shape[d]; i += step) {
    const shape = [...x.shape];
    shape[d] = Math.min(step, x.shape[d] - i);
    const slice = x.alias(shape, x.strides, x.offset + i * x.strides[d], false);
    partials.push(reduceRaw(op, slice, dims, kind));
    slice.dispose();
  }
  const stacked = stack(partials, 0);
  for (const t of partials) t.dispose();
  const r = reduceRaw(op, stacked, [0, ...dims.map((i) => i + 1)], kind, scale);
  stacked.dispose();
  const y = reshape(r, keptShape(x.shape, dims));
  r.dispose();
  return y;
}

function finishShape(y: Tensor, x: Tensor, dims: number[], keepdim: boolean): Tensor {
  if (keepdim) return y;
  const r = reshape(y, squeezedShape(x.shape, dims));
  y.dispose();
  return r;
}

/** Broadcasts a reduced gradient back over the input's shape (a view, no copy). */
function expandBack(g: Tensor, xShape: Shape, dims: number[]): Tensor {
  const k = reshape(g, keptShape(xShape, dims));
  const e = expand(k, xShape);
  k.dispose();
  return e;
}

export function sum(x: Tensor, dims?: Dims, keepdim = false): Tensor {
  x.assertLive('sum');
  const ds = normDims('sum', dims, x.rank);
  const y = finishShape(reduceRaw('sum', x, ds, 'sum'), x, ds, keepdim);
  return recordOp('sum', [x], y, () => (g) => [expandBack(g, x.shape, ds)]);
}

export function mean(x: Tensor, dims?: Dims, keepdim = false): Tensor {
  x.assertLive('mean');
  const ds = normDims('mean', dims, x.rank);
  const n = numel(ds.map((d) => x.shape[d]));
  const y = finishShape(reduceRaw('mean', x, ds, 'sum', 1 / n), x, ds, keepdim);
  return recordOp('mean', [x], y, () => (g) => {
    const e = expandBack(g, x.shape, ds);
    const r = mul(e, 1 / n);
    e.dispose();
    return [r];
  });
}

function extreme(kind: 'max' | 'min', x: Tensor, dims: Dims, keepdim: boolean): Tensor {
  x.assertLive(kind);
  const ds = normDims(kind, dims, x.rank);
  const yk = reduceRaw(kind, x, ds, kind);
  const y = keepdim ? yk.alias() : finishShape(yk.alias(), x, ds, false);
  // Gradient as torch.amax/amin: split evenly between tied extremes.
  const out = recordOp(kind, [x], y, (save) => {
    const sx = save(x);
    const sy = save(yk);
    return (g) => {
      const mask = cast(eq(sx, sy), 'float32');
      const count = reduceRaw(`${kind}.backward`, mask, ds, 'sum');
      const gk = expandBack(g, x.shape, ds);
      const r = map(`${kind}.backward`, [gk, mask, count], { expr: 'a * b / c', outDtype: 'float32', compute: 'f32' });
      for (const t of [mask, count, gk]) t.dispose();
      return [r];
    };
  });
  yk.dispose();
  return out;
}

export const max = (x: Tensor, dims?: Dims, keepdim = false) => extreme('max', x, dims, keepdim);
export const min = (x: Tensor, dims?: Dims, keepdim = false) => extreme('min', x, dims, keepdim);

/** The extreme values and their first indices along dim d (keepdim shape). */
function argRaw(op: string, kind: 'max' | 'min', x: Tensor, d: number): { values: Tensor; indices: Tensor } {
  const p = plan(x, [d]);
  const values = empty(op, keptShape(x.shape, [d]), 'float32');
  const indices = empty(op, keptShape(x.shape, [d]), 'int32');
  // values and indices have the same layout, hence the same window offsets: the kernel writes
  // both at the output offset of `values`.
  const launches = reduceLaunches(x, p, values);
  if (launches) {
    for (const l of launches) {
      const idx = l.out === values.storage.buffer ? indices.storage.buffer : { ...(l.out as GPUBufferBinding), buffer: indices.storage.buffer };
      runtime().dispatch(op, { shader: 'argreduce', defines: { OP: OPS[kind] } }, (w) => writeReduce(w, l, 1, l.nInner, 1), [l.x, l.out, idx], l.nOut);
    }
    return { values, indices };
  }
  // One output's extent spans more than a binding: the extremes of slices along d (views), then
  // the first slice holding the overall extreme (ties and NaN resolve to the first index, as unsplit).
  values.dispose();
  indices.dispose();
  const parts = Math.min(x.shape[d], Math.max(2, Math.ceil(Math.abs((x.shape[d] - 1) * x.strides[d]) / (runtime().bindingLimit / 8))));
  const step = Math.ceil(x.shape[d] / parts);
  const vs: Tensor[] = [];
  const is: Tensor[] = [];
  for (let i = 0; i < x.shape[d]; i += step) {
    const shape = [...x.shape];
    shape[d] = Math.min(step, x.shape[d] - i);
    const slice = x.alias(shape, x.strides, x.offset + i * x.strides[d], false);
    const r = argRaw(op, kind, slice, d);
    slice.dispose();
    vs.push(r.values);
    is.push(i === 0 ? r.indices : map(op, [r.indices], { expr: 'a + i32(p0)', outDtype: 'int32', compute: 'i32', p0: i }));
    if (i > 0) r.indices.dispose();
  }
  const better = kind === 'max' ? '(a > b || (is_nan(a) && !is_nan(b)))' : '(a < b || (is_nan(a) && !is_nan(b)))';
  let bv = vs[0];
  let bi = is[0];
  for (let k = 1; k < vs.length; k++) {
    const m = map(op, [vs[k], bv], { expr: `select(0, 1, ${better})`, outDtype: 'int32', compute: 'f32' });
    const nv = map(op, [m, vs[k], bv], { expr: 'select(c, b, a != 0)', outDtype: 'float32', compute: 'f32', computeA: 'i32' });
    const ni = map(op, [m, is[k], bi], { expr: 'select(c, b, a != 0)', outDtype: 'int32', compute: 'i32', computeA: 'i32' });
    for (const t of [m, vs[k], is[k], bv, bi]) t.dispose();
    bv = nv;
    bi = ni;
  }
  const out = { values: bv, indices: bi };
  return out;
}

function argExtreme(kind: 'max' | 'min', x0: Tensor, dim: number | undefined, keepdim: boolean): Tensor {
  const op = `arg${kind}`;
  x0.assertLive(op);
  const x = dim === undefined ? reshape(x0, [x0.size]) : x0;
  const xf = x.dtype === 'float32' ? x : cast(x, 'float32');
  try {
    const ds = normDims(op, dim === undefined ? 0 : dim, x.rank);
    if (x.shape[ds[0]] === 0) throw new Error(`${op}: cannot reduce an empty dimension (shape ${fmt(x0.shape)})`);
    const { values, indices } = argRaw(op, kind, xf, ds[0]);
    values.dispose();
    if (dim === undefined) {
      if (!keepdim) return finishShape(indices, x, ds, false);
      const r = reshape(indices, x0.shape.map(() => 1));
      indices.dispose();
      return r;
    }
    return finishShape(indices, x, ds, keepdim);
  } finally {
    if (xf !== x) xf.dispose();
    if (x !== x0) x.dispose();
  }
}

/** Index of the maximum along `dim` (of the flattened tensor when dim is undefined), int32. */
export const argmax = (x: Tensor, dim?: number, keepdim = false) => argExtreme('max', x, dim, keepdim);
export const argmin = (x: Tensor, dim?: number, keepdim = false) => argExtreme('min', x, dim, keepdim);

export interface VarOptions {
  /** Bessel's correction: 1 (default, unbiased) or 0 (biased). */
  correction?: number;
  keepdim?: boolean;
}

export function variance(x: Tensor, dims?: Dims, opts: VarOptions = {}): Tensor {
  x.assertLive('var');
  const ds = normDims('var', dims, x.rank);
  const n = numel(ds.map((d) => x.shape[d]));
  const correction = opts.correction ?? 1;
  const m = mean(x, ds, true);
  const d = sub(x, m);
  const d2 = mul(d, d);
  const s = sum(d2, ds, opts.keepdim ?? false);
  const y = div(s, Math.max(0, n - correction));
  for (const t of [m, d, d2, s]) t.dispose();
  return y;
}

export function logsumexp(x: Tensor, dims: Dims, keepdim = false): Tensor {
  x.assertLive('logsumexp');
  const ds = normDims('logsumexp', dims, x.rank);
  // Shift by the (constant) max for stability; infinite maxima are replaced by 0 as in PyTorch.
  const m = noGrad(() => {
    const raw = reduceRaw('logsumexp', x, ds, 'max');
    const finite = map('logsumexp', [raw], { expr: 'select(a, 0.0, abs(a) == inf_f32())', outDtype: 'float32', compute: 'f32' });
    raw.dispose();
    return finite;
  });
  const shifted = sub(x, m);
  const e = exp(shifted);
  const s = sum(e, ds, true);
  const l = log(s);
  const y = add(l, m);
  for (const t of [m, shifted, e, s, l]) t.dispose();
  return finishShape(y, x, ds, keepdim);
}

/** Sums a broadcast gradient back to `shape` (the inverse of broadcasting). */
export function sumTo(g: Tensor, shape: Shape): Tensor {
  if (g.shape.length === shape.length && g.shape.every((d, i) => d === shape[i])) return g;
  const lead = g.rank - shape.length;
  const dims: number[] = [];
  for (let i = 0; i < g.rank; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) dims.push(i);
  }
  const s = sum(g, dims, true);
  const r = reshape(s, shape);
  s.dispose();
  return r;
}

