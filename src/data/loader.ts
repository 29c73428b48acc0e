// The pair loader: batches of STOR clip pairs for pretraining.
//
//   const loader = await createPairLoader({ dataset, batchSize: 8, seed: 1 });
//   for await (const batch of loader.epoch(0)) {        // batch.views: two [N, 3, T, H, W] tensors
//     ... train on batch.views and batch.labels ...
//     batch.dispose();
//   }
//   console.log(loader.report());                      // { skipped: [{ path, reason }], ... }
//   await loader.close();
//
// Pipeline. Each dataset item at position p of epoch e is one *job*: a worker opens the video,
// samples a STOR pair from its length and frame size with the PRNG seeded by (seed, e, p), decodes
// exactly the frames both clips need and posts the I420 planes back as transferred buffers. The
// main thread uploads a batch's frames in one buffer write and builds each view with one kernel
// (src/video's framesToBatches: YUV→RGB, crop, resize, rotation, flip, colour jitter, grey and
// normalisation, every value written once), then blurs the clips drawn for it (two passes per
// view), with augmentation parameters drawn from (seed, e, p, view). Everything random is a function of (seed, epoch, position), never of timing
// or of which worker ran the job, so an epoch is reproducible.
//
// Flow control. At most `prefetch × batchSize` pairs are in flight or decoded-and-waiting at any
// time (the batch being assembled included); a new job starts only when the consumer has taken
// one. Each worker runs at most `jobsPerWorker` jobs at once.
//
// Failures. A file that cannot be opened or decoded, a decode that exceeds `jobTimeoutMs`, or a
// file that crashes its worker (twice: the second run is isolated) is skipped and recorded; the
// batch is filled with the next items. `report()` lists the skipped files. A crashed or stuck worker
// is replaced. Workers are unref'd while idle, so a forgotten close() does not keep Node alive.
import { Tensor } from '../engine/index.ts';
import { framesToBatches, IMAGENET_MEAN, IMAGENET_STD, type BatchItem } from '../video/clip.ts';
import { hashKeys, Random } from './random.ts';
import { resolveStorOptions, type StorOptions, type StorPair } from './samplers/stor.ts';
import { createClipTransform, type ClipTransform } from './transforms/pipeline.ts';
import type { ClipAugmentParams, ClipTransformOptions } from './transforms/params.ts';
import { IDENTITY_PARAMS } from './transforms/params.ts';
import { hardwareThreads, inProcessWorker, spawnWorker, type WorkerHandle } from './workers.ts';
import type { FramePlane, Job, JobResult, OpenItem, WorkerReply } from './worker-core.ts';

export interface DatasetItem {
  path: string;
  label?: number;
}

export interface DatasetLike {
  items: readonly DatasetItem[];
  classes?: readonly string[];
}

/** ImageNet mean/std (the usual normalisation of video backbones; src/video's constants). */
export const IMAGENET_NORMALIZE = { mean: IMAGENET_MEAN, std: IMAGENET_STD };

/** Photometric defaults (BYOL/SimCLR video recipe); crops and rotations come from the STOR sampler. */
export const DEFAULT_PAIR_AUGMENT: ClipTransformOptions = {
  flip: 0.5,
  colorJitter: { brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1, p: 0.8 },
  grayscale: 0.2,
  blur: { sigma: [0.1, 2.0], p: 0.5 },
  normalize: IMAGENET_NORMALIZE,
};

export interface PairLoaderOptions {
  dataset: DatasetLike;
  batchSize: number;
  /** Seed of every random choice (shuffle, pairs, augmentation). Default 0. */
  seed?: number;
  /** Frames per clip (T). Default 16. */
  clipLength?: number;
  /** Clip size [H, W]. Default [112, 112]. */
  size?: readonly [number, number];
  /** STOR classes and crop ranges (see samplers/stor.ts). */
  stor?: Omit<StorOptions, 'clipLength'>;
  /** Photometric augmentation + flip (no resizedCrop/rotations: STOR decides those); false = none. */
  augment?: ClipTransformOptions | false;
  /** Data workers: default max(1, cores − 1); 0 runs decoding on this thread. */
  workers?: number;
  /** Batches in flight or decoded ahead (memory bound: prefetch × batchSize pairs). Default 2. */
  prefetch?: number;
  /** Jobs one worker runs at once. Default 2. */
  jobsPerWorker?: number;
  /** Drop the last incomplete batch of an epoch. Default true. */
  dropLast?: boolean;
  /** Shuffle each epoch (seeded). Default true. */
  shuffle?: boolean;
  /** URL of a module exporting `openItem(path, name)` (default: src/video's reader). */
  readerModule?: string;
  /** In-process mode only: the openItem function itself (e.g. in a browser without workers). */
  openItem?: OpenItem;
  /** Browser: URL of the Web Worker entry. */
  browserWorkerUrl?: string | URL;
  /** A job that takes longer is abandoned (file skipped) and its worker replaced. Default 60 s. */
  jobTimeoutMs?: number;
}

