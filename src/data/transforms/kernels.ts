// Launchers of the augmentation kernels on float32 clips: the clip kernel (shaders/aug_clip.wgsl,
// shared with src/video's framesToBatch: crop + resize + rotation + flip + colour jitter + grey +
// normalisation, each output written once) and the separable blur (shaders/aug_blur.wgsl). Each
// writes a contiguous [N, C, T, H, W] output (or a slot of one, at an element offset), so a batch
// is built with a few dispatches and no copies.
import { Tensor, tensor } from '../../engine/index.ts';
import { runtime } from '../../engine/kernels/runtime.ts';
import { empty } from '../../engine/ops/launch.ts';
import { dispatchClipKernel, packClipRecords, type ClipColor, type Crop } from '../../video/clip.ts';

/** Largest blur kernel the blur kernel accepts. */
export const MAX_BLUR_KERNEL = 63;

export interface Normalization {
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
}

/** The strides of x as [n, c, t, y, x] (rank 4 gets n-stride 0) and its sizes. */
function layout(op: string, x: Tensor): { n: number; c: number; t: number; h: number; w: number; strides: number[] } {
  x.assertLive(op);
  if (x.dtype !== 'float32') throw new Error(`${op}: expected a float32 clip, got ${x.dtype}`);
  if (x.rank === 4) {
    const [c, t, h, w] = x.shape;
    return { n: 1, c, t, h, w, strides: [0, ...x.strides] };
  }
  if (x.rank === 5) {
    const [n, c, t, h, w] = x.shape;
    return { n, c, t, h, w, strides: [...x.strides] };
  }
  throw new Error(`${op}: expected a clip [C, T, H, W] or a batch [N, C, T, H, W], got [${x.shape.join(', ')}]`);
}

function checkParams(op: string, params: Tensor): void {
  params.assertLive(op);
  if (params.offset !== 0 || params.dtype !== 'float32') throw new Error(`${op}: parameters must be a float32 tensor of its own (from uploadParams)`);
}

function checkOut(op: string, out: Tensor, offset: number, count: number): void {
  out.assertLive(op);
  if (!out.isContiguous() || out.dtype !== 'float32') throw new Error(`${op}: the output must be a contiguous float32 tensor`);
  if (offset + count > out.size) throw new Error(`${op}: output slot [${offset}, ${offset + count}) exceeds the output's ${out.size} elements`);
}

function norm(n?: Normalization): { on: number; mean: number[]; inv: number[] } {
  if (!n) return { on: 0, mean: [0, 0, 0, 0], inv: [1, 1, 1, 1] };
  for (const s of n.std) if (!(s > 0)) throw new Error(`normalisation: std must be positive, got [${n.std}]`);
  return { on: 1, mean: [...n.mean, 0], inv: [...n.std.map((s) => 1 / s), 1] };
}

/** One clip's geometry and colour for clipKernel. */
export interface ClipOps {
  /** Crop box in input pixels (null: the whole frame). */
  crop: Crop | null;
  /** Quarter turns (torch.rot90 over (H, W)), 0..3. */
  rotation: number;
  flip: boolean;
  color: ClipColor | null;
}

/**
 * Crop + bilinear resize to `size` + rotation + flip + colour (+ normalisation, per clip as
 * `color.normalize` says) of the N clips of `x` (a clip [3, T, H, W] or a batch [N, 3, T, H, W],
 * any strides) into `out` from element `outOffset` (contiguous [N, 3, T, oh, ow]). One dispatch.
 */
export function clipKernel(x: Tensor, ops: readonly ClipOps[], out: Tensor, outOffset: number, size: readonly [number, number], normalize?: Normalization): void {
  const op = 'augment.clip';
  const l = layout(op, x);
  if (l.c !== 3) throw new Error(`${op}: clip augmentation needs 3 channels, got ${l.c}`);
  if (ops.length !== l.n) throw new Error(`${op}: ${l.n} clips but ${ops.length} parameter sets`);
  const [oh, ow] = size;
  checkOut(op, out, outOffset, l.n * 3 * l.t * oh * ow);
  const [sn, sc, st, sy, sx] = l.strides;
  const records = packClipRecords(
    ops.map((q, n) => {
      const c = q.crop ?? { x: 0, y: 0, w: l.w, h: l.h };
      if (!(c.x >= 0 && c.y >= 0 && c.w >= 1 && c.h >= 1 && c.x + c.w <= l.w && c.y + c.h <= l.h)) throw new Error(`${op}: crop ${JSON.stringify(c)} lies outside the ${l.w}×${l.h} frame`);
      if (!Number.isInteger(q.rotation) || q.rotation < 0 || q.rotation > 3) throw new Error(`${op}: rotation must be 0–3 quarter turns, got ${q.rotation}`);
      return { sw: l.w, sh: l.h, frames: Array.from({ length: l.t }, (_, t) => x.offset + n * sn + t * st), crop: c, rotation: q.rotation, flip: q.flip, color: q.color };
    }),
    size,
    false,
  );
  const nz = norm(normalize);
  const params = tensor(new Int32Array(records.buffer), undefined, { dtype: 'int32' });
  try {
    dispatchClipKernel(op, false, params.storage.buffer, 0, x.storage.buffer, l.n, l.t, size, { mean: nz.mean, invStd: nz.inv }, out, outOffset, [sc, sy, sx]);
  } finally {
    params.dispose();
  }
}

