// Types shared by the op-correctness cases and runners. No Node built-ins (bundled for the browser).
import type { RefTensor } from '../reference/tensor.ts';

export type Dims = number | number[] | undefined;
export type Operand = TensorLike | number;

/**
 * The slice of the engine's Tensor API the cases use (structural, so the browser bundle can pass its
 * own engine build). Mirrors docs/engine-api.md.
 */
export interface TensorLike {
  readonly shape: readonly number[];
  readonly dtype: string;
  readonly size: number;
  requiresGrad: boolean;
  readonly grad: TensorLike | null;
  data(): Promise<ArrayLike<number>>;
  backward(): void;
  dispose(): void;
  detach(): TensorLike;
  isContiguous(): boolean;

  add(o: Operand): TensorLike;
  sub(o: Operand): TensorLike;
  mul(o: Operand): TensorLike;
  div(o: Operand): TensorLike;
  pow(o: Operand): TensorLike;
  neg(): TensorLike;
  exp(): TensorLike;
  log(): TensorLike;
  sqrt(): TensorLike;
  rsqrt(): TensorLike;
  abs(): TensorLike;
  clamp(min?: number, max?: number): TensorLike;
  relu(): TensorLike;
  sigmoid(): TensorLike;
  tanh(): TensorLike;
  gelu(approximate?: 'none' | 'tanh'): TensorLike;
  eq(o: Operand): TensorLike;
  ne(o: Operand): TensorLike;
  lt(o: Operand): TensorLike;
  le(o: Operand): TensorLike;
  gt(o: Operand): TensorLike;
  ge(o: Operand): TensorLike;
  maximum(o: Operand): TensorLike;
  minimum(o: Operand): TensorLike;

  sum(dims?: Dims, keepdim?: boolean): TensorLike;
  mean(dims?: Dims, keepdim?: boolean): TensorLike;
  max(dims?: Dims, keepdim?: boolean): TensorLike;
  min(dims?: Dims, keepdim?: boolean): TensorLike;
  argmax(dim: number, keepdim?: boolean): TensorLike;
  var(dims?: Dims, opts?: { correction?: number; keepdim?: boolean }): TensorLike;
  logsumexp(dims: Dims, keepdim?: boolean): TensorLike;
  matmul(b: TensorLike): TensorLike;

  reshape(shape: number[]): TensorLike;
  view(shape: number[]): TensorLike;
  permute(dims: number[]): TensorLike;
  transpose(d0: number, d1: number): TensorLike;
  contiguous(): TensorLike;
  squeeze(dim?: number): TensorLike;
  unsqueeze(dim: number): TensorLike;
  slice(dim: number, start?: number, end?: number, step?: number): TensorLike;
  expand(shape: number[]): TensorLike;
  flip(dims: number | number[]): TensorLike;
  rot90(k?: number, dims?: number[]): TensorLike;
  split(sizeOrSections: number | number[], dim?: number): TensorLike[];
  gather(dim: number, index: TensorLike): TensorLike;
  indexSelect(dim: number, index: TensorLike): TensorLike;
  flatten(start?: number, end?: number): TensorLike;
}

export type CreateOpts = { dtype?: 'float32' | 'int32' | 'bool'; requiresGrad?: boolean };

export interface FunctionalLike {
  softmax(x: TensorLike, dim: number): TensorLike;
  logSoftmax(x: TensorLike, dim: number): TensorLike;
  crossEntropy(logits: TensorLike, target: TensorLike, opts?: { labelSmoothing?: number }): TensorLike;
  linear(x: TensorLike, w: TensorLike, b?: TensorLike | null): TensorLike;
  normalize(x: TensorLike, opts?: { p?: number; dim?: number; eps?: number }): TensorLike;
  relu(x: TensorLike): TensorLike;
  gelu(x: TensorLike, opts?: { approximate?: 'none' | 'tanh' }): TensorLike;
  sigmoid(x: TensorLike): TensorLike;
  tanh(x: TensorLike): TensorLike;
  where(cond: TensorLike, a: Operand, b: Operand): TensorLike;
  cat(ts: TensorLike[], dim?: number): TensorLike;
  stack(ts: TensorLike[], dim?: number): TensorLike;
  pad(x: TensorLike, pad: number[], value?: number): TensorLike;
  matmul(a: TensorLike, b: TensorLike): TensorLike;
}

