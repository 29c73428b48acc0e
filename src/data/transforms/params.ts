// Augmentation parameters, drawn on the CPU from the seeded PRNG: one set per clip, applied to
// every frame of that clip. torchvision's semantics (RandomResizedCrop, RandomHorizontalFlip,
// RandomApply(ColorJitter), RandomGrayscale, GaussianBlur), drawn the way its get_params do.
import type { Random } from '../random.ts';
import { sampleResizedCrop, type Box, type ResizedCropOptions } from '../samplers/crop.ts';
import { MAX_BLUR_KERNEL, type Normalization } from './kernels.ts';

/** A factor given as x (→ [max(0, 1 − x), 1 + x]) or as an explicit [min, max] range. */
export type FactorRange = number | readonly [number, number];

export interface ColorJitterOptions {
  brightness?: FactorRange;
  contrast?: FactorRange;
  saturation?: FactorRange;
  /** h (→ [−h, h]) or [min, max], within [−0.5, 0.5]. */
  hue?: FactorRange;
  /** Probability that the jitter is applied to a clip (RandomApply). Default 1. */
  p?: number;
}

export interface BlurOptions {
  /** Sigma range; drawn uniformly per clip. Default [0.1, 2.0] (SimCLR). */
  sigma?: readonly [number, number];
  /** Odd kernel size. Default: the odd number nearest 10% of the frame's shorter side (≥ 3). */
  kernelSize?: number;
  /** Probability per clip. Default 0.5. */
  p?: number;
}

export interface ClipTransformOptions {
  /** Output size [H, W] of the geometric step (required with resizedCrop). */
  size?: readonly [number, number];
  /** Random resized crop (boxes in frame pixels); false/absent = whole frame. */
  resizedCrop?: ResizedCropOptions | false;
  /** Probability of a horizontal flip. Default 0.5. */
  flip?: number;
  /** Quarter turns to choose from uniformly (random rotation). Default [0] (none). */
  rotations?: readonly number[];
  colorJitter?: ColorJitterOptions | false;
  /** Probability of converting a clip to grey. Default 0. */
  grayscale?: number;
  blur?: BlurOptions | false;
  /** Dataset mean/std applied last (per channel). */
  normalize?: Normalization | false;
}

export interface JitterParams {
  brightness: number;
  contrast: number;
  saturation: number;
  hue: number;
  /** Op order, a permutation of 0 brightness, 1 contrast, 2 saturation, 3 hue (disabled ops left out). */
  order: number[];
}

export interface ClipAugmentParams {
  /** Crop box in frame pixels; null = the whole frame. */
  crop: Box | null;
  flip: boolean;
  /** Counter-clockwise quarter turns. */
  rotation: number;
  jitter: JitterParams | null;
  grayscale: boolean;
  /** Blur sigma, or null for no blur. */
  blurSigma: number | null;
}

export const IDENTITY_PARAMS: ClipAugmentParams = Object.freeze({ crop: null, flip: false, rotation: 0, jitter: null, grayscale: false, blurSigma: null });

/** SimCLR / BYOL-style video defaults: crop 112², flip, jitter 0.4/0.4/0.4/0.1 at p 0.8, grey 0.2, blur 0.5. */
export const SIMCLR_VIDEO: ClipTransformOptions = {
  size: [112, 112],
  resizedCrop: { scale: [0.2, 1], ratio: [3 / 4, 4 / 3] },
  flip: 0.5,
  colorJitter: { brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1, p: 0.8 },
  grayscale: 0.2,
  blur: { sigma: [0.1, 2.0], p: 0.5 },
};

export function factorRange(name: string, f: FactorRange | undefined, center: number, bound?: readonly [number, number]): [number, number] | null {
  if (f === undefined) return null;
  let r: [number, number];
  if (typeof f === 'number') {
    if (!(f >= 0)) throw new Error(`colorJitter.${name} must be non-negative, got ${f}`);
    r = center === 0 ? [-f, f] : [Math.max(0, center - f), center + f];
  } else r = [f[0], f[1]];
  if (!(r[1] >= r[0])) throw new Error(`colorJitter.${name}: bad range [${r}]`);
  if (bound && (r[0] < bound[0] || r[1] > bound[1])) throw new Error(`colorJitter.${name} must lie within [${bound}], got [${r}]`);
  if (r[0] === center && r[1] === center) return null; // identity: torchvision leaves the op out
  return r;
}

/** torchvision's GaussianBlur default-free kernel: odd size nearest 10% of the shorter side. */
export function defaultBlurKernel(height: number, width: number): number {
  const k = Math.max(3, Math.round(0.1 * Math.min(height, width)));
  return Math.min(MAX_BLUR_KERNEL, k % 2 ? k : k + 1);
}

