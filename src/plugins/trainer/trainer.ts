// The CSTP trainer: one backbone, pretext tasks and an optional objective on the views' pooled
// features, a loss weighting that combines the named terms, SGD or AdamW with warmup + cosine,
// gradient clipping, checkpoints and a step log. Platform-neutral: batches, checkpoint storage,
// the log and the progress display come in through the interfaces of ./types.ts.
//
// One step: zeroGrad → (tidy) forward every view through the backbone, each task and the
// objective → weighting.combine → backward → clip → one readback of [terms…, total, grad norm]
// → non-finite check → optimizer.step → schedule.step → objective.afterStep → weighting.observe.
// Everything a step creates is freed inside it, so live GPU memory is flat after warm-up.
import {
  defaultGenerator,
  manualSeed,
  noGrad,
  stack,
  tensorsFromSafetensors,
  loadStateDict as loadTensors,
  tidy,
  Tensor,
  optim,
} from '../../engine/index.ts';
import type { Backbone, Features, LossWeighting, Objective, PretextTask, StepContext } from '../types.ts';
import { ConfigError, type PluginRegistries, type TrainConfig, checkPlugins } from '../config.ts';
import type { CheckpointData, CheckpointSink, CheckpointState, DataSource, LoadedCheckpoint, LogSink, ProgressSink, StepRecord, TrainBatch } from './types.ts';

export interface TrainerParts {
  backbone: Backbone;
  tasks: PretextTask[];
  objective: Objective | null;
  weighting: LossWeighting;
}

/**
 * What plugin factories receive as their build context: one object that satisfies every built-in
 * registry's context (BackboneContext, TaskContext, ObjectiveContext).
 */
export interface BuildContext {
  config: TrainConfig;
  seed: number;
  clipLength: number;
  size: number;
  /** Set for tasks, objectives and weightings (built after the backbone). */
  backbone?: Backbone;
  featureDim?: number;
  /** A fresh backbone of the configured architecture (momentum encoders of BYOL / MoCo). */
  makeBackbone?: () => Backbone;
  /** Names of the pretext tasks in the run (for weightings). */
  taskNames?: string[];
  /** Backbones built for momentum copies skip their own initialisation (overwritten on first use). */
  skipInit?: boolean;
}

/** Seeds the engine and builds the config's plugins from the registries (after checkPlugins). */
export function buildParts(config: TrainConfig, registries: PluginRegistries): TrainerParts {
  checkPlugins(config, registries);
  manualSeed(config.seed);
  const base: BuildContext = { config, seed: config.seed, clipLength: config.data.clipLength, size: config.data.size };
  const backbone = registries.backbones.build(config.backbone, base) as Backbone;
  const makeBackbone = () => registries.backbones.build(config.backbone, { ...base, skipInit: true }) as Backbone;
  const ctx: BuildContext = { ...base, backbone, featureDim: backbone.featureDim, makeBackbone, taskNames: config.tasks.map((t) => t.type) };
  const tasks = config.tasks.map((t) => registries.pretextTasks.build(t, ctx) as PretextTask);
  const objective = config.objective ? (registries.objectives.build(config.objective, ctx) as Objective) : null;
  const weighting = registries.weightings.build(config.weighting, ctx) as LossWeighting;
  return { backbone, tasks, objective, weighting };
}

export class NonFiniteLossError extends Error {
  constructor(readonly term: string, readonly step: number, readonly value: number) {
    super(`non-finite ${term.startsWith('gradient of ') ? '' : 'loss term '}${term} (${value}) at step ${step}; lower the learning rate, enable clipping (clipGradNorm), or set onNonFinite: 'skip' to skip such steps`);
    this.name = 'NonFiniteLossError';
  }
}

export interface RunOptions {
  data: DataSource;
  /** Total optimizer steps of the run (the schedule's length). */
  totalSteps: number;
  checkpoints?: CheckpointSink;
  log?: LogSink;
  progress?: ProgressSink;
  /** Checked after every step: true saves a checkpoint and returns (SIGINT/SIGTERM, a Stop button). */
  shouldStop?: () => boolean;
  /** Adapter description for the log. */
  adapter?: string;
  /** Stop after this many steps of this call (tests: interrupt a run), saving a checkpoint. */
  maxStepsThisRun?: number;
  /**
   * Called after each step, before it is logged (e.g. an online kNN monitor): returned numbers are
   * merged into the step record's `metrics`. Its time is not counted in the step's clips/s.
   */
  afterStep?: (trainer: Trainer, record: StepRecord) => Promise<Record<string, number> | void> | Record<string, number> | void;
}

