// Elementwise ops (unary, binary with broadcasting, where) and their gradients.
import { Tensor } from '../tensor/tensor.ts';
import { recordOp } from '../autograd/graph.ts';
import { promote, type DType } from '../tensor/dtype.ts';
import { fmt } from '../tensor/shape.ts';
import { map } from './launch.ts';
import { sumTo } from './reduce.ts';
import { scalarLike } from './creation.ts';

export type TensorOrScalar = Tensor | number;

/** Compute type for ops that are only defined on floats (int inputs are promoted, as PyTorch does). */
function unaryFloat(op: string, x: Tensor, expr: string, p0 = 0, p1 = 0): Tensor {
  x.assertLive(op);
  return map(op, [x], { expr, outDtype: 'float32', compute: 'f32', p0, p1 });
}

/** g ⊙ f(saved): the fused backward kernels of the unary ops. */
function gradMap(op: string, g: Tensor, saved: Tensor, expr: string, p0 = 0, p1 = 0): Tensor {
  return map(op, [g, saved], { expr, outDtype: 'float32', compute: 'f32', p0, p1 });
}

function defineUnary(name: string, forward: string, backward: { expr: string; uses: 'x' | 'y' }, p0 = 0, p1 = 0) {
  return (x: Tensor): Tensor => {
    const y = unaryFloat(name, x, forward, p0, p1);
    return recordOp(name, [x], y, (save) => {
      const s = save(backward.uses === 'x' ? x : y);
      return (g) => [gradMap(`${name}.backward`, g, s, backward.expr, p0, p1)];
    });
  };
}

export const exp = defineUnary('exp', 'exp(a)', { expr: 'a * b', uses: 'y' });
export const log = defineUnary('log', 'log(a)', { expr: 'a / b', uses: 'x' });
export const sqrt = defineUnary('sqrt', 'sqrt(a)', { expr: 'a / (2.0 * b)', uses: 'y' });
export const rsqrt = defineUnary('rsqrt', 'inverseSqrt(a)', { expr: '-0.5 * a * b * b * b', uses: 'y' });
export const relu = defineUnary('relu', 'max(a, 0.0)', { expr: 'select(0.0, a, b > 0.0)', uses: 'x' });
export const sigmoid = defineUnary('sigmoid', 'sigmoid_f32(a)', { expr: 'a * b * (1.0 - b)', uses: 'y' });
export const tanh = defineUnary('tanh', 'tanh_f32(a)', { expr: 'a * (1.0 - b * b)', uses: 'y' });

const GELU_ERF = '0.5 * a * (1.0 + erf_f32(a * 0.7071067811865476))';
const GELU_ERF_GRAD = 'a * (0.5 * (1.0 + erf_f32(b * 0.7071067811865476)) + b * 0.3989422804014327 * exp(-0.5 * b * b))';
// tanh approximation: 0.5 x (1 + tanh(k (x + 0.044715 x³))), k = sqrt(2/π)
const GELU_TANH = '0.5 * a * (1.0 + tanh_f32(0.7978845608028654 * (a + 0.044715 * a * a * a)))';
const GELU_TANH_GRAD =
  'a * (0.5 * (1.0 + tanh_f32(0.7978845608028654 * (b + 0.044715 * b * b * b))) + 0.5 * b * (1.0 - pow(tanh_f32(0.7978845608028654 * (b + 0.044715 * b * b * b)), 2.0)) * 0.7978845608028654 * (1.0 + 0.134145 * b * b))';
const geluErf = defineUnary('gelu', GELU_ERF, { expr: GELU_ERF_GRAD, uses: 'x' });
const geluTanh = defineUnary('gelu', GELU_TANH, { expr: GELU_TANH_GRAD, uses: 'x' });

export function gelu(x: Tensor, approximate: 'none' | 'tanh' = 'none'): Tensor {
  if (approximate !== 'none' && approximate !== 'tanh') throw new Error(`gelu: approximate must be 'none' or 'tanh', got '${approximate}'`);
  return approximate === 'tanh' ? geluTanh(x) : geluErf(x);
}

