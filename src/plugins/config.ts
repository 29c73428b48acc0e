// Training configuration: one zod schema with defaults, `defineConfig()` for typed TS config files,
// CLI overrides (`--batch-size 8 --tasks stor,speed,rotation --set optimizer.lr=0.05`) and plugin
// checks against the registries (unknown names list the registered ones; bad options name the
// field). Platform-neutral: reading a config file from disk is src/platform/node-train.ts's job.
import { z } from 'zod';
import type { Registry, PluginConfig } from './registry.ts';

/** `{ type, ...options }`; the options are validated by the plugin's own schema (checkPlugins). */
const plugin = z.looseObject({ type: z.string().min(1) });

export const dataSchema = z.strictObject({
  /** A folder of videos, a split file, or null for the synthetic dataset (made on first use). */
  path: z.string().min(1).nullable().default(null),
  /** Synthetic dataset options (src/video/synthetic.ts) when `path` is null. */
  synthetic: z
    .strictObject({
      classes: z.number().int().min(2).default(10),
      videosPerClass: z.number().int().min(1).default(12),
      frames: z.number().int().min(2).default(240),
      size: z.number().int().min(16).default(96),
      seed: z.number().int().default(0),
    })
    .prefault({}),
  /** Frames per clip (T). */
  clipLength: z.number().int().min(2).default(8),
  /** Clip height and width (square). */
  size: z.number().int().min(8).default(32),
  /**
   * Photometric augmentation + flip (the pair loader's SimCLR-style recipe) on or off. Off by
   * default, for the synthetic set: its scenes already vary in colour, texture and lighting, and at
   * the default budget colour jitter keeps STOR's spatial term at chance (measured, see
   * docs/training.md). Turn it on for real footage (`--set data.augment=true`).
   */
  augment: z.boolean().default(false),
  /**
   * Both clips of a STOR pair turned by the same quarter turn (rotation is still predicted per
   * clip). On by default: with independent turns BYOL must also become rotation-invariant and
   * STOR's spatial head must compare crops turned differently (measured, see docs/training.md).
   * `false` is the reference's sampling.
   */
  sharedRotation: z.boolean().default(true),
  /** Data workers (null: the loader's default, cores − 1). */
  workers: z.number().int().min(0).nullable().default(null),
  prefetch: z.number().int().min(1).default(2),
});

export const optimizerSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('sgd'),
    lr: z.number().positive().default(0.05),
    momentum: z.number().min(0).max(1).default(0.9),
    nesterov: z.boolean().default(false),
    weightDecay: z.number().min(0).default(1e-4),
  }),
  z.strictObject({
    type: z.literal('adamw'),
    lr: z.number().positive().default(2e-3),
    betas: z.tuple([z.number().min(0).max(1), z.number().min(0).max(1)]).default([0.9, 0.999]),
    eps: z.number().positive().default(1e-8),
    weightDecay: z.number().min(0).default(0.05),
  }),
]);

export const scheduleSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('cosine'),
    /** Linear warmup: a number of steps (≥ 1) or a fraction of the run (< 1). */
    warmup: z.number().min(0).default(0.05),
    /** Final lr as a fraction of the base lr. */
    minLrFactor: z.number().min(0).max(1).default(0),
  }),
  z.strictObject({ type: z.literal('constant') }),
]);

