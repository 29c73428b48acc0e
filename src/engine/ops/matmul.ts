// matmul with PyTorch semantics (1-D operands, broadcast batch dims, transposed views without
// copies) and linear (x · wᵀ + b) with the bias fused into the matmul epilogue.
import { Tensor } from '../tensor/tensor.ts';
import { runtime, WORKGROUPS_PER_DIM, type Kernel } from '../kernels/runtime.ts';
import { adapterReport } from '../device/device.ts';
import { recordOp } from '../autograd/graph.ts';
import { broadcastShapes, fmt, numel } from '../tensor/shape.ts';
import { empty, broadcastStrides, copyInto } from './launch.ts';
import { splitBox, type Access } from './split.ts';
import { add } from './elementwise.ts';
import { contiguous, reshape, squeeze, transpose, unsqueeze } from './shape.ts';
import { sumTo } from './reduce.ts';

/** Is the 2-D matrix in the last two dims addressable by (row, col) strides? (always, for views) */
function matrixOperand(op: string, t: Tensor): Tensor {
  // Any strided 2-D view works; only a zero-size stride pattern on a non-broadcast dim needs a copy.
  return t.rank >= 2 && (t.strides[t.rank - 1] !== 0 || t.shape[t.rank - 1] === 1) ? t : contiguous(t);
}

// ---------------------------------------------------------------------------------------------
// Kernel selection. Three kernels share the uniform block of shaders/lib/matmul.wgsl:
//  - 'gpu' (shaders/matmul.wgsl): workgroup-memory tiling for real GPUs; 64×64 tiles (4×4 per
//    invocation) for small problems, 128×128 tiles (8×8 per invocation) once there are enough tiles
//    to fill a large GPU.
//  - 'cpu-subgroups' (shaders/matmul_sg.wgsl): CPU adapters (lavapipe) whose device has the
//    `subgroups` feature: no workgroup memory, A values shared between lanes by subgroupShuffle.
//  - 'cpu' (shaders/matmul_cpu.wgsl): CPU adapters without subgroups.
// Measurements and the reasons for these designs: bench/RESULTS.md and the kernels' comments.
// ---------------------------------------------------------------------------------------------

export type MatmulKernel = 'gpu' | 'cpu' | 'cpu-subgroups';

let forcedKernel: MatmulKernel | null = null;

/**
 * Forces one matmul kernel instead of choosing by adapter (null restores the automatic choice).
 * For tests and benchmarks: every kernel computes the same result on every adapter, 'cpu-subgroups'
 * needs a device with the `subgroups` feature.
 */
export function setMatmulKernel(kernel: MatmulKernel | null): void {
  forcedKernel = kernel;
}

/** The kernel bmm uses on the current device. */
export function matmulKernel(): MatmulKernel {
  if (forcedKernel) return forcedKernel;
  const report = adapterReport();
  if (!report.software) return 'gpu';
  return fixedSubgroupSize() ? 'cpu-subgroups' : 'cpu';
}

/**
 * The subgroup size the subgroup kernel can rely on: the device must have the feature and one
 * fixed subgroup size that divides the kernel's 8-invocation workgroup (lavapipe: 8 with AVX2, 4
 * with SSE only). 0 when the kernel can't be used.
 */
function fixedSubgroupSize(): number {
  const device = runtime().device;
  if (!device.features.has('subgroups')) return 0;
  const info = (device as GPUDevice & { adapterInfo?: { subgroupMinSize?: number; subgroupMaxSize?: number } }).adapterInfo;
  const min = info?.subgroupMinSize;
  const max = info?.subgroupMaxSize;
  return min !== undefined && min === max && [1, 2, 4, 8].includes(min) ? min : 0;
}

