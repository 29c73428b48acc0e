// Decoded I420 frames → float32 clip tensors on the GPU with one kernel (shaders/aug_clip.wgsl):
// YUV→RGB (BT.601 limited range), crop, bilinear resize, rotation by k·90°, horizontal flip, the
// per-clip colour augmentation (jitter, grayscale) and mean/std normalisation, every output value
// written once. A batch is one dispatch; all its frames (and their parameters) go up in one buffer
// write, frames shared by several clips once. The same kernel reads float32 clips too
// (src/data/transforms: crop/resize/rotation/flip/colour on tensors), so there is one code path.
//
//   const clip = framesToClip(frames, { crop: { x: 0, y: 0, w: 340, h: 256 }, size: [112, 112] }); // [3, T, 112, 112]
//   const batch = framesToBatch([{ frames: a, crop: ca }, { frames: b, crop: cb, flip: true }], { size: [112, 112] }); // [N, 3, T, H, W]
//   const [v0, v1] = framesToBatches([itemsA, itemsB], { size: [112, 112], mean, std }); // one upload for both
import { runtime } from '../engine/kernels/runtime.ts';
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

/**
 * Colour augmentation of one clip, applied after the geometry and before the normalisation
 * (torchvision semantics on [0, 1] floats; see docs/data.md): ColorJitter's ops in `order`
 * (0 brightness, 1 contrast, 2 saturation, 3 hue), then RandomGrayscale.
 */
export interface ClipColor {
  jitter: { order: readonly number[]; brightness: number; contrast: number; saturation: number; hue: number } | null;
  grayscale: boolean;
  /** Normalise with mean/std here (default true); false leaves it to a later pass (the blur). */
  normalize?: boolean;
}

export interface BatchItem {
  frames: readonly I420Frame[];
  crop?: Crop;
  rotation?: number;
  flip?: boolean;
  color?: ClipColor | null;
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
  checkCrop(op, c, sw, sh);
  const r = rotation ?? 0;
  if (!Number.isInteger(r)) throw new Error(`${op}: rotation must be an integer number of quarter turns, got ${r}`);
  return { T: frames.length, sw, sh, cw, ch, frameBytes, crop: c, rot: ((r % 4) + 4) % 4, flip: !!flip };
}

function checkCrop(op: string, c: Crop, sw: number, sh: number): void {
  if (![c.x, c.y, c.w, c.h].every(Number.isFinite) || c.w < 1 || c.h < 1 || c.x < 0 || c.y < 0 || c.x + c.w > sw + 1e-6 || c.y + c.h > sh + 1e-6) {
    throw new Error(`${op}: crop ${JSON.stringify(c)} is not inside the ${sw}×${sh} frame (w, h ≥ 1)`);
  }
}

function checkSize(op: string, size: readonly [number, number]): void {
  if (!Array.isArray(size) || size.length !== 2 || !size.every((v) => Number.isInteger(v) && v >= 1)) {
    throw new Error(`${op}: size must be [H, W] with positive integers, got ${JSON.stringify(size)}`);
  }
}

/** Mean and 1/std as the kernel takes them (mean 0, std 1 when absent). */
export function normStats(op: string, mean?: readonly number[], std?: readonly number[]): { mean: number[]; invStd: number[] } {
  const m = mean ? [...mean] : [0, 0, 0];
  const s = std ? [...std] : [1, 1, 1];
  if (m.length !== 3 || s.length !== 3 || !m.every(Number.isFinite) || !s.every((v) => Number.isFinite(v) && v !== 0)) {
    throw new Error(`${op}: mean and std need 3 finite values (std non-zero), got ${JSON.stringify({ mean, std })}`);
  }
  return { mean: m, invStd: s.map((v) => 1 / v) };
}

// ---------- the kernel (shaders/aug_clip.wgsl) ----------

/** u32 words per clip record (REC in the shader). */
const REC = 20;
/** Most outputs one invocation computes (RUN in the shader). */
const RUN = 8;

/** One clip for the kernel: where its frames are and what to do with them. */
export interface KernelClip {
  /** Source frame size. */
  sw: number;
  sh: number;
  /** Per frame: byte offset of its Y plane (I420) or element offset of its (c = 0) plane (float). */
  frames: readonly number[];
  crop: Crop;
  /** 0..3 quarter turns. */
  rotation: number;
  flip: boolean;
  color: ClipColor | null;
}

