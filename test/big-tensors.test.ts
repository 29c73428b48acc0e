// Tensors larger than a storage binding (WebGPU's maxStorageBufferBindingSize): ops bind windows of
// their buffers and split their launches (src/engine/ops/split.ts). Multi-GB tensors are out of
// reach of a software adapter in a test, so the binding limit is lowered to 64 KiB
// (setBindingLimitForTesting) and every op runs on tensors several times that size; its values
// and gradients must match the same op run unsplit, and the split run must have taken more
// dispatches (so the splitting really happened). A dispatch binding a whole buffer above the
// limit throws, so any kernel that does not split would fail here.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as E from '../src/engine/index.ts';
import { runtime, setBindingLimitForTesting } from '../src/engine/kernels/runtime.ts';
import { setConvAlgorithm, type ConvAlgorithm } from '../src/engine/ops/conv.ts';
import { assertClose, assertThrows } from './helpers.ts';

const LIMIT = 64 * 1024;
const test = suite('big tensors');
test.before(async () => {
  await E.init();
});
test.after(async () => {
  setBindingLimitForTesting(null);
  await E.shutdown();
});

type Run = () => E.Tensor[];

/** Outputs of `run` (disposed after reading) and the number of GPU commands it recorded. */
async function outputs(run: Run): Promise<{ data: ArrayLike<number>[]; commands: number }> {
  const before = runtime().recorded;
  const ts = run();
  const commands = runtime().recorded - before;
  const data = await Promise.all(ts.map((t) => t.data()));
  for (const t of ts) t.dispose();
  return { data: data as ArrayLike<number>[], commands };
}

/** Runs `run` unsplit and under the lowered limit; the results must agree. */
async function sameWhenSplit(what: string, run: Run, rtol = 1e-4, atol = 1e-5): Promise<void> {
  const whole = await outputs(run);
  setBindingLimitForTesting(LIMIT);
  let split;
  try {
    split = await outputs(run);
  } finally {
    setBindingLimitForTesting(null);
  }
  assert.ok(split.commands > whole.commands, `${what}: expected more dispatches when split (${split.commands} vs ${whole.commands})`);
  whole.data.forEach((d, i) => assertClose(split.data[i], d, rtol, atol, `${what} output ${i}`));
}

/** Values and the gradients of sum(f(...) · r) with respect to `inputs` (leaves requiring grad). */
function withGrads(inputs: E.Tensor[], f: () => E.Tensor): Run {
  return () => {
    for (const t of inputs) t.setGrad(null);
    const y = f();
    E.tidy(() => {
      E.manualSeed(7);
      y.mul(E.randn(y.shape)).sum().backward();
    });
    const grads = inputs.map((t) => {
      const g = t.grad!;
      t.grad = null;
      return g;
    });
    return [y, ...grads];
  };
}

function leaf(shape: number[], seed: number): E.Tensor {
  E.manualSeed(seed);
  return E.randn(shape, { requiresGrad: true });
}

const bytes = (t: E.Tensor) => t.size * 4;

test('creation: rand, randn, arange and full are the same split or not', async () => {
  const n = 100_003;
  await sameWhenSplit('creation', () => [
    E.rand([n], { generator: new E.Generator(1) }),
    E.randn([n], { generator: new E.Generator(2) }),
    E.arange(0, n, 1, { dtype: 'float32' }),
    E.arange(5, 5 + 3 * n, 3).float(),
    E.full([n], 2.5),
  ], 0, 0);
});

test('elementwise: unary and binary ops with broadcasting and strided inputs, and their gradients', async () => {
  const a = leaf([300, 257], 1);
  const b = leaf([257], 2);
  const c = leaf([300, 1], 3);
  const t = leaf([257, 300], 4);
  assert.ok(bytes(a) > 4 * LIMIT);
  await sameWhenSplit('elementwise', withGrads([a, b, c, t], () =>
    E.tidy(() => a.add(b).mul(c).sub(E.transpose(t, 0, 1).exp()).div(E.sigmoid(b).add(1)).relu().maximum(c).tanh()),
  ));
  await sameWhenSplit('where / comparisons', () => [E.where(a.gt(c), a, b).mul(1), a.ge(b).float()]);
  for (const x of [a, b, c, t]) x.dispose();
});

test('copies of strided views: contiguous, permute, flip, slice with step, cat, pad', async () => {
  const x = leaf([24, 40, 65], 5);
  assert.ok(bytes(x) > 3 * LIMIT);
  await sameWhenSplit('copy', withGrads([x], () =>
    E.tidy(() => {
      const p = E.permute(x, [2, 0, 1]).contiguous();
      const f = E.flip(x, [0, 2]).contiguous();
      const s = E.slice(x, 2, 1, 65, 3).contiguous();
      const joined = E.F.cat([p.reshape([-1]), f.reshape([-1]), s.reshape([-1])], 0);
      return E.F.pad(joined.reshape([-1, 10]), [1, 2], 0.5);
    }),
  ), 0, 0);
  x.dispose();
});

test('reductions: sum, mean, max, argmax over various dims, also when one output spans several bindings', async () => {
  const x = leaf([40, 33, 70], 6);
  assert.ok(bytes(x) > 5 * LIMIT);
  await sameWhenSplit('sum/mean', withGrads([x], () =>
    E.tidy(() => {
      const parts = [x.sum(), x.mean(1), x.sum([0, 2], true), x.mean([0, 1]), E.transpose(x, 0, 2).sum(0), x.max(1)];
      return E.F.cat(parts.map((p) => p.reshape([-1])), 0);
    }),
  ), 1e-4, 1e-3);
  await sameWhenSplit('argmax / min / logsumexp', () => [E.argmax(x, 1).float(), E.argmin(x, 0).float(), x.min(2), E.logsumexp(x, 1)]);
  x.dispose();
});

