// Op-correctness runners, shared by the Node uvu suites and the browser test. No Node built-ins:
// the engine module namespace and the parsed fixture JSON are passed in.
//
//  runGolden:    engine forward + input gradients vs PyTorch float64 (test/golden/fixtures/ops.json)
//  runGradcheck: engine forward vs the float64 reference (test/reference/), engine gradients vs
//                central finite differences of the float64 reference.
import type { CaseResult, EngineLike, OpCase, TensorLike } from './types.ts';
import { CASES } from './ops.ts';
import { applyViewEngine, checksum, describeInputs, hasGrad, inputValues, mulberry32, hashString, refForward, refLeaves, upstreamValues } from './gen.ts';
import { atolScale, compare, compareExact, describeMismatch, fmt, sameShape, signedProjection, type Mismatch } from './compare.ts';
import { numel, type RefTensor } from '../reference/tensor.ts';
import { fsum } from '../reference/reduce.ts';

export type { CaseResult } from './types.ts';

export type CaseFilter = string | RegExp | ((c: OpCase) => boolean);

/** Values as stored by generate.py: full, or a sample (idx) + statistics for large tensors. */
export interface StoredTensor {
  shape: number[];
  values: (number | string)[];
  n?: number;
  idx?: number[];
  sumAbs?: number | string;
  sumSq?: number | string;
  /** signedProjection() of all values (see compare.ts). */
  proj?: number | string;
  min?: number | string;
  max?: number | string;
}

export interface FixtureCase {
  op: string;
  inputsChecksum: number[];
  uChecksum: number | null;
  out: StoredTensor;
  grads: (StoredTensor | null)[];
  torch32?: { out: number; grads: (number | null)[] };
}

export interface Fixtures {
  version: number;
  generator: string;
  cases: Record<string, FixtureCase>;
}

/** Cases selected by a filter: string = family, op or id; RegExp = tested against the id. */
export function selectCases(filter?: CaseFilter): OpCase[] {
  if (filter === undefined) return CASES;
  if (typeof filter === 'string') return CASES.filter((c) => c.family === filter || c.op === filter || c.id === filter);
  if (filter instanceof RegExp) return CASES.filter((c) => filter.test(c.id));
  return CASES.filter(filter);
}

// ------------------------------------------------------------------------------------ engine side

interface EngineRun {
  outShape: number[];
  outDtype: string;
  out: Float64Array;
  /** Gradient of sum(out * u) per input leaf (null for non-differentiable inputs). */
  grads: (Float64Array | null)[];
}

class ShapeError extends Error {}

const toF64 = (a: ArrayLike<number>) => Float64Array.from(a as ArrayLike<number>);

/**
 * Runs a case on the engine: builds the leaves, applies the views, runs the op, checks the output
 * shape against `expectShape`, then backpropagates sum(out * u). Disposes everything it created.
 */
async function runEngine(E: EngineLike, c: OpCase, expectShape: number[]): Promise<EngineRun> {
  const created: TensorLike[] = [];
  const track = <T extends TensorLike>(t: T): T => {
    created.push(t);
    return t;
  };
  const leaves = c.inputs.map((s, i) => {
    const v = inputValues(c, i);
    const data = s.dtype === 'int32' ? Int32Array.from(v) : Float32Array.from(v);
    return track(E.tensor(data, [...s.shape], { dtype: s.dtype, requiresGrad: s.grad }));
  });
  try {
    const grad = hasGrad(c);
    const built = E.tidy(() => {
      const ops = leaves.map((l, i) => applyViewEngine(l, c.inputs[i].view));
      const out = c.run(E, ...ops);
      if (!sameShape(out.shape, expectShape)) throw new ShapeError(`output shape [${out.shape.join(',')}], expected [${expectShape.join(',')}]`);
      if (grad) {
        const u = E.tensor(Float32Array.from(upstreamValues(c, expectShape)), [...expectShape]);
        out.mul(u).sum().backward();
      }
      return out;
    });
    track(built);
    const outShape = [...built.shape];
    const outDtype = built.dtype;
    const out = toF64(await built.data());
    const grads: (Float64Array | null)[] = [];
    for (let i = 0; i < leaves.length; i++) {
      if (!c.inputs[i].grad) {
        grads.push(null);
        continue;
      }
      const g = leaves[i].grad;
      if (!g) {
        grads.push(new Float64Array(numel(c.inputs[i].shape)));
        continue;
      }
      if (!sameShape(g.shape, c.inputs[i].shape)) throw new ShapeError(`grad of input ${i} has shape [${g.shape.join(',')}], expected [${c.inputs[i].shape.join(',')}]`);
      grads.push(toF64(await g.data()));
    }
    return { outShape, outDtype, out, grads };
  } finally {
    for (const l of leaves) {
      const g = l.grad;
      if (g) g.dispose();
    }
    for (const t of created) t.dispose();
  }
}