export function neg(x: Tensor): Tensor {
  x.assertLive('neg');
  const ct = x.dtype === 'float32' ? 'f32' : 'i32';
  const y = map('neg', [x], { expr: '-a', outDtype: x.dtype === 'bool' ? 'int32' : x.dtype, compute: ct });
  return recordOp('neg', [x], y, () => (g) => [neg(g)]);
}

export function abs(x: Tensor): Tensor {
  x.assertLive('abs');
  const ct = x.dtype === 'float32' ? 'f32' : 'i32';
  const y = map('abs', [x], { expr: 'abs(a)', outDtype: x.dtype === 'bool' ? 'int32' : x.dtype, compute: ct });
  return recordOp('abs', [x], y, (save) => {
    const s = save(x);
    return (g) => [gradMap('abs.backward', g, s, 'a * sign(b)')];
  });
}

export function pow(x: Tensor, e: TensorOrScalar): Tensor {
  if (typeof e === 'number') {
    const y = unaryFloat('pow', x, 'pow_f32(a, p0)', e);
    return recordOp('pow', [x], y, (save) => {
      const s = save(x);
      return (g) => [gradMap('pow.backward', g, s, 'a * p0 * pow_f32(b, p0 - 1.0)', e)];
    });
  }
  x.assertLive('pow');
  e.assertLive('pow');
  const y = map('pow', [x, e], { expr: 'pow_f32(a, b)', outDtype: 'float32', compute: 'f32' });
  return recordOp('pow', [x, e], y, (save) => {
    const sx = save(x);
    const se = save(e);
    const sy = save(y);
    return (g) => [
      x.requiresGrad ? sumTo(map('pow.backward', [g, sx, se], { expr: 'a * c * pow_f32(b, c - 1.0)', outDtype: 'float32', compute: 'f32' }), x.shape) : null,
      e.requiresGrad
        ? sumTo(map('pow.backward', [g, sy, sx], { expr: 'select(a * b * log(c), 0.0, c == 0.0)', outDtype: 'float32', compute: 'f32' }), e.shape)
        : null,
    ];
  });
}

export function clamp(x: Tensor, min?: number | null, max?: number | null): Tensor {
  if ((min === undefined || min === null) && (max === undefined || max === null)) throw new Error('clamp: give at least one of min and max');
  const lo = min ?? -Infinity;
  const hi = max ?? Infinity;
  if (x.dtype !== 'float32') throw new Error(`clamp: expects a float32 tensor, got ${x.dtype}; convert with .float()`);
  // min(max(x, lo), hi) as PyTorch, NaN kept.
  const y = unaryFloat('clamp', x, 'select(min(max(a, p0), p1), a, is_nan(a))', lo, hi);
  return recordOp('clamp', [x], y, (save) => {
    const s = save(x);
    return (g) => [gradMap('clamp.backward', g, s, 'select(0.0, a, b >= p0 && b <= p1)', lo, hi)];
  });
}

export function cast(x: Tensor, dtype: DType): Tensor {
  x.assertLive('cast');
  if (x.dtype === dtype) return x; // as torch: no copy, and gradients keep flowing
  const srcFloat = x.dtype === 'float32';
  if (dtype === 'bool') {
    return map('to(bool)', [x], { expr: srcFloat ? 'select(0, 1, a != 0.0)' : 'select(0, 1, a != 0)', outDtype: 'bool', compute: srcFloat ? 'f32' : 'i32' });
  }
  // float -> int truncates toward zero, as PyTorch.
  return map(`to(${dtype})`, [x], { expr: 'a', outDtype: dtype, compute: dtype === 'float32' ? 'f32' : 'i32' });
}

// ---- binary ----

interface BinaryDef {
  name: string;
  expr: string;
  /** Gradients of the output w.r.t. a and b, given upstream g and saved a, b, y. */
  grad?: (g: Tensor, a: Tensor, b: Tensor, y: Tensor) => [Tensor | null, Tensor | null];
  /** Output is bool (comparisons); otherwise the promoted dtype. */
  boolOut?: boolean;
  floatOnly?: boolean;
}

function toTensor(v: TensorOrScalar, like: Tensor): Tensor {
  return typeof v === 'number' ? scalarLike(v, like.dtype === 'float32' || !Number.isInteger(v) ? 'float32' : 'int32') : v;
}

