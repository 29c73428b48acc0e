// Pretext tasks: labels, head shapes and losses of every built-in task (STOR and rotation against
// PyTorch, test/golden/fixtures/plugin.json from test/golden/plugin_fixtures.py), the registry.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import * as E from '../src/engine/index.ts';
import { optim, tensor, type Tensor } from '../src/engine/index.ts';
import { pretextTasks, permutations, ClipOrderTask, type PerClipTask, type StorTask } from '../src/plugins/tasks/index.ts';
import type { Batch, Features } from '../src/plugins/types.ts';
import { assertClose, assertThrows } from './helpers.ts';

interface T { shape: number[]; values: number[] }
const fx = JSON.parse(readFileSync(new URL('./golden/fixtures/plugin.json', import.meta.url), 'utf8'));
const t = (x: T): Tensor => tensor(Float32Array.from(x.values), x.shape);
const ints = (v: number[], shape = [v.length]): Tensor => tensor(Int32Array.from(v), shape, { dtype: 'int32' });
const stateOf = (s: Record<string, T>): Record<string, Tensor> => Object.fromEntries(Object.entries(s).map(([k, v]) => [k, t(v)]));
const num = async (x: Tensor): Promise<number> => (await x.data())[0];

const test = suite('pretext tasks');
test.before(async () => {
  await E.init();
});
test.after(async () => {
  await E.shutdown();
});

test('registry: the built-in tasks, defaults and option errors', () => {
  assert.equal(pretextTasks.names(), ['order', 'rotation', 'speed', 'stor']);
  const stor = pretextTasks.build('stor', { featureDim: 8 }) as StorTask;
  assert.equal(stor.needs, { views: 2, labels: ['spatial', 'temporal'] });
  assert.equal(stor.opts.hidden, 512);
  assertClose(Object.values(stor.chance()), [Math.log(5), Math.log(5)]);
  assertThrows(() => pretextTasks.build({ type: 'stor', hidden: -1 }, { featureDim: 8 }), /pretext task 'stor'/, /hidden/);
  assertThrows(() => pretextTasks.build({ type: 'rotation', bogus: 1 }, { featureDim: 8 }), /bogus|unrecognized/i);
  assertThrows(() => pretextTasks.build('jigsaw', { featureDim: 8 }), /unknown pretext task 'jigsaw'/);
  stor.head.dispose();
});

test('stor: head shapes, losses equal PyTorch, running stats, accuracy, missing label', async () => {
  const f = fx.stor;
  const task = pretextTasks.build({ type: 'stor', hidden: 16 }, { featureDim: 8 }) as StorTask;
  const sd = task.head.stateDict();
  assert.equal([...sd['spatial.0.weight'].shape], [16, 16]);
  assert.equal([...sd['spatial.1.running_mean'].shape], [16]);
  assert.equal([...sd['temporal.3.weight'].shape], [5, 16]);
  task.head.loadStateDict(stateOf(f.state), { strict: false });
  const features: Features = { pooled: [t(f.f0), t(f.f1)], dim: 8 };
  const batch: Batch = { views: [], labels: { spatial: ints(f.spatial), temporal: ints(f.temporal) } };
  const out = task.forward(features, batch);
  assert.equal(Object.keys(out.losses), ['spatial', 'temporal']);
  assertClose([await num(out.losses.spatial), await num(out.losses.temporal)], [f.loss.spatial, f.loss.temporal], 1e-4, 1e-5);
  assertClose(await task.head.stateDict()['spatial.1.running_mean'].data(), f.state_after['spatial.1.running_mean'], 1e-4, 1e-5);
  const acc = await num(out.metrics!.spatial_acc);
  assert.ok(Math.abs(acc * 6 - Math.round(acc * 6)) < 1e-4, `accuracy ${acc}`);
  out.losses.spatial.backward();
  assert.ok(task.head.stateDict()['spatial.0.weight'].grad, 'head gets gradients');
  assertThrows(() => task.forward(features, { views: [], labels: { spatial: ints(f.spatial) } }), /needs label 'temporal'/, /spatial/);
  task.head.dispose();
});