export interface PairLabels {
  /** Playback-rate class (−1 with continuous rates) [N]. */
  speed: Int32Array;
  /** Temporal-overlap class [N]. */
  temporal: Int32Array;
  /** Spatial-overlap class [N]. */
  spatial: Int32Array;
  /** Rotation class of view 0 and view 1, row-major [N, 2]. */
  rotation: Int32Array;
  /** Temporal order [N]: 0 view 0 earlier, 1 view 1 earlier, −1 same frames (see StorLabels.order). */
  order: Int32Array;
  /** The dataset label of each item (−1 when absent) [N]. */
  class: Int32Array;
  /** Playback rate (the class value or the continuous draw) [N]. */
  rate: Float32Array;
  /** Actual overlaps (see StorPair) [N]. */
  temporalOverlap: Float32Array;
  spatialOverlap: Float32Array;
}

export interface PairBatch {
  epoch: number;
  /** Batch index within the epoch. */
  index: number;
  /** The two views, each [N, 3, T, H, W] float32 on the GPU. */
  views: [Tensor, Tensor];
  labels: PairLabels;
  /** Dataset item of each pair and its position in the epoch's order. */
  items: { path: string; position: number }[];
  /** The full pair specs (frames, crops, rotations) and augmentation parameters, for inspection. */
  pairs: StorPair[];
  params: [ClipAugmentParams[], ClipAugmentParams[]];
  /** Frees both views. */
  dispose(): void;
}

export interface LoaderReport {
  epoch: number;
  /** True once the epoch ran to its end. */
  complete: boolean;
  batches: number;
  pairs: number;
  skipped: { path: string; reason: string }[];
  /** Frames a damaged stream could not produce and a neighbour stood in for. */
  substitutes: number;
  seconds: number;
}

export interface LoaderStats {
  workers: number;
  /** Largest number of pairs in flight or buffered at once (≤ prefetch × batchSize). */
  maxInFlight: number;
  inFlight: number;
  jobs: number;
  workerRestarts: number;
  /** Time the consumer spent waiting for decoded pairs, and assembling batches on this thread. */
  waitMs: number;
  assembleMs: number;
  /** Sum of the workers' per-job times (open + decode). */
  decodeMs: number;
}

/** One decoded pair on the CPU: its STOR spec and the I420 planes of the frames it needs. */
export interface DecodedPair {
  position: number;
  path: string;
  label: number;
  pair: StorPair;
  /** Distinct frames both clips need, ascending by index. */
  frames: FramePlane[];
}

export interface DecodedBatch {
  epoch: number;
  index: number;
  pairs: DecodedPair[];
}

type Decoded = { pos: number; r: Extract<JobResult, { ok: true }> };

interface Pending {
  job: Job;
  attempts: number;
  slot: Slot | null;
  timer: ReturnType<typeof setTimeout> | null;
  done: boolean;
  resolve: (r: JobResult) => void;
}

interface Slot {
  handle: WorkerHandle;
  ready: boolean;
  dead: boolean;
  jobs: Set<Pending>;
  /** Runs a re-tried job alone, so a crash is attributed to the right file. */
  isolated: boolean;
}

export class PairLoader {
  readonly options: Required<Pick<PairLoaderOptions, 'batchSize' | 'seed' | 'clipLength' | 'size' | 'prefetch' | 'jobsPerWorker' | 'dropLast' | 'shuffle' | 'jobTimeoutMs'>>;
  private readonly items: readonly DatasetItem[];
  private readonly stor;
  private readonly transform: ClipTransform | null;
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextJobId = 1;
  private closed = false;
  private fatal: Error | null = null;
  private startFailures = 0;
  private lastReport: LoaderReport | null = null;
  private activeEpoch: LoaderReport | null = null;
  private readonly statsData: LoaderStats;
  private readonly spawnOpts;
  private readonly workerCount: number;
  private readonly openInProcess: OpenItem | null;

