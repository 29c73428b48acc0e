// Momentum-encoder helpers shared by BYOL and MoCo: a lazily built target copy of a module and the
// fused EMA update θ_t ← m·θ_t + (1 − m)·θ_o (shaders/plugin_ema.wgsl, one dispatch per tensor,
// no readback).
import { noGrad, type Tensor, type nn } from '../../engine/index.ts';
import { runtime, groupsFor } from '../../engine/kernels/runtime.ts';

/** θ_t ← m·θ_t + (1 − m)·θ_o for each pair (same shapes, float32, contiguous). */
export function emaUpdate(targets: Tensor[], online: Tensor[], m: number): void {
  if (targets.length !== online.length) throw new Error(`emaUpdate: ${targets.length} target tensors vs ${online.length} online tensors`);
  targets.forEach((t, i) => {
    const o = online[i];
    t.assertLive('emaUpdate');
    o.assertLive('emaUpdate');
    if (t.shape.join() !== o.shape.join()) throw new Error(`emaUpdate: tensor ${i} has shape [${t.shape}] in the target but [${o.shape}] online`);
    if (t.dtype !== 'float32' || o.dtype !== 'float32') throw new Error(`emaUpdate: tensor ${i} is not float32`);
    if (!t.isContiguous() || !o.isContiguous()) throw new Error(`emaUpdate: tensor ${i} is not contiguous`);
    const n = t.size;
    if (n === 0) return;
    runtime().dispatch(
      'emaUpdate',
      { shader: 'plugin_ema', entry: 'main' },
      (w) => w.u32(n, t.offset, o.offset, 0).f32(m, 1 - m),
      [t.storage.buffer, o.storage.buffer],
      groupsFor(n, 256),
    );
  });
}

/** Copies `online`'s state into `target` and freezes it (requiresGrad false). */
export function initTarget<M extends nn.Module<never[], unknown> | nn.Module<[Tensor], Tensor>>(target: M, online: M): M {
  target.loadStateDict(online.stateDict());
  target.requiresGrad_(false);
  return target;
}

/** EMA of the parameters of `target` from `online` (same architecture; buffers are the target's own). */
export function emaModule(target: nn.AnyModule, online: nn.AnyModule, m: number): void {
  noGrad(() => emaUpdate(target.parameters(), online.parameters(), m));
}

/** BYOL's schedule: m = 1 − (1 − m₀)·(cos(π·k/K) + 1)/2, from m₀ at step 0 to 1 at step K. */
export function cosineMomentum(base: number, step: number, totalSteps: number): number {
  if (totalSteps <= 0) return base;
  const k = Math.min(Math.max(step, 0), totalSteps);
  return 1 - (1 - base) * (Math.cos((Math.PI * k) / totalSteps) + 1) / 2;
}