test("stor pairFeatures 'relation': the heads see [a, b, |a − b|, a ⊙ b]", async () => {
  const f = fx.stor;
  const rel = pretextTasks.build({ type: 'stor', hidden: 16, pairFeatures: 'relation' }, { featureDim: 8 }) as StorTask;
  assert.equal([...rel.head.stateDict()['spatial.0.weight'].shape], [16, 32]);
  // The same heads in concat mode, on 16-d "features" [a, b] and [|a − b|, a ⊙ b], see the same input.
  const cat = pretextTasks.build({ type: 'stor', hidden: 16 }, { featureDim: 16 }) as StorTask;
  cat.head.loadStateDict(rel.head.stateDict());
  const [n, d] = f.f0.shape;
  const a = f.f0.values;
  const b = f.f1.values;
  const rowsOf = (g: (i: number) => number[]): T => ({ shape: [n, 2 * d], values: Array.from({ length: n }, (_, r) => g(r)).flat() });
  const row = (v: number[], r: number) => v.slice(r * d, (r + 1) * d);
  const ab = rowsOf((r) => [...row(a, r), ...row(b, r)]);
  const diffProd = rowsOf((r) => [...row(a, r).map((x, j) => Math.abs(x - row(b, r)[j])), ...row(a, r).map((x, j) => x * row(b, r)[j])]);
  const labels = { spatial: ints(f.spatial), temporal: ints(f.temporal) };
  const fa = t(f.f0);
  fa.requiresGrad = true;
  const o1 = rel.forward({ pooled: [fa, t(f.f1)], dim: 8 }, { views: [], labels });
  const o2 = cat.forward({ pooled: [t(ab), t(diffProd)], dim: 16 }, { views: [], labels });
  assertClose([await num(o1.losses.spatial), await num(o1.losses.temporal)], [await num(o2.losses.spatial), await num(o2.losses.temporal)], 1e-5, 1e-6);
  o1.losses.spatial.backward();
  assert.ok(fa.grad, 'gradients reach the features through |a − b| and a ⊙ b');
  assertThrows(() => pretextTasks.build({ type: 'stor', pairFeatures: 'sum' }, { featureDim: 8 }), /pretext task 'stor'/, /pairFeatures/);
  rel.head.dispose();
  cat.head.dispose();
});

test('rotation: per-clip labels [N, 2], loss equals PyTorch; speed: shared label = rotation with [y, y]', async () => {
  const f = fx.rotation;
  const feats: Features = { pooled: [t(fx.stor.f0), t(fx.stor.f1)], dim: 8 };
  const rot = pretextTasks.build({ type: 'rotation', hidden: 16 }, { featureDim: 8 }) as PerClipTask;
  assert.equal(rot.needs, { views: 2, labels: ['rotation'] });
  assertClose([rot.chance().rotation], [Math.log(4)]);
  rot.head.loadStateDict(stateOf(f.state), { strict: false });
  const out = rot.forward(feats, { views: [], labels: { rotation: ints(f.labels.flat(), [6, 2]) } });
  assertClose([await num(out.losses.rotation)], [f.loss], 1e-4, 1e-5);
  // speed: one label per pair, predicted from each clip.
  const y = [0, 3, 1, 2, 2, 1];
  const speed = pretextTasks.build({ type: 'speed', hidden: 16 }, { featureDim: 8 }) as PerClipTask;
  const rot2 = pretextTasks.build({ type: 'rotation', hidden: 16 }, { featureDim: 8 }) as PerClipTask;
  const speedState = Object.fromEntries(Object.entries(stateOf(f.state)).map(([k, v]) => [k.replace(/^rotation\./, 'speed.'), v]));
  speed.head.loadStateDict(speedState, { strict: false });
  rot2.head.loadStateDict(stateOf(f.state), { strict: false });
  const a = speed.forward(feats, { views: [], labels: { speed: ints(y) } });
  const b = rot2.forward(feats, { views: [], labels: { rotation: ints(y.flatMap((v) => [v, v]), [6, 2]) } });
  assertClose([await num(a.losses.speed)], [await num(b.losses.rotation)], 1e-6, 1e-6);
  assert.ok('speed_acc' in a.metrics!);
  for (const m of [rot, speed, rot2]) m.head.dispose();
});