export const configSchema = z
  .strictObject({
    data: dataSchema.prefault({}),
    backbone: plugin.default({ type: 'tiny', width: 16, residual: 4 }),
    // STOR with relation pair features: at this budget the spatial term learns with them and stays
    // near chance with the reference's concatenation (docs/training.md, "Status").
    tasks: z.array(plugin).default([{ type: 'stor', pairFeatures: 'relation' }, { type: 'speed' }, { type: 'rotation' }]),
    objective: plugin.nullable().default({ type: 'byol', hidden: 512, predictorHidden: 512, projectionDim: 128 }),
    weighting: plugin.default({ type: 'fixed' }),
    optimizer: optimizerSchema.default({ type: 'adamw', lr: 2e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.05 }),
    schedule: scheduleSchema.default({ type: 'cosine', warmup: 0.05, minLrFactor: 0 }),
    batchSize: z.number().int().min(1).default(8),
    /** Optimizer steps; when null, `epochs` × batches per epoch. */
    steps: z.number().int().min(1).nullable().default(null),
    epochs: z.number().int().min(1).nullable().default(null),
    /** Max global gradient norm; null disables clipping. */
    clipGradNorm: z.number().positive().nullable().default(5),
    seed: z.number().int().min(0).default(0),
    /** Checkpoint every N steps (0: only at the end). */
    checkpointEvery: z.number().int().min(0).default(100),
    /**
     * Online kNN monitor: every N steps, kNN top-1 (k = 20) of the current backbone on the labelled
     * evaluation split (the synthetic set, or a labelled dataset), logged as metrics.knn_top1
     * (0: off). Needs class labels.
     */
    knnEvery: z.number().int().min(0).default(0),
    /** How the run's backbone is evaluated: the default run's table, the kNN monitor, the ablation. */
    evaluation: z
      .strictObject({
        /**
         * Playback rate of the evaluation clips (frames between sampled frames). 8: a centre clip of
         * 8 frames spans 57, long enough for the synthetic classes' motion to show at 32².
         */
        stride: z.number().int().min(1).default(8),
        /**
         * With the synthetic set, evaluation runs on labelled videos of their own, drawn with
         * another seed (none of them pretrained on); classes and size follow data.synthetic.
         * Split by index: every 4th video of a class is a test video.
         */
        heldOut: z
          .strictObject({
            videosPerClass: z.number().int().min(2).default(40),
            frames: z.number().int().min(2).default(64),
            seed: z.number().int().default(7),
          })
          .prefault({}),
      })
      .prefault({}),
    /** Run folder: checkpoints and log.jsonl. */
    out: z.string().min(1).default('runs/pretrain'),
    /** A non-finite loss term (or gradient): stop with an error naming it, or skip the update. */
    onNonFinite: z.enum(['stop', 'skip']).default('stop'),
    /** Continue from the latest checkpoint in `out`. */
    resume: z.boolean().default(false),
  });

/** What a config file or `--set` may give (everything optional, defaults filled in). */
export type ConfigInput = z.input<typeof configSchema>;
/** A validated config with every default filled in. */
export type TrainConfig = z.output<typeof configSchema>;

