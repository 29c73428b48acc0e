// The run report as one self-contained HTML page: a summary, the loss table (start / end against
// chance), the charts of ./charts.ts rendered to inline SVG, the evaluation tables and the config.
// No scripts, no external resources: it opens offline. Platform-neutral (the caller reads the files).
import type { StepRecord } from '../plugins/trainer/types.ts';
import type { LogEvent } from './log.ts';
import { buildCharts, type ChartOptions } from './charts.ts';
import { renderChartSVG } from './render.ts';
import { evalTables, formatMetric, type EvalRow } from './eval.ts';
import { isFiniteNumber } from './downsample.ts';

export interface ReportInput {
  /** The run's name (its folder). */
  title: string;
  /** Step records sorted by step (parseLog). */
  records: readonly StepRecord[];
  events?: readonly LogEvent[];
  /** The run's config (config.json), shown in a summary and in full. */
  config?: unknown;
  /** Chance level of each loss term. */
  chance?: Record<string, number>;
  /** Evaluation results (eval.json); when absent, `evalMessage` says why. */
  evalResults?: readonly EvalRow[];
  evalMessage?: string;
  /** Notes shown at the top (missing files, unreadable lines). */
  messages?: readonly string[];
  chartOptions?: ChartOptions;
  /** ISO time shown in the header (default now). */
  generatedAt?: string;
}

export interface ReportOutput {
  html: string;
  /** Charts rendered (one inline <svg> each). */
  charts: number;
  /** Chart compiler warnings and charts that failed to render. */
  warnings: string[];
}

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

function num(v: number, digits = 4): string {
  return isFiniteNumber(v) ? v.toFixed(digits) : '—';
}

function mean(xs: unknown[]): number {
  const f = xs.filter(isFiniteNumber);
  return f.length ? f.reduce((a, b) => a + b, 0) / f.length : Number.NaN;
}

function median(xs: unknown[]): number {
  const f = xs.filter(isFiniteNumber).sort((a, b) => a - b);
  if (!f.length) return Number.NaN;
  const m = f.length >> 1;
  return f.length % 2 ? f[m] : (f[m - 1] + f[m]) / 2;
}

function plugin(p: unknown): string {
  if (p === null || p === undefined) return '(none)';
  if (typeof p === 'string') return p;
  if (typeof p === 'object' && typeof (p as { type?: unknown }).type === 'string') {
    const { type, ...rest } = p as { type: string };
    const opts = Object.entries(rest).map(([k, v]) => `${k} ${JSON.stringify(v)}`).join(', ');
    return opts ? `${type} (${opts})` : type;
  }
  return JSON.stringify(p);
}

function row(cells: string[], head = false): string {
  const tag = head ? 'th' : 'td';
  return `<tr>${cells.map((c) => `<${tag}>${c}</${tag}>`).join('')}</tr>`;
}

function summary(input: ReportInput): string {
  const r = input.records;
  const c = (input.config ?? {}) as Record<string, unknown>;
  const items: [string, string][] = [];
  const adapters = [...new Set(r.map((x) => x.adapter).filter((a) => typeof a === 'string'))];
  if (adapters.length) items.push(['adapter', adapters.join('; ')]);
  if (r.length) {
    const skipped = r.filter((x) => x.skipped).length;
    items.push(['steps logged', `${r.length} (step ${r[0].step} → ${r[r.length - 1].step})${skipped ? `, ${skipped} skipped (non-finite)` : ''}`]);
    const rate = median(r.map((x) => x.clipsPerSec));
    const ms = median(r.map((x) => x.stepMs));
    items.push(['throughput', `${num(rate, 2)} clips/s median (${num(ms / 1000, 3)} s/step median)`]);
    const epochs = r.map((x) => x.epoch).filter(isFiniteNumber);
    if (epochs.length) items.push(['epochs', `${Math.min(...epochs)} → ${Math.max(...epochs)}`]);
  }
  if (input.config !== undefined) {
    const tasks = Array.isArray(c.tasks) ? c.tasks.map(plugin).join(', ') || '(none)' : undefined;
    const data = c.data as Record<string, unknown> | undefined;
    if (data) items.push(['data', `${data.path === null ? 'synthetic' : String(data.path)}${data.clipLength !== undefined ? `, T = ${data.clipLength}` : ''}${data.size !== undefined ? `, ${data.size}²` : ''}`]);
    if (c.backbone !== undefined) items.push(['backbone', plugin(c.backbone)]);
    if (tasks !== undefined) items.push(['pretext tasks', tasks]);
    if ('objective' in c) items.push(['objective', plugin(c.objective)]);
    if (c.weighting !== undefined) items.push(['weighting', plugin(c.weighting)]);
    if (c.optimizer !== undefined) items.push(['optimizer', plugin(c.optimizer)]);
    if (c.schedule !== undefined) items.push(['schedule', plugin(c.schedule)]);
    if (c.batchSize !== undefined) items.push(['batch size', `${c.batchSize} pairs`]);
    if (c.seed !== undefined) items.push(['seed', String(c.seed)]);
  }
  const ev = input.events ?? [];
  const resumes = ev.filter((e) => e.event === 'resume').map((e) => e.step);
  if (resumes.length) items.push(['resumed', `at step${resumes.length > 1 ? 's' : ''} ${resumes.join(', ')}`]);
  const stops = ev.filter((e) => e.event === 'stopped').map((e) => e.step);
  if (stops.length) items.push(['stopped by a signal', `at step${stops.length > 1 ? 's' : ''} ${stops.join(', ')}`]);
  const checkpoints = ev.filter((e) => e.event === 'checkpoint');
  if (checkpoints.length) items.push(['checkpoints', `${checkpoints.length} saved, last at step ${checkpoints[checkpoints.length - 1].step}`]);
  if (!items.length) return '';
  return `<table class="kv">${items.map(([k, v]) => row([escapeHtml(k), escapeHtml(v)])).join('')}</table>`;
}

