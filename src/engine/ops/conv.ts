// 3D (and 2D) convolution as implicit GEMM on the GPU — forward, input gradient and weight
// gradient — with PyTorch's semantics: NCDHW input, weights [Cout, Cin/groups, kD, kH, kW].
import { Tensor } from '../tensor/tensor.ts';
import { runtime, groupsFor, type Binding } from '../kernels/runtime.ts';
import { adapterReport } from '../device/device.ts';
import { batchedMatmul, batchedMatmulInto } from './matmul.ts';
import { add } from './elementwise.ts';
import { recordOp } from '../autograd/graph.ts';
import { fmt } from '../tensor/shape.ts';
import { empty } from './launch.ts';
import { pieces, type Access, type Piece } from './split.ts';
import { contiguous, reshape, squeeze, unsqueeze } from './shape.ts';
import { sum } from './reduce.ts';

export type Triple = number | readonly [number, number, number];
export type Pair = number | readonly [number, number];

export interface Conv3dOptions {
  stride?: Triple;
  padding?: Triple;
  dilation?: Triple;
  groups?: number;
}

export interface Conv2dOptions {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  groups?: number;
}

function triple(op: string, name: string, v: Triple | undefined, dflt: number, min: number): [number, number, number] {
  const t = v === undefined ? [dflt, dflt, dflt] : typeof v === 'number' ? [v, v, v] : [...v];
  if (t.length !== 3 || t.some((x) => !Number.isInteger(x) || x < min)) {
    throw new Error(`${op}: ${name} must be an integer >= ${min} or a [d, h, w] triple of them, got ${JSON.stringify(v)}`);
  }
  return t as [number, number, number];
}

const TILE = 64;

interface Geometry {
  N: number; Cin: number; Cout: number; groups: number;
  D: number; H: number; W: number; OD: number; OH: number; OW: number;
  KD: number; KH: number; KW: number;
  s: [number, number, number]; p: [number, number, number]; d: [number, number, number];
}

function geometry(op: string, x: Tensor, w: Tensor, o: Conv3dOptions): Geometry {
  if (x.rank !== 5) throw new Error(`${op}: input must be [N, C, D, H, W], got ${fmt(x.shape)}`);
  if (w.rank !== 5) throw new Error(`${op}: weight must be [Cout, Cin/groups, kD, kH, kW], got ${fmt(w.shape)}`);
  if (x.dtype !== 'float32' || w.dtype !== 'float32') throw new Error(`${op}: expects float32 input and weight`);
  const groups = o.groups ?? 1;
  const [N, Cin, D, H, W] = x.shape;
  const [Cout, CinG, KD, KH, KW] = w.shape;
  if (!Number.isInteger(groups) || groups < 1 || Cin % groups !== 0 || Cout % groups !== 0) {
    throw new Error(`${op}: groups = ${groups} must divide input channels ${Cin} and output channels ${Cout}`);
  }
  if (CinG !== Cin / groups) {
    throw new Error(`${op}: weight ${fmt(w.shape)} expects ${CinG * groups} input channels (groups = ${groups}), input ${fmt(x.shape)} has ${Cin}`);
  }
  const s = triple(op, 'stride', o.stride, 1, 1);
  const p = triple(op, 'padding', o.padding, 0, 0);
  const d = triple(op, 'dilation', o.dilation, 1, 1);
  const out = [D, H, W].map((size, i) => Math.floor((size + 2 * p[i] - d[i] * ([KD, KH, KW][i] - 1) - 1) / s[i]) + 1);
  if (out.some((v) => v < 1)) {
    throw new Error(`${op}: input ${fmt(x.shape)} is too small for kernel ${fmt(w.shape.slice(2))} with padding [${p}] and dilation [${d}] (output would be ${fmt(out)})`);
  }
  return { N, Cin, Cout, groups, D, H, W, OD: out[0], OH: out[1], OW: out[2], KD, KH, KW, s, p, d };
}

/**
 * One implicit-GEMM launch on the samples of `piece` (a range of the batch, see samplePieces):
 * `a`, `b`, `out` (and the bias) bound as the piece's windows.
 */
