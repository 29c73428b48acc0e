// The task ablation of the reference paper, on any dataset: pretrain with subsets of the tasks
// (contrastive only; pretext tasks only; STOR + contrastive; all) at the same budget over several
// seeds, evaluate each run (and the random initialisation, once per seed) with kNN / linear probe,
// and print mean ± std per variant and protocol. Every run is examples/pretrain.ts's code path
// (src/platform/node-pretrain.ts); finished runs are reused, so the study can be resumed.
//
//   npx tsx examples/ablation.ts                                   # synthetic set, seeds 0,1,2, 600 steps
//   npx tsx examples/ablation.ts --seeds 0,1 --steps 100 --variants contrastive,all --out runs/abl-small
//   npx tsx examples/ablation.ts --data data/ucf101-mp4/ucfTrainTestlist/trainlist01.txt --backbone r2plus1d --epochs 10
//
// Exit status: 0 done; 130 / 143 stopped by SIGINT / SIGTERM (the run in progress saved a
// checkpoint; the same command continues); 2 bad usage or configuration; 1 other errors.
import { spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join, resolve } from 'node:path';
import { init, shutdown } from '../src/engine/index.ts';
import { CLI_OPTIONS, ConfigError, checkPlugins, parseConfig, readFlag, type TrainConfig } from '../src/plugins/config.ts';
import { backbones, pretextTasks } from '../src/plugins/index.ts';
import { evaluators, type EvalResult, type Evaluator, type Provenance } from '../src/plugins/evaluators/index.ts';
import type { Backbone } from '../src/plugins/types.ts';
import type { Registry } from '../src/plugins/registry.ts';
import type { CheckpointState } from '../src/plugins/trainer/types.ts';
import { resolveConfig } from '../src/platform/node-train.ts';
import { DEFAULT_STEPS, evaluateBackbones, openDataset, pretrainRegistries, runPretraining } from '../src/platform/node-pretrain.ts';
import { backboneFromCheckpoint, checkpointProvenance, fileSha256, latestCheckpointFile, openEvalData, randomBackbone, readBackboneCheckpoint, writeJsonFile, type EvalData } from '../src/platform/node-eval.ts';
import {
  DEFAULT_VARIANTS, RANDOM_INIT, VARIANT_PRESETS, configDifferences, markdownTable, parseVariants, summarize, textTable, variantConfig,
  type Column, type RunValues, type Variant,
} from './lib/ablation.ts';
import { runCommand } from './lib/cli.ts';

const DEFAULT_SEEDS = [0, 1, 2];
const DEFAULT_PROTOCOLS = ['knn', 'linear'];
const DEFAULT_OUT = 'runs/ablation';
const RUN_FORMAT = 'cstp-ablation-run/1';

/** Flags of this command; the trainer's flags (CLI_OPTIONS) pass through, except these ones. */
const OWN = [
  { flag: '--seeds', arg: 'a,b,c', help: `seeds; each variant is trained once per seed (default ${DEFAULT_SEEDS.join(',')})` },
  { flag: '--variants', arg: 'a,b', help: `variants (default ${DEFAULT_VARIANTS.join(',')}; see below)` },
  { flag: '--protocols', arg: 'a,b', help: `evaluation protocols (default ${DEFAULT_PROTOCOLS.join(',')}; registered: ${evaluators.names().join(', ')})` },
  { flag: '--out', arg: 'dir', help: `study folder (default ${DEFAULT_OUT}): <out>/<variant>/seed-<s>/, ablation.json, ablation.md` },
  { flag: '--data', arg: 'dataset', help: "pretraining data: 'synthetic' (default), a folder of videos, or a split file trainlist0N.txt" },
  { flag: '--eval-data', arg: 'dataset', help: "labelled evaluation data (default: --data; 'synthetic', a folder per class or a split file)" },
  { flag: '--test-every', arg: 'n', help: 'by-index evaluation splits: every n-th video of a class is a test video (default 4)' },
  { flag: '--help', help: 'this help' },
];
const REJECTED: Record<string, string> = {
  '--tasks': 'the variants choose the tasks: --variants',
  '--seed': 'use --seeds',
  '--resume': 'runs are resumed automatically',
  '--no-eval': 'the study evaluates every run',
};
const PASSED = CLI_OPTIONS.filter((o) => !OWN.some((x) => x.flag === o.flag) && !(o.flag in REJECTED));

