// nn modules: PyTorch state_dict names, loading PyTorch weights, train/eval behaviour, freezing,
// initialiser statistics. Golden values: test/golden/fixtures/nn.json (test/golden/optim_fixtures.py).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import * as E from '../src/engine/index.ts';
import { nn, type Tensor } from '../src/engine/index.ts';
import { assertClose, assertThrows } from './helpers.ts';

const { init } = nn;

interface NNFixture {
  input: { shape: number[]; values: number[] };
  stateDict: Record<string, { shape: number[]; dtype: string; values: number[] }>;
  eval: Record<'proj' | 'cls' | 'aux', number[]>;
  train: Record<'proj' | 'cls', number[]>;
  buffersAfterTrain: Record<string, number[]>;
}
const fx = JSON.parse(readFileSync(new URL('./golden/fixtures/nn.json', import.meta.url), 'utf8')) as NNFixture;

const test = suite('nn');
test.before(async () => {
  await E.init();
});
test.after(async () => {
  await E.shutdown();
});

// The twin of test/golden/optim_fixtures.py's Net: a custom block inside Sequential, a ModuleDict
// of heads and a ModuleList.
class Block extends nn.Module {
  readonly conv1: nn.Conv3d;
  readonly bn1: nn.BatchNorm3d;
  readonly relu: nn.ReLU;
  readonly conv2: nn.Conv3d;
  readonly bn2: nn.BatchNorm3d;
  readonly downsample: nn.Sequential | null;

  constructor(cin: number, cout: number, down: boolean) {
    super();
    this.conv1 = this.registerModule('conv1', new nn.Conv3d(cin, cout, 3, { padding: 1, bias: false }));
    this.bn1 = this.registerModule('bn1', new nn.BatchNorm3d(cout));
    this.relu = this.registerModule('relu', new nn.ReLU());
    this.conv2 = this.registerModule('conv2', new nn.Conv3d(cout, cout, 3, { padding: 1, bias: false }));
    this.bn2 = this.registerModule('bn2', new nn.BatchNorm3d(cout));
    this.downsample = this.registerModule('downsample', down ? new nn.Sequential(new nn.Conv3d(cin, cout, 1, { bias: false }), new nn.BatchNorm3d(cout)) : null);
  }

  override forward(x: Tensor): Tensor {
    return E.tidy(() => {
      const out = this.bn2.call(this.conv2.call(this.relu.call(this.bn1.call(this.conv1.call(x)))));
      const identity = this.downsample ? this.downsample.call(x) : x;
      return this.relu.call(out.add(identity));
    });
  }
}

type Heads = { proj: Tensor; cls: Tensor; aux: Tensor };

class Net extends nn.Module<[Tensor], Heads> {
  readonly stem = this.registerModule(
    'stem',
    new nn.Sequential(new nn.Conv3d(3, 4, [3, 5, 5], { stride: [1, 2, 2], padding: [1, 2, 2], bias: false }), new nn.BatchNorm3d(4), new nn.ReLU(), new nn.MaxPool3d(3, { stride: 2, padding: 1 })),
  );
  readonly layer1 = this.registerModule('layer1', new nn.Sequential(new Block(4, 4, false), new Block(4, 8, true)));
  readonly pool = this.registerModule('pool', new nn.AdaptiveAvgPool3d(1));
  readonly flatten = this.registerModule('flatten', new nn.Flatten());
  readonly heads = this.registerModule('heads', new nn.ModuleDict({ proj: new nn.Sequential(new nn.Linear(8, 16), new nn.BatchNorm1d(16), new nn.ReLU(), new nn.Linear(16, 4)), cls: new nn.Linear(8, 5) }));
  readonly aux = this.registerModule('aux', new nn.ModuleList([new nn.Linear(8, 3), new nn.Dropout(0.5), new nn.Linear(3, 2, { bias: false })]));

  override forward(x: Tensor): Heads {
    return E.tidy(() => {
      const f = this.flatten.call(this.pool.call(this.layer1.call(this.stem.call(x))));
      let a = f;
      for (const m of this.aux) a = m.call(a);
      return { proj: this.heads.get('proj').call(f), cls: this.heads.get('cls').call(f), aux: a };
    });
  }
}

function fixtureState(): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(fx.stateDict)) out[k] = E.tensor(v.values, v.shape, { dtype: v.dtype === 'int64' ? 'int32' : 'float32' });
  return out;
}

