// Evaluation protocols for a pretrained backbone (docs/evaluation.md): kNN, linear probe, clip
// retrieval, fine-tuning, each writing a result JSON with its settings and the hashes of the
// checkpoint and the data.
//
//   npx tsx examples/evaluate.ts --checkpoint runs/pretrain --data synthetic --protocol knn,linear
//   npx tsx examples/evaluate.ts --checkpoint ckpt.safetensors --backbone r2plus1d --data data/ucf101-mp4/ucfTrainTestlist/trainlist01.txt --protocol retrieval --out ret.json
//   npx tsx examples/evaluate.ts --checkpoint random --data synthetic --protocol finetune --set steps=50
//
// Exit status: 0 done; 2 bad usage (unknown flag, protocol or option, missing checkpoint or data); 1 other errors.
import { init, shutdown } from '../src/engine/index.ts';
import { parseConfig, ConfigError, readFlag, type TrainConfig } from '../src/plugins/config.ts';
import { backbones } from '../src/plugins/backbones/index.ts';
import type { Backbone } from '../src/plugins/types.ts';
import type { Registry } from '../src/plugins/registry.ts';
import { evaluators, runEvaluators, VideoClipSource, type EvalResult, type Evaluator, type Provenance } from '../src/plugins/evaluators/index.ts';
import { IMAGENET_NORMALIZE } from '../src/data/loader.ts';
import { backboneFromCheckpoint, checkpointProvenance, openEvalData, randomBackbone, readBackboneCheckpoint, writeJsonFile } from '../src/platform/node-eval.ts';
import { loadConfigFile } from '../src/platform/node-train.ts';
import type { z } from 'zod';
import { runCommand } from './lib/cli.ts';

const HELP = `Usage: npx tsx examples/evaluate.ts --checkpoint <ckpt> --data <dataset> --protocol <names> [options]

Evaluates a video backbone with one or more protocols and prints (and with --out writes) a result
JSON per protocol: its settings, its metrics, and SHA-256 hashes of the checkpoint file, the
weights, the dataset and each split (two results compare safely when their comparableKey matches).

Required:
  --checkpoint <path>     a pretraining checkpoint (step-*.safetensors; the .json next to it gives the
                          backbone, clip length, size and synthetic-set settings), a run folder (its
                          latest checkpoint), a plain backbone state dict (needs --backbone or --config),
                          or 'random' (the run's random initialisation, seeded with --seed / config.seed)
  --data <dataset>        'synthetic' (the run's held-out synthetic set: evaluation.heldOut, drawn with
                          another seed than the pretraining videos; split by video index), a folder per class
                          (split by index), or a UCF101/HMDB51 split list trainlist0N.txt (its
                          testlist0N.txt is the test split; classInd.txt next to them)
  --protocol <a,b>        ${evaluators.names().join(', ')} (comma-separated; finetune must come alone or last)

Options:
  --set <opt=value>       a protocol option (value parsed as JSON when it parses): --set ks=[1,5]
                          applies to every listed protocol that has the option; --set knn.ks=[1,5] to one
  --backbone <name>       backbone plugin when the checkpoint has no config (${backbones.names().join(', ')})
  --config <file>         a training config (.json / .ts): backbone, data.clipLength, data.size, seed
  --clip-length <T>       frames per clip (default: the run's data.clipLength)
  --size <px>             clip size (default: the run's data.size)
  --stride <s>            playback rate of the clips (default: the run's evaluation.stride)
  --crop <f>              centre crop: this fraction of the shorter side (default 1)
  --split <n>             split number of UCF101/HMDB51 lists (default: from the file name, or 1)
  --split-dir <dir>       folder of HMDB51 <class>_test_splitN.txt files (with --data <videos root>)
  --test-every <n>        by-index splits: the n-th, 2n-th, … video of each class is a test video (default 4)
  --batch-size <n>        clips per forward pass for feature extraction (default 16)
  --workers <n>           data worker threads for fine-tuning (default 0: decode on this thread; see
                          docs/evaluation.md, "Known issue", before raising it)
  --seed <n>              seed of --checkpoint random (default: config.seed)
  --out <file>            write the result JSON (one protocol: the object; several: an array)
  --quiet                 no progress lines
  --help                  this help

Protocols and their options (defaults):
${evaluators.names().map((n) => `  ${n.padEnd(10)} ${evaluators.spec(n).description ?? ''}\n             ${JSON.stringify(evaluators.spec(n).schema.parse({}))}`).join('\n')}

Exit status: 0 done, 2 bad usage, 1 other errors.`;

