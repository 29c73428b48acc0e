// The training charts as Vega-Lite specs, built from step records: one per loss term (with its
// chance level as a dashed rule when known), the weighted total, the task weights, the learning
// rate, the throughput, the gradient norm, and the metrics (online kNN, per-task accuracies with
// their chance level, any other). Platform-neutral and free of Node built-ins: the HTML report
// (src/report/html.ts) renders these specs to SVG, and the browser training page can show the
// same specs live (vega-embed, or renderChartSVG from ./render.ts).
//
// Long runs are aggregated (./downsample.ts): at most `maxPoints` buckets per series, drawn as a
// min–max band with a rolling mean line, so a 100k-step run gives charts of the same size as a
// 600-step one.
import type { TopLevelSpec } from 'vega-lite';
import type { StepRecord } from '../plugins/trainer/types.ts';
import { aggregateSeries, defaultWindow, isFiniteNumber, DEFAULT_MAX_POINTS, type AggregatedPoint, type SeriesPoint } from './downsample.ts';

export interface ChartOptions {
  /** Chance level of each loss term (ln classes): a dashed rule on its loss chart and, as exp(−chance), on its `<term>_acc` accuracy. */
  chance?: Record<string, number>;
  /** Most points per series (default 600). */
  maxPoints?: number;
  /** Rolling-mean window in steps (default about 2% of the run, at least 1). */
  window?: number;
  /** Plot size in px (default 520 × 160). */
  width?: number;
  height?: number;
}

export interface ReportChart {
  /** Stable id: `loss-<term>`, `loss-total`, `weights`, `lr`, `throughput`, `grad-norm`, `knn`, `accuracy`, `metrics`. */
  id: string;
  title: string;
  spec: TopLevelSpec;
}

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const LIGHT = '#9ecae9';
const DARK = '#1f77b4';
const CHANCE = '#d62728';

/** Names in order of first appearance over the records. */
function keysOf(records: readonly StepRecord[], pick: (r: StepRecord) => Record<string, unknown> | undefined | null): string[] {
  const seen = new Set<string>();
  for (const r of records) for (const k of Object.keys(pick(r) ?? {})) seen.add(k);
  return [...seen];
}

function series(records: readonly StepRecord[], get: (r: StepRecord) => unknown): SeriesPoint[] {
  const out: SeriesPoint[] = [];
  for (const r of records) {
    const v = get(r);
    if (isFiniteNumber(v)) out.push({ step: r.step, value: v });
  }
  return out;
}

function fmt(v: number): string {
  return Math.abs(v) >= 1e-3 && Math.abs(v) < 1e5 ? String(Number(v.toPrecision(4))) : v.toExponential(2);
}

interface Frame {
  width: number;
  height: number;
  maxPoints: number;
  window?: number;
}

const X = { field: 'step', type: 'quantitative', title: 'step', scale: { zero: false, nice: false }, axis: { tickMinStep: 1, format: ',d' } } as const;

/** The y encoding of a field: quantitative, not from zero, with the chart's title and number format. */
function yEncoding(title: string, format?: string): (field: string) => Record<string, unknown> {
  const axis = format ? { format } : {};
  return (field) => ({ field, type: 'quantitative', title, scale: { zero: false }, axis });
}

/** A Vega-Lite chart of layers over one data set, titled and sized by the frame. */
function layeredChart(id: string, title: string, subtitle: string[], f: Frame, values: unknown[], layer: unknown[]): ReportChart {
  const spec = {
    $schema: SCHEMA,
    title: { text: title, subtitle, anchor: 'start' },
    width: f.width,
    height: f.height,
    data: { values },
    layer,
  } as unknown as TopLevelSpec;
  return { id, title, spec };
}

/** Describes the layers of a band chart in its subtitle. */
function bandSubtitle(points: AggregatedPoint[], raw: number, window: number): string[] {
  const agg = points.length < raw;
  if (!agg && window === 1) return ['each step'];
  const per = agg ? `band: min–max per ${Math.ceil(raw / points.length)} steps` : 'thin: each step';
  return [`${per}; line: mean of last ${window} step${window === 1 ? '' : 's'}`];
}

/** One series: a min–max band (or the raw line), its rolling mean, and an optional dashed rule. */
function bandChart(id: string, title: string, yTitle: string, raw: SeriesPoint[], f: Frame, rule?: { value: number; label: string }, yFormat?: string): ReportChart | null {
  const window = f.window ?? defaultWindow(raw.length);
  const points = aggregateSeries(raw, { maxPoints: f.maxPoints, window });
  if (points.length === 0) return null;
  const aggregated = points.length < raw.length;
  const y = yEncoding(yTitle, yFormat);
  const raw1 = !aggregated && window === 1; // each point once: no band, no separate rolling mean
  const layer: unknown[] = [
    aggregated
      ? { mark: { type: 'area', color: LIGHT, opacity: 0.6 }, encoding: { x: X, y: y('min'), y2: { field: 'max' } } }
      : { mark: { type: 'line', color: raw1 ? DARK : LIGHT, strokeWidth: raw1 ? 2 : 1, point: points.length <= 40 }, encoding: { x: X, y: y('mean') } },
  ];
  if (!raw1) layer.push({ mark: { type: 'line', color: DARK, strokeWidth: 2 }, encoding: { x: X, y: y('smooth') } });
  const subtitle = bandSubtitle(points, raw.length, window);
  if (rule) {
    const data = { values: [{ rule: rule.value }] };
    layer.push(
      { data, mark: { type: 'rule', color: CHANCE, strokeDash: [6, 4], strokeWidth: 1.5 }, encoding: { y: y('rule') } },
      { data, mark: { type: 'text', color: CHANCE, align: 'right', baseline: 'bottom', dx: -3, dy: -3 }, encoding: { y: y('rule'), x: { value: 'width' }, text: { value: rule.label } } },
    );
    subtitle.push(`dashed: ${rule.label}`);
  }
  return layeredChart(id, title, subtitle, f, points, layer);
}

