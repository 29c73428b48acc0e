// Correctness check of every matmul kernel against a float64 CPU reference, forward and backward,
// on awkward shapes: sizes that are not multiples of any tile, size-1 dims, broadcast batch dims,
// transposed views, 1-D operands, matrix × vector, the fused linear bias, and launches split over
// several dispatches (long M, long N, more than 65,535 batches).
// Every kernel computes the same result on every adapter, so all of them are checked here whatever
// the adapter would pick (cpu-subgroups only where the device has the `subgroups` feature).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { init, shutdown, tensor, F, type Tensor } from '../src/engine/index.ts';
import { runtime } from '../src/engine/kernels/runtime.ts';
import { setMatmulKernel, type MatmulKernel } from '../src/engine/ops/matmul.ts';

let seed = 1;
const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
const randArr = (n: number) => Float32Array.from({ length: n }, rnd);
const prod = (s: number[]) => s.reduce((x, y) => x * y, 1);

/** Logical (row-major) values of a [..., R, C] operand: plain data, or a transposed view of [..., C, R]. */
interface Spec { shape: number[]; transposed?: boolean }
function make(spec: Spec, values: Float32Array, requiresGrad: boolean): { t: Tensor; leaf: Tensor } {
  if (!spec.transposed) { const t = tensor(values, spec.shape, { requiresGrad }); return { t, leaf: t }; }
  const s = spec.shape; const r = s.length;
  const phys = [...s.slice(0, -2), s[r - 1], s[r - 2]];
  const pv = new Float32Array(values.length);
  const R = s[r - 2], C = s[r - 1], nb = prod(s.slice(0, -2));
  for (let q = 0; q < nb; q++) for (let i = 0; i < R; i++) for (let j = 0; j < C; j++) pv[q * R * C + j * R + i] = values[q * R * C + i * C + j];
  const leaf = tensor(pv, phys, { requiresGrad });
  return { t: leaf.transpose(-1, -2), leaf };
}

/** float64 reference of torch.matmul on logical row-major data. */
function refMatmul(a: Float32Array, as: number[], b: Float32Array, bs: number[]): { v: Float64Array; shape: number[] } {
  const A = as.length === 1 ? [1, as[0]] : as, B = bs.length === 1 ? [bs[0], 1] : bs;
  const M = A[A.length - 2], K = A[A.length - 1], N = B[B.length - 1];
  const ab = A.slice(0, -2), bb = B.slice(0, -2), rank = Math.max(ab.length, bb.length);
  const batch: number[] = [];
  for (let i = 0; i < rank; i++) {
    const x = ab[ab.length - rank + i] ?? 1, y = bb[bb.length - rank + i] ?? 1;
    batch.push(Math.max(x, y));
  }
  const idx = (dims: number[], q: number) => { // broadcast index of batch q into an operand's batch dims
    let rem = q, off = 0, stride = 1;
    for (let i = rank - 1; i >= 0; i--) {
      const c = rem % batch[i]; rem = Math.floor(rem / batch[i]);
      const d = dims[dims.length - rank + i] ?? 1;
      if (dims.length - rank + i >= 0) { off += (d === 1 ? 0 : c) * stride; stride *= d; }
    }
    return off;
  };
  const nb = prod(batch), v = new Float64Array(nb * M * N);
  for (let q = 0; q < nb; q++) {
    const ao = idx(ab, q) * M * K, bo = idx(bb, q) * K * N;
    for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += a[ao + i * K + k] * b[bo + k * N + j];
      v[q * M * N + i * N + j] = s;
    }
  }
  let shape = [...batch, M, N];
  if (as.length === 1) shape = [...batch, N];
  if (bs.length === 1) shape = as.length === 1 ? [...batch] : [...batch, M];
  return { v, shape };
}

function compare(what: string, got: ArrayLike<number>, want: ArrayLike<number>, scale: number): string | null {
  if (got.length !== want.length) return `${what}: ${got.length} values, expected ${want.length}`;
  let worst = 0;
  for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / (1 + Math.abs(want[i])));
  return worst > 1e-4 * Math.max(1, Math.sqrt(scale)) ? `${what}: max rel err ${worst.toExponential(2)}` : null;
}

// Sum-reduce a full-shape gradient to an operand's shape (batch broadcast).
function reduceTo(g: Float64Array, gshape: number[], shape: number[]): Float64Array {
  const out = new Float64Array(prod(shape));
  const r = gshape.length, lead = r - shape.length;
  const n = g.length;
  for (let f = 0; f < n; f++) {
    let rem = f, off = 0, stride = 1;
    for (let i = r - 1; i >= 0; i--) {
      const c = rem % gshape[i]; rem = Math.floor(rem / gshape[i]);
      if (i >= lead) { const d = shape[i - lead]; off += (d === 1 ? 0 : c) * stride; stride *= d; }
    }
    out[off] += g[f];
  }
  return out;
}
const transposeLast = (v: Float32Array | Float64Array, shape: number[]) => {
  const r = shape.length, R = shape[r - 2], C = shape[r - 1], nb = prod(shape.slice(0, -2));
  const out = new Float32Array(v.length);
  for (let q = 0; q < nb; q++) for (let i = 0; i < R; i++) for (let j = 0; j < C; j++) out[q * R * C + j * R + i] = v[q * R * C + i * C + j];
  return out;
};

