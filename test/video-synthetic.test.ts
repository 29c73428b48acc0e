// The synthetic motion dataset: generated once into a cache folder as real H.264 MP4 files, which
// decode back (through openVideo) to the drawn frames within codec tolerance; deterministic.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, statSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureSyntheticDataset, renderSyntheticVideo, resolveSyntheticOptions, openVideo, framesToClipReference, MOTION_CLASSES, type SyntheticDataset } from '../src/video/index.ts';
import { fileSource } from '../src/platform/node-video-files.ts';

const test = suite('video synthetic dataset');
const log = (line: string) => process.stdout.write(`\n  ${line}`);
let cache = '';
const OPTS = { videosPerClass: 1, frames: 24, size: [48, 64] as [number, number], gop: 8, seed: 3, bitrate: 200_000 };
let ds: SyntheticDataset;

test.before(() => {
  cache = mkdtempSync(join(tmpdir(), 'video-synthetic-'));
});

test.after(() => {
  rmSync(cache, { recursive: true, force: true });
});

test('generates every class as an H.264 MP4 into a cache folder keyed by the options', async () => {
  const t0 = performance.now();
  ds = await ensureSyntheticDataset({ ...OPTS, cacheDir: cache });
  const ms = performance.now() - t0;
  assert.ok(MOTION_CLASSES.length >= 8);
  assert.equal(ds.classes, [...MOTION_CLASSES]);
  assert.is(ds.items.length, MOTION_CLASSES.length);
  assert.ok(ds.root.startsWith(join(cache, 'synthetic-')));
  assert.ok(existsSync(join(ds.root, 'manifest.json')));
  for (const it of ds.items) {
    assert.ok(existsSync(it.path), it.path);
    assert.ok(it.path.startsWith(join(ds.root, ds.classes[it.label])), 'class folders');
  }
  const manifest = JSON.parse(readFileSync(join(ds.root, 'manifest.json'), 'utf8'));
  assert.equal(manifest.options, resolveSyntheticOptions(OPTS));
  log(`${ds.items.length} videos (${OPTS.frames} frames ${OPTS.size[1]}×${OPTS.size[0]}) generated in ${ms.toFixed(0)} ms`);
});

test('videos decode back to the drawn frames within codec tolerance', async () => {
  let worstY = 0;
  let worstRgb = 0;
  let worstCodec = 0;
  for (const it of ds.items) {
    const r = await openVideo(fileSource(it.path), it.path);
    try {
      assert.is(r.info.frameCount, OPTS.frames);
      assert.is(r.info.width, 64);
      assert.is(r.info.height, 48);
      assert.is(r.info.fps, 25);
      assert.ok(r.info.codec.startsWith('avc1.'));
      assert.equal(r.index.keys, [0, 8, 16], 'a key frame every gop frames');
      const frames = await r.readFrames(Array.from({ length: OPTS.frames }, (_, i) => i));
      const drawn = renderSyntheticVideo(OPTS, it.label, 0);
      for (const f of frames) {
        const ref = drawn.i420[f.index];
        let sum = 0;
        for (let i = 0; i < ref.length; i++) sum += Math.abs(f.data[i] - ref[i]);
        worstY = Math.max(worstY, sum / ref.length);
      }
      // and in RGB through the clip transform's reference: against the drawn I420 (codec error
      // only) and against the drawn RGB (plus 4:2:0 chroma subsampling at sharp colour edges)
      for (const f of [frames[0], frames[OPTS.frames - 1]]) {
        const rgb = framesToClipReference([f], { size: [48, 64] });
        const viaI420 = framesToClipReference([{ width: 64, height: 48, data: drawn.i420[f.index] }], { size: [48, 64] });
        const want = drawn.rgb[f.index];
        const n = 48 * 64;
        let sum = 0;
        let sumCodec = 0;
        for (let c = 0; c < 3; c++) {
          for (let i = 0; i < n; i++) {
            sum += Math.abs(rgb[c * n + i] * 255 - want[i * 3 + c]);
            sumCodec += Math.abs(rgb[c * n + i] - viaI420[c * n + i]) * 255;
          }
        }
        worstRgb = Math.max(worstRgb, sum / (3 * n));
        worstCodec = Math.max(worstCodec, sumCodec / (3 * n));
      }
    } finally {
      await r.close();
    }
  }
  log(`worst mean |Δ| decoded vs drawn: ${worstY.toFixed(2)} levels (I420), ${worstCodec.toFixed(2)}/255 (RGB of the I420), ` +
    `${worstRgb.toFixed(2)}/255 (RGB, incl. 4:2:0 chroma subsampling)`);
  assert.ok(worstY < 3, `decoded I420 differs from the drawn frames by ${worstY.toFixed(2)} levels on average`);
  assert.ok(worstCodec < 3, `decoded RGB differs from the drawn I420's by ${worstCodec.toFixed(2)}/255 on average`);
  assert.ok(worstRgb < 10, `decoded RGB differs from the drawn RGB by ${worstRgb.toFixed(2)}/255 on average`);
});