function lossTable(input: ReportInput): string {
  const r = input.records;
  if (!r.length) return '';
  const terms: string[] = [];
  for (const x of r) for (const k of Object.keys(x.losses ?? {})) if (!terms.includes(k)) terms.push(k);
  const n = Math.max(1, Math.min(20, Math.floor(r.length / 4)));
  const chance = input.chance ?? {};
  const line = (name: string, get: (x: StepRecord) => unknown, c?: number) => {
    const start = mean(r.slice(0, n).map(get));
    const end = mean(r.slice(-n).map(get));
    const below = isFiniteNumber(c) && isFiniteNumber(end) ? (end < c ? 'yes' : 'no') : '';
    return row([escapeHtml(name), num(start), num(end), isFiniteNumber(c) ? num(c) : '', below]);
  };
  const rows = [...terms.map((t) => line(t, (x) => x.losses?.[t], chance[t])), line('total (weighted)', (x) => x.total)];
  return `<p>Mean of the first and the last ${n} logged step${n === 1 ? '' : 's'}.</p>
<table>${row(['term', 'start', 'end', 'chance', 'below chance'], true)}${rows.join('')}</table>`;
}

function evalSection(input: ReportInput): string {
  const results = input.evalResults;
  if (!results || results.length === 0) {
    return `<p class="note">${escapeHtml(input.evalMessage ?? 'No evaluation results (eval.json) for this run.')}</p>`;
  }
  return evalTables(results)
    .map((t) => {
      const head = `<tr>${t.labelColumns.map((k) => `<th class="l">${escapeHtml(k)}</th>`).join('')}${t.metricColumns.map((k) => `<th>${escapeHtml(k)}</th>`).join('')}</tr>`;
      const body = t.rows.map(
        (r) => `<tr>${t.labelColumns.map((k) => (k === 'checkpoint' && r[k] ? `<td class="l" title="${escapeHtml(r[k]!)}">${escapeHtml(r[k]!.split(/[\\/]/).pop()!)}</td>` : `<td class="l">${escapeHtml(r[k] ?? '')}</td>`)).join('')}${t.metricColumns.map((k) => (k === r.primary ? `<td><b>${formatMetric(r.metrics[k])}</b></td>` : `<td>${formatMetric(r.metrics[k])}</td>`)).join('')}</tr>`,
      );
      const bold = t.rows.some((r) => r.primary) ? '<p class="meta">bold: the protocol\'s headline metric</p>' : '';
      return `<h3>${escapeHtml(t.protocol)}</h3>\n<table class="eval">${head}${body.join('')}</table>${bold}`;
    })
    .join('\n');
}

const STYLE = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #222; margin: 24px auto; max-width: 1320px; padding: 0 16px; }
h1 { font-size: 22px; margin-bottom: 2px; } h2 { font-size: 18px; margin-top: 28px; border-bottom: 1px solid #ddd; } h3 { font-size: 15px; }
.meta { color: #666; margin-top: 0; } .note { background: #fff8e1; border-left: 4px solid #f0b400; padding: 6px 10px; }
table { border-collapse: collapse; margin: 8px 0; } td, th { padding: 3px 10px; border-bottom: 1px solid #eee; text-align: right; }
th { background: #f4f4f4; } td:first-child, th:first-child { text-align: left; } table.kv td { text-align: left; } table.kv td:first-child { color: #555; }
table.eval .l { text-align: left; } .charts { display: flex; flex-wrap: wrap; gap: 12px 20px; }
figure { margin: 0; } figure svg { max-width: 100%; height: auto; } pre { background: #f7f7f7; padding: 8px; overflow: auto; font-size: 12px; }
`;

/** Builds the whole page; a chart that fails to render becomes a note instead (listed in `warnings`). */
export async function buildReportHtml(input: ReportInput): Promise<ReportOutput> {
  const warnings: string[] = [];
  const charts = buildCharts(input.records, { chance: input.chance, ...input.chartOptions });
  const figures: string[] = [];
  let rendered = 0;
  for (const c of charts) {
    try {
      const svg = await renderChartSVG(c.spec, warnings);
      figures.push(`<figure id="chart-${escapeHtml(c.id)}">${svg}</figure>`);
      rendered++;
    } catch (err) {
      const msg = `chart '${c.title}' could not be rendered: ${(err as Error).message}`;
      warnings.push(msg);
      figures.push(`<p class="note">${escapeHtml(msg)}</p>`);
    }
  }
  const messages = [...(input.messages ?? [])];
  if (!input.records.length) messages.push('No step records in the log yet (log.jsonl is missing or empty): nothing to chart.');
  const title = `Run report: ${input.title}`;
  const html = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p class="meta">generated ${escapeHtml(input.generatedAt ?? new Date().toISOString())} from log.jsonl${input.config !== undefined ? ', config.json' : ''}${input.evalResults?.length ? ', eval.json' : ''}</p>
${messages.map((m) => `<p class="note">${escapeHtml(m)}</p>`).join('\n')}
<h2>Summary</h2>
${summary(input)}
${lossTable(input)}
<h2>Training curves</h2>
${figures.length ? `<div class="charts">\n${figures.join('\n')}\n</div>` : '<p class="note">No charts: no step records.</p>'}
<h2>Evaluation</h2>
${evalSection(input)}
${input.config !== undefined ? `<h2>Config</h2>\n<details><summary>config.json</summary><pre>${escapeHtml(JSON.stringify(input.config, null, 2))}</pre></details>` : ''}
</body>
</html>
`;
  return { html, charts: rendered, warnings };
}
