// Adam and AdamW: PyTorch's torch.optim.Adam / AdamW updates (bias correction, optional AMSGrad,
// L2 weight decay for Adam, decoupled weight decay for AdamW, maximize), fused into one dispatch
// per parameter (shaders/optim_adam.wgsl). The step count is kept on the CPU, so the bias
// corrections are computed in float64 without reading anything back, as PyTorch's default
// (non-capturable) path does.
import type { Tensor } from '../tensor/tensor.ts';
import { runtime, groupsFor } from '../kernels/runtime.ts';
import { Optimizer, type GroupOptions, type ParamGroup, type ParamGroupSpec, type ParamsArg, type ParamState } from './optimizer.ts';

export interface AdamOptions extends GroupOptions {
  betas: [number, number];
  eps: number;
  amsgrad: boolean;
  maximize: boolean;
}

function checkGroup(name: string, g: AdamOptions): void {
  if (!(g.eps >= 0)) throw new Error(`${name}: invalid epsilon ${g.eps}`);
  const [b1, b2] = g.betas ?? [];
  if (!(b1 >= 0 && b1 < 1)) throw new Error(`${name}: invalid beta parameter at index 0: ${b1}`);
  if (!(b2 >= 0 && b2 < 1)) throw new Error(`${name}: invalid beta parameter at index 1: ${b2}`);
}

/**
 * State per parameter (PyTorch's names): `step` (a number here, a tensor in PyTorch), `exp_avg`,
 * `exp_avg_sq`, and `max_exp_avg_sq` with AMSGrad.
 */
export class Adam extends Optimizer<AdamOptions> {
  /** AdamW: weight decay applied to the parameter (p *= 1 - lr·wd), not added to the gradient. */
  protected readonly decoupled: boolean = false;

  constructor(params: ParamsArg<AdamOptions>, opts: Partial<AdamOptions> = {}) {
    super(params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false, ...opts });
    for (const g of this.paramGroups) checkGroup(this.constructor.name, g);
  }

  override addParamGroup(spec: ParamGroupSpec<AdamOptions>): void {
    super.addParamGroup(spec);
    checkGroup(this.constructor.name, this.paramGroups[this.paramGroups.length - 1]);
  }

  protected update(group: ParamGroup<AdamOptions>, p: Tensor, g: Tensor, state: ParamState): void {
    checkGroup(this.constructor.name, group);
    if (state.step === undefined) {
      state.step = 0;
      state.exp_avg = this.zerosLike(p);
      state.exp_avg_sq = this.zerosLike(p);
    }
    if (group.amsgrad && !state.max_exp_avg_sq) state.max_exp_avg_sq = this.zerosLike(p);
    const step = (state.step as number) + 1;
    state.step = step;
    const n = p.size;
    if (n === 0) return;
    const [beta1, beta2] = group.betas;
    const { lr, weightDecay, eps } = group;
    const stepSize = lr / (1 - beta1 ** step);
    const bc2Sqrt = Math.sqrt(1 - beta2 ** step);
    const flags = (this.decoupled ? 1 : 0) | (group.maximize ? 2 : 0);
    const buffers = [p, g, state.exp_avg as Tensor, state.exp_avg_sq as Tensor].map((t) => t.storage.buffer);
    if (group.amsgrad) buffers.push((state.max_exp_avg_sq as Tensor).storage.buffer);
    runtime().dispatch(
      `${this.constructor.name}.step`,
      { shader: 'optim_adam', entry: group.amsgrad ? 'main_amsgrad' : 'main' },
      (w) => w.u32(n, p.offset, g.offset, flags).f32(this.decoupled ? 0 : weightDecay, 1 - lr * weightDecay, beta1, beta2, 1 - beta1, 1 - beta2, stepSize, bc2Sqrt, eps),
      buffers,
      groupsFor(n, 256),
    );
  }
}

/** AdamW (Loshchilov & Hutter): Adam with decoupled weight decay; default weightDecay 0.01 as PyTorch. */
export class AdamW extends Adam {
  protected override readonly decoupled: boolean = true;

  constructor(params: ParamsArg<AdamOptions>, opts: Partial<AdamOptions> = {}) {
    super(params, { weightDecay: 1e-2, ...opts });
  }
}