function dispatchConv(op: string, mode: 0 | 1 | 2, g: Geometry, p: Piece, M: number, Ncols: number, K: number, splits: number, bias?: Tensor): void {
  const kchunk = Math.ceil(K / splits / 16) * 16;
  const defines = bias
    ? { MODE: mode, BIAS_DECL: '@group(0) @binding(4) var<storage, read> BIAS: array<f32>;', BIAS_ADD: ' + BIAS[u.bias_off + co]' }
    : { MODE: mode, BIAS_DECL: '', BIAS_ADD: '' };
  const nb = p.shape[0];
  runtime().dispatch(
    op,
    { shader: 'conv3d', defines },
    (w) => {
      w.u32(nb, g.Cin, g.Cout, g.groups, g.D, g.H, g.W, splits, g.OD, g.OH, g.OW, kchunk, g.KD, g.KH, g.KW, 0);
      w.i32(...g.s, 0, ...g.p, 0, ...g.d, 0);
      w.u32(M, Ncols, K, 0, p.offsets[0], p.offsets[1], bias?.offset ?? 0, p.offsets[2]);
    },
    bias ? [...p.bindings, bias.storage.buffer] : p.bindings,
    Math.ceil(Ncols / TILE),
    Math.ceil(M / TILE),
    g.groups * splits,
  );
}

/** Access to a tensor whose samples (dim 0) are `per` contiguous elements each. */
function perSample(t: Tensor, per: number): Access {
  return { buffer: t.storage.buffer, offset: t.offset, strides: [per], span: [0, per - 1] };
}

/** Access to a tensor used whole by every launch (the weight). */
function whole(t: Tensor): Access {
  return { buffer: t.storage.buffer, offset: t.offset, strides: [0], span: [0, t.size - 1] };
}

function kvol(g: Geometry): number {
  return g.KD * g.KH * g.KW;
}

// ---------------------------------------------------------------------------------------------
// Two algorithms, same results:
//  - 'implicit': implicit GEMM (shaders/conv3d.wgsl) — gathers im2col tiles on the fly; no extra
//    memory. The choice on GPUs.
//  - 'im2col': explicit column matrix (shaders/im2col.wgsl, col2im.wgsl) feeding the batched
//    matmul, whose CPU-adapter kernels avoid workgroup memory; chosen on software adapters (see
//    bench/RESULTS.md for the measurements). The column matrix is built in chunks of samples or
//    of output positions that fit one binding (a big layer's whole matrix would take GBs).
// Both split their launches so that every binding fits (big tensors are bound as windows): the
// implicit GEMM over ranges of samples, im2col over its chunks.
// ---------------------------------------------------------------------------------------------

export type ConvAlgorithm = 'implicit' | 'im2col';
let forcedAlgorithm: ConvAlgorithm | null = null;

/**
 * Forces one convolution algorithm (null: choose by adapter). For tests and benchmarks. Layers
 * with a sample larger than a storage binding always use im2col.
 */
export function setConvAlgorithm(algorithm: ConvAlgorithm | null): void {
  forcedAlgorithm = algorithm;
}

function algorithm(g: Geometry): ConvAlgorithm {
  // The implicit GEMM splits its launches by samples only: one sample's input, output and their
  // gradients must each fit a binding. im2col also splits a sample's output positions.
  const sample = 4 * Math.max(g.Cin * g.D * g.H * g.W, g.Cout * g.OD * g.OH * g.OW);
  if (sample + runtime().bindingAlignment > runtime().bindingLimit) return 'im2col';
  return forcedAlgorithm ?? (adapterReport().software ? 'im2col' : 'implicit');
}

function writeGeo(w: import('../kernels/uniforms.ts').UniformWriter, g: Geometry, c: ColChunk, total: number, xOff: number, accumulate = false): void {
  w.u32(c.samples, g.Cin, g.groups, total, g.D, g.H, g.W, xOff, g.OD, g.OH, g.OW, c.o0, g.KD, g.KH, g.KW, c.positions);
  w.i32(...g.s).u32(accumulate ? 1 : 0).i32(...g.p, 0, ...g.d, 0);
}

