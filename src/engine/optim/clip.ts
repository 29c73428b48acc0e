// Gradient clipping by global norm (torch.nn.utils.clip_grad_norm_) and a non-finite gradient check.
import { Tensor } from '../tensor/tensor.ts';
import { keep, tidy } from '../tensor/scope.ts';
import { noGrad } from '../autograd/mode.ts';
import { full } from '../ops/creation.ts';
import { abs, mul, sqrt } from '../ops/elementwise.ts';
import { max, sum } from '../ops/reduce.ts';
import { reshape, stack } from '../ops/shape.ts';
import { map } from '../ops/launch.ts';

/** WGSL: the f32 `a` is NaN or ±Inf (all exponent bits set). */
const IS_NON_FINITE = '((bitcast<u32>(a) & 0x7f800000u) == 0x7f800000u)';

export interface ClipOptions {
  /** 2 (default) or Infinity. */
  normType?: number;
}

/**
 * Scales every gradient by min(1, maxNorm / (total + 1e-6)), where total is the norm of all
 * gradients together, and returns total as a 0-d tensor on the GPU, exactly as PyTorch's
 * clip_grad_norm_ (parameters without a gradient are ignored; with none, returns 0). Nothing is
 * read back: `await total.item()` when the value is needed. Each gradient is replaced by its
 * scaled copy (the old one is freed). As in PyTorch, a NaN total turns every gradient into NaN
 * and an infinite one zeroes the finite entries; findNonFiniteGrad says which parameter was at
 * fault. (The Infinity norm relies on the engine's max, see its notes on NaN.)
 */
export function clipGradNorm(params: Iterable<Tensor>, maxNorm: number, opts: ClipOptions = {}): Tensor {
  const normType = opts.normType ?? 2;
  if (normType !== 2 && normType !== Infinity) throw new Error(`clipGradNorm: normType must be 2 or Infinity, got ${normType}`);
  if (!(maxNorm >= 0)) throw new Error(`clipGradNorm: maxNorm must be a non-negative number, got ${maxNorm}`);
  const withGrad = [...params].filter((p) => p.grad && p.grad.size > 0);
  if (withGrad.length === 0) return full([], 0);
  return noGrad(() => {
    const total = tidy(() => {
      if (normType === Infinity) {
        const m = withGrad.map((p) => max(abs(p.grad!)));
        return m.length === 1 ? m[0] : max(stack(m));
      }
      // Sum of squares per gradient (float32 accumulation), then over gradients; one sqrt.
      const sq = withGrad.map((p) => sum(mul(p.grad!, p.grad!)));
      return sqrt(sq.length === 1 ? sq[0] : sum(stack(sq)));
    });
    keep(total);
    tidy(() => {
      // min(1, maxNorm / (total + 1e-6)) in one kernel; a NaN total gives a NaN coefficient, as in
      // PyTorch (the NaN test uses the exponent bits: x != x may be folded away by fast math).
      const coef = map('clipGradNorm.coef', [total], { expr: `select(min(p0 / (a + 1e-6), 1.0), p0 / (a + 1e-6), ${IS_NON_FINITE})`, outDtype: 'float32', compute: 'f32', p0: maxNorm });
      for (const p of withGrad) p.setGrad(mul(p.grad!, coef));
    });
    return total;
  });
}

/**
 * The name of the first parameter (in the given order) whose gradient holds a NaN or ±Inf, or
 * null when all are finite. One small readback (one number per gradient): each gradient's count of
 * non-finite elements, computed on the GPU by testing the float's exponent bits, which no
 * compiler fast-math assumption can fold away (unlike x != x).
 */
export async function findNonFiniteGrad(namedParams: Iterable<[string, Tensor]>): Promise<string | null> {
  const named = [...namedParams].filter(([, p]) => p.grad && p.grad.size > 0);
  if (named.length === 0) return null;
  const counts = noGrad(() =>
    tidy(() => {
      const c = named.map(([, p]) => sum(map('nonFinite', [p.grad!], { expr: `select(0.0, 1.0, ${IS_NON_FINITE})`, outDtype: 'float32', compute: 'f32' })));
      return c.length === 1 ? reshape(c[0], [1]) : stack(c);
    }),
  );
  try {
    const v = await counts.data();
    for (let i = 0; i < named.length; i++) if (v[i] !== 0) return named[i][0];
    return null;
  } finally {
    counts.dispose();
  }
}
