// The evaluator registry: `evaluators.build({ type: 'knn', ks: [1, 20] }, {})`. Four protocols
// (docs/evaluation.md): kNN, linear probe, clip retrieval and fine-tuning; options validated by
// zod, unknown options are errors naming the field. Third-party protocols register the same way.
import { z } from 'zod';
import { Registry } from '../registry.ts';
import type { Evaluator } from './types.ts';
import { FinetuneEvaluator, KnnEvaluator, LinearEvaluator, RetrievalEvaluator } from './protocols.ts';

export * from './types.ts';
export { sha256Hex, sha256Json, canonicalJson, weightsSha256, splitSha256, relativePath } from './hash.ts';
export { extractFeatures, cachedFeatures, type ExtractOptions } from './features.ts';
export { nearestNeighbours, selectTopK, weightedVote, classRank, knnClassify, type Neighbours, type KnnOptions, type KnnScore } from './knn.ts';
export { trainLinearProbe, topkAccuracy, logitRank, type LinearProbeOptions, type LinearProbeResult } from './linear.ts';
export { retrievalRecall, recallFromNeighbours, type RecallScore } from './retrieval.ts';
export { finetune, backboneStages, type FinetuneOptions, type FinetuneResult } from './finetune.ts';
export { VideoClipSource, splitByIndex, type VideoClipSourceOptions } from './clips.ts';
export { runEvaluators, provenanceOf, comparable, metricDifference, type RunEvaluationInputs } from './run.ts';
export { knnMonitor, type KnnMonitor, type KnnMonitorOptions } from './monitor.ts';
export { KnnEvaluator, LinearEvaluator, RetrievalEvaluator, FinetuneEvaluator } from './protocols.ts';

/** Nothing is needed to build an evaluator today; the slot exists for third-party protocols. */
export type EvaluatorContext = Record<string, unknown>;

export const evaluators = new Registry<Evaluator, EvaluatorContext>('evaluator');

const posInt = z.number().int().positive();
const ks = (d: number[]) => z.array(posInt).min(1).default(d).refine((a) => new Set(a).size === a.length, 'ks must not repeat a value');

evaluators.register('knn', {
  description: 'weighted kNN on frozen, L2-normalised pooled features (cosine, votes exp(sim/T)); top-1/top-5 for each k',
  schema: z
    .object({
      ks: ks([1, 5, 20, 200]),
      temperature: z.number().positive().default(0.07),
      clips: posInt.default(1),
      primaryK: posInt.default(20),
    })
    .strict(),
  create: (o) => new KnnEvaluator(o),
});

evaluators.register('linear', {
  description: 'linear probe: softmax regression on frozen features (extracted once), trained on the GPU; test top-1/top-5',
  schema: z
    .object({
      epochs: posInt.default(100),
      lr: z.number().positive().default(0.01),
      optimizer: z.enum(['sgd', 'adamw']).default('adamw'),
      momentum: z.number().min(0).max(1).default(0.9),
      weightDecay: z.number().min(0).default(0),
      batchSize: posInt.nullable().default(null),
      standardize: z.boolean().default(true),
      l2normalize: z.boolean().default(false),
      schedule: z.enum(['constant', 'cosine']).default('cosine'),
      clips: posInt.default(1),
      seed: z.number().int().min(0).default(0),
    })
    .strict(),
  create: (o) => new LinearEvaluator(o),
});

evaluators.register('retrieval', {
  description: 'clip retrieval (VCOP/IIC/PCL): 10 uniform clips per video, each test clip queries all train clips by cosine; recall@k',
  schema: z
    .object({
      clips: posInt.default(10),
      ks: ks([1, 5, 10, 20, 50]),
      unit: z.enum(['clip', 'video']).default('clip'),
    })
    .strict(),
  create: (o) => new RetrievalEvaluator(o),
});

evaluators.register('finetune', {
  description: 'fine-tuning: backbone + new linear head end to end on augmented clips (first N stages frozen optionally); multi-clip test',
  schema: z
    .object({
      epochs: posInt.default(20),
      steps: posInt.nullable().default(null),
      batchSize: posInt.default(8),
      optimizer: z.enum(['sgd', 'adamw']).default('sgd'),
      lr: z.number().positive().default(0.01),
      momentum: z.number().min(0).max(1).default(0.9),
      weightDecay: z.number().min(0).default(5e-4),
      schedule: z.enum(['constant', 'cosine']).default('cosine'),
      freezeStages: z.number().int().min(0).default(0),
      dropout: z.number().min(0).max(0.99).default(0.5),
      augment: z.boolean().default(true),
      testClips: posInt.default(10),
      testBatchSize: posInt.default(20),
      seed: z.number().int().min(0).default(0),
    })
    .strict(),
  create: (o) => new FinetuneEvaluator(o),
});
