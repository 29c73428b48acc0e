// The frames → clip kernel (shaders/yuv_clip.wgsl) against its float64 CPU reference: YUV→RGB,
// crop, bilinear resize, rotation, flip and normalisation, alone and combined, odd sizes included;
// batches; argument errors.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { init, shutdown, stack, tidy, memory } from '../src/engine/index.ts';
import { framesToClip, framesToBatch, framesToClipReference, IMAGENET_MEAN, IMAGENET_STD, type ClipOptions, type I420Frame } from '../src/video/index.ts';

const test = suite('video clip kernel');

function randomFrames(T: number, w: number, h: number, seed: number): I420Frame[] {
  let s = seed >>> 0;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s >>> 24;
  };
  const cw = (w + 1) >> 1;
  const ch = (h + 1) >> 1;
  return Array.from({ length: T }, () => {
    const data = new Uint8Array(w * h + 2 * cw * ch);
    // smooth-ish content plus noise, covering the full 0..255 range (clamping is exercised)
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[y * w + x] = (x * 7 + y * 3 + next()) & 255;
    for (let i = w * h; i < data.length; i++) data[i] = next();
    return { width: w, height: h, format: 'I420' as const, data };
  });
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.is(a.length, b.length, 'lengths');
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

test.before(async () => {
  await init();
});

test.after(async () => {
  await shutdown();
});

test('identity: full frame, same size, values in [0, 1]', async () => {
  const frames = randomFrames(2, 16, 10, 1);
  const opts: ClipOptions = { size: [10, 16] };
  const t = framesToClip(frames, opts);
  assert.equal([...t.shape], [3, 2, 10, 16]);
  const got = (await t.data()) as Float32Array;
  t.dispose();
  assert.ok(maxDiff(got, framesToClipReference(frames, opts)) < 1e-5);
  assert.ok(got.every((v) => v >= 0 && v <= 1));
});

test('each transform alone and all combined match the CPU reference', async () => {
  const cases: [string, I420Frame[], ClipOptions][] = [];
  const f1 = randomFrames(3, 37, 23, 2); // odd sizes: chroma planes round up
  cases.push(['crop', f1, { crop: { x: 5, y: 3, w: 20, h: 12 }, size: [12, 20] }]);
  cases.push(['resize down', f1, { size: [9, 13] }]);
  cases.push(['resize up', f1, { size: [50, 70] }]);
  cases.push(['fractional crop', f1, { crop: { x: 2.5, y: 1.25, w: 30.5, h: 19.5 }, size: [8, 8] }]);
  for (const rotation of [1, 2, 3, -1, 5]) cases.push([`rotation ${rotation}`, f1, { size: [11, 17], rotation }]);
  cases.push(['flip', f1, { size: [23, 37], flip: true }]);
  cases.push(['normalise', f1, { size: [23, 37], mean: [...IMAGENET_MEAN] as [number, number, number], std: [...IMAGENET_STD] as [number, number, number] }]);
  const f2 = randomFrames(4, 64, 48, 3);
  for (const rotation of [0, 1, 2, 3]) {
    for (const flip of [false, true]) {
      cases.push([`crop+resize+rot${rotation}+flip=${flip}+norm`, f2, { crop: { x: 7, y: 4, w: 41, h: 33 }, size: [14, 18], rotation, flip, mean: [0.4, 0.5, 0.6], std: [0.2, 0.3, 0.25] }]);
    }
  }
  for (const [name, frames, opts] of cases) {
    const t = framesToClip(frames, opts);
    assert.equal([...t.shape], [3, frames.length, opts.size[0], opts.size[1]], name);
    const got = (await t.data()) as Float32Array;
    t.dispose();
    const d = maxDiff(got, framesToClipReference(frames, opts));
    assert.ok(d < 1e-4, `${name}: max |GPU − CPU| = ${d}`);
  }
});

test('rotation and flip agree with rot90/flip of the unrotated clip', async () => {
  const frames = randomFrames(2, 20, 12, 4);
  const base = framesToClip(frames, { size: [12, 20] });
  for (const k of [1, 2, 3]) {
    const rotated = framesToClip(frames, { size: k % 2 ? [20, 12] : [12, 20], rotation: k });
    const viaEngine = base.rot90(k, [2, 3]).contiguous();
    assert.ok(maxDiff((await rotated.data()) as Float32Array, (await viaEngine.data()) as Float32Array) < 1e-6, `rotation ${k}`);
    rotated.dispose();
    viaEngine.dispose();
  }
  const flipped = framesToClip(frames, { size: [12, 20], flip: true });
  const viaFlip = base.flip(3).contiguous();
  assert.ok(maxDiff((await flipped.data()) as Float32Array, (await viaFlip.data()) as Float32Array) < 1e-6, 'flip');
  flipped.dispose();
  viaFlip.dispose();
  base.dispose();
});

test('framesToBatch writes [N, 3, T, H, W] in place and equals stack of clips', async () => {
  const a = randomFrames(3, 40, 30, 5);
  const b = randomFrames(3, 24, 36, 6); // clips of one batch may come from different sources
  const before = memory().liveTensors;
  const items = [
    { frames: a, crop: { x: 4, y: 2, w: 30, h: 24 } },
    { frames: b, crop: { x: 0, y: 6, w: 24, h: 24 }, rotation: 1, flip: true },
  ];
  const batch = framesToBatch(items, { size: [16, 16], mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] });
  assert.equal([...batch.shape], [2, 3, 3, 16, 16]);
  const stacked = tidy(() => stack(items.map((it) => framesToClip(it.frames, { ...it, size: [16, 16], mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] }))));
  assert.ok(maxDiff((await batch.data()) as Float32Array, (await stacked.data()) as Float32Array) < 1e-6);
  batch.dispose();
  stacked.dispose();
  assert.is(memory().liveTensors, before, 'no tensors leak (the uploaded frames are freed)');
});

test('argument errors name the problem', () => {
  const f = randomFrames(2, 16, 16, 7);
  const throws = (fn: () => unknown, re: RegExp) => {
    try {
      fn();
    } catch (err) {
      assert.match((err as Error).message, re);
      return;
    }
    assert.unreachable(`expected ${re}`);
  };
  throws(() => framesToClip([], { size: [8, 8] }), /at least one frame/);
  throws(() => framesToClip(f, { size: [8, 8], crop: { x: 10, y: 0, w: 10, h: 8 } }), /not inside the 16×16 frame/);
  throws(() => framesToClip(f, { size: [0, 8] }), /size must be \[H, W\]/);
  throws(() => framesToClip(f, { size: [8, 8], rotation: 0.5 }), /quarter turns/);
  throws(() => framesToClip(f, { size: [8, 8], std: [1, 0, 1] }), /std non-zero/);
  throws(() => framesToClip([f[0], randomFrames(1, 8, 8, 1)[0]], { size: [8, 8] }), /frame 1 is 8×8, frame 0 is 16×16/);
  throws(() => framesToClip([{ ...f[0], data: f[0].data.subarray(1) }], { size: [8, 8] }), /needs 384/);
  throws(() => framesToBatch([{ frames: f }, { frames: [f[0]] }], { size: [8, 8] }), /clip 1 has 1 frames/);
});

test.run();
