// Shape ops. Views (reshape of contiguous data, permute, transpose, slice with step, expand, flip,
// squeeze/unsqueeze) share storage and only change shape, strides and offset; cat, stack, pad and
// gather copy. Every op checks its arguments before any GPU work.
import { Tensor } from '../tensor/tensor.ts';
import { runtime, groupsFor, type Kernel } from '../kernels/runtime.ts';
import { recordOp } from '../autograd/graph.ts';
import { contiguousStrides, fmt, normDim, normDims, numel, checkShape, type Shape } from '../tensor/shape.ts';
import { wgslStorage } from '../tensor/dtype.ts';
import { empty, copyInto, fillWith } from './launch.ts';
import { pieces } from './split.ts';
import { sumTo } from './reduce.ts';
import { zeros } from './creation.ts';

function view(op: string, x: Tensor, shape: Shape, strides: readonly number[], offset: number, backward: (g: Tensor) => Tensor): Tensor {
  x.assertLive(op);
  const y = x.alias(shape, strides, offset);
  return recordOp(op, [x], y, () => (g) => [backward(g)]);
}

export function contiguous(x: Tensor): Tensor {
  x.assertLive('contiguous');
  if (x.isContiguous()) return view('contiguous', x, x.shape, contiguousStrides(x.shape), x.offset, (g) => g);
  const y = empty('contiguous', x.shape, x.dtype);
  copyInto('contiguous', x, y);
  return recordOp('contiguous', [x], y, () => (g) => [g]);
}

/** A copy with its own contiguous storage. */
export function clone(x: Tensor): Tensor {
  x.assertLive('clone');
  const y = empty('clone', x.shape, x.dtype);
  copyInto('clone', x, y);
  return recordOp('clone', [x], y, () => (g) => [g]);
}

function resolveShape(op: string, x: Tensor, shape: Shape): number[] {
  const out = [...shape];
  const free = out.indexOf(-1);
  if (out.filter((d) => d === -1).length > 1) throw new Error(`${op}: only one dim can be -1, got ${fmt(shape)}`);
  if (free >= 0) {
    const rest = numel(out.filter((_, i) => i !== free));
    if (rest === 0 || x.size % rest !== 0) throw new Error(`${op}: cannot reshape ${fmt(x.shape)} (${x.size} elements) to ${fmt(shape)}`);
    out[free] = x.size / rest;
  }
  checkShape(op, out);
  if (numel(out) !== x.size) throw new Error(`${op}: cannot reshape ${fmt(x.shape)} (${x.size} elements) to ${fmt(shape)} (${numel(out)} elements)`);
  return out;
}

/** Reshape; a view when the data is contiguous, otherwise a copy (as torch.reshape). */
export function reshape(x: Tensor, shape: Shape): Tensor {
  x.assertLive('reshape');
  const s = resolveShape('reshape', x, shape);
  const src = x.isContiguous() ? x : contiguous(x);
  const y = view('reshape', src, s, contiguousStrides(s), src.offset, (g) => reshape(g, src.shape));
  if (src !== x) src.dispose();
  return y;
}

/** Like reshape, but refuses to copy (as torch.view). */
export function viewAs(x: Tensor, shape: Shape): Tensor {
  x.assertLive('view');
  const s = resolveShape('view', x, shape);
  if (!x.isContiguous()) throw new Error(`view: tensor ${fmt(x.shape)} is not contiguous; use reshape() or contiguous() first`);
  return view('view', x, s, contiguousStrides(s), x.offset, (g) => reshape(g, x.shape));
}

export function permute(x: Tensor, dims: readonly number[]): Tensor {
  x.assertLive('permute');
  if (dims.length !== x.rank) throw new Error(`permute: got ${dims.length} dims for a tensor of rank ${x.rank} (${fmt(x.shape)})`);
  const ds = dims.map((d) => normDim('permute', d, x.rank));
  if (new Set(ds).size !== ds.length) throw new Error(`permute: dims [${dims}] repeat a dim`);
  const inverse = new Array<number>(ds.length);
  ds.forEach((d, i) => (inverse[d] = i));
  return view('permute', x, ds.map((d) => x.shape[d]), ds.map((d) => x.strides[d]), x.offset, (g) => permute(g, inverse));
}

export function transpose(x: Tensor, d0: number, d1: number): Tensor {
  const a = normDim('transpose', d0, x.rank);
  const b = normDim('transpose', d1, x.rank);
  const dims = x.shape.map((_, i) => i);
  [dims[a], dims[b]] = [dims[b], dims[a]];
  return permute(x, dims);
}

export function squeeze(x: Tensor, dim?: number | readonly number[]): Tensor {
  x.assertLive('squeeze');
  const ds = dim === undefined ? x.shape.map((_, i) => i) : normDims('squeeze', dim, x.rank);
  const keep = x.shape.map((d, i) => !(ds.includes(i) && d === 1));
  return view('squeeze', x, x.shape.filter((_, i) => keep[i]), x.strides.filter((_, i) => keep[i]), x.offset, (g) => reshape(g, x.shape));
}

