// The pretext task registry: `pretextTasks.build({ type: 'stor', hidden: 512 }, { featureDim })`.
import { z } from 'zod';
import { Registry } from '../registry.ts';
import type { PretextTask } from '../types.ts';
import type { TaskContext } from './common.ts';
import { StorTask } from './stor.ts';
import { rotationTask, speedTask } from './per-clip.ts';
import { ClipOrderTask } from './clip-order.ts';

export { classify, label, column, type TaskContext } from './common.ts';
export { StorTask } from './stor.ts';
export { PerClipTask, rotationTask, speedTask } from './per-clip.ts';
export { ClipOrderTask, permutations, maskedClassify, type ClipOrderSource } from './clip-order.ts';

export const pretextTasks = new Registry<PretextTask, TaskContext>('pretext task');

/** The backbone's feature size from the build context, or a clear error. */
function dim(ctx: TaskContext): number {
  if (!Number.isInteger(ctx?.featureDim) || ctx.featureDim < 1) throw new Error('pretext tasks need featureDim (the backbone\'s pooled feature size) in the build context');
  return ctx.featureDim;
}

const hidden = z.number().int().positive().default(512);
const classes = (n: number) => z.number().int().min(2).default(n);

pretextTasks.register('stor', {
  description: 'spatial + temporal overlap classification of the clip pair (concatenated features, one MLP head each)',
  schema: z.object({ hidden, spatialClasses: classes(5), temporalClasses: classes(5), pairFeatures: z.enum(['concat', 'relation']).default('concat') }).strict(),
  create: (o, ctx) => new StorTask({ featureDim: dim(ctx), ...o }),
});

pretextTasks.register('rotation', {
  description: 'rotation classification per clip (labels `rotation` [N, 2] from the sampler)',
  schema: z.object({ hidden, classes: classes(4), views: z.number().int().min(1).default(2) }).strict(),
  create: (o, ctx) => rotationTask({ featureDim: dim(ctx), ...o }),
});

pretextTasks.register('speed', {
  description: 'playback-speed classification per clip (label `speed` [N] shared by the pair)',
  schema: z.object({ hidden, classes: classes(4), views: z.number().int().min(1).default(2) }).strict(),
  create: (o, ctx) => speedTask({ featureDim: dim(ctx), ...o }),
});

pretextTasks.register('order', {
  description: "clip order: which view of the pair is earlier (sampler label `order`; same-frame pairs masked); views 3–5: VCOP shuffle, V! classes",
  schema: z
    .object({
      hidden: z.number().int().positive().default(512),
      views: z.number().int().min(2).max(5).default(2),
      /** 'label': the sampler's `order` label (2 views); 'shuffle': VCOP on chronological views. */
      source: z.enum(['label', 'shuffle']).optional(),
      seed: z.number().int().optional(),
    })
    .strict()
    .refine((o) => !(o.source === 'label' && o.views !== 2), { message: "source 'label' needs views: 2", path: ['source'] }),
  create: (o, ctx) => new ClipOrderTask({ featureDim: dim(ctx), views: o.views, hidden: o.hidden, source: o.source, seed: o.seed ?? ctx.seed ?? ctx.config?.seed ?? 0 }),
});
