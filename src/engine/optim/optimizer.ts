// Optimizer base (torch.optim.Optimizer): parameter groups with their own hyper-parameters,
// per-parameter state tensors, zeroGrad, step, and a state dict in PyTorch's layout
// (`state` keyed by the parameter's index over all groups, `paramGroups` holding the
// hyper-parameters and those indices).
//
// step() only records GPU work: each parameter is updated by one fused kernel dispatch
// (shaders/optim_*.wgsl) that reads the gradient and state and writes the parameter and state in
// place. Nothing is read back to the CPU. Parameters without a gradient, or with
// requiresGrad = false (frozen), are skipped and their state is left untouched.
import { Tensor } from '../tensor/tensor.ts';
import { keep } from '../tensor/scope.ts';
import { fmt, sameShape } from '../tensor/shape.ts';
import { noGrad } from '../autograd/mode.ts';
import { clone, contiguous } from '../ops/shape.ts';
import { zeros } from '../ops/creation.ts';

/** Hyper-parameters every group has. */
export interface GroupOptions {
  lr: number;
  weightDecay: number;
}

export type ParamGroup<H extends GroupOptions = GroupOptions> = H & {
  params: Tensor[];
  /** The lr a schedule scales (set by the first schedule attached, as PyTorch's initial_lr). */
  initialLr?: number;
};

/** A group as given to the constructor: its params and any hyper-parameters that override the defaults. */
export type ParamGroupSpec<H extends GroupOptions = GroupOptions> = Partial<H> & { params: Iterable<Tensor> };

export type ParamsArg<H extends GroupOptions> = Iterable<Tensor> | Iterable<ParamGroupSpec<H>>;

/** Per-parameter optimizer state: tensors (moments, momentum buffers) and numbers (step counts). */
export type ParamState = Record<string, Tensor | number>;

export interface OptimizerStateDict {
  /** Keyed by the parameter's index over all groups, in group order. */
  state: Record<number, ParamState>;
  /** Each group's hyper-parameters, with the indices of its parameters. */
  paramGroups: Array<Record<string, unknown> & { params: number[] }>;
}

function isTensor(v: unknown): v is Tensor {
  return v instanceof Tensor;
}

export abstract class Optimizer<H extends GroupOptions = GroupOptions> {
  readonly paramGroups: Array<ParamGroup<H>> = [];
  /** State per parameter tensor; filled lazily by the first step that updates the parameter. */
  readonly state = new Map<Tensor, ParamState>();
  protected readonly defaults: H;
  private readonly name: string;

  constructor(params: ParamsArg<H>, defaults: H) {
    this.name = this.constructor.name;
    this.defaults = defaults;
    checkHyper(this.name, defaults);
    const list = [...(params as Iterable<Tensor | ParamGroupSpec<H>>)];
    if (list.length === 0) throw new Error(`${this.name}: got an empty parameter list`);
    if (list.every(isTensor)) this.addParamGroup({ params: list as Tensor[] } as unknown as ParamGroupSpec<H>);
    else if (list.some(isTensor)) throw new Error(`${this.name}: params must be all tensors or all parameter groups ({ params, ... })`);
    else for (const g of list as ParamGroupSpec<H>[]) this.addParamGroup(g);
  }

  /** Adds a group; hyper-parameters it leaves out come from the optimizer's defaults. */
  addParamGroup(spec: ParamGroupSpec<H>): void {
    const params = [...spec.params];
    for (const p of params) {
      if (!isTensor(p)) throw new Error(`${this.name}: a parameter group contains something that is not a tensor`);
      p.assertLive(this.name);
      if (p.dtype !== 'float32') throw new Error(`${this.name}: can only optimize float32 tensors, got ${p.dtype} ${fmt(p.shape)}`);
      if (!p.isLeaf) throw new Error(`${this.name}: can only optimize leaf tensors (parameters), got a computed tensor ${fmt(p.shape)}`);
    }
    if (new Set(params).size !== params.length) throw new Error(`${this.name}: a parameter group contains the same tensor twice`);
    for (const g of this.paramGroups) {
      if (g.params.some((p) => params.includes(p))) throw new Error(`${this.name}: some parameters appear in more than one parameter group`);
    }
    const group = { ...this.defaults, ...spec, params } as ParamGroup<H>;
    checkHyper(this.name, group);
    this.paramGroups.push(group);
  }

  /** Drops every gradient (PyTorch's zero_grad(set_to_none=True); the engine then adopts the next backward's gradients without a copy). */
  zeroGrad(): void {
    for (const g of this.paramGroups) for (const p of g.params) p.setGrad(null);
  }

  /**
   * Updates every parameter that has a gradient and requires grad, one fused dispatch each.
   * Records GPU work only; nothing is read back.
   */
  step(): void {
    noGrad(() => {
      for (const group of this.paramGroups) {
        for (const p of group.params) {
          if (!p.requiresGrad || !p.grad) continue;
          p.assertLive(`${this.name}.step`);
          if (!p.isContiguous()) throw new Error(`${this.name}.step: parameter ${fmt(p.shape)} is not contiguous`);
          const g0 = p.grad;
          if (!sameShape(g0.shape, p.shape)) throw new Error(`${this.name}.step: gradient ${fmt(g0.shape)} does not match parameter ${fmt(p.shape)}`);
          const g = g0.isContiguous() ? g0 : contiguous(g0);
          let state = this.state.get(p);
          if (!state) {
            state = {};
            this.state.set(p, state);
          }
          this.update(group, p, g, state);
          if (g !== g0) g.dispose();
        }
      }
    });
  }

