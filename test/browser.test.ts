// Runs the engine in headless Chromium's WebGPU (SwiftShader adapter): the same engine code and the
// same golden/gradcheck cases as the Node tests. See test/browser/harness.ts.
//
//   node --import tsx node_modules/uvu/bin.js test 'browser\.test'
//
// Env: BROWSER_TEST_FILTER=<family|op|id> or =/regexp/ (on ids) restricts the op cases;
//      BROWSER_TEST_VERBOSE=1 prints per-family timings and forwards every page console message;
//      BROWSER_TEST_DIST=1 writes the bundle to test/browser/dist/.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { fileURLToPath } from 'node:url';
import { openBrowserPage, formatTimings, type BrowserPage } from './browser/harness.ts';
import type { CaseRun, FilterSpec } from './browser/entry.ts';
import { CASES, FAMILIES } from './cases/ops.ts';
import { selectCases } from './cases/run.ts';
import { failureText, summarize } from './cases/report.ts';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const ENTRY = here('./browser/entry.ts');
const OPTIONAL = [here('./cases/run.ts'), here('./golden/fixtures/ops.json')];
const VERBOSE = process.env.BROWSER_TEST_VERBOSE === '1';
// BROWSER_TEST_FILTER=<family|op|id> or =/regexp/ (on ids), like OPS_FILTER for the Node suites.
const RAW_FILTER = process.env.BROWSER_TEST_FILTER || '';
const REGEX = /^\/.*\/$/.test(RAW_FILTER) ? RAW_FILTER.slice(1, -1) : undefined;
const selected = RAW_FILTER ? selectCases(REGEX !== undefined ? new RegExp(REGEX) : RAW_FILTER) : CASES;
const IDS = RAW_FILTER && REGEX === undefined ? selected.map((c) => c.id) : undefined;
const families = new Set(selected.map((c) => c.family));
const timings = { golden: 0, gradcheck: 0 };
let liveAtStart = 0;

const test = suite('browser (Chromium WebGPU, SwiftShader)');

// uvu swallows errors thrown in `before` hooks (the suite then "passes" with 0 tests), so the start
// error is kept and rethrown by every test instead.
let bp: BrowserPage | undefined;
let startError: unknown;
let startErrorShown = false;
function page(): BrowserPage {
  if (startError) {
    if (startErrorShown) throw new Error('the browser harness did not start (see the first failure)');
    startErrorShown = true;
    throw startError;
  }
  if (!bp) throw new Error('the browser page was not opened');
  return bp;
}

const log = (line: string) => process.stdout.write(`\n  ${line}`);

test.before(async () => {
  try {
    bp = await openBrowserPage(ENTRY, { optional: OPTIONAL });
    log(`[browser] ${formatTimings(bp.timings, bp.bundleBytes)}`);
  } catch (err) {
    startError = err;
  }
});

test.after(async () => {
  await bp?.close();
});

test('adapter is a WebGPU adapter', async () => {
  const t0 = performance.now();
  const report = await page().evaluate<Record<string, unknown>>('initEngine');
  const { limits: _limits, ...summary } = report;
  log(`[browser] adapter: ${JSON.stringify(summary)} (init ${((performance.now() - t0) / 1000).toFixed(2)} s)`);
  assert.is(report.backend, 'browser', 'the engine should use navigator.gpu in the page');
  assert.type(report.vendor, 'string');
  assert.type(report.architecture, 'string');
  assert.ok(report.limits && typeof report.limits === 'object', 'adapter report has limits');
  liveAtStart = (await page().evaluate<{ liveTensors: number }>('memory')).liveTensors;
});

test('smoke: add, matmul, sum, backward', async () => {
  const t0 = performance.now();
  const r = await page().evaluate<Record<string, unknown>>('smoke');
  log(`[browser] smoke ${((performance.now() - t0) / 1000).toFixed(2)} s`);
  assert.equal(r.add, [6, 8, 10, 12]);
  assert.equal(r.matmul, [19, 22, 43, 50]);
  assert.equal(r.loss, [170]);
  assert.equal(r.gradA, [12, 16, 12, 16]);
  assert.equal(r.gradB, [5, 5, 7, 7]);
  assert.equal(r.relu, [0, 0.5, 2]);
  assert.equal(r.mean, [1, 4]);
  assert.equal(r.shapes, { add: [2, 2], matmul: [2, 2], loss: [], mean: [2] });
});

const wall = (t0: number) => `${((performance.now() - t0) / 1000).toFixed(1)} s`;

let goldenAvailable = '';
async function casesReady(): Promise<void> {
  if (goldenAvailable === '') goldenAvailable = (await page().evaluate<string>('casesStatus')) || 'ok';
  if (goldenAvailable !== 'ok') assert.unreachable(`op cases unavailable in the browser bundle: ${goldenAvailable}`);
}

// One uvu test per case family and kind, like the Node suites (test/ops.*.test.ts).
for (const kind of ['golden', 'gradcheck'] as const) {
  for (const family of FAMILIES) {
    if (!families.has(family)) continue;
    test(`${kind}: ${family}`, async () => {
      await casesReady();
      const t0 = performance.now();
      const spec: FilterSpec = { family, ...(REGEX ? { regex: REGEX } : {}), ...(IDS ? { ids: IDS } : {}) };
      const run = await page().evaluate<CaseRun>(kind === 'golden' ? 'runGolden' : 'runGradcheck', spec);
      const s = summarize(run.results);
      if (VERBOSE || s.skipped.length || s.failed.length) {
        log(`[browser ${kind} ${family}] ${s.passed} passed, ${s.failed.length} failed, ${s.skipped.length} skipped, ${wall(t0)}`);
        for (const r of s.skipped) log(`  SKIPPED ${r.message}`);
      }
      timings[kind] += performance.now() - t0;
      if (s.failed.length) assert.unreachable(failureText(`browser ${kind} ${family}`, run.results));
    });
  }
}

test('3D-CNN ops (conv3d, conv2d, pools, batch norm): golden and finite differences', async () => {
  const t0 = performance.now();
  const results = await page().evaluate<{ id: string; ok: boolean; message: string }[]>('runCnn', '');
  const failed = results.filter((r) => !r.ok);
  log(`[browser cnn] ${results.length - failed.length}/${results.length} passed, ${wall(t0)}`);
  assert.ok(results.length >= 30, `only ${results.length} CNN cases ran`);
  if (failed.length) assert.unreachable(failed.map((r) => r.message).join('\n'));
});

test('no leaked tensors after the cases', async () => {
  const mem = await page().evaluate<{ liveTensors: number; pooledBytes: number }>('memory');
  log(`[browser] golden ${(timings.golden / 1000).toFixed(1)} s, gradcheck ${(timings.gradcheck / 1000).toFixed(1)} s; ` +
    `memory after: ${JSON.stringify(mem)}`);
  assert.is(mem.liveTensors, liveAtStart, `live tensors in the page grew from ${liveAtStart} to ${mem.liveTensors}`);
});

test('no page errors and no WebGPU errors in the console', () => {
  const msgs = page().messages;
  assert.ok(msgs.length === 0, `the page reported:\n${msgs.join('\n')}`);
});

test.run();
