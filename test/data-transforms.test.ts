// GPU augmentation kernels (src/data/transforms) against small CPU references written from
// torchvision's formulas (ColorJitter's _blend / _rgb2hsv / _hsv2rgb, rgb_to_grayscale,
// gaussian_blur with reflect padding, resized_crop as crop + bilinear(align_corners=False)),
// determinism from a seed, and "one parameter set per clip": identical frames stay identical.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as E from '../src/engine/index.ts';
import { Random } from '../src/data/random.ts';
import { createClipTransform } from '../src/data/transforms/pipeline.ts';
import { gaussianWeights, defaultBlurKernel, type ClipAugmentParams } from '../src/data/transforms/params.ts';
import { framesToBatch, framesToBatches, framesToClipReference, type I420Frame } from '../src/video/clip.ts';
import { assertClose } from './helpers.ts';

const test = suite('data transforms');
test.before(async () => {
  await E.init();
});
test.after(async () => {
  await E.shutdown();
});

// ---------- CPU references (float64), layout [N, C, T, H, W] ----------
type Clip = { n: number; c: number; t: number; h: number; w: number; d: Float64Array };
const at = (x: Clip, n: number, c: number, t: number, y: number, xx: number) => (((n * x.c + c) * x.t + t) * x.h + y) * x.w + xx;

function randomClip(rng: Random, n: number, t: number, h: number, w: number): Clip {
  const d = new Float64Array(n * 3 * t * h * w);
  for (let i = 0; i < d.length; i++) d[i] = rng.float();
  // A few exact greys and saturated pixels to hit the HSV edge cases (max == min, max == r == g).
  for (let i = 0; i < d.length / 3; i += 7) d[i] = 0;
  return { n, c: 3, t, h, w, d };
}

const GRAY = [0.2989, 0.587, 0.114];
const gray = (r: number, g: number, b: number) => GRAY[0] * r + GRAY[1] * g + GRAY[2] * b;
const clamp01 = (v: number) => Math.min(1, Math.max(0, v));
const blend = (a: number, b: number, ratio: number) => clamp01(ratio * a + (1 - ratio) * b);

// torchvision.transforms.functional_tensor._rgb2hsv / _hsv2rgb, per pixel.
function rgb2hsv(r: number, g: number, b: number): [number, number, number] {
  const maxc = Math.max(r, g, b);
  const minc = Math.min(r, g, b);
  const eqc = maxc === minc;
  const cr = maxc - minc;
  const s = cr / (eqc ? 1 : maxc);
  const div = eqc ? 1 : cr;
  const rc = (maxc - r) / div;
  const gc = (maxc - g) / div;
  const bc = (maxc - b) / div;
  const hr = maxc === r ? bc - gc : 0;
  const hg = maxc === g && maxc !== r ? 2 + rc - bc : 0;
  const hb = maxc !== g && maxc !== r ? 4 + gc - rc : 0;
  const h = ((hr + hg + hb) / 6 + 1) % 1;
  return [h, s, maxc];
}
function hsv2rgb(h: number, s: number, v: number): [number, number, number] {
  const i0 = Math.floor(h * 6);
  const f = h * 6 - i0;
  const i = ((i0 % 6) + 6) % 6;
  const p = clamp01(v * (1 - s));
  const q = clamp01(v * (1 - s * f));
  const t = clamp01(v * (1 - s * (1 - f)));
  const table: [number, number, number][] = [[v, t, p], [q, v, p], [p, v, t], [p, q, v], [t, p, v], [v, p, q]];
  return table[i];
}

function refColor(x: Clip, params: ClipAugmentParams[]): Clip {
  const out = { ...x, d: new Float64Array(x.d.length) };
  for (let n = 0; n < x.n; n++) {
    const q = params[n];
    for (let t = 0; t < x.t; t++) {
      // The frame as [H·W] rgb triples, transformed op by op as torchvision does on a [3, H, W] image.
      const px: [number, number, number][] = [];
      for (let y = 0; y < x.h; y++) for (let xx = 0; xx < x.w; xx++) px.push([0, 1, 2].map((c) => x.d[at(x, n, c, t, y, xx)]) as [number, number, number]);
      for (const op of q.jitter?.order ?? []) {
        const j = q.jitter!;
        if (op === 0) px.forEach((p, i) => (px[i] = p.map((v) => blend(v, 0, j.brightness)) as typeof p));
        if (op === 1) {
          const mean = px.reduce((s, p) => s + gray(...p), 0) / px.length;
          px.forEach((p, i) => (px[i] = p.map((v) => blend(v, mean, j.contrast)) as typeof p));
        }
        if (op === 2) px.forEach((p, i) => { const g = gray(...p); px[i] = p.map((v) => blend(v, g, j.saturation)) as typeof p; });
        if (op === 3) px.forEach((p, i) => { const [h, s, v] = rgb2hsv(...p); px[i] = hsv2rgb((((h + j.hue) % 1) + 1) % 1, s, v); });
      }
      if (q.grayscale) px.forEach((p, i) => { const g = gray(...p); px[i] = [g, g, g]; });
      let i = 0;
      for (let y = 0; y < x.h; y++) for (let xx = 0; xx < x.w; xx++, i++) for (let c = 0; c < 3; c++) out.d[at(x, n, c, t, y, xx)] = px[i][c];
    }
  }
  return out;
}

