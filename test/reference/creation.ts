// Creation references: tensor (nested arrays), zeros, ones, full, arange.
import { type RefTensor, type RefDType, make } from './tensor.ts';

type Nested = number | Nested[];

export function tensorRef(values: Nested | ArrayLike<number>, shape?: readonly number[], dtype: RefDType = 'float32'): RefTensor {
  if (typeof values === 'number') return make(shape ?? [], [values], dtype);
  if (!Array.isArray(values)) return make(shape ?? [values.length], values as ArrayLike<number>, dtype);
  const inferred: number[] = [];
  let v: Nested = values;
  while (Array.isArray(v)) {
    inferred.push(v.length);
    v = v[0];
  }
  const flat: number[] = [];
  const walk = (x: Nested): void => {
    if (Array.isArray(x)) x.forEach(walk);
    else flat.push(x);
  };
  walk(values as Nested[]);
  return make(shape ?? inferred, flat, dtype);
}

export const zeros = (shape: readonly number[]) => make(shape);
export const ones = (shape: readonly number[]) => full(shape, 1);
export function full(shape: readonly number[], value: number): RefTensor {
  const t = make(shape);
  t.data.fill(value);
  return t;
}

/** arange like torch: length ceil((end - start) / step). */
export function arange(start: number, end?: number, step = 1): RefTensor {
  if (end === undefined) {
    end = start;
    start = 0;
  }
  const n = Math.max(0, Math.ceil((end - start) / step));
  const t = make([n]);
  for (let i = 0; i < n; i++) t.data[i] = start + i * step;
  return t;
}
