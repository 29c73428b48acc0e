// Clip order prediction (VCOP, Xu et al. 2019; beyond the CSTP reference method). Two modes:
//
// - 'label' (the default with 2 views, what the STOR pair pipeline uses): the sampler's `order`
//   label ([N] int32: 0 when view 0 is the earlier clip, 1 when view 1 is, −1 when both clips
//   show the same frames, i.e. temporal overlap 1) is the target of a 2-class head on the pair
//   [view 0, view 1]. The STOR sampler puts clip B after or before clip A with a fair coin, so the
//   views arrive in random temporal order and need no extra shuffle. Samples with order −1 are
//   left out of the loss and the accuracy (masked mean over the valid samples; a batch without
//   any valid sample gives loss 0 and no gradient). Deterministic: no CPU randomness, so a resumed
//   run sees exactly the targets of an uninterrupted one.
// - 'shuffle' (the default with 3–5 views, VCOP proper): the V views must be in chronological order
//   (view index order); they are shuffled by a permutation drawn per sample from a seeded CPU
//   generator (its state is saved in checkpoints), and the permutation's index in lexicographic
//   order (V! classes) is the target.
//
// Head (both modes): the features of every pair (i < j) of presented clips are concatenated and go
// through Linear(2D, hidden)-ReLU; the pair codes are concatenated and Linear(P·hidden, C) predicts
// the class (P = V(V−1)/2 pairs, C = 2 or V!).
import { nn, F, tensor, noGrad, type Tensor } from '../../engine/index.ts';
import type { PretextTask, Features, Batch, TaskOutput } from '../types.ts';
import { SeededRandom } from '../heads/mlp.ts';
import { classify, label } from './common.ts';

export type ClipOrderSource = 'label' | 'shuffle';

export interface ClipOrderOptions {
  featureDim: number;
  views: number;
  hidden: number;
  seed: number;
  /** Default: 'label' with 2 views, 'shuffle' with more. */
  source?: ClipOrderSource;
}

/** All permutations of 0..n−1 in lexicographic order. */
export function permutations(n: number): number[][] {
  if (n === 0) return [[]];
  const out: number[][] = [];
  for (let first = 0; first < n; first++) {
    for (const rest of permutations(n - 1)) out.push([first, ...rest.map((r) => (r >= first ? r + 1 : r))]);
  }
  return out;
}

class PairHead extends nn.Module<never[], never> {
  readonly pair: nn.Linear;
  readonly fc: nn.Linear;
  constructor(d: number, hidden: number, pairs: number, classes: number) {
    super();
    this.pair = this.registerModule('pair', new nn.Linear(2 * d, hidden));
    this.fc = this.registerModule('fc', new nn.Linear(pairs * hidden, classes));
  }
}

/**
 * Cross-entropy and accuracy over the samples whose target is ≥ 0 (targets < 0 are ignored):
 * sum of the valid samples' losses / max(1, number of valid samples).
 */
export function maskedClassify(logits: Tensor, target: Tensor): { loss: Tensor; accuracy: Tensor; valid: Tensor } {
  const valid = target.ge(0);
  const safe = F.where(valid, target, 0);
  const nll = F.logSoftmax(logits, 1).gather(1, safe.unsqueeze(1)).squeeze(1).neg();
  const w = valid.float();
  const count = w.sum();
  const denom = count.clamp(1);
  const loss = nll.mul(w).sum().div(denom);
  const accuracy = noGrad(() => logits.argmax(1).eq(safe).float().mul(w).sum().div(denom));
  return { loss, accuracy, valid: count };
}

export class ClipOrderTask implements PretextTask {
  readonly name = 'order';
  readonly needs: { views: number; labels: string[]; notes: string[] };
  readonly head: PairHead;
  readonly source: ClipOrderSource;
  /** Shuffle mode: the V! permutations (label mode: [[0, 1], [1, 0]], for reference). */
  readonly perms: number[][];
  private rng: SeededRandom;
  private draws = 0;
  /** The permutation classes of the last shuffle-mode forward (for tests and logs). */
  lastClasses: number[] = [];