/** Identity with types: `export default defineConfig({ batchSize: 16, tasks: [{ type: 'stor' }] })`. */
export function defineConfig(config: ConfigInput): ConfigInput {
  return config;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

function pathString(path: readonly PropertyKey[]): string {
  let s = 'config';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : `.${String(p)}`;
  return s;
}

function formatIssues(issues: readonly z.core.$ZodIssue[], base: readonly PropertyKey[] = []): string {
  return issues
    .map((i) => {
      const path = [...base, ...i.path];
      if (i.code === 'unrecognized_keys') {
        const keys = (i as { keys: string[] }).keys;
        return keys.map((k) => `${pathString([...path, k])}: unknown option '${k}'`).join('\n');
      }
      if (i.code === 'invalid_union' && (i as { note?: string }).note === 'No matching discriminator') {
        return `${pathString([...path, 'type'])}: ${i.message}`;
      }
      return `${pathString(path)}: ${i.message}`;
    })
    .join('\n');
}

/** Validates a raw config (from a file, JSON or overrides) and fills in defaults; throws ConfigError listing every problem. */
export function parseConfig(raw: unknown): TrainConfig {
  const r = configSchema.safeParse(raw ?? {});
  if (!r.success) throw new ConfigError(`invalid config:\n${formatIssues(r.error.issues)}`);
  if (r.data.steps !== null && r.data.epochs !== null) throw new ConfigError('invalid config:\nconfig.steps / config.epochs: give one of them, not both');
  if (r.data.tasks.length === 0 && r.data.objective === null) throw new ConfigError('invalid config:\nconfig.tasks: no pretext task and no objective: nothing to train');
  const names = r.data.tasks.map((t) => t.type);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new ConfigError(`invalid config:\nconfig.tasks: '${dup}' appears twice`);
  return r.data;
}

/** The registries a config's plugins are looked up in. */
export interface PluginRegistries {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  backbones: Registry<any, any>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  pretextTasks: Registry<any, any>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  objectives: Registry<any, any>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  weightings: Registry<any, any>;
}

/**
 * Checks every plugin of a parsed config against its registry without building anything: an
 * unknown name lists the registered ones, a bad option names the field
 * (`config.tasks[1].classes: ...`). Throws one ConfigError listing all problems.
 */
export function checkPlugins(config: TrainConfig, registries: PluginRegistries): void {
  const problems: string[] = [];
  const check = (reg: Registry<unknown, unknown>, cfg: PluginConfig, path: PropertyKey[]) => {
    if (!reg.has(cfg.type)) {
      problems.push(`${pathString([...path, 'type'])}: unknown ${reg.kind} '${cfg.type}'; registered: ${reg.names().join(', ') || '(none)'}`);
      return;
    }
    const { type: _t, ...options } = cfg;
    const r = reg.spec(cfg.type).schema.safeParse(options);
    if (!r.success) problems.push(`(${reg.kind} '${cfg.type}')\n` + formatIssues(r.error.issues, path));
  };
  check(registries.backbones, config.backbone, ['backbone']);
  config.tasks.forEach((t, i) => check(registries.pretextTasks, t, ['tasks', i]));
  if (config.objective) check(registries.objectives, config.objective, ['objective']);
  check(registries.weightings, config.weighting, ['weighting']);
  if (problems.length) throw new ConfigError(`invalid config:\n${problems.join('\n')}`);
}

// ---------------------------------------------------------------------------------------------
// Command line

export interface CliOption {
  flag: string;
  arg?: string;
  help: string;
}

/** The trainer's command-line options (examples/pretrain.ts prints them for --help). */
export const CLI_OPTIONS: CliOption[] = [
  { flag: '--config', arg: 'file', help: 'config file: .json, or .ts/.js exporting defineConfig(...) as default' },
  { flag: '--data', arg: 'dir|split', help: 'folder of videos or split file (default: the synthetic set, made on first use)' },
  { flag: '--backbone', arg: 'name', help: 'backbone plugin (config.backbone.type)' },
  { flag: '--tasks', arg: 'a,b,c', help: "pretext tasks, comma-separated ('none' for none)" },
  { flag: '--objective', arg: 'name', help: "contrastive objective ('none' for none)" },
  { flag: '--weighting', arg: 'name', help: 'loss weighting plugin' },
  { flag: '--steps', arg: 'n', help: 'optimizer steps' },
  { flag: '--epochs', arg: 'n', help: 'epochs (instead of --steps)' },
  { flag: '--batch-size', arg: 'n', help: 'pairs per batch' },
  { flag: '--lr', arg: 'x', help: 'base learning rate (optimizer.lr)' },
  { flag: '--optimizer', arg: 'sgd|adamw', help: 'optimizer (its other options take their defaults)' },
  { flag: '--seed', arg: 'n', help: 'seed of the weights, data order and augmentation' },
  { flag: '--out', arg: 'dir', help: 'run folder: checkpoints/, log.jsonl' },
  { flag: '--checkpoint-every', arg: 'n', help: 'checkpoint every n steps (0: only at the end)' },
  { flag: '--knn-every', arg: 'n', help: 'online kNN monitor: kNN top-1 on the labelled evaluation split every n steps, in log.jsonl and report.html (0: off)' },
  { flag: '--on-non-finite', arg: 'stop|skip', help: 'a NaN/Inf loss term stops the run (default) or skips the step' },
  { flag: '--resume', help: 'continue from the latest checkpoint in --out' },
  { flag: '--set', arg: 'path=value', help: 'any config field, e.g. --set optimizer.lr=0.05 --set data.size=96 (value parsed as JSON when it can be)' },
  { flag: '--no-progress', help: 'no progress bar (log lines instead)' },
  { flag: '--help', help: 'this help' },
];

export interface CliArgs {
  /** `--config` file, loaded by the platform layer. */
  configFile: string | null;
  /** Overrides in the order given: [dotted path, value]. */
  overrides: [string, unknown][];
  help: boolean;
  progress: boolean;
}

function parseValue(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}

function intArg(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new ConfigError(`${flag}: expected an integer, got '${v}'`);
  return n;
}

function numArg(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || v.trim() === '') throw new ConfigError(`${flag}: expected a number, got '${v}'`);
  return n;
}

/**
 * Reads the flag at argv[i] and its value: inline (`--name=value`) or the next argument when
 * `valueName(flag)` names one, none (`''`) when it returns null. `valueName` throws for unknown
 * flags. Returns the index of the last argument used.
 */
