// Node side of the platform seam: Dawn's WebGPU bindings from the `webgpu` package.
// Only `src/engine/device/acquire.ts` loads this file, through a dynamic import that bundlers skip,
// so browser bundles never see it.
import { create, globals } from 'webgpu';

let gpu: GPU | undefined;

// While a WebGPU promise is pending, Dawn's Node bindings re-check for completion through
// setImmediate, which spins one CPU core at 100%. On a CPU adapter (lavapipe) that core is one the
// "GPU" needs: matmul 1024³ ran 3.5× faster with the polling slowed to a 1 ms timer. So while the
// engine awaits the GPU, setImmediate is a 1 ms timer; overlapping waits are counted.
let waiting = 0;
let original: typeof setImmediate | undefined;

function throttledImmediate(fn: (...args: unknown[]) => void, ...args: unknown[]) {
  return setTimeout(fn, 1, ...args);
}

/** Awaits a WebGPU promise without letting Dawn's completion polling spin a core. */
export async function quietWait<T>(promise: Promise<T>): Promise<T> {
  if (waiting++ === 0) {
    original = globalThis.setImmediate;
    (globalThis as { setImmediate: unknown }).setImmediate = throttledImmediate;
  }
  try {
    return await promise;
  } finally {
    if (--waiting === 0 && original) globalThis.setImmediate = original;
  }
}

/** The process-wide Dawn `GPU` object; WebGPU's global constants are installed on first use. */
export function nodeGpu(): GPU {
  if (!gpu) {
    Object.assign(globalThis, globals);
    gpu = create([]);
  }
  return gpu;
}