export function unsqueeze(x: Tensor, dim: number): Tensor {
  x.assertLive('unsqueeze');
  const d = normDim('unsqueeze', dim, x.rank + 1);
  const shape = [...x.shape];
  const strides = [...x.strides];
  shape.splice(d, 0, 1);
  strides.splice(d, 0, d < x.rank ? x.strides[d] * x.shape[d] : 1);
  return view('unsqueeze', x, shape, strides, x.offset, (g) => reshape(g, x.shape));
}

export function flatten(x: Tensor, start = 0, end = -1): Tensor {
  if (x.rank === 0) return reshape(x, [1]);
  const s = normDim('flatten', start, x.rank);
  const e = normDim('flatten', end, x.rank);
  if (s > e) throw new Error(`flatten: start dim ${start} comes after end dim ${end}`);
  return reshape(x, [...x.shape.slice(0, s), numel(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)]);
}

/** Elements start, start+step, … (< end) along dim, with Python's clamping of start/end. */
export function slice(x: Tensor, dim: number, start = 0, end?: number, step = 1): Tensor {
  x.assertLive('slice');
  const d = normDim('slice', dim, x.rank);
  if (!Number.isInteger(step) || step <= 0) throw new Error(`slice: step must be a positive integer, got ${step}`);
  const size = x.shape[d];
  const clampIdx = (v: number) => Math.min(size, Math.max(0, v < 0 ? v + size : v));
  const s = clampIdx(start);
  const e = Math.max(s, clampIdx(end ?? size));
  const len = Math.ceil((e - s) / step);
  const shape = [...x.shape];
  const strides = [...x.strides];
  shape[d] = len;
  strides[d] = x.strides[d] * step;
  return view('slice', x, shape, strides, x.offset + s * x.strides[d], (g) => {
    const gx = zeros(x.shape);
    const region = gx.alias(shape, contiguousStrides(x.shape).map((st, i) => (i === d ? st * step : st)), s * contiguousStrides(x.shape)[d], false);
    copyInto('slice.backward', g, region);
    region.dispose();
    return gx;
  });
}

export function expand(x: Tensor, shape: Shape): Tensor {
  x.assertLive('expand');
  if (shape.length < x.rank) throw new Error(`expand: cannot expand ${fmt(x.shape)} to fewer dims ${fmt(shape)}`);
  const lead = shape.length - x.rank;
  const out: number[] = [];
  const strides: number[] = [];
  shape.forEach((want, i) => {
    const have = i < lead ? 1 : x.shape[i - lead];
    const target = want === -1 ? have : want;
    if (i < lead && want === -1) throw new Error(`expand: -1 is not allowed for new leading dims (${fmt(shape)})`);
    if (have !== target && have !== 1) throw new Error(`expand: cannot expand ${fmt(x.shape)} to ${fmt(shape)} (dim ${i}: ${have} vs ${want})`);
    out.push(target);
    strides.push(i < lead || (have === 1 && target !== 1) ? 0 : x.strides[i - lead]);
  });
  checkShape('expand', out);
  return view('expand', x, out, strides, x.offset, (g) => sumTo(g, x.shape));
}

/** Reverses the order of elements along dims (a view with negative strides). */
export function flip(x: Tensor, dims: number | readonly number[]): Tensor {
  x.assertLive('flip');
  const ds = normDims('flip', dims, x.rank);
  const strides = [...x.strides];
  let offset = x.offset;
  for (const d of ds) {
    if (x.shape[d] > 0) offset += (x.shape[d] - 1) * x.strides[d];
    strides[d] = -x.strides[d];
  }
  return view('flip', x, x.shape, strides, offset, (g) => flip(g, ds));
}

/** Rotates by k·90° in the plane of dims (torch.rot90): from the first dim towards the second. */
export function rot90(x: Tensor, k = 1, dims: readonly [number, number] | number[] = [0, 1]): Tensor {
  x.assertLive('rot90');
  if (dims.length !== 2) throw new Error(`rot90: dims must name two dims, got [${dims}]`);
  const [a, b] = dims.map((d) => normDim('rot90', d, x.rank));
  if (a === b) throw new Error(`rot90: dims must differ, got [${dims}]`);
  if (!Number.isInteger(k)) throw new Error(`rot90: k must be an integer, got ${k}`);
  const r = ((k % 4) + 4) % 4;
  if (r === 0) return view('rot90', x, x.shape, x.strides, x.offset, (g) => g);
  if (r === 2) return flip(x, [a, b]);
  const f = flip(x, r === 1 ? b : a);
  const y = transpose(f, a, b);
  f.dispose();
  return y;
}

