// STOR pair sampler: two clips of one video plus the labels of the pretext tasks — playback rate
// (speed), temporal overlap, spatial overlap, per-clip rotation and the clips' temporal order.
//
// A PURE function of (video length, frame size, options, random source): no hidden state, so the
// second clip can never depend on something left behind by the first (the reference cropper's
// bug), and both clips' frame indices are computed from the same timeline (the reference's
// "second clip read from the first clip's start" bug is impossible: the tests measure the overlap
// from the returned indices).
//
// Timeline. Both clips are windows of one sampled timeline p_m = base + floor(m·s) (s = playback
// rate): clip A is p_{a..a+T-1}, clip B is p_{b..b+T-1} with |a − b| = k steps. The clips then
// share exactly T − k frames and their covered intervals overlap by (T − k)/T, so the actual
// temporal overlap is (T − k)/T with k = round((1 − r)·T) for the class value r: within 1/(2T) of r.
//
// Space. Crop A is a random resized crop; crop B has A's size and is shifted diagonally towards
// one of the four corners by integers (dx, dy) with (w − dx)(h − dy) ≈ r·w·h (see diagonalShift:
// the actual spatial overlap is within 1/(2·max(w, h)) of r).
import type { Random } from '../random.ts';
import { drawCropSize, fallbackCropSize, type Box } from './crop.ts';

export interface StorOptions {
  /** Frames per clip (T), e.g. 16. */
  clipLength: number;
  /** Playback-rate classes (frames between samples), or a continuous range for regression. Default [1, 2, 4, 8]. */
  rates?: readonly number[] | { min: number; max: number };
  /** Temporal-overlap classes in [0, 1]. Default [1, 0.8, 0.6, 0.4, 0.2]. */
  temporalOverlaps?: readonly number[];
  /** Spatial-overlap classes in [0, 1]. Default [1, 0.8, 0.6, 0.4, 0.2]. */
  spatialOverlaps?: readonly number[];
  /** Rotation classes in quarter turns (counter-clockwise). Default [0, 1, 2, 3]. */
  rotations?: readonly number[];
  /** Area range of the first crop as a fraction of the frame. Default [0.2, 1]. */
  scale?: readonly [number, number];
  /** Aspect-ratio range (w/h) of the first crop. Default [3/4, 4/3]. */
  ratio?: readonly [number, number];
  /** Crop-size draws before the fallback. Default 10. */
  attempts?: number;
  /**
   * Accept only first-crop sizes that fit the pair at EVERY spatial class, so the crop-size
   * distribution is the same for all classes (no size shortcut to the spatial label). Crops are
   * then at most ~41% of the frame with the default classes. Default false (the reference's way:
   * sizes are resampled per class, so small overlaps come with smaller crops on average).
   */
  decorrelateScale?: boolean;
  /**
   * One rotation for both clips of a pair (each clip still carries its rotation label). Default
   * false: independent rotations, as in the reference, so a contrastive objective on the pair
   * must also be rotation-invariant and STOR's spatial head compares crops turned differently.
   */
  sharedRotation?: boolean;
}

export interface ResolvedStorOptions {
  clipLength: number;
  rates: number[] | { min: number; max: number };
  temporalOverlaps: number[];
  /** Shift in timeline steps for each temporal class: round((1 − r)·T). */
  temporalShifts: number[];
  spatialOverlaps: number[];
  rotations: number[];
  scale: [number, number];
  ratio: [number, number];
  attempts: number;
  decorrelateScale: boolean;
  sharedRotation: boolean;
}

export interface StorClip {
  /** Frame indices in clip order (length T); repeated when the video loops. */
  frames: number[];
  /** Positions on the unwrapped timeline (frames = positions mod L). */
  positions: number[];
  /** Crop box in frame pixels. */
  crop: Box;
  /** Rotation class index (into options.rotations). */
  rotationClass: number;
  /** Rotation in counter-clockwise quarter turns (0–3). */
  rotation: number;
}

export interface StorLabels {
  /** Playback-rate class index (−1 with continuous rates). */
  speed: number;
  temporal: number;
  spatial: number;
  /** Rotation class of clip A and clip B. */
  rotation: [number, number];
  /**
   * Temporal order of the two clips (see clipOrder): 0 when clip A (view 0) is the earlier one,
   * 1 when clip B (view 1) is, −1 when the two clips show the same frame sequence (temporal
   * overlap 1, i.e. a shift of k = 0 steps; or a looping video whose shift is a whole number of
   * loops), where order is undefined: the clip-order task leaves such samples out of its loss.
   */
  order: -1 | 0 | 1;
}

