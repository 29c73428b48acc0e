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

test('order: permutations, head shapes, seeded labels', () => {
  assert.equal(permutations(3), [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]]);
  assert.is(permutations(4).length, 24);
  const task = pretextTasks.build({ type: 'order', views: 3, hidden: 4, seed: 7 }, { featureDim: 8 }) as ClipOrderTask;
  const sd = task.head.stateDict();
  assert.equal([...sd['pair.weight'].shape], [4, 16]);
  assert.equal([...sd['fc.weight'].shape], [6, 12]);
  assertClose([task.chance().order], [Math.log(6)]);
  const again = pretextTasks.build({ type: 'order', views: 3, hidden: 4, seed: 7 }, { featureDim: 8 }) as ClipOrderTask;
  const d1 = task.draw(200);
  assert.equal(d1, again.draw(200));
  for (let c = 0; c < 6; c++) assert.ok(d1.filter((x) => x === c).length > 15, `class ${c} drawn`);
  const two = pretextTasks.build({ type: 'order', hidden: 4 }, { featureDim: 8, seed: 1 }) as ClipOrderTask;
  assert.equal([...two.head.stateDict()['fc.weight'].shape], [2, 4]);
  assert.equal(two.needs.views, 2);
  for (const m of [task, again, two]) m.head.dispose();
});

test('order: the shuffle matches the labels (a head learns them to 100%), 2 views, order label', async () => {
  E.manualSeed(3);
  const n = 12;
  const task = pretextTasks.build({ type: 'order', views: 3, hidden: 32, seed: 5 }, { featureDim: 8 }) as ClipOrderTask;
  // View k has the same feature vector in every sample: only the permutation tells samples apart.
  const base = [E.randn([1, 8]), E.randn([1, 8]), E.randn([1, 8])];
  const pooled = base.map((b) => b.expand([n, 8]).contiguous());
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
  assert.ok(acc / 10 > 0.95, `accuracy ${acc / 10}`);
  // Explicit classes: identity vs swapped pair with two views and the `order` label.
  const two = pretextTasks.build({ type: 'order', hidden: 4, seed: 0 }, { featureDim: 8 }) as ClipOrderTask;
  const p2 = [E.randn([4, 8]), E.randn([4, 8])];
  const plain = two.forward({ pooled: p2, dim: 8 }, { views: [], labels: {} }, [0, 1, 0, 1]);
  // order = 1 says view 1 came first: swapping the views and the order label gives the same loss.
  const swapped = two.forward({ pooled: [p2[1], p2[0]], dim: 8 }, { views: [], labels: { order: ints([1, 1, 1, 1]) } }, [0, 1, 0, 1]);
  assertClose([await num(swapped.losses.order)], [await num(plain.losses.order)], 1e-5, 1e-6);
  assert.is(two.lastClasses.length, 4);
  task.head.dispose();
  two.head.dispose();
});

test.run();