test('order: permutations, head shapes, seeded labels, modes, option errors', () => {
  assert.equal(permutations(3), [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]]);
  assert.is(permutations(4).length, 24);
  const task = pretextTasks.build({ type: 'order', views: 3, hidden: 4, seed: 7 }, { featureDim: 8 }) as ClipOrderTask;
  assert.is(task.source, 'shuffle');
  assert.equal(task.needs.labels, []);
  const sd = task.head.stateDict();
  assert.equal([...sd['pair.weight'].shape], [4, 16]);
  assert.equal([...sd['fc.weight'].shape], [6, 12]);
  assertClose([task.chance().order], [Math.log(6)]);
  const again = pretextTasks.build({ type: 'order', views: 3, hidden: 4, seed: 7 }, { featureDim: 8 }) as ClipOrderTask;
  const d1 = task.draw(200);
  assert.equal(d1, again.draw(200));
  for (let c = 0; c < 6; c++) assert.ok(d1.filter((x) => x === c).length > 15, `class ${c} drawn`);
  // The shuffle generator's position round-trips (checkpoints): the next draws are the same.
  const restored = pretextTasks.build({ type: 'order', views: 3, hidden: 4, seed: 7 }, { featureDim: 8 }) as ClipOrderTask;
  restored.loadStateDict(JSON.parse(JSON.stringify(task.stateDict())));
  assert.equal(restored.draw(50), task.draw(50));
  // Two views: the sampler's order label by default (the STOR pair pipeline), 2 classes.
  const two = pretextTasks.build({ type: 'order', hidden: 4 }, { featureDim: 8, seed: 1 }) as ClipOrderTask;
  assert.equal([...two.head.stateDict()['fc.weight'].shape], [2, 4]);
  assert.is(two.source, 'label');
  assert.equal([two.needs.views, two.needs.labels], [2, ['order']]);
  assertClose([two.chance().order], [Math.log(2)]);
  assert.is((pretextTasks.build({ type: 'order', source: 'shuffle' }, { featureDim: 8 }) as ClipOrderTask).source, 'shuffle');
  assertThrows(() => pretextTasks.build({ type: 'order', views: 3, source: 'label' }, { featureDim: 8 }), /pretext task 'order'/, /source/);
  assertThrows(() => two.forward({ pooled: [E.randn([2, 8]), E.randn([2, 8])], dim: 8 }, { views: [], labels: { speed: ints([0, 1]) } }), /needs label 'order'/);
  for (const m of [task, again, restored, two]) m.head.dispose();
});

test('order (label mode): masked cross-entropy equals a hand computation; −1 samples leave loss, gradient and accuracy', async () => {
  E.manualSeed(11);
  const task = pretextTasks.build({ type: 'order', hidden: 6 }, { featureDim: 4 }) as ClipOrderTask;
  const n = 6;
  const f0 = E.randn([n, 4]);
  const f1 = E.randn([n, 4]);
  const order = [0, 1, -1, 1, -1, 0];
  const out = task.forward({ pooled: [f0, f1], dim: 4 }, { views: [], labels: { order: ints(order) } });
  // By hand: logits of the pair head, then the mean CE over the 4 valid samples.
  const h = task.head;
  const logits = await h.fc.call(h.pair.call(E.cat([f0, f1], 1)).relu()).data();
  let sum = 0;
  let correct = 0;
  order.forEach((y, i) => {
    if (y < 0) return;
    const [a, b] = [logits[2 * i], logits[2 * i + 1]];
    const m = Math.max(a, b);
    const lse = m + Math.log(Math.exp(a - m) + Math.exp(b - m));
    sum += lse - (y === 0 ? a : b);
    if ((a >= b ? 0 : 1) === y) correct++;
  });
  assertClose([await num(out.losses.order)], [sum / 4], 1e-5, 1e-6);
  assertClose([await num(out.metrics!.order_acc)], [correct / 4], 1e-6);
  // Changing the features of the masked samples changes nothing.
  const g0 = E.tidy(() => f0.add(E.tensor([0, 0, 1, 0, 1, 0], [n, 1]).mul(5)));
  const out2 = task.forward({ pooled: [g0, f1], dim: 4 }, { views: [], labels: { order: ints(order) } });
  assertClose([await num(out2.losses.order)], [sum / 4], 1e-5, 1e-6);
  // A batch with no valid sample: loss exactly 0, no gradient.
  const masked = task.forward({ pooled: [f0, f1], dim: 4 }, { views: [], labels: { order: ints([-1, -1, -1, -1, -1, -1]) } });
  assert.is(await num(masked.losses.order), 0);
  masked.losses.order.backward();
  const gw = await h.pair.weight.grad!.data();
  assert.ok(gw.every((x) => x === 0), 'no gradient from masked samples');
  h.pair.weight.grad = null;
  task.head.dispose();
});

