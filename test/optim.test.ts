// Optimizers, LR schedules and gradient utilities against PyTorch 1.13 golden values
// (test/golden/fixtures/optim.json, written by test/golden/optim_fixtures.py).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import * as E from '../src/engine/index.ts';
import { optim, nn } from '../src/engine/index.ts';
import { runtime } from '../src/engine/kernels/runtime.ts';
import type { Tensor } from '../src/engine/index.ts';
import { assertClose, assertThrows } from './helpers.ts';

interface Step {
  loss: number;
  w: number[];
  b: number[];
}
interface OptimizerCase {
  optimizer: 'SGD' | 'Adam' | 'AdamW';
  groups: Array<{ params: Array<'w' | 'b'> } & Record<string, unknown>>;
  defaults: Record<string, unknown>;
  trajectory: Step[];
}
interface Fixture {
  problem: { x: number[]; xShape: number[]; y: number[]; yShape: number[]; w0: number[]; wShape: number[]; b0: number[]; steps: number };
  optimizers: Record<string, OptimizerCase>;
  schedules: Record<string, { config: Record<string, unknown> & { type: string }; baseLrs: number[]; lrs: number[][] }>;
  clip: {
    grads: Record<string, { shape: number[]; values: number[] }>;
    cases: Array<{ maxNorm: number; normType: number | 'inf'; total: number; grads: number[][] }>;
  };
}

const fx = JSON.parse(readFileSync(new URL('./golden/fixtures/optim.json', import.meta.url), 'utf8')) as Fixture;
const P = fx.problem;

const test = suite('optim');
test.before(async () => {
  await E.init();
  x = E.keep(E.tensor(P.x, P.xShape));
  y = E.keep(E.tensor(P.y, P.yShape));
});
test.after(async () => {
  await E.shutdown();
});

let x: Tensor;
let y: Tensor;
function params(): { w: Tensor; b: Tensor } {
  return { w: E.tensor(P.w0, P.wShape, { requiresGrad: true }), b: E.tensor(P.b0, undefined, { requiresGrad: true }) };
}

/** One training step of the golden least-squares problem; returns the loss (before the update). */
function trainStep(opt: optim.Optimizer, p: { w: Tensor; b: Tensor }): Tensor {
  opt.zeroGrad();
  const loss = E.tidy(() => {
    const d = E.F.linear(x, p.w, p.b).sub(y);
    return d.mul(d).mean();
  });
  loss.backward();
  opt.step();
  return loss;
}

function makeOptimizer(c: OptimizerCase, p: { w: Tensor; b: Tensor }): optim.Optimizer {
  const groups = c.groups.map(({ params: names, ...o }) => ({ params: names.map((n) => p[n]), ...o }));
  const defaults = c.defaults as any;
  if (c.optimizer === 'SGD') return new optim.SGD(groups, defaults);
  if (c.optimizer === 'Adam') return new optim.Adam(groups, defaults);
  return new optim.AdamW(groups, defaults);
}

async function checkStep(name: string, k: number, p: { w: Tensor; b: Tensor }, loss: Tensor | null): Promise<void> {
  const g = fx.optimizers[name].trajectory[k];
  if (loss) assertClose([await loss.item()], [g.loss], 1e-5, 1e-6, `${name} loss ${k + 1}`);
  assertClose(await p.w.data(), g.w, 2e-5, 2e-6, `${name} w after step ${k + 1}`);
  assertClose(await p.b.data(), g.b, 2e-5, 2e-6, `${name} b after step ${k + 1}`);
}

for (const name of Object.keys(fx.optimizers)) {
  test(`${name}: ${P.steps}-step trajectory matches PyTorch`, async () => {
    const c = fx.optimizers[name];
    const p = params();
    const opt = makeOptimizer(c, p);
    for (let k = 0; k < P.steps; k++) {
      const loss = trainStep(opt, p);
      await checkStep(name, k, p, loss);
      loss.dispose();
    }
    opt.dispose();
    p.w.dispose();
    p.b.dispose();
  });
}

test('step() is one fused dispatch per parameter and reads nothing back', async () => {
  const p = params();
  for (const opt of [new optim.Adam([p.w, p.b], { amsgrad: true }), new optim.SGD([p.w, p.b], { lr: 0.1, momentum: 0.9, nesterov: true })]) {
    trainStep(opt, p).dispose();
    await E.sync();
    const rt = runtime();
    const read = rt.read;
    let reads = 0;
    rt.read = (...args: Parameters<typeof read>) => {
      reads++;
      return read.apply(rt, args);
    };
    try {
      const before = rt.recorded;
      opt.step();
      assert.is(rt.recorded - before, 2, `${opt.constructor.name}: dispatches per step for 2 parameters`);
      assert.is(reads, 0, 'no readback in step()');
    } finally {
      rt.read = read;
    }
    opt.dispose();
  }
  p.w.dispose();
  p.b.dispose();
});