function refBlur(x: Clip, params: ClipAugmentParams[], k: number): Clip {
  const refl = (i: number, n: number) => (i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i);
  const pass = (src: Clip, axis: 0 | 1): Clip => {
    const out = { ...src, d: new Float64Array(src.d.length) };
    for (let n = 0; n < src.n; n++) {
      const sigma = params[n].blurSigma;
      const wts = sigma === null ? null : gaussianWeights(k, sigma);
      for (let c = 0; c < src.c; c++) for (let t = 0; t < src.t; t++) for (let y = 0; y < src.h; y++) for (let xx = 0; xx < src.w; xx++) {
        if (!wts) {
          out.d[at(src, n, c, t, y, xx)] = src.d[at(src, n, c, t, y, xx)];
          continue;
        }
        let v = 0;
        for (let j = 0; j < k; j++) {
          const o = j - (k - 1) / 2;
          v += wts[j] * (axis === 0 ? src.d[at(src, n, c, t, y, refl(xx + o, src.w))] : src.d[at(src, n, c, t, refl(y + o, src.h), xx)]);
        }
        out.d[at(src, n, c, t, y, xx)] = v;
      }
    }
    return out;
  };
  return pass(pass(x, 0), 1);
}

/** torch.rot90(img, k, (H, W)) then horizontal flip, of the bilinear resize of the crop. */
function refResample(x: Clip, params: ClipAugmentParams[], oh: number, ow: number): Clip {
  const out: Clip = { n: x.n, c: x.c, t: x.t, h: oh, w: ow, d: new Float64Array(x.n * x.c * x.t * oh * ow) };
  for (let n = 0; n < x.n; n++) {
    const q = params[n];
    const box = q.crop ?? { x: 0, y: 0, w: x.w, h: x.h };
    const k = q.rotation % 4;
    const [rh, rw] = k % 2 ? [ow, oh] : [oh, ow];
    for (let c = 0; c < x.c; c++) for (let t = 0; t < x.t; t++) {
      // resize(crop) as an rh × rw image
      const R = (ry: number, rx: number) => {
        const sx = Math.min(Math.max((rx + 0.5) * (box.w / rw) - 0.5, 0), box.w - 1);
        const sy = Math.min(Math.max((ry + 0.5) * (box.h / rh) - 0.5, 0), box.h - 1);
        const x0 = Math.floor(sx), y0 = Math.floor(sy);
        const x1 = Math.min(x0 + 1, box.w - 1), y1 = Math.min(y0 + 1, box.h - 1);
        const fx = sx - x0, fy = sy - y0;
        const g = (yy: number, xx: number) => x.d[at(x, n, c, t, box.y + yy, box.x + xx)];
        return (g(y0, x0) * (1 - fx) + g(y0, x1) * fx) * (1 - fy) + (g(y1, x0) * (1 - fx) + g(y1, x1) * fx) * fy;
      };
      for (let i = 0; i < oh; i++) for (let j0 = 0; j0 < ow; j0++) {
        const j = q.flip ? ow - 1 - j0 : j0;
        // torch.rot90: k=1 out[i][j] = R[j][W-1-i]; k=2 R[H-1-i][W-1-j]; k=3 R[H-1-j][i]
        const v = k === 0 ? R(i, j) : k === 1 ? R(j, rw - 1 - i) : k === 2 ? R(rh - 1 - i, rw - 1 - j) : R(rh - 1 - j, i);
        out.d[at(out, n, c, t, i, j0)] = v;
      }
    }
  }
  return out;
}

function refNormalize(x: Clip, mean: number[], std: number[]): Clip {
  const out = { ...x, d: new Float64Array(x.d.length) };
  for (let n = 0; n < x.n; n++) for (let c = 0; c < 3; c++) for (let r = 0; r < x.t * x.h * x.w; r++) {
    const i = (n * 3 + c) * x.t * x.h * x.w + r;
    out.d[i] = (x.d[i] - mean[c]) / std[c];
  }
  return out;
}

