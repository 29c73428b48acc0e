// End-to-end equivalence with PyTorch: a small 3D CNN (conv-bn-relu-pool ×2 + linear), initial
// weights loaded from a safetensors file written by PyTorch, trained for a few steps with SGD
// (momentum, weight decay) and with AdamW, must give PyTorch's losses and final weights.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import * as E from '../src/engine/index.ts';
import { loadSafetensorsFile } from '../src/platform/node-files.ts';

const { nn, optim } = E;
const fixture = JSON.parse(readFileSync(new URL('./golden/fixtures/train.json', import.meta.url), 'utf8'));
const INIT = new URL('./golden/fixtures/train_init.safetensors', import.meta.url).pathname;

const test = suite('train like PyTorch');
test.before(async () => {
  await E.init();
});
test.after(async () => {
  await E.shutdown();
});

function makeModel() {
  return new nn.Sequential(
    new nn.Conv3d(3, 6, 3, { padding: 1, bias: false }), new nn.BatchNorm3d(6), new nn.ReLU(), new nn.MaxPool3d(2),
    new nn.Conv3d(6, 8, [1, 3, 3], { padding: [0, 1, 1], bias: false }), new nn.BatchNorm3d(8), new nn.ReLU(), new nn.AdaptiveAvgPool3d(1),
    new nn.Flatten(), new nn.Linear(8, 5),
  );
}

async function run(kind: 'sgd' | 'adamw') {
  const model = makeModel();
  const report = E.loadStateDict(model.stateDict(), await loadSafetensorsFile(INIT));
  assert.equal([report.missing, report.unexpected, report.mismatched], [[], [], []]);
  model.train();
  const opt = kind === 'sgd'
    ? new optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9, weightDecay: 1e-3 })
    : new optim.AdamW(model.parameters(), { lr: 0.01, weightDecay: 0.05 });
  const x = E.tensor(fixture.x.data, fixture.x.shape);
  const y = E.tensor(fixture.y, undefined, { dtype: 'int32' });
  const losses: number[] = [];
  for (let step = 0; step < fixture.steps; step++) {
    opt.zeroGrad();
    const loss = E.tidy(() => {
      const l = E.F.crossEntropy(model.call(x), y);
      l.backward();
      return l.detach();
    });
    opt.step();
    losses.push((await loss.data())[0]);
    loss.dispose();
  }
  const expected = fixture[kind];
  for (let i = 0; i < losses.length; i++) {
    assert.ok(Math.abs(losses[i] - expected.losses[i]) <= 1e-4 * Math.abs(expected.losses[i]), `${kind} step ${i}: loss ${losses[i]} vs PyTorch ${expected.losses[i]}`);
  }
  const state = model.stateDict();
  for (const [name, values] of Object.entries(expected.final as Record<string, number[]>)) {
    const got = await state[name].data();
    let scale = 0;
    for (const v of values) scale = Math.max(scale, Math.abs(v));
    for (let i = 0; i < values.length; i++) {
      assert.ok(Math.abs(got[i] - values[i]) <= 2e-4 * scale + 1e-6, `${kind} ${name}[${i}]: ${got[i]} vs PyTorch ${values[i]}`);
    }
  }
  console.log(`note: ${kind} losses ${losses.map((l) => l.toFixed(5)).join(' ')} (PyTorch ${expected.losses.map((l: number) => l.toFixed(5)).join(' ')})`);
  model.dispose();
  opt.zeroGrad();
}

test('SGD with momentum and weight decay: same losses and weights as PyTorch', async () => {
  await run('sgd');
});

test('AdamW: same losses and weights as PyTorch', async () => {
  await run('adamw');
});

test.run();
