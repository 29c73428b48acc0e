// The pure part of examples/ablation.ts (no GPU, no files): variant names → task sets, the run
// configs of a study, mean ± std over seeds, and the summary table (text and markdown).
import { ConfigError, type TrainConfig } from '../../src/plugins/config.ts';

/** One arm of the study: which pretext tasks are trained, and whether the contrastive objective is. */
export interface Variant {
  /** As given on the command line; also the run folder's name. */
  name: string;
  tasks: string[];
  contrastive: boolean;
}

/** The reference paper's three pretext tasks ("pretext" and "all"). */
export const PAPER_TASKS = ['stor', 'speed', 'rotation'] as const;

/** The named variants of the paper's ablation, in its order. */
export const VARIANT_PRESETS: Readonly<Record<string, { tasks: readonly string[]; contrastive: boolean; description: string }>> = {
  contrastive: { tasks: [], contrastive: true, description: 'contrastive objective only (no pretext task)' },
  pretext: { tasks: PAPER_TASKS, contrastive: false, description: 'pretext tasks only: stor, speed, rotation (no objective)' },
  'stor+contrastive': { tasks: ['stor'], contrastive: true, description: 'STOR + the contrastive objective' },
  all: { tasks: PAPER_TASKS, contrastive: true, description: 'stor, speed, rotation + the contrastive objective (full CSTP)' },
};

export const DEFAULT_VARIANTS = Object.keys(VARIANT_PRESETS);

/** The folder (and table row) of the random-initialisation baseline. */
export const RANDOM_INIT = 'random-init';

/**
 * Parses `--variants`: preset names (contrastive, pretext, stor+contrastive, all), or any '+'-joined
 * combination of registered pretext tasks and `contrastive` (e.g. `speed+rotation`,
 * `rotation+contrastive`). Throws a ConfigError listing the valid names for anything else.
 */
export function parseVariants(list: string, taskNames: readonly string[]): Variant[] {
  const names = list.split(',').map((s) => s.trim()).filter(Boolean);
  const valid = () =>
    `valid variants: ${DEFAULT_VARIANTS.join(', ')}, or pretext tasks joined by '+' (${taskNames.join(', ')}), optionally with '+contrastive'`;
  if (names.length === 0) throw new ConfigError(`--variants: no variant given; ${valid()}`);
  const out: Variant[] = [];
  for (const name of names) {
    if (name === RANDOM_INIT) throw new ConfigError(`--variants: '${RANDOM_INIT}' is the baseline row, always included; ${valid()}`);
    const preset = VARIANT_PRESETS[name];
    let v: Variant;
    if (preset) v = { name, tasks: [...preset.tasks], contrastive: preset.contrastive };
    else {
      const parts = name.split('+').map((s) => s.trim());
      const unknown = parts.filter((p) => p !== 'contrastive' && !taskNames.includes(p));
      if (unknown.length || parts.some((p) => p === '')) throw new ConfigError(`--variants: unknown variant '${name}'${unknown.length ? ` ('${unknown.join("', '")}' is not a pretext task)` : ''}; ${valid()}`);
      if (new Set(parts).size !== parts.length) throw new ConfigError(`--variants: '${name}' names a part twice`);
      v = { name, tasks: parts.filter((p) => p !== 'contrastive'), contrastive: parts.includes('contrastive') };
    }
    if (out.some((o) => o.name === name)) throw new ConfigError(`--variants: '${name}' is listed twice`);
    out.push(v);
  }
  return out;
}

/**
 * The raw config of one variant at one seed: the study's base config with the variant's tasks (each
 * keeping the options the base config gives a task of that type, e.g. `--set tasks[0].hidden=32`)
 * and the base config's objective or none; everything else (budget, data, backbone, optimizer) is the
 * base's, so every variant trains at the same budget.
 */
export function variantConfig(base: TrainConfig, v: Variant, seed: number, out: string): Record<string, unknown> {
  const raw = structuredClone(base) as unknown as Record<string, unknown>;
  raw.tasks = v.tasks.map((t) => structuredClone(base.tasks.find((b) => b.type === t) ?? { type: t }));
  raw.objective = v.contrastive ? structuredClone(base.objective) : null;
  raw.seed = seed;
  raw.out = out;
  raw.resume = false;
  return raw;
}

/** Config fields that do not change what a run computes (ignored when checking that a run folder can be reused). */
export const NON_RESULT_FIELDS = ['out', 'resume', 'checkpointEvery', 'knnEvery', 'data.workers', 'data.prefetch'];

