// Tensor: a typed, strided view over a reference-counted GPU storage, with autograd metadata.
import { Storage } from './storage.ts';
import { currentScope, keep, setTensorCheck, type Scope } from './scope.ts';
import { contiguousStrides, fmt, numel, type Shape } from './shape.ts';
import { BYTES_PER_ELEMENT, type DataArray, type DType } from './dtype.ts';
import type { GradNode } from '../autograd/graph.ts';

let liveTensors = 0;
let nextId = 1;

export function liveTensorCount(): number {
  return liveTensors;
}

export class Tensor {
  readonly id = nextId++;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  /** Offset of the first element in the storage, in elements. */
  readonly offset: number;
  readonly dtype: DType;
  storage: Storage;
  gradFn: GradNode | null = null;
  grad: Tensor | null = null;
  scope: Scope | null;
  private _requiresGrad = false;
  private _disposed = false;

  /** Internal: use the creation functions (tensor, zeros, …) instead. */
  constructor(storage: Storage, shape: Shape, dtype: DType, strides?: readonly number[], offset = 0, tracked = true) {
    this.storage = storage;
    this.shape = Object.freeze([...shape]);
    this.strides = Object.freeze(strides ? [...strides] : contiguousStrides(shape));
    this.offset = offset;
    this.dtype = dtype;
    liveTensors++;
    this.scope = tracked ? currentScope() : null;
    this.scope?.tensors.add(this);
  }

  get size(): number {
    return numel(this.shape);
  }

  get rank(): number {
    return this.shape.length;
  }

  get disposed(): boolean {
    return this._disposed;
  }

  get requiresGrad(): boolean {
    return this._requiresGrad;
  }

  set requiresGrad(v: boolean) {
    if (v && this.dtype !== 'float32') throw new Error(`requiresGrad: only float32 tensors can require gradients (this one is ${this.dtype})`);
    if (!v && this.gradFn) throw new Error('requiresGrad: cannot turn off gradients of a non-leaf tensor; use detach()');
    this._requiresGrad = v;
  }

  /** True for tensors created by the user (not by a differentiable op). */
  get isLeaf(): boolean {
    return this.gradFn === null;
  }

  isContiguous(): boolean {
    let expected = 1;
    for (let i = this.shape.length - 1; i >= 0; i--) {
      if (this.shape[i] !== 1 && this.strides[i] !== expected) return false;
      expected *= this.shape[i];
    }
    return true;
  }

  /** Throws if the tensor was disposed; `op` names the caller in the message. */
  assertLive(op: string): void {
    if (this._disposed) throw new Error(`${op}: tensor #${this.id} ${fmt(this.shape)} was used after dispose()`);
  }

  /** A new tensor object over the same storage (shares memory, holds its own reference). */
  alias(shape: Shape = this.shape, strides: readonly number[] = this.strides, offset = this.offset, tracked = true): Tensor {
    this.storage.retain();
    return new Tensor(this.storage, shape, this.dtype, strides, offset, tracked);
  }

  /** Releases this tensor's GPU memory (when no view or saved graph still uses it). Idempotent. */
  dispose(): void {
    if (this._disposed) return;
    this._disposed = true;
    liveTensors--;
    this.scope?.tensors.delete(this);
    this.scope = null;
    this.storage.release();
    this.gradFn?.decref();
    if (this.grad) {
      this.grad.dispose();
      this.grad = null;
    }
  }

  /** Sets .grad (replacing and disposing the previous one); the gradient outlives tidy() scopes. */
  setGrad(g: Tensor | null): void {
    if (this.grad && this.grad !== g) this.grad.dispose();
    this.grad = g ? keep(g) : null;
  }

  /** Reads the tensor to the CPU. */
  async data(): Promise<DataArray> {
    this.assertLive('data');
    return readData(this);
  }

  toString(): string {
    return `Tensor(#${this.id}, ${fmt(this.shape)}, ${this.dtype}${this.requiresGrad ? ', requiresGrad' : ''})`;
  }

  /** Internal: marks a tensor produced by a differentiable op. */
  setRequiresGradInternal(v: boolean): void {
    this._requiresGrad = v;
  }
}

// Installed by ops/io.ts (avoids an import cycle between Tensor and the copy kernels).
let readData: (t: Tensor) => Promise<DataArray> = () => Promise.reject(new Error('engine not loaded'));
export function setDataReader(fn: (t: Tensor) => Promise<DataArray>): void {
  readData = fn;
}

setTensorCheck((v: unknown): v is Tensor => v instanceof Tensor);

export { BYTES_PER_ELEMENT };
