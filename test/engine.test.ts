// Engine behaviour that is not one op's arithmetic: device, batching, errors, memory, autograd.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as E from '../src/engine/index.ts';
import { runtime } from '../src/engine/kernels/runtime.ts';
import { generate, GENERATED } from '../scripts/gen-shaders.ts';
import { assertClose, assertThrows } from './helpers.ts';

const test = suite('engine');
test.before(async () => {
  await E.init();
});
test.after(async () => {
  await E.shutdown();
});

test('init reports the adapter and is idempotent', async () => {
  const a = await E.init();
  const b = await E.init();
  assert.is(a, b);
  assert.ok(a.description.length > 0);
  assert.type(a.software, 'boolean');
  assert.ok(a.limits.maxStorageBufferBindingSize > 0);
  console.log(`note: adapter ${a.description} (${a.software ? 'software' : 'hardware'}, ${a.backend})`);
});

test('generated shader module is up to date with shaders/', () => {
  assert.is(readFileSync(GENERATED, 'utf8'), generate(), 'run `npm run shaders`');
});

test('tensor creation round-trips values, shapes and dtypes', async () => {
  const t = E.tensor([[1, 2, 3], [4, 5, 6]]);
  assert.equal(t.shape, [2, 3]);
  assert.is(t.dtype, 'float32');
  assertClose(await t.data(), [1, 2, 3, 4, 5, 6]);
  const i = E.tensor([3, -1, 7], undefined, { dtype: 'int32' });
  assert.instance(await i.data(), Int32Array);
  assert.equal([...(await i.data())], [3, -1, 7]);
  assert.equal([...(await E.full([2, 2], -1, { dtype: 'int32' }).data())], [-1, -1, -1, -1]);
  assert.equal([...(await E.tensor([1, 0, 2]).gt(0.5).data())], [1, 0, 1]);
  assert.equal([...(await E.arange(2, 11, 3).data())], [2, 5, 8]);
  assertClose(await E.arange(0, 1, 0.25).data(), [0, 0.25, 0.5, 0.75]);
  assert.equal(E.tensor(5).shape, []);
  assertThrows(() => E.tensor([[1, 2], [3]]), /ragged/);
  assertThrows(() => E.tensor([1, 2, 3], [2, 2]), /3 values do not fill shape \[2, 2\]/);
});

test('bad input throws naming the op and shapes before any GPU work is queued', () => {
  const a = E.zeros([2, 3]);
  const b = E.zeros([4, 5]);
  const floatTargets = E.zeros([2]);
  const wrongTargets = E.zeros([3], { dtype: 'int32' });
  const w44 = E.zeros([4, 4]);
  const x = E.zeros([3], { requiresGrad: true });
  const y = x.mul(2);
  const z = E.zeros([2]);
  z.dispose();
  const before = runtime().recorded;
  assertThrows(() => a.add(b), /add/, /\[2, 3\]/, /\[4, 5\]/);
  assertThrows(() => a.matmul(b), /matmul/, /\[2, 3\]/, /\[4, 5\]/);
  assertThrows(() => a.sum(2), /sum/, /dim 2/);
  assertThrows(() => a.permute([0, 0]), /permute/);
  assertThrows(() => a.reshape([4, 2]), /reshape/, /\[2, 3\]/);
  assertThrows(() => E.F.crossEntropy(a, floatTargets), /crossEntropy/, /int32/);
  assertThrows(() => E.F.crossEntropy(a, wrongTargets), /crossEntropy/, /\[3\]/);
  assertThrows(() => E.F.linear(a, w44), /linear/);
  assertThrows(() => a.expand([3, 3]), /expand/);
  assertThrows(() => E.F.cat([a, b], 0), /cat/);
  assertThrows(() => a.gather(0, a), /gather/, /int32/);
  assertThrows(() => y.backward(), /scalar/, /\[3\]/);
  assertThrows(() => z.add(1), /add/, /after dispose/);
  assertThrows(() => a.transpose(0, 5), /transpose/, /dim 5/);
  assertThrows(() => a.slice(0, 0, 2, 0), /slice/, /step/);
  assertThrows(() => E.zeros([2], { dtype: 'int32', requiresGrad: true }), /zeros|full/, /float32/);
  assert.is(runtime().recorded, before, 'no GPU work was recorded by failing calls');
});

