// Records kernel dispatches into a shared command encoder and submits them in batches.
//
// - Pipelines are compiled once per (shader, defines) variant and cached.
// - Uniforms of every dispatch in a batch live in one arena buffer, written with a single
//   queue.writeBuffer right before the batch is submitted.
// - A batch is submitted when it reaches MAX_DISPATCHES, when the arena is full, or when data is
//   needed on the CPU; never once per op.
// - Each batch runs inside validation and out-of-memory error scopes; an error names the ops that
//   were recorded in that batch and is thrown by the next engine call.
import { gpuDevice, gpuWait, reportGpuError, throwPendingError, onShutdown } from '../device/device.ts';
import { BufferPool } from '../buffers/pool.ts';
import { SHADERS } from './shaders.generated.ts';
import { UniformWriter } from './uniforms.ts';

const MAX_DISPATCHES = 128;
const UNIFORM_SLOT = 256; // minUniformBufferOffsetAlignment
const ARENA_BYTES = MAX_DISPATCHES * UNIFORM_SLOT;
export const WORKGROUPS_PER_DIM = 65535;

/**
 * A storage binding: a whole buffer, or a window of one (`offset` a multiple of
 * minStorageBufferOffsetAlignment, `size` at most the binding limit). Tensors may be larger than
 * maxStorageBufferBindingSize (up to maxBufferSize); ops bind windows of them and split their
 * launches so that every binding fits (see ops/split.ts).
 */
export type Binding = GPUBuffer | GPUBufferBinding;

let bindingLimitOverride: number | null = null;

/**
 * FOR TESTS ONLY: lowers the effective binding limit to `bytes` (null restores the device's
 * maxStorageBufferBindingSize), so that the splitting of big tensors can be tested on tensors of a
 * few hundred KiB instead of several GiB. `bytes` must be a multiple of 256 and at least 4 KiB.
 */
export function setBindingLimitForTesting(bytes: number | null): void {
  if (bytes !== null && (!Number.isInteger(bytes) || bytes % 256 !== 0 || bytes < 4096)) {
    throw new Error(`setBindingLimitForTesting: expected a multiple of 256 bytes >= 4096, got ${bytes}`);
  }
  bindingLimitOverride = bytes;
}

export interface Kernel {
  /** Key of a WGSL source in shaders/ (file name without extension). */
  shader: string;
  /** Values substituted for `{{NAME}}` placeholders; part of the pipeline cache key. */
  defines?: Record<string, string | number>;
  /** Entry point (default `main`). */
  entry?: string;
}

class Runtime {
  readonly device: GPUDevice;
  readonly pool: BufferPool;
  private pipelines = new Map<string, GPUComputePipeline>();
  private modules = new Map<string, GPUShaderModule>();
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private arena: GPUBuffer;
  private arenaBytes = new Uint8Array(ARENA_BYTES);
  private arenaUsed = 0;
  private dispatches = 0;
  private opsInBatch: string[] = [];
  private scopes: Promise<void>[] = [];
  private staging: GPUBuffer[] = [];
  /** Totals since the device started: batches submitted, dispatches and copies recorded. */
  submits = 0;
  recorded = 0;

  constructor(device: GPUDevice) {
    this.device = device;
    this.pool = new BufferPool(device);
    this.arena = device.createBuffer({ size: ARENA_BYTES, usage: 0x40 /* UNIFORM */ | 0x8 /* COPY_DST */, label: 'uniform-arena' });
  }

  private beginBatch(): GPUCommandEncoder {
    if (!this.encoder) {
      this.device.pushErrorScope('out-of-memory');
      this.device.pushErrorScope('validation');
      this.encoder = this.device.createCommandEncoder();
    }
    return this.encoder;
  }

  /** Largest storage binding, in bytes (the device's maxStorageBufferBindingSize unless lowered for tests). */
  get bindingLimit(): number {
    const limit = this.device.limits.maxStorageBufferBindingSize;
    return bindingLimitOverride === null ? limit : Math.min(limit, bindingLimitOverride);
  }

  /** Alignment of a binding's offset, in bytes (minStorageBufferOffsetAlignment). */
  get bindingAlignment(): number {
    return this.device.limits.minStorageBufferOffsetAlignment;
  }