export interface EngineLike {
  init(opts?: unknown): Promise<unknown>;
  shutdown(): Promise<void>;
  sync(): Promise<void>;
  tensor(values: unknown, shape?: number[], opts?: CreateOpts): TensorLike;
  zeros(shape: number[], opts?: CreateOpts): TensorLike;
  ones(shape: number[], opts?: CreateOpts): TensorLike;
  full(shape: number[], value: number, opts?: CreateOpts): TensorLike;
  arange(start: number, end?: number, step?: number, opts?: CreateOpts): TensorLike;
  tidy<T>(fn: () => T): T;
  memory(): { liveTensors: number; liveBuffers: number; liveBytes: number; pooledBuffers: number; pooledBytes: number };
  F: FunctionalLike;
}

export type ViewOp =
  | { kind: 'transpose'; d0: number; d1: number }
  | { kind: 'permute'; dims: number[] }
  | { kind: 'slice'; dim: number; start: number; end: number; step: number }
  | { kind: 'expand'; shape: number[] };

export interface InputSpec {
  /** Shape of the leaf tensor that is created (before `view`). Gradients are w.r.t. this leaf. */
  shape: number[];
  dtype: 'float32' | 'int32';
  /**
   * 'randn' | 'uniform(lo,hi)' | 'positive' (U[0.25,2.5)) | 'nonzero' (+-U[0.5,2)) | 'int(lo,hi)'
   * (integers in [lo, hi)) | 'wave(k[,scale[,offset[,ramp]]])' = fround(offset + scale*sin(i*0.0123 + k) + ramp*i).
   */
  gen: string;
  /** Transforms applied to the leaf (in order) to get the possibly non-contiguous operand. */
  view?: ViewOp[];
  grad: boolean;
}

export interface Tol {
  rtol: number;
  /** Absolute tolerance; multiplied by max(1, max |expected|) of the compared tensor when scale = 'max'. */
  atol: number;
  /**
   * 'max' (default): atol is relative to the largest expected magnitude (reductions, matmul,
   * softmax: errors scale with the terms summed, not with the element). 'one': plain atol
   * (elementwise and data-movement ops, whose errors scale with the element itself).
   */
  scale?: 'max' | 'one';
}

export interface OpCase {
  id: string;
  /** Family, used to group uvu tests ('creation', 'unary', 'binary', ...). */
  family: string;
  /** Op name under test. */
  op: string;
  inputs: InputSpec[];
  /** Calls the engine on the (viewed) inputs. */
  run: (E: EngineLike, ...xs: TensorLike[]) => TensorLike;
  /** Python expression over a, b, c, ... (viewed inputs; int inputs are torch.long), torch, F, dt. */
  torch: string;
  /** float64 reference on the (viewed) inputs. */
  ref: (...xs: RefTensor[]) => RefTensor;
  tol: Tol;
  gradTol: Tol;
  /** When set, the engine output dtype must equal this. */
  outDtype?: 'float32' | 'int32' | 'bool';
  /** Large case: fixtures keep a sample + statistics; gradcheck checks fewer elements. */
  big: boolean;
  /** Elements per input checked by finite differences (default: run.ts FD_SAMPLES / FD_SAMPLES_BIG). */
  fdSamples?: number;
}

export interface CaseResult {
  id: string;
  family: string;
  op: string;
  ok: boolean;
  /** True when the engine lacks an API the case needs (not counted as a failure by the runners). */
  skipped?: boolean;
  message: string;
  ms?: number;
}
