// Public entry point of the engine. Works unchanged in Node (Dawn) and in browsers (navigator.gpu).
import './tensor/methods.ts';
import { runtime } from './kernels/runtime.ts';
import { liveTensorCount } from './tensor/tensor.ts';
import * as functional from './functional.ts';

export { init, shutdown, adapterReport, type AdapterReport, type InitOptions } from './device/device.ts';
export { Tensor } from './tensor/tensor.ts';
export type { DType, DataArray } from './tensor/dtype.ts';
export type { Shape } from './tensor/shape.ts';
export { tidy, keep } from './tensor/scope.ts';
export { noGrad, enableGrad, isGradEnabled } from './autograd/mode.ts';
export { backward, type BackwardOptions } from './autograd/backward.ts';
export { tensor, zeros, ones, full, arange, type CreateOptions } from './ops/creation.ts';
export { rand, randn, type RandomOptions } from './ops/random.ts';
export { Generator, manualSeed, defaultGenerator } from './random/generator.ts';
export * from './ops/elementwise.ts';
export { sum, mean, max, min, argmax, argmin, variance, logsumexp, type Dims, type VarOptions } from './ops/reduce.ts';
export * from './ops/shape.ts';
export { matmul, linear } from './ops/matmul.ts';
export { item } from './ops/io.ts';
export { assign } from './ops/assign.ts';
export { serializeSafetensors, parseSafetensors, parseSafetensorsBlob, readSafetensorsHeader, loadStateDict, tensorsFromSafetensors, SafetensorsError, type ParsedSafetensors, type SafetensorsEntry, type SafetensorsHeader, type SafetensorsReadOptions, type LoadStateDictReport, type LoadStateDictOptions, type TensorDict } from './io/safetensors.ts';
export const F = functional;
export * as nn from './nn/index.ts';
export * as optim from './optim/index.ts';

export interface MemoryInfo {
  liveTensors: number;
  liveBuffers: number;
  liveBytes: number;
  pooledBuffers: number;
  pooledBytes: number;
  /** High-water mark of liveBytes since init() or resetPeakMemory(). */
  peakLiveBytes: number;
  /** High-water mark of all the pool's buffer bytes (live + pooled) since init() or resetPeakMemory(). */
  peakAllocatedBytes: number;
}

/** Live tensors and GPU buffers in use or pooled, and their peaks; for leak checks and logs. */
export function memory(): MemoryInfo {
  return { liveTensors: liveTensorCount(), ...runtime().pool.snapshot() };
}

/** Restarts memory()'s peak counters from the current usage. */
export function resetPeakMemory(): void {
  runtime().pool.resetPeak();
}

/** Submits queued work, waits for the GPU, and throws any GPU error. */
export async function sync(): Promise<void> {
  await runtime().sync();
}
