// Small MLP heads shared by pretext tasks and objectives.
import { nn, type Tensor } from '../../engine/index.ts';

export interface MLPOptions {
  /** Batch norm after the hidden linear layer (default true: Linear-BN-ReLU-Linear). */
  batchNorm?: boolean;
  /** Batch norm (without affine) after the last linear layer (MoCo/SimCLR-style projectors: false). */
  lastBatchNorm?: boolean;
}

/**
 * Linear(in, hidden) → [BN] → ReLU → Linear(hidden, out), the reference code's STOR head and BYOL's
 * projector / predictor. State-dict names: `0.weight`, `1.running_mean`, `3.weight` (PyTorch's
 * nn.Sequential numbering; with batchNorm = false the ReLU is `1` and the last layer `2`).
 */
export function mlp(inDim: number, hidden: number, out: number, opts: MLPOptions = {}): nn.Sequential {
  const layers: Array<nn.Module<[Tensor], Tensor>> = [new nn.Linear(inDim, hidden)];
  if (opts.batchNorm !== false) layers.push(new nn.BatchNorm1d(hidden));
  layers.push(new nn.ReLU(), new nn.Linear(hidden, out));
  if (opts.lastBatchNorm) layers.push(new nn.BatchNorm1d(out, { affine: false }));
  return new nn.Sequential(...layers);
}

/** Deterministic CPU random numbers for label draws (mulberry32); the GPU generator is for tensors. */
export class SeededRandom {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  getState(): number {
    return this.s;
  }
  setState(s: number): void {
    this.s = s >>> 0;
  }
}
