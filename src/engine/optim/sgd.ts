// SGD with momentum, dampening, Nesterov momentum, weight decay and maximize: PyTorch's
// torch.optim.SGD update, fused into one dispatch per parameter (shaders/optim_sgd.wgsl).
import type { Tensor } from '../tensor/tensor.ts';
import { runtime, groupsFor } from '../kernels/runtime.ts';
import { Optimizer, type GroupOptions, type ParamGroup, type ParamsArg, type ParamState } from './optimizer.ts';

export interface SGDOptions extends GroupOptions {
  momentum: number;
  dampening: number;
  nesterov: boolean;
  maximize: boolean;
}

/**
 * State per parameter (PyTorch's names): `momentum_buffer` once a step with momentum ran.
 * The first momentum step copies the direction into the buffer (no dampening), as PyTorch.
 */
export class SGD extends Optimizer<SGDOptions> {
  constructor(params: ParamsArg<SGDOptions>, opts: Partial<SGDOptions> & { lr: number }) {
    const defaults: SGDOptions = { momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false, ...opts };
    super(params, defaults);
    for (const g of this.paramGroups) checkGroup(g);
  }

  override addParamGroup(spec: Parameters<Optimizer<SGDOptions>['addParamGroup']>[0]): void {
    super.addParamGroup(spec);
    checkGroup(this.paramGroups[this.paramGroups.length - 1]);
  }

  protected update(group: ParamGroup<SGDOptions>, p: Tensor, g: Tensor, state: ParamState): void {
    checkGroup(group);
    const n = p.size;
    if (n === 0) return;
    const useMomentum = group.momentum !== 0;
    let first = false;
    let buf = state.momentum_buffer as Tensor | undefined;
    if (useMomentum && !buf) {
      buf = this.zerosLike(p);
      state.momentum_buffer = buf;
      first = true;
    }
    const flags = (first ? 1 : 0) | (group.nesterov ? 2 : 0) | (group.maximize ? 4 : 0);
    const buffers = [p.storage.buffer, g.storage.buffer];
    if (useMomentum) buffers.push(buf!.storage.buffer);
    runtime().dispatch(
      'SGD.step',
      { shader: 'optim_sgd', entry: useMomentum ? 'main_momentum' : 'main_plain' },
      (w) => w.u32(n, p.offset, g.offset, flags).f32(group.lr, group.weightDecay, group.momentum, 1 - group.dampening),
      buffers,
      groupsFor(n, 256),
    );
  }
}

function checkGroup(g: SGDOptions): void {
  if (!(g.momentum >= 0)) throw new Error(`SGD: invalid momentum ${g.momentum}`);
  if (g.nesterov && (g.momentum <= 0 || g.dampening !== 0)) throw new Error('SGD: Nesterov momentum requires a momentum and zero dampening');
}
