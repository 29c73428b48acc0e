// Deterministic input generation shared by every runner (Node, browser) and the fixture exporter.
// No Node built-ins.
import type { InputSpec, OpCase, ViewOp, TensorLike } from './types.ts';
import { type RefTensor, make, numel } from '../reference/tensor.ts';
import * as R from '../reference/index.ts';

/** mulberry32: tiny 32-bit PRNG, returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a 32-bit hash of a string (seeds per case/input). */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export interface WaveParams {
  k: number;
  scale: number;
  offset: number;
  ramp: number;
}

export function parseWave(gen: string): WaveParams | null {
  const m = /^wave\(([^)]*)\)$/.exec(gen);
  if (!m) return null;
  const p = m[1].split(',').map((s) => Number(s.trim()));
  return { k: p[0] ?? 0, scale: p[1] ?? 1, offset: p[2] ?? 0, ramp: p[3] ?? 0 };
}

/** fround(offset + scale*sin(i*0.0123 + k) + ramp*i) — replicated exactly in generate.py. */
export function waveValues(n: number, w: WaveParams): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.fround(w.offset + w.scale * Math.sin(i * 0.0123 + w.k) + w.ramp * i);
  return out;
}

/**
 * Values (float32-representable, or integers) for a generator kind. `key` seeds the PRNG.
 */
export function generate(gen: string, n: number, key: string): Float64Array {
  const w = parseWave(gen);
  if (w) return waveValues(n, w);
  const rnd = mulberry32(hashString(key));
  const out = new Float64Array(n);
  const uni = (lo: number, hi: number) => lo + (hi - lo) * rnd();
  let m: RegExpExecArray | null;
  if (gen === 'randn') {
    for (let i = 0; i < n; i++) {
      const u1 = 1 - rnd(); // (0, 1]
      const u2 = rnd();
      out[i] = Math.fround(Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2));
    }
  } else if (gen === 'positive') {
    for (let i = 0; i < n; i++) out[i] = Math.fround(uni(0.25, 2.5));
  } else if (gen === 'nonzero') {
    for (let i = 0; i < n; i++) out[i] = Math.fround((rnd() < 0.5 ? -1 : 1) * uni(0.5, 2));
  } else if ((m = /^uniform\(([^,]+),([^)]+)\)$/.exec(gen))) {
    const lo = Number(m[1]);
    const hi = Number(m[2]);
    for (let i = 0; i < n; i++) out[i] = Math.fround(uni(lo, hi));
  } else if ((m = /^int\(([^,]+),([^)]+)\)$/.exec(gen))) {
    const lo = Number(m[1]);
    const hi = Number(m[2]);
    for (let i = 0; i < n; i++) out[i] = lo + Math.floor(rnd() * (hi - lo));
  } else {
    throw new Error(`unknown generator '${gen}'`);
  }
  return out;
}

export function inputKey(c: OpCase, i: number): string {
  return `${c.id}/in${i}`;
}

// Tiny memo: golden/gradcheck ask for the same (large) inputs several times per case.
const memo = new Map<string, Float64Array>();
function memoized(key: string, make: () => Float64Array): Float64Array {
  let v = memo.get(key);
  if (!v) {
    v = make();
    memo.set(key, v);
    if (memo.size > 6) memo.delete(memo.keys().next().value as string);
  }
  return v;
}

/** Leaf values of input `i` of case `c` (shared array: do not modify). */
export function inputValues(c: OpCase, i: number): Float64Array {
  const s = c.inputs[i];
  return memoized(`${inputKey(c, i)}|${s.gen}|${s.shape.join(',')}`, () => generate(s.gen, numel(s.shape), inputKey(c, i)));
}

/** Above this many output elements the upstream gradient is a wave instead of PRNG values. */
export const BIG_U = 65536;

/** Generator of the upstream gradient u for an output of `n` elements. */
export function upstreamGen(n: number): string {
  return n > BIG_U ? 'wave(0.7)' : 'randn';
}

/** Upstream gradient u of case `c` (shared array: do not modify). */
export function upstreamValues(c: OpCase, outShape: readonly number[]): Float64Array {
  const n = numel(outShape);
  return memoized(`${c.id}/u|${n}`, () => generate(upstreamGen(n), n, `${c.id}/u`));
}

export function hasGrad(c: OpCase): boolean {
  return c.inputs.some((s) => s.grad);
}

/** Applies the view transforms to an engine tensor. */
export function applyViewEngine(t: TensorLike, view: ViewOp[] | undefined): TensorLike {
  let x = t;
  for (const v of view ?? []) {
    if (v.kind === 'transpose') x = x.transpose(v.d0, v.d1);
    else if (v.kind === 'permute') x = x.permute(v.dims);
    else if (v.kind === 'slice') x = x.slice(v.dim, v.start, v.end, v.step);
    else x = x.expand(v.shape);
  }
  return x;
}

/** Applies the view transforms to a reference tensor (materialized). */
export function applyViewRef(t: RefTensor, view: ViewOp[] | undefined): RefTensor {
  let x = t;
  for (const v of view ?? []) {
    if (v.kind === 'transpose') x = R.transpose(x, v.d0, v.d1);
    else if (v.kind === 'permute') x = R.permute(x, v.dims);
    else if (v.kind === 'slice') x = R.slice(x, v.dim, v.start, v.end, v.step);
    else x = R.expand(x, v.shape);
  }
  return x;
}

/** Leaf reference tensors of a case (before views). */
export function refLeaves(c: OpCase): RefTensor[] {
  return c.inputs.map((s, i) => make(s.shape, inputValues(c, i), s.dtype));
}

/** Reference forward of a case from leaf tensors (applies views, then the op). */
export function refForward(c: OpCase, leaves: RefTensor[]): RefTensor {
  return c.ref(...leaves.map((l, i) => applyViewRef(l, c.inputs[i].view)));
}

/** Human-readable description of the inputs, e.g. "a[5,1,7] b[7,5]^T". */
export function describeInputs(c: OpCase): string {
  const names = 'abcdefgh';
  return c.inputs
    .map((s, i) => {
      let d = `${names[i]}${s.dtype === 'int32' ? ':i32' : ''}[${s.shape.join(',')}]`;
      for (const v of s.view ?? []) {
        if (v.kind === 'transpose') d += `.transpose(${v.d0},${v.d1})`;
        else if (v.kind === 'permute') d += `.permute(${v.dims.join(',')})`;
        else if (v.kind === 'slice') d += `.slice(${v.dim},${v.start},${v.end},${v.step})`;
        else d += `.expand(${v.shape.join(',')})`;
      }
      return d;
    })
    .join(' ');
}

/** Order-sensitive checksum of generated values (detects stale fixtures): sum x_i * (i % 7 + 1). */
export function checksum(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * ((i % 7) + 1);
  return s;
}