function binary(def: BinaryDef, a0: TensorOrScalar, b0: TensorOrScalar): Tensor {
  if (typeof a0 === 'number' && typeof b0 === 'number') throw new Error(`${def.name}: needs at least one tensor operand`);
  const like = (typeof a0 === 'number' ? b0 : a0) as Tensor;
  like.assertLive(def.name);
  const a = toTensor(a0, like);
  const b = toTensor(b0, like);
  try {
    a.assertLive(def.name);
    b.assertLive(def.name);
    let dtype = promote(a.dtype, b.dtype);
    if (def.floatOnly) dtype = 'float32';
    const compute = dtype === 'float32' ? 'f32' : 'i32';
    const y = map(def.name, [a, b], { expr: def.expr, outDtype: def.boolOut ? 'bool' : dtype, compute });
    if (!def.grad || def.boolOut) return y;
    const grad = def.grad;
    return recordOp(def.name, [a, b], y, (save) => {
      const sa = save(a);
      const sb = save(b);
      const sy = save(y);
      return (g) => {
        const [ga, gb] = grad(g, sa, sb, sy);
        return [ga && a.requiresGrad ? sumTo(ga, a.shape) : null, gb && b.requiresGrad ? sumTo(gb, b.shape) : null];
      };
    });
  } finally {
    if (a !== a0) a.dispose();
    if (b !== b0) b.dispose();
  }
}

const f = (op: string, inputs: Tensor[], expr: string) => map(op, inputs, { expr, outDtype: 'float32', compute: 'f32' });

const ADD: BinaryDef = { name: 'add', expr: 'a + b', grad: (g) => [g, g] };
const SUB: BinaryDef = { name: 'sub', expr: 'a - b', grad: (g) => [g, neg(g)] };
const MUL: BinaryDef = { name: 'mul', expr: 'a * b', grad: (g, a, b) => [f('mul.backward', [g, b], 'a * b'), f('mul.backward', [g, a], 'a * b')] };
const DIV: BinaryDef = {
  name: 'div',
  expr: 'a / b',
  floatOnly: true,
  grad: (g, a, b, y) => [f('div.backward', [g, b], 'a / b'), f('div.backward', [g, y, b], '-a * b / c')],
};
const MAXIMUM: BinaryDef = {
  name: 'maximum',
  expr: 'select(max(a, b), select(b, a, is_nan(a)), is_nan(a) || is_nan(b))',
  grad: (g, a, b) => [f('maximum.backward', [g, a, b], 'a * select(select(0.0, 0.5, b == c), 1.0, b > c)'), f('maximum.backward', [g, b, a], 'a * select(select(0.0, 0.5, b == c), 1.0, b > c)')],
};
const MINIMUM: BinaryDef = {
  name: 'minimum',
  expr: 'select(min(a, b), select(b, a, is_nan(a)), is_nan(a) || is_nan(b))',
  grad: (g, a, b) => [f('minimum.backward', [g, a, b], 'a * select(select(0.0, 0.5, b == c), 1.0, b < c)'), f('minimum.backward', [g, b, a], 'a * select(select(0.0, 0.5, b == c), 1.0, b < c)')],
};

/**
 * tensor ∘ scalar for the four arithmetic ops: one kernel with the scalar as a uniform, instead of
 * materialising the scalar as a tensor. `y = k·x + c` or `y = c / x` covers them all.
 */
function scalarArith(name: string, x: Tensor, k: number, c: number, reciprocal = false): Tensor {
  x.assertLive(name);
  const float = x.dtype === 'float32' || !Number.isInteger(k) || !Number.isInteger(c) || reciprocal;
  const compute = float ? 'f32' : 'i32';
  const expr = reciprocal ? 'p1 / a' : float ? 'a * p0 + p1' : 'a * i32(p0) + i32(p1)';
  const y = map(name, [x], { expr, outDtype: float ? 'float32' : 'int32', compute, p0: k, p1: c });
  return recordOp(name, [x], y, (save) => {
    if (!reciprocal) return (g) => [k === 1 ? g : map(`${name}.backward`, [g], { expr: 'a * p0', outDtype: 'float32', compute: 'f32', p0: k })];
    const sx = save(x);
    return (g) => [gradMap(`${name}.backward`, g, sx, '-a * p1 / (b * b)', 0, c)];
  });
}

