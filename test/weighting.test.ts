// Loss weightings: fixed (reference defaults), uncertainty (total and s-gradients against PyTorch),
// DWA (weights after given loss histories), GradNorm (weights after one and two updates on a toy
// model against PyTorch's autograd.grad norms), per-term enable / warm-up schedules, the registry.
// Fixtures: test/golden/fixtures/plugin.json (test/golden/plugin_fixtures.py).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import * as E from '../src/engine/index.ts';
import { tensor, type Tensor } from '../src/engine/index.ts';
import { weightings, scheduleFactor, partialGradNorm, REFERENCE_WEIGHTS, type DwaWeighting, type GradNormWeighting, type UncertaintyWeighting } from '../src/plugins/weighting/index.ts';
import { assertClose, assertThrows } from './helpers.ts';

interface T { shape: number[]; values: number[] }
const fx = JSON.parse(readFileSync(new URL('./golden/fixtures/plugin.json', import.meta.url), 'utf8'));
const t = (x: T, requiresGrad = false): Tensor => tensor(Float32Array.from(x.values), x.shape, { requiresGrad });
const num = async (x: Tensor): Promise<number> => (await x.data())[0];
const scalars = (o: Record<string, number>): Record<string, Tensor> => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, tensor(v)]));
const ctx0 = { step: 0, sharedParameters: [] };

const test = suite('loss weighting');
test.before(async () => {
  await E.init();
});
test.after(async () => {
  await E.shutdown();
});

test('registry and option errors', () => {
  assert.equal(weightings.names(), ['dwa', 'fixed', 'gradnorm', 'uncertainty']);
  assertThrows(() => weightings.build({ type: 'dwa', temperature: -1 }, {}), /loss weighting 'dwa'/, /temperature/);
  assertThrows(() => weightings.build({ type: 'fixed', schedule: { spatial: { start: -2 } } }, {}), /schedule/);
});

test('fixed: reference defaults, overrides, total', async () => {
  assert.equal(REFERENCE_WEIGHTS, { contrastive: 0.1, spatial: 1, temporal: 1, speed: 1, rotation: 1 });
  const w = weightings.build('fixed', {});
  const r = w.combine(scalars({ contrastive: 2, spatial: 1.5, temporal: 0.5, speed: 1, rotation: 3, order: 2 }), ctx0);
  assert.equal(r.weights, { contrastive: 0.1, spatial: 1, temporal: 1, speed: 1, rotation: 1, order: 1 });
  assertClose([await num(r.total)], [0.2 + 1.5 + 0.5 + 1 + 3 + 2], 1e-6);
  const w2 = weightings.build({ type: 'fixed', weights: { spatial: 0.5 }, default: 0 }, {});
  const r2 = w2.combine(scalars({ contrastive: 2, spatial: 4, order: 7 }), ctx0);
  assert.equal(r2.weights, { contrastive: 0.1, spatial: 0.5, order: 0 });
  assertClose([await num(r2.total)], [2.2], 1e-6);
});

test('schedules: enable after N steps, linear warm-up, end; off terms leave the total (NaN-safe)', async () => {
  assertClose([0, 4, 5, 6, 9, 14, 15, 20].map((s) => scheduleFactor({ start: 5, warmup: 4, end: 20 }, s)), [0, 0, 0.25, 0.5, 1, 1, 1, 0]);
  assert.is(scheduleFactor(undefined, 3), 1);
  const w = weightings.build({ type: 'fixed', schedule: { spatial: { start: 10 }, temporal: { warmup: 4 } } }, {});
  const losses = { contrastive: tensor(1), spatial: tensor(NaN), temporal: tensor(2) };
  const r = w.combine(losses, { step: 1, sharedParameters: [] });
  assert.equal(r.weights, { contrastive: 0.1, spatial: 0, temporal: 0.5 });
  assertClose([await num(r.total)], [0.1 + 1], 1e-6);
  const r2 = w.combine({ ...losses, spatial: tensor(3) }, { step: 10, sharedParameters: [] });
  assert.equal(r2.weights, { contrastive: 0.1, spatial: 1, temporal: 1 });
});

test('uncertainty: L/(2·exp(s)) + s/2 with s₀ = −0.5; total, gradients and weights equal PyTorch', async () => {
  const f = fx.uncertainty;
  const w = weightings.build({ type: 'uncertainty', terms: ['a', 'b', 'c'] }, {}) as UncertaintyWeighting;
  assert.is(w.parameters().length, 3);
  assertClose(await w.logVars.a.data(), [-0.5]);
  E.noGrad(() => ['a', 'b', 'c'].forEach((k, i) => w.logVars[k].assign(tensor(f.s[i]))));
  const r = w.combine(scalars({ a: f.losses[0], b: f.losses[1], c: f.losses[2] }), ctx0);
  assertClose([await num(r.total)], [f.total], 1e-5);
  r.total.backward();
  assertClose(await Promise.all(['a', 'b', 'c'].map((k) => num(w.logVars[k].grad!))), f.grad, 1e-5, 1e-6);
  assert.equal(Object.keys(r.weightTensors!), ['a', 'b', 'c']);
  assertClose(await Promise.all(['a', 'b', 'c'].map((k) => num(r.weightTensors![k]))), f.weights, 1e-5);
  assertThrows(() => w.combine(scalars({ d: 1 }), ctx0), /no log variance for loss term 'd'/);
  const def = weightings.build('uncertainty', {}) as UncertaintyWeighting;
  assert.equal(def.terms, ['contrastive', 'spatial', 'temporal', 'speed', 'rotation', 'order']);
});