/** True when an error comes from a missing engine API called by the case itself. */
function isMissingApi(e: unknown): boolean {
  if (!(e instanceof TypeError)) return false;
  if (!/is not a function|of undefined|is undefined/.test(e.message)) return false;
  const frame = (e.stack ?? '').split('\n').find((l) => /^\s*at /.test(l) || /@/.test(l)) ?? '';
  return /test[\\/]cases[\\/]/.test(frame);
}

function header(c: OpCase): string {
  return `${c.id} [${c.op}] ${describeInputs(c) || '(no inputs)'}`;
}

function errorResult(c: OpCase, e: unknown, t0: number): CaseResult {
  const msg = e instanceof Error ? e.message : String(e);
  if (isMissingApi(e)) return { id: c.id, family: c.family, op: c.op, ok: true, skipped: true, message: `${header(c)}: SKIPPED, engine API missing: ${msg}`, ms: now() - t0 };
  const kind = e instanceof ShapeError ? '' : 'threw ';
  return { id: c.id, family: c.family, op: c.op, ok: false, message: `${header(c)}: ${kind}${msg}`, ms: now() - t0 };
}

const now = () => (typeof performance !== 'undefined' ? performance.now() : Date.now());

function checkDtype(c: OpCase, dtype: string): string | null {
  if (c.outDtype && dtype !== c.outDtype) return `output dtype ${dtype}, expected ${c.outDtype}`;
  return null;
}

function isExact(c: OpCase, refDtype: string | undefined): boolean {
  return refDtype === 'bool' || refDtype === 'int32' || c.outDtype === 'bool' || c.outDtype === 'int32';
}

// ------------------------------------------------------------------------------------ golden

function decode(v: number | string): number {
  return typeof v === 'number' ? v : Number(v);
}