  pipeline(kernel: Kernel): GPUComputePipeline {
    const defines = kernel.defines ?? {};
    const entry = kernel.entry ?? 'main';
    const key = `${kernel.shader}:${entry}${JSON.stringify(Object.entries(defines).sort())}`;
    let pipeline = this.pipelines.get(key);
    if (pipeline) return pipeline;
    const template = SHADERS[kernel.shader];
    if (template === undefined) throw new Error(`unknown shader '${kernel.shader}'`);
    const code = template.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
      const v = defines[name];
      if (v === undefined) throw new Error(`shader '${kernel.shader}' needs a value for {{${name}}}`);
      return String(v);
    });
    let module = this.modules.get(code);
    if (!module) {
      module = this.device.createShaderModule({ code, label: kernel.shader });
      this.modules.set(code, module);
    }
    pipeline = this.device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: entry }, label: key });
    this.pipelines.set(key, pipeline);
    return pipeline;
  }

  /**
   * Records one dispatch. `groups` may exceed the 65,535-per-dimension limit: it is folded into
   * (x, y) and kernels recover the linear workgroup index from `num_workgroups`. A whole buffer
   * larger than the binding limit is refused with an error naming the op (callers outside the
   * engine's ops bind whole buffers; ops bind windows of big ones, see ops/split.ts).
   */
  dispatch(op: string, kernel: Kernel, writeUniforms: (w: UniformWriter) => void, buffers: Binding[], groups: number, groupsY = 1, groupsZ = 1): void {
    throwPendingError();
    if (groups === 0 || groupsY === 0 || groupsZ === 0) return;
    const limit = this.bindingLimit;
    for (const b of buffers) {
      if (!('buffer' in b) && b.size > limit) {
        throw new Error(`${op}: a ${b.size}-byte buffer exceeds the ${limit}-byte storage binding limit (maxStorageBufferBindingSize); this kernel cannot split its work`);
      }
    }
    if (this.arenaUsed + UNIFORM_SLOT > ARENA_BYTES || this.dispatches >= MAX_DISPATCHES) this.flush();
    const pipeline = this.pipeline(kernel);
    const encoder = this.beginBatch();
    const offset = this.arenaUsed;
    const writer = new UniformWriter(this.arenaBytes, offset, UNIFORM_SLOT);
    writeUniforms(writer);
    this.arenaUsed += UNIFORM_SLOT;
    const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: this.arena, offset, size: UNIFORM_SLOT } }];
    buffers.forEach((b, i) => entries.push({ binding: i + 1, resource: 'buffer' in b ? b : { buffer: b } }));
    const bindGroup = this.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries, label: op });
    this.pass ??= encoder.beginComputePass({ label: 'engine' });
    this.pass.setPipeline(pipeline);
    this.pass.setBindGroup(0, bindGroup);
    let x = groups;
    let y = groupsY;
    if (x > WORKGROUPS_PER_DIM) {
      if (groupsY !== 1) throw new Error(`${op}: too many workgroups (${groups} × ${groupsY})`);
      y = Math.ceil(x / WORKGROUPS_PER_DIM);
      x = Math.ceil(x / y);
    }
    if (y > WORKGROUPS_PER_DIM || groupsZ > WORKGROUPS_PER_DIM) throw new Error(`${op}: too many workgroups (${groups} × ${groupsY} × ${groupsZ})`);
    this.pass.dispatchWorkgroups(x, y, groupsZ);
    this.dispatches++;
    this.recorded++;
    this.opsInBatch.push(op);
  }

  /** Records a buffer-to-buffer copy (ends the open compute pass). */
  copy(op: string, src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
    throwPendingError();
    const encoder = this.beginBatch();
    this.endPass();
    encoder.copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
    this.recorded++;
    this.opsInBatch.push(op);
  }

  private endPass(): void {
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
  }

  /** Uploads CPU data. Pending work is submitted first so the write lands after it in queue order. */
  write(buffer: GPUBuffer, data: ArrayBufferView, byteOffset = 0): void {
    throwPendingError();
    if (this.encoder) this.flush();
    this.device.queue.writeBuffer(buffer, byteOffset, data.buffer, data.byteOffset, data.byteLength);
  }

  flush(): void {
    if (!this.encoder) return;
    this.endPass();
    if (this.arenaUsed > 0) this.device.queue.writeBuffer(this.arena, 0, this.arenaBytes.buffer, 0, this.arenaUsed);
    this.device.queue.submit([this.encoder.finish()]);
    this.submits++;
    const ops = this.opsInBatch;
    const validation = this.device.popErrorScope();
    const oom = this.device.popErrorScope();
    this.scopes.push(
      Promise.all([validation, oom]).then(([v, o]) => {
        const e = v ?? o;
        if (e) reportGpuError(new Error(`WebGPU ${v ? 'validation' : 'out-of-memory'} error in a batch of ops [${summarize(ops)}]: ${e.message}`));
      }),
    );
    this.encoder = null;
    this.arenaUsed = 0;
    this.dispatches = 0;
    this.opsInBatch = [];
    this.pool.afterSubmit();
  }

  /** Copies `bytes` from a buffer to the CPU. */
  async read(src: GPUBuffer, srcOffset: number, bytes: number): Promise<ArrayBuffer> {
    const size = Math.max(4, Math.ceil(bytes / 4) * 4);
    const idx = this.staging.findIndex((b) => b.size >= size && b.size <= 4 * size);
    const staging = idx >= 0 ? this.staging.splice(idx, 1)[0] : this.device.createBuffer({ size, usage: 0x1 /* MAP_READ */ | 0x8 /* COPY_DST */, label: 'readback' });
    this.copy('read', src, srcOffset, staging, 0, size);
    this.flush();
    try {
      await gpuWait(staging.mapAsync(0x1 /* READ */, 0, size));
    } catch (err) {
      await this.settle();
      throw err;
    }
    const out = staging.getMappedRange(0, size).slice(0, bytes);
    staging.unmap();
    this.staging.push(staging);
    await this.settle();
    return out;
  }

  /** Waits for the error scopes of submitted batches and throws the first GPU error. */
  async settle(): Promise<void> {
    const scopes = this.scopes;
    this.scopes = [];
    await gpuWait(Promise.all(scopes));
    throwPendingError();
  }

  async sync(): Promise<void> {
    this.flush();
    await gpuWait(this.device.queue.onSubmittedWorkDone());
    await this.settle();
  }

  destroy(): void {
    this.pool.trim();
    for (const b of this.staging) b.destroy();
    this.arena.destroy();
  }
}

function summarize(ops: string[]): string {
  const counts = new Map<string, number>();
  for (const op of ops) counts.set(op, (counts.get(op) ?? 0) + 1);
  return [...counts].map(([op, n]) => (n > 1 ? `${op}×${n}` : op)).join(', ');
}

let current: Runtime | null = null;

/** The runtime for the current device (created on first use after init()). */
export function runtime(): Runtime {
  const device = gpuDevice();
  if (!current || current.device !== device) current = new Runtime(device);
  return current;
}

onShutdown(() => {
  current?.destroy();
  current = null;
});

/** Workgroups needed for `n` invocations at `size` per workgroup. */
export function groupsFor(n: number, size: number): number {
  return Math.ceil(n / size);
}
