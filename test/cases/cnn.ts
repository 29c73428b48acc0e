// 3D-CNN op checks shared by Node and the browser: PyTorch golden cases (fixtures/cnn.json) and
// finite differences of the float64 references in test/reference/cnn.ts. No Node built-ins.
import { conv3dRef, poolRef, batchNormRef } from '../reference/cnn.ts';

export interface CnnResult {
  id: string;
  ok: boolean;
  message: string;
}

interface FixtureTensor {
  shape: number[];
  data: number[];
}

export interface CnnCase {
  id: string;
  kind: string;
  opts: Record<string, unknown>;
  inputs: Record<string, FixtureTensor>;
  u: number[];
  out: FixtureTensor;
  grads: Record<string, number[]>;
  extra: Record<string, number[]>;
}

// The structural slice of the engine these checks use (the browser passes its own bundle).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Engine = any;

/** Worst |got − exp| relative to atol = rtol·max|exp| (+ rtol·|exp|); ok when ≤ 1. */
function check(name: string, got: ArrayLike<number>, exp: ArrayLike<number>, rtol: number): string | null {
  if (got.length !== exp.length) return `${name}: ${got.length} values, expected ${exp.length}`;
  let scale = 0;
  for (let i = 0; i < exp.length; i++) scale = Math.max(scale, Math.abs(exp[i]));
  let worst = 0;
  let at = -1;
  for (let i = 0; i < exp.length; i++) {
    const err = Math.abs(got[i] - exp[i]) / (rtol * (scale + Math.abs(exp[i])) + 1e-30);
    if (!(err <= worst)) {
      worst = err;
      at = i;
    }
  }
  return worst <= 1 ? null : `${name}[${at}]: got ${got[at]}, expected ${exp[at]} (max |expected| ${scale.toPrecision(4)}, rtol ${rtol})`;
}

function callOp(E: Engine, c: { kind: string; opts: Record<string, unknown> }, t: Record<string, unknown>, running?: { rm: unknown; rv: unknown }) {
  const o = c.opts;
  switch (c.kind) {
    case 'conv3d':
      return E.F.conv3d(t.x, t.w, t.b ?? null, o);
    case 'conv2d':
      return E.F.conv2d(t.x, t.w, t.b ?? null, o);
    case 'maxPool3d':
      return E.F.maxPool3d(t.x, o);
    case 'avgPool3d':
      return E.F.avgPool3d(t.x, o);
    case 'adaptivePool3d':
      return E.F.adaptiveAvgPool3d(t.x, o.outputSize);
    case 'batchNorm':
      return E.F.batchNorm(t.x, running!.rm, running!.rv, t.w, t.b, o);
  }
  throw new Error(`unknown case kind ${c.kind}`);
}

export async function runCnnGolden(E: Engine, fixture: { cases: CnnCase[] }, filter = ''): Promise<CnnResult[]> {
  const results: CnnResult[] = [];
  for (const c of fixture.cases.filter((x) => x.id.includes(filter))) {
    const created: { dispose(): void }[] = [];
    try {
      const t: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(c.inputs)) {
        const tt = E.tensor(v.data, v.shape, { requiresGrad: true });
        created.push(tt);
        t[k] = tt;
      }
      const running = c.kind === 'batchNorm' ? { rm: E.tensor(c.extra.runningMean0), rv: E.tensor(c.extra.runningVar0) } : undefined;
      if (running) created.push(running.rm as never, running.rv as never);
      const y = callOp(E, c, t, running);
      const u = E.tensor(c.u, c.out.shape);
      created.push(y, u);
      E.tidy(() => y.mul(u).sum().backward());
      const errors: string[] = [];
      const shapeOk = y.shape.join() === c.out.shape.join();
      if (!shapeOk) errors.push(`shape ${y.shape} vs ${c.out.shape}`);
      const add = (e: string | null) => e && errors.push(e);
      add(check('out', await y.data(), c.out.data, 1e-4));
      for (const [k, g] of Object.entries(c.grads)) {
        const tt = t[k] as { grad: { data(): Promise<ArrayLike<number>> } | null };
        if (!tt.grad) errors.push(`grad ${k} missing`);
        else add(check(`grad ${k}`, await tt.grad.data(), g, k === 'x' && c.kind === 'batchNorm' ? 2e-3 : 2e-4));
      }
      if (running) {
        add(check('runningMean', await (running.rm as { data(): Promise<ArrayLike<number>> }).data(), c.extra.runningMean, 1e-5));
        add(check('runningVar', await (running.rv as { data(): Promise<ArrayLike<number>> }).data(), c.extra.runningVar, 1e-5));
      }
      results.push({ id: c.id, ok: errors.length === 0, message: errors.length ? `${c.id} (${c.kind} ${JSON.stringify(c.opts)}): ${errors.join('; ')}` : '' });
    } catch (err) {
      results.push({ id: c.id, ok: false, message: `${c.id}: threw ${(err as Error).message}` });
    } finally {
      for (const t of created) t.dispose();
    }
  }
  return results;
}

/** Small deterministic inputs (no Math.random: the browser and Node must agree). */
function values(n: number, seed: number): Float64Array {
  const out = new Float64Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    out[i] = Math.fround(((s >>> 8) / 16777216) * 2 - 1);
  }
  return out;
}