test('stateDict / loadStateDict: a restored optimizer and schedule continue identically', async () => {
  for (const name of ['adamw_groups', 'sgd_groups', 'adam_wd_amsgrad']) {
    const c = fx.optimizers[name];
    const p = params();
    const opt = makeOptimizer(c, p);
    for (let k = 0; k < 3; k++) trainStep(opt, p).dispose();
    const sd = opt.stateDict();
    assert.equal(sd.paramGroups.map((g) => g.params), c.groups.length === 2 ? [[0], [1]] : [[0, 1]]);
    assert.equal(Object.keys(sd.state), ['0', '1']);
    const st = sd.state[0];
    if (c.optimizer === 'SGD') assert.equal(Object.keys(st), ['momentum_buffer']);
    else {
      assert.is(st.step, 3);
      assert.ok(['exp_avg', 'exp_avg_sq'].every((k) => k in st));
      assert.is('max_exp_avg_sq' in st, c.defaults.amsgrad === true || name === 'adam_wd_amsgrad');
    }
    // A fresh optimizer over copies of the parameters; the original is freed.
    const q = { w: E.keep(p.w.clone().detach()), b: E.keep(p.b.clone().detach()) };
    q.w.requiresGrad = true;
    q.b.requiresGrad = true;
    const lrBefore = opt.paramGroups.map((g) => g.lr);
    const opt2 = makeOptimizer({ ...c, defaults: { ...c.defaults, lr: 123 }, groups: c.groups.map((g) => ({ ...g, lr: 7 })) }, q);
    opt2.loadStateDict(sd);
    assert.equal(opt2.paramGroups.map((g) => g.lr), lrBefore, 'hyper-parameters restored');
    opt.dispose();
    p.w.dispose();
    p.b.dispose();
    for (let k = 3; k < P.steps; k++) {
      trainStep(opt2, q).dispose();
      await checkStep(name, k, q, null);
    }
    opt2.dispose();
    q.w.dispose();
    q.b.dispose();
  }

  // With a schedule: save both after 3 steps, restore into new objects, compare with an uninterrupted run.
  const run = async (interrupt: boolean): Promise<number[]> => {
    let p = params();
    let opt: optim.Optimizer = new optim.AdamW([{ params: [p.w], weightDecay: 0.1 }, { params: [p.b], weightDecay: 0 }], { lr: 0.05 });
    let sched: optim.LRScheduler = new optim.WarmupCosineLR(opt, { warmupSteps: 2, totalSteps: 6 });
    for (let k = 0; k < 6; k++) {
      if (interrupt && k === 3) {
        const saved = { opt: opt.stateDict(), sched: sched.stateDict() };
        const q = { w: E.keep(p.w.clone().detach()), b: E.keep(p.b.clone().detach()) };
        q.w.requiresGrad = q.b.requiresGrad = true;
        const opt2 = new optim.AdamW([{ params: [q.w], weightDecay: 0.1 }, { params: [q.b], weightDecay: 0 }], { lr: 0.05 });
        const sched2 = new optim.WarmupCosineLR(opt2, { warmupSteps: 2, totalSteps: 6 });
        opt2.loadStateDict(saved.opt);
        sched2.loadStateDict(JSON.parse(JSON.stringify(saved.sched)));
        assert.equal(sched2.getLastLr(), sched.getLastLr());
        opt.dispose();
        p.w.dispose();
        p.b.dispose();
        [p, opt, sched] = [q, opt2, sched2];
      }
      trainStep(opt, p).dispose();
      sched.step();
    }
    const out = [...(await p.w.data()), ...(await p.b.data())];
    opt.dispose();
    p.w.dispose();
    p.b.dispose();
    return out;
  };
  assert.equal(await run(true), await run(false), 'bit-identical continuation');
});

test('loadStateDict rejects a mismatched structure', () => {
  const p = params();
  const opt = new optim.Adam([p.w, p.b]);
  trainStep(opt, p).dispose();
  const sd = opt.stateDict();
  const other = new optim.Adam([{ params: [p.w] }, { params: [p.b] }]);
  assertThrows(() => other.loadStateDict(sd), /1 parameter groups/);
  const w2 = E.zeros([3, 3], { requiresGrad: true });
  const third = new optim.Adam([w2, p.b]);
  assertThrows(() => third.loadStateDict(sd), /shape \[2, 3\]/);
  assertThrows(() => new optim.SGD([p.w, p.w], { lr: 0.1 }), /twice/);
  assertThrows(() => new optim.SGD([{ params: [p.w] }, { params: [p.w] }], { lr: 0.1 }), /more than one parameter group/);
  assertThrows(() => new optim.SGD([p.w], { lr: 0.1, nesterov: true }), /Nesterov/);
  assertThrows(() => new optim.Adam([p.w], { betas: [1, 0.9] }), /beta/);
  assertThrows(() => new optim.SGD([p.w], { lr: -1 }), /learning rate/);
  for (const o of [opt, other, third]) o.dispose();
  for (const t of [p.w, p.b, w2]) t.dispose();
});