  /** Use createPairLoader (it starts the workers). */
  constructor(o: PairLoaderOptions, openInProcess: OpenItem | null, cpus = 2) {
    if (!o.dataset || !Array.isArray(o.dataset.items)) throw new Error('PairLoader: dataset must be { items: { path, label? }[] }');
    if (!Number.isInteger(o.batchSize) || o.batchSize < 1) throw new Error(`PairLoader: batchSize must be a positive integer, got ${o.batchSize}`);
    this.items = o.dataset.items;
    this.options = {
      batchSize: o.batchSize,
      seed: o.seed ?? 0,
      clipLength: o.clipLength ?? 16,
      size: o.size ?? [112, 112],
      prefetch: o.prefetch ?? 2,
      jobsPerWorker: o.jobsPerWorker ?? 2,
      dropLast: o.dropLast ?? true,
      shuffle: o.shuffle ?? true,
      jobTimeoutMs: o.jobTimeoutMs ?? 60000,
    };
    if (!Number.isInteger(this.options.prefetch) || this.options.prefetch < 1) throw new Error(`PairLoader: prefetch must be a positive integer, got ${o.prefetch}`);
    if (!Number.isInteger(this.options.jobsPerWorker) || this.options.jobsPerWorker < 1) throw new Error(`PairLoader: jobsPerWorker must be a positive integer`);
    this.stor = resolveStorOptions({ ...o.stor, clipLength: this.options.clipLength });
    const aug = o.augment === undefined ? DEFAULT_PAIR_AUGMENT : o.augment;
    if (aug && (aug.resizedCrop || (aug.rotations && aug.rotations.some((r) => r !== 0)) || aug.size)) {
      throw new Error('PairLoader: augment must not crop, resize or rotate: the STOR sampler decides crops and rotations (use stor.scale / stor.rotations)');
    }
    this.transform = aug ? createClipTransform(aug) : null;
    const workers = o.workers ?? Math.max(1, cpus - 1);
    if (!Number.isInteger(workers) || workers < 0) throw new Error(`PairLoader: workers must be a non-negative integer, got ${o.workers}`);
    this.workerCount = workers;
    this.openInProcess = openInProcess;
    this.spawnOpts = { readerModule: o.readerModule, browserWorkerUrl: o.browserWorkerUrl };
    this.statsData = { workers, maxInFlight: 0, inFlight: 0, jobs: 0, workerRestarts: 0, waitMs: 0, assembleMs: 0, decodeMs: 0 };
  }

  /** Starts the workers (called by createPairLoader). */
  async start(): Promise<void> {
    const n = this.openInProcess ? 1 : this.workerCount;
    await Promise.all(Array.from({ length: n }, () => this.addSlot()));
  }

  private async addSlot(): Promise<void> {
    const handle = this.openInProcess ? inProcessWorker(this.openInProcess) : await spawnWorker(this.spawnOpts);
    const slot: Slot = { handle, ready: false, dead: false, jobs: new Set(), isolated: false };
    if (this.closed) {
      await handle.terminate();
      return;
    }
    this.slots.push(slot);
    this.updateRefs();
    handle.onMessage((msg: WorkerReply) => this.onMessage(slot, msg));
    handle.onError((err) => this.onDeath(slot, `worker crashed: ${err.message}`));
    handle.onExit((code) => this.onDeath(slot, `worker exited (code ${code})`));
  }

  private onMessage(slot: Slot, msg: WorkerReply): void {
    if (slot.dead) return;
    if (msg.type === 'ready') {
      slot.ready = true;
      this.startFailures = 0;
      this.pump();
    } else if (msg.type === 'fatal') {
      this.fatal = new Error(`PairLoader: a data worker cannot start: ${msg.error}`);
      this.failAll(this.fatal.message);
    } else if (msg.type === 'result') {
      const p = [...slot.jobs].find((j) => j.job.id === msg.result.id);
      if (!p) return;
      slot.jobs.delete(p);
      if (p.attempts > 0) slot.isolated = false;
      this.finish(p, msg.result);
      this.pump();
    }
  }