test('a second call reuses the cache without re-encoding', async () => {
  const mtimes = ds.items.map((it) => statSync(it.path).mtimeMs);
  const t0 = performance.now();
  const again = await ensureSyntheticDataset({ ...OPTS, cacheDir: cache });
  const ms = performance.now() - t0;
  assert.is(again.root, ds.root);
  assert.equal(again.items, ds.items);
  assert.equal(ds.items.map((it) => statSync(it.path).mtimeMs), mtimes);
  assert.ok(ms < 2000, `cache hit took ${ms.toFixed(0)} ms`);
  const other = await ensureSyntheticDataset({ ...OPTS, classes: 2, frames: 8, cacheDir: cache });
  assert.not.equal(other.root, ds.root, 'other options, other cache folder');
  assert.is(other.items.length, 2);
});

test('deterministic from the seed; frames differ between videos and over time', () => {
  const a = renderSyntheticVideo(OPTS, 4, 0);
  const b = renderSyntheticVideo(OPTS, 4, 0);
  assert.ok(a.rgb.every((f, t) => Buffer.compare(Buffer.from(f), Buffer.from(b.rgb[t])) === 0), 'same options, same frames');
  const c = renderSyntheticVideo({ ...OPTS, seed: 4 }, 4, 0);
  assert.ok(Buffer.compare(Buffer.from(a.rgb[0]), Buffer.from(c.rgb[0])) !== 0, 'another seed, another scene');
  const still = renderSyntheticVideo(OPTS, MOTION_CLASSES.indexOf('still'), 0);
  const pan = renderSyntheticVideo(OPTS, MOTION_CLASSES.indexOf('pan-left'), 0);
  // Mean change between frames 4 apart: in every class shapes come and go (now and then) and the
  // light flickers (every frame); in a pan the shapes also move in every frame.
  const change = (v: { rgb: Uint8Array[] }) => {
    let s = 0;
    for (let t = 4; t < v.rgb.length; t++) for (let i = 0; i < v.rgb[t].length; i++) s += Math.abs(v.rgb[t][i] - v.rgb[t - 4][i]);
    return s / (v.rgb[0].length * (v.rgb.length - 4));
  };
  assert.ok(change(pan) > 2 * change(still), `a pan changes the picture more than a still scene (${change(pan).toFixed(2)} vs ${change(still).toFixed(2)} over 4 frames)`);
});

test('options are validated', async () => {
  for (const [opts, re] of [
    [{ classes: 1 }, /classes must be 2\.\.10/],
    [{ size: 15 }, /size must be even integers ≥ 16/],
    [{ frames: 1 }, /frames must be an integer ≥ 2/],
    [{ gop: 0 }, /gop must be a positive integer/],
  ] as const) {
    try {
      await ensureSyntheticDataset({ ...opts, cacheDir: cache });
      assert.unreachable('accepted');
    } catch (err) {
      assert.match((err as Error).message, re);
    }
  }
});

test.run();
