// Launchers of the augmentation kernels (shaders/aug_*.wgsl). Each takes per-clip parameters as
// a small f32 array uploaded once per call, and writes a contiguous [N, C, T, H, W] output (or a
// slot of one, at an element offset), so a batch is built with a few dispatches and no copies.
import { Tensor, tensor } from '../../engine/index.ts';
import { runtime, groupsFor } from '../../engine/kernels/runtime.ts';
import { empty } from '../../engine/ops/launch.ts';

/** Floats per clip in the resample kernel's parameter block. */
export const RESAMPLE_PARAMS = 8;
/** Largest blur kernel the blur kernel accepts. */
export const MAX_BLUR_KERNEL = 63;
/** Outputs per invocation of the blur kernel (RUN in shaders/aug_blur.wgsl). */
const BLUR_RUN = 8;

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

/** What the colour kernel does to one clip. */
export interface ColorOps {
  /** Jitter op order (0 brightness, 1 contrast, 2 saturation, 3 hue) and factors; null = none. */
  jitter: { order: readonly number[]; brightness: number; contrast: number; saturation: number; hue: number } | null;
  grayscale: boolean;
  /** Normalise with `normalize` here (false when a later pass normalises). */
  normalizeHere: boolean;
}

const OP_CODE = ['c = op_b(c);', 'c = op_c(c, mean);', 'c = op_s(c);', 'c = op_h(c);'];

/**
 * Colour jitter + grayscale (+ normalisation) of clip `clip` of `x` (a clip [3, T, H, W] with
 * clip 0, or a batch [N, 3, T, H, W]) into `out` from element `outOffset` (contiguous [3, T, H, W]).
 * One dispatch, one workgroup per frame; the op order is compiled into the pipeline.
 */
export function colorKernel(x: Tensor, clip: number, ops: ColorOps, out: Tensor, outOffset: number, normalize?: Normalization): void {
  const op = 'augment.color';
  const l = layout(op, x);
  if (l.c !== 3) throw new Error(`${op}: colour augmentation needs 3 channels, got ${l.c}`);
  if (!Number.isInteger(clip) || clip < 0 || clip >= l.n) throw new Error(`${op}: clip ${clip} out of range [0, ${l.n})`);
  checkOut(op, out, outOffset, 3 * l.t * l.h * l.w);
  const nz = norm(ops.normalizeHere ? normalize : undefined);
  const [sn, sc, st, sy, sx] = l.strides;
  const order = ops.jitter?.order ?? [];
  const cpos = order.indexOf(1);
  const pre = (cpos >= 0 ? order.slice(0, cpos) : order).map((k) => OP_CODE[k]).join(' ');
  const post = (cpos >= 0 ? order.slice(cpos) : []).map((k) => OP_CODE[k]).join(' ');
  const j = ops.jitter;
  runtime().dispatch(
    op,
    { shader: 'aug_color', defines: { PRE: pre, POST: post, CONTRAST: String(cpos >= 0) } },
    (w) => {
      w.u32(l.t, l.h, l.w, x.offset + clip * sn, out.offset + outOffset, ops.grayscale ? 1 : 0, nz.on, sx === 1 && sy === l.w ? 1 : 0);
      w.i32(sc, st, sy, sx);
      w.f32(j?.brightness ?? 1, j?.contrast ?? 1, j?.saturation ?? 1, j?.hue ?? 0);
      w.f32(...nz.mean).f32(...nz.inv);
    },
    [x.storage.buffer, out.storage.buffer],
    l.t,
  );
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
  const [len, lines] = axis === 0 ? [w, h] : [h, w];
  const invocations = Math.ceil(len / BLUR_RUN) * lines;
  for (let z0 = 0; z0 < planes; z0 += 65535) {
    runtime().dispatch(
      op,
      { shader: 'aug_blur', defines: { AXIS: axis, KSIZE: ksize } },
      (u) => {
        u.u32(w, h, c * T, T, ksize, nz.on, z0, 0);
        u.f32(...nz.mean).f32(...nz.inv);
      },
      [src.storage.buffer, params.storage.buffer, dst.storage.buffer],
      Math.ceil(invocations / 64),
      1,
      Math.min(65535, planes - z0),
    );
  }
}

/**
 * Crop + bilinear resize to `size` + rotation + flip of the N clips of `x` into `out` from element
 * `outOffset`; `params` holds RESAMPLE_PARAMS floats per clip.
 */
export function resampleKernel(x: Tensor, params: Tensor, out: Tensor, size: readonly [number, number], opts: { outOffset?: number; paramOffset?: number } = {}): void {
  const op = 'augment.resample';
  const l = layout(op, x);
  checkParams(op, params);
  const [oh, ow] = size;
  const outOffset = opts.outOffset ?? 0;
  const total = l.n * l.c * l.t * oh * ow;
  checkOut(op, out, outOffset, total);
  const [sn, sc, st, sy, sx] = l.strides;
  runtime().dispatch(
    op,
    { shader: 'aug_resample' },
    (w) => {
      w.u32(total, l.c, l.t, oh, ow, x.offset, out.offset + outOffset, opts.paramOffset ?? 0);
      w.i32(sn, sc, st, sy, sx).u32(0, 0, 0);
    },
    [x.storage.buffer, params.storage.buffer, out.storage.buffer],
    groupsFor(total, 256),
  );
}

/** Uploads a parameter block (one small write per call). */
export function uploadParams(values: Float32Array): Tensor {
  return tensor(values.length ? values : new Float32Array(1));
}

/** A new contiguous float32 batch [N, C, T, H, W]. */
export function emptyBatch(shape: readonly number[]): Tensor {
  return empty('augment', shape, 'float32');
}
