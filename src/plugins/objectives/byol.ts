// BYOL (Grill et al. 2020): online projector + predictor (MLPs with BN), a momentum target
// (backbone + projector copies) updated after each optimizer step with m from m₀ = 0.996 to 1 on a
// cosine schedule; loss Σ_{i≠j} mean_n(2 − 2·cos(p_i, sg(z'_j))) — for a pair, the symmetric
// L(p₀, z'₁) + L(p₁, z'₀), each in [0, 4]. Target features come from batch.views.
import { nn, F, type Tensor } from '../../engine/index.ts';
import type { Objective, Features, Batch, StepContext, TaskOutput } from '../types.ts';
import { mlp } from '../heads/mlp.ts';
import { MomentumPair, type ObjectiveContext } from './common.ts';
import { cosineMomentum } from './ema.ts';

export interface ByolOptions {
  hidden: number;
  projectionDim: number;
  predictorHidden: number;
  baseMomentum: number;
}

/** mean over rows of 2 − 2·cos(a, b). */
export function byolLoss(p: Tensor, z: Tensor): Tensor {
  return F.normalize(p).mul(F.normalize(z)).sum(1).mul(-2).add(2).mean();
}

export class Byol implements Objective {
  readonly name = 'byol';
  readonly module: nn.ModuleDict<nn.Sequential>;
  readonly target: MomentumPair;
  /** Momentum used by the last afterStep (logged). */
  momentum: number;

  constructor(readonly opts: ByolOptions, ctx: ObjectiveContext) {
    const projector = mlp(ctx.featureDim, opts.hidden, opts.projectionDim);
    this.module = new nn.ModuleDict<nn.Sequential>({ projector, predictor: mlp(opts.projectionDim, opts.predictorHidden, opts.projectionDim) });
    this.target = new MomentumPair('byol', ctx.makeBackbone, () => mlp(ctx.featureDim, opts.hidden, opts.projectionDim));
    this.momentum = opts.baseMomentum;
  }

  forward(features: Features, batch: Batch, ctx: StepContext): TaskOutput {
    const projector = this.module.get('projector');
    this.target.ensure(ctx, projector);
    const v = features.pooled.length;
    if (v < 2 || batch.views.length !== v) throw new Error(`objective 'byol': needs ≥ 2 views with their clips (features ${v}, clips ${batch.views.length})`);
    const p = features.pooled.map((f) => this.module.get('predictor').call(projector.call(f)));
    const z = batch.views.map((clip) => this.target.embed(clip));
    let loss: Tensor | null = null;
    for (let i = 0; i < v; i++) for (let j = 0; j < v; j++) if (i !== j) loss = loss ? loss.add(byolLoss(p[i], z[j])) : byolLoss(p[i], z[j]);
    // Pairs beyond two views are averaged so that the scale stays that of the symmetric pair loss.
    if (v > 2) loss = loss!.mul(2 / (v * (v - 1)));
    return { losses: { contrastive: loss! } };
  }

  /** m at `step` of `totalSteps` (cosine from baseMomentum to 1). */
  momentumAt(step: number, totalSteps: number): number {
    return cosineMomentum(this.opts.baseMomentum, step, totalSteps);
  }

  afterStep(ctx: StepContext): void {
    this.momentum = this.momentumAt(ctx.step, ctx.totalSteps);
    this.target.update(ctx, this.module.get('projector'), this.momentum);
  }

  stateDict(): Record<string, Tensor> {
    return this.target.stateDict();
  }

  loadStateDict(state: Record<string, Tensor>): void {
    this.target.loadStateDict(state);
  }
}
