// Reverse-mode differentiation: one walk over the graph in topological order.
import { Tensor } from '../tensor/tensor.ts';
import type { GradNode } from './graph.ts';
import { noGrad } from './mode.ts';
import { tidy, keep, currentScope } from '../tensor/scope.ts';
import { fmt } from '../tensor/shape.ts';
import { add } from '../ops/elementwise.ts';
import { ones } from '../ops/creation.ts';
import { clone } from '../ops/shape.ts';

export interface BackwardOptions {
  /** Upstream gradient (default: 1 for a scalar). */
  gradient?: Tensor;
  /** Keep saved tensors so backward can run through the graph again. */
  retainGraph?: boolean;
}

export function backward(root: Tensor, opts: BackwardOptions = {}): void {
  root.assertLive('backward');
  if (!root.requiresGrad) throw new Error('backward: the tensor does not require grad (no input had requiresGrad = true, or it was computed under noGrad)');
  if (!opts.gradient && root.size !== 1) {
    throw new Error(`backward: can only be called on a scalar (got shape ${fmt(root.shape)}); reduce it first, e.g. loss.sum(), or pass { gradient }`);
  }
  if (opts.gradient && opts.gradient.shape.join() !== root.shape.join()) {
    throw new Error(`backward: gradient shape ${fmt(opts.gradient.shape)} does not match the tensor's shape ${fmt(root.shape)}`);
  }
  const given = new Set<Tensor>();
  noGrad(() =>
    tidy(() => {
      const seed = opts.gradient ?? ones(root.shape);
      if (!root.gradFn) {
        accumulate(root, seed, given);
        return;
      }
      // Count, for every node, how many consumers will send it a gradient.
      const pending = new Map<GradNode, number>();
      const stack: GradNode[] = [root.gradFn];
      const seen = new Set<GradNode>([root.gradFn]);
      while (stack.length) {
        const node = stack.pop()!;
        for (const t of node.inputs) {
          const child = t?.gradFn;
          if (!child) continue;
          pending.set(child, (pending.get(child) ?? 0) + 1);
          if (!seen.has(child)) {
            seen.add(child);
            stack.push(child);
          }
        }
      }
      const grads = new Map<GradNode, Tensor>([[root.gradFn, seed]]);
      const ready: GradNode[] = [root.gradFn];
      while (ready.length) {
        const node = ready.pop()!;
        const g = grads.get(node);
        grads.delete(node);
        if (node.consumed) {
          throw new Error(`backward: trying to backward through the graph a second time (at ${node.name}); pass { retainGraph: true } to the first backward`);
        }
        const inputGrads = g ? node.backward(g) : [];
        if (!opts.retainGraph) node.freeSaved();
        node.inputs.forEach((t, i) => {
          if (!t) return;
          const gi = inputGrads[i] ?? null;
          if (gi && gi.shape.join() !== t.shape.join()) {
            throw new Error(`backward: internal error in ${node.name}: gradient ${fmt(gi.shape)} for an input of shape ${fmt(t.shape)}`);
          }
          const child = t.gradFn;
          if (!child) {
            if (gi) accumulate(t, gi, given);
            return;
          }
          if (gi) {
            const prev = grads.get(child);
            grads.set(child, prev ? add(prev, gi) : gi);
          }
          const left = pending.get(child)! - 1;
          pending.set(child, left);
          if (left === 0) ready.push(child);
        });
      }
    }),
  );
}

/**
 * Adds a gradient into a leaf's .grad. Each leaf gets its own contiguous tensor that outlives
 * tidy scopes: a gradient produced by this pass and owned by nobody else is adopted, anything
 * shared (a view, the same tensor sent to two leaves, the caller's seed) is copied.
 */
function accumulate(leaf: Tensor, g: Tensor, given: Set<Tensor>): void {
  if (!leaf.requiresGrad || leaf.disposed) return;
  let next: Tensor;
  if (leaf.grad) next = add(leaf.grad, g);
  else if (g.scope === currentScope() && !given.has(g) && g.storage.refs === 1 && g.isContiguous() && g.offset === 0) next = g;
  else next = clone(g);
  given.add(next);
  leaf.setGrad(keep(next));
}