export interface RunResult {
  /** Completed steps (including those of a resumed run). */
  step: number;
  totalSteps: number;
  startStep: number;
  reason: 'done' | 'stopped';
  /** Per step of this call: each loss term. */
  losses: Record<string, number>[];
  skipped: number;
  seconds: number;
  clipsPerSec: number;
  checkpoint: string | null;
}

type Sched = optim.LRScheduler;

export class Trainer {
  readonly parts: TrainerParts;
  readonly optimizer: optim.Optimizer;
  private schedule: Sched | null = null;
  private scheduleTotal = -1;
  private readonly named: [string, Tensor][];
  /** Completed steps. */
  step = 0;
  private lastLosses: Record<string, number> = {};

  constructor(readonly config: TrainConfig, parts: TrainerParts) {
    this.parts = parts;
    this.named = [];
    const seen = new Set<Tensor>();
    const add = (prefix: string, list: [string, Tensor][]) => {
      for (const [n, p] of list) {
        if (seen.has(p) || !p.requiresGrad) continue;
        seen.add(p);
        this.named.push([prefix + n, p]);
      }
    };
    add('backbone.', parts.backbone.namedParameters());
    for (const t of parts.tasks) add(`tasks.${t.name}.`, t.head.namedParameters());
    if (parts.objective) add('objective.', parts.objective.module.namedParameters());
    add('weighting.', parts.weighting.parameters().map((p, i) => [String(i), p] as [string, Tensor]));
    if (this.named.length === 0) throw new ConfigError('nothing to train: the backbone, tasks, objective and weighting have no trainable parameters');
    const o = config.optimizer;
    if (o.type === 'sgd') {
      const groups = optim.splitWeightDecay<optim.SGDOptions>(this.named, o.weightDecay);
      this.optimizer = new optim.SGD(groups.filter((g) => [...g.params].length > 0), { lr: o.lr, momentum: o.momentum, nesterov: o.nesterov, weightDecay: o.weightDecay });
    } else {
      const groups = optim.splitWeightDecay<optim.AdamOptions>(this.named, o.weightDecay);
      this.optimizer = new optim.AdamW(groups.filter((g) => [...g.params].length > 0), { lr: o.lr, betas: o.betas, eps: o.eps, weightDecay: o.weightDecay });
    }
  }

  private ensureSchedule(totalSteps: number): Sched {
    if (this.schedule && this.scheduleTotal === totalSteps) return this.schedule;
    const s = this.config.schedule;
    if (s.type === 'constant' || totalSteps < 2) this.schedule = new optim.LambdaLR(this.optimizer, () => 1);
    else {
      const w = s.warmup < 1 ? Math.round(s.warmup * totalSteps) : Math.round(s.warmup);
      const warmupSteps = Math.min(w, totalSteps - 1);
      const lr = this.config.optimizer.lr;
      this.schedule = new optim.WarmupCosineLR(this.optimizer, { warmupSteps, totalSteps, etaMin: lr * s.minLrFactor, warmupStartFactor: warmupSteps > 0 ? 1 / (warmupSteps + 1) : 0 });
    }
    this.scheduleTotal = totalSteps;
    return this.schedule;
  }

  /** The backbone, heads, objective and weighting parameters as checkpoint tensors (live, not copies). */
  modelTensors(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    const put = (prefix: string, d: Record<string, Tensor>) => {
      for (const [k, t] of Object.entries(d)) out[prefix + k] = t;
    };
    const { backbone, tasks, objective, weighting } = this.parts;
    put('backbone.', backbone.stateDict());
    for (const t of tasks) put(`tasks.${t.name}.`, t.head.stateDict());
    if (objective) {
      put('objective.', objective.module.stateDict());
      if (objective.stateDict) put('objective_state.', objective.stateDict());
    }
    weighting.parameters().forEach((p, i) => (out[`weighting.${i}`] = p));
    return out;
  }

