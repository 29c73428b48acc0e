// Run reports (src/report, src/platform/node-report.ts, examples/report.ts): the log parser, the
// downsampling (bucket count and bounds over 100k steps), the Vega-Lite specs built from
// hand-made step records (series, fields, chance rules), the HTML (one inline SVG per chart, the
// evaluation tables), and clear notes for a missing eval.json, an invalid one, an empty log.
// No GPU.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, rmSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import type { StepRecord } from '../src/plugins/trainer/types.ts';
import {
  parseLog, aggregateSeries, buildCharts, buildReportHtml, chanceFromConfig, parseEvalResults, evalTables, formatMetric, EvalFormatError, type ReportChart,
} from '../src/report/index.ts';
import { writeRunReport } from '../src/platform/node-report.ts';

const root = join(import.meta.dirname, '..');
const test = suite('report');

/** A hand-made run: STOR + speed + BYOL, kNN every 10 steps from step 10. */
function records(n: number, opts: { knn?: boolean } = {}): StepRecord[] {
  return Array.from({ length: n }, (_, i) => {
    const step = i + 1;
    const r: StepRecord = {
      step,
      epoch: Math.floor(i / 10),
      losses: { spatial: 1.7 - step * 0.01, temporal: 1.6, speed: 1.4 - step * 0.005, contrastive: 4 - step * 0.02 },
      total: 5 - step * 0.03,
      weights: { spatial: 1, temporal: 1, speed: 1, contrastive: 0.1 },
      lr: 1e-3 * Math.min(1, step / 5),
      gradNorm: 2 + (step % 3),
      clipsPerSec: 10 + (step % 4),
      stepMs: 1600,
      adapter: 'test adapter',
      metrics: { spatial_acc: 0.25, speed_acc: 0.3 + step * 0.001 },
    };
    if (opts.knn && step % 10 === 0) r.metrics!.knn_top1 = 0.1 + step * 0.002;
    return r;
  });
}

const CHANCE = { spatial: Math.log(5), temporal: Math.log(5), speed: Math.log(4) };

function chart(charts: ReportChart[], id: string): ReportChart {
  const c = charts.find((x) => x.id === id);
  assert.ok(c, `chart ${id} in [${charts.map((x) => x.id).join(', ')}]`);
  return c!;
}

// The specs are plain JSON; these read them without the Vega-Lite types.
type Json = Record<string, any>;
const values = (c: ReportChart): Json[] => ((c.spec as Json).data?.values ?? []) as Json[];
const layers = (c: ReportChart): Json[] => ((c.spec as Json).layer ?? []) as Json[];

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'cstp-report-'));
}

function countSvg(html: string): number {
  return (html.match(/<svg[\s>]/g) ?? []).length;
}

test('parseLog: step records sorted, a re-run step replaced by the later line, events, bad lines counted', () => {
  const lines = [
    JSON.stringify({ ...records(3)[0] }),
    JSON.stringify({ ...records(3)[2] }),
    JSON.stringify({ event: 'checkpoint', step: 3, where: 'x' }),
    JSON.stringify({ event: 'resume', step: 1 }),
    JSON.stringify({ ...records(3)[1], total: 99 }),
    JSON.stringify({ ...records(3)[1], total: 42 }),
    '{"step": 4, "loss', // cut short by a crash
    '"just a string"',
    '',
  ];
  const log = parseLog(lines.join('\n'));
  assert.equal(log.records.map((r) => r.step), [1, 2, 3]);
  assert.is(log.records[1].total, 42);
  assert.is(log.replaced, 1);
  assert.is(log.badLines, 2);
  assert.equal(log.events.map((e) => e.event), ['checkpoint', 'resume']);
  assert.equal(parseLog(''), { records: [], events: [], badLines: 0, replaced: 0 });
});

test('aggregateSeries: short series kept point by point, rolling mean, non-finite values skipped', () => {
  const pts = [1, 2, 3, 4, null, Number.NaN, 5].map((v, i) => ({ step: i + 1, value: v }));
  const a = aggregateSeries(pts, { window: 2 });
  assert.equal(a.map((p) => p.step), [1, 2, 3, 4, 7]);
  assert.equal(a.map((p) => p.mean), [1, 2, 3, 4, 5]);
  assert.equal(a.map((p) => [p.min, p.max]), [[1, 1], [2, 2], [3, 3], [4, 4], [5, 5]]);
  assert.equal(a.map((p) => p.smooth), [1, 1.5, 2.5, 3.5, 4.5]);
  const exact = [1.7, 0.1, 0.3, 1e-3, 2e-4].map((v, i) => ({ step: i + 1, value: v }));
  assert.equal(aggregateSeries(exact, { window: 1 }).map((p) => [p.mean, p.smooth]), exact.map((p) => [p.value, p.value]));
  // A long constant series averages to exactly its value (no rounding noise on the axis).
  const flat = aggregateSeries(Array.from({ length: 50_000 }, (_, i) => ({ step: i + 1, value: 1.38 })), { maxPoints: 100 });
  assert.ok(flat.every((p) => p.smooth === 1.38 && p.mean === 1.38 && p.min === 1.38 && p.max === 1.38));
  assert.equal(aggregateSeries([]), []);
  assert.equal(aggregateSeries([{ step: 1, value: null }]), []);
});

