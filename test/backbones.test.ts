// Backbones (src/plugins/backbones): registry options, parameter counts and state_dict keys equal to
// the PyTorch/torchvision models built by test/golden/backbone_fixtures.py (torchvision's r3d_18 and
// r2plus1d_18 without fc: 33,166,272 and 31,300,125 parameters), output shapes, and forward
// equality with PyTorch (eval and train mode) for narrow R(2+1)D-10 and tiny nets given the same weights.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import * as E from '../src/engine/index.ts';
import { loadSafetensorsFile } from '../src/platform/node-files.ts';
import { backbones, countParameters, midPlanes } from '../src/plugins/backbones/index.ts';
import type { Backbone } from '../src/plugins/types.ts';
import { assertClose, assertThrows } from './helpers.ts';

interface ModelFixture {
  type: string;
  layers?: number[];
  width?: number;
  params: number;
  keys: Array<[string, number[]]>;
}
const fixture = JSON.parse(readFileSync(new URL('./golden/fixtures/backbones.json', import.meta.url), 'utf8')) as {
  models: Record<string, ModelFixture>;
  forward: Record<string, { weights: string; bn: string[] }>;
};
const fixturePath = (name: string) => new URL(`./golden/fixtures/${name}`, import.meta.url).pathname;

const test = suite('backbones');
test.before(async () => {
  await E.init();
});
test.after(async () => {
  await E.shutdown();
});

function configOf(m: ModelFixture) {
  return { type: m.type, ...(m.layers ? { layers: m.layers } : {}), ...(m.width ? { width: m.width } : {}) };
}

test('registry: names, defaults matching the reference, option errors', () => {
  assert.equal(backbones.names(), ['c3d', 'r2plus1d', 'r3d', 'tiny']);
  const parse = (type: string, o: object) => backbones.spec(type).schema.parse(o);
  assert.equal(parse('r2plus1d', {}), { layers: [1, 1, 1, 1], width: 64 });
  assert.equal(parse('r3d', {}), { layers: [1, 1, 1, 1], width: 64 });
  assert.equal(parse('r3d', { layers: [2, 2, 2, 2] }), { layers: [2, 2, 2, 2], width: 64 });
  assert.equal(parse('c3d', {}), { width: 64 });
  assert.equal(parse('tiny', {}), { width: 16, residual: 4 });
  assertThrows(() => backbones.build({ type: 'r3d', layers: [2, 2, 2] }, {}), /backbone 'r3d'/, /layers/);
  assertThrows(() => backbones.build({ type: 'r2plus1d', layers: [1, 0, 1, 1] }, {}), /backbone 'r2plus1d'/, /layers\.1/);
  assertThrows(() => backbones.build({ type: 'tiny', widht: 8 }, {}), /backbone 'tiny'/, /widht/);
  assertThrows(() => backbones.build({ type: 'resnet50' }, {}), /unknown backbone 'resnet50'/);
});

test('midplanes follow ⌊t·d²·Cin·Cout / (d²·Cin + t·Cout)⌋ (torchvision)', () => {
  assert.is(midPlanes(64, 64), 144);
  assert.is(midPlanes(64, 128), 230);
  assert.is(midPlanes(128, 256), 460);
  assert.is(midPlanes(256, 512), 921);
});

// Full-size models: building allocates (and initialises) every weight, a few seconds each on a
// software adapter; skipInit leaves out the backbone's own second initialisation pass.
for (const name of ['r3d18', 'r2plus1d18', 'r3d10', 'r2plus1d10', 'c3d', 'tiny', 'r3d10_w8', 'r2plus1d10_w8', 'c3d_w8', 'tiny_w8']) {
  test(`${name}: parameter count and state_dict keys and shapes equal PyTorch's`, async () => {
    const ref = fixture.models[name];
    const model = backbones.build(configOf(ref), { skipInit: true });
    try {
      const n = countParameters(model);
      console.log(`note: ${name} ${JSON.stringify(configOf(ref))}: ${n.toLocaleString('en-US')} parameters (PyTorch ${ref.params.toLocaleString('en-US')})`);
      assert.is(n, ref.params);
      const sd = Object.entries(model.stateDict()).map(([k, t]) => [k, [...t.shape]]);
      assert.equal(sd, ref.keys);
      assert.is(model.featureDim, 8 * (ref.width ?? (ref.type === 'tiny' ? 16 : 64)));
    } finally {
      model.dispose();
    }
  });
}

test('torchvision counts: r3d_18 33,166,272 and r2plus1d_18 31,300,125 without fc', () => {
  assert.is(fixture.models.r3d18.params, 33_166_272);
  assert.is(fixture.models.r2plus1d18.params, 31_300_125);
});

