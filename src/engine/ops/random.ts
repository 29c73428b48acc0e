// rand, randn and dropout on the GPU from a seedable counter-based generator.
import { Tensor } from '../tensor/tensor.ts';
import { runtime, groupsFor } from '../kernels/runtime.ts';
import type { Shape } from '../tensor/shape.ts';
import { defaultGenerator, type Generator } from '../random/generator.ts';
import { empty, map } from './launch.ts';
import { pieces } from './split.ts';
import { mul } from './elementwise.ts';

export interface RandomOptions {
  generator?: Generator;
  requiresGrad?: boolean;
}

function random(op: string, shape: Shape, dist: 0 | 1, opts: RandomOptions): Tensor {
  const t = empty(op, shape, 'float32');
  const n = t.size;
  const blocks = Math.ceil(n / 4);
  const s = (opts.generator ?? defaultGenerator).next(blocks);
  // Launched over blocks of 4 outputs (one Philox call each); a launch covers blocks block0..
  for (const p of pieces(op, [blocks], [{ buffer: t.storage.buffer, offset: 0, strides: [4], span: [0, Math.min(3, n - 1)] }])) {
    const nb = p.shape[0];
    const block0 = p.origin[0];
    const pn = Math.min(n - block0 * 4, nb * 4);
    runtime().dispatch(
      op,
      { shader: 'random', defines: { DIST: dist } },
      (w) => w.u32(pn, block0, s.offsetLo, s.offsetHi, s.seedLo, s.seedHi, p.offsets[0], 0),
      p.bindings,
      groupsFor(nb, 64),
    );
  }
  if (opts.requiresGrad) t.requiresGrad = true;
  return t;
}

/** Uniform samples in [0, 1). */
export const rand = (shape: Shape, opts: RandomOptions = {}) => random('rand', shape, 0, opts);
/** Standard normal samples. */
export const randn = (shape: Shape, opts: RandomOptions = {}) => random('randn', shape, 1, opts);

export interface DropoutOptions {
  p?: number;
  training?: boolean;
  generator?: Generator;
}

/** Zeroes each element with probability p and scales the rest by 1/(1-p) (inverted dropout). */
export function dropout(x: Tensor, opts: DropoutOptions = {}): Tensor {
  const p = opts.p ?? 0.5;
  if (!(p >= 0 && p <= 1)) throw new Error(`dropout: p must be in [0, 1], got ${p}`);
  x.assertLive('dropout');
  if (opts.training === false || p === 0) return x;
  const u = rand(x.shape, { generator: opts.generator });
  const scale = p === 1 ? 0 : 1 / (1 - p);
  const mask = map('dropout.mask', [u], { expr: 'select(0.0, p1, a >= p0)', outDtype: 'float32', compute: 'f32', p0: p, p1: scale });
  u.dispose();
  const y = mul(x, mask);
  mask.dispose();
  return y;
}

