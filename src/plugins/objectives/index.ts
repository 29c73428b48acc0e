// The objective registry: `objectives.build({ type: 'byol' }, { featureDim, makeBackbone })`.
// Every built-in objective returns one loss term named `contrastive` (the fixed weighting's key).
import { z } from 'zod';
import { Registry } from '../registry.ts';
import type { Objective } from '../types.ts';
import type { ObjectiveContext } from './common.ts';
import { Byol } from './byol.ts';
import { NtXent } from './ntxent.ts';
import { Moco } from './moco.ts';

export type { ObjectiveContext } from './common.ts';
export { MomentumPair } from './common.ts';
export { Byol, byolLoss } from './byol.ts';
export { NtXent, ntXent } from './ntxent.ts';
export { Moco, mocoLoss } from './moco.ts';
export { emaUpdate, emaModule, cosineMomentum } from './ema.ts';

export const objectives = new Registry<Objective, ObjectiveContext>('objective');

/** Checks the build context: featureDim is required. */
function checked(ctx: ObjectiveContext): ObjectiveContext {
  if (!Number.isInteger(ctx?.featureDim) || ctx.featureDim < 1) throw new Error('objectives need featureDim (the backbone\'s pooled feature size) in the build context');
  return ctx;
}

const pos = z.number().int().positive();

objectives.register('byol', {
  description: 'BYOL: projector + predictor MLPs with BN, momentum target (0.996 → 1, cosine), loss 2 − 2·cos, symmetric',
  schema: z.object({
    hidden: pos.default(4096),
    projectionDim: pos.default(256),
    predictorHidden: pos.default(4096),
    baseMomentum: z.number().min(0).max(1).default(0.996),
  }).strict(),
  create: (o, ctx) => new Byol(o, checked(ctx)),
});

objectives.register('ntxent', {
  description: 'NT-Xent / InfoNCE (SimCLR) with a projector MLP and temperature',
  schema: z.object({
    temperature: z.number().positive().default(0.1),
    hidden: pos.default(2048),
    projectionDim: pos.default(128),
    batchNorm: z.boolean().default(false),
  }).strict(),
  create: (o, ctx) => new NtXent(o, checked(ctx)),
});

objectives.register('moco', {
  description: 'MoCo v2: momentum key encoder (m = 0.999), queue of negatives, MLP projector, τ = 0.2',
  schema: z.object({
    temperature: z.number().positive().default(0.2),
    queueSize: pos.default(65536),
    momentum: z.number().min(0).max(1).default(0.999),
    hidden: pos.default(2048),
    projectionDim: pos.default(128),
    symmetric: z.boolean().default(false),
  }).strict(),
  create: (o, ctx) => new Moco(o, checked(ctx)),
});