const upload = (x: Clip) => E.tensor(Float32Array.from(x.d), [x.n, x.c, x.t, x.h, x.w]);

// ---------- tests ----------

test('colour jitter (all four ops, random order) and grayscale match torchvision formulas', async () => {
  const rng = new Random(11);
  const tf = createClipTransform({ colorJitter: { brightness: 0.6, contrast: 0.6, saturation: 0.6, hue: 0.4, p: 0.9 }, grayscale: 0.3, flip: 0 });
  const x = randomClip(rng, 12, 3, 7, 9);
  const params = Array.from({ length: x.n }, () => tf.sample(rng));
  assert.ok(params.some((q) => q.jitter && q.jitter.order.length === 4), 'some clips are jittered');
  assert.ok(params.some((q) => !q.jitter), 'some clips skip the jitter (p = 0.9)');
  assert.ok(params.some((q) => q.grayscale) && params.some((q) => !q.grayscale));
  const orders = new Set(params.filter((q) => q.jitter).map((q) => q.jitter!.order.join('')));
  assert.ok(orders.size > 3, `random op orders (${[...orders]})`);
  const xt = upload(x);
  const y = tf.apply(xt, params);
  assertClose(await y.data(), refColor(x, params).d, 0, 2e-5, 'jitter');
  E.tidy(() => [xt, y].forEach((t) => t.dispose()));
});

test('hue alone: every hue sector and the wrap of h + factor', async () => {
  const rng = new Random(5);
  const tf = createClipTransform({ colorJitter: { hue: 0.5 }, flip: 0 });
  const x = randomClip(rng, 8, 2, 6, 6);
  const params = Array.from({ length: x.n }, (_, i) => ({ ...tf.sample(rng), jitter: { brightness: 1, contrast: 1, saturation: 1, hue: -0.5 + i / 7, order: [3] } }));
  const y = tf.apply(upload(x), params);
  assertClose(await y.data(), refColor(x, params).d, 0, 2e-5, 'hue');
});

test('Gaussian blur (separable, reflect padding, per-clip sigma) + normalisation', async () => {
  const rng = new Random(3);
  const mean = [0.45, 0.4, 0.35];
  const std = [0.25, 0.2, 0.3];
  const tf = createClipTransform({ blur: { sigma: [0.3, 3], p: 0.7 }, flip: 0, normalize: { mean: [0.45, 0.4, 0.35], std: [0.25, 0.2, 0.3] } });
  const x = randomClip(rng, 6, 3, 16, 13);
  const params = Array.from({ length: x.n }, () => tf.sample(rng));
  assert.ok(params.some((q) => q.blurSigma !== null) && params.some((q) => q.blurSigma === null));
  const k = defaultBlurKernel(16, 13);
  assert.is(k, 3);
  const y = tf.apply(upload(x), params);
  assertClose(await y.data(), refNormalize(refBlur(x, params, k), mean, std).d, 0, 1e-4, 'blur');
  // a wider kernel too
  const tf7 = createClipTransform({ blur: { sigma: [1, 2], kernelSize: 7, p: 1 }, flip: 0 });
  const p7 = Array.from({ length: x.n }, () => tf7.sample(rng));
  assertClose(await tf7.apply(upload(x), p7).data(), refBlur(x, p7, 7).d, 0, 2e-5, 'blur k=7');
});

test('resized crop + rotation + flip (geometry on tensors) matches crop → bilinear → rot90 → flip', async () => {
  const rng = new Random(8);
  const tf = createClipTransform({ size: [6, 10], resizedCrop: { scale: [0.2, 1] }, flip: 0.5, rotations: [0, 1, 2, 3] });
  const x = randomClip(rng, 16, 2, 15, 19);
  const params = Array.from({ length: x.n }, () => tf.sample(rng, { width: x.w, height: x.h }));
  assert.equal(new Set(params.map((q) => q.rotation)).size, 4, 'all rotations drawn');
  assert.ok(params.some((q) => q.flip) && params.some((q) => !q.flip));
  const y = tf.apply(upload(x), params);
  assert.equal(y.shape, [16, 3, 2, 6, 10]);
  assertClose(await y.data(), refResample(x, params, 6, 10).d, 0, 2e-5, 'resample');
  // a single clip [C, T, H, W] with one params object
  const clip = E.tensor(Float32Array.from(x.d.subarray(0, 3 * 2 * 15 * 19)), [3, 2, 15, 19]);
  const one = tf.apply(clip, params[0]);
  assert.equal(one.shape, [3, 2, 6, 10]);
  assertClose(await one.data(), refResample(x, params, 6, 10).d.subarray(0, 3 * 2 * 60), 0, 2e-5, 'single clip');
});