/** Compares engine values against a stored (full or sampled) fixture tensor. */
function compareStored(got: Float64Array, st: StoredTensor, tol: OpCase['tol'], exact: boolean): { m: Mismatch; extra: string | null } {
  const exp = st.values.map(decode);
  if (!st.idx) {
    if (got.length !== exp.length) return { m: { ok: false, bad: 1, count: 1, worst: null }, extra: `${got.length} values, expected ${exp.length}` };
    return { m: exact ? compareExact(got, exp) : compare(got, exp, tol), extra: null };
  }
  const expMin = decode(st.min!);
  const expMax = decode(st.max!);
  const scale = atolScale(tol, Math.max(Math.abs(expMin), Math.abs(expMax)));
  const m = exact ? compareExact(got, exp, st.idx) : compare(got, exp, tol, st.idx, scale);
  // Statistics over all elements catch errors between the sampled positions.
  let mn = Infinity;
  let mx = -Infinity;
  for (let i = 0; i < got.length; i++) {
    if (got[i] < mn) mn = got[i];
    if (got[i] > mx) mx = got[i];
  }
  const n = got.length;
  const problems: string[] = [];
  if (n !== st.n) problems.push(`${n} elements, expected ${st.n}`);
  // If every element erred by up to its allowance with a random sign, the projection would move
  // by ~sqrt(sum allowed_i^2); 6 sigma of that is the limit.
  const a = exact ? 0 : tol.atol * scale;
  const r = exact ? 0 : tol.rtol;
  const sumAllowedSq = n * a * a + 2 * a * r * decode(st.sumAbs!) + r * r * decode(st.sumSq!);
  const projAllowed = exact ? 0.5 : 6 * Math.sqrt(sumAllowedSq);
  const proj = signedProjection(got);
  const expProj = decode(st.proj!);
  if (!(Math.abs(proj - expProj) <= projAllowed)) problems.push(`signed projection over all ${n} elements ${fmt(proj)}, expected ${fmt(expProj)} (allowed ±${fmt(projAllowed)}): errors between the sampled positions`);
  const mmAllowed = (e: number) => (exact ? 0 : tol.atol * scale + tol.rtol * Math.abs(e));
  if (!(Math.abs(mn - expMin) <= mmAllowed(expMin))) problems.push(`min ${fmt(mn)}, expected ${fmt(expMin)}`);
  if (!(Math.abs(mx - expMax) <= mmAllowed(expMax))) problems.push(`max ${fmt(mx)}, expected ${fmt(expMax)}`);
  return { m, extra: problems.length ? problems.join('; ') : null };
}

/**
 * Engine vs PyTorch float64 golden values: forward output and the gradient of sum(out * u) w.r.t.
 * every differentiable input.
 */
export async function runGolden(engine: object, fixtures: Fixtures, filter?: CaseFilter): Promise<CaseResult[]> {
  // The engine module namespace; typed structurally (types.ts EngineLike) by the cases.
  const E = engine as EngineLike;
  const results: CaseResult[] = [];
  for (const c of selectCases(filter)) {
    const t0 = now();
    const fx = fixtures.cases[c.id];
    if (!fx) {
      results.push({ id: c.id, family: c.family, op: c.op, ok: false, message: `${header(c)}: no fixture; run \`npm run golden\``, ms: 0 });
      continue;
    }
    const stale = c.inputs.some((_, i) => {
      const a = checksum(inputValues(c, i));
      const b = fx.inputsChecksum[i];
      return !(Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)) + 1e-6);
    });
    if (stale || fx.inputsChecksum.length !== c.inputs.length) {
      results.push({ id: c.id, family: c.family, op: c.op, ok: false, message: `${header(c)}: fixture is stale (inputs changed); run \`npm run golden\``, ms: 0 });
      continue;
    }
    try {
      const r = await runEngine(E, c, fx.out.shape);
      const problems: string[] = [];
      const dt = checkDtype(c, r.outDtype);
      if (dt) problems.push(dt);
      const exact = isExact(c, c.op === 'argmax' ? 'int32' : undefined);
      const f = compareStored(r.out, fx.out, c.tol, exact);
      if (!f.m.ok) problems.push(describeMismatch(`forward out[${fx.out.shape.join(',')}]`, f.m, fx.out.shape));
      if (f.extra) problems.push(`forward: ${f.extra}`);
      fx.grads.forEach((st, i) => {
        if (!st) return;
        const g = r.grads[i];
        if (!g) return;
        const res = compareStored(g, st, c.gradTol, false);
        const name = 'abcdefgh'[i];
        if (!res.m.ok) problems.push(describeMismatch(`grad ${name}[${st.shape.join(',')}]`, res.m, st.shape));
        if (res.extra) problems.push(`grad ${name}: ${res.extra}`);
      });
      results.push({
        id: c.id, family: c.family, op: c.op, ok: problems.length === 0,
        message: problems.length ? `${header(c)} -> out[${fx.out.shape.join(',')}]: ${problems.join(' | ')}` : `${c.id}: ok`,
        ms: now() - t0,
      });
    } catch (e) {
      results.push(errorResult(c, e, t0));
    }
  }
  return results;
}