test('state_dict keys, order, shapes and dtypes match PyTorch for a nested model', () => {
  const net = new Net();
  const sd = net.stateDict();
  assert.equal(Object.keys(sd), Object.keys(fx.stateDict));
  for (const [k, t] of Object.entries(sd)) {
    assert.equal([...t.shape], fx.stateDict[k].shape, `${k} shape`);
    assert.is(t.dtype, fx.stateDict[k].dtype === 'int64' ? 'int32' : 'float32', `${k} dtype`);
  }
  const params = net.namedParameters().map(([n]) => n);
  assert.equal(params, Object.keys(fx.stateDict).filter((k) => !/running_|num_batches/.test(k)));
  assert.equal(net.parameters().length, params.length);
  assert.equal(net.namedBuffers().map(([n]) => n), Object.keys(fx.stateDict).filter((k) => /running_|num_batches/.test(k)));
  assert.ok(net.namedModules().some(([n, m]) => n === 'layer1.1.downsample.0' && m instanceof nn.Conv3d));
  assert.equal(net.layer1.at(0).namedChildren().map(([n]) => n), ['conv1', 'bn1', 'relu', 'conv2', 'bn2']);
  assert.equal(net.heads.keys(), ['proj', 'cls']);
  assert.is(net.aux.length, 3);
  assert.match(net.toString(), /\(layer1\): Sequential/);
  net.dispose();
});

test('registration rules: names, duplicates, shared parameters, non-persistent buffers', () => {
  class Tied extends nn.Module {
    readonly a = this.registerModule('a', new nn.Linear(2, 2));
    readonly b = this.registerModule('b', new nn.Linear(2, 2, { bias: false }));
    readonly scratch = this.registerBuffer('scratch', E.zeros([2]), { persistent: false });
    readonly steps = this.registerBuffer('steps', E.zeros([], { dtype: 'int32' }));
    constructor() {
      super();
      this.registerParameter('shared', this.a.weight);
    }
  }
  const m = new Tied();
  assert.equal(m.namedParameters().map(([n]) => n), ['shared', 'a.bias', 'b.weight'], 'a shared tensor is listed once, under its first name');
  assert.equal(Object.keys(m.stateDict()), ['shared', 'steps', 'a.weight', 'a.bias', 'b.weight'], 'state dict keeps both names, not non-persistent buffers');
  assert.equal(m.namedBuffers().map(([n]) => n), ['scratch', 'steps']);
  const shared = new nn.Linear(2, 2);
  const twice = new nn.Sequential(shared, new nn.ReLU(), shared);
  assert.equal(Object.keys(twice.stateDict()), ['0.weight', '0.bias', '2.weight', '2.bias'], 'a module registered twice is saved under both names');
  assert.equal(twice.namedParameters().map(([n]) => n), ['0.weight', '0.bias']);
  shared.dispose();
  assertThrows(() => m.registerParameter('a.b', E.zeros([1])), /invalid name/);
  assertThrows(() => m.registerBuffer('a', E.zeros([1])), /already registered/);
  assertThrows(() => m.registerParameter('i', E.zeros([1], { dtype: 'int32' })), /float32/);
  assertThrows(() => new nn.ModuleList().call(), /forward\(\) is not implemented/);
  assertThrows(() => new nn.Conv3d(3, 4, 3, { groups: 2 }), /groups/);
  m.dispose();
});

test('loading a PyTorch state_dict reproduces its outputs in eval and train mode', async () => {
  const net = new Net();
  const sd = fixtureState();
  const res = net.loadStateDict(sd);
  assert.equal(res, { missingKeys: [], unexpectedKeys: [] });
  Object.values(sd).forEach((t) => t.dispose());
  const x = E.tensor(fx.input.values, fx.input.shape);

  net.eval();
  assert.ok(net.modules().every((m) => !m.training));
  const ev = net.call(x);
  for (const k of ['proj', 'cls', 'aux'] as const) assertClose(await ev[k].data(), fx.eval[k], 2e-4, 2e-5, `eval ${k}`);
  const ev2 = net.call(x);
  assert.equal(await ev2.aux.data(), await ev.aux.data(), 'eval mode is deterministic (dropout off)');
  assert.equal([...(await net.stateDict()['stem.1.num_batches_tracked'].data())], [0], 'eval does not count batches');

  net.train();
  assert.ok(net.modules().every((m) => m.training));
  const tr = net.call(x);
  for (const k of ['proj', 'cls'] as const) assertClose(await tr[k].data(), fx.train[k], 2e-4, 2e-5, `train ${k}`);
  const after = net.stateDict();
  for (const [k, v] of Object.entries(fx.buffersAfterTrain)) assertClose(await after[k].data(), v, 2e-4, 2e-6, `buffer ${k} after a train step`);
  for (const t of [x, ev.proj, ev.cls, ev.aux, ev2.proj, ev2.cls, ev2.aux, tr.proj, tr.cls, tr.aux]) t.dispose();
  net.dispose();
});

