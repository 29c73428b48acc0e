// Self-check of the op-test harness, no GPU needed: the float64 references (test/reference/) and
// their finite-difference gradients must agree with PyTorch's golden values. A failure here is a
// bug in a reference, a case or the fixtures, not in the engine.
//
//   node --import tsx node_modules/uvu/bin.js test '^ops\.'
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { runReferenceCheck, type Fixtures } from './cases/run.ts';
import { CASES, FAMILIES } from './cases/ops.ts';
import { failureText } from './cases/report.ts';

const fixtures = JSON.parse(readFileSync(new URL('./golden/fixtures/ops.json', import.meta.url), 'utf8')) as Fixtures;

const test = suite('ops: reference implementations vs PyTorch (no GPU)');

test('every case has a fixture and unique id', () => {
  const ids = new Set(CASES.map((c) => c.id));
  assert.is(ids.size, CASES.length, 'duplicate case ids');
  const missing = CASES.filter((c) => !fixtures.cases[c.id]).map((c) => c.id);
  assert.equal(missing, [], `cases without fixture (run \`npm run golden\`): ${missing.join(', ')}`);
});

for (const family of FAMILIES) {
  test(`reference: ${family}`, () => {
    // Large cases: forward only here (their finite differences are slow on the CPU).
    const results = runReferenceCheck(fixtures, (c) => c.family === family, 4, 0);
    const failed = results.filter((r) => !r.ok);
    if (failed.length) assert.unreachable(failureText(`reference ${family}`, results));
  });
}

test.run();
