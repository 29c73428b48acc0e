// CSTP pretraining, the main job. With no arguments: makes (or reuses) the synthetic dataset
// (240-frame videos, so all four playback rates occur), pretrains the tiny backbone with STOR +
// speed + rotation + BYOL (fixed reference weights) for a budget of a few minutes on a software
// adapter, saves a checkpoint under runs/pretrain/checkpoints and prints a summary.
//
//   npx tsx examples/pretrain.ts
//   npx tsx examples/pretrain.ts --data data/ucf101-mp4 --backbone r2plus1d --batch-size 16 --epochs 10
//   npx tsx examples/pretrain.ts --resume            # continue the run in --out
//
// Exit status: 0 done; 130 / 143 stopped by SIGINT / SIGTERM after saving a checkpoint; 2 bad
// configuration; 1 any other error (a non-finite loss with onNonFinite 'stop', …).
import { init, shutdown } from '../src/engine/index.ts';
import { ensureSyntheticDataset, splitDataset, unlabelledDataset, type Dataset } from '../src/video/index.ts';
import { createPairLoader } from '../src/data/index.ts';
import { CLI_OPTIONS, ConfigError, checkPlugins, type PluginRegistries, type TrainConfig } from '../src/plugins/config.ts';
import { buildParts, loaderSource, backbones, pretextTasks, objectives, weightings } from '../src/plugins/index.ts';
import { runNodeTraining, resolveConfig } from '../src/platform/node-train.ts';
import { stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';

const registries: PluginRegistries = { backbones, pretextTasks, objectives, weightings };

/** Default budget (steps) when neither steps nor epochs is given: a few minutes on lavapipe. */
const DEFAULT_STEPS = 300;

function help(): string {
  const opts = CLI_OPTIONS.map((o) => `  ${(o.flag + (o.arg ? ` <${o.arg}>` : '')).padEnd(28)} ${o.help}`).join('\n');
  const list = (r: PluginRegistries[keyof PluginRegistries]) =>
    r.names().map((n) => `    ${n.padEnd(12)} ${r.spec(n).description ?? ''}`).join('\n');
  return `Usage: npx tsx examples/pretrain.ts [options]

Self-supervised pretraining of a video backbone with CSTP: pretext tasks (STOR spatial/temporal
overlap, playback speed, rotation, …) and a contrastive objective on the same clip pairs, combined
by a loss weighting. With no options: the synthetic dataset (made on first use under .cache/), the
tiny backbone, tasks stor,speed,rotation, objective byol, weighting fixed, AdamW with warmup + cosine,
${DEFAULT_STEPS} steps; the run goes to runs/pretrain (checkpoints/, log.jsonl, config.json).

Options:
${opts}

Config fields (--config file or --set path=value): data.{path,clipLength,size,augment,workers,
prefetch,synthetic.{frames,size,classes,videosPerClass,seed}}, backbone, tasks, objective,
weighting, optimizer.{type,lr,momentum,nesterov,weightDecay,betas,eps}, schedule.{type,warmup,
minLrFactor}, batchSize, steps, epochs, clipGradNorm, seed, checkpointEvery, out, onNonFinite.

Plugins:
  backbones (--backbone):
${list(backbones)}
  pretext tasks (--tasks):
${list(pretextTasks)}
  objectives (--objective):
${list(objectives)}
  loss weightings (--weighting):
${list(weightings)}

SIGINT (Ctrl-C) or SIGTERM saves a checkpoint after the current step and exits with 130 / 143;
--resume continues from the latest checkpoint in --out and gives the same losses as an
uninterrupted run. Exit status: 0 done, 2 bad configuration, 1 other errors.`;
}

async function openDataset(config: TrainConfig, say: (s: string) => void): Promise<Dataset> {
  const d = config.data;
  if (d.path === null) {
    const s = d.synthetic;
    let last = -1;
    const ds = await ensureSyntheticDataset({
      frames: s.frames, size: s.size, classes: s.classes, videosPerClass: s.videosPerClass, seed: s.seed,
      onProgress: (done, total) => {
        if (done === total || done - last >= 20) {
          last = done;
          process.stderr.write(`\rsynthetic dataset: ${done}/${total} videos`);
          if (done === total) process.stderr.write('\n');
        }
      },
    });
    say(`data: synthetic, ${ds.items.length} videos of ${s.frames} frames at ${s.size}² in ${ds.root}`);
    return ds;
  }
  const p = d.path;
  let isDir: boolean;
  try {
    isDir = (await stat(p)).isDirectory();
  } catch {
    throw new ConfigError(`--data ${p}: not found (expected a folder of videos, a list file or a split file)`);
  }
  let ds: Dataset;
  const m = /^(train|test)list0?(\d)\.txt$/i.exec(basename(p));
  if (!isDir && m) {
    // UCF101-style split file: videos relative to the split folder's parent (or the folder itself).
    const splitDir = dirname(p);
    const root = (await stat(`${splitDir}/classInd.txt`).then(() => true, () => false)) ? dirname(splitDir) : splitDir;
    ds = await splitDataset(root, { splitDir, split: Number(m[2]), subset: m[1].toLowerCase() as 'train' | 'test', missing: 'skip' });
  } else ds = await unlabelledDataset(p);
  say(`data: ${ds.items.length} videos from ${p}`);
  return ds;
}

function mean(xs: number[]): number {
  const f = xs.filter(Number.isFinite);
  return f.length ? f.reduce((a, b) => a + b, 0) / f.length : Number.NaN;
}

async function main(): Promise<number> {
  const say = (s: string) => process.stdout.write(s + '\n');
  let config: TrainConfig;
  let cli;
  try {
    ({ config, cli } = await resolveConfig(process.argv.slice(2)));
    if (cli.help) {
      say(help());
      return 0;
    }
    checkPlugins(config, registries);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n(see --help)\n`);
      return 2;
    }
    throw err;
  }
  const adapter = await init();
  const adapterName = `${adapter.description}${adapter.software ? ' (software)' : ''}`;
  say(`adapter: ${adapterName}`);
  const dataset = await openDataset(config, say);
  const loader = await createPairLoader({
    dataset,
    batchSize: config.batchSize,
    seed: config.seed,
    clipLength: config.data.clipLength,
    size: [config.data.size, config.data.size],
    augment: config.data.augment ? undefined : false,
    workers: config.data.workers ?? undefined,
    prefetch: config.data.prefetch,
  });
  try {
    const data = loaderSource(loader, dataset.items.length);
    const totalSteps = config.steps ?? (config.epochs !== null ? config.epochs * data.batchesPerEpoch! : DEFAULT_STEPS);
    const parts = buildParts(config, registries);
    say(`model: ${config.backbone.type} (${parts.backbone.numParameters()} parameters), tasks ${config.tasks.map((t) => t.type).join(', ') || '(none)'}, objective ${config.objective?.type ?? '(none)'}, weighting ${config.weighting.type}`);
    say(`run: ${totalSteps} steps of ${config.batchSize} pairs (T=${config.data.clipLength}, ${config.data.size}²; ${data.batchesPerEpoch} batches per epoch), ${config.optimizer.type} lr ${config.optimizer.lr}, out ${config.out}`);
    const chance: Record<string, number> = {};
    for (const t of parts.tasks) Object.assign(chance, t.chance());
    const { trainer, result } = await runNodeTraining({ config, parts, data, totalSteps, adapter: adapterName, progress: cli.progress, say });
    const n = Math.max(1, Math.min(20, Math.floor(result.losses.length / 4)));
    const terms = Object.keys(result.losses[0] ?? {});
    say('');
    say(`adapter:    ${adapterName}`);
    say(`steps:      ${result.startStep} → ${result.step} of ${result.totalSteps}${result.reason === 'stopped' ? ' (stopped by signal)' : ''}${result.skipped ? `, ${result.skipped} skipped (non-finite)` : ''}`);
    say(`throughput: ${result.clipsPerSec.toFixed(2)} clips/s (${(result.seconds / Math.max(1, result.step - result.startStep)).toFixed(3)} s/step, ${result.seconds.toFixed(0)} s)`);
    if (terms.length) {
      say(`losses (mean of the first / last ${n} steps of this run):`);
      for (const k of terms) {
        const start = mean(result.losses.slice(0, n).map((l) => l[k]));
        const end = mean(result.losses.slice(-n).map((l) => l[k]));
        const c = chance[k] !== undefined ? `   chance ${chance[k].toFixed(3)}${end < chance[k] ? ' (below)' : ''}` : '';
        say(`  ${k.padEnd(12)} ${start.toFixed(4)} → ${end.toFixed(4)}${c}`);
      }
    }
    say(`checkpoint: ${result.checkpoint ?? '(none)'}`);
    say(`log:        ${result.logPath}`);
    trainer.dispose();
    return result.exitCode;
  } finally {
    await loader.close();
    await shutdown();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(err instanceof ConfigError ? 2 : 1);
  },
);
