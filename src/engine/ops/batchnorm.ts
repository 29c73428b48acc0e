// Batch normalisation for [N, C] and [N, C, D, H, W] (any [N, C, ...]) inputs, PyTorch semantics:
// training mode normalises with the batch statistics (biased variance) and updates the running
// statistics in place with the unbiased variance; eval mode uses the running statistics.
// Composed from reductions and elementwise kernels, so its gradient is the autograd of the formula.
import { Tensor } from '../tensor/tensor.ts';
import { tidy } from '../tensor/scope.ts';
import { noGrad } from '../autograd/mode.ts';
import { fmt } from '../tensor/shape.ts';
import { add, mul, rsqrt, sub } from './elementwise.ts';
import { mean } from './reduce.ts';
import { reshape } from './shape.ts';
import { assign } from './assign.ts';

export interface BatchNormOptions {
  training?: boolean;
  /** Weight of the new batch statistic in the running average (PyTorch default 0.1). */
  momentum?: number;
  eps?: number;
}

export function batchNorm(
  x: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  weight: Tensor | null,
  bias: Tensor | null,
  opts: BatchNormOptions = {},
): Tensor {
  const op = 'batchNorm';
  x.assertLive(op);
  if (x.rank < 2) throw new Error(`${op}: input must be [N, C] or [N, C, ...], got ${fmt(x.shape)}`);
  const C = x.shape[1];
  for (const [name, t] of [['runningMean', runningMean], ['runningVar', runningVar], ['weight', weight], ['bias', bias]] as const) {
    if (t && (t.rank !== 1 || t.shape[0] !== C)) throw new Error(`${op}: ${name} must be [${C}] for input ${fmt(x.shape)}, got ${fmt(t.shape)}`);
  }
  const training = opts.training ?? true;
  const momentum = opts.momentum ?? 0.1;
  const eps = opts.eps ?? 1e-5;
  const dims = [0, ...x.shape.slice(2).map((_, i) => i + 2)];
  const count = x.size / C;
  if (training && count <= 1) throw new Error(`${op}: expected more than 1 value per channel when training, got input ${fmt(x.shape)}`);
  if (!training && (!runningMean || !runningVar)) throw new Error(`${op}: eval mode needs runningMean and runningVar`);
  const perChannel = [1, C, ...x.shape.slice(2).map(() => 1)];
  return tidy(() => {
    let centered: Tensor;
    let invStd: Tensor;
    if (training) {
      const mu = mean(x, dims, true);
      centered = sub(x, mu);
      const variance = mean(mul(centered, centered), dims, true);
      invStd = rsqrt(add(variance, eps));
      if (runningMean && runningVar) {
        noGrad(() => {
          assign(runningMean, add(mul(runningMean, 1 - momentum), mul(reshape(mu, [C]), momentum)));
          assign(runningVar, add(mul(runningVar, 1 - momentum), mul(reshape(variance, [C]), (momentum * count) / (count - 1))));
        });
      }
    } else {
      centered = sub(x, reshape(runningMean!, perChannel));
      invStd = rsqrt(add(reshape(runningVar!, perChannel), eps));
    }
    let y = mul(centered, invStd);
    if (weight) y = mul(y, reshape(weight, perChannel));
    if (bias) y = add(y, reshape(bias, perChannel));
    return y;
  });
}