  /** A worker died (or was replaced). `blame`: its jobs count an attempt (a crash may be theirs). */
  private onDeath(slot: Slot, reason: string, blame = true): void {
    if (slot.dead) return;
    slot.dead = true;
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots.splice(i, 1);
    void slot.handle.terminate().catch(() => {});
    if (!slot.ready) this.startFailures++;
    const orphans = [...slot.jobs].filter((p) => !p.done);
    slot.jobs.clear();
    for (const p of orphans) {
      p.slot = null;
      if (p.timer) clearTimeout(p.timer);
      p.timer = null;
      if (blame) p.attempts++;
      // First crash: maybe another job's fault: run it again, alone. Second: this file is the cause.
      if (p.attempts > 1) this.finish(p, { id: p.job.id, ok: false, reason });
      else this.queue.unshift(p);
    }
    if (this.closed) return;
    if (this.startFailures >= 3) {
      this.fatal = new Error(`PairLoader: data workers keep failing to start (${reason})`);
      this.failAll(this.fatal.message);
      return;
    }
    this.statsData.workerRestarts++;
    void this.addSlot().then(() => this.pump(), (err) => {
      this.fatal = new Error(`PairLoader: cannot restart a data worker: ${(err as Error).message}`);
      this.failAll(this.fatal.message);
    });
  }

  private finish(p: Pending, r: JobResult): void {
    if (p.done) return;
    p.done = true;
    if (p.timer) clearTimeout(p.timer);
    p.timer = null;
    if (r.ok) this.statsData.decodeMs += r.decodeMs;
    p.resolve(r);
    this.updateRefs();
  }

  private failAll(reason: string): void {
    for (const p of this.queue.splice(0)) this.finish(p, { id: p.job.id, ok: false, reason });
    for (const s of this.slots) for (const p of s.jobs) this.finish(p, { id: p.job.id, ok: false, reason });
  }

  /** Hands queued jobs to workers with free capacity. */
  private pump(): void {
    for (const slot of this.slots) {
      if (!slot.ready || slot.dead || slot.isolated) continue;
      while (this.queue.length && slot.jobs.size < this.options.jobsPerWorker) {
        const p = this.queue[0];
        if (p.attempts > 0 && slot.jobs.size > 0) break; // a re-tried job waits for an idle worker
        this.queue.shift();
        p.slot = slot;
        slot.jobs.add(p);
        if (p.attempts > 0) slot.isolated = true;
        p.timer = setTimeout(() => this.onTimeout(p), this.options.jobTimeoutMs);
        (p.timer as { unref?: () => void }).unref?.();
        slot.handle.post({ type: 'job', job: p.job });
        if (slot.isolated) break;
      }
    }
    this.updateRefs();
  }

  private onTimeout(p: Pending): void {
    if (p.done) return;
    const slot = p.slot;
    this.finish(p, { id: p.job.id, ok: false, reason: `timed out after ${(this.options.jobTimeoutMs / 1000).toFixed(1)} s (decoder stuck?)` });
    if (slot) {
      slot.jobs.delete(p);
      // The worker may be stuck for good: replace it; its other jobs run again elsewhere.
      this.onDeath(slot, 'worker replaced after a timeout', false);
    }
  }

  /** Workers keep Node alive exactly while there is work (queued or running). */
  private updateRefs(): void {
    const busy = this.queue.length > 0 || this.slots.some((s) => s.jobs.size > 0);
    for (const s of this.slots) {
      if (busy) s.handle.ref();
      else s.handle.unref();
    }
  }

  private submit(job: Job): Promise<JobResult> {
    if (this.fatal) return Promise.reject(this.fatal);
    if (this.closed) return Promise.resolve({ id: job.id, ok: false, reason: 'loader closed' });
    this.statsData.jobs++;
    return new Promise((resolve) => {
      this.queue.push({ job, attempts: 0, slot: null, timer: null, done: false, resolve });
      this.pump();
    });
  }

  /** Dataset positions → item indices for an epoch (seeded shuffle). */
  order(epoch: number): number[] {
    const n = this.items.length;
    return this.options.shuffle ? Random.derive(this.options.seed, 'shuffle', epoch).permutation(n) : Array.from({ length: n }, (_, i) => i);
  }

