// 3D-CNN ops (conv3d/conv2d, pooling, batch norm): forward and gradients against PyTorch golden
// values and against finite differences of float64 references.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import * as E from '../src/engine/index.ts';
import { runCnnGolden, runCnnGradcheck, type CnnResult } from './cases/cnn.ts';
import { setConvAlgorithm, type ConvAlgorithm } from '../src/engine/ops/conv.ts';

const fixture = JSON.parse(readFileSync(new URL('./golden/fixtures/cnn.json', import.meta.url), 'utf8'));
const test = suite('cnn ops');
test.before(async () => {
  await E.init();
});
test.after(async () => {
  await E.shutdown();
});

function expectAllOk(results: CnnResult[], what: string): void {
  assert.ok(results.length > 0, `no ${what} cases ran`);
  const bad = results.filter((r) => !r.ok);
  assert.ok(bad.length === 0, `${bad.length}/${results.length} ${what} cases failed:\n${bad.map((r) => r.message).join('\n')}`);
}

for (const family of ['conv3d', 'conv2d', 'maxpool', 'avgpool', 'adaptivepool', 'batchnorm']) {
  test(`${family}: forward and gradients match PyTorch`, async () => {
    expectAllOk(await runCnnGolden(E, fixture, `${family}_`), family);
  });
}

// Both convolution algorithms must give the same (PyTorch's) results, whichever the adapter picks.
for (const algorithm of ['implicit', 'im2col'] as ConvAlgorithm[]) {
  test(`conv3d/conv2d with the ${algorithm} algorithm match PyTorch and finite differences`, async () => {
    setConvAlgorithm(algorithm);
    try {
      expectAllOk([...(await runCnnGolden(E, fixture, 'conv')), ...(await runCnnGradcheck(E, 'conv'))], `${algorithm} conv`);
    } finally {
      setConvAlgorithm(null);
    }
  });
}

test('conv3d, pools and batch norm gradients match finite differences', async () => {
  expectAllOk(await runCnnGradcheck(E), 'finite-difference');
});

test('conv3d errors name the op and shapes before any work', () => {
  const x = E.zeros([1, 3, 4, 4, 4]);
  const w = E.zeros([2, 2, 3, 3, 3]);
  assert.throws(() => E.F.conv3d(x, w), /conv3d.*\[2, 2, 3, 3, 3\].*expects 2 input channels.*\[1, 3, 4, 4, 4\]/);
  assert.throws(() => E.F.conv3d(x, E.zeros([2, 3, 5, 5, 5])), /too small/);
  assert.throws(() => E.F.conv3d(x, E.zeros([2, 3, 1, 1, 1]), null, { stride: 0 }), /stride/);
  assert.throws(() => E.F.conv3d(x, E.zeros([2, 1, 1, 1, 1]), null, { groups: 2 }), /groups/);
  assert.throws(() => E.F.maxPool3d(x, { kernelSize: 2, padding: 2 }), /padding/);
  assert.throws(() => E.F.batchNorm(x, E.zeros([4]), E.ones([3]), null, null), /runningMean must be \[3\]/);
  assert.throws(() => E.F.batchNorm(E.zeros([1, 3]), null, null, null, null, { training: true }), /more than 1 value per channel/);
});

test.run();