test('dispatches are batched: many ops, few submits, no readback until asked', async () => {
  await E.sync();
  const s0 = runtime().submits;
  let x = E.ones([64]);
  for (let i = 0; i < 300; i++) {
    const next = x.add(1);
    x.dispose();
    x = next;
  }
  const submitsWhileRecording = runtime().submits - s0;
  assert.ok(submitsWhileRecording <= 2, `300 ops caused ${submitsWhileRecording} submits`);
  assertClose(await x.data(), new Array(64).fill(301));
});

test('buffers are pooled and reused, and live counts return to baseline', async () => {
  await E.sync();
  const m0 = E.memory();
  E.tidy(() => {
    for (let i = 0; i < 50; i++) E.randn([128, 128]).mul(3).exp();
  });
  await E.sync();
  const m1 = E.memory();
  assert.is(m1.liveBuffers, m0.liveBuffers);
  assert.is(m1.liveBytes, m0.liveBytes);
  assert.is(m1.liveTensors, m0.liveTensors);
  assert.ok(m1.pooledBuffers > 0, 'released buffers stay in the pool');
  const created = E.memory().pooledBuffers;
  E.tidy(() => E.randn([128, 128]).mul(3));
  assert.ok(E.memory().pooledBuffers <= created, 'allocation came from the pool');
});

test('a buffer reused from the pool never clobbers data still needed', async () => {
  // a is read by queued work, released, and its buffer reused at once by a new upload.
  const a = E.tensor(new Float32Array(1000).fill(2));
  const b = a.mul(3);
  a.dispose();
  const c = E.tensor(new Float32Array(1000).fill(7));
  const d = c.add(b);
  assertClose(await b.data(), new Array(1000).fill(6));
  assertClose(await d.data(), new Array(1000).fill(13));
});

test('NaN propagates through max, argmax, clamp, maximum and max pooling, as in PyTorch', async () => {
  const t = E.tensor([0.5, NaN, 2]);
  assert.ok(Number.isNaN((await t.max().data())[0]));
  assert.is((await t.argmax().data())[0], 1);
  assert.ok(Number.isNaN((await t.clamp(0, 1).data())[1]));
  assert.ok(Number.isNaN((await t.maximum(1).data())[1]));
  const pooled = await E.F.maxPool3d(E.tensor([1, NaN, 3, 4], [1, 1, 1, 1, 4]), { kernelSize: [1, 1, 2] }).data();
  assert.ok(Number.isNaN(pooled[0]) && pooled[1] === 4);
});

test('tidy disposes intermediates and keeps what it returns (arrays and objects too)', () => {
  const base = E.memory().liveTensors;
  const out = E.tidy(() => {
    const a = E.ones([4]);
    const b = a.mul(2);
    return { sum: b.sum(), parts: [b.add(1)] };
  });
  assert.is(E.memory().liveTensors, base + 2);
  assert.not.ok(out.sum.disposed);
  assert.not.ok(out.parts[0].disposed);
  out.sum.dispose();
  out.parts[0].dispose();
  const kept = E.tidy(() => E.keep(E.ones([2])) && null);
  assert.is(kept, null);
  assert.is(E.memory().liveTensors, base + 1, 'keep() exempts a tensor from tidy');
  assertThrows(() => E.tidy(() => Promise.resolve(1)), /synchronous/);
});