export interface StorPair {
  clips: [StorClip, StorClip];
  labels: StorLabels;
  /** Playback rate of both clips (the class value, or the continuous draw). */
  rate: number;
  /** Actual temporal overlap (T − k)/T, within 1/(2T) of the class value. */
  temporalOverlap: number;
  /** Signed shift of clip B relative to clip A, in timeline steps (k or −k). */
  shift: number;
  /** Actual spatial overlap |A ∩ B| / |A|, within 1/(2·max(w, h)) of the class value. */
  spatialOverlap: number;
  /** Clip B's crop offset from clip A's (signed pixels). */
  cropShift: { dx: number; dy: number };
  /** True when the video was too short even for the slowest rate and the timeline loops. */
  wrapped: boolean;
}

export const STOR_DEFAULTS = {
  rates: [1, 2, 4, 8],
  temporalOverlaps: [1, 0.8, 0.6, 0.4, 0.2],
  spatialOverlaps: [1, 0.8, 0.6, 0.4, 0.2],
  rotations: [0, 1, 2, 3],
  scale: [0.2, 1] as [number, number],
  ratio: [3 / 4, 4 / 3] as [number, number],
  attempts: 10,
};

function classes(name: string, v: readonly number[], lo: number, hi: number): number[] {
  if (!Array.isArray(v) || v.length === 0) throw new Error(`STOR: ${name} must be a non-empty array`);
  for (const x of v) if (!(x >= lo && x <= hi) || !Number.isFinite(x)) throw new Error(`STOR: ${name} values must lie in [${lo}, ${hi}], got ${x}`);
  if (new Set(v).size !== v.length) throw new Error(`STOR: ${name} has duplicates: [${v}]`);
  return [...v];
}

/** Temporal shift in timeline steps for overlap class r and clip length T. */
export function temporalShiftSteps(r: number, clipLength: number): number {
  return Math.round((1 - r) * clipLength);
}

/** Validates options and fills defaults; throws when the classes cannot be told apart at this T. */
export function resolveStorOptions(o: StorOptions): ResolvedStorOptions {
  const T = o.clipLength;
  if (!Number.isInteger(T) || T < 1) throw new Error(`STOR: clipLength must be a positive integer, got ${T}`);
  let rates: ResolvedStorOptions['rates'];
  const r = o.rates ?? STOR_DEFAULTS.rates;
  if (Array.isArray(r)) rates = classes('rates', r, Number.MIN_VALUE, Number.MAX_VALUE);
  else {
    const c = r as { min: number; max: number };
    if (!(c.min > 0) || !(c.max >= c.min) || !Number.isFinite(c.max)) throw new Error(`STOR: continuous rates need 0 < min <= max, got ${JSON.stringify(c)}`);
    rates = { min: c.min, max: c.max };
  }
  const temporalOverlaps = classes('temporalOverlaps', o.temporalOverlaps ?? STOR_DEFAULTS.temporalOverlaps, 0, 1);
  const temporalShifts = temporalOverlaps.map((v) => temporalShiftSteps(v, T));
  // The actual overlap (T − k)/T must be nearer to its own class value than to any other.
  temporalOverlaps.forEach((v, i) => {
    const actual = (T - temporalShifts[i]) / T;
    temporalOverlaps.forEach((u, j) => {
      if (j !== i && Math.abs(actual - u) <= Math.abs(actual - v)) {
        throw new Error(`STOR: with clipLength ${T} the temporal overlap classes ${v} and ${u} cannot be told apart ` +
          `(both round to ${T - temporalShifts[i]}/${T} shared frames); use a longer clip or fewer classes`);
      }
    });
  });
  const spatialOverlaps = classes('spatialOverlaps', o.spatialOverlaps ?? STOR_DEFAULTS.spatialOverlaps, 0, 1);
  const rotations = classes('rotations', o.rotations ?? STOR_DEFAULTS.rotations, 0, 3);
  for (const q of rotations) if (!Number.isInteger(q)) throw new Error(`STOR: rotations are quarter turns 0–3, got ${q}`);
  const scale = [...(o.scale ?? STOR_DEFAULTS.scale)] as [number, number];
  const ratio = [...(o.ratio ?? STOR_DEFAULTS.ratio)] as [number, number];
  if (!(scale[0] > 0 && scale[1] >= scale[0] && scale[1] <= 1)) throw new Error(`STOR: scale must satisfy 0 < a <= b <= 1, got [${scale}]`);
  if (!(ratio[0] > 0 && ratio[1] >= ratio[0])) throw new Error(`STOR: ratio must satisfy 0 < a <= b, got [${ratio}]`);
  const attempts = o.attempts ?? STOR_DEFAULTS.attempts;
  return { clipLength: T, rates, temporalOverlaps, temporalShifts, spatialOverlaps, rotations, scale, ratio, attempts, decorrelateScale: o.decorrelateScale ?? false, sharedRotation: o.sharedRotation ?? false };
}