test('aggregateSeries: 100k steps → at most maxPoints buckets that keep the bounds', () => {
  const n = 100_000;
  let seed = 1;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const pts = Array.from({ length: n }, (_, i) => ({ step: i + 1, value: Math.sin(i / 5000) + rand() }));
  pts[31_337].value = 50; // one spike
  pts[77_777].value = -40;
  const rawMin = Math.min(...pts.map((p) => p.value));
  const rawMax = Math.max(...pts.map((p) => p.value));
  const rawMean = pts.reduce((s, p) => s + p.value, 0) / n;
  for (const maxPoints of [600, 1000, 7]) {
    const a = aggregateSeries(pts, { maxPoints });
    assert.ok(a.length <= maxPoints && a.length >= maxPoints / 2, `${a.length} buckets for maxPoints ${maxPoints}`);
    assert.is(a[0].stepFrom, 1);
    assert.is(a[a.length - 1].step, n);
    assert.is(Math.min(...a.map((p) => p.min)), rawMin);
    assert.is(Math.max(...a.map((p) => p.max)), rawMax);
    assert.is(a.reduce((s, p) => s + p.count, 0), n);
    // Buckets are contiguous and ordered; every mean and rolling mean lies within the raw range.
    for (let i = 0; i < a.length; i++) {
      if (i > 0) assert.is(a[i].stepFrom, a[i - 1].step + 1);
      assert.ok(a[i].min <= a[i].mean && a[i].mean <= a[i].max);
      assert.ok(a[i].smooth >= rawMin && a[i].smooth <= rawMax);
    }
    const weighted = a.reduce((s, p) => s + p.mean * p.count, 0) / n;
    assert.ok(Math.abs(weighted - rawMean) < 1e-9);
  }
});

test('buildCharts: one chart per loss term with its chance rule, total, weights, lr, throughput, gradient norm, metrics', () => {
  const charts = buildCharts(records(30, { knn: true }), { chance: CHANCE });
  assert.equal(charts.map((c) => c.id), [
    'loss-spatial', 'loss-temporal', 'loss-speed', 'loss-contrastive', 'loss-total', 'weights', 'lr', 'throughput', 'grad-norm', 'knn', 'accuracy',
  ]);
  for (const c of charts) assert.is((c.spec as Json).$schema, 'https://vega.github.io/schema/vega-lite/v6.json');

  const spatial = chart(charts, 'loss-spatial');
  const v = values(spatial);
  assert.is(v.length, 30);
  assert.equal(Object.keys(v[0]).sort(), ['count', 'max', 'mean', 'min', 'smooth', 'step', 'stepFrom']);
  assert.ok(Math.abs(v[0].mean - 1.69) < 1e-12 && v[29].step === 30);
  const rule = layers(spatial).find((l) => (l.mark?.type ?? l.mark) === 'rule');
  assert.ok(rule, 'a chance rule');
  assert.equal(rule!.data.values, [{ rule: Math.log(5) }]);
  assert.is(rule!.encoding.y.field, 'rule');
  // 30 steps: window 1, so one line of the raw values; 100 steps: a thin raw line and the rolling mean.
  assert.equal(layers(spatial).filter((l) => l.mark?.type === 'line').map((l) => l.encoding.y.field), ['mean']);
  const spatial100 = chart(buildCharts(records(100), { chance: CHANCE }), 'loss-spatial');
  assert.equal(layers(spatial100).filter((l) => l.mark?.type === 'line').map((l) => l.encoding.y.field), ['mean', 'smooth']);
  assert.ok(Math.abs(values(spatial100)[9].smooth - (1.7 - 9.5 * 0.01)) < 1e-12); // mean of steps 9 and 10
  // No chance for the contrastive term: no rule.
  assert.not.ok(layers(chart(charts, 'loss-contrastive')).some((l) => l.mark?.type === 'rule'));

  const weights = chart(charts, 'weights');
  assert.equal([...new Set(values(weights).map((r) => r.series))], ['spatial', 'temporal', 'speed', 'contrastive']);
  assert.equal(values(weights).filter((r) => r.series === 'contrastive').map((r) => r.value), Array(30).fill(0.1));
  assert.is(layers(weights)[0].encoding.color.field, 'series');

  assert.equal(values(chart(charts, 'lr')).slice(0, 6).map((r) => r.value), [2e-4, 4e-4, 6e-4, 8e-4, 1e-3, 1e-3]);
  assert.equal(values(chart(charts, 'throughput')).slice(0, 4).map((r) => r.mean), [11, 12, 13, 10]);
  assert.equal(values(chart(charts, 'loss-total'))[0].mean, 4.97);

  const knn = chart(charts, 'knn');
  assert.equal(values(knn).map((r) => r.step), [10, 20, 30]);
  assert.ok(values(knn).every((r) => r.series === 'knn_top1'));
  assert.ok(Math.abs(values(knn)[2].value - 0.16) < 1e-12);

  const acc = chart(charts, 'accuracy');
  assert.equal([...new Set(values(acc).map((r) => r.series))], ['spatial_acc', 'speed_acc']);
  const accRules = layers(acc).find((l) => l.mark?.type === 'rule')!.data.values as Json[];
  assert.equal(accRules.map((r) => r.series), ['spatial_acc', 'speed_acc']);
  assert.ok(Math.abs(accRules[0].value - 0.2) < 1e-12 && Math.abs(accRules[1].value - 0.25) < 1e-12);

  // Without kNN in the records, no kNN chart; no records, no charts.
  assert.not.ok(buildCharts(records(30)).some((c) => c.id === 'knn'));
  assert.equal(buildCharts([]), []);
});