/** A chunk of the column matrix: samples n0.. (count `samples`) × output positions o0.. (`positions`). */
interface ColChunk {
  n0: number;
  samples: number;
  o0: number;
  positions: number;
  /** Window of the input (or input gradient) holding the chunk's samples, and their offset in it. */
  x: Binding;
  xOff: number;
}

/**
 * Chunks of the column matrix [N, G, K, positions] that fit a binding: whole samples when one
 * sample's columns fit, else ranges of output positions of one sample; the samples of a chunk
 * must also fit one window of `x` (the input, or the input gradient for col2im).
 */
function colChunks(op: string, g: Geometry, x: Tensor): ColChunk[] {
  const os = g.OD * g.OH * g.OW;
  const k = g.Cin * kvol(g); // G · (Cin/G · taps) column rows per position
  const ps = pieces(op, [g.N, os], [
    { ...perSample(x, g.Cin * g.D * g.H * g.W), strides: [g.Cin * g.D * g.H * g.W, 0] },
    // the chunk's column matrix, as if laid out [N, positions, rows]: a box of it is exactly its size
    { buffer: null, offset: 0, strides: [os * k, k], span: [0, k - 1] },
  ]);
  return ps.map((p) => ({ n0: p.origin[0], samples: p.shape[0], o0: p.origin[1], positions: p.shape[1], x: p.bindings[0], xOff: p.offsets[0] }));
}

/** The chunk's column matrix [samples, G, Cin/G·taps, positions] of x. */
function im2col(op: string, g: Geometry, c: ColChunk): Tensor {
  const col = empty(op, [c.samples, g.groups, (g.Cin / g.groups) * kvol(g), c.positions], 'float32');
  const total = col.size;
  runtime().dispatch(op, { shader: 'im2col' }, (w) => writeGeo(w, g, c, total, c.xOff), [c.x, col.storage.buffer], groupsFor(total, 256));
  return col;
}

/** Views of the weight [Cout, Cin/G, taps…] as per-group matrices broadcast over `n` samples. */
function weightMatrix(g: Geometry, w: Tensor, transposed: boolean, n: number): Tensor {
  const coutG = g.Cout / g.groups;
  const k = (g.Cin / g.groups) * kvol(g);
  return transposed
    ? w.alias([n, g.groups, k, coutG], [0, coutG * k, 1, k], w.offset, false)
    : w.alias([n, g.groups, coutG, k], [0, coutG * k, k, 1], w.offset, false);
}

/** The chunk's part of y (or dy) [N, Cout, positions] as [samples, G, Cout/G, positions]. */
function outputChunk(g: Geometry, y: Tensor, c: ColChunk): Tensor {
  const os = g.OD * g.OH * g.OW;
  const coutG = g.Cout / g.groups;
  return y.alias([c.samples, g.groups, coutG, c.positions], [g.Cout * os, coutG * os, os, 1], y.offset + c.n0 * g.Cout * os + c.o0, false);
}

function im2colForward(op: string, g: Geometry, x: Tensor, w: Tensor, b?: Tensor): Tensor {
  const y = empty(op, [g.N, g.Cout, g.OD, g.OH, g.OW], 'float32');
  for (const c of colChunks(op, g, x)) {
    const col = im2col(op, g, c);
    const wm = weightMatrix(g, w, false, c.samples);
    const yc = outputChunk(g, y, c);
    batchedMatmulInto(op, wm, col, yc);
    for (const t of [col, wm, yc]) t.dispose();
  }
  if (!b) return y;
  const bv = b.alias([1, g.Cout, 1, 1, 1], [0, b.strides[0], 0, 0, 0], b.offset, false);
  const yb = add(y, bv);
  for (const t of [y, bv]) t.dispose();
  return yb;
}

