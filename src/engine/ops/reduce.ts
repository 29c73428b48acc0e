// Reductions over any set of dims: sum, mean, max, min, argmax/argmin, var, logsumexp.
// Reductions compute in float32 and return float32 (int inputs are converted first).
import { Tensor } from '../tensor/tensor.ts';
import { runtime, groupsFor } from '../kernels/runtime.ts';
import { recordOp } from '../autograd/graph.ts';
import { fmt, normDims, numel, type Shape } from '../tensor/shape.ts';
import { empty, coalesce, map } from './launch.ts';
import { cast, eq, div, mul, sub, exp, log, add } from './elementwise.ts';
import { expand, reshape } from './shape.ts';
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

function writeReduce(w: import('../kernels/uniforms.ts').UniformWriter, p: Plan, off: number, split: number, chunk: number, scale: number): void {
  w.u32(p.nOut, p.nInner, p.outer.shape.length, p.inner.shape.length, off, split, chunk).f32(scale);
  w.u32x8(p.outer.shape).i32x8(p.outer.strides).u32x8(p.inner.shape).i32x8(p.inner.strides);
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
    const rt = runtime();
    const defines = { OP: OPS[kind] };
    const perThread = p.nInner <= 32 || p.nOut >= 4096;
    if (perThread) {
      rt.dispatch(op, { shader: 'reduce', entry: 'main_thread', defines }, (w) => writeReduce(w, p, x.offset, 1, p.nInner, scale), [x.storage.buffer, out.storage.buffer], groupsFor(p.nOut, 64));
      return out;
    }
    // Few outputs over long extents: split each into chunks so many workgroups share the work,
    // then reduce the partial results.
    const split = p.nOut < 256 && p.nInner > 16384 ? Math.min(1024, Math.ceil(p.nInner / 8192)) : 1;
    const chunk = Math.ceil(p.nInner / split);
    if (split === 1) {
      rt.dispatch(op, { shader: 'reduce', entry: 'main_group', defines }, (w) => writeReduce(w, p, x.offset, 1, chunk, scale), [x.storage.buffer, out.storage.buffer], p.nOut);
      return out;
    }
    const partial = empty(op, [p.nOut, split], 'float32');
    rt.dispatch(op, { shader: 'reduce', entry: 'main_group', defines }, (w) => writeReduce(w, p, x.offset, split, chunk, 1), [x.storage.buffer, partial.storage.buffer], p.nOut * split);
    const p2 = plan(partial, [1]);
    rt.dispatch(op, { shader: 'reduce', entry: 'main_group', defines }, (w) => writeReduce(w, p2, 0, 1, split, scale), [partial.storage.buffer, out.storage.buffer], p.nOut);
    partial.dispose();
    return out;
  } finally {
    if (x !== x0) x.dispose();
  }
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

function argExtreme(kind: 'max' | 'min', x0: Tensor, dim: number | undefined, keepdim: boolean): Tensor {
  const op = `arg${kind}`;
  x0.assertLive(op);
  const x = dim === undefined ? reshape(x0, [x0.size]) : x0;
  const xf = x.dtype === 'float32' ? x : cast(x, 'float32');
  try {
    const ds = normDims(op, dim === undefined ? 0 : dim, x.rank);
    if (x.shape[ds[0]] === 0) throw new Error(`${op}: cannot reduce an empty dimension (shape ${fmt(x0.shape)})`);
    const p = plan(xf, ds);
    const values = empty(op, keptShape(x.shape, ds), 'float32');
    const indices = empty(op, keptShape(x.shape, ds), 'int32');
    runtime().dispatch(op, { shader: 'argreduce', defines: { OP: OPS[kind] } }, (w) => writeReduce(w, p, xf.offset, 1, p.nInner, 1), [xf.storage.buffer, values.storage.buffer, indices.storage.buffer], p.nOut);
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

