// Size-bucketed pool of GPU storage buffers.
//
// Reuse rule: a released buffer is parked until the command batch that last used it has been
// submitted, and only then becomes reusable. Every later use of the buffer — a dispatch, a copy,
// or queue.writeBuffer — is a queue operation ordered after that submitted work, so the GPU
// finishes the earlier work before the buffer's contents are replaced (ONNX Runtime's WebGPU
// buffer manager uses the same rule). Waiting for onSubmittedWorkDone instead would make a
// synchronous training step unable to reuse any memory until it awaits.

const STORAGE_USAGE = 0x80 /* STORAGE */ | 0x4 /* COPY_SRC */ | 0x8 /* COPY_DST */;
const MIN_BUCKET = 256;

/** Rounds a byte size to its bucket: powers of two up to 1 MiB, then 1/8-power-of-two steps. */
export function bucketSize(bytes: number): number {
  const b = Math.max(MIN_BUCKET, bytes);
  const pow = 2 ** Math.ceil(Math.log2(b));
  if (pow <= 1 << 20) return pow;
  const step = pow / 16;
  return Math.ceil(b / step) * step;
}

export interface PoolStats {
  liveBuffers: number;
  liveBytes: number;
  pooledBuffers: number;
  pooledBytes: number;
  /** High-water mark of liveBytes since creation or the last resetPeak(). */
  peakLiveBytes: number;
  /** High-water mark of all buffer bytes the pool holds (live, awaiting reuse and pooled). */
  peakAllocatedBytes: number;
}

export class BufferPool {
  private free = new Map<number, GPUBuffer[]>();
  private parked: GPUBuffer[] = [];
  private stats: PoolStats = { liveBuffers: 0, liveBytes: 0, pooledBuffers: 0, pooledBytes: 0, peakLiveBytes: 0, peakAllocatedBytes: 0 };
  /** Bytes of every buffer created by the pool and not yet destroyed. */
  private allocatedBytes = 0;

  constructor(private device: GPUDevice, private maxPooledBytes = 2 ** 30) {}

  acquire(bytes: number, label: string): GPUBuffer {
    const size = bucketSize(bytes);
    const list = this.free.get(size);
    let buffer = list?.pop();
    if (buffer) {
      this.stats.pooledBuffers--;
      this.stats.pooledBytes -= size;
    } else {
      buffer = this.device.createBuffer({ size, usage: STORAGE_USAGE, label });
      this.allocatedBytes += size;
      this.stats.peakAllocatedBytes = Math.max(this.stats.peakAllocatedBytes, this.allocatedBytes);
    }
    this.stats.liveBuffers++;
    this.stats.liveBytes += size;
    this.stats.peakLiveBytes = Math.max(this.stats.peakLiveBytes, this.stats.liveBytes);
    return buffer;
  }

  /** Parks a buffer until the current batch is submitted (see the reuse rule above). */
  release(buffer: GPUBuffer): void {
    this.stats.liveBuffers--;
    this.stats.liveBytes -= buffer.size;
    this.parked.push(buffer);
  }

  /** Called right after a batch is submitted: parked buffers become reusable. */
  afterSubmit(): void {
    for (const buffer of this.parked) {
      if (this.stats.pooledBytes + buffer.size > this.maxPooledBytes) {
        buffer.destroy(); // WebGPU defers the actual free until submitted work using it is done
        this.allocatedBytes -= buffer.size;
        continue;
      }
      let list = this.free.get(buffer.size);
      if (!list) this.free.set(buffer.size, (list = []));
      list.push(buffer);
      this.stats.pooledBuffers++;
      this.stats.pooledBytes += buffer.size;
    }
    this.parked = [];
  }

  /** Destroys every pooled (not live) buffer. */
  trim(): void {
    for (const list of this.free.values()) for (const b of list) b.destroy();
    this.allocatedBytes -= this.stats.pooledBytes;
    this.free.clear();
    this.stats.pooledBuffers = 0;
    this.stats.pooledBytes = 0;
  }

  /** Restarts both high-water marks from the current values. */
  resetPeak(): void {
    this.stats.peakLiveBytes = this.stats.liveBytes;
    this.stats.peakAllocatedBytes = this.allocatedBytes;
  }

  snapshot(): PoolStats {
    return { ...this.stats };
  }
}