interface FdCase {
  id: string;
  kind: string;
  opts: Record<string, unknown>;
  shapes: Record<string, number[]>;
  /** float64 reference of the op given the inputs. */
  ref: (v: Record<string, Float64Array>) => { data: Float64Array; shape: number[] };
}

const triple = (v: number | number[]) => (typeof v === 'number' ? [v, v, v] : v);

const FD_CASES: FdCase[] = [
  ...[
    { stride: 1, padding: 1, dilation: 1, groups: 1, x: [1, 2, 3, 4, 3], w: [3, 2, 3, 3, 3] },
    { stride: [1, 2, 2], padding: [0, 1, 1], dilation: 1, groups: 2, x: [2, 4, 2, 5, 4], w: [2, 2, 1, 3, 3] },
    { stride: 2, padding: 1, dilation: 2, groups: 1, x: [1, 1, 5, 5, 5], w: [2, 1, 3, 3, 3] },
  ].map((c, i): FdCase => ({
    id: `fd_conv3d_${i}`,
    kind: 'conv3d',
    opts: { stride: c.stride, padding: c.padding, dilation: c.dilation, groups: c.groups },
    shapes: { x: c.x, w: c.w, b: [c.w[0]] },
    ref: (v) => conv3dRef(v.x, c.x, v.w, c.w, v.b, { stride: triple(c.stride), padding: triple(c.padding), dilation: triple(c.dilation), groups: c.groups }),
  })),
  ...(['max', 'avg', 'adaptive'] as const).map((kind): FdCase => {
    const o = kind === 'adaptive' ? { outputSize: [2, 2, 3] } : { kernelSize: 3, stride: 2, padding: 1, ceilMode: true, countIncludePad: false };
    return {
      id: `fd_${kind}pool`,
      kind: kind === 'adaptive' ? 'adaptivePool3d' : `${kind}Pool3d`,
      opts: o,
      shapes: { x: [1, 2, 3, 5, 4] },
      ref: (v) => poolRef(v.x, [1, 2, 3, 5, 4], { kind, kernel: [3, 3, 3], stride: [2, 2, 2], padding: [1, 1, 1], ceilMode: true, countIncludePad: false, outputSize: [2, 2, 3] }),
    };
  }),
  {
    id: 'fd_batchnorm',
    kind: 'batchNorm',
    opts: { training: true, eps: 1e-5 },
    shapes: { x: [3, 2, 2, 2, 1], w: [2], b: [2] },
    ref: (v) => ({ data: batchNormRef(v.x, [3, 2, 2, 2, 1], v.w, v.b, 1e-5), shape: [3, 2, 2, 2, 1] }),
  },
];

/** Engine gradients vs central differences of the float64 reference. */
export async function runCnnGradcheck(E: Engine, filter = ''): Promise<CnnResult[]> {
  const results: CnnResult[] = [];
  for (const c of FD_CASES.filter((x) => x.id.includes(filter))) {
    const created: { dispose(): void }[] = [];
    try {
      const v: Record<string, Float64Array> = {};
      const t: Record<string, unknown> = {};
      Object.entries(c.shapes).forEach(([k, shape], i) => {
        v[k] = values(shape.reduce((a, s) => a * s, 1), 17 + i * 31);
        const tt = E.tensor(Float32Array.from(v[k]), shape, { requiresGrad: true });
        created.push(tt);
        t[k] = tt;
      });
      const ref0 = c.ref(v);
      const u = values(ref0.data.length, 99);
      const running = c.kind === 'batchNorm' ? { rm: E.zeros([c.shapes.x[1]]), rv: E.ones([c.shapes.x[1]]) } : undefined;
      if (running) created.push(running.rm, running.rv);
      const y = callOp(E, c, t, running);
      const ut = E.tensor(Float32Array.from(u), ref0.shape);
      created.push(y, ut);
      E.tidy(() => y.mul(ut).sum().backward());
      const errors: string[] = [];
      const fwd = check('forward vs reference', await y.data(), ref0.data, 1e-5);
      if (fwd) errors.push(fwd);
      const loss = (vals: Record<string, Float64Array>) => {
        const r = c.ref(vals).data;
        let s = 0;
        for (let i = 0; i < r.length; i++) s += r[i] * u[i];
        return s;
      };
      for (const k of Object.keys(c.shapes)) {
        const fd = new Float64Array(v[k].length);
        for (let i = 0; i < fd.length; i++) {
          const h = 1e-6 * Math.max(1, Math.abs(v[k][i]));
          const saved = v[k][i];
          v[k][i] = saved + h;
          const up = loss(v);
          v[k][i] = saved - h;
          const down = loss(v);
          v[k][i] = saved;
          fd[i] = (up - down) / (2 * h);
        }
        const g = (t[k] as { grad: { data(): Promise<ArrayLike<number>> } }).grad;
        const e = check(`grad ${k} vs finite differences`, await g.data(), fd, 2e-4);
        if (e) errors.push(e);
      }
      results.push({ id: c.id, ok: errors.length === 0, message: errors.length ? `${c.id}: ${errors.join('; ')}` : '' });
    } catch (err) {
      results.push({ id: c.id, ok: false, message: `${c.id}: threw ${(err as Error).message}` });
    } finally {
      for (const x of created) x.dispose();
    }
  }
  return results;
}