interface Args {
  checkpoint: string | null;
  data: string | null;
  protocols: string[];
  sets: [string, unknown][];
  backbone: string | null;
  config: string | null;
  clipLength: number | null;
  size: number | null;
  stride: number | null;
  crop: number;
  split: number | undefined;
  splitDir: string | undefined;
  testEvery: number;
  batchSize: number;
  workers: number | undefined;
  seed: number | null;
  out: string | null;
  quiet: boolean;
  help: boolean;
}

const FLAGS = ['--checkpoint', '--data', '--protocol', '--set', '--backbone', '--config', '--clip-length', '--size', '--stride', '--crop', '--split', '--split-dir', '--test-every', '--batch-size', '--workers', '--seed', '--out', '--quiet', '--help'];
const NO_VALUE = new Set(['--quiet', '--help']);

function parseValue(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}

function num(flag: string, v: string, int = true): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || (int && !Number.isInteger(n))) throw new ConfigError(`${flag}: expected ${int ? 'an integer' : 'a number'}, got '${v}'`);
  return n;
}

function parseArgs(argv: readonly string[]): Args {
  const a: Args = { checkpoint: null, data: null, protocols: [], sets: [], backbone: null, config: null, clipLength: null, size: null, stride: null, crop: 1, split: undefined, splitDir: undefined, testEvery: 4, batchSize: 16, workers: undefined, seed: null, out: null, quiet: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    const { flag, value: v, last } = readFlag(argv, i, (f) => {
      if (!FLAGS.includes(f)) throw new ConfigError(`unknown option '${f}'; options: ${FLAGS.join(' ')}`);
      return NO_VALUE.has(f) ? null : '';
    });
    i = last;
    switch (flag) {
      case '--checkpoint': a.checkpoint = v; break;
      case '--data': a.data = v; break;
      case '--protocol': a.protocols.push(...v.split(',').map((s) => s.trim()).filter(Boolean)); break;
      case '--set': {
        const e = v.indexOf('=');
        if (e < 1) throw new ConfigError(`--set: expected option=value, got '${v}'`);
        a.sets.push([v.slice(0, e), parseValue(v.slice(e + 1))]);
        break;
      }
      case '--backbone': a.backbone = v; break;
      case '--config': a.config = v; break;
      case '--clip-length': a.clipLength = num(flag, v); break;
      case '--size': a.size = num(flag, v); break;
      case '--stride': a.stride = num(flag, v, false); break;
      case '--crop': a.crop = num(flag, v, false); break;
      case '--split': a.split = num(flag, v); break;
      case '--split-dir': a.splitDir = v; break;
      case '--test-every': a.testEvery = num(flag, v); break;
      case '--batch-size': a.batchSize = num(flag, v); break;
      case '--workers': a.workers = num(flag, v); break;
      case '--seed': a.seed = num(flag, v); break;
      case '--out': a.out = v; break;
      case '--quiet': a.quiet = true; break;
      case '--help': a.help = true; break;
    }
  }
  return a;
}