  /** Batches of one epoch. Iterate to the end (or break: outstanding work is dropped). */
  epoch(epoch = 0): AsyncGenerator<PairBatch, void, undefined> {
    return this.run(epoch, (index, group, order) => {
      const ta = performance.now();
      const batch = this.assemble(this.toDecoded(epoch, index, group, order));
      this.statsData.assembleMs += performance.now() - ta;
      return batch;
    });
  }

  /**
   * The CPU side only: groups of decoded pairs (STOR specs + I420 planes), no GPU work — for
   * benchmarks, or to assemble later (`assemble`) or some other way. A group the caller holds is
   * outside the loader's in-flight bound.
   */
  decoded(epoch = 0): AsyncGenerator<DecodedBatch, void, undefined> {
    return this.run(epoch, (index, group, order) => this.toDecoded(epoch, index, group, order));
  }

  private toDecoded(epoch: number, index: number, group: Decoded[], order: number[]): DecodedBatch {
    return {
      epoch,
      index,
      pairs: group.map(({ pos, r }) => ({ position: pos, path: this.items[order[pos]].path, label: this.items[order[pos]].label ?? -1, pair: r.pair, frames: r.frames })),
    };
  }

  /** Runs an epoch's jobs in order with bounded look-ahead; `make` turns each full group into T. */
  private async *run<T>(epoch: number, make: (index: number, group: Decoded[], order: number[]) => T): AsyncGenerator<T, void, undefined> {
    if (this.closed) throw new Error('PairLoader: closed');
    if (this.activeEpoch && !this.activeEpoch.complete) throw new Error('PairLoader: another epoch is still being iterated');
    const t0 = performance.now();
    const report: LoaderReport = { epoch, complete: false, batches: 0, pairs: 0, skipped: [], substitutes: 0, seconds: 0 };
    this.activeEpoch = report;
    this.lastReport = report;
    const { batchSize: B, prefetch, seed, dropLast } = this.options;
    const order = this.order(epoch);
    const n = order.length;
    const results = new Map<number, Promise<JobResult>>();
    let next = 0; // next position to submit
    let cursor = 0; // next position to consume
    let good: Decoded[] = [];
    const fill = () => {
      while (next < n && next - cursor + good.length < prefetch * B) {
        const item = this.items[order[next]];
        const job: Job = { id: this.nextJobId++, path: item.path, name: item.path, seed: hashKeys(seed, 'pair', epoch, next), stor: this.stor };
        const pr = this.submit(job);
        pr.catch(() => {});
        results.set(next, pr);
        next++;
      }
      const inFlight = next - cursor + good.length;
      this.statsData.inFlight = inFlight;
      this.statsData.maxInFlight = Math.max(this.statsData.maxInFlight, inFlight);
    };
    try {
      for (let index = 0; ; index++) {
        good = [];
        while (good.length < B && cursor < n) {
          fill();
          const tw = performance.now();
          const r = await results.get(cursor)!;
          this.statsData.waitMs += performance.now() - tw;
          results.delete(cursor);
          if (r.ok) {
            good.push({ pos: cursor, r });
            report.substitutes += r.substitutes;
          } else report.skipped.push({ path: this.items[order[cursor]].path, reason: r.reason });
          cursor++;
        }
        fill();
        if (good.length === 0 || (good.length < B && dropLast)) break;
        const out = make(index, good, order);
        report.batches++;
        report.pairs += good.length;
        // The group is assembled (or handed over): refill the window before the consumer's step.
        good = [];
        fill();
        yield out;
      }
      report.complete = true;
    } finally {
      report.seconds = (performance.now() - t0) / 1000;
      this.activeEpoch = null;
      this.statsData.inFlight = 0;
      // Early exit: jobs still queued are dropped; running ones finish and are ignored.
      if (!report.complete) this.dropQueued();
    }
  }

  private dropQueued(): void {
    for (const p of this.queue.splice(0)) this.finish(p, { id: p.job.id, ok: false, reason: 'epoch abandoned' });
  }

