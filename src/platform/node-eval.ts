// Node side of the evaluation protocols: load a backbone from a checkpoint file (or a run folder),
// hash the file, open a labelled dataset as a train/test pair, write result JSON. The protocols
// themselves (src/plugins/evaluators) never touch files.
import { readFile, readdir, stat, mkdir, writeFile, rename } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { loadStateDict, manualSeed, type SafetensorsEntry } from '../engine/index.ts';
import { loadSafetensorsFile } from './node-files.ts';
import { parseConfig, ConfigError, type TrainConfig } from '../plugins/config.ts';
import type { Backbone } from '../plugins/types.ts';
import type { Registry } from '../plugins/registry.ts';
import type { CheckpointState } from '../plugins/trainer/types.ts';
import { sha256Hex } from '../plugins/evaluators/hash.ts';
import { splitByIndex } from '../plugins/evaluators/clips.ts';
import type { EvalSplit, Provenance } from '../plugins/evaluators/types.ts';
import { folderDataset, splitDataset, type Dataset } from '../video/index.ts';
import { ensureSyntheticDatasetInWorker } from './node-synthetic.ts';

async function exists(p: string): Promise<boolean> {
  return stat(p).then(() => true, () => false);
}

const STEP = /^step-(\d+)\.safetensors$/;

/** The newest `step-*.safetensors` of a run folder (`<dir>/checkpoints/` or `<dir>` itself), or null. */
export async function latestCheckpointFile(dir: string): Promise<string | null> {
  for (const d of [join(dir, 'checkpoints'), dir]) {
    let names: string[];
    try {
      names = await readdir(d);
    } catch {
      continue;
    }
    const steps = names.map((n) => STEP.exec(n)).filter((m): m is RegExpExecArray => m !== null).sort((a, b) => Number(a[1]) - Number(b[1]));
    if (steps.length) return join(d, steps[steps.length - 1][0]);
  }
  return null;
}

export interface LoadedBackboneFile {
  path: string;
  sha256: string;
  /** The training config from the checkpoint's .json, when there is one. */
  config: TrainConfig | null;
  step: number | null;
  /** Backbone weights (the `backbone.` entries of a training checkpoint, or every entry of a plain state dict). */
  entries: Map<string, SafetensorsEntry>;
}

/** Reads a checkpoint (file or run folder): weights, the file's SHA-256 and the config next to it. */
export async function readBackboneCheckpoint(path: string): Promise<LoadedBackboneFile> {
  let file = resolve(path);
  let st;
  try {
    st = await stat(file);
  } catch {
    throw new ConfigError(`--checkpoint ${path}: not found`);
  }
  if (st.isDirectory()) {
    const latest = await latestCheckpointFile(file);
    if (!latest) throw new ConfigError(`--checkpoint ${path}: no step-*.safetensors in the folder or its checkpoints/`);
    file = latest;
  }
  const bytes = await readFile(file);
  const sha256 = await sha256Hex(bytes);
  const parsed = await loadSafetensorsFile(file);
  const jsonPath = file.replace(/\.safetensors$/, '.json');
  let config: TrainConfig | null = null;
  let step: number | null = null;
  if (jsonPath !== file && (await exists(jsonPath))) {
    const state = JSON.parse(await readFile(jsonPath, 'utf8')) as CheckpointState;
    if (state.config) config = parseConfig(state.config);
    step = typeof state.step === 'number' ? state.step : null;
  }
  const all = [...parsed.tensors];
  const prefixed = all.filter(([k]) => k.startsWith('backbone.'));
  const entries = new Map(prefixed.length ? prefixed.map(([k, e]) => [k.slice('backbone.'.length), e]) : all);
  return { path: file, sha256, config, step, entries };
}

/** Builds the config's backbone and loads the checkpoint's weights into it (strict). */
export function backboneFromCheckpoint(ck: LoadedBackboneFile, config: TrainConfig, backbones: Registry<Backbone, unknown>): Backbone {
  const backbone = backbones.build(config.backbone, { config, seed: config.seed, clipLength: config.data.clipLength, size: config.data.size, skipInit: true });
  try {
    loadStateDict(backbone.stateDict(), { tensors: ck.entries, metadata: {} });
  } catch (err) {
    backbone.dispose();
    throw new Error(`${ck.path}: the weights do not fit backbone ${JSON.stringify(config.backbone)} (give --backbone / --config of the run that wrote it)\n${(err as Error).message}`, { cause: err });
  }
  return backbone;
}

/** The run's backbone at its random initialisation: seeded exactly as buildParts seeds it (manualSeed(config.seed), backbone built first). */
export function randomBackbone(config: TrainConfig, backbones: Registry<Backbone, unknown>): Backbone {
  manualSeed(config.seed);
  return backbones.build(config.backbone, { config, seed: config.seed, clipLength: config.data.clipLength, size: config.data.size });
}

export function checkpointProvenance(ck: LoadedBackboneFile): Provenance['checkpoint'] {
  return { sha256: ck.sha256, path: ck.path, ...(ck.step !== null ? { step: ck.step } : {}), kind: 'checkpoint' };
}

