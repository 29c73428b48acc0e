// Helpers that allocate outputs and launch the shared elementwise / copy kernels.
import { runtime, groupsFor } from '../kernels/runtime.ts';
import type { UniformWriter } from '../kernels/uniforms.ts';
import { Storage } from '../tensor/storage.ts';
import { Tensor } from '../tensor/tensor.ts';
import { BYTES_PER_ELEMENT, wgslStorage, type DType } from '../tensor/dtype.ts';
import { broadcastShapes, checkShape, contiguousStrides, fmt, numel, type Shape } from '../tensor/shape.ts';
import { pieces } from './split.ts';

/** A new contiguous tensor with uninitialised contents. */
export function empty(op: string, shape: Shape, dtype: DType): Tensor {
  checkShape(op, shape);
  const storage = Storage.allocate(Math.max(1, numel(shape)) * BYTES_PER_ELEMENT, op);
  return new Tensor(storage, shape, dtype);
}

export interface Operand {
  tensor: Tensor;
  /** Strides over the iteration shape (0 along broadcast dims). */
  strides: number[];
}

/** Strides that read `t` broadcast to `shape` (right-aligned). */
export function broadcastStrides(op: string, t: { readonly shape: Shape; readonly strides: readonly number[] }, shape: Shape): number[] {
  const out = new Array<number>(shape.length).fill(0);
  const rank = t.shape.length;
  const lead = shape.length - rank;
  for (let i = 0; i < rank; i++) {
    const d = t.shape[i];
    if (d === shape[lead + i]) out[lead + i] = d === 1 ? 0 : t.strides[i];
    else if (d !== 1) throw new Error(`${op}: cannot broadcast ${fmt(t.shape)} to ${fmt(shape)}`);
  }
  return out;
}

/**
 * Merges adjacent dims that every operand walks contiguously, so most kernels index a rank-1 or
 * rank-2 space. Returns the coalesced shape and strides.
 */
export function coalesce(shape: Shape, strides: number[][]): { shape: number[]; strides: number[][] } {
  const keep = shape.map((d) => d !== 1);
  const s = shape.filter((_, i) => keep[i]);
  const st = strides.map((arr) => arr.filter((_, i) => keep[i]));
  if (s.length === 0) return { shape: [1], strides: strides.map(() => [1]) };
  const outShape = [s[0]];
  const outStrides = st.map((a) => [a[0]]);
  for (let i = 1; i < s.length; i++) {
    const last = outShape.length - 1;
    if (st.every((a, k) => outStrides[k][last] === a[i] * s[i])) {
      outShape[last] *= s[i];
      outStrides.forEach((o, k) => (o[last] = st[k][i]));
    } else {
      outShape.push(s[i]);
      outStrides.forEach((o, k) => o.push(st[k][i]));
    }
  }
  return { shape: outShape, strides: outStrides };
}

/** Writes the shared `Params` block of shaders/lib/common.wgsl. */
export function writeCommon(w: UniformWriter, n: number, shape: readonly number[], offsets: number[], strides: number[][], p0 = 0, p1 = 0): void {
  w.u32(n, shape.length, offsets[0] ?? 0, offsets[1] ?? 0, offsets[2] ?? 0, offsets[3] ?? 0).f32(p0, p1);
  w.u32x8(shape);
  for (let k = 0; k < 4; k++) w.i32x8(strides[k] ?? []);
}

export interface MapOptions {
  /** WGSL expression over a, b, c (converted to the compute type), p0 and p1. */
  expr: string;
  outDtype: DType;
  /** Compute type of the inputs: 'f32' or 'i32'. */
  compute: 'f32' | 'i32';
  /** Compute type of `a` when it differs (where's condition). */
  computeA?: 'f32' | 'i32';
  p0?: number;
  p1?: number;
}

/** out = expr(inputs...) elementwise with broadcasting; the output is a new contiguous tensor. */
export function map(op: string, inputs: Tensor[], o: MapOptions): Tensor {
  for (const t of inputs) t.assertLive(op);
  const shape = broadcastShapes(op, ...inputs.map((t) => t.shape));
  const out = empty(op, shape, o.outDtype);
  const n = numel(shape);
  if (n === 0) return out;
  const c = coalesce(shape, [contiguousStrides(shape), ...inputs.map((t) => broadcastStrides(op, t, shape))]);
  const contig = c.shape.length === 1 && c.strides.every((s) => s[0] === 1);
  const shader = ['unary', 'binary', 'ternary'][inputs.length - 1];
  const defines: Record<string, string> = { TO: wgslStorage(o.outDtype), CT: o.compute, EXPR: o.expr, CONTIG: String(contig) };
  const names = ['TA', 'TB', 'TC'];
  inputs.forEach((t, i) => (defines[names[i]] = wgslStorage(t.dtype)));
  if (inputs.length === 3) {
    defines.CTA = o.computeA ?? o.compute;
    delete defines.CONTIG;
  }
  const operands = [out, ...inputs];
  const accesses = operands.map((t, k) => ({ buffer: t.storage.buffer, offset: t.offset, strides: c.strides[k] }));
  // The output is written at OUT[off0 + i] (contiguous) or through its strides (see shaders/unary.wgsl).
  for (const p of pieces(op, c.shape, accesses)) {
    const pn = numel(p.shape);
    runtime().dispatch(op, { shader, defines }, (w) => writeCommon(w, pn, p.shape, p.offsets, c.strides, o.p0 ?? 0, o.p1 ?? 0), [...p.bindings.slice(1), p.bindings[0]], groupsFor(pn, 256));
  }
  return out;
}

/** Copies the elements of `src` (any layout) into the view `dst` of the same shape. */
export function copyInto(op: string, src: Tensor, dst: Tensor): void {
  src.assertLive(op);
  const n = numel(dst.shape);
  if (n === 0) return;
  const srcStrides = broadcastStrides(op, src, dst.shape);
  const c = coalesce(dst.shape, [[...dst.strides], srcStrides]);
  if (c.shape.length === 1 && c.strides[0][0] === 1 && c.strides[1][0] === 1) {
    runtime().copy(op, src.storage.buffer, src.offset * BYTES_PER_ELEMENT, dst.storage.buffer, dst.offset * BYTES_PER_ELEMENT, n * BYTES_PER_ELEMENT);
    return;
  }
  const accesses = [dst, src].map((t, k) => ({ buffer: t.storage.buffer, offset: t.offset, strides: c.strides[k] }));
  for (const p of pieces(op, c.shape, accesses)) {
    const pn = numel(p.shape);
    runtime().dispatch(op, { shader: 'copy' }, (w) => writeCommon(w, pn, p.shape, p.offsets, c.strides), [p.bindings[1], p.bindings[0]], groupsFor(pn, 256));
  }
}

/** Fills a contiguous range of `t` with a value. */
export function fillWith(op: string, t: Tensor, value: number): void {
  const n = t.size;
  if (n === 0) return;
  // The kernel stores the 32-bit pattern passed in `off1` verbatim (see shaders/fill.wgsl).
  const bits = t.dtype === 'float32' ? new Uint32Array(new Float32Array([value]).buffer)[0] : value >>> 0;
  for (const p of pieces(op, [n], [{ buffer: t.storage.buffer, offset: t.offset, strides: [1] }])) {
    const pn = p.shape[0];
    runtime().dispatch(op, { shader: 'fill' }, (w) => writeCommon(w, pn, [pn], [p.offsets[0], bits], []), p.bindings, groupsFor(pn, 256));
  }
}
