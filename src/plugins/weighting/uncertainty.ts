// Uncertainty weighting (Kendall et al. 2018, as LibMTL): a trainable log variance s_i per term,
// total = Σ L_i / (2·exp(s_i)) + s_i / 2, s_i initialised to −0.5. The logged weight is 1/(2·exp(s_i)).
import { full, keep, type Tensor } from '../../engine/index.ts';
import { ScheduledWeighting, type TermSchedule, type TermWeight } from './base.ts';

export class UncertaintyWeighting extends ScheduledWeighting {
  /** One scalar log variance per term name, created up front so the optimizer sees them. */
  readonly logVars: Record<string, Tensor> = {};

  constructor(readonly terms: string[], init: number, schedule: Record<string, TermSchedule>) {
    super('uncertainty', schedule);
    for (const t of terms) {
      const s = keep(full([], init));
      s.requiresGrad = true;
      this.logVars[t] = s;
    }
  }

  override parameters(): Tensor[] {
    return this.terms.map((t) => this.logVars[t]);
  }

  protected weigh(_losses: Record<string, Tensor>, active: string[]): Record<string, TermWeight> {
    const out: Record<string, TermWeight> = {};
    for (const n of active) {
      const s = this.logVars[n];
      if (!s) throw new Error(`weighting 'uncertainty': no log variance for loss term '${n}'; list it in 'terms' (have: ${this.terms.join(', ')})`);
      out[n] = { w: s.neg().exp().mul(0.5), extra: s.mul(0.5) };
    }
    return out;
  }
}
