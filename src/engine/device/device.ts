// The one GPU device the engine runs on: acquisition, adapter report, limits, error surfacing, shutdown.
import { acquireGpu, NO_ADAPTER_HELP, type Backend, type WaitFn } from './acquire.ts';

export interface AdapterReport {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  backend: Backend;
  /** True for CPU implementations (lavapipe, SwiftShader): benchmarks must say so. */
  software: boolean;
  limits: {
    maxStorageBufferBindingSize: number;
    maxBufferSize: number;
    maxComputeWorkgroupStorageSize: number;
    maxComputeInvocationsPerWorkgroup: number;
    maxComputeWorkgroupsPerDimension: number;
    maxStorageBuffersPerShaderStage: number;
  };
}

export interface InitOptions {
  powerPreference?: GPUPowerPreference;
  /** Use this GPU object instead of navigator.gpu / Dawn (tests, custom embedders). */
  gpu?: GPU;
}

interface DeviceState {
  device: GPUDevice;
  report: AdapterReport;
  /** First asynchronous GPU error not yet thrown to the user. */
  pendingError: Error | null;
  lost: Error | null;
  wait: WaitFn;
}

let state: DeviceState | null = null;
let initializing: Promise<AdapterReport> | null = null;
const shutdownHooks: Array<() => void> = [];

const SOFTWARE_PATTERN = /llvmpipe|lavapipe|swiftshader|software|cpu/i;

export function init(opts: InitOptions = {}): Promise<AdapterReport> {
  if (state) return Promise.resolve(state.report);
  initializing ??= initialize(opts).finally(() => { initializing = null; });
  return initializing;
}

async function initialize(opts: InitOptions): Promise<AdapterReport> {
  const { gpu, backend, wait } = opts.gpu ? { gpu: opts.gpu, backend: 'browser' as Backend, wait: undefined } : await acquireGpu();
  let adapter: GPUAdapter | null = null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: opts.powerPreference ?? 'high-performance' });
  } catch (err) {
    throw new Error(`init(): requestAdapter failed (${(err as Error).message}). ${NO_ADAPTER_HELP}`);
  }
  if (!adapter) throw new Error(`init(): ${NO_ADAPTER_HELP}`);
  const al = adapter.limits;
  const limits = {
    maxStorageBufferBindingSize: al.maxStorageBufferBindingSize,
    maxBufferSize: al.maxBufferSize,
    maxComputeWorkgroupStorageSize: al.maxComputeWorkgroupStorageSize,
    maxComputeInvocationsPerWorkgroup: al.maxComputeInvocationsPerWorkgroup,
    maxComputeWorkgroupsPerDimension: al.maxComputeWorkgroupsPerDimension,
    maxStorageBuffersPerShaderStage: al.maxStorageBuffersPerShaderStage,
  };
  // Ask for the adapter's own limits: the defaults (e.g. 128 MiB bindings, 16 KiB shared memory)
  // are lower than what most adapters offer.
  // Optional features some kernels use when present (subgroup operations: the CPU-adapter matmul).
  const requiredFeatures = (['subgroups'] as GPUFeatureName[]).filter((f) => adapter.features.has(f));
  const device = await adapter.requestDevice({ requiredLimits: { ...limits }, requiredFeatures });
  const info = adapter.info ?? ({} as GPUAdapterInfo);
  const description = [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' / ');
  const report: AdapterReport = {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    device: info.device ?? '',
    description: description || 'unknown adapter',
    backend,
    software: SOFTWARE_PATTERN.test(description) || (info as { isFallbackAdapter?: boolean }).isFallbackAdapter === true,
    limits,
  };
  const s: DeviceState = { device, report, pendingError: null, lost: null, wait: wait ?? ((p) => p) };
  device.addEventListener('uncapturederror', (ev) => {
    const e = (ev as GPUUncapturedErrorEvent).error;
    s.pendingError ??= new Error(`WebGPU ${e.constructor?.name ?? 'error'}: ${e.message}`);
  });
  void device.lost.then((info) => {
    if (state === s && info.reason !== 'destroyed') {
      s.lost = new Error(`WebGPU device lost (${info.reason}): ${info.message}. Call init() again to start a new device.`);
      state = null;
    }
  });
  state = s;
  return report;
}

/** The live device; throws a clear error before init() or after loss. */
export function gpuDevice(): GPUDevice {
  if (!state) throw new Error('The engine is not initialised: call `await init()` first.');
  throwPendingError();
  return state.device;
}

export function adapterReport(): AdapterReport {
  if (!state) throw new Error('The engine is not initialised: call `await init()` first.');
  return state.report;
}

/** Awaits a WebGPU promise the way this platform should (see src/platform/node-gpu.ts). */
export function gpuWait<T>(promise: Promise<T>): Promise<T> {
  return state ? state.wait(promise) : promise;
}

export function isInitialised(): boolean {
  return state !== null;
}

/** Records an asynchronous GPU error; it is thrown by the next engine call. */
export function reportGpuError(err: Error): void {
  if (state) state.pendingError ??= err;
}

export function throwPendingError(): void {
  if (!state) return;
  const err = state.lost ?? state.pendingError;
  if (err) {
    state.pendingError = null;
    throw err;
  }
}

export function onShutdown(hook: () => void): void {
  shutdownHooks.push(hook);
}

/** Destroys the device (releasing every GPU buffer) so that Node can exit. */
export async function shutdown(): Promise<void> {
  if (!state) return;
  const s = state;
  for (const hook of shutdownHooks) hook();
  state = null;
  s.device.destroy();
}
