// The trainer's seams to the platform: where batches come from, where checkpoints and step logs
// go, and how progress is shown. Node implementations live in src/platform/node-train.ts; a
// browser page supplies its own (IndexedDB checkpoints, a DOM progress bar).
import type { Tensor, ParsedSafetensors } from '../../engine/index.ts';
import type { Batch } from '../types.ts';
import type { OptimizerStateDict, SchedulerStateDict } from '../../engine/optim/index.ts';

/** A batch as the data source hands it over; `dispose` frees its tensors after the step. */
export interface TrainBatch extends Batch {
  epoch?: number;
  dispose?(): void;
}

/** Batches for steps `fromStep`, `fromStep + 1`, …; the same step must give the same batch (resume). */
export interface DataSource {
  batches(fromStep: number): AsyncIterable<TrainBatch>;
  /** Batches per epoch, when known (for `epochs`). */
  batchesPerEpoch?: number;
  close?(): Promise<void>;
}

/** Everything not in the tensors of a checkpoint (JSON). */
export interface CheckpointState {
  format: 'cstp-checkpoint/1';
  step: number;
  totalSteps: number;
  config: unknown;
  /** Optimizer hyper-parameters and the numeric part of its per-parameter state (tensors are in the file). */
  optimizer: { paramGroups: OptimizerStateDict['paramGroups']; numbers: Record<number, Record<string, number>> };
  schedule: SchedulerStateDict;
  /** The weighting's stateDict() without its tensors (those are `weighting_state.<key>` in the file). */
  weighting: Record<string, unknown> | null;
  /** Each pretext task's stateDict() (tasks that have one), by task name. */
  tasks?: Record<string, Record<string, unknown>>;
  /** The engine's default generator (dropout, random init, GPU-side randomness). */
  rng: { seed: [number, number]; offset: number };
  /** Last step's loss terms (informative). */
  losses: Record<string, number>;
  savedAt: string;
}

export interface CheckpointData {
  step: number;
  /** `backbone.*`, `tasks.<name>.*`, `objective.*`, `objective_state.*`, `weighting.<i>`, `weighting_state.<key>`, `optimizer.<param>.<state>`. */
  tensors: Record<string, Tensor>;
  state: CheckpointState;
}

export interface LoadedCheckpoint {
  step: number;
  tensors: ParsedSafetensors;
  state: CheckpointState;
  /** Where it was read from (a path, a key). */
  where: string;
}

/** Stores checkpoints atomically (a reader never sees a partial one). */
export interface CheckpointSink {
  /** Saves and returns where it went. */
  save(checkpoint: CheckpointData): Promise<string>;
  /** The newest complete checkpoint, or null. */
  latest(): Promise<LoadedCheckpoint | null>;
}

/** One JSONL line per step. */
export interface StepRecord {
  step: number;
  epoch?: number;
  /** Each loss term (before weighting). */
  losses: Record<string, number>;
  /** The weighted total that was differentiated. */
  total: number;
  /** Each term's weight from the weighting plugin. */
  weights: Record<string, number>;
  lr: number;
  /** Global gradient norm before clipping (null when clipping is off). */
  gradNorm: number | null;
  clipsPerSec: number;
  stepMs: number;
  adapter: string;
  /** The update was skipped (non-finite loss with onNonFinite: 'skip'). */
  skipped?: string;
  metrics?: Record<string, number>;
}

export interface LogSink {
  step(record: StepRecord): void;
  /** Free-form events: resume, checkpoint, stop. */
  event?(name: string, data: Record<string, unknown>): void;
  close?(): Promise<void>;
}

export interface ProgressSink {
  start(totalSteps: number, fromStep: number): void;
  update(record: StepRecord): void;
  stop(): void;
}