function help(): string {
  const fmt = (o: { flag: string; arg?: string; help: string }) => `  ${(o.flag + (o.arg ? ` <${o.arg}>` : '')).padEnd(26)} ${o.help}`;
  return `Usage: npx tsx examples/ablation.ts [options]

Task ablation (the study the CSTP paper reports): pretrains the same backbone with subsets of the
tasks at the same budget (steps, batch size, learning rate and everything else from the config),
once per seed, through examples/pretrain.ts's code path; evaluates each pretrained backbone, and
the random initialisation once per seed, on a labelled train/test split; prints each variant's
mean ± sample std over the seeds for each protocol's primary metric.

Study options:
${OWN.map(fmt).join('\n')}

Variants:
${Object.entries(VARIANT_PRESETS).map(([n, p]) => `  ${n.padEnd(18)} ${p.description}`).join('\n')}
  <t1>+<t2>[+contrastive]  any other combination of registered pretext tasks (${pretextTasks.names().join(', ')})
The contrastive objective is the config's (default byol; --objective or --config to change it, and
--set objective.<field>=… for its options); a task keeps the options the config gives a task of its
type (--set tasks[0].hidden=64 sets stor's with the default task list stor,speed,rotation).
The random-init baseline row (same backbone, seeded as each run's init) is always included.

Training options (passed to every run, as in examples/pretrain.ts; default budget ${DEFAULT_STEPS} steps):
${PASSED.map(fmt).join('\n')}

Evaluation: --eval-data (default: the pretraining data) 'synthetic' is the config's held-out
synthetic set (evaluation.heldOut, drawn with another seed), split by video index (--test-every)
as a folder per class is; a split file trainlist0N.txt gives trainlist0N / testlist0N; centre clips
of the run's clip length and size at evaluation.stride; each protocol with its defaults
(docs/evaluation.md). The
reported metric is each protocol's primary one (knn: k20_top1, linear: top1, retrieval: r@1,
finetune: top1).

Files: <out>/<variant>/seed-<s>/ is a pretraining run folder (checkpoints/, log.jsonl, config.json,
report.html) plus eval.json (the run's evaluation results) and ablation-run.json (its config);
<out>/random-init/seed-<s>/eval.json; <out>/ablation.json (settings, per-seed values, mean, std)
and <out>/ablation.md (the markdown table). A run whose eval.json has every requested protocol is
reused; a run with a checkpoint short of its last step is resumed; a finished run missing a
protocol is evaluated from its checkpoint. A run folder made with a different configuration is an
error (use another --out). Std is the sample standard deviation (n − 1), left out with one seed.

SIGINT (Ctrl-C) / SIGTERM: the run in progress saves a checkpoint and the command exits with
130 / 143; run the same command again to continue. Exit status: 0 done, 2 bad usage or
configuration, 1 other errors.`;
}

interface Args {
  seeds: number[];
  variants: string;
  protocols: string[];
  out: string;
  data: string | null;
  evalData: string | null;
  testEvery: number;
  help: boolean;
  /** Trainer flags passed to resolveConfig. */
  forward: string[];
}

function int(flag: string, v: string, min = 0): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isInteger(n) || n < min) throw new ConfigError(`${flag}: expected an integer ≥ ${min}, got '${v}'`);
  return n;
}

