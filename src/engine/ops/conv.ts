// 3D (and 2D) convolution as implicit GEMM on the GPU — forward, input gradient and weight
// gradient — with PyTorch's semantics: NCDHW input, weights [Cout, Cin/groups, kD, kH, kW].
import { Tensor } from '../tensor/tensor.ts';
import { runtime, groupsFor } from '../kernels/runtime.ts';
import { adapterReport } from '../device/device.ts';
import { batchedMatmul } from './matmul.ts';
import { add } from './elementwise.ts';
import { recordOp } from '../autograd/graph.ts';
import { fmt } from '../tensor/shape.ts';
import { empty } from './launch.ts';
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

function dispatchConv(op: string, mode: 0 | 1 | 2, g: Geometry, a: Tensor, b: Tensor, out: Tensor, M: number, Ncols: number, K: number, splits: number, bias?: Tensor): void {
  const kchunk = Math.ceil(K / splits / 16) * 16;
  const defines = bias
    ? { MODE: mode, BIAS_DECL: '@group(0) @binding(4) var<storage, read> BIAS: array<f32>;', BIAS_ADD: ' + BIAS[u.bias_off + co]' }
    : { MODE: mode, BIAS_DECL: '', BIAS_ADD: '' };
  const buffers = [a.storage.buffer, b.storage.buffer, out.storage.buffer];
  if (bias) buffers.push(bias.storage.buffer);
  runtime().dispatch(
    op,
    { shader: 'conv3d', defines },
    (w) => {
      w.u32(g.N, g.Cin, g.Cout, g.groups, g.D, g.H, g.W, splits, g.OD, g.OH, g.OW, kchunk, g.KD, g.KH, g.KW, 0);
      w.i32(...g.s, 0, ...g.p, 0, ...g.d, 0);
      w.u32(M, Ncols, K, 0, a.offset, b.offset, bias?.offset ?? 0, 0);
    },
    buffers,
    Math.ceil(Ncols / TILE),
    Math.ceil(M / TILE),
    g.groups * splits,
  );
}

function kvol(g: Geometry): number {
  return g.KD * g.KH * g.KW;
}

// ---------------------------------------------------------------------------------------------
// Two algorithms, same results:
//  - 'implicit': implicit GEMM (shaders/conv3d.wgsl) — gathers im2col tiles on the fly; no extra
//    memory. The choice on GPUs.
//  - 'im2col': explicit column matrix (shaders/im2col.wgsl, col2im.wgsl) feeding the batched
//    matmul, whose CPU-adapter kernels avoid workgroup memory; chosen on software adapters when
//    the column matrix fits one binding (see bench/RESULTS.md for the measurements).
// ---------------------------------------------------------------------------------------------

export type ConvAlgorithm = 'implicit' | 'im2col';
let forcedAlgorithm: ConvAlgorithm | null = null;

/** Forces one convolution algorithm (null: choose by adapter). For tests and benchmarks. */
export function setConvAlgorithm(algorithm: ConvAlgorithm | null): void {
  forcedAlgorithm = algorithm;
}

function algorithm(g: Geometry): ConvAlgorithm {
  const colBytes = 4 * g.N * g.Cin * kvol(g) * Math.max(g.OD * g.OH * g.OW, g.D * g.H * g.W);
  const fits = colBytes <= runtime().device.limits.maxStorageBufferBindingSize;
  if (forcedAlgorithm) return forcedAlgorithm === 'im2col' && !fits ? 'implicit' : forcedAlgorithm;
  return adapterReport().software && fits ? 'im2col' : 'implicit';
}

function writeGeo(w: import('../kernels/uniforms.ts').UniformWriter, g: Geometry, total: number, xOff: number): void {
  w.u32(g.N, g.Cin, g.groups, total, g.D, g.H, g.W, xOff, g.OD, g.OH, g.OW, 0, g.KD, g.KH, g.KW, 0);
  w.i32(...g.s, 0, ...g.p, 0, ...g.d, 0);
}

/** The column matrix [N, G, Cin/G·taps, OD·OH·OW] of x. */
function im2col(op: string, g: Geometry, x: Tensor): Tensor {
  const col = empty(op, [g.N, g.groups, (g.Cin / g.groups) * kvol(g), g.OD * g.OH * g.OW], 'float32');
  const total = col.size;
  runtime().dispatch(op, { shader: 'im2col' }, (w) => writeGeo(w, g, total, x.offset), [x.storage.buffer, col.storage.buffer], groupsFor(total, 256));
  return col;
}

/** Views of the weight [Cout, Cin/G, taps…] as per-group matrices broadcast over the batch. */
function weightMatrix(g: Geometry, w: Tensor, transposed: boolean): Tensor {
  const coutG = g.Cout / g.groups;
  const k = (g.Cin / g.groups) * kvol(g);
  return transposed
    ? w.alias([g.N, g.groups, k, coutG], [0, coutG * k, 1, k], w.offset, false)
    : w.alias([g.N, g.groups, coutG, k], [0, coutG * k, k, 1], w.offset, false);
}