/** Several series in one chart, coloured by name, with optional dashed per-series rules. */
function multiChart(
  id: string,
  title: string,
  yTitle: string,
  named: { name: string; raw: SeriesPoint[] }[],
  f: Frame,
  o: { use: 'mean' | 'smooth'; rules?: { series: string; value: number }[]; legend: string; yFormat?: string; subtitle?: string },
): ReportChart | null {
  const rows: { step: number; series: string; value: number }[] = [];
  let aggregated = false;
  let window = 1;
  for (const { name, raw } of named) {
    window = f.window ?? defaultWindow(raw.length);
    const points = aggregateSeries(raw, { maxPoints: f.maxPoints, window });
    if (points.length < raw.length) aggregated = true;
    for (const p of points) rows.push({ step: p.step, series: name, value: o.use === 'mean' ? p.mean : p.smooth });
  }
  if (rows.length === 0) return null;
  const names = named.filter((s) => s.raw.length > 0).map((s) => s.name);
  const color = { field: 'series', type: 'nominal', title: o.legend, scale: { domain: names }, ...(names.length > 1 ? {} : { legend: null }) } as const;
  const y = yEncoding(yTitle, o.yFormat);
  const few = rows.length / Math.max(1, names.length) <= 40;
  const layer: unknown[] = [{ mark: { type: 'line', strokeWidth: 1.5, point: few }, encoding: { x: X, y: y('value'), color } }];
  const rules = (o.rules ?? []).filter((r) => names.includes(r.series));
  if (rules.length) layer.push({ data: { values: rules }, mark: { type: 'rule', strokeDash: [6, 4], strokeWidth: 1.2 }, encoding: { y: y('value'), color } });
  const parts = [o.subtitle ?? (o.use === 'smooth' && window > 1 ? `mean of last ${window} step${window === 1 ? '' : 's'}` : aggregated ? 'mean per bucket of steps' : 'each step')];
  if (rules.length) parts.push('dashed: chance');
  return layeredChart(id, title, parts, f, rows, layer);
}

/**
 * The charts for a run's step records (sorted by step, one per step — see parseLog). Charts whose
 * series has no finite value are left out; no records gives an empty list.
 */
export function buildCharts(records: readonly StepRecord[], opts: ChartOptions = {}): ReportChart[] {
  const f: Frame = { width: opts.width ?? 520, height: opts.height ?? 160, maxPoints: opts.maxPoints ?? DEFAULT_MAX_POINTS, window: opts.window };
  const chance = opts.chance ?? {};
  const charts: (ReportChart | null)[] = [];
  for (const term of keysOf(records, (r) => r.losses)) {
    const c = chance[term];
    charts.push(bandChart(`loss-${term}`, `loss: ${term}`, 'loss', series(records, (r) => r.losses?.[term]), f, isFiniteNumber(c) ? { value: c, label: `chance ${fmt(c)}` } : undefined));
  }
  charts.push(bandChart('loss-total', 'weighted total loss', 'loss', series(records, (r) => r.total), f));
  const weightNames = keysOf(records, (r) => r.weights);
  charts.push(multiChart('weights', 'task weights', 'weight', weightNames.map((name) => ({ name, raw: series(records, (r) => r.weights?.[name]) })), f, { use: 'mean', legend: 'term' }));
  charts.push(multiChart('lr', 'learning rate', 'lr', [{ name: 'lr', raw: series(records, (r) => r.lr) }], f, { use: 'mean', legend: '', yFormat: '.2e' }));
  charts.push(bandChart('throughput', 'throughput', 'clips/s', series(records, (r) => r.clipsPerSec), f));
  charts.push(bandChart('grad-norm', 'gradient norm (before clipping)', 'norm', series(records, (r) => r.gradNorm), f));
  const metricNames = keysOf(records, (r) => r.metrics);
  const knn = metricNames.filter((k) => /^knn/i.test(k));
  const acc = metricNames.filter((k) => !knn.includes(k) && k.endsWith('_acc'));
  const other = metricNames.filter((k) => !knn.includes(k) && !acc.includes(k));
  const metricSeries = (names: string[]) => names.map((name) => ({ name, raw: series(records, (r) => r.metrics?.[name]) }));
  charts.push(multiChart('knn', 'online kNN', 'kNN', metricSeries(knn), f, { use: 'mean', legend: 'metric', subtitle: 'each evaluation (mean per bucket on long runs)' }));
  const accRules = acc.flatMap((k) => {
    const c = chance[k.slice(0, -4)];
    return isFiniteNumber(c) ? [{ series: k, value: Math.exp(-c) }] : [];
  });
  charts.push(multiChart('accuracy', 'pretext task accuracy (training batches)', 'accuracy', metricSeries(acc), f, { use: 'smooth', legend: 'metric', rules: accRules }));
  charts.push(multiChart('metrics', 'other metrics', 'value', metricSeries(other), f, { use: 'smooth', legend: 'metric' }));
  return charts.filter((c): c is ReportChart => c !== null);
}