/**
 * Packs clip records followed by their frame tables (u32 words). `base`: the word index at which
 * the block will sit in the parameter buffer (frame-table references are absolute).
 */
export function packClipRecords(clips: readonly KernelClip[], size: readonly [number, number], yuv: boolean, base = 0): Uint32Array {
  const [H, W] = size;
  const T = clips[0]?.frames.length ?? 0;
  const words = new Uint32Array(clips.length * (REC + T));
  const f32 = new Float32Array(words.buffer);
  const i32 = new Int32Array(words.buffer);
  clips.forEach((c, n) => {
    if (c.frames.length !== T) throw new Error(`clip kernel: clip ${n} has ${c.frames.length} frames, clip 0 has ${T}`);
    const r = n * REC;
    const odd = c.rotation % 2 === 1;
    const hr = odd ? W : H;
    const wr = odd ? H : W;
    // Outputs per invocation: the source bytes under a run must fit the shader's word windows
    // (4 luma words: (run − 1)·step ≤ 10 source pixels; chroma needs less).
    const step = c.crop.w / wr;
    const run = yuv ? Math.max(1, Math.min(RUN, 1 + Math.floor(9.9 / step))) : RUN;
    // Output pixel of resized-crop pixel (ry, rx): rotation, then flip, as an affine map.
    let fy: number[];
    let fx: number[];
    if (c.rotation === 0) [fy, fx] = [[1, 0, 0], [0, 1, 0]];
    else if (c.rotation === 1) [fx, fy] = [[1, 0, 0], [0, -1, wr - 1]];
    else if (c.rotation === 2) [fy, fx] = [[-1, 0, hr - 1], [0, -1, wr - 1]];
    else [fx, fy] = [[-1, 0, hr - 1], [0, 1, 0]];
    if (c.flip) fx = [-fx[0], -fx[1], W - 1 - fx[2]];
    const j = c.color?.jitter ?? null;
    const order = j?.order ?? [];
    let ops = order.length;
    order.forEach((code, i) => {
      if (!(code >= 0 && code <= 3)) throw new Error(`clip kernel: jitter op ${code} is not 0–3`);
      ops |= code << (4 * i + 4);
    });
    const cpos = order.indexOf(1);
    words.set([c.sw, c.sh, run, base + clips.length * REC + n * T], r);
    f32.set([c.crop.x, c.crop.y, c.crop.w, c.crop.h], r + 4);
    i32.set([fy[0] * W + fx[0], fy[1] * W + fx[1], fy[2] * W + fx[2]], r + 8);
    words.set([wr, hr, ops, cpos < 0 ? 15 : cpos, (c.color?.grayscale ? 1 : 0) | (c.color?.normalize === false ? 0 : 2)], r + 11);
    f32.set([j?.brightness ?? 1, j?.contrast ?? 1, j?.saturation ?? 1, j?.hue ?? 0], r + 16);
    words.set(c.frames, clips.length * REC + n * T);
  });
  return words;
}

/**
 * Records one dispatch of the clip kernel: clips [0, n) whose records start at word `pOff` of
 * `params` → out[outOffset …] as [n, 3, T, H, W]. `src`: I420 bytes (yuv) or float32 clips with
 * element strides (c, y, x).
 */
export function dispatchClipKernel(
  op: string, yuv: boolean, params: GPUBuffer, pOff: number, src: GPUBuffer, n: number, T: number, size: readonly [number, number],
  stats: { mean: number[]; invStd: number[] }, out: Tensor, outOffset: number, strides: readonly [number, number, number] = [0, 0, 0],
): void {
  const [H, W] = size;
  if (T > 65535 || n > 65535) throw new Error(`${op}: too many frames or clips for one dispatch (${n} × ${T})`);
  runtime().dispatch(
    op,
    { shader: 'aug_clip', defines: { YUV: String(yuv) } },
    (w) => {
      w.u32(H, W, T, pOff, out.offset + outOffset);
      w.i32(...strides);
      w.f32(stats.mean[0], stats.mean[1], stats.mean[2], 0);
      w.f32(stats.invStd[0], stats.invStd[1], stats.invStd[2], 0);
    },
    [params, src, out.storage.buffer],
    T,
    n,
  );
}

