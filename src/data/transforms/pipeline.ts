// A clip transform pipeline: `sample(rng)` draws one clip's parameters on the CPU; `apply` runs
// them on the GPU for a clip [C, T, H, W] or a batch [N, C, T, H, W]: one clip-kernel dispatch for
// the batch (crop, resize, rotation, flip, colour jitter, grey and normalisation of the clips that
// are not blurred, every output written once), then two blur passes over the clips that are
// blurred (the second normalises them). Every frame of a clip gets the same parameters. The pair
// loader runs the same kernel on decoded I420 frames (src/video's framesToBatches with `color`),
// then `finish` for the blur.
import { Tensor, tidy } from '../../engine/index.ts';
import type { ClipColor } from '../../video/clip.ts';
import type { Random } from '../random.ts';
import { blurPass, clipKernel, emptyBatch, uploadParams, type Normalization } from './kernels.ts';
import { defaultBlurKernel, gaussianWeights, resolveTransform, sampleParams, type ClipAugmentParams, type ClipTransformOptions, type ResolvedTransform } from './params.ts';

export interface ClipTransform {
  readonly options: ResolvedTransform;
  /** Draws one clip's parameters (frame: source frame size, needed by the resized crop). */
  sample(rng: Random, frame?: { width: number; height: number }): ClipAugmentParams;
  /**
   * Applies parameters to a clip [C, T, H, W] (one params object) or a batch [N, C, T, H, W]
   * (an array of N). Returns a new contiguous tensor; the input is left alone.
   */
  apply(x: Tensor, params: ClipAugmentParams | readonly ClipAugmentParams[]): Tensor;
  /**
   * The photometric part only (jitter, grey, blur, normalisation) for clips whose geometry was
   * already applied (e.g. by framesToClip): N clips [3, T, H, W] (or one batch) → a new batch
   * [N, 3, T, H, W], written slot by slot with no stacking copy.
   */
  applyPhotometric(clips: Tensor | readonly Tensor[], params: readonly ClipAugmentParams[]): Tensor;
  /** The colour step of one clip as the clip kernel takes it (normalised there unless blurred). */
  color(params: ClipAugmentParams): ClipColor;
  /** The normalisation (applied last), if any. */
  readonly normalize: Normalization | null;
  /**
   * The blur of a batch [N, 3, T, H, W] whose clips went through the clip kernel with `color`:
   * blurs (and normalises) the blurred clips in place.
   */
  finish(batch: Tensor, params: readonly ClipAugmentParams[]): void;
}


export function createClipTransform(options: ClipTransformOptions = {}): ClipTransform {
  const t = resolveTransform(options);
  const normalize = t.normalize ?? undefined;
  const color = (q: ClipAugmentParams): ClipColor => ({ jitter: q.jitter, grayscale: q.grayscale, normalize: q.blurSigma === null });

  /** Blur (+ normalisation) of the blurred clips of `batch`, in place. */
  function finish(batch: Tensor, params: readonly ClipAugmentParams[]): void {
    const blurred = params.map((q, i) => (q.blurSigma === null ? -1 : i)).filter((i) => i >= 0);
    if (blurred.length === 0) return;
    const [, c, T, H, W] = batch.shape;
    const k = t.blur?.kernelSize ?? defaultBlurKernel(H, W);
    tidy(() => {
      const bp = new Float32Array(blurred.length * (1 + k));
      blurred.forEach((i, j) => {
        bp[j * (1 + k)] = i;
        bp.set(gaussianWeights(k, params[i].blurSigma!), j * (1 + k) + 1);
      });
      const bpt = uploadParams(bp);
      const scratch = emptyBatch([blurred.length, c, T, H, W]);
      blurPass(0, batch, scratch, bpt, blurred.length, k);
      blurPass(1, batch, scratch, bpt, blurred.length, k, normalize);
    });
  }

  /** The clip kernel over each input (slot by slot into one new batch of `size`), then the blur. */
  function run(inputs: readonly Tensor[], params: readonly ClipAugmentParams[], size: readonly [number, number] | null, geometry: boolean): Tensor {
    const first = inputs[0];
    const [c, T, H, W] = first.rank === 5 ? first.shape.slice(1) : first.shape;
    const n = params.length;
    const counted = inputs.reduce((s, x) => s + (x.rank === 5 ? x.shape[0] : 1), 0);
    if (counted !== n) throw new Error(`transform: ${counted} clips but ${n} parameter sets`);
    for (const x of inputs) {
      const s = x.rank === 5 ? x.shape.slice(1) : x.shape;
      if (s.length !== 4 || s[0] !== c || s[1] !== T || s[2] !== H || s[3] !== W) throw new Error(`transform: clips differ in shape ([${first.shape}] vs [${x.shape}])`);
    }
    const [oh, ow] = size ?? [H, W];
    const batch = emptyBatch([n, c, T, oh, ow]);
    try {
      let at = 0;
      for (const x of inputs) {
        const count = x.rank === 5 ? x.shape[0] : 1;
        const ops = params.slice(at, at + count).map((q) => (geometry ? { crop: q.crop, rotation: q.rotation % 4, flip: q.flip, color: color(q) } : { crop: null, rotation: 0, flip: false, color: color(q) }));
        clipKernel(x, ops, batch, at * c * T * oh * ow, [oh, ow], normalize);
        at += count;
      }
      finish(batch, params);
    } catch (err) {
      batch.dispose();
      throw err;
    }
    return batch;
  }

  return {
    options: t,
    normalize: t.normalize,
    color,
    finish,
    sample: (rng, frame) => sampleParams(t, rng, frame),
    apply(x, params) {
      const list = Array.isArray(params) ? (params as readonly ClipAugmentParams[]) : [params as ClipAugmentParams];
      const n = x.rank === 5 ? x.shape[0] : 1;
      if (x.rank !== 4 && x.rank !== 5) throw new Error(`transform.apply: expected [C, T, H, W] or [N, C, T, H, W], got [${x.shape}]`);
      if (list.length !== n) throw new Error(`transform.apply: ${n} clips but ${list.length} parameter sets`);
      const out = run([x], list, t.size, true);
      if (x.rank === 5) return out;
      const clip = out.reshape(out.shape.slice(1));
      out.dispose();
      return clip;
    },
    applyPhotometric(clips, params) {
      const inputs = clips instanceof Tensor ? [clips] : [...clips];
      if (inputs.length === 0) throw new Error('transform.applyPhotometric: no clips');
      return run(inputs, params, null, false);
    },
  };
}