test('full pipeline: geometry + jitter + grey + blur + normalise in one go', async () => {
  const rng = new Random(21);
  const norm = { mean: [0.5, 0.5, 0.5] as [number, number, number], std: [0.2, 0.25, 0.3] as [number, number, number] };
  const tf = createClipTransform({
    size: [12, 12], resizedCrop: { scale: [0.3, 1] }, flip: 0.5, rotations: [0, 1, 2, 3],
    colorJitter: { brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1, p: 0.8 }, grayscale: 0.2, blur: { p: 0.5, kernelSize: 5 }, normalize: norm,
  });
  const x = randomClip(rng, 10, 3, 20, 17);
  const params = Array.from({ length: x.n }, () => tf.sample(rng, { width: 17, height: 20 }));
  const y = await tf.apply(upload(x), params).data();
  const ref = refNormalize(refBlur(refColor(refResample(x, params, 12, 12), params), params, 5), norm.mean, norm.std);
  assertClose(y, ref.d, 0, 1e-4, 'pipeline');
});

test('one parameter set per clip: identical frames stay identical through every op', async () => {
  const rng = new Random(4);
  const tf = createClipTransform({
    size: [8, 8], resizedCrop: { scale: [0.3, 1] }, flip: 0.5, rotations: [0, 1, 2, 3],
    colorJitter: { brightness: 0.8, contrast: 0.8, saturation: 0.8, hue: 0.3, p: 1 }, grayscale: 0.3, blur: { p: 0.5, kernelSize: 3 },
  });
  const T = 5;
  const frame = randomClip(rng, 6, 1, 11, 13);
  const x: Clip = { n: 6, c: 3, t: T, h: 11, w: 13, d: new Float64Array(6 * 3 * T * 11 * 13) };
  for (let n = 0; n < 6; n++) for (let c = 0; c < 3; c++) for (let t = 0; t < T; t++) for (let i = 0; i < 11 * 13; i++) {
    x.d[at(x, n, c, t, 0, 0) + i] = frame.d[at(frame, n, c, 0, 0, 0) + i];
  }
  const params = Array.from({ length: 6 }, () => tf.sample(rng, { width: 13, height: 11 }));
  const y = await tf.apply(upload(x), params).data();
  const hw = 64;
  let maxDiff = 0;
  for (let n = 0; n < 6; n++) for (let c = 0; c < 3; c++) for (let t = 1; t < T; t++) for (let i = 0; i < hw; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(y[((n * 3 + c) * T + t) * hw + i] - y[((n * 3 + c) * T + 0) * hw + i]));
  }
  assert.is(maxDiff, 0, 'every frame of a clip got the same transform');
});

test('determinism: the same seed gives the same parameters and bit-identical output', async () => {
  const tf = createClipTransform({ size: [16, 16], resizedCrop: {}, colorJitter: { brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1, p: 0.8 }, grayscale: 0.2, blur: { p: 0.5 } });
  const x = randomClip(new Random(1), 4, 4, 24, 32);
  const run = async (seed: number) => {
    const rng = Random.derive(seed, 'augment');
    const params = Array.from({ length: 4 }, () => tf.sample(rng, { width: 32, height: 24 }));
    return { params, out: await tf.apply(upload(x), params).data() };
  };
  const a = await run(7);
  const b = await run(7);
  const c = await run(8);
  assert.equal(a.params, b.params);
  assert.equal([...a.out], [...b.out]);
  assert.not.equal(a.params, c.params);
});

test('applyPhotometric builds a batch from separate clips without a stacking copy', async () => {
  const rng = new Random(9);
  const tf = createClipTransform({ colorJitter: { brightness: 0.5, p: 1 }, flip: 0, normalize: { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] } });
  const x = randomClip(rng, 3, 2, 4, 5);
  const clips = [0, 1, 2].map((n) => E.tensor(Float32Array.from(x.d.subarray(n * 120, (n + 1) * 120)), [3, 2, 4, 5]));
  const params = clips.map(() => tf.sample(rng));
  const before = E.memory().liveTensors;
  const y = tf.applyPhotometric(clips, params);
  assert.is(E.memory().liveTensors, before + 1, 'only the batch is left');
  assert.equal(y.shape, [3, 3, 2, 4, 5]);
  assertClose(await y.data(), refNormalize(refColor(x, params), [0.5, 0.5, 0.5], [0.5, 0.5, 0.5]).d, 0, 2e-5);
});