  constructor(readonly opts: ClipOrderOptions) {
    if (opts.views < 2) throw new Error(`pretext task 'order': needs at least 2 views, got ${opts.views}`);
    this.source = opts.source ?? (opts.views === 2 ? 'label' : 'shuffle');
    if (this.source === 'label' && opts.views !== 2) throw new Error(`pretext task 'order': source 'label' (the sampler's order label) needs 2 views, got ${opts.views}`);
    this.perms = permutations(opts.views);
    const pairs = (opts.views * (opts.views - 1)) / 2;
    this.head = new PairHead(opts.featureDim, opts.hidden, pairs, this.perms.length);
    this.needs =
      this.source === 'label'
        ? { views: 2, labels: ['order'], notes: ['samples with order −1 (same frames) are left out of the loss'] }
        : { views: opts.views, labels: [], notes: ['views in chronological order; shuffled per sample (seeded CPU draw, checkpointed)'] };
    this.rng = new SeededRandom(opts.seed);
  }

  chance(): Record<string, number> {
    return { order: Math.log(this.perms.length) };
  }

  /** Draws one permutation class per sample (shuffle mode). */
  draw(n: number): number[] {
    this.draws += n;
    return Array.from({ length: n }, () => this.rng.int(this.perms.length));
  }

  /** The shuffle generator's position (number of draws), for checkpoints. */
  stateDict(): Record<string, unknown> {
    return { draws: this.draws };
  }

  loadStateDict(state: Record<string, unknown>): void {
    const draws = Number(state.draws ?? 0);
    this.rng = new SeededRandom(this.opts.seed);
    this.draws = 0;
    for (let i = 0; i < draws; i++) this.rng.int(this.perms.length);
    this.draws = draws;
  }

  private logits(clips: Tensor[]): Tensor {
    const codes: Tensor[] = [];
    for (let i = 0; i < clips.length; i++) for (let j = i + 1; j < clips.length; j++) codes.push(this.head.pair.call(F.cat([clips[i], clips[j]], 1)).relu());
    return this.head.fc.call(codes.length === 1 ? codes[0] : F.cat(codes, 1));
  }

  /** `classes` (shuffle mode only) fixes the permutation classes instead of drawing them. */
  forward(features: Features, batch: Batch, classes?: number[]): TaskOutput {
    const v = this.opts.views;
    if (features.pooled.length !== v) throw new Error(`pretext task 'order': expected ${v} views, got ${features.pooled.length}`);
    if (this.source === 'label') {
      const { loss, accuracy } = maskedClassify(this.logits(features.pooled), label(batch, 'order', this.name));
      return { losses: { order: loss }, metrics: { order_acc: accuracy } };
    }
    const [n, d] = features.pooled[0].shape;
    const cls = classes ?? this.draw(n);
    this.lastClasses = cls;
    // Position k of sample s shows chronological clip perms[cls[s]][k]; rows of [N·V, D] are s·V + view.
    const index = new Int32Array(n * v);
    for (let s = 0; s < n; s++) for (let k = 0; k < v; k++) index[s * v + k] = s * v + this.perms[cls[s]][k];
    const stacked = F.stack(features.pooled, 1).reshape([n * v, d]);
    const shuffled = stacked.indexSelect(0, tensor(index, [n * v], { dtype: 'int32' })).reshape([n, v, d]);
    const clips = Array.from({ length: v }, (_, k) => shuffled.slice(1, k, k + 1).reshape([n, d]));
    const { loss, accuracy } = classify(this.logits(clips), tensor(Int32Array.from(cls), [n], { dtype: 'int32' }));
    return { losses: { order: loss }, metrics: { order_acc: accuracy } };
  }
}
