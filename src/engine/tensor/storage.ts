// A GPU buffer shared by a tensor and its views, reference-counted so that the buffer returns to
// the pool exactly when the last tensor (or saved-for-backward alias) using it is disposed.
import { runtime } from '../kernels/runtime.ts';

export class Storage {
  refs = 1;
  constructor(readonly buffer: GPUBuffer, readonly bytes: number) {}

  static allocate(bytes: number, label: string): Storage {
    const rt = runtime();
    // Tensors may exceed maxStorageBufferBindingSize: ops bind windows of them (ops/split.ts).
    const limit = rt.device.limits.maxBufferSize;
    if (bytes > limit) {
      throw new Error(`${label}: a ${bytes}-byte tensor exceeds this adapter's maxBufferSize (${limit} bytes); use smaller batches or split the tensor`);
    }
    return new Storage(rt.pool.acquire(bytes, label), bytes);
  }

  retain(): void {
    this.refs++;
  }

  release(): void {
    if (--this.refs === 0) runtime().pool.release(this.buffer);
  }
}
