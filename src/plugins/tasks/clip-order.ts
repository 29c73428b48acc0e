// Clip order prediction (VCOP, Xu et al. 2019; beyond the CSTP reference method).
// The V views of a sample are shuffled by a permutation drawn per sample from a seeded CPU
// generator; the features of every pair (i < j) of shuffled clips are concatenated and go through
// Linear(2D, hidden)-ReLU; the pair codes are concatenated and Linear(P·hidden, V!) predicts the
// permutation's index in lexicographic order. The canonical order is the view index order
// (view 0, 1, …, V−1), which must be chronological for the task to make sense.
// With V = 2 this is "were the two clips swapped?" (2 classes). Note: the STOR sampler starts the
// second clip before or after the first at random, so with STOR pairs the view order is not
// chronological unless the sampler provides `order` ([N] int32: 1 when view 1 starts before view 0);
// when the batch has that label the canonical order is the chronological one.
import { nn, F, tensor, type Tensor } from '../../engine/index.ts';
import type { PretextTask, Features, Batch, TaskOutput } from '../types.ts';
import { SeededRandom } from '../heads/mlp.ts';
import { classify } from './common.ts';

export interface ClipOrderOptions {
  featureDim: number;
  views: number;
  hidden: number;
  seed: number;
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

export class ClipOrderTask implements PretextTask {
  readonly name = 'order';
  readonly needs: { views: number; labels: string[]; notes: string[] };
  readonly head: PairHead;
  readonly perms: number[][];
  readonly rng: SeededRandom;
  /** The permutation classes of the last forward (for tests and logs). */
  lastClasses: number[] = [];

  constructor(readonly opts: ClipOrderOptions) {
    if (opts.views < 2) throw new Error(`pretext task 'order': needs at least 2 views, got ${opts.views}`);
    this.perms = permutations(opts.views);
    const pairs = (opts.views * (opts.views - 1)) / 2;
    this.head = new PairHead(opts.featureDim, opts.hidden, pairs, this.perms.length);
    this.needs = { views: opts.views, labels: [], notes: ['shuffles the views per sample (seeded CPU draw); optional label order'] };
    this.rng = new SeededRandom(opts.seed);
  }

  chance(): Record<string, number> {
    return { order: Math.log(this.perms.length) };
  }

  /** Draws one permutation class per sample. */
  draw(n: number): number[] {
    return Array.from({ length: n }, () => this.rng.int(this.perms.length));
  }

  forward(features: Features, batch: Batch, classes?: number[]): TaskOutput {
    const v = this.opts.views;
    if (features.pooled.length !== v) throw new Error(`pretext task 'order': expected ${v} views, got ${features.pooled.length}`);
    const [n, d] = features.pooled[0].shape;
    const cls = classes ?? this.draw(n);
    this.lastClasses = cls;
    // Position k of sample s shows canonical clip perms[cls[s]][k]; rows of [N·V, D] are s·V + view.
    const index = new Int32Array(n * v);
    for (let s = 0; s < n; s++) for (let k = 0; k < v; k++) index[s * v + k] = s * v + this.perms[cls[s]][k];
    let stacked = F.stack(features.pooled, 1).reshape([n * v, d]);
    if (batch.labels.order) {
      // Put the views in chronological order first (2 views: swap where order = 1), on the GPU.
      if (v !== 2) throw new Error(`pretext task 'order': label 'order' is only supported with 2 views`);
      const o = batch.labels.order; // [N] int32 in {0, 1}
      const rows = tensor(Array.from({ length: n }, (_, s) => s * 2), [n], { dtype: 'int32' });
      const first = rows.add(o);
      const second = rows.add(1).sub(o);
      const chron = F.stack([first, second], 1).reshape([n * 2]);
      stacked = stacked.indexSelect(0, chron);
    }
    const shuffled = stacked.indexSelect(0, tensor(index, [n * v], { dtype: 'int32' })).reshape([n, v, d]);
    const clips = Array.from({ length: v }, (_, k) => shuffled.slice(1, k, k + 1).reshape([n, d]));
    const codes: Tensor[] = [];
    for (let i = 0; i < v; i++) for (let j = i + 1; j < v; j++) codes.push(this.head.pair.call(F.cat([clips[i], clips[j]], 1)).relu());
    const logits = this.head.fc.call(F.cat(codes, 1));
    const { loss, accuracy } = classify(logits, tensor(Int32Array.from(cls), [n], { dtype: 'int32' }));
    return { losses: { order: loss }, metrics: { order_acc: accuracy } };
  }
}
