// Shape arithmetic: sizes, strides, broadcasting, dim normalisation. Every check throws an error
// that names the op and the shapes, before any GPU work is queued.
import { MAX_RANK } from '../kernels/uniforms.ts';

export type Shape = readonly number[];

export function numel(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function contiguousStrides(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

export function fmt(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function checkShape(op: string, shape: Shape): void {
  if (shape.length > MAX_RANK) throw new Error(`${op}: rank ${shape.length} exceeds the maximum rank ${MAX_RANK}`);
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`${op}: invalid shape ${fmt(shape)} (sizes must be non-negative integers)`);
  }
}

/** Broadcast shape of several shapes (NumPy/PyTorch rules). */
export function broadcastShapes(op: string, ...shapes: Shape[]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const o = rank - s.length + i;
      const d = s[i];
      if (d === out[o] || d === 1) continue;
      if (out[o] === 1) out[o] = d;
      else throw new Error(`${op}: shapes ${shapes.map(fmt).join(' and ')} cannot be broadcast together (dim ${o}: ${out[o]} vs ${d})`);
    }
  }
  return out;
}

/** Normalises one dim (negative counts from the end) for a tensor of `rank`. */
export function normDim(op: string, dim: number, rank: number): number {
  const lo = rank === 0 ? -1 : -rank;
  const hi = rank === 0 ? 0 : rank - 1;
  if (!Number.isInteger(dim) || dim < lo || dim > hi) {
    throw new Error(`${op}: dim ${dim} is out of range for a tensor of rank ${rank} (expected ${lo}..${hi})`);
  }
  return dim < 0 ? dim + Math.max(rank, 1) : dim;
}

/** Normalises a dims argument (undefined = all dims) to a sorted list without repeats. */
export function normDims(op: string, dims: number | readonly number[] | undefined, rank: number): number[] {
  if (dims === undefined) return Array.from({ length: rank }, (_, i) => i);
  const list = (typeof dims === 'number' ? [dims] : [...dims]).map((d) => normDim(op, d, rank));
  const set = new Set(list);
  if (set.size !== list.length) throw new Error(`${op}: dims ${JSON.stringify(dims)} repeat a dim`);
  return [...set].sort((a, b) => a - b).filter((d) => d < rank || rank === 0);
}
