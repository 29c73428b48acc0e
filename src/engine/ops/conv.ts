// 3D (and 2D) convolution as implicit GEMM on the GPU — forward, input gradient and weight
// gradient — with PyTorch's semantics: NCDHW input, weights [Cout, Cin/groups, kD, kH, kW].
import { Tensor } from '../tensor/tensor.ts';
import { runtime } from '../kernels/runtime.ts';
import { recordOp } from '../autograd/graph.ts';
import { fmt } from '../tensor/shape.ts';
import { empty } from './launch.ts';
import { contiguous, squeeze, unsqueeze } from './shape.ts';
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

function convForward(op: string, g: Geometry, x: Tensor, w: Tensor, b?: Tensor): Tensor {
  const y = empty(op, [g.N, g.Cout, g.OD, g.OH, g.OW], 'float32');
  dispatchConv(op, 0, g, w, x, y, g.Cout / g.groups, g.N * g.OD * g.OH * g.OW, (g.Cin / g.groups) * kvol(g), 1, b);
  return y;
}

function convInputGrad(op: string, g: Geometry, w: Tensor, dy: Tensor): Tensor {
  const dx = empty(op, [g.N, g.Cin, g.D, g.H, g.W], 'float32');
  dispatchConv(op, 1, g, w, dy, dx, g.Cin / g.groups, g.N * g.D * g.H * g.W, (g.Cout / g.groups) * kvol(g), 1);
  return dx;
}

function convWeightGrad(op: string, g: Geometry, x: Tensor, dy: Tensor): Tensor {
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

