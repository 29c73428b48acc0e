// Reading tensors back to the CPU: the only place data leaves the GPU, and only when asked.
import { Tensor, setDataReader } from '../tensor/tensor.ts';
import { runtime } from '../kernels/runtime.ts';
import { BYTES_PER_ELEMENT, type DataArray } from '../tensor/dtype.ts';
import { contiguous } from './shape.ts';
import { noGrad } from '../autograd/mode.ts';

async function readTensor(t: Tensor): Promise<DataArray> {
  const src = t.isContiguous() ? t : noGrad(() => contiguous(t));
  try {
    const n = t.size;
    if (n === 0) return t.dtype === 'float32' ? new Float32Array(0) : t.dtype === 'int32' ? new Int32Array(0) : new Uint8Array(0);
    const bytes = await runtime().read(src.storage.buffer, src.offset * BYTES_PER_ELEMENT, n * BYTES_PER_ELEMENT);
    if (t.dtype === 'float32') return new Float32Array(bytes);
    const ints = new Int32Array(bytes);
    return t.dtype === 'int32' ? ints : Uint8Array.from(ints);
  } finally {
    if (src !== t) src.dispose();
  }
}

setDataReader(readTensor);

/** Reads a one-element tensor as a number. */
export async function item(t: Tensor): Promise<number> {
  if (t.size !== 1) throw new Error(`item: tensor has ${t.size} elements, expected 1`);
  return (await t.data())[0];
}