/**
 * Integer diagonal shift (dx, dy) ≥ 0 of a w × h box whose overlap with the unshifted box,
 * (w − dx)(h − dy), is nearest to r·w·h; ties go to the most diagonal shift (dx/w ≈ dy/h).
 *
 * Bound: with a = 1 − √r, the candidate dx₀ = ⌊a·w⌋ has the real ideal dy* = h − r·w·h/(w − dx₀),
 * which lies in [h(1 − √r), h] ⊂ [0, h] (because w − dx₀ ≥ (1 − a)·w = √r·w), and rounding dy*
 * to an integer changes the overlap area by at most (w − dx₀)/2 ≤ w/2 pixels; symmetrically ≤ h/2
 * from the dy side. The best candidate is at least as good, so |overlap − r| ≤ min(w, h)/(2·w·h)
 * = 1/(2·max(w, h)): under 1% for crops of 50 px or more.
 */
export function diagonalShift(w: number, h: number, r: number): { dx: number; dy: number; overlap: number } {
  const area = w * h;
  const target = r * area;
  const a = 1 - Math.sqrt(r);
  let best = { dx: 0, dy: 0, err: Infinity, skew: Infinity };
  const consider = (dx: number, dy: number) => {
    if (dx < 0 || dx > w || dy < 0 || dy > h) return;
    const err = Math.abs((w - dx) * (h - dy) - target);
    const skew = Math.abs(dx / w - dy / h);
    if (err < best.err - 1e-9 || (Math.abs(err - best.err) <= 1e-9 && skew < best.skew)) best = { dx, dy, err, skew };
  };
  const fromOne = (along: number, other: number, swap: boolean) => {
    for (const d of [Math.floor(a * along), Math.ceil(a * along)]) {
      if (d < 0 || d > along) continue;
      const rest = along - d;
      const ideal = rest > 0 ? other - target / rest : other;
      for (const e of [Math.floor(ideal), Math.ceil(ideal)]) {
        const c = Math.min(other, Math.max(0, e));
        if (swap) consider(c, d);
        else consider(d, c);
      }
    }
  };
  fromOne(w, h, false);
  fromOne(h, w, true);
  return { dx: best.dx, dy: best.dy, overlap: ((w - best.dx) * (h - best.dy)) / area };
}

/** Largest rate class index set allowed for a video of `length` frames (pair must fit for every overlap class). */
export function allowedRates(length: number, o: ResolvedStorOptions): number[] {
  if (!Array.isArray(o.rates)) return [];
  const kmax = Math.max(...o.temporalShifts);
  const steps = o.clipLength - 1 + kmax;
  return o.rates.map((s, i) => (Math.floor(steps * s) + 1 <= length ? i : -1)).filter((i) => i >= 0);
}

/**
 * Samples a STOR pair for a video of `length` frames of `width` × `height` pixels.
 * Rates are limited to those for which both clips fit at every temporal-overlap class
 * (floor((T − 1 + k_max)·s) + 1 ≤ L), so speed and temporal labels stay independent; when not even
 * the slowest rate fits, the slowest is used on a looping timeline (frames = positions mod L).
 */