  /** Records the update of one parameter (contiguous `p` and `g` of the same shape). */
  protected abstract update(group: ParamGroup<H>, p: Tensor, g: Tensor, state: ParamState): void;

  /** A new zero-filled state tensor shaped like `p`, owned by the optimizer (outlives tidy). */
  protected zerosLike(p: Tensor): Tensor {
    return keep(zeros(p.shape));
  }

  /**
   * PyTorch's state_dict layout. State tensors are the optimizer's own (not copies): read or clone
   * them before the next step if a snapshot is needed.
   */
  stateDict(): OptimizerStateDict {
    const index = new Map<Tensor, number>();
    const paramGroups = this.paramGroups.map((g) => {
      const { params, ...hyper } = g;
      const ids = params.map((p) => {
        index.set(p, index.size);
        return index.size - 1;
      });
      return { ...structuredCloneHyper(hyper), params: ids };
    });
    const state: Record<number, ParamState> = {};
    for (const [p, s] of this.state) {
      const i = index.get(p);
      if (i !== undefined) state[i] = { ...s };
    }
    return { state, paramGroups };
  }

  /**
   * Restores hyper-parameters and state saved by stateDict() (of an optimizer over parameters of the
   * same shapes, in the same group structure). State tensors are copied, so the dict can be disposed.
   */
  loadStateDict(sd: OptimizerStateDict): void {
    if (sd.paramGroups.length !== this.paramGroups.length) {
      throw new Error(`${this.name}.loadStateDict: the state dict has ${sd.paramGroups.length} parameter groups, the optimizer ${this.paramGroups.length}`);
    }
    const byIndex: Tensor[] = [];
    sd.paramGroups.forEach((saved, gi) => {
      const own = this.paramGroups[gi];
      if (saved.params.length !== own.params.length) {
        throw new Error(`${this.name}.loadStateDict: group ${gi} has ${saved.params.length} parameters in the state dict, ${own.params.length} in the optimizer`);
      }
      saved.params.forEach((idx, k) => (byIndex[idx] = own.params[k]));
    });
    for (const [key, s] of Object.entries(sd.state)) {
      const p = byIndex[Number(key)];
      if (!p) throw new Error(`${this.name}.loadStateDict: state for parameter index ${key}, which no group lists`);
      for (const [name, v] of Object.entries(s)) {
        if (isTensor(v) && !sameShape(v.shape, p.shape)) {
          throw new Error(`${this.name}.loadStateDict: state '${name}' of parameter ${key} has shape ${fmt(v.shape)}, the parameter ${fmt(p.shape)}`);
        }
      }
    }
    sd.paramGroups.forEach((saved, gi) => {
      const { params: _params, ...hyper } = saved;
      Object.assign(this.paramGroups[gi], structuredCloneHyper(hyper));
      checkHyper(this.name, this.paramGroups[gi]);
    });
    this.disposeState();
    noGrad(() => {
      for (const [key, s] of Object.entries(sd.state)) {
        const copy: ParamState = {};
        for (const [name, v] of Object.entries(s)) copy[name] = isTensor(v) ? keep(clone(v)) : v;
        this.state.set(byIndex[Number(key)], copy);
      }
    });
  }

  private disposeState(): void {
    for (const s of this.state.values()) for (const v of Object.values(s)) if (isTensor(v)) v.dispose();
    this.state.clear();
  }

  /** Frees the optimizer's state tensors (not the parameters). */
  dispose(): void {
    this.disposeState();
  }
}

/** Copies group hyper-parameters (numbers, booleans, arrays of numbers like betas). */
function structuredCloneHyper(h: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(h)) out[k] = Array.isArray(v) ? [...v] : v;
  return out;
}

function checkHyper(name: string, h: { lr?: unknown; weightDecay?: unknown }): void {
  if (typeof h.lr !== 'number' || !(h.lr >= 0)) throw new Error(`${name}: invalid learning rate ${String(h.lr)}`);
  if (typeof h.weightDecay !== 'number' || !(h.weightDecay >= 0)) throw new Error(`${name}: invalid weightDecay ${String(h.weightDecay)}`);
}

/**
 * Splits named parameters into two groups: one with `weightDecay` and one without, the usual recipe
 * of no decay on biases and normalisation weights. By default a parameter is exempt when it has
 * fewer than 2 dims (biases, batch-norm weights); pass `exempt` to decide by name instead.
 */
export function splitWeightDecay<H extends GroupOptions>(
  named: Iterable<[string, Tensor]>,
  weightDecay: number,
  exempt: (name: string, p: Tensor) => boolean = (_n, p) => p.rank < 2,
): [ParamGroupSpec<H>, ParamGroupSpec<H>] {
  const decay: Tensor[] = [];
  const noDecay: Tensor[] = [];
  for (const [n, p] of named) (exempt(n, p) ? noDecay : decay).push(p);
  return [{ params: decay, weightDecay } as unknown as ParamGroupSpec<H>, { params: noDecay, weightDecay: 0 } as unknown as ParamGroupSpec<H>];
}
