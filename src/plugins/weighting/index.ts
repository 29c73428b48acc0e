// The loss-weighting registry: `weightings.build({ type: 'dwa', temperature: 2 }, ctx)`.
// Every scheme takes `schedule`: { [term]: { start = 0, warmup = 0, end? } } — a term is off
// (weight 0, left out of the total) before `start` and from `end`, and ramps linearly to its full
// weight over `warmup` steps (steps are 0-based optimizer steps).
import { z } from 'zod';
import { Registry } from '../registry.ts';
import type { LossWeighting } from '../types.ts';
import { FixedWeighting, REFERENCE_WEIGHTS } from './fixed.ts';
import { UncertaintyWeighting } from './uncertainty.ts';
import { DwaWeighting } from './dwa.ts';
import { GradNormWeighting } from './gradnorm.ts';

export { ScheduledWeighting, scheduleFactor, type TermSchedule, type TermWeight } from './base.ts';
export { FixedWeighting, REFERENCE_WEIGHTS } from './fixed.ts';
export { UncertaintyWeighting } from './uncertainty.ts';
export { DwaWeighting } from './dwa.ts';
export { GradNormWeighting, partialGradNorm } from './gradnorm.ts';

/** Build context: unused by the built-ins (kept open for third-party schemes). */
export type WeightingBuildContext = unknown;

export const weightings = new Registry<LossWeighting, WeightingBuildContext>('loss weighting');

const step = z.number().int().min(0);
const schedule = z
  .record(z.string(), z.object({ start: step.default(0), warmup: step.default(0), end: step.optional() }).strict())
  .default({});

/** Loss term names of the built-in tasks and objectives. */
export const DEFAULT_TERMS = ['contrastive', 'spatial', 'temporal', 'speed', 'rotation', 'order'];

weightings.register('fixed', {
  description: 'fixed weights (reference: contrastive 0.1, spatial/temporal/speed/rotation 1)',
  schema: z.object({ weights: z.record(z.string(), z.number().min(0)).default(REFERENCE_WEIGHTS), default: z.number().min(0).default(1), schedule }).strict(),
  create: (o) => new FixedWeighting({ ...REFERENCE_WEIGHTS, ...o.weights }, o.default, o.schedule),
});

weightings.register('uncertainty', {
  description: 'uncertainty weighting (Kendall et al.): L/(2·exp(s)) + s/2, trainable s per term, s₀ = −0.5',
  schema: z.object({ terms: z.array(z.string()).min(1).default(DEFAULT_TERMS), init: z.number().default(-0.5), schedule }).strict(),
  create: (o) => new UncertaintyWeighting(o.terms, o.init, o.schedule),
});

weightings.register('dwa', {
  description: 'dynamic weight average: K·softmax((L(t−1)/L(t−2))/T), T = 2',
  schema: z.object({ temperature: z.number().positive().default(2), period: z.number().int().positive().default(1), schedule }).strict(),
  create: (o) => new DwaWeighting(o.temperature, o.period, o.schedule),
});

weightings.register('gradnorm', {
  description: 'GradNorm (α = 1.5) on the backbone’s last shared layer; weights renormalised to sum K',
  schema: z.object({ alpha: z.number().min(0).default(1.5), lr: z.number().positive().default(0.025), schedule }).strict(),
  create: (o) => new GradNormWeighting(o.alpha, o.lr, o.schedule),
});
