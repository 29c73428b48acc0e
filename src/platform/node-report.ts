// Node side of the run report: reads `<run>/log.jsonl`, `config.json` and `eval.json`, writes
// `<run>/report.html` (to a temporary file, then renamed). The page itself is src/report.
import { readFile, writeFile, rename, unlink, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { parseLog, buildReportHtml, chanceFromConfig, parseEvalResults, type ChartOptions, type EvalRow } from '../report/index.ts';

export interface RunReportOptions {
  /** Chance level of each loss term; default: derived from config.json (built-in tasks). Given levels win. */
  chance?: Record<string, number>;
  /** Where to write (default `<runDir>/report.html`). */
  out?: string;
  chartOptions?: ChartOptions;
}

export interface RunReportResult {
  path: string;
  /** Step records charted. */
  steps: number;
  charts: number;
  /** Whether eval.json gave results. */
  evalResults: number;
  /** What was missing or unreadable, and chart warnings (the report was still written). */
  warnings: string[];
}

async function readText(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/**
 * Writes `<runDir>/report.html` from the run's files. A missing or empty log, a missing or invalid
 * eval.json or config.json give a note in the page (and in `warnings`), not an error; only a
 * missing run folder or an unwritable output throws.
 */
export async function writeRunReport(runDir: string, opts: RunReportOptions = {}): Promise<RunReportResult> {
  const dir = resolve(runDir);
  let isDir = false;
  try {
    isDir = (await stat(dir)).isDirectory();
  } catch {
    /* reported below */
  }
  if (!isDir) throw new Error(`run folder not found: ${runDir}`);
  const messages: string[] = [];
  const logText = await readText(join(dir, 'log.jsonl'));
  if (logText === null) messages.push(`No log.jsonl in ${dir}.`);
  const log = parseLog(logText ?? '');
  if (log.badLines) messages.push(`${log.badLines} line${log.badLines === 1 ? '' : 's'} of log.jsonl could not be read (skipped).`);
  if (log.replaced) messages.push(`${log.replaced} step${log.replaced === 1 ? ' was' : 's were'} logged twice (re-run after a resume); the later line is shown.`);

  let config: unknown;
  const configText = await readText(join(dir, 'config.json'));
  if (configText !== null) {
    try {
      config = JSON.parse(configText);
    } catch (err) {
      messages.push(`config.json could not be read: ${(err as Error).message}`);
    }
  }
  const chance = { ...chanceFromConfig(config), ...opts.chance };

  let evalResults: EvalRow[] | undefined;
  let evalMessage: string | undefined;
  const evalText = await readText(join(dir, 'eval.json'));
  if (evalText === null) evalMessage = 'No evaluation results yet (no eval.json in the run folder).';
  else {
    try {
      evalResults = parseEvalResults(JSON.parse(evalText));
      if (!evalResults.length) evalMessage = 'eval.json has no results.';
    } catch (err) {
      evalMessage = `eval.json could not be read: ${(err as Error).message}`;
    }
  }

  const { html, charts, warnings } = await buildReportHtml({
    title: basename(dir),
    records: log.records,
    events: log.events,
    config,
    chance,
    evalResults,
    evalMessage,
    messages,
    chartOptions: opts.chartOptions,
  });
  const path = resolve(opts.out ?? join(dir, 'report.html'));
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await writeFile(tmp, html, 'utf8');
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
  const all = [...messages, ...(evalResults?.length ? [] : evalMessage ? [evalMessage] : []), ...warnings];
  return { path, steps: log.records.length, charts, evalResults: evalResults?.length ?? 0, warnings: all };
}
