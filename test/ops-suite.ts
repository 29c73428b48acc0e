// Shared by test/ops.golden.test.ts and test/ops.gradcheck.test.ts: the case selection from the
// environment, a suite that initialises the engine, and one test per op family.
//   OPS_FILTER=<family|op|id> or OPS_FILTER=/regexp/ (on ids) restricts the cases;
//   OPS_VERBOSE=1 prints per-family timings and skipped cases.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as engine from '../src/engine/index.ts';
import { selectCases, type CaseFilter } from './cases/run.ts';
import { FAMILIES } from './cases/ops.ts';
import { failureText, summarize } from './cases/report.ts';
import type { CaseResult, OpCase } from './cases/types.ts';

const raw = process.env.OPS_FILTER;
const FILTER: CaseFilter | undefined = raw ? (/^\/.*\/$/.test(raw) ? new RegExp(raw.slice(1, -1)) : raw) : undefined;
const VERBOSE = process.env.OPS_VERBOSE === '1';
export const selected = new Set(selectCases(FILTER).map((c) => c.id));

/**
 * A suite with one test per op family running `run` on that family's selected cases. uvu does not
 * fail a suite whose `before` hook throws, so an init error is kept and thrown from each test.
 */
export function opsSuite(title: string, kind: string, run: (filter: (c: OpCase) => boolean) => Promise<CaseResult[]>) {
  const test = suite(title);
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
  const checkInit = () => {
    if (initError) throw initError;
  };
  for (const family of FAMILIES) {
    test(`${kind}: ${family}`, async () => {
      checkInit();
      const results = await run((c) => c.family === family && selected.has(c.id));
      const s = summarize(results);
      if ((VERBOSE && results.length) || s.skipped.length) {
        process.stdout.write(`\n  [${kind} ${family}] ${s.passed} passed, ${s.failed.length} failed, ${s.skipped.length} skipped, ${(s.ms / 1000).toFixed(1)} s`);
        for (const r of s.skipped) process.stdout.write(`\n    SKIPPED ${r.message}`);
      }
      if (s.failed.length) assert.unreachable(failureText(`${kind} ${family}`, results));
    });
  }
  return { test, checkInit };
}