function parseArgs(argv: readonly string[]): Args {
  const a: Args = { seeds: DEFAULT_SEEDS, variants: DEFAULT_VARIANTS.join(','), protocols: DEFAULT_PROTOCOLS, out: DEFAULT_OUT, data: null, evalData: null, testEvery: 4, help: false, forward: [] };
  const all = [...OWN, ...PASSED];
  for (let i = 0; i < argv.length; i++) {
    const { flag, value: v, takesValue, last } = readFlag(argv, i, (f) => {
      if (f in REJECTED) throw new ConfigError(`${f}: not an option of the ablation (${REJECTED[f]})`);
      const spec = all.find((o) => o.flag === f);
      if (!spec) throw new ConfigError(`unknown option '${f}'; options: ${all.map((o) => o.flag).join(' ')}`);
      return spec.arg ?? null;
    });
    i = last;
    switch (flag) {
      case '--seeds': {
        const seeds = v.split(',').map((s) => s.trim()).filter(Boolean).map((s) => int(flag, s));
        if (seeds.length === 0) throw new ConfigError('--seeds: no seed given');
        if (new Set(seeds).size !== seeds.length) throw new ConfigError('--seeds: a seed is listed twice');
        a.seeds = seeds;
        break;
      }
      case '--variants': a.variants = v; break;
      case '--protocols': a.protocols = v.split(',').map((s) => s.trim()).filter(Boolean); break;
      case '--out': a.out = v; break;
      case '--data': a.data = v; a.forward.push(...(v === 'synthetic' ? ['--set', 'data.path=null'] : ['--data', v])); break;
      case '--eval-data': a.evalData = v; break;
      case '--test-every': a.testEvery = int(flag, v, 2); break;
      case '--help': a.help = true; break;
      default: a.forward.push(flag, ...(takesValue ? [v] : []));
    }
  }
  return a;
}

/** A unit of work: a variant at a seed (train + evaluate), or the random init at a seed (evaluate). */
interface Job {
  variant: string;
  kind: 'pretrain' | 'random-init';
  seed: number;
  config: TrainConfig;
  dir: string;
}

interface RunFile {
  format: typeof RUN_FORMAT;
  variant: string;
  seed: number;
  results: EvalResult[];
}

async function readJson<T>(path: string): Promise<T | null> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new Error(`${path}: ${(err as Error).message}`, { cause: err });
  }
}

/** The state of a run folder's latest checkpoint (step, totalSteps), or null. */
async function latestState(dir: string): Promise<{ file: string; state: CheckpointState } | null> {
  const file = await latestCheckpointFile(dir);
  if (!file) return null;
  const state = await readJson<CheckpointState>(file.replace(/\.safetensors$/, '.json'));
  return state ? { file, state } : null;
}

/**
 * What a run folder's results depend on: the whole training config (a variant), or what a random
 * initialisation and its evaluation depend on (the baseline); plus the evaluation data.
 */
function fingerprint(job: Job, evaluation: { data: string; testEvery: number }): Record<string, unknown> {
  const c = job.config;
  const config = job.kind === 'pretrain' ? c : { backbone: c.backbone, seed: c.seed, data: { clipLength: c.data.clipLength, size: c.data.size, augment: c.data.augment, path: c.data.path, synthetic: c.data.synthetic }, evaluation: c.evaluation };
  return JSON.parse(JSON.stringify({ ...config, evalData: evaluation })) as Record<string, unknown>;
}

