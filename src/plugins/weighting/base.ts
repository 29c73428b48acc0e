// Shared machinery of the loss weightings: per-term enable / warm-up schedules and the weighted sum.
import { tensor, type Tensor } from '../../engine/index.ts';
import type { LossWeighting, WeightingContext } from '../types.ts';

/** When a term is on: 0 before `start`, a linear ramp over `warmup` steps, 1 until `end` (exclusive). */
export interface TermSchedule {
  start: number;
  warmup: number;
  end?: number;
}

/** The schedule factor of a term at `step` (0-based); terms without a schedule are always 1. */
export function scheduleFactor(s: TermSchedule | undefined, step: number): number {
  if (!s) return 1;
  if (step < s.start || (s.end !== undefined && step >= s.end)) return 0;
  if (s.warmup <= 0) return 1;
  return Math.min(1, (step - s.start + 1) / s.warmup);
}

/** A term's weight from the scheme: a CPU number or a GPU scalar, plus an optional additive term. */
export interface TermWeight {
  w: number | Tensor;
  /** Added to the total (times the schedule factor), e.g. uncertainty weighting's s/2. */
  extra?: Tensor;
}

export abstract class ScheduledWeighting implements LossWeighting {
  constructor(readonly name: string, readonly schedule: Record<string, TermSchedule>) {}

  parameters(): Tensor[] {
    return [];
  }

  /** The scheme's weights for the active terms (those whose schedule factor is > 0). */
  protected abstract weigh(losses: Record<string, Tensor>, active: string[], ctx: WeightingContext): Record<string, TermWeight>;

  combine(losses: Record<string, Tensor>, ctx: WeightingContext): { total: Tensor; weights: Record<string, number>; weightTensors?: Record<string, Tensor> } {
    const names = Object.keys(losses);
    const factors = Object.fromEntries(names.map((n) => [n, scheduleFactor(this.schedule[n], ctx.step)]));
    const active = names.filter((n) => factors[n] > 0);
    const scheme = this.weigh(losses, active, ctx);
    const weights: Record<string, number> = {};
    const weightTensors: Record<string, Tensor> = {};
    let total: Tensor | null = null;
    for (const n of names) {
      const f = factors[n];
      if (f === 0) {
        weights[n] = 0; // switched off: left out of the total (a NaN there cannot leak in)
        continue;
      }
      const { w, extra } = scheme[n];
      let term = typeof w === 'number' ? losses[n].mul(w * f) : losses[n].mul(w).mul(f);
      if (extra) term = term.add(extra.mul(f));
      total = total ? total.add(term) : term;
      if (typeof w === 'number') weights[n] = w * f;
      else weightTensors[n] = w.detach().mul(f);
    }
    total ??= tensor(0);
    return Object.keys(weightTensors).length ? { total, weights, weightTensors } : { total, weights };
  }
}
