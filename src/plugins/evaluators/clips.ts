// Evaluation clips from labelled videos, on the data pipeline's own pieces: src/data's reader
// module (`openItem`, i.e. src/video's WebCodecs reader) opens a video, src/data's `uniformClips`
// picks k evenly spaced clips (k = 1: the centre clip), the reader decodes exactly the frames they
// need (each once), and src/video's `framesToBatch` builds the batch on the GPU (YUV→RGB, centre
// crop, resize, normalisation: one dispatch per clip). Augmented training clips (fine-tuning) come
// from the pair loader itself (STOR crops at rate `stride`, no rotation, the loader's photometric
// augmentation; decoding on this thread by default), using the first view of each pair.
import type { Tensor } from '../../engine/index.ts';
import { framesToBatch, type BatchItem, type I420Frame } from '../../video/clip.ts';
import { uniformClips } from '../../data/samplers/clip.ts';
import { createPairLoader, DEFAULT_PAIR_AUGMENT, IMAGENET_NORMALIZE } from '../../data/loader.ts';
import type { OpenItem } from '../../data/worker-core.ts';
import type { Normalization } from '../../data/transforms/kernels.ts';
import type { ClipTransformOptions } from '../../data/transforms/params.ts';
import type { AugmentedBatch, AugmentedStream, ClipSource, EvalSplit, LabelledVideo } from './types.ts';

export interface VideoClipSourceOptions {
  split: EvalSplit;
  /** Frames per clip (T). */
  clipLength: number;
  /** Square clip size (H = W). */
  size: number;
  /** Playback rate: distance between sampled frames (default 1). */
  stride?: number;
  /** Centre crop: a square of this fraction of the frame's shorter side (default 1, the largest square). */
  crop?: number;
  /** Per-channel mean/std (default ImageNet, as the pair loader's default augmentation); false = raw [0, 1]. */
  normalize?: Normalization | false;
  /** Opens a video (default: src/data/video-open.ts, the loader's default reader). */
  openItem?: OpenItem;
  /** Videos decoded at once (default 2). */
  concurrency?: number;
  /** Keep decoded frames on the CPU, so repeated evaluations (the online monitor) decode once. */
  cache?: boolean;
  /**
   * Pair loader options for augmented clips (fine-tuning): prefetch, reader module, and workers —
   * default 0 (decode on this thread): the evaluation clips are decoded on this thread too, and
   * Node's native WebCodecs decoder (@napi-rs/webcodecs) crashed when used from the main thread
   * and worker threads of one process (V8 handle checks in napi_reference_unref, SIGSEGV).
   */
  loader?: { workers?: number; prefetch?: number; readerModule?: string; jobTimeoutMs?: number };
}

/** A source of evaluation clips from video files (see the file comment). */
export class VideoClipSource implements ClipSource {
  readonly split: EvalSplit;
  readonly clipLength: number;
  readonly size: number;
  readonly stride: number;
  readonly crop: number;
  readonly normalize: Normalization | false;
  private readonly o: VideoClipSourceOptions;
  private openFn: OpenItem | null;
  private readonly cache = new Map<string, BatchItem[]>();

  constructor(o: VideoClipSourceOptions) {
    if (!Number.isInteger(o.clipLength) || o.clipLength < 1) throw new Error(`VideoClipSource: clipLength must be a positive integer, got ${o.clipLength}`);
    if (!Number.isInteger(o.size) || o.size < 1) throw new Error(`VideoClipSource: size must be a positive integer, got ${o.size}`);
    const crop = o.crop ?? 1;
    if (!(crop > 0 && crop <= 1)) throw new Error(`VideoClipSource: crop must be in (0, 1], got ${crop}`);
    for (const [i, it] of o.split.items.entries()) {
      if (!Number.isInteger(it.label) || it.label < 0) throw new Error(`VideoClipSource: ${o.split.name} item ${i} (${it.path}) has no class label`);
    }
    this.o = o;
    this.split = o.split;
    this.clipLength = o.clipLength;
    this.size = o.size;
    this.stride = o.stride ?? 1;
    this.crop = crop;
    this.normalize = o.normalize === undefined ? IMAGENET_NORMALIZE : o.normalize;
    this.openFn = o.openItem ?? null;
  }