test('output shapes: [N, featureDim] for every backbone on small clips', async () => {
  const cases: Array<[object, number[]]> = [
    [{ type: 'tiny' }, [2, 3, 16, 64, 64]],
    [{ type: 'tiny', width: 8 }, [1, 3, 8, 112, 112]],
    [{ type: 'r3d', layers: [1, 1, 1, 1], width: 8 }, [2, 3, 8, 32, 32]],
    [{ type: 'r3d', layers: [2, 1, 2, 1], width: 4 }, [2, 3, 4, 16, 16]],
    [{ type: 'r2plus1d', layers: [2, 2, 2, 2], width: 4 }, [2, 3, 8, 32, 32]],
    [{ type: 'c3d', width: 4 }, [2, 3, 16, 32, 32]],
  ];
  for (const [cfg, shape] of cases) {
    const model = backbones.build(cfg as { type: string }, { generator: new E.Generator(1) });
    for (const mode of ['train', 'eval'] as const) {
      model[mode]();
      const y = E.noGrad(() => E.tidy(() => model.call(E.randn(shape))));
      assert.equal([...y.shape], [shape[0], model.featureDim], `${JSON.stringify(cfg)} ${mode}`);
      const v = await y.data();
      assert.ok(Array.from(v).every(Number.isFinite), `${JSON.stringify(cfg)}: finite features`);
      y.dispose();
    }
    model.dispose();
  }
  assertThrows(() => {
    const m = backbones.build({ type: 'tiny', width: 2 }, {});
    try {
      m.call(E.zeros([1, 4, 8, 16, 16]));
    } finally {
      m.dispose();
    }
  }, /tiny/, /\[N, 3, T, H, W\]/);
});

async function forwardEquality(name: string) {
  const ref = fixture.models[name];
  const fw = fixture.forward[name];
  const model: Backbone = backbones.build(configOf(ref), { skipInit: true });
  const report = E.loadStateDict(model.stateDict(), await loadSafetensorsFile(fixturePath(fw.weights)));
  assert.equal([report.missing, report.unexpected, report.mismatched], [[], [], []]);
  const io = (await loadSafetensorsFile(fixturePath('backbone_io.safetensors'))).tensors;
  const xe = io.get('x')!;
  const x = E.tensor(xe.data as Float32Array, xe.shape);
  const check = async (mode: 'eval' | 'train') => {
    model[mode]();
    const y = E.noGrad(() => E.tidy(() => model.call(x)));
    const e = io.get(`${name}.${mode}`)!;
    assert.equal([...y.shape], e.shape);
    const got = await y.data();
    let scale = 0;
    for (const v of e.data) scale = Math.max(scale, Math.abs(v));
    assertClose(got as Float32Array, e.data as Float32Array, 1e-3, 1e-4 * scale, `${name} ${mode} features`);
    y.dispose();
  };
  await check('eval');
  await check('train');
  const sd = model.stateDict();
  for (const bn of fw.bn) {
    for (const stat of ['running_mean', 'running_var']) {
      const e = io.get(`${name}.after.${bn}.${stat}`)!;
      assertClose(await sd[`${bn}.${stat}`].data() as Float32Array, e.data as Float32Array, 1e-3, 1e-5, `${name} ${bn}.${stat} after the train pass`);
    }
  }
  x.dispose();
  model.dispose();
}

test('R(2+1)D-10 (width 8) equals PyTorch in eval and train mode with the same weights', async () => {
  await forwardEquality('r2plus1d10_w8');
});

test('tiny (width 8) equals PyTorch in eval and train mode with the same weights', async () => {
  await forwardEquality('tiny_w8');
});

test('lastSharedParameters: the last conv/BN of the last stage, and they receive gradients', async () => {
  const expected: Record<string, string[]> = {
    r3d: ['layer4.1.conv2.0.weight', 'layer4.1.conv2.1.weight', 'layer4.1.conv2.1.bias'],
    r2plus1d: ['layer4.0.conv2.0.3.weight', 'layer4.0.conv2.1.weight', 'layer4.0.conv2.1.bias'],
    c3d: ['conv5b.weight', 'conv5b.bias', 'bn5b.weight', 'bn5b.bias'],
    tiny: ['layer3.3.weight', 'layer3.4.weight', 'layer3.4.bias'],
  };
  const configs: Record<string, object> = {
    r3d: { type: 'r3d', layers: [1, 1, 1, 2], width: 4 },
    r2plus1d: { type: 'r2plus1d', width: 4 },
    c3d: { type: 'c3d', width: 2 },
    tiny: { type: 'tiny', width: 4 },
  };
  for (const [type, names] of Object.entries(expected)) {
    const model = backbones.build(configs[type] as { type: string }, {});
    const byTensor = new Map(model.namedParameters().map(([k, t]) => [t, k]));
    assert.equal(model.lastSharedParameters().map((t) => byTensor.get(t)), names, type);
    model.train();
    const x = E.randn([2, 3, 8, 16, 16]);
    E.tidy(() => model.call(x).pow(2).mean().backward());
    for (const p of model.parameters()) assert.ok(p.grad, `${type}: every parameter gets a gradient`);
    const g = await model.lastSharedParameters()[0].grad!.abs().sum().data();
    assert.ok(g[0] > 0, `${type}: nonzero gradient at the shared layer`);
    x.dispose();
    model.dispose();
  }
});

test('build, forward (train and eval), backward and dispose leave no live tensors', async () => {
  const before = E.memory().liveTensors;
  for (const cfg of [{ type: 'tiny', width: 4 }, { type: 'r2plus1d', width: 4 }, { type: 'r3d', width: 4 }, { type: 'c3d', width: 2 }]) {
    const model = backbones.build(cfg, {});
    const x = E.randn([2, 3, 8, 16, 16]);
    E.tidy(() => model.call(x).sum().backward());
    model.eval();
    const y = E.noGrad(() => model.call(x));
    await y.data();
    y.dispose();
    x.dispose();
    model.dispose();
    assert.is(E.memory().liveTensors, before, `${cfg.type}: live tensors after dispose`);
  }
});

test.run();
