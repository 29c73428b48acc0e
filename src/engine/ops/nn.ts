// Neural-network functions: softmax, logSoftmax, crossEntropy, normalize.
import { Tensor } from '../tensor/tensor.ts';
import { runtime } from '../kernels/runtime.ts';
import { recordOp } from '../autograd/graph.ts';
import { fmt, normDim } from '../tensor/shape.ts';
import { empty } from './launch.ts';
import { pieces } from './split.ts';
import { contiguous, gather, permute, reshape, squeeze, unsqueeze } from './shape.ts';
import { mean, sum } from './reduce.ts';
import { abs, add, clamp, div, mul, neg, pow, sqrt } from './elementwise.ts';
import { tidy } from '../tensor/scope.ts';

/** Launches over ranges of the contiguous rows of length L of `tensors`, each range within a binding. */
function rowPieces(op: string, rows: number, L: number, tensors: Tensor[]) {
  return pieces(op, [rows], tensors.map((t) => ({ buffer: t.storage.buffer, offset: t.offset, strides: [L], span: [0, L - 1] as [number, number] })));
}

/** Row kernel over the last dim of a contiguous tensor. */
function rowSoftmax(op: string, x: Tensor, log: boolean): Tensor {
  const L = x.shape[x.rank - 1];
  const rows = x.size / Math.max(L, 1);
  const y = empty(op, x.shape, 'float32');
  if (x.size === 0) return y;
  for (const p of rowPieces(op, rows, L, [x, y])) {
    runtime().dispatch(op, { shader: 'softmax', defines: { LOG: String(log) } }, (w) => w.u32(p.shape[0], L, ...p.offsets), p.bindings, p.shape[0]);
  }
  return y;
}

function rowSoftmaxBackward(op: string, y: Tensor, g: Tensor, log: boolean): Tensor {
  const L = y.shape[y.rank - 1];
  const rows = y.size / Math.max(L, 1);
  const gc = g.isContiguous() ? g : contiguous(g);
  const dx = empty(op, y.shape, 'float32');
  if (y.size > 0) {
    for (const p of rowPieces(op, rows, L, [y, gc, dx])) {
      runtime().dispatch(op, { shader: 'softmax_backward', defines: { LOG: String(log) } }, (w) => w.u32(p.shape[0], L, ...p.offsets, 0, 0, 0), p.bindings, p.shape[0]);
    }
  }
  if (gc !== g) gc.dispose();
  return dx;
}

function softmaxImpl(name: string, x: Tensor, dim: number, log: boolean): Tensor {
  x.assertLive(name);
  if (x.dtype !== 'float32') throw new Error(`${name}: expects float32, got ${x.dtype}`);
  const rank = Math.max(x.rank, 1);
  const d = normDim(name, dim, rank);
  // Move dim last, run the row kernel on contiguous rows, move it back (a view).
  const order = Array.from({ length: x.rank }, (_, i) => i).filter((i) => i !== d);
  if (x.rank > 0) order.push(d);
  const moved = x.rank > 0 ? permute(x, order) : reshape(x, [1]);
  const xc = moved.isContiguous() ? moved : contiguous(moved);
  const yc = rowSoftmax(name, xc, log);
  const yr = recordOp(name, [xc], yc, (save) => {
    const sy = save(yc);
    return (g) => [rowSoftmaxBackward(`${name}.backward`, sy, g, log)];
  });
  const inverse = new Array<number>(order.length);
  order.forEach((o, i) => (inverse[o] = i));
  const y = x.rank > 0 ? permute(yr, inverse) : reshape(yr, []);
  for (const t of new Set([moved, xc, yr])) t.dispose();
  return y;
}

export const softmax = (x: Tensor, dim: number) => softmaxImpl('softmax', x, dim, false);
export const logSoftmax = (x: Tensor, dim: number) => softmaxImpl('logSoftmax', x, dim, true);

export interface CrossEntropyOptions {
  /** Mixes the one-hot target with the uniform distribution (torch's label_smoothing). */
  labelSmoothing?: number;
}

/**
 * Mean cross-entropy of logits [N, C] (or [N, C, d1, …]) against int32 class targets [N] (or
 * [N, d1, …]). A target outside [0, C) makes the loss NaN (it cannot be checked without a readback).
 */
export function crossEntropy(logits: Tensor, target: Tensor, opts: CrossEntropyOptions = {}): Tensor {
  logits.assertLive('crossEntropy');
  target.assertLive('crossEntropy');
  const eps = opts.labelSmoothing ?? 0;
  if (!(eps >= 0 && eps <= 1)) throw new Error(`crossEntropy: labelSmoothing must be in [0, 1], got ${eps}`);
  if (target.dtype !== 'int32') throw new Error(`crossEntropy: targets must be int32 class indices, got ${target.dtype}`);
  if (logits.rank < 2) throw new Error(`crossEntropy: logits must be [N, C] or [N, C, ...], got ${fmt(logits.shape)}`);
  const expected = [logits.shape[0], ...logits.shape.slice(2)];
  if (target.rank !== expected.length || target.shape.some((d, i) => d !== expected[i])) {
    throw new Error(`crossEntropy: targets ${fmt(target.shape)} do not match logits ${fmt(logits.shape)} (expected ${fmt(expected)})`);
  }
  return tidy(() => {
    const lp = logSoftmax(logits, 1);
    const nll = neg(squeeze(gather(lp, 1, unsqueeze(target, 1)), 1));
    if (eps === 0) return mean(nll);
    // (1 − ε)·nll + ε·mean_c(−log p_c), as torch's label_smoothing.
    return mean(add(mul(nll, 1 - eps), mul(neg(mean(lp, 1)), eps)));
  });
}

export interface NormalizeOptions {
  p?: number;
  dim?: number;
  eps?: number;
}

/** x / max(‖x‖_p, eps) along dim (torch.nn.functional.normalize). */
export function normalize(x: Tensor, opts: NormalizeOptions = {}): Tensor {
  const p = opts.p ?? 2;
  const dim = opts.dim ?? 1;
  const eps = opts.eps ?? 1e-12;
  x.assertLive('normalize');
  return tidy(() => {
    const norm = p === 2 ? sqrt(sum(mul(x, x), dim, true)) : pow(sum(pow(abs(x), p), dim, true), 1 / p);
    return div(x, clamp(norm, eps));
  });
}