function im2colInputGrad(op: string, g: Geometry, w: Tensor, dy: Tensor): Tensor {
  const dx = empty(op, [g.N, g.Cin, g.D, g.H, g.W], 'float32');
  for (const c of colChunks(op, g, dx)) {
    const wt = weightMatrix(g, w, true, c.samples);
    const dyv = outputChunk(g, dy, c);
    const dcol = batchedMatmul(op, wt, dyv);
    for (const t of [wt, dyv]) t.dispose();
    const total = c.samples * g.Cin * g.D * g.H * g.W;
    // Chunks after the first of a sample add their positions' contributions.
    runtime().dispatch(op, { shader: 'col2im' }, (wr) => writeGeo(wr, g, c, total, c.xOff, c.o0 > 0), [dcol.storage.buffer, c.x], groupsFor(total, 256));
    dcol.dispose();
  }
  return dx;
}

function im2colWeightGrad(op: string, g: Geometry, x: Tensor, dy: Tensor): Tensor {
  const coutG = g.Cout / g.groups;
  const k = (g.Cin / g.groups) * kvol(g);
  let acc: Tensor | null = null;
  for (const c of colChunks(op, g, x)) {
    const col = im2col(op, g, c);
    const colT = col.alias([c.samples, g.groups, c.positions, k], [g.groups * k * c.positions, k * c.positions, 1, c.positions], 0, false);
    const dyv = outputChunk(g, dy, c);
    const perChunk = batchedMatmul(op, dyv, colT);
    for (const t of [col, colT, dyv]) t.dispose();
    const summed = c.samples > 1 ? sum(perChunk, 0) : reshape(perChunk, [g.groups, coutG, k]);
    perChunk.dispose();
    const next: Tensor = acc ? add(acc, summed) : summed;
    if (acc) {
      acc.dispose();
      summed.dispose();
    }
    acc = next;
  }
  const dw = reshape(acc!, [g.Cout, g.Cin / g.groups, g.KD, g.KH, g.KW]);
  acc!.dispose();
  return dw;
}

function convForward(op: string, g: Geometry, x: Tensor, w: Tensor, b?: Tensor): Tensor {
  if (algorithm(g) === 'im2col') return im2colForward(op, g, x, w, b);
  const y = empty(op, [g.N, g.Cout, g.OD, g.OH, g.OW], 'float32');
  const os = g.OD * g.OH * g.OW;
  for (const p of pieces(op, [g.N], [whole(w), perSample(x, g.Cin * g.D * g.H * g.W), perSample(y, g.Cout * os)])) {
    dispatchConv(op, 0, g, p, g.Cout / g.groups, p.shape[0] * os, (g.Cin / g.groups) * kvol(g), 1, b);
  }
  return y;
}

function convInputGrad(op: string, g: Geometry, w: Tensor, dy: Tensor): Tensor {
  if (algorithm(g) === 'im2col') return im2colInputGrad(op, g, w, dy);
  const dx = empty(op, [g.N, g.Cin, g.D, g.H, g.W], 'float32');
  const is = g.D * g.H * g.W;
  for (const p of pieces(op, [g.N], [whole(w), perSample(dy, g.Cout * g.OD * g.OH * g.OW), perSample(dx, g.Cin * is)])) {
    dispatchConv(op, 1, g, p, g.Cin / g.groups, p.shape[0] * is, (g.Cout / g.groups) * kvol(g), 1);
  }
  return dx;
}