test('loadStateDict: strict key checks, shapes, copies in place', async () => {
  E.manualSeed(1);
  const a = new nn.Sequential(new nn.Linear(3, 4), new nn.BatchNorm1d(4));
  E.manualSeed(2);
  const b = new nn.Sequential(new nn.Linear(3, 4), new nn.BatchNorm1d(4));
  const w = b.at(0).getParameter('weight')!;
  b.loadStateDict(a.stateDict());
  assert.is(b.at(0).getParameter('weight'), w, 'same tensor object, new values');
  assert.equal(await w.data(), await a.at(0).getParameter('weight')!.data());
  const partial = { '0.weight': a.stateDict()['0.weight'], extra: E.zeros([1]) };
  assertThrows(() => b.loadStateDict(partial), /missing keys \[0\.bias/, /unexpected keys \[extra\]/);
  const r = b.loadStateDict(partial, { strict: false });
  assert.ok(r.missingKeys.includes('1.running_var'));
  assert.equal(r.unexpectedKeys, ['extra']);
  assertThrows(() => b.loadStateDict({ ...a.stateDict(), '0.bias': E.zeros([5]) }), /'0\.bias' has shape \[5\]/);
  // A float counter (e.g. from a converted checkpoint) loads into the int32 buffer.
  b.loadStateDict({ ...a.stateDict(), '1.num_batches_tracked': E.tensor(7) });
  assert.equal([...(await b.stateDict()['1.num_batches_tracked'].data())], [7]);
  a.dispose();
  b.dispose();
});

test('Dropout and BatchNorm follow train() / eval()', async () => {
  const drop = new nn.Dropout(0.5, { generator: new E.Generator(5) });
  const x = E.ones([4000]);
  const yt = await drop.call(x).data();
  const zeros = yt.filter((v) => v === 0).length;
  assert.ok(zeros > 1700 && zeros < 2300, `about half dropped (${zeros})`);
  assert.ok(yt.every((v) => v === 0 || Math.abs(v - 2) < 1e-6), 'kept values scaled by 1/(1-p)');
  drop.eval();
  assert.is(drop.call(x), x, 'identity in eval mode');

  const bn = new nn.BatchNorm1d(3, { momentum: 0.5 });
  const data = E.tensor([[1, 10, -1], [3, 20, -1], [5, 60, -4], [7, 30, -2]]);
  const y = await bn.call(data).data();
  for (let c = 0; c < 3; c++) {
    const col = [0, 1, 2, 3].map((i) => y[i * 3 + c]);
    assertClose([col.reduce((s, v) => s + v, 0) / 4], [0], 0, 1e-5, 'batch-normalised mean');
  }
  assertClose(await bn.runningMean!.data(), [2, 15, -1], 1e-6, 1e-6, 'running mean (momentum 0.5)');
  assertClose(await bn.runningVar!.data(), [0.5 + 0.5 * (20 / 3), 0.5 + 0.5 * (1400 / 3), 0.5 + 0.5 * 2], 1e-5, 1e-5, 'running var (unbiased)');
  assert.equal([...(await bn.numBatchesTracked!.data())], [1]);
  bn.eval();
  const rm = await bn.runningMean!.data();
  const rv = await bn.runningVar!.data();
  const ye = await bn.call(data).data();
  const d = await data.data();
  const expect = Array.from(d, (v, i) => (v - rm[i % 3]) / Math.sqrt(rv[i % 3] + 1e-5));
  assertClose(ye, expect, 1e-5, 1e-5, 'eval uses the running statistics');
  assert.equal([...(await bn.numBatchesTracked!.data())], [1], 'eval does not count');
  assertClose(await bn.runningMean!.data(), rm, 0, 0, 'eval leaves running stats alone');
  const noStats = new nn.BatchNorm1d(3, { trackRunningStats: false, affine: false });
  assert.equal(Object.keys(noStats.stateDict()), []);
  noStats.eval();
  const yn = await noStats.call(data).data();
  assertClose([yn[0] + yn[3] + yn[6] + yn[9]], [0], 0, 1e-5, 'without running stats, eval uses batch statistics');
  assertThrows(() => bn.call(E.zeros([2, 4])), /expected 3 channels/);
  assertThrows(() => new nn.BatchNorm3d(3).call(E.zeros([2, 3, 4])), /5D/);
  for (const m of [drop, bn, noStats]) m.dispose();
});

test('freezing: requiresGrad_(false) keeps parameters listed but without gradients', () => {
  E.manualSeed(4);
  const model = new nn.Sequential(new nn.Linear(3, 4), new nn.ReLU(), new nn.Linear(4, 1));
  model.at(0).requiresGrad_(false);
  assert.is(model.parameters().length, 4);
  assert.is(model.numParameters(), 21);
  assert.is(model.numParameters(true), 5);
  E.tidy(() => model.call(E.ones([2, 3])).sum()).backward();
  const grads = model.namedParameters().map(([n, p]) => [n, p.grad !== null]);
  assert.equal(grads, [['0.weight', false], ['0.bias', false], ['2.weight', true], ['2.bias', true]]);
  model.zeroGrad();
  assert.ok(model.parameters().every((p) => p.grad === null));
  model.dispose();
});

test('dispose frees every parameter and buffer', async () => {
  await E.sync();
  const before = E.memory().liveTensors;
  const net = new Net();
  assert.ok(E.memory().liveTensors > before);
  net.dispose();
  assert.is(E.memory().liveTensors, before);
});

// ---- initialisers ----

function stats(v: ArrayLike<number>): { mean: number; std: number; min: number; max: number } {
  let s = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < v.length; i++) {
    s += v[i];
    min = Math.min(min, v[i]);
    max = Math.max(max, v[i]);
  }
  const mean = s / v.length;
  let q = 0;
  for (let i = 0; i < v.length; i++) q += (v[i] - mean) ** 2;
  return { mean, std: Math.sqrt(q / v.length), min, max };
}