export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  if (tensors.length === 0) throw new Error('cat: needs at least one tensor');
  tensors.forEach((t) => t.assertLive('cat'));
  const first = tensors[0];
  const d = normDim('cat', dim, first.rank);
  for (const t of tensors) {
    if (t.rank !== first.rank || t.shape.some((s, i) => i !== d && s !== first.shape[i])) {
      throw new Error(`cat: shapes ${tensors.map((x) => fmt(x.shape)).join(', ')} differ outside dim ${d}`);
    }
    if (t.dtype !== first.dtype) throw new Error(`cat: dtypes differ (${first.dtype} and ${t.dtype})`);
  }
  const shape = [...first.shape];
  shape[d] = tensors.reduce((s, t) => s + t.shape[d], 0);
  const out = empty('cat', shape, first.dtype);
  const strides = contiguousStrides(shape);
  const starts: number[] = [];
  let at = 0;
  for (const t of tensors) {
    starts.push(at);
    const region = out.alias(t.shape, strides, at * strides[d], false);
    copyInto('cat', t, region);
    region.dispose();
    at += t.shape[d];
  }
  return recordOp('cat', tensors, out, () => (g) => tensors.map((t, i) => (t.requiresGrad ? slice(g, d, starts[i], starts[i] + t.shape[d]) : null)));
}

export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  if (tensors.length === 0) throw new Error('stack: needs at least one tensor');
  const first = tensors[0];
  for (const t of tensors) {
    if (t.rank !== first.rank || t.shape.some((s, i) => s !== first.shape[i])) {
      throw new Error(`stack: all tensors must have the same shape, got ${tensors.map((x) => fmt(x.shape)).join(', ')}`);
    }
  }
  const d = normDim('stack', dim, first.rank + 1);
  const parts = tensors.map((t) => unsqueeze(t, d));
  const y = cat(parts, d);
  parts.forEach((p) => p.dispose());
  return y;
}

/** Splits into chunks of `size` (last may be smaller) or into the given section sizes (views). */
export function split(x: Tensor, sizeOrSections: number | readonly number[], dim = 0): Tensor[] {
  x.assertLive('split');
  const d = normDim('split', dim, x.rank);
  const n = x.shape[d];
  let sections: number[];
  if (typeof sizeOrSections === 'number') {
    if (!Number.isInteger(sizeOrSections) || sizeOrSections <= 0) throw new Error(`split: size must be a positive integer, got ${sizeOrSections}`);
    sections = [];
    for (let at = 0; at < n; at += sizeOrSections) sections.push(Math.min(sizeOrSections, n - at));
  } else {
    sections = [...sizeOrSections];
    if (sections.reduce((a, b) => a + b, 0) !== n) throw new Error(`split: sections [${sections}] do not add up to ${n} (dim ${d} of ${fmt(x.shape)})`);
  }
  let at = 0;
  return sections.map((len) => {
    const part = slice(x, d, at, at + len);
    at += len;
    return part;
  });
}

/** Constant padding, PyTorch order: [left, right] of the last dim, then of the one before, … */
export function pad(x: Tensor, padding: readonly number[], value = 0): Tensor {
  x.assertLive('pad');
  if (padding.length % 2 !== 0 || padding.length / 2 > x.rank) {
    throw new Error(`pad: padding must have an even length of at most 2 × rank (${2 * x.rank}), got [${padding}]`);
  }
  if (padding.some((p) => !Number.isInteger(p))) throw new Error(`pad: padding must be integers, got [${padding}]`);
  // Negative padding crops: slice first, then pad the remaining positive amounts.
  let src = x;
  const pos = [...padding];
  for (let i = 0; i < padding.length / 2; i++) {
    const d = x.rank - 1 - i;
    const [l, r] = [padding[2 * i], padding[2 * i + 1]];
    if (l < 0 || r < 0) {
      const cropped = slice(src, d, Math.max(0, -l), src.shape[d] - Math.max(0, -r));
      if (src !== x) src.dispose();
      src = cropped;
      pos[2 * i] = Math.max(0, l);
      pos[2 * i + 1] = Math.max(0, r);
    }
  }
  const shape = [...src.shape];
  const before = new Array<number>(src.rank).fill(0);
  for (let i = 0; i < pos.length / 2; i++) {
    const d = src.rank - 1 - i;
    shape[d] += pos[2 * i] + pos[2 * i + 1];
    before[d] = pos[2 * i];
  }
  checkShape('pad', shape);
  const out = empty('pad', shape, src.dtype);
  fillWith('pad', out, value);
  const strides = contiguousStrides(shape);
  const region = out.alias(src.shape, strides, before.reduce((s, b, i) => s + b * strides[i], 0), false);
  copyInto('pad', src, region);
  region.dispose();
  const input = src;
  const y = recordOp('pad', [input], out, () => (g) => {
    let r = g;
    for (let d = 0; d < input.rank; d++) {
      if (shape[d] !== input.shape[d]) {
        const next = slice(r, d, before[d], before[d] + input.shape[d]);
        if (r !== g) r.dispose();
        r = next;
      }
    }
    return [r === g ? g : r];
  });
  if (src !== x) src.dispose();
  return y;
}

