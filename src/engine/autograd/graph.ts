// The backward graph. Each differentiable op's output points at a GradNode holding the op's
// backward function, its inputs, and aliases of the tensors it saved for backward.
//
// Nodes are reference-counted: by the output tensors that point at them and by the child nodes
// that list them as inputs. When the count drops to zero (outputs disposed, no consumer left) the
// saved tensors are released, so a graph that is never backpropagated does not leak GPU memory.
import type { Tensor } from '../tensor/tensor.ts';
import { isGradEnabled } from './mode.ts';

export type BackwardFn = (grad: Tensor) => Array<Tensor | null | undefined>;

export class GradNode {
  refs = 0;
  /** Set once backward ran through this node (its saved tensors are freed). */
  consumed = false;
  private released = false;

  constructor(
    readonly name: string,
    readonly inputs: ReadonlyArray<Tensor | null>,
    readonly backward: BackwardFn,
    private saved: Tensor[],
  ) {
    for (const t of inputs) if (t?.gradFn) t.gradFn.refs++;
  }

  /** Frees what backward needed (called once backward has run through the node). */
  freeSaved(): void {
    for (const s of this.saved) s.dispose();
    this.saved = [];
    this.consumed = true;
  }

  decref(): void {
    if (--this.refs === 0 && !this.released) {
      this.released = true;
      this.freeSaved();
      for (const t of this.inputs) t?.gradFn?.decref();
    }
  }
}

/**
 * Connects `out` to its inputs when gradients are recorded and some input requires them.
 * `makeBackward` receives `save`, which keeps a tensor's memory alive for backward; it is only
 * called when a node is actually created.
 */
export function recordOp(
  name: string,
  inputs: ReadonlyArray<Tensor | null>,
  out: Tensor,
  makeBackward: (save: (t: Tensor) => Tensor) => BackwardFn,
): Tensor {
  if (!isGradEnabled() || !inputs.some((t) => t?.requiresGrad)) return out;
  const saved: Tensor[] = [];
  const save = (t: Tensor): Tensor => {
    const a = t.alias(t.shape, t.strides, t.offset, false);
    saved.push(a);
    return a;
  };
  const backward = makeBackward(save);
  const node = new GradNode(name, inputs.map((t) => (t?.requiresGrad ? t : null)), backward, saved);
  node.refs++;
  out.gradFn = node;
  out.setRequiresGradInternal(true);
  return out;
}
