// Op-correctness cases: one entry per (op, awkward shape/layout) combination.
// Used by test/cases/run.ts (golden + gradcheck runners, Node and browser) and by
// test/golden/export-cases.ts (which hands the specs to PyTorch). No Node built-ins here.
//
// Conventions
//  - `inputs[i].shape` is the shape of the LEAF tensor; `view` turns it into the operand (possibly
//    non-contiguous). Gradients are checked w.r.t. the leaves.
//  - `torch` is a Python expression over the viewed operands a, b, c, ... (int32 inputs arrive as
//    torch.long), `torch`, `F` (torch.nn.functional) and `dt` (the float dtype of the run).
//  - `ref` is the float64 reference over the viewed operands.
import type { EngineLike, InputSpec, OpCase, TensorLike, Tol, ViewOp } from './types.ts';
import type { RefTensor } from '../reference/tensor.ts';
import * as R from '../reference/index.ts';
import { generate } from './gen.ts';

export type { OpCase } from './types.ts';

const FWD: Tol = { rtol: 1e-4, atol: 1e-5 };
const GRAD: Tol = { rtol: 5e-4, atol: 5e-5 };
/**
 * Elementwise and data-movement forwards: errors scale with each element, so atol is not
 * multiplied by the tensor's largest magnitude; shape ops only move float32 values: (nearly)
 * exact. Their gradients keep the default: broadcasting/expand gradients are sums.
 */
const FAMILY_TOL: Record<string, { fwd: Tol; grad: Tol }> = {
  creation: { fwd: { ...FWD, scale: 'one' }, grad: GRAD },
  unary: { fwd: { ...FWD, scale: 'one' }, grad: { ...GRAD, scale: 'one' } },
  binary: { fwd: { ...FWD, scale: 'one' }, grad: GRAD },
  compare: { fwd: { ...FWD, scale: 'one' }, grad: GRAD },
  shape: { fwd: { rtol: 1e-6, atol: 1e-7, scale: 'one' }, grad: GRAD },
};

/** Rows slightly over 2^20 elements: the "large reduction" sizes. */
const BIG_N = 1048576 + 37; // 1-D, not a multiple of 4/16/64
const BR = 1031; // [BR, BC] = 1,065,023 elements
const BC = 1033;

type Run = (E: EngineLike, ...xs: TensorLike[]) => TensorLike;
type Ref = (...xs: RefTensor[]) => RefTensor;

interface Def {
  id: string;
  op: string;
  inputs?: InputSpec[];
  run: Run;
  torch: string;
  ref: Ref;
  tol?: Partial<Tol>;
  gradTol?: Partial<Tol>;
  outDtype?: 'float32' | 'int32' | 'bool';
  big?: boolean;
  fdSamples?: number;
}

export const CASES: OpCase[] = [];

function add(family: string, d: Def): void {
  if (CASES.some((c) => c.id === d.id)) throw new Error(`duplicate case id ${d.id}`);
  CASES.push({
    id: d.id,
    family,
    op: d.op,
    inputs: d.inputs ?? [],
    run: d.run,
    torch: d.torch,
    ref: d.ref,
    tol: { ...(FAMILY_TOL[family]?.fwd ?? FWD), ...d.tol },
    gradTol: { ...(FAMILY_TOL[family]?.grad ?? GRAD), ...d.gradTol },
    ...(d.outDtype ? { outDtype: d.outDtype } : {}),
    big: d.big ?? false,
    ...(d.fdSamples ? { fdSamples: d.fdSamples } : {}),
  });
}

// ---------------------------------------------------------------- input builders

/** Contiguous float input. */
const x = (shape: number[], gen = 'randn', grad = true): InputSpec => ({ shape, dtype: 'float32', gen, grad });
/** Int32 input with values in [lo, hi) (never differentiable). */
const xi = (shape: number[], lo: number, hi: number): InputSpec => ({ shape, dtype: 'int32', gen: `int(${lo},${hi})`, grad: false });
const noGrad = (s: InputSpec): InputSpec => ({ ...s, grad: false });
const withView = (shape: number[], view: ViewOp[], gen: string, grad: boolean): InputSpec => ({ shape, dtype: 'float32', gen, grad, view });

/** Operand of logical shape `shape` that is a transposed view (leaf has d0/d1 swapped). */
function xT(shape: number[], gen = 'randn', d0 = -2, d1 = -1, grad = true): InputSpec {
  const r = shape.length;
  const a = d0 < 0 ? d0 + r : d0;
  const b = d1 < 0 ? d1 + r : d1;
  const base = [...shape];
  base[a] = shape[b];
  base[b] = shape[a];
  return withView(base, [{ kind: 'transpose', d0, d1 }], gen, grad);
}

/** Operand of logical shape `shape` that is a step-sliced view along `dim` of a bigger leaf. */
function xS(shape: number[], dim: number, step: number, gen = 'randn', start = 1, grad = true): InputSpec {
  const r = shape.length;
  const d = dim < 0 ? dim + r : dim;
  const base = [...shape];
  const end = start + (shape[d] - 1) * step + 1;
  base[d] = end + 2; // two trailing elements that the slice never touches
  return withView(base, [{ kind: 'slice', dim, start, end, step }], gen, grad);
}

/** Operand of shape `shape` that is an expanded view of a leaf of shape `base`. */
const xE = (base: number[], shape: number[], gen = 'randn', grad = true): InputSpec => withView(base, [{ kind: 'expand', shape }], gen, grad);

/** Operand of logical shape `shape` that is `leaf.permute(perm)`. */
function xP(shape: number[], perm: number[], gen = 'randn', grad = true): InputSpec {
  const base = new Array<number>(shape.length);
  perm.forEach((p, i) => (base[p] = shape[i]));
  return withView(base, [{ kind: 'permute', dims: perm }], gen, grad);
}

const pyNum = (v: number) => (Number.isInteger(v) ? `${v}.0` : `${v}`);
const pyArr = (vals: ArrayLike<number>) => `[${Array.from(vals, (v) => pyNum(v)).join(', ')}]`;