  /** A checkpoint of the current state (tensors are live: the sink reads them before the next step). */
  checkpoint(totalSteps: number): CheckpointData {
    const tensors = this.modelTensors();
    const sd = this.optimizer.stateDict();
    const numbers: Record<number, Record<string, number>> = {};
    for (const [idx, st] of Object.entries(sd.state)) {
      for (const [name, v] of Object.entries(st)) {
        if (typeof v === 'number') (numbers[Number(idx)] ??= {})[name] = v;
        else tensors[`optimizer.${idx}.${name}`] = v;
      }
    }
    const state: CheckpointState = {
      format: 'cstp-checkpoint/1',
      step: this.step,
      totalSteps,
      config: this.config,
      optimizer: { paramGroups: sd.paramGroups, numbers },
      schedule: this.ensureSchedule(totalSteps).stateDict(),
      weighting: null,
      rng: defaultGenerator.getState(),
      losses: this.lastLosses,
      savedAt: new Date().toISOString(),
    };
    // Weighting state: tensors (GradNorm's weights) to the file, the rest to the JSON.
    const ws = this.parts.weighting.stateDict?.();
    if (ws) {
      const json: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(ws)) {
        if (v instanceof Tensor) tensors[`weighting_state.${k}`] = v;
        else json[k] = v;
      }
      state.weighting = json;
    }
    const taskStates = Object.fromEntries(this.parts.tasks.filter((t) => t.stateDict).map((t) => [t.name, t.stateDict!()]));
    if (Object.keys(taskStates).length) state.tasks = taskStates;
    return { step: this.step, tensors, state };
  }

  /** Restores a checkpoint written by `checkpoint()` (same config and plugins). */
  restore(ck: LoadedCheckpoint): void {
    const { state } = ck;
    if (state.format !== 'cstp-checkpoint/1') throw new Error(`${ck.where}: not a CSTP checkpoint (format ${String(state.format)})`);
    const model = this.modelTensors();
    for (const k of Object.keys(model)) if (k.startsWith('objective_state.')) delete model[k];
    const entries = [...ck.tensors.tensors];
    const modelEntries = new Map(entries.filter(([k]) => !k.startsWith('optimizer.') && !k.startsWith('objective_state.') && !k.startsWith('weighting_state.')));
    try {
      loadTensors(model, { tensors: modelEntries, metadata: {} });
    } catch (err) {
      throw new Error(`${ck.where}: the checkpoint does not fit this config's model (was it written with another backbone, tasks or objective?)\n${(err as Error).message}`, { cause: err });
    }
    const objective = this.parts.objective;
    const objEntries = new Map(entries.filter(([k]) => k.startsWith('objective_state.')).map(([k, e]) => [k.slice('objective_state.'.length), e]));
    if (objective && objEntries.size > 0) {
      if (objective.loadStateDict) {
        const objTensors = tensorsFromSafetensors(objEntries);
        try {
          objective.loadStateDict(Object.fromEntries(objTensors));
        } finally {
          for (const t of objTensors.values()) t.dispose();
        }
      } else if (objective.stateDict) {
        loadTensors(objective.stateDict(), { tensors: objEntries, metadata: {} });
      }
    }
    const optTensors = tensorsFromSafetensors(new Map([...ck.tensors.tensors].filter(([k]) => k.startsWith('optimizer.'))));
    try {
      const st: optim.OptimizerStateDict['state'] = {};
      for (const [k, t] of optTensors) {
        const [, idx, name] = k.split('.');
        (st[Number(idx)] ??= {})[name] = t;
      }
      for (const [idx, nums] of Object.entries(state.optimizer.numbers)) Object.assign((st[Number(idx)] ??= {}), nums);
      this.optimizer.loadStateDict({ state: st, paramGroups: state.optimizer.paramGroups });
    } finally {
      for (const t of optTensors.values()) t.dispose();
    }
    this.ensureSchedule(state.totalSteps).loadStateDict(state.schedule);
    const weighting = this.parts.weighting;
    const wEntries = new Map(entries.filter(([k]) => k.startsWith('weighting_state.')).map(([k, e]) => [k.slice('weighting_state.'.length), e]));
    if ((state.weighting || wEntries.size) && weighting.loadStateDict) {
      const wTensors = tensorsFromSafetensors(wEntries);
      try {
        weighting.loadStateDict({ ...(state.weighting ?? {}), ...Object.fromEntries(wTensors) });
      } finally {
        for (const t of wTensors.values()) t.dispose();
      }
    }
    for (const t of this.parts.tasks) {
      const ts = state.tasks?.[t.name];
      if (ts && t.loadStateDict) t.loadStateDict(ts);
    }
    defaultGenerator.setState(state.rng);
    this.step = state.step;
    this.lastLosses = state.losses ?? {};
  }

  /** Runs from `this.step` to `totalSteps` (or until stopped). */
  async run(o: RunOptions): Promise<RunResult> {
    const { totalSteps } = o;
    if (!Number.isInteger(totalSteps) || totalSteps < 1) throw new ConfigError(`totalSteps must be a positive integer, got ${totalSteps}`);
    const schedule = this.ensureSchedule(totalSteps);
    const { backbone, tasks, objective, weighting } = this.parts;
    const adapter = o.adapter ?? 'unknown';
    const startStep = this.step;
    const losses: Record<string, number>[] = [];
    let skipped = 0;
    let reason: RunResult['reason'] = 'done';
    let checkpoint: string | null = null;
    let clips = 0;
    const t0 = now();
    const setTrain = (on: boolean) => {
      backbone.train(on);
      for (const t of tasks) t.head.train(on);
      objective?.module.train(on);
    };
    setTrain(true);
    const save = async () => {
      if (!o.checkpoints) return;
      checkpoint = await o.checkpoints.save(this.checkpoint(totalSteps));
      o.log?.event?.('checkpoint', { step: this.step, where: checkpoint });
    };
    o.progress?.start(totalSteps, startStep);
    if (startStep > 0) o.log?.event?.('resume', { step: startStep });
    let ranThisCall = 0;
    const iterator = this.step < totalSteps ? o.data.batches(this.step)[Symbol.asyncIterator]() : null;
    try {
      while (iterator && this.step < totalSteps) {
        const next = await iterator.next();
        if (next.done) throw new Error(`the data source ended at step ${this.step} of ${totalSteps}`);
        const batch = next.value;
        const ts = now();
        let record: StepRecord;
        try {
          record = await this.trainStep(batch, totalSteps, schedule, adapter);
        } finally {
          batch.dispose?.();
        }
        clips += batch.views.length * (batch.views[0]?.shape[0] ?? 0);
        record.stepMs = now() - ts;
        record.clipsPerSec = (batch.views.length * (batch.views[0]?.shape[0] ?? 0)) / Math.max(1e-9, record.stepMs / 1000);
        if (batch.epoch !== undefined) record.epoch = batch.epoch;
        const extra = await o.afterStep?.(this, record);
        if (extra && Object.keys(extra).length) record.metrics = { ...record.metrics, ...extra };
        if (record.skipped) skipped++;
        losses.push(record.losses);
        this.lastLosses = record.losses;
        o.log?.step(record);
        o.progress?.update(record);
        ranThisCall++;
        const stopNow = o.shouldStop?.() || (o.maxStepsThisRun !== undefined && ranThisCall >= o.maxStepsThisRun);
        if (stopNow && this.step < totalSteps) {
          reason = 'stopped';
          break;
        }
        if (this.config.checkpointEvery > 0 && this.step % this.config.checkpointEvery === 0 && this.step < totalSteps) await save();
      }
      if (this.step > startStep || reason === 'done') await save();
      if (reason === 'stopped') o.log?.event?.('stopped', { step: this.step, checkpoint });
    } finally {
      o.progress?.stop();
      await iterator?.return?.();
    }
    const seconds = (now() - t0) / 1000;
    return { step: this.step, totalSteps, startStep, reason, losses, skipped, seconds, clipsPerSec: clips / Math.max(1e-9, seconds), checkpoint };
  }

  private async trainStep(batch: TrainBatch, totalSteps: number, schedule: Sched, adapter: string): Promise<StepRecord> {
    const { backbone, tasks, objective, weighting } = this.parts;
    const stepIndex = this.step;
    const ctx: StepContext = { step: stepIndex, totalSteps, backbone };
    const lr = this.optimizer.paramGroups[0].lr;
    this.optimizer.zeroGrad();
    let names: string[] = [];
    let metricNames: string[] = [];
    let weights: Record<string, number> = {};
    let weightNames: string[] = [];
    // Forward + backward; only the readback vector leaves the scope.
    const readback = tidy(() => {
      const pooled = batch.views.map((v) => backbone.call(v));
      const features: Features = { pooled, dim: backbone.featureDim };
      const terms: Record<string, Tensor> = {};
      const metrics: Record<string, Tensor> = {};
      const addTerms = (who: string, out: Record<string, Tensor>, into: Record<string, Tensor>) => {
        for (const [k, v] of Object.entries(out)) {
          if (k in into) throw new Error(`loss term '${k}' of ${who} is also produced by another plugin; rename one of them`);
          if (v.size !== 1) throw new Error(`${who}: loss term '${k}' must be a scalar, got shape [${v.shape.join(', ')}]`);
          into[k] = v;
        }
      };
      for (const t of tasks) {
        const out = t.forward(features, batch);
        addTerms(`pretext task '${t.name}'`, out.losses, terms);
        if (out.metrics) addTerms(`pretext task '${t.name}'`, out.metrics, metrics);
      }
      if (objective) {
        const out = objective.forward(features, batch, ctx);
        addTerms(`objective '${objective.name}'`, out.losses, terms);
        if (out.metrics) addTerms(`objective '${objective.name}'`, out.metrics, metrics);
      }
      names = Object.keys(terms);
      metricNames = Object.keys(metrics);
      const combined = weighting.combine(terms, { step: stepIndex, sharedParameters: backbone.lastSharedParameters() });
      weights = { ...combined.weights };
      const wt = combined.weightTensors ?? {};
      weightNames = Object.keys(wt);
      combined.total.backward();
      const norm = this.config.clipGradNorm !== null ? optim.clipGradNorm(this.named.map(([, p]) => p), this.config.clipGradNorm) : null;
      const parts = [...names.map((n) => terms[n]), combined.total, ...metricNames.map((n) => metrics[n]), ...weightNames.map((n) => wt[n])].map((t) => t.detach().float().reshape([]));
      if (norm) parts.push(norm.reshape([]));
      const out = noGrad(() => stack(parts));
      norm?.dispose(); // clipGradNorm keeps its result outside the scope
      return out;
    });
    let values: Float32Array;
    try {
      values = (await readback.data()) as Float32Array;
    } finally {
      readback.dispose();
    }
    const losses: Record<string, number> = {};
    names.forEach((n, i) => (losses[n] = values[i]));
    const total = values[names.length];
    const metrics: Record<string, number> = {};
    metricNames.forEach((n, i) => (metrics[n] = values[names.length + 1 + i]));
    const wBase = names.length + 1 + metricNames.length;
    weightNames.forEach((n, i) => (weights[n] = values[wBase + i]));
    const gradNorm = this.config.clipGradNorm !== null ? values[wBase + weightNames.length] : null;
    let bad: { term: string; value: number } | null = null;
    for (const n of names) if (!Number.isFinite(losses[n])) bad ??= { term: n, value: losses[n] };
    if (!bad && !Number.isFinite(total)) bad = { term: 'total (weighted sum)', value: total };
    if (!bad && gradNorm !== null && !Number.isFinite(gradNorm)) {
      const p = await optim.findNonFiniteGrad(this.named);
      bad = { term: `gradient of ${p ?? 'a parameter'}`, value: gradNorm };
    }
    const record: StepRecord = { step: stepIndex + 1, losses, total, weights, lr, gradNorm, clipsPerSec: 0, stepMs: 0, adapter };
    if (metricNames.length) record.metrics = metrics;
    if (bad) {
      if (this.config.onNonFinite === 'stop') {
        this.optimizer.zeroGrad();
        throw new NonFiniteLossError(bad.term, stepIndex + 1, bad.value);
      }
      record.skipped = `non-finite ${bad.term}`;
      this.optimizer.zeroGrad();
    } else {
      this.optimizer.step();
      objective?.afterStep?.({ step: stepIndex, totalSteps, backbone });
      weighting.observe?.(losses, stepIndex);
    }
    this.optimizer.zeroGrad();
    schedule.step();
    this.step = stepIndex + 1;
    return record;
  }

  /** Frees the optimizer state and every plugin's tensors. */
  dispose(): void {
    this.optimizer.dispose();
    this.parts.backbone.dispose();
    for (const t of this.parts.tasks) t.head.dispose();
    const objective = this.parts.objective;
    if (objective?.stateDict) for (const t of Object.values(objective.stateDict())) if (!t.disposed) t.dispose(); // momentum target, queue
    (objective as { dispose?: () => void } | null)?.dispose?.();
    objective?.module.dispose();
    for (const p of this.parts.weighting.parameters()) p.dispose();
    this.parts.weighting.dispose?.();
  }
}

function now(): number {
  return globalThis.performance?.now() ?? Date.now();
}