test('DWA: K·softmax((L(t−1)/L(t−2))/T) after given loss histories; windows', async () => {
  const w = weightings.build('dwa', {}) as DwaWeighting;
  const terms = { a: tensor(1), b: tensor(1), c: tensor(1) };
  assert.equal(w.combine(terms, ctx0).weights, { a: 1, b: 1, c: 1 });
  w.observe({ a: 2, b: 1, c: 4 });
  assert.equal(w.combine(terms, ctx0).weights, { a: 1, b: 1, c: 1 });
  w.observe({ a: 1, b: 1, c: 6 });
  // ratios 0.5, 1, 1.5 over T = 2
  const e = [0.25, 0.5, 0.75].map(Math.exp);
  const z = e[0] + e[1] + e[2];
  const r = w.combine(terms, ctx0);
  assertClose([r.weights.a, r.weights.b, r.weights.c], e.map((x) => (3 * x) / z), 1e-12);
  assertClose([r.weights.a + r.weights.b + r.weights.c], [3], 1e-12);
  assertClose([await num(r.total)], [3], 1e-6);
  // Window of 2 steps: means (2+4)/2 = 3 then (1+2)/2 = 1.5 for a; b constant.
  const wd = weightings.build({ type: 'dwa', period: 2, temperature: 1 }, {}) as DwaWeighting;
  for (const [a, b] of [[2, 1], [4, 1], [1, 1], [2, 1]]) wd.observe({ a, b });
  assert.equal(wd.history, [{ a: 3, b: 1 }, { a: 1.5, b: 1 }]);
  const ea = Math.exp(0.5);
  const eb = Math.exp(1);
  const rd = wd.combine({ a: tensor(1), b: tensor(1) }, ctx0);
  assertClose([rd.weights.a, rd.weights.b], [(2 * ea) / (ea + eb), (2 * eb) / (ea + eb)], 1e-12);
  const state = wd.stateDict();
  const wr = weightings.build({ type: 'dwa', period: 2, temperature: 1 }, {}) as DwaWeighting;
  wr.loadStateDict(JSON.parse(JSON.stringify(state)));
  assert.equal(wr.combine({ a: tensor(1), b: tensor(1) }, ctx0).weights, rd.weights);
});

test('GradNorm: per-term gradient norms at the shared layer, weights after two updates equal PyTorch', async () => {
  const f = fx.gradnorm;
  const W = t(f.W, true);
  const ha = t(f.ha, true);
  const hb = t(f.hb, true);
  const x = t(f.x);
  const make = () => {
    const h = x.matmul(W.transpose(0, 1));
    return { a: h.matmul(ha).pow(2).mean(), b: h.matmul(hb).abs().mean() };
  };
  const losses = make();
  assertClose([await num(losses.a), await num(losses.b)], f.losses, 1e-5);
  // The per-term norm leaves every .grad as it was.
  const na = partialGradNorm(losses.a, [W]);
  assertClose([await num(na), await num(partialGradNorm(losses.b, [W]))], f.norms, 1e-4, 1e-6);
  assert.is(W.grad, null);
  assert.is(ha.grad, null);
  const g = weightings.build('gradnorm', {}) as GradNormWeighting;
  const r1 = g.combine(losses, { step: 0, sharedParameters: [W] });
  assertClose(await Promise.all(['a', 'b'].map((k) => num(r1.weightTensors![k]))), [1, 1]);
  assertClose([await num(r1.total)], [f.losses[0] + f.losses[1]], 1e-5);
  assertClose(await g.w!.data(), f.w1, 1e-4, 1e-6);
  r1.total.backward(); // the graph survived the per-term passes; heads get only the total's gradients
  assert.ok(ha.grad && hb.grad && W.grad);
  // Second update with L(0) = given initial losses (r_i ≠ 1).
  g.observe({ a: f.l0[0], b: f.l0[1] });
  const r2 = g.combine(make(), { step: 1, sharedParameters: [W] });
  assertClose([await num(r2.weightTensors!.a), await num(r2.weightTensors!.b)], f.w1, 1e-4, 1e-6);
  assertClose(await g.w!.data(), f.w2, 1e-4, 1e-6);
  assertClose([Array.from(await g.w!.data()).reduce((s, v) => s + v, 0)], [2], 1e-5);
  // State round trip (what a checkpoint holds): JSON terms and L(0), the weights as a tensor.
  const state = g.stateDict();
  assert.equal(Object.keys(state).sort(), ['initial', 'terms', 'w']);
  assert.instance(state.w, E.Tensor);
  const json = JSON.parse(JSON.stringify({ terms: state.terms, initial: state.initial }));
  assert.equal(json, { terms: ['a', 'b'], initial: { a: f.l0[0], b: f.l0[1] } });
  const copy = (state.w as Tensor).clone();
  const g2 = weightings.build('gradnorm', {}) as GradNormWeighting;
  g2.loadStateDict({ ...json, w: copy });
  copy.dispose(); // the weighting keeps its own copy
  assertClose(await g2.w!.data(), await g.w!.data(), 0, 0);
  const r3 = g.combine(make(), { step: 2, sharedParameters: [W] });
  const r3b = g2.combine(make(), { step: 2, sharedParameters: [W] });
  assertClose([await num(r3b.weightTensors!.a), await num(r3b.weightTensors!.b)], [await num(r3.weightTensors!.a), await num(r3.weightTensors!.b)], 0, 0);
  assertClose(await g2.w!.data(), await g.w!.data(), 0, 0);
  assertThrows(() => g2.loadStateDict({ terms: ['a'], initial: {}, w: tensor([1, 1]) }), /gradnorm/, /shape/);
  g.dispose();
  g2.dispose();
  assert.is(g.w, null);
});

test.run();