test('buildCharts: a long run is aggregated (bounded data per chart)', () => {
  const long = records(20_000);
  const charts = buildCharts(long, { maxPoints: 500, chance: CHANCE });
  for (const c of charts) {
    const series = new Set(values(c).map((r) => r.series ?? '')).size;
    assert.ok(values(c).length <= 500 * series, `${c.id}: ${values(c).length} rows`);
  }
  const spatial = values(chart(charts, 'loss-spatial'));
  assert.is(Math.min(...spatial.map((r) => r.min)), 1.7 - 20_000 * 0.01);
  assert.is(Math.max(...spatial.map((r) => r.max)), 1.7 - 0.01);
  assert.ok(layers(chart(charts, 'loss-spatial')).some((l) => l.mark?.type === 'area' && l.encoding.y.field === 'min' && l.encoding.y2.field === 'max'));
});

test('the chart, log, downsampling and HTML modules use no Node built-ins (the browser page shares them)', () => {
  const dir = join(root, 'src/report');
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.ts'))) {
    const src = readFileSync(join(dir, f), 'utf8');
    assert.not.match(src, /from ['"]node:|require\(|from ['"](fs|path|os|child_process)['"]/, f);
  }
});

test('buildReportHtml: one inline SVG per chart, the loss table, the evaluation tables, escaping', async () => {
  const recs = records(40, { knn: true });
  const evalResults = parseEvalResults({
    results: [
      { protocol: 'knn', dataset: 'synthetic', backbone: 'tiny', init: 'cstp step 40', metrics: { top1: 0.4213, top5: 0.8765 } },
      { protocol: 'knn', dataset: 'synthetic', backbone: 'tiny', init: 'random <init>', metrics: { top1: 0.1234, top5: null } },
      { protocol: 'linear', label: 'cstp step 40', metrics: { top1: 0.5551 }, primary: 'top1' },
    ],
  });
  const out = await buildReportHtml({ title: 'run & test', records: recs, chance: CHANCE, config: { tasks: [{ type: 'stor' }], batchSize: 8 }, evalResults, generatedAt: '2025-01-01T00:00:00Z' });
  const n = buildCharts(recs, { chance: CHANCE }).length;
  assert.is(out.charts, n);
  assert.is(countSvg(out.html), n);
  assert.equal(out.warnings, []);
  assert.match(out.html, '<title>Run report: run &amp; test</title>');
  for (const id of ['loss-spatial', 'weights', 'lr', 'throughput', 'knn']) assert.match(out.html, `id="chart-${id}"`);
  // Loss table: spatial's chance ln 5 and the term names.
  assert.match(out.html, '1.6094');
  assert.match(out.html, '<td>contrastive</td>');
  // Evaluation: a table per protocol with the values and labels (escaped).
  assert.match(out.html, '<h3>knn</h3>');
  assert.match(out.html, '<h3>linear</h3>');
  for (const s of ['0.4213', '0.8765', '0.1234', '0.5551', 'cstp step 40', 'random &lt;init&gt;', '<th>top5</th>']) assert.match(out.html, s);
  assert.match(out.html, '<td>—</td>');
  assert.match(out.html, '<td><b>0.5551</b></td>');
  // Self-contained: no scripts, no external resources.
  assert.not.match(out.html, /<script|<link |src="http/);
});

test('buildReportHtml: no records gives a clear note and no charts', async () => {
  const out = await buildReportHtml({ title: 'empty', records: [] });
  assert.is(out.charts, 0);
  assert.is(countSvg(out.html), 0);
  assert.match(out.html, 'No step records in the log yet');
  assert.match(out.html, 'No evaluation results');
});

test('eval results: accepted shapes, errors naming the field, tables and formatting', () => {
  const bare = parseEvalResults([{ protocol: 'retrieval', metrics: { 'R@1': 0.3, 'R@5': 0.5 }, extra: 1 }]);
  assert.equal(bare, [{ protocol: 'retrieval', metrics: { 'R@1': 0.3, 'R@5': 0.5 } }]);
  assert.throws(() => parseEvalResults({ nope: [] }), (e: Error) => e instanceof EvalFormatError && /results/.test(e.message));
  assert.throws(() => parseEvalResults([{ metrics: {} }]), /results\[0\]\.protocol/);
  assert.throws(() => parseEvalResults([{ protocol: 'knn', metrics: { top1: '41%' } }]), /results\[0\]\.metrics\.top1/);
  // The evaluators' own result objects (format 'cstp-eval/1'): labels from the provenance, the primary metric.
  const provenance = (checkpoint: Record<string, unknown>) => ({
    checkpoint, weightsSha256: 'cd', backbone: { type: 'tiny', width: 8 }, dataset: { name: 'synthetic', classes: ['a', 'b'], sha256: 'x', train: {}, test: {} },
  });
  const native = (checkpoint: Record<string, unknown>) => ({
    format: 'cstp-eval/1', protocol: 'knn', settings: { k: 20 }, metrics: { k20_top1: 0.5, k20_top5: 0.9 }, primary: { name: 'k20_top1', value: 0.5 },
    provenance: provenance(checkpoint), comparableKey: 'k', sha256: 's', counts: { train: 1, test: 1, classes: 2 }, seconds: 1, createdAt: '2025-01-01',
  });
  const ck = 'runs/pretrain/checkpoints/step-00000300.safetensors';
  assert.equal(parseEvalResults([native({ sha256: 'ab', path: ck, step: 300, kind: 'checkpoint' }), native({ sha256: null, kind: 'random-init' })]), [
    { protocol: 'knn', metrics: { k20_top1: 0.5, k20_top5: 0.9 }, dataset: 'synthetic', backbone: 'tiny', init: 'checkpoint step 300', checkpoint: ck, primary: 'k20_top1' },
    { protocol: 'knn', metrics: { k20_top1: 0.5, k20_top5: 0.9 }, dataset: 'synthetic', backbone: 'tiny', init: 'random-init', primary: 'k20_top1' },
  ]);
  // examples/pretrain.ts's file: { format, table, pretrained: [...], random: [...] }.
  const pretrainFile = { format: 'cstp-pretrain-eval/1', table: [{ metric: 'knn k20_top1', random: 0.1, pretrained: 0.5, difference: 0.4 }], pretrained: [native({ sha256: 'ab', step: 300, kind: 'checkpoint' })], random: [native({ sha256: null, kind: 'random-init' })] };
  assert.equal(parseEvalResults(pretrainFile).map((r) => r.init), ['checkpoint step 300', 'random-init']);
  assert.throws(() => parseEvalResults({ table: [{ metric: 'x' }] }), /arrays of results/);
  const tables = evalTables(parseEvalResults([
    { protocol: 'knn', init: 'a', metrics: { top1: 1 } },
    { protocol: 'linear', metrics: { top1: 2 } },
    { protocol: 'knn', backbone: 'tiny', metrics: { top5: 3, top1: 4 } },
  ]));
  assert.equal(tables.map((t) => [t.protocol, t.labelColumns, t.metricColumns, t.rows.length]), [
    ['knn', ['backbone', 'init'], ['top1', 'top5'], 2],
    ['linear', [], ['top1'], 1],
  ]);
  assert.equal([formatMetric(0.42131), formatMetric(41.5), formatMetric(3), formatMetric(null), formatMetric(Number.NaN), formatMetric(1.5e-5)], ['0.4213', '41.5', '3', '—', '—', '1.500e-5']);
});

test('chanceFromConfig: ln of the class counts of the built-in tasks, defaults from the registry', () => {
  const c = chanceFromConfig({ tasks: [{ type: 'stor' }, { type: 'speed' }, { type: 'rotation', classes: 2 }, { type: 'order', views: 3 }, { type: 'unknown-task' }] });
  assert.equal(Object.keys(c), ['spatial', 'temporal', 'speed', 'rotation', 'order']);
  assert.ok(Math.abs(c.spatial - Math.log(5)) < 1e-12 && Math.abs(c.temporal - Math.log(5)) < 1e-12);
  assert.ok(Math.abs(c.speed - Math.log(4)) < 1e-12 && Math.abs(c.rotation - Math.log(2)) < 1e-12);
  assert.ok(Math.abs(c.order - Math.log(6)) < 1e-12);
  assert.equal(chanceFromConfig(undefined), {});
  assert.equal(chanceFromConfig({ tasks: 'x' }), {});
});

test('writeRunReport: a run folder with log, config and eval.json', async () => {
  const dir = tmp();
  try {
    const recs = records(25, { knn: true });
    writeFileSync(join(dir, 'log.jsonl'), recs.map((r) => JSON.stringify(r)).join('\n') + '\n' + JSON.stringify({ event: 'checkpoint', step: 25 }) + '\n');
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ tasks: [{ type: 'stor' }, { type: 'speed' }], objective: { type: 'byol' }, batchSize: 8 }));
    writeFileSync(join(dir, 'eval.json'), JSON.stringify({ results: [{ protocol: 'knn', init: 'cstp', metrics: { top1: 0.3333 } }] }));
    const r = await writeRunReport(dir);
    assert.is(r.path, join(dir, 'report.html'));
    assert.is(r.steps, 25);
    assert.is(r.evalResults, 1);
    assert.equal(r.warnings, []);
    const html = readFileSync(r.path, 'utf8');
    assert.is(countSvg(html), r.charts);
    assert.match(html, '0.3333');
    assert.match(html, 'dashed: chance 1.609'); // chance levels from config.json
    assert.equal(readdirSync(dir).filter((f) => f.includes('.tmp-')), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('writeRunReport: missing eval.json, invalid eval.json, empty or missing log give notes, not crashes', async () => {
  const dir = tmp();
  try {
    // No files at all.
    let r = await writeRunReport(dir);
    assert.is(r.steps, 0);
    assert.is(r.charts, 0);
    let html = readFileSync(r.path, 'utf8');
    assert.match(html, 'No log.jsonl in');
    assert.match(html, 'No step records in the log yet');
    assert.match(html, 'no eval.json in the run folder');
    assert.ok(r.warnings.some((w) => /no eval\.json/.test(w)));
    // An empty log and a broken eval.json.
    writeFileSync(join(dir, 'log.jsonl'), '');
    writeFileSync(join(dir, 'eval.json'), '{"results": [{"protocol": "knn"}]}');
    r = await writeRunReport(dir);
    html = readFileSync(r.path, 'utf8');
    assert.match(html, 'No step records in the log yet');
    assert.match(html, 'eval.json could not be read: results[0].metrics');
    writeFileSync(join(dir, 'eval.json'), '{not json');
    r = await writeRunReport(dir);
    assert.match(readFileSync(r.path, 'utf8'), 'eval.json could not be read');
    // A log with only a cut-off line.
    writeFileSync(join(dir, 'log.jsonl'), '{"step": 1, "los');
    r = await writeRunReport(dir);
    assert.match(readFileSync(r.path, 'utf8'), '1 line of log.jsonl could not be read');
    await writeRunReport(join(dir, 'nope')).then(
      () => assert.unreachable('should throw'),
      (e: Error) => assert.match(e.message, 'run folder not found'),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('examples/report.ts regenerates report.html; bad arguments exit 2', () => {
  const dir = tmp();
  try {
    writeFileSync(join(dir, 'log.jsonl'), records(12).map((r) => JSON.stringify(r)).join('\n') + '\n');
    const tsx = join(root, 'node_modules/tsx/dist/cli.mjs');
    const ok = spawnSync(process.execPath, [tsx, join(root, 'examples/report.ts'), dir], { encoding: 'utf8' });
    assert.is(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, `report: ${join(dir, 'report.html')} (12 steps`);
    assert.match(ok.stderr, 'no eval.json');
    assert.ok(existsSync(join(dir, 'report.html')));
    const bad = spawnSync(process.execPath, [tsx, join(root, 'examples/report.ts')], { encoding: 'utf8' });
    assert.is(bad.status, 2);
    assert.match(bad.stderr, 'missing the run folder');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