async function checkMatmul(a: Spec, b: Spec, grad: boolean): Promise<string[]> {
  const av = randArr(prod(a.shape)), bv = randArr(prod(b.shape));
  const A = make(a, av, grad), B = make(b, bv, grad);
  const ref = refMatmul(av, a.shape, bv, b.shape);
  const errs: string[] = [];
  const y = A.t.matmul(B.t);
  const e = compare('forward', await y.data(), ref.v, a.shape[a.shape.length - 1]);
  if (e) errs.push(e);
  if (grad) {
    const w = randArr(ref.v.length);
    y.mul(tensor(w, ref.shape)).sum().backward();
    // dA = W · Bᵀ, dB = Aᵀ · W on the promoted 2-D shapes, reduced over broadcast batch dims.
    const a2 = a.shape.length === 1 ? [1, a.shape[0]] : a.shape, b2 = b.shape.length === 1 ? [b.shape[0], 1] : b.shape;
    const M = a2[a2.length - 2], N = b2[b2.length - 1];
    const batch = ref.shape.slice(0, ref.shape.length - (a.shape.length === 1 ? 0 : 1) - (b.shape.length === 1 ? 0 : 1));
    const wshape = [...batch, M, N];
    const bt = transposeLast(bv, b2), at = transposeLast(av, a2);
    const ga = refMatmul(Float32Array.from(w), wshape, bt, [...b2.slice(0, -2), b2[b2.length - 1], b2[b2.length - 2]]);
    const gb = refMatmul(at, [...a2.slice(0, -2), a2[a2.length - 1], a2[a2.length - 2]], Float32Array.from(w), wshape);
    const gaRed = reduceTo(ga.v, ga.shape, a2), gbRed = reduceTo(gb.v, gb.shape, b2);
    // The leaf of a transposed view holds the transposed gradient.
    const gaWant = a.transposed ? transposeLast(gaRed, a2) : gaRed;
    const gbWant = b.transposed ? transposeLast(gbRed, b2) : gbRed;
    const e1 = compare('grad a', await A.leaf.grad!.data(), gaWant, prod(wshape) / M);
    const e2 = compare('grad b', await B.leaf.grad!.data(), gbWant, prod(wshape) / N);
    if (e1) errs.push(e1);
    if (e2) errs.push(e2);
  }
  for (const t of [A.leaf, B.leaf, y]) { t.grad?.dispose(); t.dispose(); }
  return errs;
}

async function checkLinear(x: number[], outF: number, bias: boolean): Promise<string[]> {
  const inF = x[x.length - 1];
  const xv = randArr(prod(x)), wv = randArr(outF * inF), bv = randArr(outF);
  const X = tensor(xv, x, { requiresGrad: true }), W = tensor(wv, [outF, inF], { requiresGrad: true });
  const Bt = bias ? tensor(bv, [outF], { requiresGrad: true }) : null;
  const y = F.linear(X, W, Bt);
  const ref = refMatmul(xv, x, transposeLast(wv, [outF, inF]), [inF, outF]);
  if (bias) for (let i = 0; i < ref.v.length; i++) ref.v[i] += bv[i % outF];
  const errs: string[] = [];
  const e = compare('linear forward', await y.data(), ref.v, inF);
  if (e) errs.push(e);
  const w = randArr(ref.v.length);
  y.mul(tensor(w, ref.shape)).sum().backward();
  const rows = prod(x.slice(0, -1));
  const gx = refMatmul(Float32Array.from(w), [rows, outF], wv, [outF, inF]);
  const gw = refMatmul(transposeLast(w, [rows, outF]), [outF, rows], xv, [rows, inF]);
  const e1 = compare('linear grad x', await X.grad!.data(), gx.v, outF);
  const e2 = compare('linear grad w', await W.grad!.data(), gw.v, rows);
  if (e1) errs.push(e1);
  if (e2) errs.push(e2);
  if (Bt) {
    const gb = new Float64Array(outF);
    for (let i = 0; i < w.length; i++) gb[i % outF] += w[i];
    const e3 = compare('linear grad bias', await Bt.grad!.data(), gb, rows);
    if (e3) errs.push(e3);
  }
  for (const t of [X, W, Bt, y]) { t?.grad?.dispose(); t?.dispose(); }
  return errs;
}

