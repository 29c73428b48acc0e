// Fine-tuning: the backbone plus a new linear head trained end to end on augmented training clips
// (the pair loader's crops and photometric augmentation), the first N stages optionally frozen,
// then tested with multi-clip averaging: `testClips` uniformly spaced clips per test video, centre
// crop, softmax probabilities averaged over the clips. The backbone is trained in place.
import { F, Generator, cat, nn, noGrad, optim, stack, tensor, tidy, type Tensor } from '../../engine/index.ts';
import type { Backbone } from '../types.ts';
import { topkAccuracy } from './linear.ts';
import type { ClipSource } from './types.ts';

export interface FinetuneOptions {
  numClasses: number;
  epochs: number;
  /** Stop after this many steps (overrides epochs; for quick checks). */
  steps: number | null;
  /** Videos (clips) per step. */
  batchSize: number;
  optimizer: 'sgd' | 'adamw';
  lr: number;
  momentum: number;
  weightDecay: number;
  schedule: 'constant' | 'cosine';
  /** Freeze the first N stages of the backbone (their parameters and batch-norm statistics). */
  freezeStages: number;
  /** Dropout before the head. */
  dropout: number;
  /** Photometric augmentation (flip, colour jitter, grey, blur) on top of the random crops. */
  augment: boolean;
  /** Clips per test video (averaged). */
  testClips: number;
  /** Clips per forward pass at test time. */
  testBatchSize: number;
  seed: number;
}

export interface FinetuneResult {
  /** Video-level accuracy (probabilities averaged over the clips). */
  top1: number;
  top5: number;
  /** Accuracy of single clips (each clip on its own). */
  clipTop1: number;
  /** Mean training loss of each epoch (or of the steps run). */
  losses: number[];
  steps: number;
  frozen: string[];
}

/**
 * The backbone's stages: top-level submodules that have parameters, grouped by the first number in
 * their name (`layer2` → 2, `conv3a`/`bn3a` → 3), a name without a number being its own stage
 * (`stem`), in registration order. tiny: stem, layer1–3; r3d / r2plus1d: stem, layer1–4; c3d: 1–5.
 */
export function backboneStages(backbone: nn.Module<[Tensor], Tensor>): { key: string; modules: [string, nn.Module<never[], unknown>][] }[] {
  const stages: { key: string; modules: [string, nn.Module<never[], unknown>][] }[] = [];
  for (const [name, m] of backbone.namedChildren()) {
    if (m.parameters().length === 0) continue;
    const key = /\d+/.exec(name)?.[0] ?? name;
    let s = stages.find((x) => x.key === key);
    if (!s) stages.push((s = { key, modules: [] }));
    s.modules.push([name, m as nn.Module<never[], unknown>]);
  }
  return stages;
}

