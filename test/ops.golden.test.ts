// Every op, forward and input gradients, against PyTorch float64 golden values
// (test/golden/fixtures/ops.json, regenerated with `npm run golden`). Filters: see ops-suite.ts.
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import * as engine from '../src/engine/index.ts';
import { runGolden, type Fixtures } from './cases/run.ts';
import { opsSuite, selected } from './ops-suite.ts';

const fixtures = JSON.parse(readFileSync(new URL('./golden/fixtures/ops.json', import.meta.url), 'utf8')) as Fixtures;
const { test, checkInit } = opsSuite('ops: golden (PyTorch float64)', 'golden', (filter) => runGolden(engine, fixtures, filter));

test('golden: no leaked tensors', async () => {
  checkInit();
  const before = engine.memory().liveTensors;
  await runGolden(engine, fixtures, (c) => selected.has(c.id) && /^(add_both|matmul_batched_5|softmax_4x9|crossEntropy_7x10|sum_dims02|gather_dim0|split_sections)/.test(c.id));
  await engine.sync();
  const after = engine.memory().liveTensors;
  assert.is(after, before, `live tensors grew from ${before} to ${after} over a few cases`);
});

test.run();
