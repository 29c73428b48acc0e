// Browser side of the browser test harness (bundled by test/browser/harness.ts). It exposes async
// functions on `globalThis` that the Node side calls through `page.evaluate`; every result is plain
// JSON-like data. Importing this module has no side effects beyond defining those functions.
import * as engine from '../../src/engine/index.ts';
import { runGolden as runGoldenCases, runGradcheck as runGradcheckCases, type Fixtures } from '../cases/run.ts';
import fixtures from '../golden/fixtures/ops.json';
import cnnFixture from '../golden/fixtures/cnn.json';
import { runCnnGolden, runCnnGradcheck, type CnnCase } from '../cases/cnn.ts';

/** One case outcome as returned to Node (the fields of test/cases/types.ts CaseResult). */
export interface CaseResult {
  id: string;
  family: string;
  op: string;
  ok: boolean;
  /** The engine lacks an API the case needs; not a failure. */
  skipped: boolean;
  message: string;
  ms?: number;
}

export interface CaseRun {
  results: CaseResult[];
  ms: number;
}

/** Copies WebIDL attribute getters (e.g. GPUSupportedLimits) into a plain object. */
function plain(obj: unknown): unknown {
  if (obj === null || typeof obj !== 'object') return obj;
  if (Array.isArray(obj)) return obj.map(plain);
  const out: Record<string, unknown> = {};
  for (const key in obj) {
    const v = (obj as Record<string, unknown>)[key];
    if (typeof v !== 'function') out[key] = plain(v);
  }
  return out;
}

/** When the harness replaced a missing module by its stub, the repo-relative path of that module. */
function missing(mod: unknown): string | undefined {
  return (mod as { __missing?: string } | null)?.__missing;
}

function requireCases(): void {
  // The harness substitutes a stub for test/cases/run.ts or the fixtures while they don't exist.
  if (typeof runGoldenCases !== 'function' || typeof runGradcheckCases !== 'function') {
    throw new Error('test/cases/run.ts is missing or does not export runGolden/runGradcheck');
  }
  const m = missing(fixtures);
  if (m) throw new Error(`${m} is missing; generate it with \`npm run golden\``);
}

/**
 * Case selection passed from Node (must be JSON-like): a string is a family, op or id ('/re/' is a
 * RegExp on ids); an object selects by family and/or id RegExp and/or an id list.
 */
export type FilterSpec = string | { family?: string; regex?: string; ids?: string[] };

interface CaseInfo { id: string; family: string }

function toFilter(spec?: FilterSpec): string | RegExp | ((c: CaseInfo) => boolean) | undefined {
  if (spec === undefined || spec === null || spec === '') return undefined;
  if (typeof spec === 'string') return /^\/.*\/$/.test(spec) ? new RegExp(spec.slice(1, -1)) : spec;
  const re = spec.regex !== undefined ? new RegExp(spec.regex) : undefined;
  const ids = spec.ids ? new Set(spec.ids) : undefined;
  return (c) => (spec.family === undefined || c.family === spec.family) && (!re || re.test(c.id)) && (!ids || ids.has(c.id));
}

type RawResult = { id: unknown; ok: unknown; message?: unknown; family?: unknown; op?: unknown; skipped?: unknown; ms?: unknown };

async function timed(fn: () => Promise<RawResult[]>): Promise<CaseRun> {
  const t0 = performance.now();
  const raw = await fn();
  const results = raw.map((r): CaseResult => ({
    id: String(r.id),
    family: String(r.family ?? ''),
    op: String(r.op ?? ''),
    ok: !!r.ok,
    skipped: !!r.skipped,
    message: String(r.message ?? ''),
    ...(typeof r.ms === 'number' ? { ms: r.ms } : {}),
  }));
  return { results, ms: performance.now() - t0 };
}

const api = {
  /** `engine.init()`; returns the adapter report as plain data. */
  async initEngine() {
    return plain(await engine.init());
  },

  /** Whether the golden/gradcheck part is available in this bundle ('' when yes, else why not). */
  casesStatus(): string {
    try {
      requireCases();
      return '';
    } catch (err) {
      return (err as Error).message;
    }
  },

  /** add + matmul + sum + mean + relu + backward on small known tensors. */
  async smoke() {
    await engine.init();
    const a = engine.tensor([[1, 2], [3, 4]], undefined, { requiresGrad: true });
    const b = engine.tensor([[5, 6], [7, 8]], undefined, { requiresGrad: true });
    const c = a.add(b);
    const m = a.matmul(b);
    const s = m.add(c);
    const loss = s.sum();
    loss.backward();
    const x = engine.tensor([-1, 0.5, 2]);
    const r = x.relu();
    const y = engine.tensor([[0, 1, 2], [3, 4, 5]]);
    const mean = y.mean(1);
    const out = {
      add: Array.from(await c.data()),
      matmul: Array.from(await m.data()),
      loss: Array.from(await loss.data()),
      gradA: Array.from(await a.grad!.data()),
      gradB: Array.from(await b.grad!.data()),
      relu: Array.from(await r.data()),
      mean: Array.from(await mean.data()),
      shapes: { add: [...c.shape], matmul: [...m.shape], loss: [...loss.shape], mean: [...mean.shape] },
    };
    for (const t of [a, b, c, m, s, loss, x, r, y, mean]) t.dispose();
    await engine.sync();
    return out;
  },

  /** `runGolden(engine, fixtures, filter)` from test/cases/run.ts. */
  async runGolden(filter?: FilterSpec): Promise<CaseRun> {
    requireCases();
    await engine.init();
    return timed(() => runGoldenCases(engine, fixtures as Fixtures, toFilter(filter)));
  },

  /** `runGradcheck(engine, filter)` from test/cases/run.ts. */
  async runGradcheck(filter?: FilterSpec): Promise<CaseRun> {
    requireCases();
    await engine.init();
    return timed(() => runGradcheckCases(engine, toFilter(filter)));
  },

  /** The 3D-CNN op checks of test/cases/cnn.ts (golden and finite differences). */
  async runCnn(filter = ''): Promise<{ id: string; ok: boolean; message: string }[]> {
    await engine.init();
    return [
      ...(await runCnnGolden(engine, cnnFixture as { cases: CnnCase[] }, filter)),
      ...(await runCnnGradcheck(engine, filter)),
    ];
  },

  memory() {
    return plain(engine.memory());
  },

  async shutdown() {
    await engine.shutdown();
  },
};

Object.assign(globalThis, api);

export type BrowserApi = typeof api;
