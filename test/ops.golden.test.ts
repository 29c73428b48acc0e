// Every op, forward and input gradients, against PyTorch float64 golden values
// (test/golden/fixtures/ops.json, regenerated with `npm run golden`).
//
//   node --import tsx node_modules/uvu/bin.js test '^ops\.'
//
// Env: OPS_FILTER=<family|op|id> or OPS_FILTER=/regexp/ (on ids) restricts the cases;
//      OPS_VERBOSE=1 prints per-family timings and skipped cases.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import * as engine from '../src/engine/index.ts';
import { runGolden, selectCases, type CaseFilter, type Fixtures } from './cases/run.ts';
import { FAMILIES } from './cases/ops.ts';
import { failureText, summarize } from './cases/report.ts';

const fixtures = JSON.parse(readFileSync(new URL('./golden/fixtures/ops.json', import.meta.url), 'utf8')) as Fixtures;
const raw = process.env.OPS_FILTER;
const FILTER: CaseFilter | undefined = raw ? (/^\/.*\/$/.test(raw) ? new RegExp(raw.slice(1, -1)) : raw) : undefined;
const VERBOSE = process.env.OPS_VERBOSE === '1';
const selected = new Set(selectCases(FILTER).map((c) => c.id));

const test = suite('ops: golden (PyTorch float64)');

// uvu does not fail a suite whose `before` hook throws: keep the error and throw it from each test.
let initError: unknown;
test.before(async () => {
  try {
    await engine.init();
  } catch (err) {
    initError = err;
  }
});
test.after(async () => {
  await engine.shutdown();
});

for (const family of FAMILIES) {
  test(`golden: ${family}`, async () => {
    if (initError) throw initError;
    const results = await runGolden(engine, fixtures, (c) => c.family === family && selected.has(c.id));
    const s = summarize(results);
    if ((VERBOSE && results.length) || s.skipped.length) {
      process.stdout.write(`\n  [golden ${family}] ${s.passed} passed, ${s.failed.length} failed, ${s.skipped.length} skipped, ${(s.ms / 1000).toFixed(1)} s`);
      for (const r of s.skipped) process.stdout.write(`\n    SKIPPED ${r.message}`);
    }
    if (s.failed.length) assert.unreachable(failureText(`golden ${family}`, results));
  });
}

test('golden: no leaked tensors', async () => {
  if (initError) throw initError;
  const before = engine.memory().liveTensors;
  await runGolden(engine, fixtures, (c) => selected.has(c.id) && /^(add_both|matmul_batched_5|softmax_4x9|crossEntropy_7x10|sum_dims02|gather_dim0|split_sections)/.test(c.id));
  await engine.sync();
  const after = engine.memory().liveTensors;
  assert.is(after, before, `live tensors grew from ${before} to ${after} over a few cases`);
});

test.run();