export const add = (a: TensorOrScalar, b: TensorOrScalar) =>
  typeof b === 'number' && typeof a !== 'number' ? scalarArith('add', a, 1, b) : typeof a === 'number' && typeof b !== 'number' ? scalarArith('add', b, 1, a) : binary(ADD, a, b);
export const sub = (a: TensorOrScalar, b: TensorOrScalar) =>
  typeof b === 'number' && typeof a !== 'number' ? scalarArith('sub', a, 1, -b) : typeof a === 'number' && typeof b !== 'number' ? scalarArith('sub', b, -1, a) : binary(SUB, a, b);
export const mul = (a: TensorOrScalar, b: TensorOrScalar) =>
  typeof b === 'number' && typeof a !== 'number' ? scalarArith('mul', a, b, 0) : typeof a === 'number' && typeof b !== 'number' ? scalarArith('mul', b, a, 0) : binary(MUL, a, b);
export const div = (a: TensorOrScalar, b: TensorOrScalar) =>
  typeof b === 'number' && typeof a !== 'number' ? scalarArith('div', a.dtype === 'float32' ? a : cast(a, 'float32'), 1 / b, 0) : typeof a === 'number' && typeof b !== 'number' ? scalarArith('div', b, 0, a, true) : binary(DIV, a, b);
export const maximum = (a: TensorOrScalar, b: TensorOrScalar) => binary(MAXIMUM, a, b);
export const minimum = (a: TensorOrScalar, b: TensorOrScalar) => binary(MINIMUM, a, b);

const cmp = (name: string, opExpr: string) => {
  const def: BinaryDef = { name, expr: `select(0, 1, ${opExpr})`, boolOut: true };
  return (a: TensorOrScalar, b: TensorOrScalar) => binary(def, a, b);
};
export const eq = cmp('eq', 'a == b');
export const ne = cmp('ne', 'a != b');
export const lt = cmp('lt', 'a < b');
export const le = cmp('le', 'a <= b');
export const gt = cmp('gt', 'a > b');
export const ge = cmp('ge', 'a >= b');

/** where(cond, a, b): a where cond is true (non-zero), else b; broadcasting all three. */
export function where(cond: Tensor, a0: TensorOrScalar, b0: TensorOrScalar): Tensor {
  cond.assertLive('where');
  const like = typeof a0 === 'number' ? (typeof b0 === 'number' ? null : b0) : a0;
  const dtype: DType = like ? like.dtype : 'float32';
  const a = typeof a0 === 'number' ? scalarLike(a0, dtype === 'bool' ? 'int32' : dtype) : a0;
  const b = typeof b0 === 'number' ? scalarLike(b0, dtype === 'bool' ? 'int32' : dtype) : b0;
  try {
    const outDtype = promote(a.dtype, b.dtype);
    const ct = outDtype === 'float32' ? 'f32' : 'i32';
    const ca = cond.dtype === 'float32' ? 'f32' : 'i32';
    const zero = ca === 'f32' ? '0.0' : '0';
    const y = map('where', [cond, a, b], { expr: `select(c, b, a != ${zero})`, outDtype, compute: ct, computeA: ca });
    return recordOp('where', [a, b], y, (save) => {
      const sc = save(cond);
      return (g) => [
        a.requiresGrad ? sumTo(f('where.backward', [sc, g], 'select(0.0, b, a != 0.0)'), a.shape) : null,
        b.requiresGrad ? sumTo(f('where.backward', [sc, g], 'select(b, 0.0, a != 0.0)'), b.shape) : null,
      ];
    });
  } finally {
    if (a !== a0) a.dispose();
    if (b !== b0) b.dispose();
  }
}

export function checkSameShape(op: string, a: Tensor, b: Tensor): void {
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new Error(`${op}: shapes ${fmt(a.shape)} and ${fmt(b.shape)} differ`);
  }
}