test('noGrad, detach and requiresGrad propagation', () => {
  const x = E.ones([3], { requiresGrad: true });
  const y = x.mul(2);
  assert.ok(y.requiresGrad);
  assert.not.ok(y.isLeaf);
  const z = E.noGrad(() => x.mul(2));
  assert.not.ok(z.requiresGrad);
  const d = y.detach();
  assert.not.ok(d.requiresGrad);
  assert.ok(d.isLeaf);
});

test('gradients accumulate; a freed graph refuses a second backward unless retained', async () => {
  const x = E.tensor([1, 2, 3], undefined, { requiresGrad: true });
  const loss = x.mul(x).sum();
  loss.backward({ retainGraph: true });
  loss.backward();
  assertClose(await x.grad!.data(), [4, 8, 12]);
  assertThrows(() => loss.backward(), /second time/);
  x.setGrad(null);
  const l2 = x.mul(3).sum();
  l2.backward();
  assertClose(await x.grad!.data(), [3, 3, 3]);
});

test('the same upstream gradient sent to two leaves gives each its own .grad', async () => {
  const a = E.tensor([1, 2], undefined, { requiresGrad: true });
  const b = E.tensor([3, 4], undefined, { requiresGrad: true });
  a.add(b).sum().backward();
  assert.ok(a.grad !== b.grad);
  a.grad!.dispose();
  assertClose(await b.grad!.data(), [1, 1]);
});

test('a graph that is never backpropagated releases its saved tensors on dispose', async () => {
  await E.sync();
  const m0 = E.memory();
  const x = E.randn([64, 64], { requiresGrad: true });
  const m1 = E.memory();
  E.tidy(() => {
    let h = x;
    for (let i = 0; i < 5; i++) h = h.matmul(x).tanh().mul(0.5);
    return h.sum();
  }).dispose();
  await E.sync();
  assert.is(E.memory().liveBuffers, m1.liveBuffers);
  x.dispose();
  assert.is(E.memory().liveBuffers, m0.liveBuffers);
});

test('leak check: 200 MLP training steps keep live buffers and bytes flat', async () => {
  E.manualSeed(1);
  const params = [E.randn([16, 32]).mul(0.3), E.zeros([32]), E.randn([4, 32]).mul(0.3), E.zeros([4])].map((p) => {
    const leaf = E.keep(p.detach());
    p.dispose();
    leaf.requiresGrad = true;
    return leaf;
  });
  const [w1, b1, w2, b2] = params;
  const x = E.randn([32, 16]);
  const y = E.tensor(Array.from({ length: 32 }, (_, i) => i % 4), undefined, { dtype: 'int32' });
  const history: E.MemoryInfo[] = [];
  let first = 0;
  let last = 0;
  for (let step = 0; step < 200; step++) {
    const loss = E.tidy(() => {
      const h = E.F.linear(x.matmul(w1).add(b1).relu().sub(b1), w2, b2);
      const l = E.F.crossEntropy(h, y);
      l.backward();
      E.noGrad(() => {
        for (const p of params) p.assign(p.sub(p.grad!.mul(0.1)));
      });
      return l.detach();
    });
    if (step % 20 === 0 || step === 199) {
      const v = (await loss.data())[0];
      if (step === 0) first = v;
      last = v;
    }
    loss.dispose();
    history.push(E.memory());
  }
  const ref = history[4];
  for (const m of history.slice(5)) {
    assert.ok(m.liveBuffers <= ref.liveBuffers && m.liveBytes <= ref.liveBytes && m.liveTensors <= ref.liveTensors, `memory grew: ${JSON.stringify(ref)} -> ${JSON.stringify(m)}`);
  }
  assert.ok(last < first * 0.7, `loss should fall (${first} -> ${last})`);
  console.log(`note: MLP loss ${first.toFixed(3)} -> ${last.toFixed(3)}, live buffers ${ref.liveBuffers} steady`);
});

