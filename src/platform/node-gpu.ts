// Node side of the platform seam: Dawn's WebGPU bindings from the `webgpu` package.
// Only `src/engine/device/acquire.ts` loads this file, through a dynamic import that bundlers skip,
// so browser bundles never see it.
import { create, globals } from 'webgpu';

let gpu: GPU | undefined;

/** The process-wide Dawn `GPU` object; WebGPU's global constants are installed on first use. */
export function nodeGpu(): GPU {
  if (!gpu) {
    Object.assign(globalThis, globals);
    gpu = create([]);
  }
  return gpu;
}
