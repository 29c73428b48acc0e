// Naive float64 reference tensors for the op-correctness harness.
// Everything here is deliberately simple: contiguous row-major Float64Array + shape, plain loops.
// No Node built-ins (this file is also bundled into the browser test).

export type RefDType = 'float32' | 'int32' | 'bool';

export interface RefTensor {
  data: Float64Array;
  shape: number[];
  /** Logical dtype of the value (defaults to float32). Only informative. */
  dtype?: RefDType;
}

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

export function stridesOf(shape: readonly number[]): number[] {
  const st = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    st[i] = s;
    s *= shape[i];
  }
  return st;
}

export function make(shape: readonly number[], data?: ArrayLike<number>, dtype?: RefDType): RefTensor {
  const n = numel(shape);
  const d = new Float64Array(n);
  if (data) {
    if (data.length !== n) throw new Error(`ref.make: ${data.length} values for shape [${shape.join(',')}]`);
    for (let i = 0; i < n; i++) d[i] = data[i];
  }
  const t: RefTensor = { data: d, shape: [...shape] };
  if (dtype) t.dtype = dtype;
  return t;
}

export function clone(t: RefTensor): RefTensor {
  return { data: Float64Array.from(t.data), shape: [...t.shape], ...(t.dtype ? { dtype: t.dtype } : {}) };
}

/** Normalizes a possibly-negative dim against rank `r`. */
export function normDim(d: number, r: number): number {
  const x = d < 0 ? d + r : d;
  if (x < 0 || x >= r) throw new Error(`ref: dim ${d} out of range for rank ${r}`);
  return x;
}

/** `undefined` = all dims; number or array; negatives allowed. Returns sorted unique dims. */
export function normDims(dims: number | readonly number[] | undefined, r: number): number[] {
  if (dims === undefined) return Array.from({ length: r }, (_, i) => i);
  const arr = typeof dims === 'number' ? [dims] : [...dims];
  const out = [...new Set(arr.map((d) => normDim(d, r)))];
  out.sort((a, b) => a - b);
  return out;
}

/** Multi-index of flat index `i` for `shape`. */
export function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let k = shape.length - 1; k >= 0; k--) {
    idx[k] = i % shape[k];
    i = Math.floor(i / shape[k]);
  }
  return idx;
}

export function ravel(idx: readonly number[], shape: readonly number[]): number {
  let f = 0;
  for (let k = 0; k < shape.length; k++) f = f * shape[k] + idx[k];
  return f;
}

/** NumPy/PyTorch broadcasting of two shapes. */
export function broadcastShapes(...shapes: (readonly number[])[]): number[] {
  const r = Math.max(...shapes.map((s) => s.length));
  const out = new Array<number>(r).fill(1);
  for (const s of shapes) {
    for (let k = 0; k < s.length; k++) {
      const o = r - s.length + k;
      const v = s[k];
      if (out[o] === 1) out[o] = v;
      else if (v !== 1 && v !== out[o]) throw new Error(`ref: cannot broadcast [${shapes.map((x) => x.join(',')).join('] vs [')}]`);
    }
  }
  return out;
}

/**
 * Offsets (into some buffer) visited when iterating `shape` in row-major order, where moving one
 * step along dim k moves `strides[k]` elements in the buffer (odometer, no per-element allocation).
 */
export function stridedOffsets(shape: readonly number[], strides: readonly number[], base = 0): Float64Array {
  const n = numel(shape);
  const out = new Float64Array(n);
  const r = shape.length;
  const idx = new Array<number>(r).fill(0);
  let off = base;
  for (let i = 0; i < n; i++) {
    out[i] = off;
    for (let k = r - 1; k >= 0; k--) {
      idx[k]++;
      off += strides[k];
      if (idx[k] < shape[k]) break;
      off -= strides[k] * shape[k];
      idx[k] = 0;
    }
  }
  return out;
}

/** Materializes `t` broadcast to `shape`. */
export function broadcastTo(t: RefTensor, shape: readonly number[]): RefTensor {
  const r = shape.length;
  if (t.shape.length > r) throw new Error('ref.broadcastTo: rank too small');
  const off = r - t.shape.length;
  const st = stridesOf(t.shape);
  const bst = shape.map((s, k) => {
    if (k < off) return 0;
    const ts = t.shape[k - off];
    if (ts !== 1 && ts !== s) throw new Error(`ref.broadcastTo: [${t.shape}] -> [${shape}]`);
    return ts === 1 ? 0 : st[k - off];
  });
  const offs = stridedOffsets(shape, bst);
  const out = make(shape, undefined, t.dtype);
  for (let i = 0; i < offs.length; i++) out.data[i] = t.data[offs[i]];
  return out;
}

export function map(t: RefTensor, f: (x: number) => number, dtype?: RefDType): RefTensor {
  const out = make(t.shape, undefined, dtype);
  for (let i = 0; i < t.data.length; i++) out.data[i] = f(t.data[i]);
  return out;
}

/** Broadcasting elementwise combination of any number of tensors. */
export function zipN(ts: RefTensor[], f: (...xs: number[]) => number, dtype?: RefDType): RefTensor {
  if (ts.length === 2) return zip(ts[0], ts[1], f, dtype);
  const shape = broadcastShapes(...ts.map((t) => t.shape));
  const bs = ts.map((t) => broadcastTo(t, shape));
  const out = make(shape, undefined, dtype);
  const args = new Array<number>(ts.length);
  for (let i = 0; i < out.data.length; i++) {
    for (let k = 0; k < bs.length; k++) args[k] = bs[k].data[i];
    out.data[i] = f(...args);
  }
  return out;
}

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((v, i) => v === b[i]);

/** Broadcasting elementwise combination of two tensors. */
export function zip(a: RefTensor, b: RefTensor, f: (x: number, y: number) => number, dtype?: RefDType): RefTensor {
  const shape = broadcastShapes(a.shape, b.shape);
  const A = sameShape(a.shape, shape) ? a.data : broadcastTo(a, shape).data;
  const B = sameShape(b.shape, shape) ? b.data : broadcastTo(b, shape).data;
  const out = make(shape, undefined, dtype);
  const o = out.data;
  for (let i = 0; i < o.length; i++) o[i] = f(A[i], B[i]);
  return out;
}

/** A scalar (0-d) reference tensor. */
export function scalar(v: number): RefTensor {
  return make([], [v]);
}

/** Turns a number or tensor operand into a tensor. */
export function asRef(x: RefTensor | number): RefTensor {
  return typeof x === 'number' ? scalar(x) : x;
}