// ------------------------------------------------------------------------------------ gradcheck

/** Elements of each differentiable input checked by finite differences. */
export const FD_SAMPLES = 40;
export const FD_SAMPLES_BIG = 1;

function sampleIndices(n: number, k: number, key: string): number[] {
  if (n <= k) return Array.from({ length: n }, (_, i) => i);
  const rnd = mulberry32(hashString(key));
  const s = new Set<number>(k >= 4 ? [0, n - 1] : []);
  while (s.size < k) s.add(Math.floor(rnd() * n));
  return [...s].sort((a, b) => a - b);
}

/** sum_i (a_i - b_i) * u_i, compensated: exact zeros where the outputs did not change. */
function diffDot(a: Float64Array, b: Float64Array, u: Float64Array): number {
  const terms = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) terms[i] = (a[i] - b[i]) * u[i];
  return fsum(terms);
}

export interface FdResult {
  idx: number[];
  fd: number[];
  /** Elements skipped because the reference is not differentiable there (kink). */
  kinks: number;
}

/**
 * Central finite differences of L(x) = sum(ref(x) * u) w.r.t. sampled elements of leaf `k`,
 * in float64 on the reference implementation: (L(x+h) - L(x-h)) / 2h with h = 1e-6 * max(1, |x|),
 * computed as sum((ref(x+h) - ref(x-h)) * u) to avoid cancellation in large sums. Elements where
 * the one-sided differences disagree (a kink: relu, abs, clamp, max ties) are skipped.
 */
export function finiteDiff(c: OpCase, leaves: RefTensor[], k: number, u: Float64Array, samples: number, f0?: Float64Array): FdResult {
  const F = () => refForward(c, leaves).data;
  const x = leaves[k].data;
  const idx = sampleIndices(x.length, samples, `${c.id}/fd${k}`);
  const F0 = f0 ?? F();
  const out: FdResult = { idx: [], fd: [], kinks: 0 };
  for (const j of idx) {
    const x0 = x[j];
    const h = 1e-6 * Math.max(1, Math.abs(x0));
    x[j] = x0 + h;
    const Fp = F();
    x[j] = x0 - h;
    const Fm = F();
    x[j] = x0;
    const dp = diffDot(Fp, F0, u) / h;
    const dm = diffDot(F0, Fm, u) / h;
    if (Math.abs(dp - dm) > 1e-3 * Math.max(1, Math.abs(dp), Math.abs(dm))) {
      out.kinks++;
      continue;
    }
    out.idx.push(j);
    out.fd.push(diffDot(Fp, Fm, u) / (2 * h));
  }
  return out;
}

/**
 * Engine vs float64 reference: forward output, and analytic input gradients vs central finite
 * differences of the reference (a sample of elements per input).
 */