test('frozen parameters (requiresGrad = false) and parameters without gradients are not updated', async () => {
  E.manualSeed(3);
  const model = new nn.Sequential(new nn.Linear(3, 4), new nn.ReLU(), new nn.Linear(4, 2));
  const first = model.at(0) as nn.Linear;
  first.requiresGrad_(false);
  const before = await first.weight.data();
  const lastBefore = await (model.at(2) as nn.Linear).weight.data();
  for (const opt of [new optim.SGD(model.parameters(), { lr: 0.5, momentum: 0.9, weightDecay: 0.1 }), new optim.AdamW(model.parameters(), { lr: 0.5 })]) {
    for (let k = 0; k < 2; k++) {
      opt.zeroGrad();
      E.tidy(() => model.call(x).sub(y).pow(2).mean()).backward();
      assert.is(first.weight.grad, null, 'no gradient for a frozen parameter');
      opt.step();
    }
    assert.not.ok(opt.state.has(first.weight), 'no state for a frozen parameter');
    // A stale gradient on a frozen parameter is ignored too.
    first.weight.setGrad(E.ones([4, 3]));
    opt.step();
    first.weight.setGrad(null);
    opt.dispose();
  }
  assert.equal(await first.weight.data(), before);
  const lastAfter = await (model.at(2) as nn.Linear).weight.data();
  assert.ok(lastAfter.some((v, i) => v !== lastBefore[i]), 'trainable parameters moved');
  model.dispose();
});

test('splitWeightDecay puts biases and norm weights in a group without decay', () => {
  const model = new nn.Sequential(new nn.Linear(3, 4), new nn.BatchNorm1d(4), new nn.Linear(4, 2, { bias: false }));
  const [decay, noDecay] = optim.splitWeightDecay(model.namedParameters(), 0.05);
  const names = new Map(model.namedParameters().map(([n, t]) => [t, n]));
  assert.equal([...decay.params].map((t) => names.get(t)), ['0.weight', '2.weight']);
  assert.equal([...noDecay.params].map((t) => names.get(t)), ['0.bias', '1.weight', '1.bias']);
  assert.is(decay.weightDecay, 0.05);
  assert.is(noDecay.weightDecay, 0);
  const opt = new optim.AdamW([decay, noDecay], { lr: 1e-3 });
  assert.equal(opt.paramGroups.map((g) => g.weightDecay), [0.05, 0]);
  assert.equal(opt.paramGroups.map((g) => g.lr), [1e-3, 1e-3]);
  model.dispose();
});

function makeSchedule(opt: optim.Optimizer, c: Record<string, unknown> & { type: string }): optim.LRScheduler {
  const o = c as any;
  switch (c.type) {
    case 'StepLR': return new optim.StepLR(opt, o);
    case 'MultiStepLR': return new optim.MultiStepLR(opt, o);
    case 'ConstantLR': return new optim.ConstantLR(opt, o);
    case 'CosineAnnealingLR': return new optim.CosineAnnealingLR(opt, o);
    case 'WarmupCosineLR': return new optim.WarmupCosineLR(opt, o);
    default: throw new Error(`unknown schedule ${c.type}`);
  }
}

function scheduleOptimizer(): { opt: optim.SGD; ps: Tensor[] } {
  const ps = [E.zeros([1], { requiresGrad: true }), E.zeros([1], { requiresGrad: true })];
  return { opt: new optim.SGD([{ params: [ps[0]], lr: 0.1 }, { params: [ps[1]], lr: 0.02 }], { lr: 0.1 }), ps };
}

for (const name of Object.keys(fx.schedules)) {
  test(`schedule ${name} matches PyTorch per step`, () => {
    const s = fx.schedules[name];
    const { opt, ps } = scheduleOptimizer();
    const sched = makeSchedule(opt, s.config);
    const got: number[][] = [sched.getLastLr()];
    assert.equal(opt.paramGroups.map((g) => g.lr), got[0]);
    for (let k = 1; k < s.lrs.length; k++) {
      sched.step();
      got.push(opt.paramGroups.map((g) => g.lr));
    }
    assertClose(got.flat(), s.lrs.flat(), 1e-9, 1e-12, `${name} lrs`);
    ps.forEach((p) => p.dispose());
  });
}