  describe(): Record<string, unknown> {
    return {
      clipLength: this.clipLength,
      size: this.size,
      stride: this.stride,
      sampling: 'uniform clips (src/data uniformClips: clip i starts at round(i·(L − span)/(k − 1)); k = 1: centre clip)',
      crop: `centre square of ${this.crop} × the shorter side, resized to ${this.size}²`,
      normalize: this.normalize ? { mean: [...this.normalize.mean], std: [...this.normalize.std] } : null,
    };
  }

  private async opener(): Promise<OpenItem> {
    if (!this.openFn) {
      const mod = (await import('../../data/video-open.ts')) as { openItem: OpenItem };
      this.openFn = mod.openItem;
    }
    return this.openFn;
  }

  /** Decodes the `count` clips of one video into batch items (I420 frames + centre crop). */
  private async videoItems(index: number, count: number): Promise<BatchItem[]> {
    const key = `${index}:${count}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    const it = this.split.items[index];
    if (!it) throw new Error(`VideoClipSource: no video ${index} in the ${this.split.name} split (${this.split.items.length} videos)`);
    const open = await this.opener();
    const reader = await open(it.path, it.path);
    try {
      const L = reader.info.frameCount;
      if (!(L >= 1)) throw new Error(`${it.path}: the video has no frames`);
      const clips = uniformClips(L, { clipLength: this.clipLength, stride: this.stride, count });
      const wanted = [...new Set(clips.flatMap((c) => c.frames))].sort((a, b) => a - b);
      const decoded = await reader.readFrames(wanted);
      if (decoded.length !== wanted.length) throw new Error(`${it.path}: asked for ${wanted.length} frames, the decoder returned ${decoded.length}`);
      const byIndex = new Map<number, I420Frame>();
      decoded.forEach((f, i) => {
        if (f.index !== wanted[i]) throw new Error(`${it.path}: asked for frame ${wanted[i]}, got frame ${f.index}`);
        byIndex.set(f.index, { width: f.width, height: f.height, data: f.data });
      });
      const { width: W, height: H } = decoded[0];
      const side = this.crop * Math.min(W, H);
      const crop = { x: (W - side) / 2, y: (H - side) / 2, w: side, h: side };
      const items = clips.map((c) => ({ frames: c.frames.map((f) => byIndex.get(f)!), crop }));
      if (this.o.cache) this.cache.set(key, items);
      return items;
    } finally {
      await reader.close().catch(() => {});
    }
  }

  private sizes: Promise<number[] | null> | null = null;

  /**
   * Each video's size in bytes, through src/video's file-system seam (Node's files; null where
   * there is none, e.g. URLs in a browser). Computed once.
   */
  fingerprints(): Promise<number[] | null> {
    this.sizes ??= (async () => {
      try {
        const { defaultFs } = await import('../../video/platform.ts');
        const fs = await defaultFs();
        const items = this.split.items;
        const out = new Array<number>(items.length);
        let next = 0;
        const work = async () => {
          while (next < items.length) {
            const i = next++;
            const src = fs.source(items[i].path);
            try {
              out[i] = await src.size();
            } finally {
              await src.close();
            }
          }
        };
        await Promise.all(Array.from({ length: Math.min(8, items.length) }, work));
        return out;
      } catch {
        return null;
      }
    })();
    return this.sizes;
  }

  /**
   * Decodes every video's `count` clips into the frame cache (needs `cache: true`), with no GPU
   * work: later `clips()` calls only upload (e.g. before pretraining with an online monitor).
   */
  async preload(count: number): Promise<void> {
    if (!this.o.cache) throw new Error('VideoClipSource.preload: needs cache: true');
    let next = 0;
    const n = this.split.items.length;
    const work = async () => {
      while (next < n) await this.videoItems(next++, count);
    };
    await Promise.all(Array.from({ length: Math.min(n, Math.max(1, this.o.concurrency ?? 2)) }, work));
  }

  async clips(indices: readonly number[], count: number): Promise<Tensor> {
    if (indices.length === 0) throw new Error('VideoClipSource.clips: no videos');
    const per: BatchItem[][] = new Array(indices.length);
    let next = 0;
    const work = async () => {
      while (next < indices.length) {
        const j = next++;
        per[j] = await this.videoItems(indices[j], count);
      }
    };
    await Promise.all(Array.from({ length: Math.min(indices.length, Math.max(1, this.o.concurrency ?? 2)) }, work));
    const items = per.flat();
    const norm = this.normalize ? { mean: this.normalize.mean, std: this.normalize.std } : {};
    // framesToBatch needs one frame size per clip only; videos of different sizes mix freely.
    return framesToBatch(items, { size: [this.size, this.size], ...norm });
  }

  async augmented(o: { batchSize: number; seed: number; augment: boolean }): Promise<AugmentedStream> {
    const items = this.split.items;
    if (o.batchSize > items.length) throw new Error(`fine-tuning: batch size ${o.batchSize} exceeds the ${items.length} training videos`);
    const norm = this.normalize || false;
    const augment: ClipTransformOptions | false = o.augment ? { ...DEFAULT_PAIR_AUGMENT, normalize: norm } : norm ? { flip: 0, normalize: norm } : false;
    const loader = await createPairLoader({
      dataset: { items: items.map((it) => ({ path: it.path, label: it.label })) },
      batchSize: o.batchSize,
      seed: o.seed,
      clipLength: this.clipLength,
      size: [this.size, this.size],
      // Only view 0 is used: one overlap class each keeps the sampler's constraints minimal.
      stor: { rates: [this.stride], rotations: [0], temporalOverlaps: [1], spatialOverlaps: [1] },
      augment,
      workers: this.o.loader?.workers ?? 0,
      prefetch: this.o.loader?.prefetch,
      readerModule: this.o.loader?.readerModule,
      jobTimeoutMs: this.o.loader?.jobTimeoutMs,
      openItem: this.openFn ?? undefined,
    });
    return {
      batchesPerEpoch: Math.floor(items.length / o.batchSize),
      async *epoch(e: number): AsyncGenerator<AugmentedBatch> {
        for await (const b of loader.epoch(e)) {
          b.views[1].dispose();
          const clips = b.views[0];
          yield { clips, labels: Int32Array.from(b.labels.class), dispose: () => clips.dispose() };
        }
      },
      close: () => loader.close(),
    };
  }

  /** Forgets cached frames. */
  async close(): Promise<void> {
    this.cache.clear();
  }
}

/**
 * A train/test split of a labelled dataset by video index within each class (in listing order):
 * the j-th video of a class goes to the test split when j mod `testEvery` = testEvery − 1
 * (testEvery 4: videos 3, 7, 11, … of each class), to the train split otherwise.
 */
export function splitByIndex(items: readonly { path: string; label?: number }[], testEvery: number, root?: string): { train: EvalSplit; test: EvalSplit } {
  if (!Number.isInteger(testEvery) || testEvery < 2) throw new Error(`splitByIndex: testEvery must be an integer ≥ 2, got ${testEvery}`);
  const seen = new Map<number, number>();
  const train: LabelledVideo[] = [];
  const test: LabelledVideo[] = [];
  for (const it of items) {
    if (it.label === undefined || it.label < 0) throw new Error(`splitByIndex: ${it.path} has no class label (a labelled dataset is needed: a folder per class, split files, or the synthetic set)`);
    const j = seen.get(it.label) ?? 0;
    seen.set(it.label, j + 1);
    (j % testEvery === testEvery - 1 ? test : train).push({ path: it.path, label: it.label });
  }
  const description = { kind: 'by-index', testEvery, rule: 'j-th video of each class is a test video when j mod testEvery = testEvery - 1' };
  return { train: { name: 'train', items: train, root, description }, test: { name: 'test', items: test, root, description } };
}