export async function runGradcheck(engine: object, filter?: CaseFilter): Promise<CaseResult[]> {
  const E = engine as EngineLike;
  const results: CaseResult[] = [];
  for (const c of selectCases(filter)) {
    const t0 = now();
    try {
      const leaves = refLeaves(c);
      const ref = refForward(c, leaves);
      const r = await runEngine(E, c, ref.shape);
      const problems: string[] = [];
      const dt = checkDtype(c, r.outDtype);
      if (dt) problems.push(dt);
      const exact = isExact(c, ref.dtype);
      const m = exact ? compareExact(r.out, ref.data) : compare(r.out, ref.data, c.tol);
      if (!m.ok) problems.push(describeMismatch(`forward vs reference out[${ref.shape.join(',')}]`, m, ref.shape));
      if (hasGrad(c) && !exact) {
        const u = upstreamValues(c, ref.shape);
        c.inputs.forEach((s, k) => {
          if (!s.grad) return;
          const g = r.grads[k]!;
          const fd = finiteDiff(c, leaves, k, u, c.fdSamples ?? (c.big ? FD_SAMPLES_BIG : FD_SAMPLES), ref.data);
          if (!fd.idx.length) return;
          const gm = compare(g, fd.fd, c.gradTol, fd.idx);
          if (!gm.ok) problems.push(describeMismatch(`grad ${'abcdefgh'[k]}[${s.shape.join(',')}] vs finite differences (${fd.idx.length} elements)`, gm, s.shape));
        });
      }
      results.push({
        id: c.id, family: c.family, op: c.op, ok: problems.length === 0,
        message: problems.length ? `${header(c)} -> out[${ref.shape.join(',')}]: ${problems.join(' | ')}` : `${c.id}: ok`,
        ms: now() - t0,
      });
    } catch (e) {
      results.push(errorResult(c, e, t0));
    }
  }
  return results;
}

// ------------------------------------------------------------------------------------ harness self-check

/**
 * No engine: checks the float64 reference forward against the PyTorch golden values and the
 * reference finite-difference gradients against PyTorch's autograd, on a few elements per input.
 * Validates the references, the views and the FD machinery themselves.
 */
export function runReferenceCheck(fixtures: Fixtures, filter?: CaseFilter, fdSamples = 6, fdSamplesBig = 2): CaseResult[] {
  const results: CaseResult[] = [];
  const fwdTol = { rtol: 1e-7, atol: 1e-9 };
  const fdTol = { rtol: 1e-5, atol: 1e-6 };
  for (const c of selectCases(filter)) {
    const t0 = now();
    const fx = fixtures.cases[c.id];
    if (!fx) {
      results.push({ id: c.id, family: c.family, op: c.op, ok: false, message: `${header(c)}: no fixture; run \`npm run golden\``, ms: 0 });
      continue;
    }
    try {
      const leaves = refLeaves(c);
      const ref = refForward(c, leaves);
      const problems: string[] = [];
      if (!sameShape(ref.shape, fx.out.shape)) problems.push(`reference shape [${ref.shape}] vs torch [${fx.out.shape}]`);
      else {
        const f = compareStored(ref.data, fx.out, fwdTol, isExact(c, ref.dtype));
        if (!f.m.ok) problems.push(describeMismatch('reference forward vs torch', f.m, ref.shape));
        if (f.extra) problems.push(`reference forward: ${f.extra}`);
      }
      const samples = c.big ? fdSamplesBig : fdSamples;
      if (hasGrad(c) && !isExact(c, ref.dtype) && samples > 0) {
        const u = upstreamValues(c, ref.shape);
        c.inputs.forEach((s, k) => {
          const st = fx.grads[k];
          if (!s.grad || !st) return;
          const fd = finiteDiff(c, leaves, k, u, samples);
          const full = new Float64Array(numel(s.shape)).fill(NaN);
          fd.idx.forEach((j, q) => (full[j] = fd.fd[q]));
          const expIdx = st.idx ?? st.values.map((_, i) => i);
          const pairs = fd.idx.map((j) => expIdx.indexOf(j)).filter((q) => q >= 0);
          const got = pairs.map((q) => full[expIdx[q]]);
          const exp = pairs.map((q) => decode(st.values[q]));
          if (!pairs.length) return;
          const m = compare(got, exp, fdTol);
          if (!m.ok) problems.push(describeMismatch(`reference FD grad ${'abcdefgh'[k]} vs torch (compared positions only)`, m, [got.length]));
        });
      }
      results.push({ id: c.id, family: c.family, op: c.op, ok: problems.length === 0, message: problems.length ? `${header(c)}: ${problems.join(' | ')}` : `${c.id}: ok`, ms: now() - t0 });
    } catch (e) {
      results.push(errorResult(c, e, t0));
    }
  }
  return results;
}