/**
 * Several batches [N_b, 3, T_b, H, W] from I420 frames with ONE upload (clip records, frame
 * tables and the frames; a frame whose `data` several clips share goes up once) and one dispatch
 * per batch. Each item: frames of one size, crop, rotation, flip and optional colour augmentation.
 */
export function framesToBatches(batches: readonly (readonly BatchItem[])[], opts: Pick<ClipOptions, 'size' | 'mean' | 'std'>, op = 'framesToBatches'): Tensor[] {
  checkSize(op, opts.size);
  const stats = normStats(op, opts.mean, opts.std);
  const resolved = batches.map((items, b) => {
    if (items.length === 0) throw new Error(`${op}: needs at least one clip${batches.length > 1 ? ` (batch ${b})` : ''}`);
    const rs = items.map((it, k) => {
      try {
        return resolve(op, it.frames, it.crop, it.rotation, it.flip);
      } catch (err) {
        throw new Error(`${(err as Error).message} (clip ${k})`);
      }
    });
    rs.forEach((r, k) => {
      if (r.T !== rs[0].T) throw new Error(`${op}: clip ${k} has ${r.T} frames, clip 0 has ${rs[0].T}`);
    });
    return rs;
  });
  // Layout (bytes): [records + frame tables of batch 0, batch 1, …][frames, each 4-byte aligned].
  const offsets = new Map<Uint8Array, number>();
  const uniqueFrames: Uint8Array[] = [];
  const paramWords = resolved.reduce((s, rs) => s + rs.length * (REC + rs[0].T), 0);
  let at = paramWords * 4;
  const place = (f: I420Frame) => {
    let o = offsets.get(f.data);
    if (o === undefined) {
      o = at;
      offsets.set(f.data, o);
      uniqueFrames.push(f.data);
      at += Math.ceil(f.data.byteLength / 4) * 4;
    }
    return o;
  };
  const blocks: Uint32Array[] = [];
  const starts: number[] = [];
  let word = 0;
  resolved.forEach((rs, b) => {
    const clips: KernelClip[] = rs.map((r, k) => ({
      sw: r.sw, sh: r.sh, frames: batches[b][k].frames.map(place), crop: r.crop, rotation: r.rot, flip: r.flip, color: batches[b][k].color ?? null,
    }));
    starts.push(word);
    const block = packClipRecords(clips, opts.size, true, word);
    blocks.push(block);
    word += block.length;
  });
  const bytes = new Uint8Array(at + 16); // + slack: a window may reach past the last frame
  let w = 0;
  for (const block of blocks) {
    bytes.set(new Uint8Array(block.buffer, block.byteOffset, block.byteLength), w * 4);
    w += block.length;
  }
  for (const d of uniqueFrames) bytes.set(d, offsets.get(d)!);
  const upload = empty(op, [bytes.byteLength / 4], 'int32');
  const outs: Tensor[] = [];
  try {
    runtime().write(upload.storage.buffer, bytes);
    const [H, W] = opts.size;
    resolved.forEach((rs, b) => {
      const T = rs[0].T;
      const out = empty(op, [rs.length, 3, T, H, W], 'float32');
      outs.push(out);
      dispatchClipKernel(op, true, upload.storage.buffer, starts[b], upload.storage.buffer, rs.length, T, opts.size, stats, out, 0);
    });
  } catch (err) {
    outs.forEach((t) => t.dispose());
    throw err;
  } finally {
    upload.dispose();
  }
  return outs;
}

/** One clip [3, T, H, W] (float32) from T frames of one size. */
export function framesToClip(frames: readonly I420Frame[], opts: ClipOptions & { color?: ClipColor | null }): Tensor {
  const [batch] = framesToBatches([[{ frames, crop: opts.crop, rotation: opts.rotation, flip: opts.flip, color: opts.color }]], opts, 'framesToClip');
  const clip = batch.reshape(batch.shape.slice(1));
  batch.dispose();
  return clip;
}

/**
 * A batch [N, 3, T, H, W] from N clips of T frames each (sources may differ in size; crop,
 * rotation, flip and colour are per clip). One upload, one dispatch.
 */
export function framesToBatch(items: readonly BatchItem[], opts: Pick<ClipOptions, 'size' | 'mean' | 'std'>): Tensor {
  return framesToBatches([items], opts, 'framesToBatch')[0];
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