/** Builds the evaluators, routing --set options to the protocols that have them; every problem is a ConfigError. */
function buildEvaluators(protocols: string[], sets: [string, unknown][]): Evaluator[] {
  if (protocols.length === 0) throw new ConfigError(`--protocol is required (${evaluators.names().join(', ')})`);
  const problems: string[] = [];
  for (const p of protocols) if (!evaluators.has(p)) problems.push(`--protocol: unknown evaluator '${p}'; registered: ${evaluators.names().join(', ')}`);
  if (new Set(protocols).size !== protocols.length) problems.push('--protocol: a protocol is listed twice');
  if (problems.length) throw new ConfigError(problems.join('\n'));
  const options = new Map(protocols.map((p) => [p, {} as Record<string, unknown>]));
  for (const [key, value] of sets) {
    const dot = key.indexOf('.');
    const target = dot > 0 && options.has(key.slice(0, dot)) ? key.slice(0, dot) : null;
    const name = target ? key.slice(dot + 1) : key;
    const takers = target ? [target] : protocols.filter((p) => name in ((evaluators.spec(p).schema as z.ZodObject).shape ?? {}));
    if (takers.length === 0) problems.push(`--set ${key}: no listed protocol has an option '${name}' (${protocols.map((p) => `${p}: ${Object.keys((evaluators.spec(p).schema as z.ZodObject).shape ?? {}).join(', ')}`).join('; ')})`);
    for (const t of takers) options.get(t)![name] = value;
  }
  if (problems.length) throw new ConfigError(problems.join('\n'));
  const out: Evaluator[] = [];
  for (const p of protocols) {
    try {
      out.push(evaluators.build({ type: p, ...options.get(p) }, {}));
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  if (problems.length) throw new ConfigError(problems.join('\n'));
  return out;
}

async function main(): Promise<number> {
  const say = (s: string) => process.stdout.write(s + '\n');
  let args: Args;
  let evs: Evaluator[];
  let config: TrainConfig;
  try {
    args = parseArgs(process.argv.slice(2));
    if (args.help) {
      say(HELP);
      return 0;
    }
    if (!args.checkpoint) throw new ConfigError('--checkpoint is required (a checkpoint file, a run folder, or random)');
    if (!args.data) throw new ConfigError("--data is required ('synthetic', a folder per class, or a split list)");
    evs = buildEvaluators(args.protocols, args.sets);
    if (evs.filter((e) => e.trainsBackbone).length > 1) throw new ConfigError('--protocol: finetune can be listed once');
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n(see --help)\n`);
      return 2;
    }
    throw err;
  }
  const log = args.quiet ? () => {} : (s: string) => process.stderr.write(s + '\n');
  // Config: the checkpoint's, then --config, then flags.
  const ck = args.checkpoint === 'random' ? null : await readBackboneCheckpoint(args.checkpoint);
  let raw: Record<string, unknown> = ck?.config ? (JSON.parse(JSON.stringify(ck.config)) as Record<string, unknown>) : {};
  if (args.config) raw = { ...raw, ...((await loadConfigFile(args.config)) as Record<string, unknown>) };
  if (args.backbone) raw.backbone = { type: args.backbone };
  const data = { ...((raw.data as Record<string, unknown>) ?? {}) };
  if (args.clipLength !== null) data.clipLength = args.clipLength;
  if (args.size !== null) data.size = args.size;
  raw.data = data;
  if (args.seed !== null) raw.seed = args.seed;
  config = parseConfig(raw);
  if (!backbones.has(config.backbone.type)) throw new ConfigError(`backbone: unknown backbone '${config.backbone.type}'; registered: ${backbones.names().join(', ')}`);
  if (ck && !ck.config && !args.backbone && !args.config) log(`note: ${ck.path} has no .json config next to it; using the default backbone ${JSON.stringify(config.backbone)} (give --backbone or --config)`);

  const adapter = await init();
  const adapterName = `${adapter.description}${adapter.software ? ' (software)' : ''}`;
  log(`adapter: ${adapterName}`);
  const sources: VideoClipSource[] = [];
  let backbone: Backbone | null = null;
  try {
    const reg = backbones as unknown as Registry<Backbone, unknown>;
    backbone = ck ? backboneFromCheckpoint(ck, config, reg) : randomBackbone(config, reg);
    const checkpoint: Provenance['checkpoint'] = ck ? checkpointProvenance(ck) : { sha256: null, kind: 'random-init', seed: config.seed };
    log(`backbone: ${JSON.stringify(config.backbone)} from ${ck ? `${ck.path} (sha256 ${ck.sha256.slice(0, 16)}…${ck.step !== null ? `, step ${ck.step}` : ''})` : `random init (seed ${config.seed})`}`);
    const ed = await openEvalData({ data: args.data!, config, split: args.split, splitDir: args.splitDir, testEvery: args.testEvery });
    log(`data: ${ed.name}, ${ed.classes.length} classes, ${ed.train.items.length} train / ${ed.test.items.length} test videos`);
    const clipOpts = {
      clipLength: config.data.clipLength,
      size: config.data.size,
      stride: args.stride ?? config.evaluation.stride,
      crop: args.crop,
      // The pretraining loader normalises with ImageNet statistics when augmenting, and not at all otherwise.
      normalize: config.data.augment ? IMAGENET_NORMALIZE : (false as const),
      loader: { workers: args.workers },
    };
    const train = new VideoClipSource({ ...clipOpts, split: ed.train });
    const test = new VideoClipSource({ ...clipOpts, split: ed.test });
    sources.push(train, test);
    const results: EvalResult[] = await runEvaluators(evs, {
      backbone,
      backboneConfig: config.backbone,
      train,
      test,
      classes: ed.classes,
      checkpoint,
      datasetName: ed.name,
      featureBatchSize: args.batchSize,
      log,
      adapter: adapterName,
    });
    for (const r of results) {
      const m = Object.entries(r.metrics).map(([k, v]) => `${k} ${k.includes('loss') ? v.toFixed(4) : (100 * v).toFixed(2) + '%'}`).join(', ');
      say(`${r.protocol}: ${m}`);
    }
    if (args.out) {
      await writeJsonFile(args.out, results.length === 1 ? results[0] : results);
      say(`results: ${args.out}`);
    }
    return 0;
  } finally {
    for (const s of sources) await s.close();
    backbone?.dispose();
    await shutdown();
  }
}

runCommand(main);
