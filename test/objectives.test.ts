// Objectives: NT-Xent (analytic value for identical embeddings, PyTorch values), BYOL (loss, target
// initialisation, cosine momentum and the EMA arithmetic of the target update), MoCo v2 (InfoNCE
// against PyTorch, queue writes), the fused EMA kernel, the registry. Fixtures:
// test/golden/fixtures/plugin.json (test/golden/plugin_fixtures.py).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import * as E from '../src/engine/index.ts';
import { nn, tensor, noGrad, type Tensor } from '../src/engine/index.ts';
import { objectives, ntXent, byolLoss, mocoLoss, emaUpdate, cosineMomentum, type Byol, type Moco, type NtXent } from '../src/plugins/objectives/index.ts';
import type { Backbone, Batch, Features, StepContext } from '../src/plugins/types.ts';
import { assertClose, assertThrows } from './helpers.ts';

interface T { shape: number[]; values: number[] }
const fx = JSON.parse(readFileSync(new URL('./golden/fixtures/plugin.json', import.meta.url), 'utf8'));
const t = (x: T): Tensor => tensor(Float32Array.from(x.values), x.shape);
const num = async (x: Tensor): Promise<number> => (await x.data())[0];

/** A tiny stand-in backbone: clips [N, 2, 2, 2, 2] → flatten → Linear(16, 6). */
class FakeBackbone extends nn.Module implements Backbone {
  readonly featureDim = 6;
  readonly fc: nn.Linear;
  constructor() {
    super();
    this.fc = this.registerModule('fc', new nn.Linear(16, 6));
  }
  override forward(x: Tensor): Tensor {
    return this.fc.call(x.flatten(1));
  }
  lastSharedParameters(): Tensor[] {
    return [this.fc.weight];
  }
}

const test = suite('objectives');
test.before(async () => {
  await E.init();
});
test.after(async () => {
  await E.shutdown();
});

test('registry: built-ins and defaults', () => {
  assert.equal(objectives.names(), ['byol', 'moco', 'ntxent']);
  const b = objectives.build('byol', { featureDim: 6 }) as Byol;
  assert.equal(b.opts, { hidden: 4096, projectionDim: 256, predictorHidden: 4096, baseMomentum: 0.996 });
  b.module.dispose();
  assertThrows(() => objectives.build({ type: 'ntxent', temperature: 0 }, { featureDim: 6 }), /objective 'ntxent'/, /temperature/);
});

test('NT-Xent: ln(2N − 1) for identical embeddings; PyTorch values', async () => {
  for (const n of [2, 5, 8]) {
    const e = E.ones([n, 4]);
    assertClose([await num(ntXent(e, e, 0.1))], [Math.log(2 * n - 1)], 1e-5, 1e-5, `N = ${n}`);
  }
  const f = fx.ntxent;
  assertClose([await num(ntXent(t(f.a), t(f.b), 0.1)), await num(ntXent(t(f.a), t(f.b), 0.5))], [f.loss, f.loss_tau05], 1e-4, 1e-5);
  const obj = objectives.build({ type: 'ntxent', hidden: 8, projectionDim: 4 }, { featureDim: 7 }) as NtXent;
  const out = obj.forward({ pooled: [t(f.a), t(f.b)], dim: 7 }, { views: [], labels: {} }, {} as StepContext);
  assert.equal(Object.keys(out.losses), ['contrastive']);
  const v = await num(out.losses.contrastive);
  assert.ok(Number.isFinite(v) && v > 0);
  obj.module.dispose();
});

test('BYOL loss and MoCo InfoNCE equal PyTorch', async () => {
  assertClose([await num(byolLoss(t(fx.byol.p), t(fx.byol.z)))], [fx.byol.loss], 1e-5, 1e-5);
  const x = E.randn([3, 5]);
  assertClose([await num(byolLoss(x, x.mul(3)))], [0], 0, 1e-5);
  const m = fx.moco;
  assertClose([await num(mocoLoss(t(m.q), t(m.k), t(m.queue), m.tau))], [m.loss], 1e-4, 1e-5);
});

