// Helpers shared by the built-in pretext tasks.
import { F, noGrad, type Tensor } from '../../engine/index.ts';
import type { Backbone, Batch } from '../types.ts';

/** What every pretext task factory receives. */
export interface TaskContext {
  /** Pooled feature size of the backbone (Features.dim). */
  featureDim: number;
  /** Seed for tasks that draw CPU randomness (clip order's shuffles). */
  seed?: number;
  /** The trainer's config (its `seed` is used when `seed` is absent). */
  config?: { seed?: number };
  /**
   * The shared backbone (set by the trainer's buildParts): for tasks that derive clips of their own
   * from `batch.views` (e.g. a time-reversed copy) and need their features. Calling it inside
   * `forward` is part of the step (same tidy scope, gradients reach the backbone).
   */
  backbone?: Backbone;
}

/** Mean cross-entropy and top-1 accuracy (no gradient) of logits [N, C] against int32 targets [N]. */
export function classify(logits: Tensor, target: Tensor): { loss: Tensor; accuracy: Tensor } {
  const loss = F.crossEntropy(logits, target);
  const accuracy = noGrad(() => logits.argmax(1).eq(target).float().mean());
  return { loss, accuracy };
}

/** The label `name` of the batch, or an error naming the task and what the sampler gave. */
export function label(batch: Batch, name: string, task: string): Tensor {
  const t = batch.labels[name];
  if (!t) {
    const have = Object.keys(batch.labels).filter((k) => batch.labels[k]).join(', ') || '(none)';
    throw new Error(`pretext task '${task}' needs label '${name}' from the sampler; the batch has: ${have}`);
  }
  return t;
}

/** Column `i` of a [N, K] int32 label as a contiguous [N] tensor. */
export function column(t: Tensor, i: number): Tensor {
  return t.slice(1, i, i + 1).reshape([t.shape[0]]).contiguous();
}