function pow2AtLeast(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** Strides and offset of one operand's matrix in the last two dims, plus its batch strides. */
interface MatrixView {
  off: number;
  rs: number;
  cs: number;
  bstrides: number[];
}

interface Launch {
  kernel: Kernel;
  /** Rows of M and columns of N covered by one workgroup. */
  rowsPerGroup: number;
  colsPerGroup: number;
}

function chooseLaunch(kind: MatmulKernel, M: number, N: number, batches: number, a: MatrixView, b: MatrixView, bias: boolean): Launch {
  const biasDefines = bias
    ? { BIAS_DECL: '@group(0) @binding(4) var<storage, read> BIAS: array<f32>;', BIAS: 'BIAS[u.bias_off + n]' }
    : { BIAS_DECL: '', BIAS: '0.0' };
  if (kind === 'cpu-subgroups') {
    const RM = M >= 16 ? 16 : pow2AtLeast(M);
    const CN = Math.min(6, Math.ceil(N / 8));
    return {
      kernel: { shader: 'matmul_sg', defines: { ...biasDefines, RM, CN, SG: fixedSubgroupSize() || 8 } },
      rowsPerGroup: RM,
      colsPerGroup: 8 * CN,
    };
  }
  if (kind === 'cpu') {
    const RM = M >= 8 ? 8 : pow2AtLeast(M);
    const CV = N > 32 ? 2 : 1;
    return {
      kernel: { shader: 'matmul_cpu', defines: { ...biasDefines, RM, CV } },
      rowsPerGroup: RM,
      colsPerGroup: 32 * CV,
    };
  }
  // GPU: 128×128 tiles once they give enough workgroups to fill a large GPU, else 64×64.
  const big = Math.ceil(M / 128) * Math.ceil(N / 128) * batches >= 256;
  const T = big ? 8 : 4;
  const tile = 16 * T;
  const shared = runtime().device.limits.maxComputeWorkgroupStorageSize;
  const TK = 2 * tile * 16 * 4 <= shared ? 16 : 8;
  return {
    kernel: {
      shader: 'matmul',
      defines: {
        ...biasDefines, TR: T, TC: T, TK,
        A_KMAJOR: String(a.cs === 1 && a.rs !== 1),
        B_NMAJOR: String(b.cs === 1 || b.rs !== 1),
      },
    },
    rowsPerGroup: tile,
    colsPerGroup: tile,
  };
}

/** Raw batched matmul of a [..., M, K] and b [..., K, N] into a new contiguous [..., M, N]. */
function bmm(op: string, a: Tensor, b: Tensor, bias?: Tensor): Tensor {
  const batchShape = broadcastShapes(op, a.shape.slice(0, -2), b.shape.slice(0, -2));
  const out = empty(op, [...batchShape, a.shape[a.rank - 2], b.shape[b.rank - 1]], 'float32');
  bmmInto(op, a, b, out, bias);
  return out;
}

/**
 * Batched matmul into the view `out` [...batch, M, N] (any batch and row strides, column stride 1):
 * C = A · B (+ bias per column).
 */
function bmmInto(op: string, a0: Tensor, b0: Tensor, out: Tensor, bias?: Tensor): void {
  const a = matrixOperand(op, a0);
  const b = matrixOperand(op, b0);
  try {
    let M = a.shape[a.rank - 2];
    const K = a.shape[a.rank - 1];
    let N = b.shape[b.rank - 1];
    const batchShape = out.shape.slice(0, -2);
    const batches = numel(batchShape);
    if (out.size === 0) return;
    if (K === 0) throw new Error(`${op}: inner dimension is 0`);
    if (out.strides[out.rank - 1] !== 1 && N > 1) throw new Error(`${op}: internal: output columns must be contiguous`);
    let av: MatrixView = {
      off: a.offset, rs: a.strides[a.rank - 2], cs: a.strides[a.rank - 1],
      bstrides: broadcastStrides(op, { shape: a.shape.slice(0, -2), strides: a.strides.slice(0, -2) }, batchShape),
    };
    let bv: MatrixView = {
      off: b.offset, rs: b.strides[b.rank - 2], cs: b.strides[b.rank - 1],
      bstrides: broadcastStrides(op, { shape: b.shape.slice(0, -2), strides: b.strides.slice(0, -2) }, batchShape),
    };
    let crs = out.strides[out.rank - 2];
    // Matrix × vector: C[m, 0] is also Cᵀ[0, m] = (Bᵀ · Aᵀ)[0, m] with the same memory layout (when
    // C's rows are contiguous), and the kernels parallelise a long N far better than a long M with N = 1.
    const swap = N === 1 && M > 1 && !bias && crs === 1;
    if (swap) {
      [av, bv] = [{ off: bv.off, rs: bv.cs, cs: bv.rs, bstrides: bv.bstrides }, { off: av.off, rs: av.cs, cs: av.rs, bstrides: av.bstrides }];
      [M, N] = [N, M];
      crs = 0;
    }
    const kind = matmulKernel();
    const launch = chooseLaunch(kind, M, N, batches, av, bv, !!bias);
    const [A, B] = swap ? [b, a] : [a, b];
    const nb = batchShape.length;
    const cb = out.strides.slice(0, -2);
    const kSpan = (s: number): [number, number] => [Math.min(0, (K - 1) * s), Math.max(0, (K - 1) * s)];
    const accesses: Access[] = [
      { buffer: A.storage.buffer, offset: av.off, strides: [...av.bstrides, av.rs, 0], span: kSpan(av.cs) },
      { buffer: B.storage.buffer, offset: bv.off, strides: [...bv.bstrides, 0, bv.cs], span: kSpan(bv.rs) },
      { buffer: out.storage.buffer, offset: out.offset, strides: [...cb, crs, 1] },
    ];
    if (bias) accesses.push({ buffer: bias.storage.buffer, offset: bias.offset, strides: [...cb.map(() => 0), 0, 1] });
    // The launch covers sub-boxes of [batch..., M, N]: each operand's footprint must fit a binding
    // (a big operand is bound as a window), and workgroup counts are limited to 65,535 per
    // dimension (the runtime's folding of large 1-D launches doesn't apply: these kernels index
    // rows by workgroup y), so rows and columns are capped per launch and batches beyond 65,535
    // take several dispatches through batch0.
    const maxDims = [...batchShape.map(() => Infinity), WORKGROUPS_PER_DIM * launch.rowsPerGroup, WORKGROUPS_PER_DIM * launch.colsPerGroup];
    const ps = splitBox([...batchShape, M, N], accesses, { maxDims });
    if (!ps) {
      splitK(op, a, b, out, bias);
      return;
    }
    for (const p of ps) {
      const pb = p.shape.slice(0, nb);
      const rows = p.shape[nb];
      const cols = p.shape[nb + 1];
      const pbatches = numel(pb);
      const buffers = p.bindings.slice(0, 3);
      if (bias) buffers.push(p.bindings[3]);
      for (let b0 = 0; b0 < pbatches; b0 += WORKGROUPS_PER_DIM) {
        runtime().dispatch(
          op,
          launch.kernel,
          (w) => {
            w.u32(rows, cols, K, pb.length, p.offsets[0], p.offsets[1], p.offsets[3] ?? 0, b0);
            w.i32(av.rs, av.cs, bv.rs, bv.cs);
            w.u32(p.offsets[2], 0, crs, 0);
            w.u32x8(pb).i32x8(av.bstrides).i32x8(bv.bstrides).i32x8(cb);
          },
          buffers,
          Math.ceil(cols / launch.colsPerGroup),
          Math.ceil(rows / launch.rowsPerGroup),
          Math.min(WORKGROUPS_PER_DIM, pbatches - b0),
        );
      }
    }
  } finally {
    if (a !== a0) a.dispose();
    if (b !== b0) b.dispose();
  }
}

/**
 * bmmInto for operands whose single row of A or column of B spans more than a binding: sums the
 * products of slices along K (views), each of which fits.
 */
function splitK(op: string, a: Tensor, b: Tensor, out: Tensor, bias?: Tensor): void {
  const K = a.shape[a.rank - 1];
  const spread = Math.max(Math.abs((K - 1) * a.strides[a.rank - 1]), Math.abs((K - 1) * b.strides[b.rank - 2]));
  const parts = Math.min(K, Math.max(2, Math.ceil(spread / (runtime().bindingLimit / 8))));
  const step = Math.ceil(K / parts);
  let total: Tensor | null = null;
  for (let k0 = 0; k0 < K; k0 += step) {
    const k = Math.min(step, K - k0);
    const ak = a.alias([...a.shape.slice(0, -1), k], a.strides, a.offset + k0 * a.strides[a.rank - 1], false);
    const bk = b.alias([...b.shape.slice(0, -2), k, b.shape[b.rank - 1]], b.strides, b.offset + k0 * b.strides[b.rank - 2], false);
    const part = bmm(op, ak, bk, k0 === 0 ? bias : undefined);
    const next: Tensor = total ? add(total, part) : part;
    if (total) {
      total.dispose();
      part.dispose();
    }
    total = next;
    ak.dispose();
    bk.dispose();
  }
  copyInto(op, total!, out);
  total!.dispose();
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

/** Batched matmul of strided views a [..., M, K] · b [..., K, N] (+ bias per column); no autograd. */
export { bmm as batchedMatmul, bmmInto as batchedMatmulInto };
