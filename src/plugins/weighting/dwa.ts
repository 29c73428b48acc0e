// Dynamic weight average (Liu et al. 2019, as LibMTL): w_i(t) = K·softmax_i((L_i(t−1)/L_i(t−2))/T),
// T = 2, with L_i(t) the mean observed loss of window t (`period` steps per window; 1 = per step);
// weights are 1 until two windows are complete. K is the number of active terms.
import type { Tensor } from '../../engine/index.ts';
import { ScheduledWeighting, type TermSchedule, type TermWeight } from './base.ts';

export class DwaWeighting extends ScheduledWeighting {
  /** Completed window means, newest last (at most two kept). */
  history: Array<Record<string, number>> = [];
  private sums: Record<string, number> = {};
  private counts: Record<string, number> = {};
  private seen = 0;

  constructor(readonly temperature: number, readonly period: number, schedule: Record<string, TermSchedule>) {
    super('dwa', schedule);
  }

  /** The weights for the given terms from the history (1 each until two windows are complete). */
  weightsFor(terms: string[]): Record<string, number> {
    const [prev2, prev1] = this.history.length >= 2 ? this.history.slice(-2) : [undefined, undefined];
    if (!prev1 || !prev2 || terms.some((n) => !(n in prev1) || !(n in prev2) || !(prev2[n] > 0))) {
      return Object.fromEntries(terms.map((n) => [n, 1]));
    }
    const r = terms.map((n) => prev1[n] / prev2[n] / this.temperature);
    const m = Math.max(...r);
    const e = r.map((x) => Math.exp(x - m));
    const z = e.reduce((a, b) => a + b, 0);
    return Object.fromEntries(terms.map((n, i) => [n, (terms.length * e[i]) / z]));
  }

  protected weigh(_losses: Record<string, Tensor>, active: string[]): Record<string, TermWeight> {
    const w = this.weightsFor(active);
    return Object.fromEntries(active.map((n) => [n, { w: w[n] }]));
  }

  observe(values: Record<string, number>): void {
    for (const [n, v] of Object.entries(values)) {
      this.sums[n] = (this.sums[n] ?? 0) + v;
      this.counts[n] = (this.counts[n] ?? 0) + 1;
    }
    if (++this.seen % this.period === 0) {
      this.history.push(Object.fromEntries(Object.keys(this.sums).map((n) => [n, this.sums[n] / this.counts[n]])));
      if (this.history.length > 2) this.history.shift();
      this.sums = {};
      this.counts = {};
    }
  }

  stateDict(): Record<string, unknown> {
    return { history: this.history, sums: this.sums, counts: this.counts, seen: this.seen };
  }

  loadStateDict(state: Record<string, unknown>): void {
    this.history = (state.history as Array<Record<string, number>>) ?? [];
    this.sums = (state.sums as Record<string, number>) ?? {};
    this.counts = (state.counts as Record<string, number>) ?? {};
    this.seen = (state.seen as number) ?? 0;
  }
}