function randomI420(rng: Random, T: number, w: number, h: number): I420Frame[] {
  const cw = (w + 1) >> 1;
  const ch = (h + 1) >> 1;
  return Array.from({ length: T }, () => {
    const data = new Uint8Array(w * h + 2 * cw * ch);
    for (let i = 0; i < data.length; i++) data[i] = rng.below(256);
    return { width: w, height: h, data };
  });
}

test('fused I420 path (one kernel: YUV→RGB, geometry, jitter, grey, normalise) matches the unfused reference', async () => {
  const rng = new Random(31);
  const norm = { mean: [0.485, 0.456, 0.406] as [number, number, number], std: [0.229, 0.224, 0.225] as [number, number, number] };
  const tf = createClipTransform({ colorJitter: { brightness: 0.5, contrast: 0.5, saturation: 0.5, hue: 0.3, p: 0.85 }, grayscale: 0.25, flip: 0.5, normalize: norm });
  // Odd and even sizes, crops with up- and downscaling (short and long runs per invocation).
  const sources = [[37, 23], [64, 48], [128, 96], [20, 30]] as const;
  const T = 3;
  const size: [number, number] = [14, 18];
  const items = Array.from({ length: 12 }, (_, n) => {
    const [w, h] = sources[n % sources.length];
    const frames = randomI420(rng, T, w, h);
    const cw = 2 + rng.below(w - 2);
    const chh = 2 + rng.below(h - 2);
    const crop = { x: rng.below(w - cw + 1), y: rng.below(h - chh + 1), w: cw, h: chh };
    const q = tf.sample(rng);
    return { frames, crop, rotation: n % 4, flip: q.flip, q };
  });
  const params = items.map((it) => it.q);
  assert.ok(params.some((q) => q.jitter?.order.length === 4) && params.some((q) => !q.jitter) && params.some((q) => q.grayscale));
  const fused = await framesToBatch(items.map((it) => ({ ...it, color: tf.color({ ...it.q, blurSigma: null }) })), { size, ...norm }).data();
  // Unfused: the CPU reference of the geometry + YUV→RGB, then torchvision's colour ops, then normalisation.
  const geo: Clip = { n: items.length, c: 3, t: T, h: size[0], w: size[1], d: new Float64Array(items.length * 3 * T * size[0] * size[1]) };
  items.forEach((it, n) => geo.d.set(framesToClipReference(it.frames, { crop: it.crop, size, rotation: it.rotation, flip: it.flip }), n * 3 * T * size[0] * size[1]));
  assertClose(fused, refNormalize(refColor(geo, params), norm.mean, norm.std).d, 0, 5e-4, 'fused vs reference');
  // And the loader's two-stage equivalent on the GPU: geometry first, then the photometric pass on floats.
  const twoStage = E.tidy(() => tf.applyPhotometric(framesToBatch(items, { size }), params.map((q) => ({ ...q, blurSigma: null }))));
  assertClose(fused, await twoStage.data(), 0, 1e-5, 'fused vs geometry + photometric');
  twoStage.dispose();
  // Several batches from one upload, frames shared between them, equal single-batch calls.
  const [a, b] = framesToBatches([items.slice(0, 5), items.slice(3, 9)], { size });
  const a1 = framesToBatch(items.slice(0, 5), { size });
  const b1 = framesToBatch(items.slice(3, 9), { size });
  assert.equal([...(await a.data())], [...(await a1.data())]);
  assert.equal([...(await b.data())], [...(await b1.data())]);
  E.tidy(() => [a, b, a1, b1].forEach((t) => t.dispose()));
});

test('bad input is rejected before GPU work', () => {
  const tf = createClipTransform({ colorJitter: { brightness: 0.5 } });
  const x = E.zeros([1, 3, 2, 4, 4]);
  const p = tf.sample(new Random(1));
  assert.throws(() => tf.apply(x, [p, p]), /1 clips but 2/);
  assert.throws(() => tf.apply(E.zeros([2, 4, 4]), [p]), /expected/);
  assert.throws(() => createClipTransform({ colorJitter: { hue: 0.7 } }), /hue/);
  assert.throws(() => createClipTransform({ resizedCrop: {} }), /size/);
  assert.throws(() => createClipTransform({ blur: { kernelSize: 4 } }), /odd/);
  assert.throws(() => tf.apply(E.zeros([1, 1, 2, 4, 4]), [p]), /3 channels/);
});

test.run();
