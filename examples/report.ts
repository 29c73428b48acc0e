// Regenerates a run's HTML report (<run>/report.html) from its log.jsonl, config.json and, when
// present, eval.json: loss curves against chance, task weights, lr, throughput, gradient norm,
// metrics (online kNN, task accuracies) as inline SVG charts, and the evaluation tables. One
// self-contained file that opens offline.
//
//   npx tsx examples/report.ts runs/pretrain
//   npx tsx examples/report.ts runs/pretrain --out /tmp/report.html --max-points 300
//
// Exit status: 0 written (notes about missing files are printed), 2 bad arguments, 1 other errors.
import { writeRunReport } from '../src/platform/node-report.ts';
import { runCommand } from './lib/cli.ts';

const USAGE = `Usage: npx tsx examples/report.ts <run folder> [--out <file>] [--max-points <n>] [--window <steps>]

Writes <run folder>/report.html from log.jsonl (+ config.json, eval.json).
  --out <file>        where to write (default <run folder>/report.html)
  --max-points <n>    most points per series before aggregating (default 600)
  --window <steps>    rolling-mean window (default about 2% of the run)`;

function fail(msg: string): never {
  process.stderr.write(`${msg}\n\n${USAGE}\n`);
  process.exit(2);
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  let dir: string | undefined;
  let out: string | undefined;
  let maxPoints: number | undefined;
  let window: number | undefined;
  const int = (flag: string, v: string | undefined) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) fail(`${flag}: expected a positive integer, got ${v ?? '(nothing)'}`);
    return n;
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--help' || a === '-h') {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    } else if (a === '--out') out = args[++i] ?? fail('--out: expected a file');
    else if (a === '--max-points') maxPoints = int(a, args[++i]);
    else if (a === '--window') window = int(a, args[++i]);
    else if (a.startsWith('-')) fail(`unknown option ${a}`);
    else if (dir === undefined) dir = a;
    else fail(`unexpected argument ${a}`);
  }
  if (dir === undefined) fail('missing the run folder');
  const r = await writeRunReport(dir, { out, chartOptions: { maxPoints, window } });
  for (const w of r.warnings) process.stderr.write(`note: ${w}\n`);
  process.stdout.write(`report: ${r.path} (${r.steps} steps, ${r.charts} charts, ${r.evalResults} evaluation results)\n`);
  return 0;
}

runCommand(main);