test('rand / randn are seedable, reproducible and have the right moments', async () => {
  E.manualSeed(42);
  const a = await E.rand([100000]).data();
  E.manualSeed(42);
  const b = await E.rand([100000]).data();
  assert.equal(a, b);
  const c = await E.rand([100000]).data();
  assert.not.equal(a, c);
  let mean = 0;
  let min = 1;
  let max = 0;
  for (const v of a) {
    mean += v / a.length;
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  assert.ok(Math.abs(mean - 0.5) < 0.01 && min >= 0 && max < 1, `uniform mean ${mean} range [${min}, ${max}]`);
  const g = new E.Generator(7);
  const n = await E.randn([100000], { generator: g }).data();
  let m = 0;
  let v = 0;
  for (const x of n) m += x / n.length;
  for (const x of n) v += (x - m) ** 2 / n.length;
  assert.ok(Math.abs(m) < 0.02 && Math.abs(v - 1) < 0.02, `normal mean ${m} var ${v}`);
  const again = await E.randn([100000], { generator: new E.Generator(7) }).data();
  assert.equal(n, again);
});

test('dropout zeroes about p of the elements, scales the rest, and its gradient is the mask', async () => {
  const x = E.ones([20000], { requiresGrad: true });
  const y = E.F.dropout(x, { p: 0.25, generator: new E.Generator(3) });
  const yd = await y.data();
  const zeros = yd.filter((v) => v === 0).length / yd.length;
  assert.ok(Math.abs(zeros - 0.25) < 0.02, `dropped fraction ${zeros}`);
  assert.ok(yd.every((v) => v === 0 || Math.abs(v - 1 / 0.75) < 1e-6));
  y.sum().backward();
  assertClose(await x.grad!.data(), yd);
  const e = E.F.dropout(x, { p: 0.5, training: false });
  assert.is(e, x);
});

test('assign updates in place and refuses to break autograd', async () => {
  const p = E.zeros([3], { requiresGrad: true });
  assertThrows(() => p.assign(E.ones([3])), /noGrad/);
  E.noGrad(() => p.assign(E.ones([3])));
  assertClose(await p.data(), [1, 1, 1]);
  assertThrows(() => p.assign(E.ones([4])), /assign/, /\[4\]/);
});

test('a tensor larger than the adapter allows fails clearly before allocation', () => {
  // Above maxStorageBufferBindingSize tensors work (ops bind windows, see test/big-tensors.test.ts);
  // above maxBufferSize they cannot exist.
  const limit = E.adapterReport().limits.maxBufferSize;
  assertThrows(() => E.zeros([Math.ceil(limit / 4) + 1024]), /maxBufferSize/);
});

test('a GPU validation error surfaces as an exception naming the op', async () => {
  runtime().dispatch('deliberately-broken-op', { shader: 'fill' }, (w) => w.u32(1), [], 1);
  let message = '';
  try {
    await E.sync();
  } catch (err) {
    message = (err as Error).message;
  }
  assert.match(message, /deliberately-broken-op/);
  // The engine keeps working afterwards.
  assertClose(await E.ones([2]).add(1).data(), [2, 2]);
});

test('Node exits by itself after shutdown()', () => {
  const script = `import * as E from ${JSON.stringify(new URL('../src/engine/index.ts', import.meta.url).pathname)};
    await E.init(); const t = E.ones([8]).add(1); console.log((await t.data())[0]); await E.shutdown();`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60000 });
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /^2/);
});

test('init() without an adapter explains how to get one', async () => {
  await E.shutdown();
  const noAdapter = { requestAdapter: async () => null } as unknown as GPU;
  let message = '';
  await E.init({ gpu: noAdapter }).catch((err: Error) => (message = err.message));
  assert.match(message, /No WebGPU adapter/);
  assert.match(message, /mesa-vulkan-drivers/);
  assert.match(message, /npm run setup/);
});

test('init() after shutdown() starts a fresh device', async () => {
  await E.shutdown();
  assertThrows(() => E.ones([1]), /init/);
  await E.init();
  assertClose(await E.ones([2]).data(), [1, 1]);
});

test.run();