function flatten(x: unknown, prefix: string, out: Map<string, string>): void {
  if (x !== null && typeof x === 'object' && !Array.isArray(x)) {
    for (const [k, v] of Object.entries(x as Record<string, unknown>)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else out.set(prefix, JSON.stringify(x));
}

/** The dotted paths where two configs differ, ignoring NON_RESULT_FIELDS (arrays compare whole). */
export function configDifferences(a: unknown, b: unknown): string[] {
  const fa = new Map<string, string>();
  const fb = new Map<string, string>();
  flatten(a, '', fa);
  flatten(b, '', fb);
  const keys = [...new Set([...fa.keys(), ...fb.keys()])].filter((k) => !NON_RESULT_FIELDS.some((n) => k === n || k.startsWith(`${n}.`)));
  return keys.filter((k) => fa.get(k) !== fb.get(k)).sort();
}

export interface MeanStd {
  /** Arithmetic mean of the finite values (NaN when there are none). */
  mean: number;
  /** Sample standard deviation (divisor n − 1); null with fewer than two values. */
  std: number | null;
  /** Number of finite values. */
  n: number;
}

/** Mean and sample standard deviation (n − 1) of the finite values; non-finite ones are left out. */
export function meanStd(values: readonly number[]): MeanStd {
  const xs = values.filter((v) => Number.isFinite(v));
  const n = xs.length;
  if (n === 0) return { mean: Number.NaN, std: null, n };
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { mean, std: null, n };
  const ss = xs.reduce((a, b) => a + (b - mean) ** 2, 0);
  return { mean, std: Math.sqrt(ss / (n - 1)), n };
}

/** A table column: a protocol and the metric of it that is reported (its primary metric). */
export interface Column {
  protocol: string;
  metric: string;
}

/** One finished run: a variant (or the random-init baseline) at one seed, with each protocol's value. */
export interface RunValues {
  variant: string;
  seed: number;
  /** protocol → value of its column metric (a fraction in [0, 1]). */
  values: Record<string, number>;
}

export interface SummaryRow {
  variant: string;
  tasks: string[] | null;
  objective: string | null;
  seeds: number[];
  /** protocol → mean ± std over seeds, with the per-seed values in seed order. */
  summary: Record<string, MeanStd & { metric: string; values: number[] }>;
}

/** Groups run values into one row per variant (in `order`), each column's mean ± std over the seeds. */
export function summarize(runs: readonly RunValues[], order: readonly { name: string; tasks: string[] | null; objective: string | null }[], columns: readonly Column[]): SummaryRow[] {
  return order.map((o) => {
    const mine = runs.filter((r) => r.variant === o.name).sort((a, b) => a.seed - b.seed);
    const summary: SummaryRow['summary'] = {};
    for (const c of columns) {
      const values = mine.map((r) => r.values[c.protocol]).filter((v): v is number => typeof v === 'number');
      summary[c.protocol] = { metric: c.metric, values, ...meanStd(values) };
    }
    return { variant: o.name, tasks: o.tasks, objective: o.objective, seeds: mine.map((r) => r.seed), summary };
  });
}

/** `45.0 ± 2.3` (percent, one decimal); the mean alone with one seed; `–` with none. */
export function formatMeanStd(m: MeanStd, scale = 100, digits = 1): string {
  if (m.n === 0 || !Number.isFinite(m.mean)) return '–';
  const mean = (scale * m.mean).toFixed(digits);
  return m.std === null ? mean : `${mean} ± ${(scale * m.std).toFixed(digits)}`;
}

function columnTitle(c: Column): string {
  const names: Record<string, string> = { knn: 'kNN', linear: 'linear', retrieval: 'retrieval', finetune: 'fine-tune' };
  return `${names[c.protocol] ?? c.protocol} ${c.metric}`;
}

function cells(rows: readonly SummaryRow[], columns: readonly Column[]): string[][] {
  return rows.map((r) => [
    r.variant === RANDOM_INIT ? 'random init' : r.variant,
    r.tasks === null ? '–' : r.tasks.join(', ') || 'none',
    r.tasks === null ? '–' : (r.objective ?? 'none'),
    ...columns.map((c) => formatMeanStd(r.summary[c.protocol])),
  ]);
}

/** The summary as a markdown table (percent, mean ± sample std over seeds). */
export function markdownTable(rows: readonly SummaryRow[], columns: readonly Column[]): string {
  const head = ['variant', 'tasks', 'objective', ...columns.map((c) => `${columnTitle(c)} (%)`)];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i < 3 ? '---' : '---:')).join('|')}|`];
  for (const c of cells(rows, columns)) lines.push(`| ${c.join(' | ')} |`);
  return lines.join('\n');
}

/** The summary as an aligned plain-text table for the terminal. */
export function textTable(rows: readonly SummaryRow[], columns: readonly Column[]): string {
  const head = ['variant', 'tasks', 'objective', ...columns.map((c) => `${columnTitle(c)} (%)`)];
  const body = cells(rows, columns);
  const width = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((s, i) => (i < 3 ? s.padEnd(width[i]) : s.padStart(width[i]))).join('  ').trimEnd();
  return [line(head), width.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}
