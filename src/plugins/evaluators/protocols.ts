// The four protocols as Evaluator objects over validated options (see ./index.ts for the schemas
// and defaults, docs/evaluation.md for the definitions).
import { knnClassify } from './knn.ts';
import { trainLinearProbe, type LinearProbeOptions } from './linear.ts';
import { retrievalRecall } from './retrieval.ts';
import { finetune, type FinetuneOptions } from './finetune.ts';
import type { EvalContext, Evaluator, ProtocolOutput } from './types.ts';

export interface KnnEvaluatorOptions {
  ks: number[];
  temperature: number;
  /** Clips per video (uniform; features averaged over them). */
  clips: number;
  /** k of the headline metric (`k<primaryK>_top1`). */
  primaryK: number;
}

export class KnnEvaluator implements Evaluator {
  readonly name = 'knn';
  readonly trainsBackbone = false;
  constructor(readonly options: KnnEvaluatorOptions & Record<string, unknown>) {
    if (!options.ks.includes(options.primaryK)) throw new Error(`knn: primaryK ${options.primaryK} is not among ks [${options.ks.join(', ')}]`);
  }
  async run(ctx: EvalContext): Promise<ProtocolOutput> {
    const spec = { clips: this.options.clips, perClip: false };
    const [train, test] = [await ctx.features('train', spec), await ctx.features('test', spec)];
    const scores = await knnClassify(train, test, { ks: this.options.ks, temperature: this.options.temperature, numClasses: ctx.numClasses });
    const metrics: Record<string, number> = {};
    for (const s of scores) {
      metrics[`k${s.k}_top1`] = s.top1;
      metrics[`k${s.k}_top5`] = s.top5;
    }
    return { metrics, primary: `k${this.options.primaryK}_top1`, resolved: { kEffective: Object.fromEntries(scores.map((s) => [String(s.k), s.kEffective])) } };
  }
}

export interface LinearEvaluatorOptions extends Omit<LinearProbeOptions, 'numClasses'> {
  clips: number;
}

export class LinearEvaluator implements Evaluator {
  readonly name = 'linear';
  readonly trainsBackbone = false;
  constructor(readonly options: LinearEvaluatorOptions & Record<string, unknown>) {}
  async run(ctx: EvalContext): Promise<ProtocolOutput> {
    const spec = { clips: this.options.clips, perClip: false };
    const [train, test] = [await ctx.features('train', spec), await ctx.features('test', spec)];
    const { clips: _c, ...probe } = this.options;
    const r = await trainLinearProbe(train, test, { ...probe, numClasses: ctx.numClasses });
    return {
      metrics: { top1: r.top1, top5: r.top5, train_top1: r.trainTop1, final_loss: r.losses[r.losses.length - 1] },
      primary: 'top1',
      resolved: { steps: r.steps },
      details: { losses: r.losses },
    };
  }
}

export interface RetrievalEvaluatorOptions {
  clips: number;
  ks: number[];
  /** 'clip': every test clip queries every train clip (the protocol); 'video': clip features averaged per video first. */
  unit: 'clip' | 'video';
}

export class RetrievalEvaluator implements Evaluator {
  readonly name = 'retrieval';
  readonly trainsBackbone = false;
  constructor(readonly options: RetrievalEvaluatorOptions & Record<string, unknown>) {}
  async run(ctx: EvalContext): Promise<ProtocolOutput> {
    const spec = { clips: this.options.clips, perClip: this.options.unit === 'clip' };
    const [train, test] = [await ctx.features('train', spec), await ctx.features('test', spec)];
    const scores = await retrievalRecall(train, test, this.options.ks);
    const metrics: Record<string, number> = {};
    for (const s of scores) metrics[`r@${s.k}`] = s.recall;
    return {
      metrics,
      primary: `r@${this.options.ks[0]}`,
      resolved: { queries: test.features.shape[0], bank: train.features.shape[0], kEffective: Object.fromEntries(scores.map((s) => [String(s.k), s.kEffective])) },
    };
  }
}

export type FinetuneEvaluatorOptions = Omit<FinetuneOptions, 'numClasses'>;

export class FinetuneEvaluator implements Evaluator {
  readonly name = 'finetune';
  readonly trainsBackbone = true;
  constructor(readonly options: FinetuneEvaluatorOptions & Record<string, unknown>) {}
  async run(ctx: EvalContext): Promise<ProtocolOutput> {
    const r = await finetune(ctx.backbone, ctx.train, ctx.test, { ...this.options, numClasses: ctx.numClasses }, ctx.log);
    return {
      metrics: { top1: r.top1, top5: r.top5, clip_top1: r.clipTop1, final_loss: r.losses[r.losses.length - 1] },
      primary: 'top1',
      resolved: { steps: r.steps, frozen: r.frozen },
      details: { losses: r.losses },
    };
  }
}
