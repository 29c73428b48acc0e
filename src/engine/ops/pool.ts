// 3D pooling with PyTorch's semantics: max (with argmax for the gradient), average
// (count_include_pad, ceil_mode) and adaptive average.
import { Tensor } from '../tensor/tensor.ts';
import { runtime, groupsFor, type Kernel } from '../kernels/runtime.ts';
import { recordOp } from '../autograd/graph.ts';
import { fmt } from '../tensor/shape.ts';
import { empty } from './launch.ts';
import { contiguous } from './shape.ts';
import { pieces } from './split.ts';
import type { Triple } from './conv.ts';

export interface Pool3dOptions {
  kernelSize: Triple;
  /** Defaults to kernelSize. */
  stride?: Triple;
  padding?: Triple;
  ceilMode?: boolean;
}

export interface AvgPool3dOptions extends Pool3dOptions {
  /** Count padded zeros in the divisor (PyTorch default true). */
  countIncludePad?: boolean;
}

function triple(op: string, name: string, v: Triple, min: number): [number, number, number] {
  const t = typeof v === 'number' ? [v, v, v] : [...v];
  if (t.length !== 3 || t.some((x) => !Number.isInteger(x) || x < min)) {
    throw new Error(`${op}: ${name} must be an integer >= ${min} or a [d, h, w] triple of them, got ${JSON.stringify(v)}`);
  }
  return t as [number, number, number];
}

/** PyTorch's pooling output size, including the ceil-mode rule that a window must start inside. */
function outSize(size: number, k: number, s: number, p: number, ceil: boolean): number {
  let out = Math.floor((size + 2 * p - k + (ceil ? s - 1 : 0)) / s) + 1;
  if (ceil && (out - 1) * s >= size + p) out--;
  return out;
}

interface PoolGeometry {
  nc: number;
  inp: [number, number, number];
  out: [number, number, number];
  k: [number, number, number];
  s: [number, number, number];
  p: [number, number, number];
}

const MODES = { max: 0, avg: 1, adaptive: 2 } as const;

/**
 * Runs a pooling kernel over the N·C volumes, in launches whose three operands (volumes of `sizes`
 * elements each) fit a binding each.
 */
function launchVolumes(op: string, kernel: Kernel, g: PoolGeometry, countIncludePad: boolean, operands: Tensor[], sizes: number[], perVolume: number): void {
  const ps = pieces(op, [g.nc], operands.map((t, k) => ({ buffer: t.storage.buffer, offset: t.offset, strides: [sizes[k]], span: [0, sizes[k] - 1] as [number, number] })));
  for (const p of ps) {
    runtime().dispatch(
      op,
      kernel,
      (w) => {
        w.u32(p.shape[0], ...g.inp, ...g.out, countIncludePad ? 1 : 0);
        w.i32(...g.k, 0, ...g.s, 0, ...g.p, 0);
        w.u32(...p.offsets, 0);
      },
      p.bindings,
      groupsFor(p.shape[0] * perVolume, 256),
    );
  }
}

function pool(op: string, mode: keyof typeof MODES, x0: Tensor, g: PoolGeometry, countIncludePad: boolean): Tensor {
  const x = x0.isContiguous() ? x0 : contiguous(x0);
  const outShape = [...x0.shape.slice(0, -3), ...g.out];
  const ivol = g.inp[0] * g.inp[1] * g.inp[2];
  const ovol = g.out[0] * g.out[1] * g.out[2];
  const y = empty(op, outShape, 'float32');
  const idx = empty(op, outShape, 'int32');
  launchVolumes(op, { shader: 'pool3d_forward', defines: { MODE: MODES[mode] } }, g, countIncludePad, [x, y, idx], [ivol, ovol, ovol], ovol);
  const out = recordOp(op, [x], y, (save) => {
    const si = save(idx);
    return (dy0) => {
      const dy = dy0.isContiguous() ? dy0 : contiguous(dy0);
      const dx = empty(`${op}.backward`, x.shape, 'float32');
      launchVolumes(`${op}.backward`, { shader: 'pool3d_backward', defines: { MODE: MODES[mode] } }, g, countIncludePad, [dy, si, dx], [ovol, ovol, ivol], ivol);
      if (dy !== dy0) dy.dispose();
      return [dx];
    };
  });
  idx.dispose();
  if (x !== x0) x.dispose();
  return out;
}

function geometry(op: string, x: Tensor, o: Pool3dOptions): PoolGeometry {
  x.assertLive(op);
  if (x.rank !== 5 && x.rank !== 4) throw new Error(`${op}: input must be [N, C, D, H, W] or [C, D, H, W], got ${fmt(x.shape)}`);
  if (x.dtype !== 'float32') throw new Error(`${op}: expects float32, got ${x.dtype}`);
  const k = triple(op, 'kernelSize', o.kernelSize, 1);
  const s = triple(op, 'stride', o.stride ?? k, 1);
  const p = triple(op, 'padding', o.padding ?? 0, 0);
  if (p.some((v, i) => v > k[i] / 2)) throw new Error(`${op}: padding [${p}] must be at most half the kernel size [${k}]`);
  const inp = x.shape.slice(-3) as [number, number, number];
  const out = inp.map((size, i) => outSize(size, k[i], s[i], p[i], o.ceilMode ?? false)) as [number, number, number];
  if (out.some((v) => v < 1)) throw new Error(`${op}: input ${fmt(x.shape)} is too small for kernel [${k}] (output ${fmt(out)})`);
  return { nc: x.size / (inp[0] * inp[1] * inp[2]), inp, out, k, s, p };
}

export function maxPool3d(x: Tensor, opts: Pool3dOptions): Tensor {
  return pool('maxPool3d', 'max', x, geometry('maxPool3d', x, opts), false);
}

export function avgPool3d(x: Tensor, opts: AvgPool3dOptions): Tensor {
  return pool('avgPool3d', 'avg', x, geometry('avgPool3d', x, opts), opts.countIncludePad ?? true);
}

/** Average over adaptive windows [⌊o·in/out⌋, ⌈(o+1)·in/out⌉) per dim (torch's adaptive_avg_pool3d). */
export function adaptiveAvgPool3d(x: Tensor, outputSize: Triple): Tensor {
  const op = 'adaptiveAvgPool3d';
  x.assertLive(op);
  if (x.rank !== 5 && x.rank !== 4) throw new Error(`${op}: input must be [N, C, D, H, W] or [C, D, H, W], got ${fmt(x.shape)}`);
  const out = triple(op, 'outputSize', outputSize, 1);
  const inp = x.shape.slice(-3) as [number, number, number];
  const g: PoolGeometry = { nc: x.size / Math.max(1, inp[0] * inp[1] * inp[2]), inp, out, k: [1, 1, 1], s: [1, 1, 1], p: [0, 0, 0] };
  return pool(op, 'adaptive', x, g, false);
}