// =================================================================== creation (forward only)
{
  const fam = 'creation';
  const nested = [
    [1.5, -2, 3],
    [4, 5.25, -6],
  ];
  add(fam, {
    id: 'tensor_nested_2x3', op: 'tensor',
    run: (E) => E.tensor(nested),
    torch: `torch.tensor(${JSON.stringify(nested)}, dtype=dt)`,
    ref: () => R.tensorRef(nested),
  });
  const nested3 = [[[1, 2]], [[3, 4]], [[5, 6]]];
  add(fam, {
    id: 'tensor_nested_3x1x2', op: 'tensor',
    run: (E) => E.tensor(nested3),
    torch: `torch.tensor(${JSON.stringify(nested3)}, dtype=dt)`,
    ref: () => R.tensorRef(nested3),
  });
  const v37 = generate('randn', 37, 'creation/v37');
  add(fam, {
    id: 'tensor_typed_37', op: 'tensor',
    run: (E) => E.tensor(Float32Array.from(v37), [37]),
    torch: `torch.tensor(${pyArr(v37)}, dtype=dt)`,
    ref: () => R.tensorRef(v37, [37]),
  });
  const v24 = generate('randn', 24, 'creation/v24');
  add(fam, {
    id: 'tensor_typed_shape_2x3x4', op: 'tensor',
    run: (E) => E.tensor(Float32Array.from(v24), [2, 3, 4]),
    torch: `torch.tensor(${pyArr(v24)}, dtype=dt).reshape(2, 3, 4)`,
    ref: () => R.tensorRef(v24, [2, 3, 4]),
  });
  add(fam, {
    id: 'tensor_scalar', op: 'tensor',
    run: (E) => E.tensor(3.5),
    torch: `torch.tensor(3.5, dtype=dt)`,
    ref: () => R.tensorRef(3.5),
  });
  add(fam, {
    id: 'tensor_int32', op: 'tensor', outDtype: 'int32',
    run: (E) => E.tensor([[1, -2, 7], [3, 4, -100000]], undefined, { dtype: 'int32' }),
    torch: `torch.tensor([[1, -2, 7], [3, 4, -100000]])`,
    ref: () => R.tensorRef([[1, -2, 7], [3, 4, -100000]], undefined, 'int32'),
  });
  add(fam, { id: 'zeros_3x1x5', op: 'zeros', run: (E) => E.zeros([3, 1, 5]), torch: `torch.zeros(3, 1, 5, dtype=dt)`, ref: () => R.zeros([3, 1, 5]) });
  add(fam, { id: 'ones_7', op: 'ones', run: (E) => E.ones([7]), torch: `torch.ones(7, dtype=dt)`, ref: () => R.ones([7]) });
  add(fam, { id: 'ones_scalar', op: 'ones', run: (E) => E.ones([]), torch: `torch.ones((), dtype=dt)`, ref: () => R.ones([]) });
  add(fam, { id: 'full_2x3x5', op: 'full', run: (E) => E.full([2, 3, 5], 0.1), torch: `torch.full((2, 3, 5), 0.1, dtype=dt)`, ref: () => R.full([2, 3, 5], 0.1) });
  add(fam, { id: 'full_1x17_neg', op: 'full', run: (E) => E.full([1, 17], -2.5), torch: `torch.full((1, 17), -2.5, dtype=dt)`, ref: () => R.full([1, 17], -2.5) });
  add(fam, { id: 'arange_7', op: 'arange', run: (E) => E.arange(7), torch: `torch.arange(7, dtype=dt)`, ref: () => R.arange(7) });
  add(fam, { id: 'arange_2_11_3', op: 'arange', run: (E) => E.arange(2, 11, 3), torch: `torch.arange(2, 11, 3, dtype=dt)`, ref: () => R.arange(2, 11, 3) });
  add(fam, { id: 'arange_frac_step', op: 'arange', run: (E) => E.arange(0, 1, 0.1), torch: `torch.arange(0, 1, 0.1, dtype=dt)`, ref: () => R.arange(0, 1, 0.1) });
  add(fam, { id: 'arange_neg_step', op: 'arange', run: (E) => E.arange(5, -3, -1.5), torch: `torch.arange(5, -3, -1.5, dtype=dt)`, ref: () => R.arange(5, -3, -1.5) });
  add(fam, {
    id: 'arange_int32_1000', op: 'arange', outDtype: 'int32',
    run: (E) => E.arange(-7, 993, 1, { dtype: 'int32' }),
    torch: `torch.arange(-7, 993, 1)`,
    ref: () => R.arange(-7, 993, 1),
  });
}

// =================================================================== unary elementwise
{
  const fam = 'unary';
  type U = { op: string; gen: string; run: (a: TensorLike, E: EngineLike) => TensorLike; torch: string; ref: (a: RefTensor) => RefTensor; tol?: Partial<Tol>; gradTol?: Partial<Tol> };
  // Operand layouts (logical shapes): 37, [5,1,13], transposed [23,17], sliced-step [6,11], scalar.
  const L: Record<string, (gen: string) => InputSpec> = {
    n37: (g) => x([37], g),
    s5x1x13: (g) => x([5, 1, 13], g),
    t23x17: (g) => xT([23, 17], g),
    sl6x11: (g) => xS([6, 11], 1, 3, g),
    scalar: (g) => x([], g),
    n1029: (g) => x([1029], g),
  };
  const unary = (u: U, layouts: string[]) => {
    for (const l of layouts) {
      add(fam, {
        id: `${u.op}_${l}`, op: u.op.replace(/_.*$/, ''),
        inputs: [L[l](u.gen)],
        run: (E, a) => u.run(a, E),
        torch: u.torch,
        ref: u.ref,
        tol: u.tol,
        gradTol: u.gradTol,
      });
    }
  };
  unary({ op: 'neg', gen: 'randn', run: (a) => a.neg(), torch: `torch.neg(a)`, ref: R.neg }, ['n37', 't23x17', 'scalar']);
  unary({ op: 'exp', gen: 'uniform(-4,4)', run: (a) => a.exp(), torch: `torch.exp(a)`, ref: R.exp }, ['n37', 'sl6x11']);
  unary({ op: 'log', gen: 'positive', run: (a) => a.log(), torch: `torch.log(a)`, ref: R.log }, ['n37', 't23x17']);
  unary({ op: 'sqrt', gen: 'positive', run: (a) => a.sqrt(), torch: `torch.sqrt(a)`, ref: R.sqrt }, ['s5x1x13', 'sl6x11']);
  unary({ op: 'rsqrt', gen: 'positive', run: (a) => a.rsqrt(), torch: `torch.rsqrt(a)`, ref: R.rsqrt }, ['n37', 't23x17']);
  unary({ op: 'abs', gen: 'randn', run: (a) => a.abs(), torch: `torch.abs(a)`, ref: R.abs }, ['n37', 'sl6x11']);
  unary({ op: 'relu', gen: 'randn', run: (a) => a.relu(), torch: `torch.relu(a)`, ref: R.relu }, ['s5x1x13', 't23x17']);
  unary({ op: 'relu_F', gen: 'randn', run: (a, E) => E.F.relu(a), torch: `F.relu(a)`, ref: R.relu }, ['n37']);
  unary({ op: 'sigmoid', gen: 'uniform(-8,8)', run: (a) => a.sigmoid(), torch: `torch.sigmoid(a)`, ref: R.sigmoid }, ['n37', 't23x17']);
  unary({ op: 'sigmoid_F', gen: 'randn', run: (a, E) => E.F.sigmoid(a), torch: `torch.sigmoid(a)`, ref: R.sigmoid }, ['s5x1x13']);
  unary({ op: 'tanh', gen: 'uniform(-5,5)', run: (a) => a.tanh(), torch: `torch.tanh(a)`, ref: R.tanh }, ['n37', 'sl6x11']);
  unary({ op: 'tanh_F', gen: 'randn', run: (a, E) => E.F.tanh(a), torch: `torch.tanh(a)`, ref: R.tanh }, ['s5x1x13']);
  unary({ op: 'gelu', gen: 'uniform(-5,5)', run: (a) => a.gelu(), torch: `F.gelu(a)`, ref: (a) => R.gelu(a) }, ['n37', 't23x17']);
  unary({ op: 'gelu_F', gen: 'randn', run: (a, E) => E.F.gelu(a), torch: `F.gelu(a)`, ref: (a) => R.gelu(a) }, ['n1029']);
  unary({ op: 'geluTanh', gen: 'uniform(-5,5)', run: (a) => a.gelu('tanh'), torch: `F.gelu(a, approximate='tanh')`, ref: (a) => R.gelu(a, 'tanh') }, ['s5x1x13', 'sl6x11']);
  unary({ op: 'geluTanh_F', gen: 'randn', run: (a, E) => E.F.gelu(a, { approximate: 'tanh' }), torch: `F.gelu(a, approximate='tanh')`, ref: (a) => R.gelu(a, 'tanh') }, ['n37']);
  unary({ op: 'clamp', gen: 'randn', run: (a) => a.clamp(-0.5, 0.7), torch: `torch.clamp(a, -0.5, 0.7)`, ref: (a) => R.clamp(a, -0.5, 0.7) }, ['n37', 't23x17']);
  unary({ op: 'clamp_min', gen: 'randn', run: (a) => a.clamp(-0.3), torch: `torch.clamp(a, min=-0.3)`, ref: (a) => R.clamp(a, -0.3) }, ['s5x1x13']);
  unary({ op: 'clamp_max', gen: 'randn', run: (a) => a.clamp(undefined, 0.2), torch: `torch.clamp(a, max=0.2)`, ref: (a) => R.clamp(a, undefined, 0.2) }, ['sl6x11']);
  unary({ op: 'pow_2', gen: 'randn', run: (a) => a.pow(2), torch: `torch.pow(a, 2)`, ref: (a) => R.pow(a, 2) }, ['n37']);
  unary({ op: 'pow_3', gen: 'randn', run: (a) => a.pow(3), torch: `torch.pow(a, 3)`, ref: (a) => R.pow(a, 3) }, ['t23x17']);
  unary({ op: 'pow_0.5', gen: 'positive', run: (a) => a.pow(0.5), torch: `torch.pow(a, 0.5)`, ref: (a) => R.pow(a, 0.5) }, ['s5x1x13']);
  unary({ op: 'pow_-1.5', gen: 'positive', run: (a) => a.pow(-1.5), torch: `torch.pow(a, -1.5)`, ref: (a) => R.pow(a, -1.5) }, ['sl6x11']);
  unary({ op: 'pow_2.5', gen: 'positive', run: (a) => a.pow(2.5), torch: `torch.pow(a, 2.5)`, ref: (a) => R.pow(a, 2.5) }, ['scalar']);

  // Large elementwise (> 1M elements, strided input).
  add(fam, {
    id: 'geluTanh_big_transposed', op: 'gelu', big: true,
    inputs: [xT([BR, BC], 'wave(1.1,4)')],
    run: (_E, a) => a.gelu('tanh'), torch: `F.gelu(a, approximate='tanh')`, ref: (a) => R.gelu(a, 'tanh'),
  });
}

