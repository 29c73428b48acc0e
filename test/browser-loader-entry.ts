// Browser side of test/browser-loader.test.ts (bundled by test/browser/harness.ts): the pair loader
// of src/data in the page, decoding MP4s in Web Workers (the src/data/worker.browser.ts entry,
// bundled separately by the test and handed over as text, started from a Blob URL), the clips
// built on the page's WebGPU. Videos arrive as base64 and become Blob URLs: browser dataset paths
// are URLs, which the workers fetch.
import * as engine from '../src/engine/index.ts';
import { createPairLoader } from '../src/data/index.ts';

function fromBase64(b64: string): Uint8Array<ArrayBuffer> {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

export interface LoaderRunOptions {
  batchSize: number;
  batches: number;
  seed: number;
  clipLength: number;
  size: [number, number];
  workers: number;
}

export interface BrowserBatch {
  /** float32 bytes of each view, base64. */
  views: string[];
  shapes: number[][];
  labels: Record<string, number[]>;
  /** Dataset item index and epoch position of each pair. */
  items: { item: number; position: number }[];
  /** Frames and crops of each pair's two clips. */
  clips: { frames: number[]; crop: { x: number; y: number; w: number; h: number }; rotation: number }[][];
}

export interface BrowserLoaderResult {
  adapter: string;
  batches: BrowserBatch[];
  workers: number;
  skipped: { path: string; reason: string }[];
  decodedInWorkers: boolean;
}

let initialised = false;

async function loaderBatches(videos: string[], labels: number[], workerJs: string, o: LoaderRunOptions): Promise<BrowserLoaderResult> {
  const report = initialised ? null : await engine.init();
  initialised = true;
  const urls = videos.map((b64) => URL.createObjectURL(new Blob([fromBase64(b64)], { type: 'video/mp4' })));
  const workerUrl = URL.createObjectURL(new Blob([workerJs], { type: 'text/javascript' }));
  const index = new Map(urls.map((u, i) => [u, i]));
  const loader = await createPairLoader({
    dataset: { items: urls.map((path, i) => ({ path, label: labels[i] })) },
    batchSize: o.batchSize,
    seed: o.seed,
    clipLength: o.clipLength,
    size: o.size,
    workers: o.workers,
    browserWorkerUrl: workerUrl,
  });
  const batches: BrowserBatch[] = [];
  try {
    for await (const b of loader.epoch(0)) {
      const data = await Promise.all(b.views.map((v) => v.data() as Promise<Float32Array>));
      batches.push({
        views: data.map((d) => toBase64(new Uint8Array(d.buffer, d.byteOffset, d.byteLength))),
        shapes: b.views.map((v) => [...v.shape]),
        labels: Object.fromEntries(Object.entries(b.labels).map(([k, v]) => [k, Array.from(v as ArrayLike<number>)])),
        items: b.items.map((it) => ({ item: index.get(it.path)!, position: it.position })),
        clips: b.pairs.map((p) => p.clips.map((c) => ({ frames: [...c.frames], crop: { ...c.crop }, rotation: c.rotation }))),
      });
      b.dispose();
      if (batches.length >= o.batches) break;
    }
    const stats = loader.stats();
    return { adapter: report?.description ?? '', batches, workers: stats.workers, skipped: loader.report().skipped, decodedInWorkers: stats.jobs > 0 && stats.workers === o.workers };
  } finally {
    await loader.close();
    urls.forEach((u) => URL.revokeObjectURL(u));
    URL.revokeObjectURL(workerUrl);
  }
}

Object.assign(globalThis, { loaderBatches });