/**
 * Launches gather (over the index shape) or its gradient, scatter (over the input shape), on
 * sub-boxes of the iteration space that fit the bindings. Along `dim` the source (and, for
 * scatter, the index) is read at any of `len` positions: a fixed footprint; scatter's kernel needs
 * that dim whole.
 */
function launchGather(op: string, kernel: Kernel, d: number, len: number, src: Tensor, index: Tensor, out: Tensor, ishape: Shape): void {
  const scatter = kernel.shader === 'scatter_add';
  const n = out.size;
  if (n === 0) return;
  const along = (s: number): [number, number] => [Math.min(0, (len - 1) * s), Math.max(0, (len - 1) * s)];
  const zeroAt = (st: readonly number[]) => st.map((s, i) => (i === d ? 0 : s));
  const outStrides = contiguousStrides(out.shape);
  const ps = pieces(op, out.shape, [
    { buffer: src.storage.buffer, offset: src.offset, strides: zeroAt(src.strides), span: along(src.strides[d]) },
    scatter
      ? { buffer: index.storage.buffer, offset: index.offset, strides: zeroAt(index.strides), span: along(index.strides[d]) }
      : { buffer: index.storage.buffer, offset: index.offset, strides: index.strides },
    { buffer: out.storage.buffer, offset: out.offset, strides: outStrides },
  ], { whole: scatter ? [d] : [] });
  for (const p of ps) {
    const pn = numel(p.shape);
    const ish = ishape.map((s, i) => Math.max(0, s - p.origin[i]));
    runtime().dispatch(
      op,
      kernel,
      (w) => {
        w.u32(pn, p.shape.length, d, len, p.offsets[0], p.offsets[1]).i32(src.strides[d], index.strides[d]);
        w.u32x8(p.shape).u32x8(ish).i32x8(src.strides).i32x8(index.strides);
        w.u32(p.offsets[2], 0, 0, 0).i32x8(outStrides);
      },
      p.bindings,
      groupsFor(pn, 256),
    );
  }
}

/** torch.gather: out[c] = x[c with c[dim] = index[c]]; index is int32 with x's rank. */
export function gather(x: Tensor, dim: number, index: Tensor): Tensor {
  x.assertLive('gather');
  index.assertLive('gather');
  const d = normDim('gather', dim, x.rank);
  if (index.dtype !== 'int32') throw new Error(`gather: index must be int32, got ${index.dtype}`);
  if (index.rank !== x.rank) throw new Error(`gather: index rank ${index.rank} ${fmt(index.shape)} must equal input rank ${x.rank} ${fmt(x.shape)}`);
  for (let i = 0; i < x.rank; i++) {
    if (i !== d && index.shape[i] > x.shape[i]) throw new Error(`gather: index ${fmt(index.shape)} is larger than input ${fmt(x.shape)} in dim ${i}`);
  }
  const out = empty('gather', index.shape, x.dtype);
  launchGather('gather', { shader: 'gather', defines: { T: wgslStorage(x.dtype), INVALID: x.dtype === 'float32' ? 'nan_f32()' : '0' } }, d, x.shape[d], x, index, out, index.shape);
  return recordOp('gather', [x], out, (save) => {
    const si = save(index);
    return (g) => [scatterAdd(g, d, si, x.shape)];
  });
}

/** Gradient of gather: sums g into a zero tensor of `shape` at the gathered positions. */
function scatterAdd(g: Tensor, d: number, index: Tensor, shape: Shape): Tensor {
  const out = empty('gather.backward', shape, 'float32');
  launchGather('gather.backward', { shader: 'scatter_add' }, d, index.shape[d], g, index, out, index.shape);
  return out;
}

/** torch.index_select: the entries of x at positions `index` (1-D int32) along dim. */
export function indexSelect(x: Tensor, dim: number, index: Tensor): Tensor {
  x.assertLive('indexSelect');
  index.assertLive('indexSelect');
  const d = normDim('indexSelect', dim, x.rank);
  if (index.rank !== 1 || index.dtype !== 'int32') throw new Error(`indexSelect: index must be a 1-D int32 tensor, got ${index.dtype} ${fmt(index.shape)}`);
  const shape = [...x.shape];
  shape[d] = index.shape[0];
  const idx = index.alias(shape, shape.map((_, i) => (i === d ? index.strides[0] : 0)), index.offset);
  const y = gather(x, d, idx);
  idx.dispose();
  return y;
}