// =================================================================== binary elementwise (broadcasting)
{
  const fam = 'binary';
  type B = { op: string; run: (a: TensorLike, b: TensorLike) => TensorLike; torch: string; ref: (a: RefTensor, b: RefTensor) => RefTensor; genA?: string; genB?: string };
  const ops: Record<string, B> = {
    add: { op: 'add', run: (a, b) => a.add(b), torch: 'a + b', ref: R.add },
    sub: { op: 'sub', run: (a, b) => a.sub(b), torch: 'a - b', ref: R.sub },
    mul: { op: 'mul', run: (a, b) => a.mul(b), torch: 'a * b', ref: R.mul },
    div: { op: 'div', run: (a, b) => a.div(b), torch: 'a / b', ref: R.div, genB: 'nonzero' },
    pow: { op: 'pow', run: (a, b) => a.pow(b), torch: 'torch.pow(a, b)', ref: R.pow, genA: 'positive', genB: 'uniform(-2,3)' },
    maximum: { op: 'maximum', run: (a, b) => a.maximum(b), torch: 'torch.maximum(a, b)', ref: R.maximum },
    minimum: { op: 'minimum', run: (a, b) => a.minimum(b), torch: 'torch.minimum(a, b)', ref: R.minimum },
  };
  // Broadcast / layout patterns: [name, a-spec(gen), b-spec(gen)].
  type P = [string, (g: string) => InputSpec, (g: string) => InputSpec];
  const P: Record<string, P> = {
    same: ['7x13', (g) => x([7, 13], g), (g) => x([7, 13], g)],
    both: ['5x1x7_1x6x1', (g) => x([5, 1, 7], g), (g) => x([1, 6, 1], g)],
    right: ['3x4x5_5', (g) => x([3, 4, 5], g), (g) => x([5], g)],
    left: ['5_3x4x5', (g) => x([5], g), (g) => x([3, 4, 5], g)],
    rank: ['2x3x1x5_3x4x1', (g) => x([2, 3, 1, 5], g), (g) => x([3, 4, 1], g)],
    scalarT: ['scalar_3x4', (g) => x([], g), (g) => x([3, 4], g)],
    one: ['1_2x3', (g) => x([1], g), (g) => x([2, 3], g)],
    noncontig: ['transposed_sliced', (g) => xT([9, 17], g), (g) => xS([9, 17], 0, 2, g)],
    expanded: ['expanded_4x1to4x6_4x6', (g) => xE([4, 1], [4, 6], g), (g) => x([4, 6], g)],
    permuted: ['permuted_3x5x2_1x5x1', (g) => xP([3, 5, 2], [2, 0, 1], g), (g) => x([1, 5, 1], g)],
  };
  const table: [string, string[]][] = [
    ['add', ['same', 'both', 'right', 'left', 'rank', 'scalarT', 'one', 'noncontig', 'expanded', 'permuted']],
    ['sub', ['both', 'left', 'noncontig']],
    ['mul', ['same', 'both', 'rank', 'noncontig', 'expanded']],
    ['div', ['same', 'both', 'right', 'noncontig']],
    ['pow', ['same', 'right']],
    ['maximum', ['same', 'both']],
    ['minimum', ['same', 'left']],
  ];
  for (const [name, pats] of table) {
    const o = ops[name];
    for (const p of pats) {
      const [pn, fa, fb] = P[p];
      add(fam, {
        id: `${name}_${pn}`, op: name,
        inputs: [fa(o.genA ?? 'randn'), fb(o.genB ?? 'randn')],
        run: (_E, a, b) => o.run(a, b),
        torch: o.torch,
        ref: o.ref,
      });
    }
  }
  // Scalar (number) operands.
  const scal: [string, string, (a: TensorLike) => TensorLike, string, (a: RefTensor) => RefTensor, string?][] = [
    ['add_number', 'add', (a) => a.add(2.5), 'a + 2.5', (a) => R.add(a, 2.5)],
    ['sub_number', 'sub', (a) => a.sub(-1.25), 'a - (-1.25)', (a) => R.sub(a, -1.25)],
    ['mul_number', 'mul', (a) => a.mul(-3), 'a * -3.0', (a) => R.mul(a, -3)],
    ['div_number', 'div', (a) => a.div(0.7), 'a / 0.7', (a) => R.div(a, 0.7)],
    ['maximum_number', 'maximum', (a) => a.maximum(0.3), 'torch.maximum(a, torch.tensor(0.3, dtype=dt))', (a) => R.maximum(a, 0.3)],
    ['minimum_number', 'minimum', (a) => a.minimum(-0.2), 'torch.minimum(a, torch.tensor(-0.2, dtype=dt))', (a) => R.minimum(a, -0.2)],
  ];
  for (const [id, op, run, torch, ref] of scal) {
    add(fam, { id, op, inputs: [xT([6, 11])], run: (_E, a) => run(a), torch, ref });
  }
  // Chained: a*b + c/a on mixed layouts (exercises gradient accumulation into one leaf).
  add(fam, {
    id: 'chain_mul_add_div', op: 'add',
    inputs: [x([4, 7], 'nonzero'), xT([4, 7]), x([7])],
    run: (_E, a, b, c) => a.mul(b).add(c.div(a)),
    torch: 'a * b + c / a',
    ref: (a, b, c) => R.add(R.mul(a, b), R.div(c, a)),
  });
  // Same leaf used twice through different views.
  add(fam, {
    id: 'add_self_transposed', op: 'add',
    inputs: [x([9, 9])],
    run: (_E, a) => a.add(a.transpose(0, 1)).mul(a),
    torch: '(a + a.transpose(0, 1)) * a',
    ref: (a) => R.mul(R.add(a, R.transpose(a, 0, 1)), a),
  });
  // Large.
  add(fam, {
    id: 'add_big_broadcast', op: 'add', big: true,
    inputs: [x([BR, BC], 'wave(0.4)'), x([BC], 'wave(2.0)')],
    run: (_E, a, b) => a.add(b), torch: 'a + b', ref: R.add,
  });
}