function im2colForward(op: string, g: Geometry, x: Tensor, w: Tensor, b?: Tensor): Tensor {
  const col = im2col(op, g, x);
  const wm = weightMatrix(g, w, false);
  const y4 = batchedMatmul(op, wm, col);
  for (const t of [col, wm]) t.dispose();
  const y = reshape(y4, [g.N, g.Cout, g.OD, g.OH, g.OW]);
  y4.dispose();
  if (!b) return y;
  const bv = b.alias([1, g.Cout, 1, 1, 1], [0, b.strides[0], 0, 0, 0], b.offset, false);
  const yb = add(y, bv);
  for (const t of [y, bv]) t.dispose();
  return yb;
}

function im2colInputGrad(op: string, g: Geometry, w: Tensor, dy: Tensor): Tensor {
  const coutG = g.Cout / g.groups;
  const os = g.OD * g.OH * g.OW;
  const wt = weightMatrix(g, w, true);
  const dyv = dy.alias([g.N, g.groups, coutG, os], [g.Cout * os, coutG * os, os, 1], dy.offset, false);
  const dcol = batchedMatmul(op, wt, dyv);
  for (const t of [wt, dyv]) t.dispose();
  const dx = empty(op, [g.N, g.Cin, g.D, g.H, g.W], 'float32');
  const total = dx.size;
  runtime().dispatch(op, { shader: 'col2im' }, (wr) => writeGeo(wr, g, total, 0), [dcol.storage.buffer, dx.storage.buffer], groupsFor(total, 256));
  dcol.dispose();
  return dx;
}

function im2colWeightGrad(op: string, g: Geometry, x: Tensor, dy: Tensor): Tensor {
  const coutG = g.Cout / g.groups;
  const os = g.OD * g.OH * g.OW;
  const k = (g.Cin / g.groups) * kvol(g);
  const col = im2col(op, g, x);
  const colT = col.alias([g.N, g.groups, os, k], [g.groups * k * os, k * os, 1, os], 0, false);
  const dyv = dy.alias([g.N, g.groups, coutG, os], [g.Cout * os, coutG * os, os, 1], dy.offset, false);
  const perSample = batchedMatmul(op, dyv, colT);
  for (const t of [col, colT, dyv]) t.dispose();
  const summed = g.N > 1 ? sum(perSample, 0) : perSample.alias();
  perSample.dispose();
  const dw = reshape(summed, [g.Cout, g.Cin / g.groups, g.KD, g.KH, g.KW]);
  summed.dispose();
  return dw;
}

function convForward(op: string, g: Geometry, x: Tensor, w: Tensor, b?: Tensor): Tensor {
  if (algorithm(g) === 'im2col') return im2colForward(op, g, x, w, b);
  const y = empty(op, [g.N, g.Cout, g.OD, g.OH, g.OW], 'float32');
  dispatchConv(op, 0, g, w, x, y, g.Cout / g.groups, g.N * g.OD * g.OH * g.OW, (g.Cin / g.groups) * kvol(g), 1, b);
  return y;
}

function convInputGrad(op: string, g: Geometry, w: Tensor, dy: Tensor): Tensor {
  if (algorithm(g) === 'im2col') return im2colInputGrad(op, g, w, dy);
  const dx = empty(op, [g.N, g.Cin, g.D, g.H, g.W], 'float32');
  dispatchConv(op, 1, g, w, dy, dx, g.Cin / g.groups, g.N * g.D * g.H * g.W, (g.Cout / g.groups) * kvol(g), 1);
  return dx;
}

function convWeightGrad(op: string, g: Geometry, x: Tensor, dy: Tensor): Tensor {
  if (algorithm(g) === 'im2col') return im2colWeightGrad(op, g, x, dy);
  const M = g.Cout / g.groups;
  const Ncols = (g.Cin / g.groups) * kvol(g);
  const K = g.N * g.OD * g.OH * g.OW;
  // The reduction runs over every output position: split it so that enough workgroups exist.
  const tiles = Math.ceil(M / TILE) * Math.ceil(Ncols / TILE) * g.groups;
  const splits = Math.max(1, Math.min(Math.ceil(K / 4096), Math.ceil(256 / tiles)));
  const shape = [g.Cout, g.Cin / g.groups, g.KD, g.KH, g.KW];
  if (splits === 1) {
    const dw = empty(op, shape, 'float32');
    dispatchConv(op, 2, g, dy, x, dw, M, Ncols, K, 1);
    return dw;
  }
  const partial = empty(op, [splits, ...shape], 'float32');
  dispatchConv(op, 2, g, dy, x, partial, M, Ncols, K, splits);
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

