// matmul with PyTorch semantics (1-D operands, broadcast batch dims, transposed views without
// copies) and linear (x · wᵀ + b) with the bias fused into the matmul epilogue.
import { Tensor } from '../tensor/tensor.ts';
import { runtime } from '../kernels/runtime.ts';
import { recordOp } from '../autograd/graph.ts';
import { broadcastShapes, fmt, numel } from '../tensor/shape.ts';
import { empty, broadcastStrides } from './launch.ts';
import { contiguous, reshape, squeeze, transpose, unsqueeze } from './shape.ts';
import { sumTo } from './reduce.ts';

const TILE = 64;

/** Is the 2-D matrix in the last two dims addressable by (row, col) strides? (always, for views) */
function matrixOperand(op: string, t: Tensor): Tensor {
  // Any strided 2-D view works; only a zero-size stride pattern on a non-broadcast dim needs a copy.
  return t.rank >= 2 && (t.strides[t.rank - 1] !== 0 || t.shape[t.rank - 1] === 1) ? t : contiguous(t);
}

/** Raw batched matmul of a [..., M, K] and b [..., K, N] into a new contiguous [..., M, N]. */
function bmm(op: string, a0: Tensor, b0: Tensor, bias?: Tensor): Tensor {
  const a = matrixOperand(op, a0);
  const b = matrixOperand(op, b0);
  try {
    const M = a.shape[a.rank - 2];
    const K = a.shape[a.rank - 1];
    const N = b.shape[b.rank - 1];
    const batchShape = broadcastShapes(op, a.shape.slice(0, -2), b.shape.slice(0, -2));
    const out = empty(op, [...batchShape, M, N], 'float32');
    const batches = numel(batchShape);
    if (out.size === 0) return out;
    if (K === 0) throw new Error(`${op}: inner dimension is 0`);
    const aB = broadcastStrides(op, { shape: a.shape.slice(0, -2), strides: a.strides.slice(0, -2) }, batchShape);
    const bB = broadcastStrides(op, { shape: b.shape.slice(0, -2), strides: b.strides.slice(0, -2) }, batchShape);
    const defines = bias
      ? { BIAS_DECL: '@group(0) @binding(4) var<storage, read> BIAS: array<f32>;', BIAS_ADD: ' + BIAS[u.bias_off + gn]' }
      : { BIAS_DECL: '', BIAS_ADD: '' };
    const buffers = [a.storage.buffer, b.storage.buffer, out.storage.buffer];
    if (bias) buffers.push(bias.storage.buffer);
    runtime().dispatch(
      op,
      { shader: 'matmul', defines },
      (w) => {
        w.u32(M, N, K, batchShape.length, a.offset, b.offset, bias?.offset ?? 0, 0);
        w.i32(a.strides[a.rank - 2], a.strides[a.rank - 1], b.strides[b.rank - 2], b.strides[b.rank - 1]);
        w.u32x8(batchShape).i32x8(aB).i32x8(bB);
      },
      buffers,
      Math.ceil(N / TILE),
      Math.ceil(M / TILE),
      batches,
    );
    return out;
  } finally {
    if (a !== a0) a.dispose();
    if (b !== b0) b.dispose();
  }
}


export function matmul(a: Tensor, b: Tensor): Tensor {
  a.assertLive('matmul');
  b.assertLive('matmul');
  if (a.dtype !== 'float32' || b.dtype !== 'float32') throw new Error(`matmul: expects float32 tensors, got ${a.dtype} and ${b.dtype}`);
  if (a.rank === 0 || b.rank === 0) throw new Error(`matmul: both arguments need at least 1 dim, got ${fmt(a.shape)} and ${fmt(b.shape)}`);
  // 1-D operands are promoted to matrices and the added dim removed afterwards (torch.matmul).
  const a2 = a.rank === 1 ? unsqueeze(a, 0) : a;
  const b2 = b.rank === 1 ? unsqueeze(b, 1) : b;
  const K = a2.shape[a2.rank - 1];
  if (b2.shape[b2.rank - 2] !== K) {
    throw new Error(`matmul: shapes ${fmt(a.shape)} and ${fmt(b.shape)} cannot be multiplied (${K} vs ${b2.shape[b2.rank - 2]})`);
  }
  const y = bmm('matmul', a2, b2);
  const r = recordOp('matmul', [a2, b2], y, (save) => {
    const sa = save(a2);
    const sb = save(b2);
    return (g) => {
      let ga: Tensor | null = null;
      let gb: Tensor | null = null;
      if (a2.requiresGrad) {
        const bt = transpose(sb, -1, -2);
        ga = sumTo(bmm('matmul.backward', g, bt), a2.shape);
        bt.dispose();
      }
      if (b2.requiresGrad) {
        const at = transpose(sa, -1, -2);
        gb = sumTo(bmm('matmul.backward', at, g), b2.shape);
        at.dispose();
      }
      return [ga, gb];
    };
  });
  let out = r;
  if (a.rank === 1) {
    out = squeeze(r, -2);
    r.dispose();
  }
  if (b.rank === 1) {
    const o2 = squeeze(out, -1);
    out.dispose();
    out = o2;
  }
  if (a2 !== a) a2.dispose();
  if (b2 !== b) b2.dispose();
  return out;
}

/** y = x · wᵀ + b, with w of shape [out, in] (torch.nn.functional.linear). */
export function linear(x: Tensor, w: Tensor, b?: Tensor | null): Tensor {
  x.assertLive('linear');
  w.assertLive('linear');
  if (w.rank !== 2) throw new Error(`linear: weight must be [out_features, in_features], got ${fmt(w.shape)}`);
  if (x.rank < 1 || x.shape[x.rank - 1] !== w.shape[1]) {
    throw new Error(`linear: input ${fmt(x.shape)} does not end in in_features = ${w.shape[1]} (weight ${fmt(w.shape)})`);
  }
  if (b && (b.rank !== 1 || b.shape[0] !== w.shape[0])) throw new Error(`linear: bias must be [${w.shape[0]}], got ${fmt(b.shape)}`);
  const x2 = x.rank === 1 ? unsqueeze(x, 0) : x;
  const lead = x2.shape.slice(0, -1);
  const flat = reshape(x2, [-1, w.shape[1]]);
  const wt = transpose(w, 0, 1);
  const y = bmm('linear', flat, wt, b ?? undefined);
  const rec = recordOp('linear', [flat, wt, b ?? null], y, (save) => {
    const sf = save(flat);
    const sw = save(wt);
    return (g) => {
      let gx: Tensor | null = null;
      let gw: Tensor | null = null;
      if (flat.requiresGrad) {
        const wtt = transpose(sw, 0, 1);
        gx = bmm('linear.backward', g, wtt);
        wtt.dispose();
      }
      if (wt.requiresGrad) {
        const ft = transpose(sf, 0, 1);
        gw = bmm('linear.backward', ft, g);
        ft.dispose();
      }
      const gb = b?.requiresGrad ? sumTo(g, [w.shape[0]]) : null;
      return [gx, gw, gb];
    };
  });
  const out = reshape(rec, x.rank === 1 ? [w.shape[0]] : [...lead, w.shape[0]]);
  for (const t of [rec, wt, flat]) t.dispose();
  if (x2 !== x) x2.dispose();
  return out;
}