// =================================================================== comparisons + where
{
  const fam = 'compare';
  const cmps: [string, (a: TensorLike, b: TensorLike | number) => TensorLike, string, (a: RefTensor, b: RefTensor | number) => RefTensor][] = [
    ['eq', (a, b) => a.eq(b), '==', R.eq],
    ['ne', (a, b) => a.ne(b), '!=', R.ne],
    ['lt', (a, b) => a.lt(b), '<', R.lt],
    ['le', (a, b) => a.le(b), '<=', R.le],
    ['gt', (a, b) => a.gt(b), '>', R.gt],
    ['ge', (a, b) => a.ge(b), '>=', R.ge],
  ];
  for (const [op, run, sym, ref] of cmps) {
    // Small integers stored as float32 so that equality actually happens.
    add(fam, {
      id: `${op}_broadcast_4x1x6_5x1`, op, outDtype: 'bool',
      inputs: [noGrad(x([4, 1, 6], 'int(-2,3)')), noGrad(x([5, 1], 'int(-2,3)'))],
      run: (_E, a, b) => run(a, b), torch: `a ${sym} b`, ref: (a, b) => ref(a, b),
    });
    add(fam, {
      id: `${op}_number_transposed`, op, outDtype: 'bool',
      inputs: [noGrad(xT([7, 9], 'int(-3,4)'))],
      run: (_E, a) => run(a, 1), torch: `a ${sym} 1.0`, ref: (a) => ref(a, 1),
    });
  }
  // The condition source is the first input, so it is `a` in the torch expressions (positional names).
  add(fam, {
    id: 'where_same_5x7', op: 'where',
    inputs: [noGrad(x([5, 7])), x([5, 7]), x([5, 7])],
    run: (E, c, a, b) => E.F.where(c.gt(0), a, b), torch: 'torch.where(a > 0, b, c)',
    ref: (c, a, b) => R.where(R.gt(c, 0), a, b),
  });
  add(fam, {
    id: 'where_broadcast_5x1_1x7_5x7', op: 'where',
    inputs: [noGrad(x([5, 1])), x([1, 7]), x([5, 7])],
    run: (E, c, a, b) => E.F.where(c.gt(0), a, b), torch: 'torch.where(a > 0, b, c)',
    ref: (c, a, b) => R.where(R.gt(c, 0), a, b),
  });
  add(fam, {
    id: 'where_number_operand', op: 'where',
    inputs: [noGrad(x([4, 6])), xT([4, 6])],
    run: (E, c, a) => E.F.where(c.lt(0.3), a, 0.5), torch: 'torch.where(a < 0.3, b, torch.tensor(0.5, dtype=dt))',
    ref: (c, a) => R.where(R.lt(c, 0.3), a, 0.5),
  });
  add(fam, {
    id: 'where_noncontig', op: 'where',
    inputs: [noGrad(xT([6, 10])), xS([6, 10], 1, 2), xE([6, 1], [6, 10])],
    run: (E, c, a, b) => E.F.where(c.ge(0), a, b), torch: 'torch.where(a >= 0, b, c)',
    ref: (c, a, b) => R.where(R.ge(c, 0), a, b),
  });
}