test('cosine momentum and the fused EMA kernel', async () => {
  assertClose([cosineMomentum(0.996, 0, 100), cosineMomentum(0.996, 50, 100), cosineMomentum(0.996, 100, 100), cosineMomentum(0.996, 200, 100)], [0.996, 0.998, 1, 1], 0, 1e-12);
  const a = tensor([1, 2, 3, 4, 5, 6], [2, 3]);
  const b = tensor([10, 20, 30, 40, 50, 60], [2, 3]);
  noGrad(() => emaUpdate([a], [b], 0.9));
  assertClose(await a.data(), [1.9, 3.8, 5.7, 7.6, 9.5, 11.4], 1e-6);
  // Tensors at an element offset (rows of one buffer).
  const big = tensor([0, 0, 0, 0, 1, 1, 1, 1], [2, 4]);
  const row = big.slice(0, 1, 2);
  const src = tensor([0, 0, 0, 0, 3, 5, 7, 9], [2, 4]).slice(0, 1, 2);
  noGrad(() => emaUpdate([row], [src], 0.5));
  assertClose(await big.data(), [0, 0, 0, 0, 2, 3, 4, 5]);
  assertThrows(() => emaUpdate([a], [E.zeros([3, 2])], 0.5), /shape/);
});

function batchOf(n: number): { batch: Batch; features: (bb: Backbone) => Features } {
  const views = [E.randn([n, 2, 2, 2, 2]), E.randn([n, 2, 2, 2, 2])];
  return { batch: { views, labels: {} }, features: (bb) => ({ pooled: views.map((v) => bb.call(v)), dim: 6 }) };
}

test('BYOL: target = copy of online at first use, EMA update with the cosine momentum, state dict', async () => {
  E.manualSeed(1);
  const online = new FakeBackbone();
  const byol = objectives.build({ type: 'byol', hidden: 8, projectionDim: 4, predictorHidden: 8 }, { featureDim: 6, makeBackbone: () => new FakeBackbone() }) as Byol;
  const { batch, features } = batchOf(4);
  const ctx: StepContext = { step: 30, totalSteps: 100, backbone: online };
  const out = byol.forward(features(online), batch, ctx);
  const loss = await num(out.losses.contrastive);
  assert.ok(loss >= 0 && loss <= 8, `loss ${loss}`);
  const target = byol.target.backbone as FakeBackbone;
  assertClose(await target.fc.weight.data(), await online.fc.weight.data());
  assert.is(target.fc.weight.requiresGrad, false);
  out.losses.contrastive.backward();
  assert.ok(online.fc.weight.grad, 'online backbone gets gradients');
  assert.ok(byol.module.get('predictor').parameters()[0].grad, 'predictor gets gradients');
  assert.is(target.fc.weight.grad, null);
  // "Optimizer step": online += 1 everywhere; then the target update with m(30 of 100).
  const before = Float32Array.from(await target.fc.weight.data());
  const projBefore = Float32Array.from(await byol.target.head!.parameters()[0].data());
  noGrad(() => {
    for (const p of [...online.parameters(), ...byol.module.get('projector').parameters()]) p.assign(p.add(1));
  });
  byol.afterStep(ctx);
  const m = 1 - (0.004 * (Math.cos((Math.PI * 30) / 100) + 1)) / 2;
  assertClose([byol.momentum], [m], 0, 1e-12);
  const onl = await online.fc.weight.data();
  assertClose(await target.fc.weight.data(), Array.from(before, (v, i) => m * v + (1 - m) * onl[i]), 1e-6, 1e-6);
  const projOnline = await byol.module.get('projector').parameters()[0].data();
  assertClose(await byol.target.head!.parameters()[0].data(), Array.from(projBefore, (v, i) => m * v + (1 - m) * projOnline[i]), 1e-6, 1e-6);
  // State dict round trip into a fresh objective (target built from the factory).
  const sd = byol.stateDict();
  assert.ok('target_backbone.fc.weight' in sd && 'target_head.0.weight' in sd);
  const fresh = objectives.build({ type: 'byol', hidden: 8, projectionDim: 4, predictorHidden: 8 }, { featureDim: 6, makeBackbone: () => new FakeBackbone() }) as Byol;
  fresh.loadStateDict(sd);
  assertClose(await (fresh.target.backbone as FakeBackbone).fc.weight.data(), await target.fc.weight.data());
  // Without a factory the error says what to pass.
  const bare = objectives.build({ type: 'byol', hidden: 8, projectionDim: 4, predictorHidden: 8 }, { featureDim: 6 }) as Byol;
  assertThrows(() => bare.forward(features(online), batch, ctx), /makeBackbone/);
});

