// GradNorm (Chen et al. 2018), α = 1.5, on the last shared layer W (ctx.sharedParameters):
//   n_i = ‖∇_W L_i‖ (one extra backward pass per term, retaining the graph, gradients kept off every
//   other leaf), G_i = w_i·n_i, Ḡ = mean G, L̃_i = L_i(t)/L_i(0), r_i = L̃_i / mean L̃,
//   L_grad = Σ |G_i − sg(Ḡ·r_i^α)|, ∂L_grad/∂w_i = sign(G_i − Ḡ·r_i^α)·n_i,
//   w ← w − lr·∂L_grad/∂w, then w ← K·w / Σw (weights stay positive: clamped at 1e-3 first).
// The step's total uses the weights before their update; everything stays on the GPU (the logged
// weights come back as weightTensors). L_i(0) is the first observed loss of each term (before the
// first observation the current losses are used, i.e. r_i = 1). Checkpoints hold the weights (a
// tensor, `weighting_state.w`), the term order and L(0), so a resumed run continues exactly.
import { F, tensor, noGrad, keep, ones, backward, type Tensor } from '../../engine/index.ts';
import type { WeightingContext } from '../types.ts';
import { ScheduledWeighting, type TermSchedule, type TermWeight } from './base.ts';

/**
 * ‖∇_params loss‖ (a GPU scalar), leaving every leaf's .grad as it was: the other leaves of the
 * graph are switched off for the pass, and the graph is retained.
 */
export function partialGradNorm(loss: Tensor, params: Tensor[]): Tensor {
  const wanted = new Set(params);
  const off: Tensor[] = [];
  const seen = new Set<unknown>();
  const stack = loss.gradFn ? [loss.gradFn] : [];
  while (stack.length) {
    const node = stack.pop()!;
    for (const t of node.inputs) {
      if (!t) continue;
      if (t.gradFn) {
        if (!seen.has(t.gradFn)) {
          seen.add(t.gradFn);
          stack.push(t.gradFn);
        }
      } else if (t.requiresGrad && !wanted.has(t) && !off.includes(t)) off.push(t);
    }
  }
  const saved = params.map((p) => p.grad);
  for (const p of params) p.grad = null; // set aside, not disposed
  for (const t of off) t.requiresGrad = false;
  try {
    if (!loss.requiresGrad) return tensor(0);
    backward(loss, { retainGraph: true });
    return noGrad(() => {
      const sq = params.filter((p) => p.grad).map((p) => p.grad!.mul(p.grad!).sum());
      return sq.length ? F.stack(sq).sum().sqrt() : tensor(0);
    });
  } finally {
    for (const t of off) t.requiresGrad = true;
    params.forEach((p, i) => {
      p.grad?.dispose();
      p.grad = saved[i];
    });
  }
}

export class GradNormWeighting extends ScheduledWeighting {
  /** Current weights [K] in `terms` order (GPU), created on the first combine. */
  w: Tensor | null = null;
  terms: string[] = [];
  initial: Record<string, number> = {};

  constructor(readonly alpha: number, readonly lr: number, schedule: Record<string, TermSchedule>) {
    super('gradnorm', schedule);
  }

  protected weigh(losses: Record<string, Tensor>, active: string[], ctx: WeightingContext): Record<string, TermWeight> {
    if (!this.w) {
      this.terms = Object.keys(losses);
      this.w = keep(ones([this.terms.length]));
    }
    const missing = Object.keys(losses).filter((n) => !this.terms.includes(n));
    if (missing.length) throw new Error(`weighting 'gradnorm': new loss terms ${missing.join(', ')} after the first step`);
    const k = this.terms.length;
    const w = this.w;
    const out: Record<string, TermWeight> = {};
    const current = noGrad(() => w.clone());
    this.terms.forEach((n, i) => {
      if (active.includes(n)) out[n] = { w: current.slice(0, i, i + 1).reshape([]) };
    });
    if (ctx.sharedParameters.length === 0) return out;
    // Per-term gradient norms at the shared layer.
    const norms = this.terms.map((n) => partialGradNorm(losses[n], ctx.sharedParameters));
    noGrad(() => {
      const n = F.stack(norms);
      const G = w.mul(n);
      const lt = F.stack(this.terms.map((t) => losses[t].detach().reshape([])));
      const l0 = this.terms.every((t) => t in this.initial) ? tensor(this.terms.map((t) => this.initial[t])) : lt;
      const ratio = lt.div(l0);
      const r = ratio.div(ratio.mean());
      const target = G.mean().mul(r.pow(this.alpha));
      const grad = F.where(G.gt(target), 1, -1).mul(n);
      const next = w.sub(grad.mul(this.lr)).clamp(1e-3);
      w.assign(next.mul(k).div(next.sum()));
    });
    return out;
  }

  observe(values: Record<string, number>): void {
    for (const [n, v] of Object.entries(values)) if (!(n in this.initial) && Number.isFinite(v) && v > 0) this.initial[n] = v;
  }

  /** Terms and L(0) as JSON, the current weights as a tensor (absent before the first step). */
  stateDict(): Record<string, unknown> {
    const out: Record<string, unknown> = { terms: [...this.terms], initial: { ...this.initial } };
    if (this.w) out.w = this.w;
    return out;
  }

  loadStateDict(state: Record<string, unknown>): void {
    this.initial = { ...((state.initial as Record<string, number>) ?? {}) };
    this.terms = [...((state.terms as string[]) ?? [])];
    const w = state.w as Tensor | undefined;
    if (w && (w.shape.length !== 1 || w.shape[0] !== this.terms.length)) throw new Error(`weighting 'gradnorm': checkpoint weights have shape [${w.shape.join(', ')}] for ${this.terms.length} terms`);
    this.w?.dispose();
    this.w = w ? keep(noGrad(() => w.detach().float().clone())) : null;
  }

  dispose(): void {
    this.w?.dispose();
    this.w = null;
  }
}
