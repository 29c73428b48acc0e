// Every op against the float64 CPU reference (test/reference/): forward values, and analytic input
// gradients vs central finite differences of the reference (a sample of elements per input).
//
//   node --import tsx node_modules/uvu/bin.js test '^ops\.'
//
// Env: OPS_FILTER=<family|op|id> or OPS_FILTER=/regexp/ (on ids); OPS_VERBOSE=1.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as engine from '../src/engine/index.ts';
import { runGradcheck, selectCases, type CaseFilter } from './cases/run.ts';
import { FAMILIES } from './cases/ops.ts';
import { failureText, summarize } from './cases/report.ts';

const raw = process.env.OPS_FILTER;
const FILTER: CaseFilter | undefined = raw ? (/^\/.*\/$/.test(raw) ? new RegExp(raw.slice(1, -1)) : raw) : undefined;
const VERBOSE = process.env.OPS_VERBOSE === '1';
const selected = new Set(selectCases(FILTER).map((c) => c.id));

const test = suite('ops: gradcheck (float64 reference + finite differences)');

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
  test(`gradcheck: ${family}`, async () => {
    if (initError) throw initError;
    const results = await runGradcheck(engine, (c) => c.family === family && selected.has(c.id));
    const s = summarize(results);
    if ((VERBOSE && results.length) || s.skipped.length) {
      process.stdout.write(`\n  [gradcheck ${family}] ${s.passed} passed, ${s.failed.length} failed, ${s.skipped.length} skipped, ${(s.ms / 1000).toFixed(1)} s`);
      for (const r of s.skipped) process.stdout.write(`\n    SKIPPED ${r.message}`);
    }
    if (s.failed.length) assert.unreachable(failureText(`gradcheck ${family}`, results));
  });
}

test.run();