test('MoCo: keys enqueued after the step, pointer wraps, momentum update, batch size check', async () => {
  E.manualSeed(2);
  const online = new FakeBackbone();
  const moco = objectives.build({ type: 'moco', hidden: 8, projectionDim: 4, queueSize: 8, momentum: 0.9 }, { featureDim: 6, makeBackbone: () => new FakeBackbone() }) as Moco;
  const norms = await moco.queue.mul(moco.queue).sum(1).data();
  assertClose(norms, new Array(8).fill(1), 1e-5);
  const ctx: StepContext = { step: 0, totalSteps: 10, backbone: online };
  const { batch, features } = batchOf(4);
  const before = Float32Array.from(await moco.queue.data());
  const out = moco.forward(features(online), batch, ctx);
  const loss = await num(out.losses.contrastive);
  assert.ok(Number.isFinite(loss) && loss > 0);
  // Expected keys: normalised target embeddings of view 1 (target = online copy before the update).
  const keys = await noGrad(() => E.F.normalize(moco.target.head!.call(moco.target.backbone!.call(batch.views[1])))).data();
  assertClose(await moco.queue.data(), before, 0, 0, 'queue unchanged before afterStep');
  const tw = Float32Array.from(await (moco.target.backbone as FakeBackbone).fc.weight.data());
  noGrad(() => online.fc.weight.assign(online.fc.weight.add(2)));
  moco.afterStep(ctx);
  const q = await moco.queue.data();
  assertClose(q.slice(0, 16), keys, 1e-5, 1e-6);
  assertClose(q.slice(16), before.slice(16), 0, 0);
  assert.is(moco.ptr, 4);
  const ow = await online.fc.weight.data();
  assertClose(await (moco.target.backbone as FakeBackbone).fc.weight.data(), Array.from(tw, (v, i) => 0.9 * v + 0.1 * ow[i]), 1e-6, 1e-6);
  moco.forward(features(online), batch, ctx);
  moco.afterStep(ctx);
  assert.is(moco.ptr, 0);
  assertThrows(() => moco.forward(batchOf(3).features(online), batchOf(3).batch, ctx), /multiple of the batch size 3/);
  // State round trip: queue and pointer.
  moco.forward(features(online), batch, ctx);
  moco.afterStep(ctx);
  const sd = moco.stateDict();
  assert.equal(Array.from(await sd.queue_ptr.data()), [4]);
  const fresh = objectives.build({ type: 'moco', hidden: 8, projectionDim: 4, queueSize: 8, momentum: 0.9 }, { featureDim: 6, makeBackbone: () => new FakeBackbone(), seed: 9 }) as Moco;
  fresh.loadStateDict(sd);
  await fresh.ready;
  assert.is(fresh.ptr, 4);
  assertClose(await fresh.queue.data(), await moco.queue.data(), 0, 0);
  assertClose(await (fresh.target.backbone as FakeBackbone).fc.weight.data(), await (moco.target.backbone as FakeBackbone).fc.weight.data(), 0, 0);
});

test.run();
