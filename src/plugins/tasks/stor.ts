// STOR: spatial and temporal overlap classification of a clip pair from the concatenation of the
// two clips' pooled features, each through its own Linear-BN-ReLU-Linear head (the reference code).
// `pairFeatures: 'relation'` gives the heads [a, b, |a − b|, a ⊙ b] instead (the relation features of
// sentence-pair models): how alike the two clips are is then one linear layer away, which helped
// the spatial term in a measured replica of the default run (docs/training.md); not the reference.
import { nn, F } from '../../engine/index.ts';
import type { PretextTask, Features, Batch, TaskOutput } from '../types.ts';
import { mlp } from '../heads/mlp.ts';
import { classify, label } from './common.ts';

export interface StorTaskOptions {
  featureDim: number;
  hidden: number;
  spatialClasses: number;
  temporalClasses: number;
  /** 'concat' (the reference): [a, b]; 'relation': [a, b, |a − b|, a ⊙ b]. Default 'concat'. */
  pairFeatures?: 'concat' | 'relation';
}

export class StorTask implements PretextTask {
  readonly name = 'stor';
  readonly needs = { views: 2, labels: ['spatial', 'temporal'] };
  readonly head: nn.ModuleDict<nn.Sequential>;

  constructor(readonly opts: StorTaskOptions) {
    const d = opts.featureDim * (opts.pairFeatures === 'relation' ? 4 : 2);
    this.head = new nn.ModuleDict<nn.Sequential>({
      spatial: mlp(d, opts.hidden, opts.spatialClasses),
      temporal: mlp(d, opts.hidden, opts.temporalClasses),
    });
  }

  chance(): Record<string, number> {
    return { spatial: Math.log(this.opts.spatialClasses), temporal: Math.log(this.opts.temporalClasses) };
  }

  forward(features: Features, batch: Batch): TaskOutput {
    const [a, b] = features.pooled;
    const pair = this.opts.pairFeatures === 'relation' ? F.cat([a, b, a.sub(b).abs(), a.mul(b)], 1) : F.cat([a, b], 1);
    const s = classify(this.head.get('spatial').call(pair), label(batch, 'spatial', this.name));
    const t = classify(this.head.get('temporal').call(pair), label(batch, 'temporal', this.name));
    return { losses: { spatial: s.loss, temporal: t.loss }, metrics: { spatial_acc: s.accuracy, temporal_acc: t.accuracy } };
  }
}