const cases: Array<[string, () => Promise<string[]>]> = [
  ['1x1 @ 1x1', () => checkMatmul({ shape: [1, 1] }, { shape: [1, 1] }, true)],
  ['3x5 @ 5x7', () => checkMatmul({ shape: [3, 5] }, { shape: [5, 7] }, true)],
  ['63x65 @ 65x17', () => checkMatmul({ shape: [63, 65] }, { shape: [65, 17] }, true)],
  ['129x1 @ 1x257', () => checkMatmul({ shape: [129, 1] }, { shape: [1, 257] }, true)],
  ['[2,3,33,47] @ [3,47,31]', () => checkMatmul({ shape: [2, 3, 33, 47] }, { shape: [3, 47, 31] }, true)],
  ['[2,3,33,47] @ [47,31]', () => checkMatmul({ shape: [2, 3, 33, 47] }, { shape: [47, 31] }, true)],
  ['[4,1,9,20] @ [1,5,20,6]', () => checkMatmul({ shape: [4, 1, 9, 20] }, { shape: [1, 5, 20, 6] }, true)],
  ['aᵀ 33x47 @ 47x31', () => checkMatmul({ shape: [33, 47], transposed: true }, { shape: [47, 31] }, true)],
  ['33x47 @ bᵀ 47x31', () => checkMatmul({ shape: [33, 47] }, { shape: [47, 31], transposed: true }, true)],
  ['aᵀ @ bᵀ [3,40,50] @ [3,50,60]', () => checkMatmul({ shape: [3, 40, 50], transposed: true }, { shape: [3, 50, 60], transposed: true }, true)],
  ['[7] @ [7,5]', () => checkMatmul({ shape: [7] }, { shape: [7, 5] }, true)],
  ['[5,7] @ [7]', () => checkMatmul({ shape: [5, 7] }, { shape: [7] }, true)],
  ['[3,4,7] @ [7]', () => checkMatmul({ shape: [3, 4, 7] }, { shape: [7] }, true)],
  ['[9] @ [9]', () => checkMatmul({ shape: [9] }, { shape: [9] }, true)],
  ['40x30 @ 30x1', () => checkMatmul({ shape: [40, 30] }, { shape: [30, 1] }, true)],
  ['1x300 @ 300x70', () => checkMatmul({ shape: [1, 300] }, { shape: [300, 70] }, true)],
  ['200x300 @ 300x130', () => checkMatmul({ shape: [200, 300] }, { shape: [300, 130] }, true)],
  ['130x260 @ bᵀ 260x200', () => checkMatmul({ shape: [130, 260] }, { shape: [260, 200], transposed: true }, false)],
  ['[64,130,20] @ [64,20,130] (128-tiles on gpu)', () => checkMatmul({ shape: [64, 130, 20] }, { shape: [64, 20, 130] }, false)],
  ['aᵀ @ bᵀ [64,130,20] @ [64,20,130]', () => checkMatmul({ shape: [64, 130, 20], transposed: true }, { shape: [64, 20, 130], transposed: true }, false)],
  ['linear [2,5,33] · [17,33]ᵀ + b', () => checkLinear([2, 5, 33], 17, true)],
  ['linear [6,40] · [1,40]ᵀ + b', () => checkLinear([6, 40], 1, true)],
  ['linear [70,130] · [50,130]ᵀ', () => checkLinear([70, 130], 50, false)],
  ['linear [33] · [8,33]ᵀ + b', () => checkLinear([33], 8, true)],
  ['70000 batches [70000,2,3] @ [70000,3,2]', () => checkMatmul({ shape: [70000, 2, 3] }, { shape: [70000, 3, 2] }, false)],
  ['long N 1x3 @ 3x4300000', () => checkMatmul({ shape: [1, 3] }, { shape: [3, 4300000] }, false)],
  ['long M, matrix × vector 4300000x3 @ 3x1', () => checkMatmul({ shape: [4300000, 3] }, { shape: [3, 1] }, false)],
  ['long M 1100000x3 @ 3x2', () => checkMatmul({ shape: [1100000, 3] }, { shape: [3, 2] }, false)],
];

const test = suite('matmul kernels');
test.before(async () => {
  await init();
});
test.after(async () => {
  setMatmulKernel(null);
  await shutdown();
});

for (const kernel of ['gpu', 'cpu', 'cpu-subgroups'] as MatmulKernel[]) {
  test(`${kernel} kernel: forward and gradients match a float64 reference on awkward shapes`, async () => {
    if (kernel === 'cpu-subgroups' && !runtime().device.features.has('subgroups')) {
      console.log('note: this device has no subgroups feature; the cpu-subgroups kernel is not checked');
      return;
    }
    setMatmulKernel(kernel);
    const failures: string[] = [];
    for (const [name, run] of cases) {
      let errs: string[];
      try {
        errs = await run();
      } catch (err) {
        errs = [(err as Error).message];
      }
      if (errs.length) failures.push(`${name}: ${errs.join('; ')}`);
    }
    setMatmulKernel(null);
    assert.ok(failures.length === 0, failures.join('\n'));
  });
}

test.run();
