// tidy(): deterministic release of every tensor created inside a function except what it returns.
import type { Tensor } from './tensor.ts';

export class Scope {
  readonly tensors = new Set<Tensor>();
}

const stack: Scope[] = [];

export function currentScope(): Scope | null {
  return stack.length ? stack[stack.length - 1] : null;
}

/** Values tidy() can return: tensors, arrays and plain objects of them, and anything else. */
export type Tidyable = unknown;

function collect(value: unknown, out: Set<Tensor>, isTensor: (v: unknown) => v is Tensor): void {
  if (isTensor(value)) out.add(value);
  else if (Array.isArray(value)) for (const v of value) collect(v, out, isTensor);
  else if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) collect(v, out, isTensor);
  }
}

let isTensorFn: (v: unknown) => v is Tensor = (_v): _v is Tensor => false;
export function setTensorCheck(fn: (v: unknown) => v is Tensor): void {
  isTensorFn = fn;
}

/**
 * Runs fn and disposes every tensor it created, except the tensors it returns (found in arrays
 * and plain objects too), which move to the enclosing scope. fn must be synchronous.
 */
export function tidy<T>(fn: () => T): T {
  const scope = new Scope();
  stack.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (err) {
    stack.pop();
    for (const t of scope.tensors) t.dispose();
    throw err;
  }
  stack.pop();
  if (result instanceof Promise) {
    throw new Error('tidy(fn): fn returned a Promise; tidy only accepts synchronous functions (await outside it)');
  }
  const kept = new Set<Tensor>();
  collect(result, kept, isTensorFn);
  const parent = currentScope();
  for (const t of scope.tensors) {
    if (kept.has(t)) {
      t.scope = parent;
      parent?.tensors.add(t);
    } else {
      t.dispose();
    }
  }
  return result;
}

/** Exempts a tensor from the enclosing tidy() scopes; it lives until dispose(). */
export function keep<T extends Tensor>(t: T): T {
  t.scope?.tensors.delete(t);
  t.scope = null;
  return t;
}