export interface EvalDataOptions {
  /** 'synthetic', a folder per class, a UCF-style split list (trainlist0N.txt / testlist0N.txt), or a dataset root with splitDir. */
  data: string;
  /** The run's config when data is 'synthetic': its held-out labelled set (evaluation.heldOut with data.synthetic's classes and size). */
  config?: Pick<TrainConfig, 'data' | 'evaluation'>;
  split?: number;
  splitDir?: string;
  /** By-index splits (synthetic, folder per class): every n-th video of a class is a test video. */
  testEvery?: number;
  onProgress?: (done: number, total: number) => void;
}

/**
 * The synthetic options of a run's held-out evaluation set: data.synthetic's classes and size,
 * evaluation.heldOut's videos, frames and seed. A seed equal to the pretraining set's would draw
 * the pretraining videos again (shorter), so it is refused.
 */
export function heldOutSyntheticOptions(config: Pick<TrainConfig, 'data' | 'evaluation'>) {
  const s = config.data.synthetic;
  const h = config.evaluation.heldOut;
  if (h.seed === s.seed) throw new ConfigError(`evaluation.heldOut.seed (${h.seed}) equals data.synthetic.seed: the evaluation videos would be the pretraining videos; give either another seed`);
  return { classes: s.classes, size: s.size, videosPerClass: h.videosPerClass, frames: h.frames, seed: h.seed };
}

export interface EvalData {
  name: string;
  classes: string[];
  train: EvalSplit;
  test: EvalSplit;
  /** The whole dataset (synthetic / folder) when the split was made by index. */
  dataset?: Dataset;
}

function labelled(d: Dataset): { path: string; label: number }[] {
  return d.items.map((it) => {
    if (it.label === undefined) throw new ConfigError(`${it.path}: the dataset has no labels (evaluation needs a folder per class, split files or the synthetic set)`);
    return { path: it.path, label: it.label };
  });
}

/** Opens a labelled dataset as a train/test pair (see EvalDataOptions). */
export async function openEvalData(o: EvalDataOptions): Promise<EvalData> {
  const testEvery = o.testEvery ?? 4;
  if (o.data === 'synthetic') {
    const synthetic = heldOutSyntheticOptions(o.config ?? parseConfig({}));
    const ds = await ensureSyntheticDatasetInWorker({ ...synthetic, onProgress: o.onProgress });
    const { train, test } = splitByIndex(ds.items, testEvery, ds.root);
    const description = { ...train.description, synthetic, heldOut: true };
    return { name: 'synthetic', classes: ds.classes, train: { ...train, description }, test: { ...test, description }, dataset: ds };
  }
  const p = resolve(o.data);
  let st;
  try {
    st = await stat(p);
  } catch {
    throw new ConfigError(`--data ${o.data}: not found`);
  }
  const m = /^(train|test)list0?(\d)\.txt$/i.exec(basename(p));
  if (!st.isDirectory() && m) {
    const splitDir = dirname(p);
    // UCF101 layout: <root>/<Class>/v_*.mp4 with the lists in <root>/ucfTrainTestlist/ (as examples/pretrain.ts reads them).
    const root = (await exists(join(splitDir, 'classInd.txt'))) ? dirname(splitDir) : splitDir;
    const split = o.split ?? Number(m[2]);
    const mk = (subset: 'train' | 'test') => splitDataset(root, { splitDir, split, subset, missing: 'skip' });
    const [tr, te] = [await mk('train'), await mk('test')];
    const description = { kind: 'split-file', split, splitDir: basename(splitDir) };
    return { name: basename(root), classes: tr.classes, train: { name: `trainlist0${split}`, items: labelled(tr), root: tr.root, description }, test: { name: `testlist0${split}`, items: labelled(te), root: te.root, description } };
  }
  if (!st.isDirectory()) throw new ConfigError(`--data ${o.data}: expected 'synthetic', a folder per class, or a split list (trainlist0N.txt)`);
  if (o.splitDir) {
    const split = o.split ?? 1;
    const [tr, te] = [await splitDataset(p, { splitDir: o.splitDir, split, subset: 'train', missing: 'skip' }), await splitDataset(p, { splitDir: o.splitDir, split, subset: 'test', missing: 'skip' })];
    const description = { kind: 'split-dir', split, splitDir: basename(o.splitDir) };
    return { name: basename(p), classes: tr.classes, train: { name: `train${split}`, items: labelled(tr), root: p, description }, test: { name: `test${split}`, items: labelled(te), root: p, description } };
  }
  const ds = await folderDataset(p);
  const { train, test } = splitByIndex(labelled(ds), testEvery, ds.root);
  return { name: basename(p), classes: ds.classes, train, test, dataset: ds };
}

/** Writes JSON atomically enough for results (temporary file + rename), creating the folder. */
export async function writeJsonFile(path: string, value: unknown): Promise<void> {
  await mkdir(dirname(resolve(path)), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, JSON.stringify(value, null, 2) + '\n', 'utf8');
  await rename(tmp, path);
}

/** SHA-256 of a file's bytes. */
export async function fileSha256(path: string): Promise<string> {
  return sha256Hex(await readFile(path));
}