export function sampleStorPair(length: number, width: number, height: number, options: StorOptions | ResolvedStorOptions, rng: Random): StorPair {
  const o = 'temporalShifts' in options ? options : resolveStorOptions(options);
  if (!Number.isInteger(length) || length < 1) throw new Error(`STOR: the video needs at least one frame (length ${length})`);
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 2 || height < 2) throw new Error(`STOR: bad frame size ${width}×${height}`);
  const T = o.clipLength;
  const kmax = Math.max(...o.temporalShifts);

  // Playback rate.
  let rate: number;
  let speed: number;
  let wrapped = false;
  if (Array.isArray(o.rates)) {
    const allowed = allowedRates(length, o);
    if (allowed.length) speed = rng.pick(allowed);
    else {
      wrapped = true;
      speed = o.rates.indexOf(Math.min(...o.rates));
    }
    rate = o.rates[speed];
  } else {
    speed = -1;
    const smax = (length - 1) / (T - 1 + kmax);
    if (smax >= o.rates.min) rate = rng.uniform(o.rates.min, Math.min(o.rates.max, smax));
    else {
      wrapped = true;
      rate = o.rates.min;
    }
    // rng.uniform stays below its upper end, so floor((T − 1 + kmax)·rate) ≤ L − 1 holds.
  }

  // Temporal overlap: clip B is k steps after (or before) clip A on the sampled timeline.
  const temporal = rng.below(o.temporalOverlaps.length);
  const k = o.temporalShifts[temporal];
  const after = rng.below(2) === 0;
  const steps = T + k; // union of both windows, in timeline steps
  const lastOffset = Math.floor((steps - 1) * rate);
  const base = wrapped ? rng.int(0, length - 1) : rng.int(0, length - 1 - lastOffset);
  const window = (first: number) => {
    const positions = Array.from({ length: T }, (_, j) => base + Math.floor((first + j) * rate));
    return { positions, frames: positions.map((p) => p % length) };
  };
  const a = window(after ? 0 : k);
  const b = window(after ? k : 0);

  // Spatial overlap: crop B = crop A shifted diagonally by (±dx, ±dy).
  const spatial = rng.below(o.spatialOverlaps.length);
  const r = o.spatialOverlaps[spatial];
  const fitsAt = (w: number, h: number, q: number) => {
    const s = diagonalShift(w, h, q);
    return w + s.dx <= width && h + s.dy <= height;
  };
  const fits = o.decorrelateScale ? (w: number, h: number) => o.spatialOverlaps.every((q) => fitsAt(w, h, q)) : (w: number, h: number) => fitsAt(w, h, r);
  let size = drawCropSize(rng, width, height, { scale: o.scale, ratio: o.ratio, attempts: o.attempts }, fits);
  if (!size) {
    // torchvision's centre-crop fallback, shrunk (keeping its aspect) until the pair fits.
    const f = fallbackCropSize(width, height, o.ratio);
    const n = Math.max(f.w, f.h);
    for (let i = n; i >= 1; i--) {
      const w = Math.max(1, Math.round((f.w * i) / n));
      const h = Math.max(1, Math.round((f.h * i) / n));
      if (fits(w, h)) {
        size = { w, h };
        break;
      }
    }
    size ??= { w: 1, h: 1 };
  }
  const { w, h } = size;
  const shift = diagonalShift(w, h, r);
  const sx = rng.below(2) === 0 ? 1 : -1;
  const sy = rng.below(2) === 0 ? 1 : -1;
  const dx = sx * shift.dx;
  const dy = sy * shift.dy;
  const x = rng.int(Math.max(0, -dx), width - w - Math.max(0, dx));
  const y = rng.int(Math.max(0, -dy), height - h - Math.max(0, dy));
  const cropA: Box = { x, y, w, h };
  const cropB: Box = { x: x + dx, y: y + dy, w, h };

  const rotA = rng.below(o.rotations.length);
  const rotB = o.sharedRotation ? rotA : rng.below(o.rotations.length);

  return {
    clips: [
      { ...a, crop: cropA, rotationClass: rotA, rotation: o.rotations[rotA] },
      { ...b, crop: cropB, rotationClass: rotB, rotation: o.rotations[rotB] },
    ],
    // Order from the clips themselves (not from `after`): with k > 0 it is `after ? 0 : 1` except
    // where the shift leaves the frames identical (a continuous rate < 1/k, a loop of k·rate frames).
    labels: { speed, temporal, spatial, rotation: [rotA, rotB], order: clipOrder(a, b) },
    rate,
    temporalOverlap: (T - k) / T,
    shift: after ? k : -k,
    spatialOverlap: shift.overlap,
    cropShift: { dx, dy },
    wrapped,
  };
}

/**
 * The order label of two clips, measured from what they contain: −1 when their frame sequences are
 * identical (nothing tells them apart), else 0 when clip A's temporal centre (mean position on the
 * unwrapped timeline) is earlier than clip B's and 1 when it is later. Both clips are windows of
 * one non-decreasing timeline shifted by k steps, so one clip's positions are ≥ the other's
 * element by element: equal centres imply equal positions (hence equal frames), and for k > 0 the
 * later clip also starts no earlier and ends no earlier than the other one.
 */
export function clipOrder(a: Pick<StorClip, 'frames' | 'positions'>, b: Pick<StorClip, 'frames' | 'positions'>): -1 | 0 | 1 {
  if (a.frames.length === b.frames.length && a.frames.every((f, i) => f === b.frames[i])) return -1;
  const centre = (c: Pick<StorClip, 'positions'>) => c.positions.reduce((s, x) => s + x, 0);
  const ca = centre(a);
  const cb = centre(b);
  return ca < cb ? 0 : ca > cb ? 1 : -1;
}

/** Sorted distinct frame indices both clips of a pair need (what a decoder must produce). */
export function pairFrames(pair: StorPair): number[] {
  return [...new Set([...pair.clips[0].frames, ...pair.clips[1].frames])].sort((p, q) => p - q);
}