async function main(): Promise<number> {
  const say = (s: string) => process.stdout.write(s + '\n');
  let args: Args;
  let base: TrainConfig;
  let progress: boolean;
  let variants: Variant[];
  const jobs: Job[] = [];
  try {
    args = parseArgs(process.argv.slice(2));
    if (args.help) {
      say(help());
      return 0;
    }
    variants = parseVariants(args.variants, pretextTasks.names());
    if (args.protocols.length === 0) throw new ConfigError(`--protocols: no protocol given; registered: ${evaluators.names().join(', ')}`);
    for (const p of args.protocols) if (!evaluators.has(p)) throw new ConfigError(`--protocols: unknown evaluator '${p}'; registered: ${evaluators.names().join(', ')}`);
    if (new Set(args.protocols).size !== args.protocols.length) throw new ConfigError('--protocols: a protocol is listed twice');
    const resolved = await resolveConfig(args.forward);
    progress = resolved.cli.progress;
    base = resolved.config;
    // The budget is fixed for the whole study (equal for every variant).
    if (base.steps === null && base.epochs === null) base = { ...base, steps: DEFAULT_STEPS };
    if (variants.some((v) => v.contrastive) && base.objective === null) throw new ConfigError("the contrastive variants need an objective: the config has none (--objective none?); give --objective byol or another");
    for (const seed of args.seeds) {
      jobs.push({ variant: RANDOM_INIT, kind: 'random-init', seed, config: parseConfig(variantConfig(base, { name: RANDOM_INIT, tasks: [], contrastive: true }, seed, join(args.out, RANDOM_INIT, `seed-${seed}`))), dir: join(args.out, RANDOM_INIT, `seed-${seed}`) });
      for (const v of variants) {
        const dir = join(args.out, v.name, `seed-${seed}`);
        const config = parseConfig(variantConfig(base, v, seed, dir));
        checkPlugins(config, pretrainRegistries);
        jobs.push({ variant: v.name, kind: 'pretrain', seed, config, dir });
      }
    }
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n(see --help)\n`);
      return 2;
    }
    throw err;
  }
  const make = (protocols: string[]): Evaluator[] => protocols.map((p) => evaluators.build({ type: p }, {}));
  const budget = base.steps !== null ? `${base.steps} steps` : `${base.epochs} epochs`;
  say(`ablation: ${variants.length} variants × ${args.seeds.length} seeds (${args.seeds.join(', ')}) + random init; ${budget} of ${base.batchSize} pairs, ${base.optimizer.type} lr ${base.optimizer.lr}, backbone ${base.backbone.type}; protocols ${args.protocols.join(', ')}; out ${args.out}`);

  // Data: the pretraining set once for all runs; the labelled evaluation split.
  const dataset = await openDataset(base, say);
  const evalSpec = args.evalData ?? base.data.path ?? 'synthetic';
  let evalData: EvalData;
  try {
    evalData = await openEvalData({ data: evalSpec, config: base, testEvery: args.testEvery });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message.replace(/^--data/, '--eval-data')}\n(see --help)\n`);
      return 2;
    }
    throw err;
  }
  say(`evaluation: ${evalData.name}${evalData.train.description?.heldOut ? ' (held-out set, none of it pretrained on)' : ''}, ${evalData.classes.length} classes, ${evalData.train.items.length} train / ${evalData.test.items.length} test videos; centre clips at rate ${base.evaluation.stride}`);

  let adapterName: string | null = null;
  const ensureInit = async () => {
    if (adapterName === null) {
      const a = await init();
      adapterName = `${a.description}${a.software ? ' (software)' : ''}`;
      say(`adapter: ${adapterName}`);
    }
    return adapterName;
  };
  // Each run goes in a child process of its own (this script with CSTP_ABLATION_JOB=<index>), then
  // this process only collects their eval.json files: @napi-rs/webcodecs can crash a process that
  // decodes on its main thread (evaluation clips) and later in worker threads (the next run's
  // loader), so no process here does both more than once.
  const onlyJob = process.env.CSTP_ABLATION_JOB === undefined ? null : Number(process.env.CSTP_ABLATION_JOB);
  let finishedBefore = 0;
  if (onlyJob === null) {
    for (let i = 0; i < jobs.length; i++) {
      const previous = await readJson<RunFile>(join(jobs[i].dir, 'eval.json'));
      const have = new Set((previous?.results ?? []).map((r) => r.protocol));
      if (args.protocols.every((p) => have.has(p))) {
        finishedBefore++;
        continue;
      }
      const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
        stdio: 'inherit',
        env: { ...process.env, CSTP_ABLATION_JOB: String(i) },
      });
      if (child.status !== 0) {
        say(`ablation: run ${i + 1}/${jobs.length} (${jobs[i].variant} seed ${jobs[i].seed}) ended with ${child.status ?? child.signal}; run the same command again to continue`);
        return child.status || 1;
      }
    }
  }
  const columns = new Map<string, Column>();
  const runs: RunValues[] = [];
  const comparableKeys = new Map<string, Set<string>>();
  let reused = 0;
  try {
    for (const [i, job] of jobs.entries()) {
      if (onlyJob !== null && i !== onlyJob) continue;
      const t0 = performance.now();
      const tag = `[${i + 1}/${jobs.length}] ${job.variant} seed ${job.seed}`;
      // A run folder belongs to one configuration.
      const metaPath = join(job.dir, 'ablation-run.json');
      const meta = await readJson<{ config: unknown }>(metaPath);
      const mine = fingerprint(job, { data: evalSpec, testEvery: args.testEvery });
      if (meta) {
        const diff = configDifferences(meta.config, mine);
        if (diff.length) throw new ConfigError(`${job.dir} was made with a different configuration (${diff.slice(0, 6).join(', ')}${diff.length > 6 ? ', …' : ''}); use another --out or delete that folder`);
      }
      const evalPath = join(job.dir, 'eval.json');
      const previous = await readJson<RunFile>(evalPath);
      const have = new Map((previous?.results ?? []).map((r) => [r.protocol, r]));
      const missing = args.protocols.filter((p) => !have.has(p));
      const record = async (results: EvalResult[]) => {
        for (const r of results) have.set(r.protocol, r);
        const file: RunFile = { format: RUN_FORMAT, variant: job.variant, seed: job.seed, results: [...have.values()] };
        await writeJsonFile(evalPath, file);
      };
      if (missing.length === 0) {
        reused++;
        say(`${tag}: reused ${evalPath}`);
      } else {
        say('');
        say(`=== ${tag} → ${job.dir}`);
        if (!meta) await writeJsonFile(metaPath, { format: 'cstp-ablation-run-config/1', variant: job.variant, seed: job.seed, config: mine });
        const adapter = await ensureInit();
        const reg = backbones as unknown as Registry<Backbone, unknown>;
        const evaluate = async (backbone: Backbone, checkpoint: Provenance['checkpoint']) => {
          say(`evaluation: ${missing.join(', ')} on ${evalData.name} (${evalData.train.items.length} train / ${evalData.test.items.length} test videos)`);
          const [results] = await evaluateBackbones({ config: job.config, data: evalData, targets: [{ backbone, checkpoint }], make: () => make(missing), adapter });
          await record(results);
        };
        if (job.kind === 'random-init') {
          const backbone = randomBackbone(job.config, reg);
          try {
            await evaluate(backbone, { sha256: null, kind: 'random-init', seed: job.seed });
          } finally {
            backbone.dispose();
          }
        } else {
          const last = await latestState(job.dir);
          if (last && last.state.step >= last.state.totalSteps) {
            // Trained already: evaluate the checkpoint.
            const ck = await readBackboneCheckpoint(last.file);
            const backbone = backboneFromCheckpoint(ck, job.config, reg);
            try {
              say(`trained:    ${ck.path} (step ${ck.step})`);
              await evaluate(backbone, checkpointProvenance(ck));
            } finally {
              backbone.dispose();
            }
          } else {
            const config = last ? { ...job.config, resume: true } : job.config;
            const result = await runPretraining({
              config, adapter, say, progress, dataset,
              evaluate: async ({ trainer, result }) => {
                const ckPath = result.checkpoint;
                await evaluate(trainer.parts.backbone, { sha256: ckPath ? await fileSha256(ckPath) : null, ...(ckPath ? { path: ckPath } : {}), step: result.step, kind: 'checkpoint' });
              },
            });
            if (result.exitCode !== 0 || result.reason !== 'done') {
              say(`ablation: stopped during ${tag}; run the same command again to continue`);
              return result.exitCode || 1;
            }
          }
        }
        say(`${tag}: done (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
      }
      const values: Record<string, number> = {};
      for (const p of args.protocols) {
        const r = have.get(p)!;
        if (!columns.has(p)) columns.set(p, { protocol: p, metric: r.primary.name });
        values[p] = r.metrics[columns.get(p)!.metric];
        const keys = comparableKeys.get(p) ?? new Set<string>();
        keys.add(r.comparableKey);
        comparableKeys.set(p, keys);
      }
      runs.push({ variant: job.variant, seed: job.seed, values });
    }
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      return 2;
    }
    throw err;
  } finally {
    if (adapterName !== null) await shutdown();
  }

  if (onlyJob !== null) return 0;
  // The summary.
  const cols = args.protocols.map((p) => columns.get(p)!);
  for (const [p, keys] of comparableKeys) {
    if (keys.size > 1) process.stderr.write(`warning: the ${p} results were not all measured the same way (${keys.size} different comparableKeys: settings or evaluation data differ between runs); the table mixes them\n`);
  }
  const order = [
    { name: RANDOM_INIT, tasks: null, objective: null },
    ...variants.map((v) => ({ name: v.name, tasks: v.tasks, objective: v.contrastive ? (base.objective?.type ?? null) : null })),
  ];
  const rows = summarize(runs, order, cols);
  const text = textTable(rows, cols);
  const dataName = base.data.path ?? 'synthetic';
  const caption = `Task ablation: ${base.backbone.type} backbone pretrained on ${dataName} for ${budget} of ${base.batchSize} pairs (${base.optimizer.type}, lr ${base.optimizer.lr}) per run; evaluated on ${evalData.name}${evalData.train.description?.heldOut ? ' held-out videos' : ''} (${evalData.train.items.length} train / ${evalData.test.items.length} test videos, centre clips at rate ${base.evaluation.stride}); metrics in %, mean ± sample std over seeds ${args.seeds.join(', ')}.`;
  const md = `${caption}\n\n${markdownTable(rows, cols)}\n`;
  say('');
  say(`ablation (${runs.length} runs, ${onlyJob === null ? finishedBefore : reused} reused; in %, mean ± std over ${args.seeds.length} seeds):`);
  say(text);
  const out = resolve(args.out);
  await writeJsonFile(join(out, 'ablation.json'), {
    format: 'cstp-ablation/1',
    createdAt: new Date().toISOString(),
    ...(adapterName !== null ? { adapter: adapterName } : {}),
    settings: {
      data: dataName,
      evalData: { name: evalData.name, spec: evalSpec, train: evalData.train.items.length, test: evalData.test.items.length, classes: evalData.classes.length },
      seeds: args.seeds,
      protocols: args.protocols,
      variants: variants.map((v) => ({ name: v.name, tasks: v.tasks, objective: v.contrastive ? base.objective : null })),
      budget: { steps: base.steps, epochs: base.epochs, batchSize: base.batchSize, optimizer: base.optimizer, schedule: base.schedule },
      backbone: base.backbone,
      std: 'sample (n - 1)',
    },
    columns: cols,
    rows: rows.map((r) => ({ ...r, runs: runs.filter((x) => x.variant === r.variant).map((x) => ({ seed: x.seed, dir: join(args.out, r.variant, `seed-${x.seed}`), values: x.values })) })),
    markdown: md,
  });
  await writeFile(join(out, 'ablation.md'), md, 'utf8');
  say(`results:    ${join(args.out, 'ablation.json')}, ${join(args.out, 'ablation.md')}`);
  return 0;
}

runCommand(main);
