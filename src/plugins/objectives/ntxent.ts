// NT-Xent / InfoNCE (SimCLR, Chen et al. 2020): a projector MLP, L2-normalised embeddings, cosine
// similarities / τ; for each of the 2N embeddings of a view pair the positive is its twin and the
// other 2N − 2 are negatives (self excluded). With V > 2 views the loss is averaged over pairs.
// For identical embeddings every logit is 1/τ and the loss is ln(2N − 1).
import { nn, F, tensor, type Tensor } from '../../engine/index.ts';
import type { Objective, Features, Batch, StepContext, TaskOutput } from '../types.ts';
import { mlp } from '../heads/mlp.ts';
import type { ObjectiveContext } from './common.ts';

export interface NtXentOptions {
  temperature: number;
  hidden: number;
  projectionDim: number;
  batchNorm: boolean;
}

/** NT-Xent of two [N, d] embedding batches (normalised here). */
export function ntXent(a: Tensor, b: Tensor, temperature: number): Tensor {
  const n = a.shape[0];
  const z = F.normalize(F.cat([a, b], 0));
  const diag = new Float32Array(4 * n * n);
  for (let i = 0; i < 2 * n; i++) diag[i * 2 * n + i] = -1e9;
  const logits = z.matmul(z.transpose(0, 1)).div(temperature).add(tensor(diag, [2 * n, 2 * n]));
  const target = Int32Array.from({ length: 2 * n }, (_, i) => (i < n ? i + n : i - n));
  return F.crossEntropy(logits, tensor(target, [2 * n], { dtype: 'int32' }));
}

export class NtXent implements Objective {
  readonly name = 'ntxent';
  readonly module: nn.ModuleDict<nn.Sequential>;

  constructor(readonly opts: NtXentOptions, ctx: ObjectiveContext) {
    this.module = new nn.ModuleDict<nn.Sequential>({ projector: mlp(ctx.featureDim, opts.hidden, opts.projectionDim, { batchNorm: opts.batchNorm }) });
  }

  forward(features: Features, _batch: Batch, _ctx: StepContext): TaskOutput {
    const v = features.pooled.length;
    if (v < 2) throw new Error(`objective 'ntxent': needs ≥ 2 views, got ${v}`);
    const z = features.pooled.map((f) => this.module.get('projector').call(f));
    let loss: Tensor | null = null;
    for (let i = 0; i < v; i++) for (let j = i + 1; j < v; j++) loss = loss ? loss.add(ntXent(z[i], z[j], this.opts.temperature)) : ntXent(z[i], z[j], this.opts.temperature);
    if (v > 2) loss = loss!.mul(2 / (v * (v - 1)));
    return { losses: { contrastive: loss! } };
  }
}
