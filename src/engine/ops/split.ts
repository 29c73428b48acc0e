// Splitting launches so that every storage binding fits WebGPU's limits.
//
// A tensor may be larger than maxStorageBufferBindingSize (up to maxBufferSize), but a kernel can
// only bind a window of at most that size, at an offset aligned to minStorageBufferOffsetAlignment.
// Every op describes its launch the same way: a box of indices (its iteration space) and, per
// operand, the element offset of index 0, the element stride along each box dim and the fixed
// footprint of one index (e.g. the reduced extent of a reduction, a convolution's input sample).
// splitBox cuts the box into sub-boxes ("pieces") whose footprint in each operand fits one
// window; the op launches its unchanged kernel once per piece with the piece's shape and offsets
// relative to the windows. For tensors that fit (every buffer at most the limit) there is one
// piece binding whole buffers, so normal sizes pay only a few comparisons.
import { runtime, type Binding } from '../kernels/runtime.ts';
import { numel } from '../tensor/shape.ts';

export interface Access {
  /**
   * null: a scratch tensor the op allocates for each piece (e.g. im2col's column matrix), laid out
   * as this access describes; it must fit a binding, and its binding in the piece is left unset.
   */
  buffer: GPUBuffer | null;
  /** Element offset of box index 0. */
  offset: number;
  /** Element stride along each box dim (0 where the operand does not vary). */
  strides: readonly number[];
  /** Smallest and largest element offset one index touches, relative to its offset (default [0, 0]). */
  span?: readonly [number, number];
}

export interface Piece {
  /** First index of the piece along each box dim, and its extent. */
  origin: number[];
  shape: number[];
  /** Element offset of the piece's origin in each operand, relative to that operand's binding. */
  offsets: number[];
  bindings: Binding[];
}

export interface SplitOptions {
  /** Largest extent per box dim in one piece (workgroup-count limits). */
  maxDims?: readonly number[];
  /** Box dims that must not be split (the kernel covers them whole). */
  whole?: readonly number[];
}

/** Element range [lo, hi] (inclusive) that operand `a` touches over the sub-box. */
function extent(a: Access, origin: readonly number[], shape: readonly number[]): [number, number] {
  let lo = a.offset + (a.span?.[0] ?? 0);
  let hi = a.offset + (a.span?.[1] ?? 0);
  for (let d = 0; d < shape.length; d++) {
    const s = a.strides[d] ?? 0;
    lo += origin[d] * s + Math.min(0, (shape[d] - 1) * s);
    hi += origin[d] * s + Math.max(0, (shape[d] - 1) * s);
  }
  return [lo, hi];
}

/**
 * Pieces of the box `shape` such that each access fits one binding, or null when a single index
 * (or an unsplittable dim) is already too large for some operand.
 */
export function splitBox(shape: readonly number[], accesses: readonly Access[], opts: SplitOptions = {}): Piece[] | null {
  const rt = runtime();
  const limitBytes = rt.bindingLimit;
  const limit = Math.floor(limitBytes / 4);
  const align = rt.bindingAlignment / 4;
  const windowed = accesses.map((a) => a.buffer === null || a.buffer.size > limitBytes);
  const maxDims = opts.maxDims;
  const pieces: Piece[] = [];
  if (numel(shape) === 0) return pieces;

  const emit = (origin: number[], sub: number[]): void => {
    const offsets: number[] = [];
    const bindings: Binding[] = [];
    accesses.forEach((a, k) => {
      let at = a.offset;
      for (let d = 0; d < sub.length; d++) at += origin[d] * (a.strides[d] ?? 0);
      if (!windowed[k] || a.buffer === null) {
        offsets.push(at);
        bindings.push(a.buffer ?? (undefined as unknown as Binding)); // scratch: unset, see Access
        return;
      }
      const [lo, hi] = extent(a, origin, sub);
      const base = Math.floor(lo / align) * align;
      offsets.push(at - base);
      bindings.push({ buffer: a.buffer, offset: base * 4, size: Math.min(hi + 1 - base, a.buffer.size / 4 - base) * 4 });
    });
    pieces.push({ origin, shape: sub, offsets, bindings });
  };

  const splitDim = (origin: number[], sub: number[], d: number, parts: number): boolean => {
    const step = Math.ceil(sub[d] / parts);
    for (let i = 0; i < sub[d]; i += step) {
      const o = [...origin];
      const s = [...sub];
      o[d] += i;
      s[d] = Math.min(step, sub[d] - i);
      if (!visit(o, s)) return false;
    }
    return true;
  };

  const visit = (origin: number[], sub: number[]): boolean => {
    if (maxDims) {
      for (let d = 0; d < sub.length; d++) {
        if (sub[d] > maxDims[d]) return splitDim(origin, sub, d, Math.ceil(sub[d] / maxDims[d]));
      }
    }
    // The operand that overshoots its window most decides where to cut: along the dim that
    // spreads it the most, into as many parts as its extent needs windows.
    let worst = -1;
    let need = 0;
    accesses.forEach((a, k) => {
      if (!windowed[k]) return;
      const [lo, hi] = extent(a, origin, sub);
      const size = hi + 1 - Math.floor(lo / align) * align;
      if (size > limit && size > need) {
        worst = k;
        need = size;
      }
    });
    if (worst < 0) {
      emit(origin, sub);
      return true;
    }
    const strides = accesses[worst].strides;
    let dim = -1;
    let spread = 0;
    for (let d = 0; d < sub.length; d++) {
      const s = Math.abs((sub[d] - 1) * (strides[d] ?? 0));
      if (s > spread && !opts.whole?.includes(d)) {
        dim = d;
        spread = s;
      }
    }
    if (dim < 0) return false;
    return splitDim(origin, sub, dim, Math.min(sub[dim], Math.max(2, Math.ceil(need / (limit - align)))));
  };

  return visit(shape.map(() => 0), [...shape]) ? pieces : null;
}

/** splitBox, throwing an error naming the op when the launch cannot be split finely enough. */
export function pieces(op: string, shape: readonly number[], accesses: readonly Access[], opts: SplitOptions = {}): Piece[] {
  const p = splitBox(shape, accesses, opts);
  if (p) return p;
  const limit = runtime().bindingLimit;
  throw new Error(`${op}: the kernel's smallest unit of work reads or writes more than the ${limit}-byte storage binding limit (maxStorageBufferBindingSize); use smaller inputs (e.g. a smaller batch or volume)`);
}