test('matmul: batched, broadcast, transposed operands, linear with bias, and gradients', async () => {
  const a = leaf([700, 96], 7);
  const b = leaf([96, 300], 8);
  const p = leaf([6, 100, 64], 9);
  const q = leaf([64, 120], 10);
  const w = leaf([50, 300], 11);
  const bias = leaf([50], 12);
  const v = leaf([300], 13);
  assert.ok(bytes(a) > 4 * LIMIT);
  await sameWhenSplit('matmul', withGrads([a, b, p, q, w, bias, v], () =>
    E.tidy(() => {
      const ab = E.matmul(a, b);
      const pq = E.matmul(p, q);
      const lin = E.F.linear(ab, w, bias);
      const mv = E.matmul(ab, v);
      const tt = E.matmul(E.transpose(b, 0, 1), E.transpose(a, 0, 1));
      return E.F.cat([ab.reshape([-1]), pq.reshape([-1]), lin.reshape([-1]), mv, tt.reshape([-1])], 0);
    }),
  ), 1e-4, 1e-3);
  for (const t of [a, b, p, q, w, bias, v]) t.dispose();
});

for (const algorithm of ['implicit', 'im2col'] as ConvAlgorithm[]) {
  test(`conv3d (${algorithm}): forward, input and weight gradients, with groups, stride and bias`, async () => {
    setConvAlgorithm(algorithm);
    try {
      const x = leaf([3, 4, 8, 20, 20], 14);
      // Cout 4: one sample's output fits a binding, so the implicit GEMM (split by samples) runs;
      // with larger samples conv3d uses im2col, which also splits a sample's output positions.
      const w = leaf([4, 4, 3, 3, 3], 15);
      const w2 = leaf([4, 2, 3, 3, 3], 16);
      const b = leaf([4], 17);
      assert.ok(bytes(x) > 2 * LIMIT);
      await sameWhenSplit(`conv3d ${algorithm}`, withGrads([x, w, w2, b], () =>
        E.tidy(() => {
          const y1 = E.F.conv3d(x, w, b, { padding: 1 });
          const y2 = E.F.conv3d(x, w2, null, { stride: [1, 2, 2], padding: [0, 1, 1], groups: 2, dilation: [1, 2, 1] });
          return E.F.cat([y1.reshape([-1]), y2.reshape([-1])], 0);
        }),
      ), 1e-4, 1e-3);
      for (const t of [x, w, w2, b]) t.dispose();
    } finally {
      setConvAlgorithm(null);
    }
  });
}

test('max / avg / adaptive pooling forward and backward', async () => {
  const x = leaf([4, 8, 8, 16, 16], 18);
  assert.ok(bytes(x) > 3 * LIMIT);
  await sameWhenSplit('pool', withGrads([x], () =>
    E.tidy(() => {
      const m = E.F.maxPool3d(x, { kernelSize: 2 });
      const a = E.F.avgPool3d(x, { kernelSize: 3, stride: 2, padding: 1 });
      const ad = E.F.adaptiveAvgPool3d(x, [3, 5, 5]);
      return E.F.cat([m.reshape([-1]), a.reshape([-1]), ad.reshape([-1])], 0);
    }),
  ));
  x.dispose();
});

test('batch norm (training and eval) and its gradients', async () => {
  const x = leaf([4, 8, 8, 16, 16], 19);
  const weight = leaf([8], 20);
  const bias = leaf([8], 21);
  await sameWhenSplit('batchNorm', withGrads([x, weight, bias], () =>
    E.tidy(() => {
      const rm = E.zeros([8]);
      const rv = E.ones([8]);
      const t = E.F.batchNorm(x, rm, rv, weight, bias, { training: true });
      const e = E.F.batchNorm(x, rm, rv, weight, bias, { training: false });
      return E.F.cat([t.reshape([-1]), e.reshape([-1])], 0);
    }),
  ), 1e-4, 1e-4);
  for (const t of [x, weight, bias]) t.dispose();
});

test('softmax, logSoftmax and cross-entropy (gather) with gradients', async () => {
  const x = leaf([600, 100], 22);
  const logits = leaf([2000, 40], 23);
  const target = E.tensor(Array.from({ length: 2000 }, (_, i) => (i * 7) % 40), undefined, { dtype: 'int32' });
  await sameWhenSplit('softmax', withGrads([x, logits], () =>
    E.tidy(() => {
      const s = E.F.softmax(x, 1);
      const l = E.F.logSoftmax(x, 0);
      const ce = E.F.crossEntropy(logits, target, { labelSmoothing: 0.1 });
      return E.F.cat([s.reshape([-1]), l.reshape([-1]), ce.reshape([1])], 0);
    }),
  ));
  for (const t of [x, logits, target]) t.dispose();
});

test('work that cannot be split fails with an error naming the op and the limit', async () => {
  const x = E.zeros([2, 20_000]);
  setBindingLimitForTesting(LIMIT);
  try {
    assertThrows(() => E.F.softmax(x, 1), /softmax/, /65536-byte storage binding limit/);
    assertThrows(() => runtime().dispatch('whole-buffer', { shader: 'fill' }, () => {}, [x.storage.buffer], 1), /whole-buffer/, /exceeds the 65536-byte/);
  } finally {
    setBindingLimitForTesting(null);
  }
  x.dispose();
});

test.run();