  /**
   * Builds the two views of a batch on the GPU from decoded pairs (what `epoch` does with each
   * group; the augmentation parameters are drawn from (seed, epoch, position, view), so assembling
   * the same group twice gives the same batch).
   */
  assemble(d: DecodedBatch): PairBatch {
    const { seed, size } = this.options;
    const { epoch, pairs } = d;
    const params: [ClipAugmentParams[], ClipAugmentParams[]] = [[], []];
    const tf = this.transform;
    // Both views from one upload (frames shared by the two clips of a pair go up once) and one
    // clip-kernel dispatch per view (geometry + colour + grey + normalisation), then the blur.
    const items = ([0, 1] as const).map((v) =>
      pairs.map((p): BatchItem => {
        const q = tf ? tf.sample(Random.derive(seed, 'augment', epoch, p.position, v)) : IDENTITY_PARAMS;
        params[v].push(q);
        const clip = p.pair.clips[v];
        const byIndex = new Map<number, FramePlane>(p.frames.map((f) => [f.index, f]));
        return { frames: clip.frames.map((f) => byIndex.get(f)!), crop: clip.crop, rotation: clip.rotation, flip: q.flip, color: tf ? tf.color(q) : null };
      }),
    );
    const views = framesToBatches(items, { size, ...(tf?.normalize ?? {}) });
    try {
      if (tf) views.forEach((view, v) => tf.finish(view, params[v]));
    } catch (err) {
      views.forEach((t) => t.dispose());
      throw err;
    }
    const labels: PairLabels = {
      speed: Int32Array.from(pairs, (p) => p.pair.labels.speed),
      temporal: Int32Array.from(pairs, (p) => p.pair.labels.temporal),
      spatial: Int32Array.from(pairs, (p) => p.pair.labels.spatial),
      rotation: Int32Array.from(pairs.flatMap((p) => p.pair.labels.rotation)),
      order: Int32Array.from(pairs, (p) => p.pair.labels.order),
      class: Int32Array.from(pairs, (p) => p.label),
      rate: Float32Array.from(pairs, (p) => p.pair.rate),
      temporalOverlap: Float32Array.from(pairs, (p) => p.pair.temporalOverlap),
      spatialOverlap: Float32Array.from(pairs, (p) => p.pair.spatialOverlap),
    };
    const pair = views as [Tensor, Tensor];
    return {
      epoch,
      index: d.index,
      views: pair,
      labels,
      items: pairs.map((p) => ({ path: p.path, position: p.position })),
      pairs: pairs.map((p) => p.pair),
      params,
      dispose: () => pair.forEach((t) => t.dispose()),
    };
  }

  /** What happened in the current or last epoch: skipped files with reasons, counts, time. */
  report(): LoaderReport {
    const r = this.activeEpoch ?? this.lastReport;
    if (!r) return { epoch: -1, complete: false, batches: 0, pairs: 0, skipped: [], substitutes: 0, seconds: 0 };
    return { ...r, skipped: [...r.skipped] };
  }

  stats(): LoaderStats {
    return { ...this.statsData, workers: this.slots.length };
  }

  /** Stops the workers; pending jobs end as skipped ('loader closed'). Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.queue.splice(0)) this.finish(p, { id: p.job.id, ok: false, reason: 'loader closed' });
    // Let running decodes finish first (up to 5 s): terminating a thread in the middle of a native
    // decoder call is the one teardown path that is not safe everywhere.
    const deadline = performance.now() + 5000;
    while (this.slots.some((s) => s.jobs.size > 0 && !s.dead) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    this.failAll('loader closed');
    const slots = this.slots.splice(0);
    for (const s of slots) s.dead = true;
    await Promise.all(slots.map((s) => s.handle.terminate().catch(() => {})));
  }
}

/** Creates a pair loader and starts its workers. */
export async function createPairLoader(o: PairLoaderOptions): Promise<PairLoader> {
  let open: OpenItem | null = null;
  if ((o.workers ?? 1) === 0) {
    if (o.openItem) open = o.openItem;
    else {
      const specifier = o.readerModule ?? new URL('./video-open' + (import.meta.url.endsWith('.ts') ? '.ts' : '.js'), import.meta.url).href;
      const mod = (await import(/* @vite-ignore */ specifier)) as { openItem?: OpenItem };
      if (typeof mod.openItem !== 'function') throw new Error(`PairLoader: ${specifier} has no openItem export`);
      open = mod.openItem;
    }
  }
  const loader = new PairLoader(o, open, o.workers === undefined ? await hardwareThreads() : 2);
  await loader.start();
  return loader;
}
