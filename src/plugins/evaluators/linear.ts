// Linear probe: a linear classifier (softmax regression) on frozen features, trained on the GPU
// with the engine (full-batch or minibatch SGD / AdamW, fixed epochs and lr), then top-1 / top-5 on
// the test features. Weights start at zero, minibatch order comes from a seeded permutation, so a
// run is deterministic. No readback during training: the per-epoch losses are read at the end.
import { F, noGrad, optim, stack, tensor, tidy, zeros, type Tensor } from '../../engine/index.ts';
import { Random } from '../../data/random.ts';

export interface LinearProbeOptions {
  numClasses: number;
  epochs: number;
  lr: number;
  optimizer: 'sgd' | 'adamw';
  /** SGD momentum (ignored by AdamW). */
  momentum: number;
  /** On the weight matrix only (not the bias). */
  weightDecay: number;
  /** Minibatch size; null (or ≥ train size) = full batch: one step per epoch. */
  batchSize: number | null;
  /** Standardise each feature with the train split's mean and std (applied to both splits). */
  standardize: boolean;
  /** L2-normalise the features first. */
  l2normalize: boolean;
  /** Learning rate: constant, or cosine from lr to 0 over all steps. */
  schedule: 'constant' | 'cosine';
  /** Minibatch order. */
  seed: number;
}

export interface LinearProbeResult {
  top1: number;
  top5: number;
  trainTop1: number;
  /** The loss of each epoch's last step. */
  losses: number[];
  steps: number;
}

/** Rank of `label` among C logits at `off` (higher first, ties by lower class index); 0 = top-1. */
export function logitRank(values: ArrayLike<number>, off: number, C: number, label: number): number {
  const s = values[off + label];
  if (Number.isNaN(s)) return Number.POSITIVE_INFINITY;
  let rank = 0;
  for (let c = 0; c < C; c++) {
    const v = values[off + c];
    if (v > s || (v === s && c < label)) rank++;
  }
  return rank;
}

/** Top-1 / top-5 accuracy of row-major scores [N, C] against labels. */
export function topkAccuracy(values: ArrayLike<number>, labels: ArrayLike<number>, C: number): { top1: number; top5: number } {
  const N = labels.length;
  let t1 = 0;
  let t5 = 0;
  for (let i = 0; i < N; i++) {
    const r = logitRank(values, i * C, C, labels[i]);
    if (r < 1) t1++;
    if (r < 5) t5++;
  }
  return { top1: t1 / Math.max(1, N), top5: t5 / Math.max(1, N) };
}

function checkLabels(what: string, labels: ArrayLike<number>, rows: number, C: number): void {
  if (labels.length !== rows) throw new Error(`linear probe: ${what} has ${rows} feature rows but ${labels.length} labels`);
  for (let i = 0; i < labels.length; i++) {
    if (!Number.isInteger(labels[i]) || labels[i] < 0 || labels[i] >= C) throw new Error(`linear probe: ${what} label ${labels[i]} at row ${i} is not a class 0..${C - 1}`);
  }
}

/** Trains the probe on `train` and measures it on `test` (features [N, D] on the GPU, not modified). */
export async function trainLinearProbe(
  train: { features: Tensor; labels: ArrayLike<number> },
  test: { features: Tensor; labels: ArrayLike<number> },
  o: LinearProbeOptions,
): Promise<LinearProbeResult> {
  const C = o.numClasses;
  const [N, D] = train.features.shape;
  if (test.features.shape[1] !== D) throw new Error(`linear probe: train features have ${D} dims, test features ${test.features.shape[1]}`);
  checkLabels('the train split', train.labels, N, C);
  checkLabels('the test split', test.labels, test.features.shape[0], C);
  if (!Number.isInteger(o.epochs) || o.epochs < 1) throw new Error(`linear probe: epochs must be a positive integer, got ${o.epochs}`);
  // Feature preprocessing (statistics of the train split only).
  const [X, Xt] = noGrad(() =>
    tidy(() => {
      let a = train.features;
      let b = test.features;
      if (o.l2normalize) {
        a = F.normalize(a, { dim: 1 });
        b = F.normalize(b, { dim: 1 });
      }
      if (o.standardize) {
        const mu = a.mean(0, true);
        const sd = a.var(0, { correction: 0, keepdim: true }).add(1e-6).sqrt();
        a = a.sub(mu).div(sd);
        b = b.sub(mu).div(sd);
      }
      return [a, b];
    }),
  );
  const ownX = X !== train.features;
  const ownXt = Xt !== test.features;
  const W = zeros([C, D], { requiresGrad: true });
  const bias = zeros([C], { requiresGrad: true });
  const y = tensor(Int32Array.from(train.labels), [N], { dtype: 'int32' });
  const groups = [{ params: [W], weightDecay: o.weightDecay }, { params: [bias], weightDecay: 0 }];
  const opt: optim.Optimizer =
    o.optimizer === 'sgd' ? new optim.SGD(groups, { lr: o.lr, momentum: o.momentum, weightDecay: o.weightDecay }) : new optim.AdamW(groups, { lr: o.lr, weightDecay: o.weightDecay });
  const B = o.batchSize === null || o.batchSize >= N ? N : o.batchSize;
  const perEpoch = Math.ceil(N / B);
  const totalSteps = perEpoch * o.epochs;
  const sched = o.schedule === 'cosine' && totalSteps > 1 ? new optim.CosineAnnealingLR(opt, { tMax: totalSteps }) : null;
  const losses: Tensor[] = [];
  try {
    for (let e = 0; e < o.epochs; e++) {
      const perm = B === N ? null : tensor(Int32Array.from(Random.derive(o.seed, 'linear-probe', e).permutation(N)), [N], { dtype: 'int32' });
      try {
        for (let s = 0; s < perEpoch; s++) {
          opt.zeroGrad();
          const loss = tidy(() => {
            let xb = X;
            let yb = y;
            if (perm) {
              const idx = perm.slice(0, s * B, Math.min(N, (s + 1) * B));
              xb = X.indexSelect(0, idx);
              yb = y.indexSelect(0, idx);
            }
            const l = F.crossEntropy(F.linear(xb, W, bias), yb);
            l.backward();
            return l.detach();
          });
          opt.step();
          sched?.step();
          if (s === perEpoch - 1) losses.push(loss);
          else loss.dispose();
        }
      } finally {
        perm?.dispose();
      }
    }
    opt.zeroGrad();
    // One readback each: the test logits, the train logits, the loss curve.
    const [testLogits, trainLogits, curve] = noGrad(() => [F.linear(Xt, W, bias), F.linear(X, W, bias), stack(losses)]);
    try {
      const [tv, trv, lv] = await Promise.all([testLogits.data(), trainLogits.data(), curve.data()]);
      const t = topkAccuracy(tv as Float32Array, test.labels, C);
      const tr = topkAccuracy(trv as Float32Array, train.labels, C);
      return { top1: t.top1, top5: t.top5, trainTop1: tr.top1, losses: [...(lv as Float32Array)], steps: totalSteps };
    } finally {
      testLogits.dispose();
      trainLogits.dispose();
      curve.dispose();
    }
  } finally {
    losses.forEach((l) => l.dispose());
    opt.dispose();
    W.dispose();
    bias.dispose();
    y.dispose();
    if (ownX) X.dispose();
    if (ownXt) Xt.dispose();
  }
}