// =================================================================== reductions
{
  const fam = 'reduce';
  const B3 = [5, 6, 7];
  // sum
  add(fam, { id: 'sum_all_5x6x7', op: 'sum', inputs: [x(B3)], run: (_E, a) => a.sum(), torch: 'torch.sum(a)', ref: (a) => R.sum(a) });
  add(fam, { id: 'sum_dim0_5x6x7', op: 'sum', inputs: [x(B3)], run: (_E, a) => a.sum(0), torch: 'torch.sum(a, 0)', ref: (a) => R.sum(a, 0) });
  add(fam, { id: 'sum_dims02_keep_5x6x7', op: 'sum', inputs: [x(B3)], run: (_E, a) => a.sum([0, 2], true), torch: 'torch.sum(a, [0, 2], keepdim=True)', ref: (a) => R.sum(a, [0, 2], true) });
  add(fam, { id: 'sum_negdim_keep_3x129', op: 'sum', inputs: [x([3, 129])], run: (_E, a) => a.sum(-1, true), torch: 'torch.sum(a, -1, keepdim=True)', ref: (a) => R.sum(a, -1, true) });
  add(fam, { id: 'sum_dim1_transposed', op: 'sum', inputs: [xT([11, 19])], run: (_E, a) => a.sum(1), torch: 'torch.sum(a, 1)', ref: (a) => R.sum(a, 1) });
  add(fam, { id: 'sum_dims_12_permuted', op: 'sum', inputs: [xP([3, 4, 5, 6], [2, 0, 3, 1])], run: (_E, a) => a.sum([1, -1]), torch: 'torch.sum(a, [1, -1])', ref: (a) => R.sum(a, [1, -1]) });
  add(fam, { id: 'sum_dim0_expanded', op: 'sum', inputs: [xE([1, 9], [6, 9])], run: (_E, a) => a.sum(0), torch: 'torch.sum(a, 0)', ref: (a) => R.sum(a, 0) });
  add(fam, { id: 'sum_size1_dim', op: 'sum', inputs: [x([4, 1, 3])], run: (_E, a) => a.sum(1), torch: 'torch.sum(a, 1)', ref: (a) => R.sum(a, 1) });
  add(fam, { id: 'sum_scalar_input', op: 'sum', inputs: [x([])], run: (_E, a) => a.sum(), torch: 'torch.sum(a)', ref: (a) => R.sum(a) });
  add(fam, { id: 'sum_sliced_step', op: 'sum', inputs: [xS([7, 13], 1, 3)], run: (_E, a) => a.sum(1, true), torch: 'torch.sum(a, 1, keepdim=True)', ref: (a) => R.sum(a, 1, true) });
  add(fam, { id: 'sum_all_big', op: 'sum', big: true, inputs: [x([BIG_N], 'wave(0.3)')], run: (_E, a) => a.sum(), torch: 'torch.sum(a)', ref: (a) => R.sum(a), tol: { atol: 1e-4 } });
  add(fam, { id: 'sum_dim1_big', op: 'sum', big: true, inputs: [x([BR, BC], 'wave(0.6)')], run: (_E, a) => a.sum(1), torch: 'torch.sum(a, 1)', ref: (a) => R.sum(a, 1), tol: { atol: 1e-4 } });
  add(fam, { id: 'sum_dim0_big_transposed', op: 'sum', big: true, inputs: [xT([BR, BC], 'wave(0.9)')], run: (_E, a) => a.sum(0), torch: 'torch.sum(a, 0)', ref: (a) => R.sum(a, 0), tol: { atol: 1e-4 } });
  add(fam, { id: 'sum_one_column_big', op: 'sum', big: true, inputs: [x([BIG_N, 1], 'wave(1.3)')], run: (_E, a) => a.sum(0, true), torch: 'torch.sum(a, 0, keepdim=True)', ref: (a) => R.sum(a, 0, true), tol: { atol: 1e-4 } });
  // mean
  add(fam, { id: 'mean_all_5x6x7', op: 'mean', inputs: [x(B3)], run: (_E, a) => a.mean(), torch: 'torch.mean(a)', ref: (a) => R.mean(a) });
  add(fam, { id: 'mean_dims12_5x6x7', op: 'mean', inputs: [x(B3)], run: (_E, a) => a.mean([1, 2]), torch: 'torch.mean(a, [1, 2])', ref: (a) => R.mean(a, [1, 2]) });
  add(fam, { id: 'mean_negdim_keep_transposed', op: 'mean', inputs: [xT([13, 10])], run: (_E, a) => a.mean(-1, true), torch: 'torch.mean(a, -1, keepdim=True)', ref: (a) => R.mean(a, -1, true) });
  add(fam, { id: 'mean_dim0_expanded', op: 'mean', inputs: [xE([3, 1, 4], [3, 5, 4])], run: (_E, a) => a.mean(1), torch: 'torch.mean(a, 1)', ref: (a) => R.mean(a, 1) });
  add(fam, { id: 'mean_dim0_keep_big', op: 'mean', big: true, inputs: [x([BR, BC], 'wave(0.15)')], run: (_E, a) => a.mean(0, true), torch: 'torch.mean(a, 0, keepdim=True)', ref: (a) => R.mean(a, 0, true) });
  // max / min (values)
  add(fam, { id: 'max_all_5x6x7', op: 'max', inputs: [x(B3)], run: (_E, a) => a.max(), torch: 'torch.amax(a)', ref: (a) => R.max(a) });
  add(fam, { id: 'max_dim1_5x6x7', op: 'max', inputs: [x(B3)], run: (_E, a) => a.max(1), torch: 'torch.amax(a, 1)', ref: (a) => R.max(a, 1) });
  add(fam, { id: 'max_dims02_keep', op: 'max', inputs: [x(B3)], run: (_E, a) => a.max([0, 2], true), torch: 'torch.amax(a, [0, 2], keepdim=True)', ref: (a) => R.max(a, [0, 2], true) });
  add(fam, { id: 'max_dim0_transposed', op: 'max', inputs: [xT([9, 130])], run: (_E, a) => a.max(0), torch: 'torch.amax(a, 0)', ref: (a) => R.max(a, 0) });
  add(fam, { id: 'max_negdim_sliced', op: 'max', inputs: [xS([5, 17], 1, 2)], run: (_E, a) => a.max(-1, true), torch: 'torch.amax(a, -1, keepdim=True)', ref: (a) => R.max(a, -1, true) });
  add(fam, { id: 'max_all_big', op: 'max', big: true, inputs: [x([BIG_N], 'wave(0.8,1,0,1e-6)')], run: (_E, a) => a.max(), torch: 'torch.amax(a)', ref: (a) => R.max(a) });
  add(fam, { id: 'min_all_5x6x7', op: 'min', inputs: [x(B3)], run: (_E, a) => a.min(), torch: 'torch.amin(a)', ref: (a) => R.min(a) });
  add(fam, { id: 'min_negdim_keep', op: 'min', inputs: [x(B3)], run: (_E, a) => a.min(-1, true), torch: 'torch.amin(a, -1, keepdim=True)', ref: (a) => R.min(a, -1, true) });
  add(fam, { id: 'min_dims01_permuted', op: 'min', inputs: [xP([4, 3, 5], [1, 2, 0])], run: (_E, a) => a.min([0, 1]), torch: 'torch.amin(a, [0, 1])', ref: (a) => R.min(a, [0, 1]) });
  add(fam, { id: 'min_dim1_big', op: 'min', big: true, inputs: [x([BR, BC], 'wave(1.7,1,0,1e-6)')], run: (_E, a) => a.min(1), torch: 'torch.amin(a, 1)', ref: (a) => R.min(a, 1) });
  // argmax (forward only)
  add(fam, { id: 'argmax_dim0', op: 'argmax', inputs: [noGrad(x(B3))], run: (_E, a) => a.argmax(0), torch: 'torch.argmax(a, 0)', ref: (a) => R.argmax(a, 0) });
  add(fam, { id: 'argmax_negdim_keep', op: 'argmax', inputs: [noGrad(x([3, 129]))], run: (_E, a) => a.argmax(-1, true), torch: 'torch.argmax(a, -1, keepdim=True)', ref: (a) => R.argmax(a, -1, true) });
  add(fam, { id: 'argmax_dim1_transposed', op: 'argmax', inputs: [noGrad(xT([4, 33, 6], 'randn', 1, 2))], run: (_E, a) => a.argmax(1), torch: 'torch.argmax(a, 1)', ref: (a) => R.argmax(a, 1) });
  add(fam, { id: 'argmax_dim1_big', op: 'argmax', big: true, inputs: [noGrad(x([BR, BC], 'wave(0.35,1,0,1e-6)'))], run: (_E, a) => a.argmax(1), torch: 'torch.argmax(a, 1)', ref: (a) => R.argmax(a, 1) });
  // var
  add(fam, { id: 'var_all_corr1', op: 'var', inputs: [x(B3)], run: (_E, a) => a.var(), torch: 'torch.var(a)', ref: (a) => R.variance(a) });
  add(fam, { id: 'var_dim1_corr0', op: 'var', inputs: [x(B3)], run: (_E, a) => a.var(1, { correction: 0 }), torch: 'torch.var(a, 1, correction=0)', ref: (a) => R.variance(a, 1, 0) });
  add(fam, { id: 'var_dims02_keep_corr1', op: 'var', inputs: [x(B3)], run: (_E, a) => a.var([0, 2], { correction: 1, keepdim: true }), torch: 'torch.var(a, [0, 2], correction=1, keepdim=True)', ref: (a) => R.variance(a, [0, 2], 1, true) });
  add(fam, { id: 'var_negdim_transposed_corr0', op: 'var', inputs: [xT([17, 6])], run: (_E, a) => a.var(-1, { correction: 0, keepdim: true }), torch: 'torch.var(a, -1, correction=0, keepdim=True)', ref: (a) => R.variance(a, -1, 0, true) });
  add(fam, { id: 'var_offset_stability', op: 'var', inputs: [x([5, 4099], 'uniform(100,101)')], run: (_E, a) => a.var(1), torch: 'torch.var(a, 1)', ref: (a) => R.variance(a, 1), tol: { rtol: 1e-3 }, gradTol: { rtol: 1e-3 } });
  add(fam, { id: 'var_dim0_big_corr0', op: 'var', big: true, inputs: [x([BR, BC], 'wave(0.55,2,0.5)')], run: (_E, a) => a.var(0, { correction: 0 }), torch: 'torch.var(a, 0, correction=0)', ref: (a) => R.variance(a, 0, 0) });
  // logsumexp
  add(fam, { id: 'logsumexp_dim1', op: 'logsumexp', inputs: [x(B3)], run: (_E, a) => a.logsumexp(1), torch: 'torch.logsumexp(a, 1)', ref: (a) => R.logsumexp(a, 1) });
  add(fam, { id: 'logsumexp_dims02_keep', op: 'logsumexp', inputs: [x(B3)], run: (_E, a) => a.logsumexp([0, 2], true), torch: 'torch.logsumexp(a, [0, 2], keepdim=True)', ref: (a) => R.logsumexp(a, [0, 2], true) });
  add(fam, { id: 'logsumexp_all_dims', op: 'logsumexp', inputs: [x([4, 9])], run: (_E, a) => a.logsumexp([0, 1]), torch: 'torch.logsumexp(a, [0, 1])', ref: (a) => R.logsumexp(a, [0, 1]) });
  add(fam, { id: 'logsumexp_large_values', op: 'logsumexp', inputs: [xT([6, 33], 'uniform(60,120)')], run: (_E, a) => a.logsumexp(-1), torch: 'torch.logsumexp(a, -1)', ref: (a) => R.logsumexp(a, -1) });
  add(fam, { id: 'logsumexp_very_negative', op: 'logsumexp', inputs: [x([5, 7], 'uniform(-120,-80)')], run: (_E, a) => a.logsumexp(1, true), torch: 'torch.logsumexp(a, 1, keepdim=True)', ref: (a) => R.logsumexp(a, 1, true) });
  add(fam, { id: 'logsumexp_all_big', op: 'logsumexp', big: true, inputs: [x([BIG_N], 'wave(0.65,2)')], run: (_E, a) => a.logsumexp(0), torch: 'torch.logsumexp(a, 0)', ref: (a) => R.logsumexp(a, 0) });
}