/**
 * One separable blur pass over the blurred clips of a batch. Axis 0 (along W) reads the clips of
 * `batch` named in `params` and writes them compactly into `scratch` [nb, C, T, H, W]; axis 1
 * (along H) reads `scratch` and writes the clips back into `batch` (optionally normalising).
 * `params`: (1 + ksize) floats per blurred clip — its index in the batch, then the weights.
 */
export function blurPass(axis: 0 | 1, batch: Tensor, scratch: Tensor, params: Tensor, blurred: number, ksize: number, normalize?: Normalization): void {
  const op = 'augment.blur';
  checkParams(op, params);
  for (const t of [batch, scratch]) {
    t.assertLive(op);
    if (t.rank !== 5 || !t.isContiguous() || t.offset !== 0 || t.dtype !== 'float32') throw new Error(`${op}: batch and scratch must be contiguous float32 [N, C, T, H, W] tensors of their own`);
  }
  const [, c, T, h, w] = batch.shape;
  if (scratch.shape[0] < blurred || scratch.shape.slice(1).some((d, i) => d !== batch.shape[i + 1])) throw new Error(`${op}: scratch [${scratch.shape}] does not fit ${blurred} clips of [${batch.shape.slice(1)}]`);
  if (ksize % 2 !== 1 || ksize > MAX_BLUR_KERNEL) throw new Error(`${op}: kernel size must be odd and ≤ ${MAX_BLUR_KERNEL}, got ${ksize}`);
  if (Math.floor(ksize / 2) >= (axis === 0 ? w : h)) throw new Error(`${op}: kernel size ${ksize} is too large for a ${h}×${w} frame (reflect padding)`);
  if (normalize && c !== 3) throw new Error(`${op}: normalisation needs 3 channels`);
  const nz = norm(normalize);
  const planes = blurred * c * T;
  const [src, dst] = axis === 0 ? [batch, scratch] : [scratch, batch];
  const vec = w % 4 === 0;
  const defines = vec
    ? { AXIS: axis, KSIZE: ksize, VEC: 'true', ELEM: 'vec4<f32>', LD: 'X[i >> 2u][i & 3u]', LD4: 'X[i >> 2u]', ST: 'OUT[i >> 2u][i & 3u] = v', ST4: 'OUT[i >> 2u] = v' }
    : { AXIS: axis, KSIZE: ksize, VEC: 'false', ELEM: 'f32', LD: 'X[i]', LD4: 'vec4<f32>(X[i], X[i + 1u], X[i + 2u], X[i + 3u])', ST: 'OUT[i] = v', ST4: 'OUT[i] = v.x; OUT[i + 1u] = v.y; OUT[i + 2u] = v.z; OUT[i + 3u] = v.w' };
  for (let z0 = 0; z0 < planes; z0 += 65535) {
    runtime().dispatch(
      op,
      { shader: 'aug_blur', defines },
      (u) => {
        u.u32(w, h, c * T, T, ksize, nz.on, z0, 0);
        u.f32(...nz.mean).f32(...nz.inv);
      },
      [src.storage.buffer, params.storage.buffer, dst.storage.buffer],
      1,
      1,
      Math.min(65535, planes - z0),
    );
  }
}

/** Uploads a parameter block (one small write per call). */
export function uploadParams(values: Float32Array): Tensor {
  return tensor(values.length ? values : new Float32Array(1));
}

/** A new contiguous float32 batch [N, C, T, H, W]. */
export function emptyBatch(shape: readonly number[]): Tensor {
  return empty('augment', shape, 'float32');
}
