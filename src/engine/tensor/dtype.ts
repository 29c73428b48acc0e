// Element types. All are 32-bit on the GPU; `bool` is stored as 0/1 in 32-bit integers.
export type DType = 'float32' | 'int32' | 'bool';

export type TypedArrayFor<D extends DType> = D extends 'float32' ? Float32Array : D extends 'int32' ? Int32Array : Uint8Array;
export type DataArray = Float32Array | Int32Array | Uint8Array;

export const BYTES_PER_ELEMENT = 4;

/** WGSL storage type of a dtype. */
export function wgslStorage(dtype: DType): 'f32' | 'i32' {
  return dtype === 'float32' ? 'f32' : 'i32';
}

/** PyTorch-style promotion for arithmetic: any float makes float; bool and int make int. */
export function promote(a: DType, b: DType): DType {
  if (a === 'float32' || b === 'float32') return 'float32';
  return 'int32';
}

export function isDType(x: unknown): x is DType {
  return x === 'float32' || x === 'int32' || x === 'bool';
}
