// softmax / logSoftmax / crossEntropy / normalize references (float64).
import { type RefTensor, make, normDim } from './tensor.ts';
import { logsumexp, sum } from './reduce.ts';
import { sub, exp, div, maximum, pow, abs } from './elementwise.ts';

export function logSoftmax(x: RefTensor, dim: number): RefTensor {
  return sub(x, logsumexp(x, dim, true));
}

export function softmax(x: RefTensor, dim: number): RefTensor {
  return exp(logSoftmax(x, dim));
}

/**
 * F.cross_entropy with class-index targets, mean reduction, optional label smoothing.
 * logits [N, C] or [N, C, d1, ...]; target [N] or [N, d1, ...] (values are class indices).
 */
export function crossEntropy(logits: RefTensor, target: RefTensor, labelSmoothing = 0): RefTensor {
  const lp = logSoftmax(logits, 1);
  const N = logits.shape[0];
  const C = logits.shape[1];
  const inner = logits.shape.slice(2).reduce((a, b) => a * b, 1);
  let total = 0;
  for (let n = 0; n < N; n++) {
    for (let s = 0; s < inner; s++) {
      const y = target.data[n * inner + s];
      if (y < 0 || y >= C) throw new Error('ref.crossEntropy: target out of range');
      const nll = -lp.data[(n * C + y) * inner + s];
      let smooth = 0;
      for (let c = 0; c < C; c++) smooth -= lp.data[(n * C + c) * inner + s];
      total += (1 - labelSmoothing) * nll + (labelSmoothing * smooth) / C;
    }
  }
  return make([], [total / (N * inner)]);
}

/** F.normalize: x / max(||x||_p along dim, eps). */
export function normalize(x: RefTensor, p = 2, dim = 1, eps = 1e-12): RefTensor {
  const d = normDim(dim, x.shape.length);
  const norm = pow(sum(pow(abs(x), p), d, true), 1 / p);
  return div(x, maximum(norm, eps));
}
