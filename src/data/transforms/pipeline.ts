// A clip transform pipeline: `sample(rng)` draws one clip's parameters on the CPU; `apply` runs
// them on the GPU for a clip [C, T, H, W] or a batch [N, C, T, H, W]: one resample dispatch for the
// batch, one colour + grey (+ normalise) dispatch per clip, and two blur passes over the clips that
// are blurred (the second normalises them). Every frame of a clip gets the same parameters.
import { Tensor, tidy } from '../../engine/index.ts';
import type { Random } from '../random.ts';
import { blurPass, colorKernel, emptyBatch, resampleKernel, uploadParams, RESAMPLE_PARAMS } from './kernels.ts';
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
}

function packResampleParams(params: readonly ClipAugmentParams[], h: number, w: number): Float32Array {
  const p = new Float32Array(params.length * RESAMPLE_PARAMS);
  params.forEach((q, i) => {
    const c = q.crop ?? { x: 0, y: 0, w, h };
    if (c.x < 0 || c.y < 0 || c.x + c.w > w || c.y + c.h > h || c.w < 1 || c.h < 1) throw new Error(`transform: crop ${JSON.stringify(c)} lies outside the ${w}×${h} frame`);
    p.set([c.x, c.y, c.w, c.h, q.rotation, q.flip ? 1 : 0], i * RESAMPLE_PARAMS);
  });
  return p;
}

export function createClipTransform(options: ClipTransformOptions = {}): ClipTransform {
  const t = resolveTransform(options);
  const normalize = t.normalize ?? undefined;

  /** Colour/grey/blur/normalisation of the clips (already geometric) into a new batch. */
  function photometric(inputs: readonly Tensor[], params: readonly ClipAugmentParams[]): Tensor {
    const first = inputs[0];
    const [c, T, H, W] = first.rank === 5 ? first.shape.slice(1) : first.shape;
    const n = params.length;
    const counted = inputs.reduce((s, x) => s + (x.rank === 5 ? x.shape[0] : 1), 0);
    if (counted !== n) throw new Error(`transform: ${counted} clips but ${n} parameter sets`);
    for (const x of inputs) {
      const s = x.rank === 5 ? x.shape.slice(1) : x.shape;
      if (s.length !== 4 || s[0] !== c || s[1] !== T || s[2] !== H || s[3] !== W) throw new Error(`transform: clips differ in shape ([${first.shape}] vs [${x.shape}])`);
    }
    const blurring = params.some((q) => q.blurSigma !== null);
    return tidy(() => {
      // Colour + grey for every clip, written slot by slot into a new batch; clips that are not
      // blurred are normalised here, blurred ones by the blur's second pass.
      const batch = emptyBatch([n, c, T, H, W]);
      let at = 0;
      for (const x of inputs) {
        const count = x.rank === 5 ? x.shape[0] : 1;
        for (let i = 0; i < count; i++, at++) {
          const q = params[at];
          colorKernel(x, i, { jitter: q.jitter, grayscale: q.grayscale, normalizeHere: q.blurSigma === null }, batch, at * c * T * H * W, normalize);
        }
      }
      if (!blurring) return batch;
      const k = t.blur?.kernelSize ?? defaultBlurKernel(H, W);
      const blurred = params.map((q, i) => (q.blurSigma === null ? -1 : i)).filter((i) => i >= 0);
      const bp = new Float32Array(blurred.length * (1 + k));
      blurred.forEach((i, j) => {
        bp[j * (1 + k)] = i;
        bp.set(gaussianWeights(k, params[i].blurSigma!), j * (1 + k) + 1);
      });
      const bpt = uploadParams(bp);
      const scratch = emptyBatch([blurred.length, c, T, H, W]);
      blurPass(0, batch, scratch, bpt, blurred.length, k);
      blurPass(1, batch, scratch, bpt, blurred.length, k, normalize);
      return batch;
    });
  }

  return {
    options: t,
    sample: (rng, frame) => sampleParams(t, rng, frame),
    apply(x, params) {
      const list = Array.isArray(params) ? (params as readonly ClipAugmentParams[]) : [params as ClipAugmentParams];
      const n = x.rank === 5 ? x.shape[0] : 1;
      if (x.rank !== 4 && x.rank !== 5) throw new Error(`transform.apply: expected [C, T, H, W] or [N, C, T, H, W], got [${x.shape}]`);
      if (list.length !== n) throw new Error(`transform.apply: ${n} clips but ${list.length} parameter sets`);
      const [c, T, H, W] = x.rank === 5 ? x.shape.slice(1) : x.shape;
      const [oh, ow] = t.size ?? [H, W];
      const geometric = list.some((q) => q.crop || q.flip || q.rotation % 4 !== 0) || oh !== H || ow !== W;
      const out = tidy(() => {
        let g = x;
        if (geometric) {
          g = emptyBatch([n, c, T, oh, ow]);
          const rp = uploadParams(packResampleParams(list, H, W));
          resampleKernel(x, rp, g, [oh, ow]);
        }
        return photometric([g], list);
      });
      if (x.rank === 5) return out;
      const clip = out.reshape(out.shape.slice(1));
      out.dispose();
      return clip;
    },
    applyPhotometric(clips, params) {
      const inputs = clips instanceof Tensor ? [clips] : [...clips];
      if (inputs.length === 0) throw new Error('transform.applyPhotometric: no clips');
      return photometric(inputs, params);
    },
  };
}
