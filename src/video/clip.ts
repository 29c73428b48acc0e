// Decoded I420 frames → float32 clip tensors on the GPU, with one kernel (shaders/yuv_clip.wgsl):
// YUV→RGB (BT.601 limited range), crop, bilinear resize, rotation by k·90°, horizontal flip and
// mean/std normalisation in a single dispatch per clip. The frames of a clip are uploaded once.
//
//   const clip = framesToClip(frames, { crop: { x: 0, y: 0, w: 340, h: 256 }, size: [112, 112] }); // [3, T, 112, 112]
//   const batch = framesToBatch([{ frames: a, crop: ca }, { frames: b, crop: cb, flip: true }], { size: [112, 112] }); // [N, 3, T, H, W]
import { runtime, groupsFor } from '../engine/kernels/runtime.ts';
import { empty } from '../engine/ops/launch.ts';
import type { Tensor } from '../engine/tensor/tensor.ts';

/** The I420 frame fields the kernel reads (DecodedFrame has them). */
export interface I420Frame {
  width: number;
  height: number;
  format?: 'I420';
  data: Uint8Array;
}

export interface Crop {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface ClipOptions {
  /** Region of the source frames, in source pixels (default: the whole frame). */
  crop?: Crop;
  /** Output [H, W] (after rotation). */
  size: readonly [number, number];
  /** Quarter turns in torch.rot90's direction (counter-clockwise as displayed); any integer. */
  rotation?: number;
  /** Mirror left-right, applied after the rotation. */
  flip?: boolean;
  /** Per-channel (R, G, B) mean and std on the 0..1 scale; output = (rgb - mean) / std. */
  mean?: readonly [number, number, number];
  std?: readonly [number, number, number];
}

export interface BatchItem {
  frames: readonly I420Frame[];
  crop?: Crop;
  rotation?: number;
  flip?: boolean;
}

/** ImageNet statistics, the usual choice for video backbones (Kinetics-pretrained models too). */
export const IMAGENET_MEAN = [0.485, 0.456, 0.406] as const;
export const IMAGENET_STD = [0.229, 0.224, 0.225] as const;

interface Resolved {
  T: number;
  sw: number;
  sh: number;
  cw: number;
  ch: number;
  frameBytes: number;
  crop: Crop;
  rot: number;
  flip: boolean;
}

function resolve(op: string, frames: readonly I420Frame[], crop: Crop | undefined, rotation: number | undefined, flip: boolean | undefined): Resolved {
  if (frames.length === 0) throw new Error(`${op}: needs at least one frame`);
  const { width: sw, height: sh } = frames[0];
  const cw = (sw + 1) >> 1;
  const ch = (sh + 1) >> 1;
  const frameBytes = sw * sh + 2 * cw * ch;
  frames.forEach((f, t) => {
    if (f.format !== undefined && f.format !== 'I420') throw new Error(`${op}: frame ${t} has format ${f.format}, expected I420`);
    if (f.width !== sw || f.height !== sh) throw new Error(`${op}: frame ${t} is ${f.width}×${f.height}, frame 0 is ${sw}×${sh} (a clip needs one size)`);
    if (f.data.byteLength !== frameBytes) throw new Error(`${op}: frame ${t} has ${f.data.byteLength} bytes, I420 ${sw}×${sh} needs ${frameBytes}`);
  });
  const c = crop ?? { x: 0, y: 0, w: sw, h: sh };
  if (![c.x, c.y, c.w, c.h].every(Number.isFinite) || c.w < 1 || c.h < 1 || c.x < 0 || c.y < 0 || c.x + c.w > sw + 1e-6 || c.y + c.h > sh + 1e-6) {
    throw new Error(`${op}: crop ${JSON.stringify(c)} is not inside the ${sw}×${sh} frame (w, h ≥ 1)`);
  }
  const r = rotation ?? 0;
  if (!Number.isInteger(r)) throw new Error(`${op}: rotation must be an integer number of quarter turns, got ${r}`);
  return { T: frames.length, sw, sh, cw, ch, frameBytes, crop: c, rot: ((r % 4) + 4) % 4, flip: !!flip };
}

function checkSize(op: string, size: readonly [number, number]): void {
  if (!Array.isArray(size) || size.length !== 2 || !size.every((v) => Number.isInteger(v) && v >= 1)) {
    throw new Error(`${op}: size must be [H, W] with positive integers, got ${JSON.stringify(size)}`);
  }
}

function normStats(op: string, mean?: readonly number[], std?: readonly number[]): { mean: number[]; invStd: number[] } {
  const m = mean ? [...mean] : [0, 0, 0];
  const s = std ? [...std] : [1, 1, 1];
  if (m.length !== 3 || s.length !== 3 || !m.every(Number.isFinite) || !s.every((v) => Number.isFinite(v) && v !== 0)) {
    throw new Error(`${op}: mean and std need 3 finite values (std non-zero), got ${JSON.stringify({ mean, std })}`);
  }
  return { mean: m, invStd: s.map((v) => 1 / v) };
}

function upload(frames: readonly I420Frame[], frameBytes: number): Tensor {
  const bytes = frames.length * frameBytes;
  const words = Math.ceil(bytes / 4);
  const packed = new Uint8Array(words * 4);
  frames.forEach((f, t) => packed.set(f.data, t * frameBytes));
  const src = empty('framesToClip', [words], 'int32');
  runtime().write(src.storage.buffer, packed);
  return src;
}

function dispatch(op: string, frames: readonly I420Frame[], r: Resolved, size: readonly [number, number], stats: { mean: number[]; invStd: number[] }, out: Tensor, outOff: number): void {
  const [H, W] = size;
  const odd = r.rot % 2 === 1;
  const hr = odd ? W : H;
  const wr = odd ? H : W;
  const n = r.T * H * W;
  const src = upload(frames, r.frameBytes);
  try {
    runtime().dispatch(
      op,
      { shader: 'yuv_clip' },
      (w) => {
        w.u32(n, r.T, H, W, r.sw, r.sh, r.cw, r.ch, r.frameBytes, r.rot, r.flip ? 1 : 0, wr, hr, out.offset + outOff, n, 0);
        w.f32(r.crop.x, r.crop.y, r.crop.w, r.crop.h);
        w.f32(stats.mean[0], stats.mean[1], stats.mean[2], 0);
        w.f32(stats.invStd[0], stats.invStd[1], stats.invStd[2], 0);
      },
      [src.storage.buffer, out.storage.buffer],
      groupsFor(n, 256),
    );
  } finally {
    src.dispose();
  }
}

/** One clip [3, T, H, W] (float32) from T frames of one size. */
export function framesToClip(frames: readonly I420Frame[], opts: ClipOptions): Tensor {
  const op = 'framesToClip';
  checkSize(op, opts.size);
  const r = resolve(op, frames, opts.crop, opts.rotation, opts.flip);
  const stats = normStats(op, opts.mean, opts.std);
  const out = empty(op, [3, r.T, opts.size[0], opts.size[1]], 'float32');
  dispatch(op, frames, r, opts.size, stats, out, 0);
  return out;
}

/**
 * A batch [N, 3, T, H, W] from N clips of T frames each (sources may differ in size; crop,
 * rotation and flip are per clip). Each clip is written in place: no stack copy.
 */
export function framesToBatch(items: readonly BatchItem[], opts: Pick<ClipOptions, 'size' | 'mean' | 'std'>): Tensor {
  const op = 'framesToBatch';
  checkSize(op, opts.size);
  if (items.length === 0) throw new Error(`${op}: needs at least one clip`);
  const stats = normStats(op, opts.mean, opts.std);
  const resolved = items.map((it, k) => {
    try {
      return resolve(op, it.frames, it.crop, it.rotation, it.flip);
    } catch (err) {
      throw new Error(`${(err as Error).message} (clip ${k})`);
    }
  });
  const T = resolved[0].T;
  resolved.forEach((r, k) => {
    if (r.T !== T) throw new Error(`${op}: clip ${k} has ${r.T} frames, clip 0 has ${T}`);
  });
  const [H, W] = opts.size;
  const out = empty(op, [items.length, 3, T, H, W], 'float32');
  resolved.forEach((r, k) => dispatch(op, items[k].frames, r, opts.size, stats, out, k * 3 * T * H * W));
  return out;
}

/**
 * The same transform on the CPU in float64 (a slow reference for tests and debugging):
 * returns [3, T, H, W] values.
 */
export function framesToClipReference(frames: readonly I420Frame[], opts: ClipOptions): Float32Array {
  const op = 'framesToClipReference';
  checkSize(op, opts.size);
  const r = resolve(op, frames, opts.crop, opts.rotation, opts.flip);
  const { mean, invStd } = normStats(op, opts.mean, opts.std);
  const [H, W] = opts.size;
  const odd = r.rot % 2 === 1;
  const hr = odd ? W : H;
  const wr = odd ? H : W;
  const out = new Float32Array(3 * r.T * H * W);
  const plane = (data: Uint8Array, base: number, w: number, h: number, x: number, y: number) => {
    const x0 = Math.floor(x);
    const y0 = Math.floor(y);
    const x1 = Math.min(x0 + 1, w - 1);
    const y1 = Math.min(y0 + 1, h - 1);
    const fx = x - x0;
    const fy = y - y0;
    const g = (xx: number, yy: number) => data[base + yy * w + xx];
    return (g(x0, y0) * (1 - fx) + g(x1, y0) * fx) * (1 - fy) + (g(x0, y1) * (1 - fx) + g(x1, y1) * fx) * fy;
  };
  const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
  const c = r.crop;
  for (let t = 0; t < r.T; t++) {
    const data = frames[t].data;
    for (let oy = 0; oy < H; oy++) {
      for (let ox = 0; ox < W; ox++) {
        const fx = r.flip ? W - 1 - ox : ox;
        const fy = oy;
        let ry = fy;
        let rx = fx;
        if (r.rot === 1) [ry, rx] = [fx, wr - 1 - fy];
        else if (r.rot === 2) [ry, rx] = [hr - 1 - fy, wr - 1 - fx];
        else if (r.rot === 3) [ry, rx] = [hr - 1 - fx, fy];
        const sx = clamp(c.x + ((rx + 0.5) * c.w) / wr - 0.5, c.x, c.x + c.w - 1);
        const sy = clamp(c.y + ((ry + 0.5) * c.h) / hr - 0.5, c.y, c.y + c.h - 1);
        const Y = plane(data, 0, r.sw, r.sh, sx, sy);
        const cx = clamp((sx + 0.5) / 2 - 0.5, 0, r.cw - 1);
        const cy = clamp((sy + 0.5) / 2 - 0.5, 0, r.ch - 1);
        const U = plane(data, r.sw * r.sh, r.cw, r.ch, cx, cy) - 128;
        const V = plane(data, r.sw * r.sh + r.cw * r.ch, r.cw, r.ch, cx, cy) - 128;
        const L = 1.164383 * (Y - 16);
        const rgb = [L + 1.596027 * V, L - 0.391762 * U - 0.812968 * V, L + 2.017232 * U];
        for (let k = 0; k < 3; k++) {
          out[k * r.T * H * W + t * H * W + oy * W + ox] = (clamp(rgb[k], 0, 255) / 255 - mean[k]) * invStd[k];
        }
      }
    }
  }
  return out;
}