export function readFlag(argv: readonly string[], i: number, valueName: (flag: string) => string | null): { flag: string; value: string; takesValue: boolean; last: number } {
  const arg = argv[i];
  const eq = arg.indexOf('=');
  const inline = arg.startsWith('--') && eq > 0;
  const flag = inline ? arg.slice(0, eq) : arg;
  const name = valueName(flag);
  if (name === null) {
    if (inline) throw new ConfigError(`${flag} takes no value`);
    return { flag, value: '', takesValue: false, last: i };
  }
  if (inline) return { flag, value: arg.slice(eq + 1), takesValue: true, last: i };
  if (i + 1 >= argv.length) throw new ConfigError(`${flag} needs a value${name ? ` (${name})` : ''}`);
  return { flag, value: argv[i + 1], takesValue: true, last: i + 1 };
}

/** Parses command-line arguments into overrides; unknown flags are errors that list the known ones. */
export function parseCliArgs(argv: readonly string[]): CliArgs {
  const out: CliArgs = { configFile: null, overrides: [], help: false, progress: true };
  const known = new Set(CLI_OPTIONS.map((o) => o.flag));
  for (let i = 0; i < argv.length; i++) {
    const { flag, value: v, last } = readFlag(argv, i, (f) => {
      if (!known.has(f)) throw new ConfigError(`unknown option '${f}'; options: ${[...known].join(' ')}`);
      return CLI_OPTIONS.find((o) => o.flag === f)!.arg ?? null;
    });
    i = last;
    const set = (path: string, val: unknown) => out.overrides.push([path, val]);
    switch (flag) {
      case '--help': out.help = true; break;
      case '--no-progress': out.progress = false; break;
      case '--resume': set('resume', true); break;
      case '--config': out.configFile = v; break;
      case '--data': set('data.path', v); break;
      case '--backbone': set('backbone', { type: v }); break;
      case '--tasks': set('tasks', v === 'none' || v === '' ? [] : v.split(',').map((t) => ({ type: t.trim() }))); break;
      case '--objective': set('objective', v === 'none' ? null : { type: v }); break;
      case '--weighting': set('weighting', { type: v }); break;
      case '--steps': set('steps', intArg(flag, v)); set('epochs', null); break;
      case '--epochs': set('epochs', intArg(flag, v)); set('steps', null); break;
      case '--batch-size': set('batchSize', intArg(flag, v)); break;
      case '--lr': set('optimizer.lr', numArg(flag, v)); break;
      case '--optimizer': set('optimizer', { type: v }); break;
      case '--seed': set('seed', intArg(flag, v)); break;
      case '--out': set('out', v); break;
      case '--checkpoint-every': set('checkpointEvery', intArg(flag, v)); break;
      case '--knn-every': set('knnEvery', intArg(flag, v)); break;
      case '--on-non-finite': set('onNonFinite', v); break;
      case '--set': {
        const k = v.indexOf('=');
        if (k <= 0) throw new ConfigError(`--set expects path=value, got '${v}'`);
        set(v.slice(0, k), parseValue(v.slice(k + 1)));
        break;
      }
    }
  }
  return out;
}

/** Applies dotted-path overrides to a raw config (a copy; `a.b[0].c` and `a.b.0.c` both work). */
export function applyOverrides(raw: ConfigInput | Record<string, unknown>, overrides: readonly [string, unknown][]): Record<string, unknown> {
  const root = structuredClone(raw ?? {}) as Record<string, unknown>;
  for (const [path, value] of overrides) {
    const keys = path.replace(/\[(\d+)\]/g, '.$1').split('.').filter((k) => k.length > 0);
    if (keys.length === 0) throw new ConfigError(`override with an empty path`);
    let node: Record<string, unknown> = root;
    for (let i = 0; i < keys.length - 1; i++) {
      const k = keys[i];
      let next = node[k];
      if (next === undefined || next === null) {
        // Fill from the schema's default so `--set optimizer.lr=…` keeps the other defaults.
        next = i === 0 && k in configSchema.shape ? defaultOf(k) : {};
        node[k] = next;
      }
      if (typeof next !== 'object') throw new ConfigError(`override ${path}: '${keys.slice(0, i + 1).join('.')}' is not an object`);
      node = next as Record<string, unknown>;
    }
    node[keys[keys.length - 1]] = value;
  }
  return root;
}

function defaultOf(key: string): unknown {
  const d = (configSchema.parse({}) as Record<string, unknown>)[key];
  return d === null || typeof d !== 'object' ? {} : structuredClone(d);
}

/** The config's defaults (all fields). */
export function defaultConfig(): TrainConfig {
  return configSchema.parse({});
}