function convWeightGrad(op: string, g: Geometry, x: Tensor, dy: Tensor): Tensor {
  if (algorithm(g) === 'im2col') return im2colWeightGrad(op, g, x, dy);
  const M = g.Cout / g.groups;
  const Ncols = (g.Cin / g.groups) * kvol(g);
  const os = g.OD * g.OH * g.OW;
  const shape = [g.Cout, g.Cin / g.groups, g.KD, g.KH, g.KW];
  const wsize = g.Cout * Ncols;
  const ps = pieces(op, [g.N], [perSample(dy, g.Cout * os), perSample(x, g.Cin * g.D * g.H * g.W)]);
  // The reduction runs over every output position: split it so that enough workgroups exist.
  // Each split (and each range of samples) writes its own partial weight gradient; they are summed.
  const tiles = Math.ceil(M / TILE) * Math.ceil(Ncols / TILE) * g.groups;
  const splitsFor = (K: number) => Math.max(1, Math.min(Math.ceil(K / 4096), Math.ceil(256 / tiles)));
  const slots = ps.map((p) => splitsFor(p.shape[0] * os));
  const total = slots.reduce((s, n) => s + n, 0);
  const partial = empty(op, total === 1 ? shape : [total, ...shape], 'float32');
  let slot = 0;
  for (const [i, p] of ps.entries()) {
    const [win] = pieces(op, [1], [{ buffer: partial.storage.buffer, offset: slot * wsize, strides: [0], span: [0, slots[i] * wsize - 1] }]);
    const q: Piece = { ...p, offsets: [...p.offsets, win.offsets[0]], bindings: [...p.bindings, win.bindings[0]] };
    dispatchConv(op, 2, g, q, M, Ncols, p.shape[0] * os, slots[i]);
    slot += slots[i];
  }
  if (total === 1) return partial;
  const dw = sum(partial, 0);
  partial.dispose();
  return dw;
}

/** torch.nn.functional.conv3d. */
export function conv3d(x: Tensor, w: Tensor, b?: Tensor | null, opts: Conv3dOptions = {}): Tensor {
  const op = 'conv3d';
  x.assertLive(op);
  w.assertLive(op);
  const g = geometry(op, x, w, opts);
  if (b && (b.rank !== 1 || b.shape[0] !== g.Cout)) throw new Error(`${op}: bias must be [${g.Cout}], got ${fmt(b.shape)}`);
  const xc = x.isContiguous() ? x : contiguous(x);
  const wc = w.isContiguous() ? w : contiguous(w);
  const bc = b && !b.isContiguous() ? contiguous(b) : b ?? undefined;
  const y = convForward(op, g, xc, wc, bc);
  const out = recordOp(op, [xc, wc, bc ?? null], y, (save) => {
    const sx = save(xc);
    const sw = save(wc);
    return (dy0) => {
      const dy = dy0.isContiguous() ? dy0 : contiguous(dy0);
      const gx = xc.requiresGrad ? convInputGrad(`${op}.backward`, g, sw, dy) : null;
      const gw = wc.requiresGrad ? convWeightGrad(`${op}.backward`, g, sx, dy) : null;
      const gb = bc?.requiresGrad ? sum(dy, [0, 2, 3, 4]) : null;
      if (dy !== dy0) dy.dispose();
      return [gx, gw, gb];
    };
  });
  for (const t of [xc, wc, bc]) if (t && t !== x && t !== w && t !== b) t.dispose();
  return out;
}

/** A 2-D (h, w) option as the 3-D triple of a depth-1 convolution: depth stride/dilation 1, padding 0. */
function pair(name: 'stride' | 'padding' | 'dilation', v: Pair | undefined): [number, number, number] | undefined {
  if (v === undefined) return undefined;
  const [h, w] = typeof v === 'number' ? [v, v] : v;
  return [name === 'padding' ? 0 : 1, h, w];
}

/** torch.nn.functional.conv2d, as conv3d over a depth of 1. */
export function conv2d(x: Tensor, w: Tensor, b?: Tensor | null, opts: Conv2dOptions = {}): Tensor {
  x.assertLive('conv2d');
  w.assertLive('conv2d');
  if (x.rank !== 4) throw new Error(`conv2d: input must be [N, C, H, W], got ${fmt(x.shape)}`);
  if (w.rank !== 4) throw new Error(`conv2d: weight must be [Cout, Cin/groups, kH, kW], got ${fmt(w.shape)}`);
  const x5 = unsqueeze(x, 2);
  const w5 = unsqueeze(w, 2);
  const y5 = conv3d(x5, w5, b, {
    stride: pair('stride', opts.stride),
    padding: pair('padding', opts.padding),
    dilation: pair('dilation', opts.dilation),
    groups: opts.groups,
  });
  const y = squeeze(y5, 2);
  for (const t of [x5, w5, y5]) t.dispose();
  return y;
}

