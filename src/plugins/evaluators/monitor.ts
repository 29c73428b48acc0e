// Online kNN monitor for pretraining: every N steps, features of a held-out labelled set (a bank
// and queries) are extracted from the current backbone (eval mode, no gradients), the queries are
// classified by weighted kNN against the bank, and `knn_top1` is returned for the step's log
// record (Trainer RunOptions.afterStep). Features are extracted afresh at each evaluation and
// freed after it; give the clip sources `cache: true` and call `await monitor.prepare()` before
// training, so that the videos are decoded once, up front. Node's native decoder has crashed when
// one process decodes on the main thread and in worker threads (docs/evaluation.md, "Known issue"):
// with data worker threads in the run this still mixes the two; `data.workers: 0` avoids it.
// Nothing random is drawn, so a monitored run trains exactly like an unmonitored one.
import type { Backbone } from '../types.ts';
import { extractFeatures } from './features.ts';
import { knnClassify } from './knn.ts';
import type { ClipSource } from './types.ts';

export interface KnnMonitorOptions {
  /** Evaluate after every `every`-th step (step % every === 0). */
  every: number;
  /** Labelled memory bank and queries (e.g. a split of a held-out labelled subset). */
  train: ClipSource;
  test: ClipSource;
  numClasses: number;
  /** Neighbours (default 20, capped at the bank size). */
  k?: number;
  temperature?: number;
  /** Clips per video (default 1, the centre clip). */
  clips?: number;
  /** Clips per forward pass (default 16). */
  batchSize?: number;
  log?: (line: string) => void;
}

export interface KnnMonitor {
  /** The hook for Trainer.run({ afterStep }). */
  afterStep(trainer: { parts: { backbone: Backbone } }, record: { step: number }): Promise<Record<string, number> | void>;
  /** Decodes the held-out clips ahead (sources with cache: true); call before training starts. */
  prepare(): Promise<void>;
  /** Evaluates now (also what afterStep calls). */
  evaluate(backbone: Backbone): Promise<{ top1: number; top5: number; seconds: number }>;
  readonly history: { step: number; top1: number; top5: number; seconds: number }[];
}

export function knnMonitor(o: KnnMonitorOptions): KnnMonitor {
  if (!Number.isInteger(o.every) || o.every < 1) throw new Error(`knnMonitor: every must be a positive integer, got ${o.every}`);
  const k = o.k ?? 20;
  const spec = { clips: o.clips ?? 1, perClip: false };
  const history: KnnMonitor['history'] = [];
  const evaluate = async (backbone: Backbone) => {
    const t0 = globalThis.performance?.now() ?? Date.now();
    const bank = await extractFeatures(backbone, o.train, { ...spec, batchSize: o.batchSize });
    try {
      const queries = await extractFeatures(backbone, o.test, { ...spec, batchSize: o.batchSize });
      try {
        const [s] = await knnClassify(bank, queries, { ks: [k], temperature: o.temperature ?? 0.07, numClasses: o.numClasses });
        return { top1: s.top1, top5: s.top5, seconds: ((globalThis.performance?.now() ?? Date.now()) - t0) / 1000 };
      } finally {
        queries.features.dispose();
      }
    } finally {
      bank.features.dispose();
    }
  };
  return {
    history,
    evaluate,
    async prepare() {
      for (const src of [o.train, o.test]) {
        if (!src.preload) throw new Error('knnMonitor.prepare: the clip sources cannot preload (use VideoClipSource with cache: true)');
        await src.preload(spec.clips);
      }
    },
    async afterStep(trainer, record) {
      if (record.step % o.every !== 0) return;
      const r = await evaluate(trainer.parts.backbone);
      history.push({ step: record.step, ...r });
      o.log?.(`step ${record.step}: knn_top1 ${(100 * r.top1).toFixed(1)}% (k=${k}, ${r.seconds.toFixed(1)} s)`);
      return { knn_top1: r.top1 };
    },
  };
}