// =================================================================== matmul / linear
{
  const fam = 'matmul';
  const mm = (id: string, a: InputSpec, b: InputSpec, tol?: Partial<Tol>, fdSamples?: number) =>
    add(fam, { id, op: 'matmul', inputs: [a, b], run: (_E, p, q) => p.matmul(q), torch: 'torch.matmul(a, b)', ref: R.matmul, tol, gradTol: tol, fdSamples });
  mm('matmul_2d_37x53_53x29', x([37, 53]), x([53, 29]));
  mm('matmul_1d_2d', x([53]), x([53, 29]));
  mm('matmul_2d_1d', x([37, 53]), x([53]));
  mm('matmul_1d_1d_dot', x([53]), x([53]));
  mm('matmul_batched_5x17x33_5x33x9', x([5, 17, 33]), x([5, 33, 9]));
  mm('matmul_bcast_batch_3x1x7x13_4x13x6', x([3, 1, 7, 13]), x([4, 13, 6]));
  mm('matmul_3d_2d', x([6, 7, 19]), x([19, 11]));
  mm('matmul_2d_3d', x([7, 19]), x([3, 19, 11]));
  mm('matmul_1d_3d', x([13]), x([4, 13, 6]));
  mm('matmul_3d_1d', x([4, 7, 13]), x([13]));
  mm('matmul_transposed_a', xT([37, 53]), x([53, 29]));
  mm('matmul_transposed_both', xT([37, 53]), xT([53, 29]));
  mm('matmul_batched_transposed', xT([5, 17, 33]), xT([5, 33, 9]));
  mm('matmul_permuted_batch', xP([3, 8, 5], [1, 0, 2]), x([3, 5, 4]));
  mm('matmul_sliced_step', xS([10, 31], 1, 2), x([31, 7]));
  mm('matmul_expanded_batch', xE([1, 7, 13], [4, 7, 13]), x([4, 13, 6]));
  mm('matmul_outer_64x1_1x65', x([64, 1]), x([1, 65]));
  mm('matmul_1x1', x([1, 1]), x([1, 1]));
  mm('matmul_inner_1x64_64x1', x([1, 64]), x([64, 1]));
  mm('matmul_128x257_257x65', x([128, 257]), x([257, 65]), { rtol: 2e-4 }, 10);
  add(fam, { id: 'matmul_F_4d_2d', op: 'matmul', inputs: [x([2, 3, 5, 7]), x([7, 4])], run: (E, a, b) => E.F.matmul(a, b), torch: 'torch.matmul(a, b)', ref: R.matmul });

  // linear
  add(fam, { id: 'linear_bias_7x13', op: 'linear', inputs: [x([7, 13]), x([11, 13]), x([11])], run: (E, a, w, b) => E.F.linear(a, w, b), torch: 'F.linear(a, b, c)', ref: (a, w, b) => R.linear(a, w, b) });
  add(fam, { id: 'linear_nobias_7x13', op: 'linear', inputs: [x([7, 13]), x([11, 13])], run: (E, a, w) => E.F.linear(a, w), torch: 'F.linear(a, b)', ref: (a, w) => R.linear(a, w) });
  add(fam, { id: 'linear_batched_2x5x13', op: 'linear', inputs: [x([2, 5, 13]), x([6, 13]), x([6])], run: (E, a, w, b) => E.F.linear(a, w, b), torch: 'F.linear(a, b, c)', ref: (a, w, b) => R.linear(a, w, b) });
  add(fam, { id: 'linear_1d_input', op: 'linear', inputs: [x([13]), x([6, 13]), x([6])], run: (E, a, w, b) => E.F.linear(a, w, b), torch: 'F.linear(a, b, c)', ref: (a, w, b) => R.linear(a, w, b) });
  add(fam, { id: 'linear_transposed_x', op: 'linear', inputs: [xT([9, 33]), x([17, 33]), x([17])], run: (E, a, w, b) => E.F.linear(a, w, b), torch: 'F.linear(a, b, c)', ref: (a, w, b) => R.linear(a, w, b) });
  add(fam, { id: 'linear_transposed_w', op: 'linear', inputs: [x([8, 16]), xT([10, 16]), x([10])], run: (E, a, w, b) => E.F.linear(a, w, b), torch: 'F.linear(a, b, c)', ref: (a, w, b) => R.linear(a, w, b) });
  add(fam, { id: 'linear_out1', op: 'linear', inputs: [x([5, 70]), x([1, 70]), x([1])], run: (E, a, w, b) => E.F.linear(a, w, b), torch: 'F.linear(a, b, c)', ref: (a, w, b) => R.linear(a, w, b) });
}

// =================================================================== softmax / logSoftmax / crossEntropy / normalize
{
  const fam = 'nn';
  const sm = (id: string, inp: InputSpec, dim: number, log: boolean, big = false) =>
    add(fam, {
      id, op: log ? 'logSoftmax' : 'softmax', big,
      inputs: [inp],
      run: (E, a) => (log ? E.F.logSoftmax(a, dim) : E.F.softmax(a, dim)),
      torch: `F.${log ? 'log_softmax' : 'softmax'}(a, ${dim})`,
      ref: (a) => (log ? R.logSoftmax(a, dim) : R.softmax(a, dim)),
    });
  sm('softmax_7x13_dim-1', x([7, 13]), -1, false);
  sm('softmax_5x6x7_dim0', x([5, 6, 7]), 0, false);
  sm('softmax_4x9x5_dim1', x([4, 9, 5]), 1, false);
  sm('softmax_transposed_dim1', xT([6, 11]), 1, false);
  sm('softmax_size1_dim', x([3, 1, 4]), 1, false);
  sm('softmax_large_values', x([5, 33], 'uniform(-100,100)'), -1, false);
  sm('softmax_2x3x4x129_dim-1', x([2, 3, 4, 129]), -1, false);
  sm('softmax_big_dim0', x([BR, BC], 'wave(0.75,3)'), 0, false, true);
  sm('logSoftmax_7x13_dim-1', x([7, 13]), -1, true);
  sm('logSoftmax_5x6x7_dim0', x([5, 6, 7]), 0, true);
  sm('logSoftmax_sliced_dim-1', xS([4, 20], 1, 2), -1, true);
  sm('logSoftmax_large_values', x([5, 33], 'uniform(-100,100)'), 1, true);

  const ce = (id: string, logits: InputSpec, target: InputSpec, ls: number, extra: Partial<Def> = {}) =>
    add(fam, {
      id, op: 'crossEntropy',
      inputs: [logits, target],
      run: (E, a, t) => (ls ? E.F.crossEntropy(a, t, { labelSmoothing: ls }) : E.F.crossEntropy(a, t)),
      torch: ls ? `F.cross_entropy(a, b, label_smoothing=${ls})` : 'F.cross_entropy(a, b)',
      ref: (a, t) => R.crossEntropy(a, t, ls),
      ...extra,
    });
  ce('crossEntropy_7x10', x([7, 10]), xi([7], 0, 10), 0);
  ce('crossEntropy_33x5_smooth0.1', x([33, 5]), xi([33], 0, 5), 0.1);
  ce('crossEntropy_spatial_4x5x3x2', x([4, 5, 3, 2]), xi([4, 3, 2], 0, 5), 0);
  ce('crossEntropy_spatial_smooth0.2', x([3, 7, 5]), xi([3, 5], 0, 7), 0.2);
  ce('crossEntropy_1x3', x([1, 3]), xi([1], 0, 3), 0);
  ce('crossEntropy_large_logits', x([6, 17], 'uniform(-50,50)'), xi([6], 0, 17), 0);
  ce('crossEntropy_transposed_logits', xT([8, 10]), xi([8], 0, 10), 0.05);
  ce('crossEntropy_64x1000_smooth0.2', x([64, 1000]), xi([64], 0, 1000), 0.2, { fdSamples: 12 });

  const nz = (id: string, inp: InputSpec, opts: { p?: number; dim?: number } | undefined, torchArgs: string, ref: (a: RefTensor) => RefTensor) =>
    add(fam, { id, op: 'normalize', inputs: [inp], run: (E, a) => (opts ? E.F.normalize(a, opts) : E.F.normalize(a)), torch: `F.normalize(a${torchArgs})`, ref });
  nz('normalize_default_7x13', x([7, 13]), undefined, '', (a) => R.normalize(a));
  nz('normalize_dim-1_3x5x6', x([3, 5, 6]), { dim: -1 }, ', dim=-1', (a) => R.normalize(a, 2, -1));
  nz('normalize_dim0_5x4', x([5, 4]), { dim: 0 }, ', dim=0', (a) => R.normalize(a, 2, 0));
  nz('normalize_p1_6x9', x([6, 9]), { p: 1 }, ', p=1.0', (a) => R.normalize(a, 1, 1));
  nz('normalize_transposed', xT([9, 7]), { dim: 1 }, ', dim=1', (a) => R.normalize(a, 2, 1));
  nz('normalize_3d_default_2x33x3', x([2, 33, 3]), undefined, '', (a) => R.normalize(a));
}

