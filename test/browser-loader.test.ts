// The pair loader in headless Chromium with Web Workers (src/data/worker.browser.ts): the page
// creates the loader, two Web Workers demux and decode H.264 MP4s from the synthetic set with
// Chromium's WebCodecs, and the batches (labels, clip specs, pixels) equal the Node loader's for
// the same seed (Node: worker_threads, @napi-rs/webcodecs, Dawn). The worker entry is bundled here
// and handed to the page as text (it starts from a Blob URL); the videos arrive as base64.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { useBrowserPage, bundleEntry } from './browser/harness.ts';
import type { BrowserBatch, BrowserLoaderResult, LoaderRunOptions } from './browser-loader-entry.ts';
import * as E from '../src/engine/index.ts';
import { createPairLoader } from '../src/data/loader.ts';
// In a worker thread: encoding on this thread and then decoding in the loader's worker threads
// can corrupt @napi-rs/webcodecs' heap (see src/platform/node-synthetic.ts).
import { ensureSyntheticDatasetInWorker } from '../src/platform/node-synthetic.ts';

const ENTRY = fileURLToPath(new URL('./browser-loader-entry.ts', import.meta.url));
const WORKER = fileURLToPath(new URL('../src/data/worker.browser.ts', import.meta.url));
const test = suite('browser pair loader (Web Workers + WebCodecs + WebGPU)');
const log = (line: string) => process.stdout.write(`\n  ${line}`);

const page = useBrowserPage(test, ENTRY, { setup: () => E.init(), teardown: () => E.shutdown(), log });

const OPTS: LoaderRunOptions = { batchSize: 3, batches: 2, seed: 7, clipLength: 8, size: [32, 40], workers: 2 };

const floats = (b64: string) => {
  const buf = Buffer.from(b64, 'base64');
  return new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
};

test('Web Worker loader in the page: shapes, label ranges, and the Node loader\'s batches for the same seed', async () => {
  const probe = await page().page.evaluate(async () => typeof VideoDecoder === 'function' && !!(await VideoDecoder.isConfigSupported({ codec: 'avc1.42001f', codedWidth: 128, codedHeight: 128 }).catch(() => ({ supported: false }))).supported);
  if (!probe) {
    console.log('\nnote: this Chromium build has no H.264 WebCodecs decoder; the browser loader test is skipped');
    return;
  }
  const ds = await ensureSyntheticDatasetInWorker({});
  const items = ds.items.slice(0, 8);
  const worker = await bundleEntry(WORKER);
  const t0 = performance.now();
  const browser = await page().evaluate<BrowserLoaderResult>(
    'loaderBatches',
    items.map((it) => readFileSync(it.path).toString('base64')),
    items.map((it) => it.label),
    worker.js,
    OPTS,
  );
  log(`[browser] ${browser.adapter}: ${browser.batches.length} batches of ${OPTS.batchSize} pairs from ${browser.workers} Web Workers in ${(performance.now() - t0).toFixed(0)} ms`);
  assert.equal(browser.skipped, [], 'no file skipped in the browser');
  assert.is(browser.workers, OPTS.workers, 'the loader ran its Web Workers');
  assert.ok(browser.decodedInWorkers);
  assert.is(browser.batches.length, OPTS.batches);

  // The same epoch in Node.
  const loader = await createPairLoader({ dataset: { items }, batchSize: OPTS.batchSize, seed: OPTS.seed, clipLength: OPTS.clipLength, size: OPTS.size, workers: 1 });
  const node: BrowserBatch[] = [];
  const index = new Map(items.map((it, i) => [it.path, i]));
  try {
    for await (const b of loader.epoch(0)) {
      const data = await Promise.all(b.views.map((v) => v.data() as Promise<Float32Array>));
      node.push({
        views: data.map((d) => Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString('base64')),
        shapes: b.views.map((v) => [...v.shape]),
        labels: Object.fromEntries(Object.entries(b.labels).map(([k, v]) => [k, Array.from(v as ArrayLike<number>)])),
        items: b.items.map((it) => ({ item: index.get(it.path)!, position: it.position })),
        clips: b.pairs.map((p) => p.clips.map((c) => ({ frames: [...c.frames], crop: { ...c.crop }, rotation: c.rotation }))),
      });
      b.dispose();
      if (node.length >= OPTS.batches) break;
    }
  } finally {
    await loader.close();
  }

  const [H, W] = OPTS.size;
  browser.batches.forEach((b, i) => {
    const n = node[i];
    for (const s of b.shapes) assert.equal(s, [OPTS.batchSize, 3, OPTS.clipLength, H, W], `batch ${i}: view shape`);
    const L = b.labels;
    for (const k of ['speed', 'temporal', 'spatial', 'class', 'rate', 'temporalOverlap', 'spatialOverlap']) assert.is(L[k].length, OPTS.batchSize, `batch ${i}: labels.${k} has N entries`);
    assert.is(L.rotation.length, 2 * OPTS.batchSize);
    assert.ok(L.speed.every((v) => v >= 0 && v < 4), `speed classes in 0..3: ${L.speed}`);
    assert.ok(L.temporal.every((v) => v >= 0 && v < 5), `temporal classes in 0..4: ${L.temporal}`);
    assert.ok(L.spatial.every((v) => v >= 0 && v < 5), `spatial classes in 0..4: ${L.spatial}`);
    assert.ok(L.rotation.every((v) => v >= 0 && v < 4), `rotation classes in 0..3: ${L.rotation}`);
    assert.ok(L.class.every((v) => v >= 0 && v < ds.classes.length), `dataset classes: ${L.class}`);
    assert.ok([...L.temporalOverlap, ...L.spatialOverlap].every((v) => v > 0 && v <= 1));
    // Same items, clip specs and labels as Node for the same seed (sampling is a function of
    // (seed, epoch, position) and of the video, not of the platform or the workers' timing).
    assert.equal(b.items, n.items, `batch ${i}: same items and positions`);
    assert.equal(b.clips, n.clips, `batch ${i}: same frames, crops and rotations`);
    assert.equal(b.labels, n.labels, `batch ${i}: same labels`);
    // Same pixels: Chromium's H.264 decoder and Node's produce the same pictures; the GPU math
    // (SwiftShader vs the Node adapter) differs only in rounding.
    for (let v = 0; v < 2; v++) {
      const x = floats(b.views[v]);
      const y = floats(n.views[v]);
      assert.is(x.length, y.length);
      let max = 0;
      let sum = 0;
      for (let j = 0; j < x.length; j++) {
        const d = Math.abs(x[j] - y[j]);
        max = Math.max(max, d);
        sum += d;
      }
      log(`batch ${i} view ${v}: max |browser − node| = ${max.toExponential(2)}, mean ${(sum / x.length).toExponential(2)}`);
      assert.ok(max < 1e-3, `batch ${i} view ${v}: browser and Node differ by up to ${max}`);
    }
  });
});

test.run();
