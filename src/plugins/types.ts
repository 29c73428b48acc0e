// The plugin interfaces of CSTP pretraining. Kept small so that a new pretext task is a few dozen
// lines: declare what the sampler must provide, own a head, return named loss terms.
import type { Tensor, nn } from '../engine/index.ts';

/** Per-sample labels produced by the data pipeline (STOR sampler), int32 tensors on the GPU. */
export interface BatchLabels {
  /** [N] spatial overlap class of the pair. */
  spatial?: Tensor;
  /** [N] temporal overlap class of the pair. */
  temporal?: Tensor;
  /** [N] playback-rate class (shared by both clips). */
  speed?: Tensor;
  /** [N, 2] rotation class of each clip. */
  rotation?: Tensor;
  /**
   * [N] temporal order of the pair: 0 when view 0 is the earlier clip, 1 when view 1 is, −1 when
   * both clips show the same frames (temporal overlap 1), where order is undefined.
   */
  order?: Tensor;
  /** [N] class label when the dataset has one (evaluation, online kNN). */
  label?: Tensor;
  [name: string]: Tensor | undefined;
}

/** One training batch: V views [N, C, T, H, W] (the STOR pair: V = 2) and their labels. */
export interface Batch {
  views: Tensor[];
  labels: BatchLabels;
}

/** What a pretext task needs from the sampler. */
export interface SamplerNeeds {
  /** Number of clip views per sample (2 for pair tasks). */
  views: number;
  /** Label names the task reads from BatchLabels. */
  labels: string[];
  /** Extra per-view transforms the task applies itself (e.g. 'rotation' rotates clips on the GPU). */
  notes?: string[];
}

/** Features of every view from the shared backbone: pooled [N, D] per view. */
export interface Features {
  pooled: Tensor[];
  dim: number;
}

export interface TaskOutput {
  /** Named scalar loss terms, e.g. { spatial: ..., temporal: ... }. */
  losses: Record<string, Tensor>;
  /** Named scalar metrics (e.g. accuracy), not differentiated. */
  metrics?: Record<string, Tensor>;
}

/** A pretext task: owns its head(s), returns named loss terms from the views' features. */
export interface PretextTask {
  readonly name: string;
  readonly needs: SamplerNeeds;
  /** The task's trainable head(s), registered under `tasks.<name>` in checkpoints. */
  readonly head: nn.Module<never[], unknown>;
  /** Chance-level loss of each term (e.g. ln 5 for a 5-class term), for reports and tests. */
  chance(): Record<string, number>;
  forward(features: Features, batch: Batch): TaskOutput;
  /** JSON-serialisable state beyond the head (e.g. a CPU generator's position), saved in checkpoints. */
  stateDict?(): Record<string, unknown>;
  /** Restores what stateDict() returned (on --resume). */
  loadStateDict?(state: Record<string, unknown>): void;
}

/** A contrastive (or other self-supervised) objective on the views' features. */
export interface Objective {
  readonly name: string;
  /** Modules with trainable parameters (projector, predictor), registered under `objective`. */
  readonly module: nn.Module<never[], unknown>;
  forward(features: Features, batch: Batch, ctx: StepContext): TaskOutput;
  /** Called after the optimizer step (e.g. BYOL/MoCo momentum-encoder update). */
  afterStep?(ctx: StepContext): void;
  /** Serializable extra state (e.g. MoCo queue pointer); tensors go to the checkpoint. */
  stateDict?(): Record<string, Tensor>;
  /** Restores what stateDict() returned (momentum encoder, queue). */
  loadStateDict?(state: Record<string, Tensor>): void;
}

export interface StepContext {
  step: number;
  totalSteps: number;
  /** The online backbone (for objectives that keep a momentum copy). */
  backbone: Backbone;
}

/** A video backbone: clips [N, C, T, H, W] → pooled features [N, featureDim]. */
export interface Backbone extends nn.Module<[Tensor], Tensor> {
  readonly featureDim: number;
  /** The last shared layer's parameters (GradNorm computes gradient norms there). */
  lastSharedParameters(): Tensor[];
}

/** Joint-optimisation scheduler: combines named loss terms into one total with weights. */
export interface LossWeighting {
  readonly name: string;
  /** Trainable weighting parameters (uncertainty weighting's log variances), or none. */
  parameters(): Tensor[];
  /**
   * Returns the total loss and each term's weight (logged every step). Weights that live on the GPU
   * (uncertainty weighting's 1/(2·exp(s)), GradNorm's) come as scalar tensors in `weightTensors`,
   * for the trainer to read back with the losses and merge into `weights`; those tensors belong to
   * the caller's tidy scope.
   */
  combine(losses: Record<string, Tensor>, ctx: WeightingContext): { total: Tensor; weights: Record<string, number>; weightTensors?: Record<string, Tensor> };
  /** Called once per step with the (read back) loss values, for history-based schemes (DWA). */
  observe?(values: Record<string, number>, step: number): void;
  /**
   * State to checkpoint beyond parameters(): JSON-serialisable values go to the checkpoint's JSON,
   * Tensor values to its tensors (as `weighting_state.<key>`, e.g. GradNorm's weights, which live
   * on the GPU). The tensors are read when the checkpoint is written, before the next step.
   */
  stateDict?(): Record<string, unknown>;
  /**
   * Restores what stateDict() returned (on --resume): the same keys, Tensor values as fresh tensors
   * that the trainer frees after the call (copy what you keep).
   */
  loadStateDict?(state: Record<string, unknown>): void;
  /** Frees GPU state the weighting holds outside parameters() (called by Trainer.dispose). */
  dispose?(): void;
}

export interface WeightingContext {
  step: number;
  /** GradNorm needs the shared layer and a way to take per-term gradients. */
  sharedParameters: Tensor[];
}