function checkUniform(v: ArrayLike<number>, bound: number, what: string): void {
  const s = stats(v);
  assert.ok(s.min >= -bound && s.max <= bound, `${what}: within ±${bound} (got ${s.min}, ${s.max})`);
  assert.ok(s.max > 0.98 * bound && s.min < -0.98 * bound, `${what}: fills the range`);
  assert.ok(Math.abs(s.mean) < 0.02 * bound, `${what}: mean ${s.mean}`);
  assertClose([s.std], [bound / Math.sqrt(3)], 0.03, 0, `${what}: std`);
}

function checkNormal(v: ArrayLike<number>, std: number, what: string): void {
  const s = stats(v);
  assert.ok(Math.abs(s.mean) < 0.02 * std, `${what}: mean ${s.mean}`);
  assertClose([s.std], [std], 0.03, 0, `${what}: std`);
}

test('fan and gain follow PyTorch', () => {
  assert.equal(init.calculateFanInAndFanOut([64, 32, 3, 7, 7]), { fanIn: 32 * 147, fanOut: 64 * 147 });
  assert.equal(init.calculateFanInAndFanOut([10, 20]), { fanIn: 20, fanOut: 10 });
  assertThrows(() => init.calculateFanInAndFanOut([5]), /fewer than 2 dimensions/);
  assert.is(init.calculateGain('relu'), Math.SQRT2);
  assert.is(init.calculateGain('tanh'), 5 / 3);
  assert.is(init.calculateGain('linear'), 1);
  assert.is(init.calculateGain('conv3d'), 1);
  assert.is(init.calculateGain('selu'), 0.75);
  assertClose([init.calculateGain('leaky_relu')], [Math.sqrt(2 / (1 + 0.01 ** 2))], 1e-15);
  assertClose([init.calculateGain('leaky_relu', Math.sqrt(5))], [Math.sqrt(2 / 6)], 1e-15);
});

