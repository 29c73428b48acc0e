// BatchNorm1d and BatchNorm3d: PyTorch's parameters (weight, bias) and buffers (running_mean,
// running_var, num_batches_tracked), with PyTorch's train/eval behaviour:
// - training (or trackRunningStats = false): normalise with the batch statistics; when tracking,
//   also update the running statistics in place (momentum, unbiased variance) and count the batch;
// - eval with tracked statistics: normalise with running_mean / running_var.
// num_batches_tracked is an int32 scalar here (int64 in PyTorch); it is only counted, since the
// cumulative-average mode (momentum = null in PyTorch) is not supported.
import type { Tensor } from '../../tensor/tensor.ts';
import { fmt } from '../../tensor/shape.ts';
import { noGrad } from '../../autograd/mode.ts';
import { full } from '../../ops/creation.ts';
import { add } from '../../ops/elementwise.ts';
import { assign } from '../../ops/assign.ts';
import * as F from '../../functional.ts';
import { Module } from '../module.ts';

export interface BatchNormOptions {
  eps?: number;
  /** Weight of the new batch statistic in the running average (default 0.1). */
  momentum?: number;
  /** Learnable per-channel scale and shift (default true). */
  affine?: boolean;
  /** Keep running statistics for eval mode (default true). */
  trackRunningStats?: boolean;
}

abstract class BatchNormBase extends Module {
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
  readonly runningMean: Tensor | null;
  readonly runningVar: Tensor | null;
  readonly numBatchesTracked: Tensor | null;
  readonly eps: number;
  readonly momentum: number;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;

  constructor(readonly numFeatures: number, opts: BatchNormOptions = {}) {
    super();
    if (!Number.isInteger(numFeatures) || numFeatures < 1) throw new Error(`${this.constructor.name}: numFeatures must be a positive integer, got ${numFeatures}`);
    this.eps = opts.eps ?? 1e-5;
    this.momentum = opts.momentum ?? 0.1;
    if (opts.momentum === null) throw new Error(`${this.constructor.name}: momentum = null (cumulative average) is not supported`);
    this.affine = opts.affine ?? true;
    this.trackRunningStats = opts.trackRunningStats ?? true;
    this.weight = this.registerParameter('weight', this.affine ? full([numFeatures], 1) : null);
    this.bias = this.registerParameter('bias', this.affine ? full([numFeatures], 0) : null);
    const track = this.trackRunningStats;
    this.runningMean = this.registerBuffer('running_mean', track ? full([numFeatures], 0) : null);
    this.runningVar = this.registerBuffer('running_var', track ? full([numFeatures], 1) : null);
    this.numBatchesTracked = this.registerBuffer('num_batches_tracked', track ? full([], 0, { dtype: 'int32' }) : null);
  }

  protected abstract checkInput(x: Tensor): void;

  protected normalize(x: Tensor): Tensor {
    if (x.shape[1] !== this.numFeatures) {
      throw new Error(`${this.constructor.name}: expected ${this.numFeatures} channels in dim 1, got input ${fmt(x.shape)}`);
    }
    if (this.training && this.numBatchesTracked) {
      const n = this.numBatchesTracked;
      noGrad(() => {
        const next = add(n, 1);
        assign(n, next);
        next.dispose();
      });
    }
    const useBatchStats = this.training || !this.runningMean;
    const track = !this.training || this.trackRunningStats;
    return F.batchNorm(x, track ? this.runningMean : null, track ? this.runningVar : null, this.weight, this.bias, {
      training: useBatchStats,
      momentum: this.momentum,
      eps: this.eps,
    });
  }

  override forward(x: Tensor): Tensor {
    x.assertLive(this.constructor.name);
    this.checkInput(x);
    return this.normalize(x);
  }

  override extraRepr(): string {
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}, affine=${this.affine}, trackRunningStats=${this.trackRunningStats}`;
  }
}

/** Batch norm over [N, C] or [N, C, L] inputs. */
export class BatchNorm1d extends BatchNormBase {
  protected checkInput(x: Tensor): void {
    if (x.rank !== 2 && x.rank !== 3) throw new Error(`BatchNorm1d: expected a 2D [N, C] or 3D [N, C, L] input, got ${fmt(x.shape)}`);
  }
}

/** Batch norm over [N, C, D, H, W] inputs. */
export class BatchNorm3d extends BatchNormBase {
  protected checkInput(x: Tensor): void {
    if (x.rank !== 5) throw new Error(`BatchNorm3d: expected a 5D [N, C, D, H, W] input, got ${fmt(x.shape)}`);
  }
}
