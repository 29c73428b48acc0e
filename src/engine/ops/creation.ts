// Tensor creation: from CPU values, constants, ranges.
import { Tensor } from '../tensor/tensor.ts';
import { runtime, groupsFor } from '../kernels/runtime.ts';
import { checkShape, fmt, numel, type Shape } from '../tensor/shape.ts';
import { isDType, type DataArray, type DType } from '../tensor/dtype.ts';
import { empty, fillWith, writeCommon } from './launch.ts';
import { pieces } from './split.ts';

export interface CreateOptions {
  dtype?: DType;
  requiresGrad?: boolean;
}

type Nested = number | boolean | Nested[];

function inferShape(values: Nested): number[] {
  const shape: number[] = [];
  let v: Nested = values;
  while (Array.isArray(v)) {
    shape.push(v.length);
    v = v[0] as Nested;
    if (v === undefined) break;
  }
  return shape;
}

function flatten(values: Nested, shape: number[], out: number[], depth = 0): void {
  if (depth === shape.length) {
    if (Array.isArray(values)) throw new Error('tensor: ragged nested array (sub-arrays of different lengths)');
    out.push(typeof values === 'boolean' ? Number(values) : values);
    return;
  }
  if (!Array.isArray(values) || values.length !== shape[depth]) {
    throw new Error(`tensor: ragged nested array: expected ${shape[depth]} entries at depth ${depth}`);
  }
  for (const v of values) flatten(v, shape, out, depth + 1);
}

function checkOptions(op: string, opts: CreateOptions): void {
  if (opts.dtype !== undefined && !isDType(opts.dtype)) throw new Error(`${op}: unknown dtype '${opts.dtype}' (use 'float32', 'int32' or 'bool')`);
  if (opts.requiresGrad && opts.dtype !== undefined && opts.dtype !== 'float32') {
    throw new Error(`${op}: only float32 tensors can require gradients (dtype ${opts.dtype})`);
  }
}

function finish(t: Tensor, opts?: CreateOptions): Tensor {
  if (opts?.requiresGrad) t.requiresGrad = true;
  return t;
}

/** Creates a tensor from numbers, nested arrays or a typed array (PyTorch's torch.tensor). */
export function tensor(values: Nested | ArrayLike<number>, shape?: Shape, opts: CreateOptions = {}): Tensor {
  checkOptions('tensor', opts);
  let flat: ArrayLike<number>;
  let inferred: number[];
  if (ArrayBuffer.isView(values)) {
    flat = values as unknown as ArrayLike<number>;
    inferred = [flat.length];
  } else if (Array.isArray(values) || typeof values === 'number' || typeof values === 'boolean') {
    inferred = inferShape(values as Nested);
    const out: number[] = [];
    flatten(values as Nested, inferred, out);
    flat = out;
  } else {
    throw new Error('tensor: values must be a number, a (nested) array or a typed array');
  }
  const finalShape = shape ? [...shape] : inferred;
  checkShape('tensor', finalShape);
  if (numel(finalShape) !== flat.length) {
    throw new Error(`tensor: ${flat.length} values do not fill shape ${fmt(finalShape)} (${numel(finalShape)} elements)`);
  }
  const dtype: DType = opts.dtype ?? (values instanceof Int32Array ? 'int32' : values instanceof Uint8Array ? 'bool' : 'float32');
  const data: DataArray = dtype === 'float32' ? Float32Array.from(flat) : Int32Array.from(flat, (v) => (dtype === 'bool' ? Number(v !== 0) : v));
  const t = empty('tensor', finalShape, dtype);
  if (data.length) runtime().write(t.storage.buffer, data);
  return finish(t, opts);
}

export function full(shape: Shape, value: number, opts: CreateOptions = {}): Tensor {
  checkOptions('full', opts);
  const t = empty('full', shape, opts.dtype ?? 'float32');
  fillWith('full', t, value);
  return finish(t, opts);
}

export const zeros = (shape: Shape, opts: CreateOptions = {}) => full(shape, 0, opts);
export const ones = (shape: Shape, opts: CreateOptions = {}) => full(shape, 1, opts);

/** A 0-d tensor holding `v`, made on the GPU (no upload, so no batch flush). */
export function scalarLike(v: number, dtype: DType): Tensor {
  return full([], v, { dtype });
}

/** arange(end) or arange(start, end, step), like torch.arange. */
export function arange(start: number, end?: number, step = 1, opts: CreateOptions = {}): Tensor {
  if (end === undefined) {
    end = start;
    start = 0;
  }
  if (step === 0 || !Number.isFinite(step)) throw new Error(`arange: step must be a non-zero finite number, got ${step}`);
  const n = Math.max(0, Math.ceil((end - start) / step));
  const dtype = opts.dtype ?? ([start, end, step].every(Number.isInteger) ? 'int32' : 'float32');
  if (dtype === 'bool') throw new Error('arange: dtype bool is not supported');
  const t = empty('arange', [n], dtype);
  const expr = dtype === 'float32' ? 'u.p0 + f32(k) * u.p1' : 'i32(u.p0) + i32(k) * i32(u.p1)';
  for (const p of pieces('arange', [n], [{ buffer: t.storage.buffer, offset: 0, strides: [1] }])) {
    const pn = p.shape[0];
    runtime().dispatch('arange', { shader: 'arange', defines: { T: dtype === 'float32' ? 'f32' : 'i32', EXPR: expr } }, (w) => writeCommon(w, pn, [pn], [p.offsets[0], p.origin[0]], [], start, step), p.bindings, groupsFor(pn, 256));
  }
  return finish(t, opts);
}