test('kaiming and xavier initialisers: bounds and statistics match the formulas', async () => {
  const shape = [64, 32, 3, 3, 3]; // fan_in 864, fan_out 1728; 55,296 values
  const t = E.zeros(shape);
  const g = new E.Generator(11);
  init.kaimingUniform_(t, { generator: g });
  checkUniform(await t.data(), Math.sqrt(3) * Math.sqrt(2 / (1 + 0)) / Math.sqrt(864), 'kaimingUniform_ (a = 0)');
  init.kaimingUniform_(t, { mode: 'fan_out', nonlinearity: 'relu', generator: g });
  checkUniform(await t.data(), Math.sqrt(3) * Math.SQRT2 / Math.sqrt(1728), 'kaimingUniform_ (fan_out, relu)');
  init.kaimingNormal_(t, { mode: 'fan_out', nonlinearity: 'relu', generator: g });
  checkNormal(await t.data(), Math.SQRT2 / Math.sqrt(1728), 'kaimingNormal_');
  init.xavierUniform_(t, { generator: g });
  checkUniform(await t.data(), Math.sqrt(6 / (864 + 1728)), 'xavierUniform_');
  init.xavierNormal_(t, { gain: init.calculateGain('tanh'), generator: g });
  checkNormal(await t.data(), (5 / 3) * Math.sqrt(2 / (864 + 1728)), 'xavierNormal_ (gain tanh)');
  init.constant_(t, 0.25);
  assert.ok((await t.data()).every((v) => v === 0.25));
  t.dispose();
  assertThrows(() => init.kaimingUniform_(E.zeros([3, 3], { dtype: 'int32' })), /float32/);
});

test('default Linear / Conv3d initialisation: U(±1/√fan_in) weights and biases, seedable', async () => {
  const conv = new nn.Conv3d(16, 200, [3, 3, 3], { generator: new E.Generator(3) }); // fan_in 432, 86,400 weights
  const bound = 1 / Math.sqrt(432);
  checkUniform(await conv.weight.data(), bound, 'Conv3d weight');
  const b = await conv.bias!.data();
  assert.ok(b.every((v) => Math.abs(v) <= bound) && stats(b).std > 0.3 * bound, 'Conv3d bias U(±1/√fan_in)');
  const lin = new nn.Linear(300, 250, { generator: new E.Generator(3) });
  checkUniform(await lin.weight.data(), 1 / Math.sqrt(300), 'Linear weight');
  assert.ok((await lin.bias!.data()).every((v) => Math.abs(v) <= 1 / Math.sqrt(300)));
  // Seeding: the same seed gives the same weights, through a Generator or manualSeed.
  const same = new nn.Linear(300, 250, { generator: new E.Generator(3) });
  assert.equal(await same.weight.data(), await lin.weight.data());
  E.manualSeed(9);
  const m1 = new nn.Linear(5, 5);
  E.manualSeed(9);
  const m2 = new nn.Linear(5, 5);
  const m3 = new nn.Linear(5, 5);
  assert.equal(await m1.weight.data(), await m2.weight.data());
  assert.not.equal(await m3.weight.data(), await m2.weight.data());
  for (const m of [conv, lin, same, m1, m2, m3]) m.dispose();
});

test('layers: shapes and wiring', async () => {
  const x = E.randn([2, 3, 4, 8, 8]);
  const seq = new nn.Sequential(new nn.Conv3d(3, 6, 3, { stride: [1, 2, 2], padding: 1 }), new nn.BatchNorm3d(6), new nn.ReLU(), new nn.MaxPool3d(2), new nn.AvgPool3d([1, 2, 2]), new nn.AdaptiveAvgPool3d([1, 1, 1]), new nn.Flatten(), new nn.Linear(6, 2));
  const y = seq.call(x);
  assert.equal([...y.shape], [2, 2]);
  assert.is(seq.length, 8);
  assert.instance(seq.at(-1), nn.Linear);
  const lin = seq.at(-1) as nn.Linear;
  const f = E.tensor([[1, 2, 3, 4, 5, 6]]);
  assertClose(await lin.call(f).data(), await E.F.linear(f, lin.weight, lin.bias).data(), 0, 0, 'Linear = F.linear');
  assert.is(new nn.Identity().call(f), f);
  assert.equal([...new nn.Flatten(0).call(f).shape], [6]);
  y.sum().backward();
  assert.ok(seq.parameters().every((p) => p.grad !== null), 'every parameter gets a gradient');
  const dict = new nn.ModuleDict([['b', new nn.ReLU()], ['a', new nn.ReLU()]]);
  assert.equal(dict.keys(), ['b', 'a']);
  assert.ok(dict.has('a') && !dict.has('c'));
  assertThrows(() => dict.get('c'), /no module 'c'/);
  seq.dispose();
});

test.run();