export async function finetune(backbone: Backbone, train: ClipSource, test: ClipSource, o: FinetuneOptions, log: (line: string) => void = () => {}): Promise<FinetuneResult> {
  if (!train.augmented) throw new Error('fine-tuning needs a clip source with augmented training clips (VideoClipSource)');
  const C = o.numClasses;
  const stages = backboneStages(backbone);
  if (o.freezeStages > stages.length) throw new Error(`fine-tuning: freezeStages ${o.freezeStages} but the backbone has ${stages.length} stages (${stages.map((s) => s.key).join(', ')})`);
  const frozenModules = stages.slice(0, o.freezeStages).flatMap((s) => s.modules);
  const frozen = frozenModules.map(([n]) => n);
  const frozenParams = new Set(frozenModules.flatMap(([, m]) => m.parameters()));
  const wasRequiring = new Map(backbone.parameters().map((p) => [p, p.requiresGrad]));
  for (const p of frozenParams) p.requiresGrad = false;
  const head = new nn.Linear(backbone.featureDim, C, { generator: new Generator(o.seed) });
  const dropGen = new Generator(o.seed + 1);
  const named: [string, Tensor][] = [
    ...backbone.namedParameters().filter(([, p]) => p.requiresGrad).map(([n, p]) => [`backbone.${n}`, p] as [string, Tensor]),
    ...head.namedParameters().map(([n, p]) => [`head.${n}`, p] as [string, Tensor]),
  ];
  const opt: optim.Optimizer =
    o.optimizer === 'sgd'
      ? new optim.SGD(optim.splitWeightDecay<optim.SGDOptions>(named, o.weightDecay).filter((g) => [...g.params].length > 0), { lr: o.lr, momentum: o.momentum, weightDecay: o.weightDecay })
      : new optim.AdamW(optim.splitWeightDecay<optim.AdamOptions>(named, o.weightDecay).filter((g) => [...g.params].length > 0), { lr: o.lr, weightDecay: o.weightDecay });
  const stream = await train.augmented({ batchSize: Math.min(o.batchSize, train.split.items.length), seed: o.seed, augment: o.augment });
  const totalSteps = o.steps ?? o.epochs * stream.batchesPerEpoch;
  if (totalSteps < 1) throw new Error(`fine-tuning: no training step (batch size ${o.batchSize}, ${train.split.items.length} videos)`);
  const sched = o.schedule === 'cosine' && totalSteps > 1 ? new optim.CosineAnnealingLR(opt, { tMax: totalSteps }) : null;
  const epochLosses: number[] = [];
  let step = 0;
  try {
    backbone.train(true);
    for (const [, m] of frozenModules) m.eval();
    head.train(true);
    for (let e = 0; step < totalSteps; e++) {
      const losses: Tensor[] = [];
      try {
        for await (const b of stream.epoch(e)) {
          const y = tensor(b.labels, [b.labels.length], { dtype: 'int32' });
          try {
            opt.zeroGrad();
            const loss = tidy(() => {
              let f = backbone.call(b.clips);
              if (o.dropout > 0) f = F.dropout(f, { p: o.dropout, training: true, generator: dropGen });
              const l = F.crossEntropy(head.call(f), y);
              l.backward();
              return l.detach();
            });
            losses.push(loss);
            opt.step();
            sched?.step();
          } finally {
            y.dispose();
            b.dispose();
          }
          if (++step >= totalSteps) break;
        }
        if (losses.length === 0) throw new Error(`fine-tuning: epoch ${e} produced no batch (every video skipped?)`);
        const mean = noGrad(() => stack(losses).mean());
        epochLosses.push(((await mean.data()) as Float32Array)[0]); // one readback per epoch
        mean.dispose();
        log(`fine-tuning: epoch ${e + 1}, step ${step}/${totalSteps}, loss ${epochLosses[epochLosses.length - 1].toFixed(4)}`);
      } finally {
        losses.forEach((l) => l.dispose());
      }
    }
    opt.zeroGrad();
    // The training loader (and any worker threads it has) stops before test clips are decoded on
    // this thread (docs/evaluation.md, "Known issue").
    await stream.close();
    // Test: multi-clip, probabilities read back once.
    backbone.eval();
    head.eval();
    const k = o.testClips;
    const n = test.split.items.length;
    const perBatch = Math.max(1, Math.floor(o.testBatchSize / k));
    const groups: number[][] = [];
    for (let i = 0; i < n; i += perBatch) groups.push(Array.from({ length: Math.min(perBatch, n - i) }, (_, j) => i + j));
    const pieces: Tensor[] = [];
    let next: Promise<Tensor> | null = test.clips(groups[0], k);
    try {
      for (let g = 0; g < groups.length; g++) {
        const clips: Tensor = await next!;
        next = g + 1 < groups.length ? test.clips(groups[g + 1], k) : null;
        next?.catch(() => {});
        try {
          pieces.push(noGrad(() => tidy(() => F.softmax(head.call(backbone.call(clips)), 1))));
        } finally {
          clips.dispose();
        }
      }
      const all = pieces.length === 1 ? pieces[0] : noGrad(() => cat(pieces, 0));
      const probs = (await all.data()) as Float32Array;
      if (all !== pieces[0]) all.dispose();
      const labels = test.split.items.map((it) => it.label);
      const clipLabels = labels.flatMap((l) => new Array<number>(k).fill(l));
      const video = new Float32Array(n * C);
      for (let i = 0; i < n; i++) for (let c = 0; c < k; c++) for (let j = 0; j < C; j++) video[i * C + j] += probs[(i * k + c) * C + j] / k;
      const v = topkAccuracy(video, labels, C);
      const clip = topkAccuracy(probs, clipLabels, C);
      return { top1: v.top1, top5: v.top5, clipTop1: clip.top1, losses: epochLosses, steps: step, frozen };
    } finally {
      pieces.forEach((p) => p.dispose());
      if (next) void next.then((t) => t.dispose(), () => {});
    }
  } finally {
    await stream.close();
    opt.dispose();
    head.dispose();
    for (const [p, r] of wasRequiring) p.requiresGrad = r;
  }
}
