// Feature extraction from a frozen backbone: clips in batches on the GPU, the backbone's pooled
// features (global average pool) kept on the GPU and concatenated once; no readback. Clip decoding
// of the next batch runs while the GPU works on the current one.
import { cat, noGrad, type Tensor } from '../../engine/index.ts';
import type { Backbone } from '../types.ts';
import type { ClipSource, FeatureProvider, FeatureSet, FeatureSpec } from './types.ts';

export interface ExtractOptions extends FeatureSpec {
  /** Clips per forward pass (default 16); a batch holds whole videos, at least one. */
  batchSize?: number;
  /** Called after each batch with (videos done, total). */
  onProgress?: (done: number, total: number) => void;
}

/**
 * Features of every video of a clip source: `clips` clips per video (uniformly spaced, centre
 * crop); with `perClip` one row per clip, otherwise one row per video (the mean of its clips'
 * pooled features). The backbone runs in eval mode (batch norm with running statistics) under
 * noGrad; its training flag is restored afterwards.
 */
export async function extractFeatures(backbone: Backbone, source: ClipSource, o: ExtractOptions): Promise<FeatureSet> {
  const k = o.clips;
  if (!Number.isInteger(k) || k < 1) throw new Error(`extractFeatures: clips must be a positive integer, got ${k}`);
  const n = source.split.items.length;
  if (n === 0) throw new Error(`extractFeatures: the ${source.split.name} split has no videos`);
  const perBatch = Math.max(1, Math.floor((o.batchSize ?? 16) / k));
  const groups: number[][] = [];
  for (let i = 0; i < n; i += perBatch) groups.push(Array.from({ length: Math.min(perBatch, n - i) }, (_, j) => i + j));
  const wasTraining = backbone.training;
  backbone.eval();
  const pieces: Tensor[] = [];
  let next: Promise<Tensor> | null = source.clips(groups[0], k);
  try {
    for (let g = 0; g < groups.length; g++) {
      const clips: Tensor = await next!;
      next = g + 1 < groups.length ? source.clips(groups[g + 1], k) : null;
      next?.catch(() => {}); // awaited in the next iteration; avoid an unhandled rejection if this one throws
      try {
        const f = noGrad(() => {
          const y = backbone.call(clips);
          if (o.perClip || k === 1) return y;
          const m = y.reshape([groups[g].length, k, y.shape[1]]).mean(1);
          y.dispose();
          return m;
        });
        pieces.push(f);
      } finally {
        clips.dispose();
      }
      o.onProgress?.(groups[g][groups[g].length - 1] + 1, n);
    }
  } catch (err) {
    pieces.forEach((p) => p.dispose());
    if (next) void next.then((t) => t.dispose(), () => {});
    throw err;
  } finally {
    backbone.train(wasTraining);
  }
  const features = pieces.length === 1 ? pieces[0] : noGrad(() => cat(pieces, 0));
  if (pieces.length > 1) pieces.forEach((p) => p.dispose());
  const rows = o.perClip ? n * k : n;
  const labels = new Int32Array(rows);
  const video = new Int32Array(rows);
  const per = o.perClip ? k : 1;
  source.split.items.forEach((it, i) => {
    for (let c = 0; c < per; c++) {
      labels[i * per + c] = it.label;
      video[i * per + c] = i;
    }
  });
  return { features, labels, video, spec: { clips: k, perClip: o.perClip } };
}

/**
 * A FeatureProvider over a backbone and the two clip sources that extracts each (split, spec)
 * once and caches it; `await dispose()` frees the cached features.
 */
export function cachedFeatures(
  backbone: Backbone,
  sources: { train: ClipSource; test: ClipSource },
  o: { batchSize?: number; log?: (line: string) => void } = {},
): FeatureProvider & { dispose(): Promise<void> } {
  const cache = new Map<string, Promise<FeatureSet>>();
  const provider = ((split: 'train' | 'test', spec: FeatureSpec) => {
    const key = `${split}:${spec.clips}:${spec.perClip}`;
    let p = cache.get(key);
    if (!p) {
      const t0 = now();
      p = extractFeatures(backbone, sources[split], { ...spec, batchSize: o.batchSize }).then((fs) => {
        o.log?.(`features: ${split} split, ${sources[split].split.items.length} videos × ${spec.clips} clip(s) → [${fs.features.shape.join(', ')}] in ${((now() - t0) / 1000).toFixed(1)} s`);
        return fs;
      });
      p.catch(() => cache.delete(key));
      cache.set(key, p);
    }
    return p;
  }) as FeatureProvider & { dispose(): Promise<void> };
  provider.dispose = async () => {
    const all = [...cache.values()];
    cache.clear();
    await Promise.all(all.map((p) => p.then((fs) => fs.features.dispose(), () => {})));
  };
  return provider;
}

function now(): number {
  return globalThis.performance?.now() ?? Date.now();
}