test('order: label mode learns the order from features; shuffle mode matches its labels', async () => {
  E.manualSeed(3);
  // Label mode: view features carry a time stamp t (+ noise); the earlier view has the smaller t.
  const n = 16;
  const two = pretextTasks.build({ type: 'order', hidden: 16 }, { featureDim: 4 }) as ClipOrderTask;
  const opt2 = new optim.Adam(two.head.parameters(), { lr: 0.03 });
  let acc2 = 0;
  for (let i = 0; i < 120; i++) {
    const order = Array.from({ length: n }, (_, s) => ((i * 7 + s * 3) % 5 === 0 ? -1 : (i + s) % 2));
    const t0 = order.map((o, s) => (o === 1 ? 1 : o === 0 ? 0 : 0.5) + 0.01 * s);
    const t1 = order.map((o, s) => (o === 1 ? 0 : o === 0 ? 1 : 0.5) + 0.01 * s);
    const feat = (t: number[]) => E.tidy(() => E.tensor(t, [n, 1]).expand([n, 4]).add(E.randn([n, 4]).mul(0.05)));
    const pooled = [feat(t0), feat(t1)];
    opt2.zeroGrad();
    const r = E.tidy(() => {
      const out = two.forward({ pooled, dim: 4 }, { views: [], labels: { order: ints(order) } });
      out.losses.order.backward();
      return out.metrics!.order_acc;
    });
    opt2.step();
    if (i >= 110) acc2 += await num(r);
    r.dispose();
    pooled.forEach((p) => p.dispose());
  }
  assert.ok(acc2 / 10 > 0.95, `label-mode accuracy ${acc2 / 10}`);
  two.head.dispose();
  // Shuffle mode, 3 views: view k has the same feature vector in every sample: only the
  // permutation tells samples apart.
  const m = 12;
  const task = pretextTasks.build({ type: 'order', views: 3, hidden: 32, seed: 5 }, { featureDim: 8 }) as ClipOrderTask;
  const base = [E.randn([1, 8]), E.randn([1, 8]), E.randn([1, 8])];
  const pooled = base.map((b) => b.expand([m, 8]).contiguous());
  const opt = new optim.Adam(task.head.parameters(), { lr: 0.03 });
  let acc = 0;
  for (let i = 0; i < 150; i++) {
    opt.zeroGrad();
    const r = E.tidy(() => {
      const out = task.forward({ pooled, dim: 8 }, { views: [], labels: {} });
      out.losses.order.backward();
      return out.metrics!.order_acc;
    });
    opt.step();
    if (i >= 140) acc += await num(r);
    r.dispose();
  }
  assert.ok(acc / 10 > 0.95, `shuffle-mode accuracy ${acc / 10}`);
  // Two views in shuffle mode with explicit classes: class 1 = the views swapped.
  const sh = pretextTasks.build({ type: 'order', hidden: 4, source: 'shuffle' }, { featureDim: 8 }) as ClipOrderTask;
  const p2 = [E.randn([4, 8]), E.randn([4, 8])];
  // Class 1 on (p0, p1) presents (p1, p0) with target 1; class 0 on (p1, p0) presents the same
  // clips with target 0: same logits, opposite targets, so the accuracies add up to 1.
  const plain = sh.forward({ pooled: p2, dim: 8 }, { views: [], labels: {} }, [1, 1, 1, 1]);
  const swapped = sh.forward({ pooled: [p2[1], p2[0]], dim: 8 }, { views: [], labels: {} }, [0, 0, 0, 0]);
  assertClose([await num(swapped.metrics!.order_acc) + await num(plain.metrics!.order_acc)], [1], 1e-6);
  assert.is(sh.lastClasses.length, 4);
  task.head.dispose();
  sh.head.dispose();
});

test.run();