/** torchvision's gaussian_blur 1-D kernel: exp(−x²/(2σ²)) on x = −(k−1)/2 … (k−1)/2, normalised. */
export function gaussianWeights(ksize: number, sigma: number): Float64Array {
  const half = (ksize - 1) / 2;
  const w = new Float64Array(ksize);
  let sum = 0;
  for (let i = 0; i < ksize; i++) {
    const x = -half + i;
    w[i] = Math.exp(-0.5 * (x / sigma) ** 2);
    sum += w[i];
  }
  for (let i = 0; i < ksize; i++) w[i] /= sum;
  return w;
}

export interface ResolvedTransform {
  size: readonly [number, number] | null;
  resizedCrop: ResizedCropOptions | null;
  flip: number;
  rotations: number[];
  jitter: { p: number; ranges: ([number, number] | null)[] } | null;
  grayscale: number;
  blur: { sigma: [number, number]; kernelSize: number | null; p: number } | null;
  normalize: Normalization | null;
}

function prob(name: string, p: number): number {
  if (!(p >= 0 && p <= 1)) throw new Error(`${name}: probability must lie in [0, 1], got ${p}`);
  return p;
}

export function resolveTransform(o: ClipTransformOptions): ResolvedTransform {
  if (o.size && !(o.size.length === 2 && o.size.every((d) => Number.isInteger(d) && d > 0))) throw new Error(`transform: size must be [H, W] positive integers, got [${o.size}]`);
  if (o.resizedCrop && !o.size) throw new Error('transform: resizedCrop needs an output size');
  const rotations = [...(o.rotations ?? [0])];
  for (const q of rotations) if (!Number.isInteger(q) || q < 0 || q > 3) throw new Error(`transform: rotations are quarter turns 0–3, got ${q}`);
  let jitter: ResolvedTransform['jitter'] = null;
  if (o.colorJitter) {
    const c = o.colorJitter;
    const ranges = [
      factorRange('brightness', c.brightness, 1),
      factorRange('contrast', c.contrast, 1),
      factorRange('saturation', c.saturation, 1),
      factorRange('hue', c.hue, 0, [-0.5, 0.5]),
    ];
    if (ranges.some((r) => r)) jitter = { p: prob('colorJitter.p', c.p ?? 1), ranges };
  }
  let blur: ResolvedTransform['blur'] = null;
  if (o.blur) {
    const sigma = [...(o.blur.sigma ?? [0.1, 2.0])] as [number, number];
    if (!(sigma[0] > 0 && sigma[1] >= sigma[0])) throw new Error(`transform: blur sigma must be a range 0 < a <= b, got [${sigma}]`);
    const k = o.blur.kernelSize ?? null;
    if (k !== null && (!Number.isInteger(k) || k % 2 !== 1 || k > MAX_BLUR_KERNEL)) throw new Error(`transform: blur kernelSize must be odd and ≤ ${MAX_BLUR_KERNEL}, got ${k}`);
    blur = { sigma, kernelSize: k, p: prob('blur.p', o.blur.p ?? 0.5) };
  }
  return {
    size: o.size ?? null,
    resizedCrop: o.resizedCrop || null,
    flip: prob('flip', o.flip ?? 0.5),
    rotations,
    jitter,
    grayscale: prob('grayscale', o.grayscale ?? 0),
    blur,
    normalize: o.normalize || null,
  };
}

/**
 * Draws one clip's parameters. `frame` (the source frame size) is needed for the resized crop.
 * The draws happen in a fixed order, so a seed fixes every parameter.
 */
export function sampleParams(t: ResolvedTransform, rng: Random, frame?: { width: number; height: number }): ClipAugmentParams {
  let crop: Box | null = null;
  if (t.resizedCrop) {
    if (!frame) throw new Error('transform.sample: the resized crop needs the frame size');
    crop = sampleResizedCrop(rng, frame.width, frame.height, t.resizedCrop);
  }
  const flip = rng.chance(t.flip);
  const rotation = t.rotations.length > 1 ? rng.pick(t.rotations) : t.rotations[0];
  let jitter: JitterParams | null = null;
  if (t.jitter && rng.chance(t.jitter.p)) {
    const order = rng.permutation(4).filter((i) => t.jitter!.ranges[i]);
    const [b, c, s, h] = t.jitter.ranges.map((r, i) => (r ? rng.uniform(r[0], r[1]) : i === 3 ? 0 : 1));
    jitter = { brightness: b, contrast: c, saturation: s, hue: h, order };
  }
  const grayscale = t.grayscale > 0 && rng.chance(t.grayscale);
  let blurSigma: number | null = null;
  if (t.blur && rng.chance(t.blur.p)) blurSigma = rng.uniform(t.blur.sigma[0], t.blur.sigma[1]);
  return { crop, flip, rotation, jitter, grayscale, blurSigma };
}
