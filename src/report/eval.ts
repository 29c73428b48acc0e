// Evaluation results of a run (`<run>/eval.json`) as tables, one per protocol. Platform-neutral.
// eval.json is an array of results, `{ "results": [...] }`, or an object with arrays of results
// under other keys (examples/pretrain.ts writes `{ format, table, pretrained: [...], random: [...] }`:
// every array whose items all have `protocol` and `metrics` is read, in key order). Each result
// needs `protocol` (string) and `metrics` (name → number, null = not measured); the rest is optional:
//
//   { "results": [
//       { "protocol": "knn", "dataset": "ucf101 split 1", "backbone": "tiny", "init": "cstp step 300",
//         "metrics": { "top1": 0.412, "top5": 0.803 } },
//       { "protocol": "linear", "init": "random", "metrics": { "top1": 0.12 } } ] }
//
// Label columns: `dataset`, `backbone`, `init` (alias `label`), `checkpoint`, `notes` (strings). The
// evaluators' own result objects (src/plugins/evaluators, format 'cstp-eval/1') are read as they
// are: the labels then come from `provenance` (dataset.name, backbone.type, checkpoint kind/step/path)
// and `primary.name` marks the headline metric. Other fields are ignored. Values are shown as given
// (fractions stay fractions).

export interface EvalRow {
  /** 'knn', 'linear', 'finetune', 'retrieval', … (one table per protocol). */
  protocol: string;
  /** Labelled data it was measured on ('ucf101 split 1'). */
  dataset?: string;
  /** Backbone architecture ('tiny', 'r2plus1d'). */
  backbone?: string;
  /** The weights evaluated: 'cstp step 300', 'random', 'supervised', … (`label` is accepted as an alias). */
  init?: string;
  /** Checkpoint path, when it came from one. */
  checkpoint?: string;
  notes?: string;
  metrics: Record<string, number | null>;
  /** The headline metric's name (shown in bold). */
  primary?: string;
}

export interface EvalFile {
  results: EvalRow[];
  [meta: string]: unknown;
}

export interface EvalTable {
  protocol: string;
  /** Label columns present in at least one row, then the union of metric names in order of appearance. */
  labelColumns: ('dataset' | 'backbone' | 'init' | 'checkpoint' | 'notes')[];
  metricColumns: string[];
  rows: EvalRow[];
}

export class EvalFormatError extends Error {}

const LABELS = ['dataset', 'backbone', 'init', 'checkpoint', 'notes'] as const;

function resultLike(x: unknown): boolean {
  const r = x as Record<string, unknown> | null;
  return typeof r === 'object' && r !== null && typeof r.protocol === 'string' && typeof r.metrics === 'object' && r.metrics !== null;
}

/** The result objects of the file with their paths: the array, `results`, or every array of results under a key. */
function resultList(json: unknown): { x: unknown; at: string }[] {
  if (Array.isArray(json)) return json.map((x, i) => ({ x, at: `results[${i}]` }));
  if (typeof json === 'object' && json !== null) {
    const o = json as Record<string, unknown>;
    if (Array.isArray(o.results)) return o.results.map((x, i) => ({ x, at: `results[${i}]` }));
    // e.g. examples/pretrain.ts's { format, table, pretrained: [...], random: [...] }: the arrays whose items are all results.
    const keyed = Object.entries(o).filter(([, v]) => Array.isArray(v) && v.length > 0 && v.every(resultLike)) as [string, unknown[]][];
    if (keyed.length) return keyed.flatMap(([k, v]) => v.map((x, i) => ({ x, at: `${k}[${i}]` })));
  }
  throw new EvalFormatError('expected an array of results, an object with a "results" array, or arrays of results (objects with "protocol" and "metrics") under its keys');
}

/** Validates parsed eval.json content; throws EvalFormatError naming the first problem. */
export function parseEvalResults(json: unknown): EvalRow[] {
  return resultList(json).map(({ x, at }) => {
    if (typeof x !== 'object' || x === null) throw new EvalFormatError(`${at}: expected an object`);
    const r = x as Record<string, unknown>;
    if (typeof r.protocol !== 'string' || !r.protocol) throw new EvalFormatError(`${at}.protocol: expected a string`);
    if (typeof r.metrics !== 'object' || r.metrics === null || Array.isArray(r.metrics)) throw new EvalFormatError(`${at}.metrics: expected an object of numbers`);
    const metrics: Record<string, number | null> = {};
    for (const [k, v] of Object.entries(r.metrics as Record<string, unknown>)) {
      if (v !== null && typeof v !== 'number') throw new EvalFormatError(`${at}.metrics.${k}: expected a number or null, got ${JSON.stringify(v)}`);
      metrics[k] = v as number | null;
    }
    const out: EvalRow = { protocol: r.protocol, metrics };
    const prov = (typeof r.provenance === 'object' && r.provenance !== null ? r.provenance : {}) as Record<string, any>;
    const ck = (typeof prov.checkpoint === 'object' && prov.checkpoint !== null ? prov.checkpoint : {}) as Record<string, unknown>;
    const str = (...xs: unknown[]) => xs.find((x): x is string => typeof x === 'string' && x !== '');
    const fromCheckpoint = typeof ck.step === 'number' ? `${str(ck.kind) ?? 'checkpoint'} step ${ck.step}` : str(ck.kind);
    const labels = {
      dataset: str(r.dataset, prov.dataset?.name),
      backbone: str(r.backbone, prov.backbone?.type),
      init: str(r.init, r.label, fromCheckpoint),
      checkpoint: str(r.checkpoint, ck.path),
      notes: str(r.notes),
    };
    for (const k of LABELS) if (labels[k] !== undefined) out[k] = labels[k];
    const primary = typeof r.primary === 'string' ? r.primary : str((r.primary as { name?: unknown } | null)?.name);
    if (primary !== undefined && primary in metrics) out.primary = primary;
    return out;
  });
}

/** Groups results into one table per protocol (in order of first appearance). */
export function evalTables(results: readonly EvalRow[]): EvalTable[] {
  const byProtocol = new Map<string, EvalRow[]>();
  for (const r of results) {
    const rows = byProtocol.get(r.protocol) ?? [];
    rows.push(r);
    byProtocol.set(r.protocol, rows);
  }
  return [...byProtocol].map(([protocol, rows]) => {
    const metricColumns: string[] = [];
    for (const r of rows) for (const k of Object.keys(r.metrics)) if (!metricColumns.includes(k)) metricColumns.push(k);
    const labelColumns = LABELS.filter((k) => rows.some((r) => r[k] !== undefined));
    return { protocol, labelColumns, metricColumns, rows };
  });
}

/** A metric value for a table cell: up to 4 significant digits, '—' when absent. */
export function formatMetric(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  return a >= 1e-3 && a < 1e6 ? String(Number(v.toPrecision(4))) : v.toExponential(3);
}