// =================================================================== shape ops
{
  const fam = 'shape';
  const S = (id: string, op: string, inputs: InputSpec[], run: Run, torch: string, ref: Ref, extra: Partial<Def> = {}) =>
    add(fam, { id, op, inputs, run, torch, ref, ...extra });

  // reshape / view / flatten
  S('reshape_4x6x5_to_8x15', 'reshape', [x([4, 6, 5])], (_E, a) => a.reshape([8, 15]), 'a.reshape(8, 15)', (a) => R.reshape(a, [8, 15]));
  S('reshape_infer_-1', 'reshape', [x([3, 35])], (_E, a) => a.reshape([5, -1, 3]), 'a.reshape(5, -1, 3)', (a) => R.reshape(a, [5, -1, 3]));
  S('reshape_transposed', 'reshape', [xT([6, 10])], (_E, a) => a.reshape([4, 15]), 'a.reshape(4, 15)', (a) => R.reshape(a, [4, 15]));
  S('reshape_sliced_step', 'reshape', [xS([4, 9], 1, 2)], (_E, a) => a.reshape([36]), 'a.reshape(36)', (a) => R.reshape(a, [36]));
  S('reshape_expanded', 'reshape', [xE([3, 1], [3, 4])], (_E, a) => a.reshape([2, 6]), 'a.reshape(2, 6)', (a) => R.reshape(a, [2, 6]));
  S('reshape_to_scalar', 'reshape', [x([1, 1])], (_E, a) => a.reshape([]), 'a.reshape(())', (a) => R.reshape(a, []));
  S('view_contiguous', 'view', [x([2, 3, 7])], (_E, a) => a.view([6, 7]), 'a.view(6, 7)', (a) => R.reshape(a, [6, 7]));
  S('flatten_all', 'flatten', [x([2, 3, 5])], (_E, a) => a.flatten(), 'torch.flatten(a)', (a) => R.flatten(a));
  S('flatten_1_2_transposed', 'flatten', [xT([3, 4, 5], 'randn', 0, 2)], (_E, a) => a.flatten(1, 2), 'torch.flatten(a, 1, 2)', (a) => R.flatten(a, 1, 2));
  S('flatten_start1', 'flatten', [x([2, 3, 4, 5])], (_E, a) => a.flatten(1), 'torch.flatten(a, 1)', (a) => R.flatten(a, 1));
  // permute / transpose / contiguous
  S('permute_4d', 'permute', [x([2, 3, 4, 5])], (_E, a) => a.permute([3, 1, 0, 2]), 'a.permute(3, 1, 0, 2)', (a) => R.permute(a, [3, 1, 0, 2]));
  S('permute_negdims', 'permute', [x([3, 5, 7])], (_E, a) => a.permute([-1, 0, -2]), 'a.permute(-1, 0, -2)', (a) => R.permute(a, [-1, 0, -2]));
  S('permute_of_transposed', 'permute', [xT([3, 4, 5], 'randn', 0, 1)], (_E, a) => a.permute([2, 0, 1]), 'a.permute(2, 0, 1)', (a) => R.permute(a, [2, 0, 1]));
  S('transpose_2d', 'transpose', [x([7, 13])], (_E, a) => a.transpose(0, 1), 'a.transpose(0, 1)', (a) => R.transpose(a, 0, 1));
  S('transpose_4d_neg', 'transpose', [x([2, 3, 4, 5])], (_E, a) => a.transpose(-1, -3), 'a.transpose(-1, -3)', (a) => R.transpose(a, -1, -3));
  S('transpose_same_dim', 'transpose', [x([4, 5])], (_E, a) => a.transpose(1, 1), 'a.transpose(1, 1)', (a) => R.transpose(a, 1, 1));
  S('contiguous_transposed', 'contiguous', [xT([5, 9])], (_E, a) => a.contiguous(), 'a.contiguous()', R.contiguous);
  S('contiguous_sliced', 'contiguous', [xS([3, 7, 4], 1, 3)], (_E, a) => a.contiguous(), 'a.contiguous()', R.contiguous);
  S('contiguous_expanded', 'contiguous', [xE([1, 5, 1], [3, 5, 2])], (_E, a) => a.contiguous(), 'a.contiguous()', R.contiguous);
  // slice
  S('slice_basic', 'slice', [x([10, 7])], (_E, a) => a.slice(0, 2, 8), 'a[2:8]', (a) => R.slice(a, 0, 2, 8));
  S('slice_step3_dim1', 'slice', [x([4, 23])], (_E, a) => a.slice(1, 2, 21, 3), 'a[:, 2:21:3]', (a) => R.slice(a, 1, 2, 21, 3));
  S('slice_negative_start', 'slice', [x([12, 5])], (_E, a) => a.slice(0, -5), 'a[-5:]', (a) => R.slice(a, 0, -5));
  S('slice_dim-1_step2_transposed', 'slice', [xT([9, 6])], (_E, a) => a.slice(-1, 1, undefined, 2), 'a[..., 1::2]', (a) => R.slice(a, -1, 1, undefined, 2));
  S('slice_end_past_size', 'slice', [x([6, 4])], (_E, a) => a.slice(0, 3, 100), 'a[3:100]', (a) => R.slice(a, 0, 3, 100));
  S('slice_of_slice', 'slice', [xS([20, 3], 0, 2)], (_E, a) => a.slice(0, 1, 18, 4), 'a[1:18:4]', (a) => R.slice(a, 0, 1, 18, 4));
  // cat / stack / split
  S('cat_dim0_3', 'cat', [x([2, 5]), x([3, 5]), x([1, 5])], (E, a, b, c) => E.F.cat([a, b, c], 0), 'torch.cat([a, b, c], 0)', (a, b, c) => R.cat([a, b, c], 0));
  S('cat_dim1', 'cat', [x([3, 2, 4]), x([3, 5, 4])], (E, a, b) => E.F.cat([a, b], 1), 'torch.cat([a, b], 1)', (a, b) => R.cat([a, b], 1));
  S('cat_dim-1_noncontig', 'cat', [xT([4, 3]), xS([4, 5], 1, 2), xE([4, 1], [4, 2])], (E, a, b, c) => E.F.cat([a, b, c], -1), 'torch.cat([a, b, c], -1)', (a, b, c) => R.cat([a, b, c], -1));
  S('cat_single', 'cat', [x([3, 7])], (E, a) => E.F.cat([a]), 'torch.cat([a])', (a) => R.cat([a]));
  S('cat_same_tensor_twice', 'cat', [x([2, 3])], (E, a) => E.F.cat([a, a], 1), 'torch.cat([a, a], 1)', (a) => R.cat([a, a], 1));
  S('stack_dim0', 'stack', [x([3, 4]), x([3, 4])], (E, a, b) => E.F.stack([a, b]), 'torch.stack([a, b])', (a, b) => R.stack([a, b]));
  S('stack_dim1_3', 'stack', [x([5, 2]), xT([5, 2]), x([5, 2])], (E, a, b, c) => E.F.stack([a, b, c], 1), 'torch.stack([a, b, c], 1)', (a, b, c) => R.stack([a, b, c], 1));
  S('stack_dim-1', 'stack', [x([2, 3]), x([2, 3])], (E, a, b) => E.F.stack([a, b], -1), 'torch.stack([a, b], -1)', (a, b) => R.stack([a, b], -1));
  S('split_size_remainder', 'split', [x([4, 11])], (E, a) => { const p = a.split(3, 1); return E.F.cat([p[3], p[0], p[2]], 1); },
    'torch.cat([torch.split(a, 3, 1)[3], torch.split(a, 3, 1)[0], torch.split(a, 3, 1)[2]], 1)',
    (a) => { const p = R.split(a, 3, 1); return R.cat([p[3], p[0], p[2]], 1); });
  S('split_sections', 'split', [x([10, 3])], (E, a) => { const p = a.split([2, 5, 3]); return E.F.cat([p[2], p[1]]); },
    'torch.cat([torch.split(a, [2, 5, 3])[2], torch.split(a, [2, 5, 3])[1]])',
    (a) => { const p = R.split(a, [2, 5, 3]); return R.cat([p[2], p[1]]); });
  S('split_dim-1_transposed', 'split', [xT([7, 6])], (E, a) => { const p = a.split(4, -1); return E.F.cat([p[1], p[0]], -1); },
    'torch.cat([torch.split(a, 4, -1)[1], torch.split(a, 4, -1)[0]], -1)',
    (a) => { const p = R.split(a, 4, -1); return R.cat([p[1], p[0]], -1); });
  // pad
  S('pad_last_dim', 'pad', [x([3, 5])], (E, a) => E.F.pad(a, [1, 2]), 'F.pad(a, (1, 2))', (a) => R.pad(a, [1, 2]));
  S('pad_last2_value', 'pad', [x([2, 3, 4])], (E, a) => E.F.pad(a, [2, 0, 1, 3], 0.5), 'F.pad(a, (2, 0, 1, 3), value=0.5)', (a) => R.pad(a, [2, 0, 1, 3], 0.5));
  S('pad_3dims_transposed', 'pad', [xT([2, 3, 4])], (E, a) => E.F.pad(a, [0, 1, 2, 0, 1, 1]), 'F.pad(a, (0, 1, 2, 0, 1, 1))', (a) => R.pad(a, [0, 1, 2, 0, 1, 1]));
  S('pad_1d', 'pad', [x([7])], (E, a) => E.F.pad(a, [3, 4], -1), 'F.pad(a, (3, 4), value=-1.0)', (a) => R.pad(a, [3, 4], -1));
  // expand
  S('expand_3x1_to_3x5', 'expand', [x([3, 1])], (_E, a) => a.expand([3, 5]), 'a.expand(3, 5)', (a) => R.expand(a, [3, 5]));
  S('expand_new_leading_dims', 'expand', [x([1, 4, 1])], (_E, a) => a.expand([2, 3, 4, 6]), 'a.expand(2, 3, 4, 6)', (a) => R.expand(a, [2, 3, 4, 6]));
  S('expand_of_transposed', 'expand', [xT([1, 5])], (_E, a) => a.expand([4, 5]), 'a.expand(4, 5)', (a) => R.expand(a, [4, 5]));
  S('expand_then_mul', 'expand', [x([5, 1]), x([5, 7])], (_E, a, b) => a.expand([5, 7]).mul(b), 'a.expand(5, 7) * b', (a, b) => R.mul(R.expand(a, [5, 7]), b));
  // flip / rot90
  S('flip_dim0', 'flip', [x([5, 3])], (_E, a) => a.flip(0), 'torch.flip(a, [0])', (a) => R.flip(a, 0));
  S('flip_dims02', 'flip', [x([3, 4, 5])], (_E, a) => a.flip([0, 2]), 'torch.flip(a, [0, 2])', (a) => R.flip(a, [0, 2]));
  S('flip_neg_transposed', 'flip', [xT([6, 7])], (_E, a) => a.flip(-1), 'torch.flip(a, [-1])', (a) => R.flip(a, -1));
  S('rot90_k1', 'rot90', [x([3, 5])], (_E, a) => a.rot90(), 'torch.rot90(a)', (a) => R.rot90(a));
  S('rot90_k2', 'rot90', [x([3, 4, 2])], (_E, a) => a.rot90(2), 'torch.rot90(a, 2)', (a) => R.rot90(a, 2));
  S('rot90_k3_dims12', 'rot90', [x([2, 3, 5])], (_E, a) => a.rot90(3, [1, 2]), 'torch.rot90(a, 3, [1, 2])', (a) => R.rot90(a, 3, [1, 2]));
  S('rot90_k-1_negdims', 'rot90', [xT([4, 6])], (_E, a) => a.rot90(-1, [-1, -2]), 'torch.rot90(a, -1, [-1, -2])', (a) => R.rot90(a, -1, [-1, -2]));
  // gather / indexSelect
  S('gather_dim0', 'gather', [x([5, 4]), xi([7, 4], 0, 5)], (_E, a, i) => a.gather(0, i), 'torch.gather(a, 0, b)', (a, i) => R.gather(a, 0, i));
  S('gather_dim1_smaller_index', 'gather', [x([4, 7]), xi([3, 5], 0, 7)], (_E, a, i) => a.gather(1, i), 'torch.gather(a, 1, b)', (a, i) => R.gather(a, 1, i));
  S('gather_dim-1_3d_transposed', 'gather', [xT([3, 4, 6]), xi([3, 4, 9], 0, 6)], (_E, a, i) => a.gather(-1, i), 'torch.gather(a, -1, b)', (a, i) => R.gather(a, -1, i));
  S('indexSelect_dim0_dups', 'indexSelect', [x([6, 5]), xi([9], 0, 6)], (_E, a, i) => a.indexSelect(0, i), 'torch.index_select(a, 0, b)', (a, i) => R.indexSelect(a, 0, i));
  S('indexSelect_dim1', 'indexSelect', [x([3, 8, 2]), xi([4], 0, 8)], (_E, a, i) => a.indexSelect(1, i), 'torch.index_select(a, 1, b)', (a, i) => R.indexSelect(a, 1, i));
  S('indexSelect_dim-1_sliced', 'indexSelect', [xS([5, 7], 1, 2), xi([11], 0, 7)], (_E, a, i) => a.indexSelect(-1, i), 'torch.index_select(a, -1, b)', (a, i) => R.indexSelect(a, -1, i));
  // squeeze / unsqueeze
  S('squeeze_all', 'squeeze', [x([1, 3, 1, 4, 1])], (_E, a) => a.squeeze(), 'a.squeeze()', (a) => R.squeeze(a));
  S('squeeze_dim', 'squeeze', [x([3, 1, 4])], (_E, a) => a.squeeze(1), 'a.squeeze(1)', (a) => R.squeeze(a, 1));
  S('squeeze_negdim', 'squeeze', [x([3, 4, 1])], (_E, a) => a.squeeze(-1), 'a.squeeze(-1)', (a) => R.squeeze(a, -1));
  S('squeeze_non1_dim_noop', 'squeeze', [x([3, 4])], (_E, a) => a.squeeze(0), 'a.squeeze(0)', (a) => R.squeeze(a, 0));
  S('unsqueeze_0', 'unsqueeze', [x([4, 5])], (_E, a) => a.unsqueeze(0), 'a.unsqueeze(0)', (a) => R.unsqueeze(a, 0));
  S('unsqueeze_-1_transposed', 'unsqueeze', [xT([3, 5])], (_E, a) => a.unsqueeze(-1), 'a.unsqueeze(-1)', (a) => R.unsqueeze(a, -1));
  S('unsqueeze_middle', 'unsqueeze', [x([2, 3, 4])], (_E, a) => a.unsqueeze(2), 'a.unsqueeze(2)', (a) => R.unsqueeze(a, 2));
  // Big strided copy (permute + contiguous of > 1M elements).
  S('permute_contiguous_big', 'permute', [x([BR, 7, 149], 'wave(0.95)')], (_E, a) => a.permute([2, 0, 1]).contiguous(), 'a.permute(2, 0, 1).contiguous()', (a) => R.permute(a, [2, 0, 1]), { big: true });
}

/** Families in display order. */
export const FAMILIES = [...new Set(CASES.map((c) => c.family))];
