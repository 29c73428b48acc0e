// Fixed weights (the reference's joint optimisation): total = Σ w_i·L_i.
import type { Tensor } from '../../engine/index.ts';
import { ScheduledWeighting, type TermSchedule, type TermWeight } from './base.ts';

/** The reference method's defaults. */
export const REFERENCE_WEIGHTS: Record<string, number> = { contrastive: 0.1, spatial: 1, temporal: 1, speed: 1, rotation: 1 };

export class FixedWeighting extends ScheduledWeighting {
  constructor(readonly weights: Record<string, number>, readonly defaultWeight: number, schedule: Record<string, TermSchedule>) {
    super('fixed', schedule);
  }

  protected weigh(_losses: Record<string, Tensor>, active: string[]): Record<string, TermWeight> {
    return Object.fromEntries(active.map((n) => [n, { w: this.weights[n] ?? this.defaultWeight }]));
  }
}
