// Headless Chromium decodes MP4s with its own WebCodecs VideoDecoder through the same src/video code
// (blobSource → openVideo → readFrames → framesToClip on the page's WebGPU), and the clip tensors
// equal Node's (@napi-rs/webcodecs + Dawn). Uses a synthetic H.264 clip made here, and the real
// tennis.mp4 (B-frames) when ../shared/fixtures/video exists.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { useBrowserPage } from './browser/harness.ts';
import type { BrowserClip } from './browser-video-entry.ts';
import { init, shutdown } from '../src/engine/index.ts';
import { openVideo, bytesSource, framesToClip, renderSyntheticVideo, encodeVideo, type ClipOptions } from '../src/video/index.ts';

const ENTRY = fileURLToPath(new URL('./browser-video-entry.ts', import.meta.url));
const FIXTURES = process.env.VIDEO_FIXTURES ?? fileURLToPath(new URL('../../shared/fixtures/video', import.meta.url));
const test = suite('browser video (Chromium WebCodecs + WebGPU)');
const log = (line: string) => process.stdout.write(`\n  ${line}`);

let h264 = true;
const page = useBrowserPage(test, ENTRY, { setup: () => init(), teardown: () => shutdown(), log });

async function nodeClip(bytes: Uint8Array, name: string, indices: number[], opts: ClipOptions): Promise<BrowserClip> {
  const r = await openVideo(bytesSource(bytes), name, { cache: false });
  try {
    const frames = await r.readFrames(indices);
    const t = framesToClip(frames, opts);
    const clip = Array.from((await t.data()) as Float32Array);
    const shape = [...t.shape];
    t.dispose();
    return { info: { ...r.info }, indices: frames.map((f) => f.index), clip, shape, frameBytes: frames.map((f) => f.data.reduce((a, b) => a + b, 0)) };
  } finally {
    await r.close();
  }
}

async function compare(bytes: Uint8Array, name: string, indices: number[], opts: ClipOptions): Promise<void> {
  const t0 = performance.now();
  const browser = await page().evaluate<BrowserClip>('decodeClip', Buffer.from(bytes).toString('base64'), name, indices, opts);
  const ms = performance.now() - t0;
  const node = await nodeClip(bytes, name, indices, opts);
  assert.equal(browser.info, node.info, `${name}: same info in the browser and in Node`);
  assert.equal(browser.indices, indices);
  assert.equal(browser.shape, node.shape);
  assert.equal(browser.frameBytes, node.frameBytes, `${name}: the browser's decoder produced the same pictures (byte sums per frame)`);
  let max = 0;
  for (let i = 0; i < node.clip.length; i++) max = Math.max(max, Math.abs(browser.clip[i] - node.clip[i]));
  log(`${name}: ${indices.length} frames [${indices}] → clip ${browser.shape.join('×')} in ${ms.toFixed(0)} ms; max |browser − node| = ${max.toExponential(2)}`);
  assert.ok(max < 1e-3, `${name}: browser and Node clips differ by ${max}`);
}

test('Chromium exposes WebCodecs with an H.264 decoder', async () => {
  const p = await page().evaluate<{ hasDecoder: boolean; codecs: Record<string, boolean>; userAgent: string }>('probe');
  log(`[browser] ${p.userAgent.match(/HeadlessChrome\/[\d.]+/)?.[0] ?? p.userAgent}: VideoDecoder ${p.hasDecoder}, ${JSON.stringify(p.codecs)}`);
  h264 = p.hasDecoder && p.codecs['avc1.42001f'];
  if (!h264) console.log('\nnote: this Chromium build has no H.264 WebCodecs decoder (proprietary codecs off); browser decode comparisons skipped');
});

test('synthetic H.264 MP4: browser clip equals Node clip (crop, resize, rotation, flip, normalisation)', async () => {
  if (!h264) return;
  const { i420 } = renderSyntheticVideo({ frames: 24, size: [48, 64], seed: 11 }, 4, 0);
  const bytes = await encodeVideo(i420, { width: 64, height: 48, fps: 25, gop: 8, bitrate: 200_000 });
  await compare(bytes, 'synthetic.mp4', [20, 3, 3, 11, 0, 23], {
    crop: { x: 6, y: 4, w: 50, h: 38 },
    size: [24, 32],
    rotation: 1,
    flip: true,
    mean: [0.45, 0.45, 0.45],
    std: [0.225, 0.225, 0.225],
  });
});

test('real clip with B-frames (tennis.mp4): browser clip equals Node clip', async () => {
  if (!h264) return;
  const path = join(FIXTURES, 'tennis.mp4');
  if (!existsSync(path)) {
    console.log(`\nnote: ${path} not found; the real-clip browser comparison is skipped (it passes)`);
    return;
  }
  await compare(new Uint8Array(readFileSync(path)), 'tennis.mp4', [149, 0, 75, 31, 76, 2], { crop: { x: 60, y: 0, w: 360, h: 360 }, size: [64, 64], rotation: 2 });
});

test('errors in the browser name the file and the reason', async () => {
  const avi = Buffer.from('RIFF\x00\x00\x01\x00AVI LIST\x00\x00\x00\x00', 'latin1');
  const msg = await page().evaluate<string>('openError', avi.toString('base64'), 'v_x.avi');
  assert.match(msg, /^v_x\.avi: the AVI container is not supported/);
});

test.run();
