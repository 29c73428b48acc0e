// The pretraining job of examples/pretrain.ts as importable pieces, so that other commands
// (examples/ablation.ts) train and evaluate through the same code path: open the dataset, build the
// pair loader and the plugins, run the trainer with checkpoints / log / signals (node-train.ts),
// print the summary, evaluate the backbone, write the HTML report.
import { splitDataset, unlabelledDataset, type Dataset } from '../video/index.ts';
import { ensureSyntheticDatasetInWorker } from './node-synthetic.ts';
import { createPairLoader } from '../data/index.ts';
import { IMAGENET_NORMALIZE } from '../data/loader.ts';
import { ConfigError, type PluginRegistries, type TrainConfig } from '../plugins/config.ts';
import { buildParts, loaderSource, pairLoaderOptions, backbones, pretextTasks, objectives, weightings } from '../plugins/index.ts';
import { evaluators, runEvaluators, splitByIndex, VideoClipSource, metricDifference, knnMonitor, type EvalResult, type Evaluator, type KnnMonitor, type Provenance } from '../plugins/evaluators/index.ts';
import type { Backbone } from '../plugins/types.ts';
import type { Registry } from '../plugins/registry.ts';
import type { Trainer } from '../plugins/trainer/trainer.ts';
import { runNodeTraining, type NodeRunResult } from './node-train.ts';
import { fileSha256, openEvalData, randomBackbone, writeJsonFile, type EvalData } from './node-eval.ts';
import { openItemInThread } from './node-reader-thread.ts';
import { stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** The built-in plugin registries (third-party plugins registered into them are included). */
export const pretrainRegistries: PluginRegistries = { backbones, pretextTasks, objectives, weightings };

/** Default budget (steps) when neither steps nor epochs is given: a few minutes on lavapipe. */
export const DEFAULT_STEPS = 600;

/** The pretraining data of a config: the synthetic set (made on first use), a split file's videos, or a folder read unlabelled. */
export async function openDataset(config: TrainConfig, say: (s: string) => void): Promise<Dataset> {
  const d = config.data;
  if (d.path === null) {
    const s = d.synthetic;
    let last = -1;
    const ds = await ensureSyntheticDatasetInWorker({
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

/** The dataset's videos without a class label. */
function unlabelledItems(dataset: Dataset) {
  return dataset.items.filter((it) => !(it.label !== undefined && Number.isInteger(it.label) && it.label >= 0));
}

/**
 * The run's labelled evaluation data: with the synthetic set, its held-out set (drawn now, in a
 * worker thread: before the loader's threads start decoding, see node-synthetic.ts); with a
 * labelled dataset, every 4th video of each class as a test video. Null when the data has no labels.
 */
export async function runEvalData(config: TrainConfig, dataset: Dataset, say: (s: string) => void): Promise<EvalData | null> {
  if (config.data.path === null) {
    const data = await openEvalData({ data: 'synthetic', config });
    const h = config.evaluation.heldOut;
    say(`eval data: synthetic held-out set, ${data.train.items.length} train / ${data.test.items.length} test videos of ${h.frames} frames (seed ${h.seed}) in ${data.dataset!.root}`);
    return data;
  }
  if (unlabelledItems(dataset).length) return null;
  return { name: basename(config.data.path), classes: dataset.classes, ...splitByIndex(dataset.items as { path: string; label: number }[], 4, dataset.root) };
}

/** Evaluation-clip settings of a run: its clip length and size at evaluation.stride, normalised as the pair loader did. */
function evalClipOptions(config: TrainConfig) {
  return { clipLength: config.data.clipLength, size: config.data.size, stride: config.evaluation.stride, normalize: config.data.augment ? IMAGENET_NORMALIZE : (false as const) };
}

/**
 * The online kNN monitor of `config.knnEvery` on the run's labelled evaluation data (runEvalData),
 * its clips decoded now, in a worker thread (the pair loader's worker threads decode at the same
 * time, see node-reader-thread.ts). Throws a ConfigError, before any training, when the dataset
 * has no class labels (`data` null).
 */
export async function prepareKnnMonitor(config: TrainConfig, data: EvalData | null, dataset: Dataset, say: (s: string) => void): Promise<KnnMonitor> {
  if (!data) {
    const unlabelled = unlabelledItems(dataset);
    throw new ConfigError(`--knn-every needs class labels, and ${unlabelled.length} of ${dataset.items.length} videos have none (e.g. ${unlabelled[0]?.path}): ` +
      'use the synthetic set, a folder per class, or a UCF101-style split file, or drop --knn-every');
  }
  const t0 = performance.now();
  const thread = openItemInThread();
  try {
    const clip = { ...evalClipOptions(config), cache: true, openItem: thread.openItem };
    const monitor = knnMonitor({
      every: config.knnEvery,
      train: new VideoClipSource({ ...clip, split: data.train }),
      test: new VideoClipSource({ ...clip, split: data.test }),
      numClasses: data.classes.length,
    });
    await monitor.prepare();
    say(`monitor: kNN top-1 (k=20) every ${config.knnEvery} steps on ${data.train.items.length} train / ${data.test.items.length} test videos (decoded in ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    return monitor;
  } finally {
    await thread.close();
  }
}

/** One backbone to evaluate and where its weights came from. */
export interface EvalTarget {
  backbone: Backbone;
  checkpoint: Provenance['checkpoint'];
}

/**
 * Evaluates each target with freshly built evaluators (`make()`) on `data`, with centre clips of the
 * config's clip length and size at evaluation.stride (ImageNet-normalised when the run augmented,
 * as the pair loader did). `cache` keeps decoded frames for the next target. Returns one result list per target.
 */
export async function evaluateBackbones(o: { config: TrainConfig; data: EvalData; targets: EvalTarget[]; make: () => Evaluator[]; adapter: string; cache?: boolean; log?: (line: string) => void }): Promise<EvalResult[][]> {
  const { config, data } = o;
  const clip = { ...evalClipOptions(config), cache: o.cache ?? false };
  const sources = { train: new VideoClipSource({ ...clip, split: data.train }), test: new VideoClipSource({ ...clip, split: data.test }) };
  const base = { ...sources, classes: data.classes, backboneConfig: config.backbone, datasetName: data.name, adapter: o.adapter, ...(o.log ? { log: o.log } : {}) };
  try {
    const out: EvalResult[][] = [];
    for (const t of o.targets) out.push(await runEvaluators(o.make(), { ...base, backbone: t.backbone, checkpoint: t.checkpoint }));
    return out;
  } finally {
    await sources.train.close();
    await sources.test.close();
  }
}

/**
 * The end of the default run: kNN and linear probe of the pretrained backbone and of the same
 * backbone at its random initialisation (seeded as the run's init), on the run's labelled evaluation
 * data (runEvalData: the synthetic held-out set); a table of both and their difference, and
 * <out>/eval.json.
 */
export async function evaluateRun(config: TrainConfig, pretrained: Backbone, data: EvalData, checkpointPath: string | null, step: number, adapter: string, say: (s: string) => void): Promise<void> {
  const t0 = performance.now();
  const make = () => [evaluators.build({ type: 'knn' }, {}), evaluators.build({ type: 'linear' }, {})];
  say('');
  const what = data.name === 'synthetic' ? `the ${data.classes.length} synthetic motion classes` : `${data.name} (${data.classes.length} classes)`;
  const unseen = data.train.description?.heldOut ? ', none of them pretrained on' : '';
  say(`evaluation: kNN + linear probe on ${what} (${data.train.items.length} train / ${data.test.items.length} test videos${unseen}; centre clip at rate ${config.evaluation.stride})`);
  const ckSha = checkpointPath ? await fileSha256(checkpointPath) : null;
  let trained: EvalResult[];
  let random: EvalResult[];
  const randomInit = randomBackbone(config, backbones as unknown as Registry<Backbone, unknown>);
  try {
    // cache: the decoded frames are reused for the second backbone.
    [trained, random] = await evaluateBackbones({
      config, data, make, adapter, cache: true,
      targets: [
        { backbone: pretrained, checkpoint: { sha256: ckSha, ...(checkpointPath ? { path: checkpointPath } : {}), step, kind: 'checkpoint' } },
        { backbone: randomInit, checkpoint: { sha256: null, kind: 'random-init', seed: config.seed } },
      ],
    });
  } finally {
    randomInit.dispose();
  }
  const rows: { metric: string; random: number; pretrained: number; difference: number }[] = [];
  for (let i = 0; i < trained.length; i++) {
    const diff = metricDifference(random[i], trained[i]);
    const pick = trained[i].protocol === 'knn' ? ['k1_top1', 'k20_top1', 'k200_top1', 'k20_top5'] : ['top1', 'top5'];
    for (const m of pick) if (m in diff) rows.push({ metric: `${trained[i].protocol} ${m}`, random: random[i].metrics[m], pretrained: trained[i].metrics[m], difference: diff[m] });
  }
  const pct = (v: number) => `${(100 * v).toFixed(1)}%`.padStart(11);
  say(`  ${'metric'.padEnd(18)} ${'random init'.padStart(11)} ${'pretrained'.padStart(11)} ${'difference'.padStart(11)}`);
  for (const r of rows) say(`  ${r.metric.padEnd(18)} ${pct(r.random)} ${pct(r.pretrained)} ${`${r.difference >= 0 ? '+' : ''}${(100 * r.difference).toFixed(1)}`.padStart(11)}`);
  const out = join(config.out, 'eval.json');
  await writeJsonFile(out, { format: 'cstp-pretrain-eval/1', table: rows, pretrained: trained, random });
  say(`eval:       ${out} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
}

function mean(xs: number[]): number {
  const f = xs.filter(Number.isFinite);
  return f.length ? f.reduce((a, b) => a + b, 0) / f.length : Number.NaN;
}

export interface PretrainOptions {
  /** A validated config whose plugins were checked (checkPlugins). */
  config: TrainConfig;
  /** The adapter's name for logs and results (init() was called). */
  adapter: string;
  say: (line: string) => void;
  /** Progress bar (default true). */
  progress?: boolean;
  /** The dataset, when the caller opened it already (else openDataset). */
  dataset?: Dataset;
  /** The labelled evaluation data for the kNN monitor (runEvalData), when the caller opened it already. */
  evalData?: EvalData | null;
  /**
   * Called after a run that reached its last step, with the data workers stopped; the trainer's
   * backbone is the pretrained one. Not called when the run was stopped by a signal.
   */
  evaluate?: (ctx: { trainer: Trainer; dataset: Dataset; result: NodeRunResult }) => Promise<void>;
  /** Write `<out>/report.html` at the end (default true; a failure only warns). */
  report?: boolean;
}

/**
 * One pretraining run, as `examples/pretrain.ts` does it: loader, plugins, `runNodeTraining` (with
 * `config.resume` it continues from `<out>/checkpoints`), the summary (throughput, each loss at
 * start and end against its chance level), the optional evaluation and the report. Returns the
 * run's result; `exitCode` is 0, or 130 / 143 when a signal stopped it (after a checkpoint).
 */
export async function runPretraining(o: PretrainOptions): Promise<NodeRunResult> {
  const { config, say } = o;
  const adapterName = o.adapter;
  const dataset = o.dataset ?? (await openDataset(config, say));
  const loader = await createPairLoader({
    dataset,
    ...pairLoaderOptions(config),
  });
  try {
    const monitor = config.knnEvery > 0 ? await prepareKnnMonitor(config, o.evalData !== undefined ? o.evalData : await runEvalData(config, dataset, say), dataset, say) : null;
    const data = loaderSource(loader, dataset.items.length);
    const totalSteps = config.steps ?? (config.epochs !== null ? config.epochs * data.batchesPerEpoch! : DEFAULT_STEPS);
    const parts = buildParts(config, pretrainRegistries);
    say(`model: ${config.backbone.type} (${parts.backbone.numParameters()} parameters), tasks ${config.tasks.map((t) => t.type).join(', ') || '(none)'}, objective ${config.objective?.type ?? '(none)'}, weighting ${config.weighting.type}`);
    say(`run: ${totalSteps} steps of ${config.batchSize} pairs (T=${config.data.clipLength}, ${config.data.size}²; ${data.batchesPerEpoch} batches per epoch), ${config.optimizer.type} lr ${config.optimizer.lr}, out ${config.out}`);
    const chance: Record<string, number> = {};
    for (const t of parts.tasks) Object.assign(chance, t.chance());
    const { trainer, result } = await runNodeTraining({ config, parts, data, totalSteps, adapter: adapterName, progress: o.progress ?? true, say, afterStep: monitor ? (t, r) => monitor.afterStep(t, r) : undefined });
    try {
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
      if (o.evaluate && result.reason === 'done') {
        // The data workers are done: stop them before decoding evaluation clips on this thread (one run
        // crashed in a native handle check with both active; not reproduced since).
        await loader.close();
        await o.evaluate({ trainer, dataset, result });
      }
      if (o.report ?? true) {
        try {
          // The HTML report (<out>/report.html); a failure here must not fail the run.
          const { writeRunReport } = await import('./node-report.ts');
          say(`report:     ${(await writeRunReport(config.out, { chance })).path}`);
        } catch (err) {
          process.stderr.write(`warning: report.html was not written: ${err instanceof Error ? err.message : String(err)}\n`);
        }
      }
      return result;
    } finally {
      trainer.dispose();
    }
  } finally {
    await loader.close();
  }
}