test('schedule state round-trips through JSON and restores the lr', () => {
  for (const s of Object.values(fx.schedules)) {
    const a = scheduleOptimizer();
    const sched = makeSchedule(a.opt, s.config);
    for (let k = 0; k < 4; k++) sched.step();
    const saved = JSON.parse(JSON.stringify(sched.stateDict()));
    assert.is(saved.lastEpoch, 4);
    assert.equal(saved.baseLrs, [0.1, 0.02]);
    const b = scheduleOptimizer();
    const other = makeSchedule(b.opt, s.config);
    other.loadStateDict(saved);
    assert.equal(other.getLastLr(), sched.getLastLr());
    assert.equal(b.opt.paramGroups.map((g) => g.lr), sched.getLastLr());
    for (let k = 0; k < 3; k++) {
      sched.step();
      other.step();
      assert.equal(other.getLastLr(), sched.getLastLr());
    }
    [...a.ps, ...b.ps].forEach((p) => p.dispose());
  }
  const { opt, ps } = scheduleOptimizer();
  const lambda = new optim.LambdaLR(opt, (e) => 0.5 ** e);
  lambda.step();
  assert.equal(lambda.getLastLr(), [0.05, 0.01]);
  assertThrows(() => new optim.WarmupCosineLR(opt, { warmupSteps: 5, totalSteps: 5 }), /totalSteps/);
  ps.forEach((p) => p.dispose());
});

test('clipGradNorm matches torch.nn.utils.clip_grad_norm_', async () => {
  for (const c of fx.clip.cases) {
    const ps = Object.values(fx.clip.grads).map((g) => {
      const p = E.zeros(g.shape, { requiresGrad: true });
      p.setGrad(E.tensor(g.values, g.shape));
      return p;
    });
    const noGrad = E.zeros([3], { requiresGrad: true });
    const before = runtime().recorded;
    const total = optim.clipGradNorm([...ps, noGrad], c.maxNorm, { normType: c.normType === 'inf' ? Infinity : c.normType });
    assert.ok(runtime().recorded > before);
    assertClose([await total.item()], [c.total], 1e-6, 1e-7, `total norm (max ${c.maxNorm}, norm ${c.normType})`);
    for (let i = 0; i < ps.length; i++) assertClose(await ps[i].grad!.data(), c.grads[i], 1e-6, 1e-7, `clipped grad ${i}`);
    assert.is(noGrad.grad, null);
    total.dispose();
    [...ps, noGrad].forEach((p) => p.dispose());
  }
  const none = optim.clipGradNorm([E.zeros([2], { requiresGrad: true })], 1);
  assert.is(await none.item(), 0);
  // A NaN anywhere makes the total and every clipped gradient NaN, as in PyTorch.
  const a = E.zeros([2], { requiresGrad: true });
  const b = E.zeros([3], { requiresGrad: true });
  a.setGrad(E.tensor([1, NaN]));
  b.setGrad(E.tensor([1, 2, 3]));
  const t = optim.clipGradNorm([a, b], 1);
  assert.ok(Number.isNaN(await t.item()));
  assert.ok([...(await b.grad!.data())].every(Number.isNaN));
  [a, b, t].forEach((v) => v.dispose());
});

test('findNonFiniteGrad names the first parameter with a NaN or Inf gradient', async () => {
  const model = new nn.Sequential(new nn.Linear(3, 4), new nn.ReLU(), new nn.Linear(4, 2));
  model.call(x).sum().backward();
  const named = model.namedParameters();
  assert.is(await optim.findNonFiniteGrad(named), null);
  const bias = model.at(2).getParameter('bias')!;
  bias.setGrad(E.tensor([1, Infinity]));
  assert.is(await optim.findNonFiniteGrad(named), '2.bias');
  const w0 = model.at(0).getParameter('weight')!;
  const g = new Float32Array(12).fill(0.5);
  g[7] = NaN;
  w0.setGrad(E.tensor(g, [4, 3]));
  assert.is(await optim.findNonFiniteGrad(named), '0.weight');
  // Large finite values are not flagged.
  w0.setGrad(E.full([4, 3], 3e38));
  bias.setGrad(E.full([2], -3e38));
  assert.is(await optim.findNonFiniteGrad(named), null);
  // A NaN produced by backward itself.
  model.zeroGrad();
  const p = E.tensor([0, 1], undefined, { requiresGrad: true });
  p.log().mul(0).sum().backward();
  assert.is(await optim.findNonFiniteGrad([['p', p]]), 'p');
  model.dispose();
  p.dispose();
});

test.run();
