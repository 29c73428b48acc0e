// Method forms of the ops on Tensor (x.add(y), x.sum(1), …), installed on the prototype so that
// tensor.ts does not import every op module.
import { Tensor } from './tensor.ts';
import type { DType } from './dtype.ts';
import * as ew from '../ops/elementwise.ts';
import * as red from '../ops/reduce.ts';
import * as sh from '../ops/shape.ts';
import { matmul } from '../ops/matmul.ts';
import { item } from '../ops/io.ts';
import { assign } from '../ops/assign.ts';
import { backward, type BackwardOptions } from '../autograd/backward.ts';
import type { TensorOrScalar } from '../ops/elementwise.ts';
import type { Dims, VarOptions } from '../ops/reduce.ts';
import type { Shape } from './shape.ts';

declare module './tensor.ts' {
  interface Tensor {
    add(o: TensorOrScalar): Tensor;
    sub(o: TensorOrScalar): Tensor;
    mul(o: TensorOrScalar): Tensor;
    div(o: TensorOrScalar): Tensor;
    maximum(o: TensorOrScalar): Tensor;
    minimum(o: TensorOrScalar): Tensor;
    eq(o: TensorOrScalar): Tensor;
    ne(o: TensorOrScalar): Tensor;
    lt(o: TensorOrScalar): Tensor;
    le(o: TensorOrScalar): Tensor;
    gt(o: TensorOrScalar): Tensor;
    ge(o: TensorOrScalar): Tensor;
    pow(e: TensorOrScalar): Tensor;
    neg(): Tensor;
    exp(): Tensor;
    log(): Tensor;
    sqrt(): Tensor;
    rsqrt(): Tensor;
    abs(): Tensor;
    relu(): Tensor;
    sigmoid(): Tensor;
    tanh(): Tensor;
    gelu(approximate?: 'none' | 'tanh'): Tensor;
    clamp(min?: number | null, max?: number | null): Tensor;
    float(): Tensor;
    int(): Tensor;
    to(dtype: DType): Tensor;
    sum(dims?: Dims, keepdim?: boolean): Tensor;
    mean(dims?: Dims, keepdim?: boolean): Tensor;
    max(dims?: Dims, keepdim?: boolean): Tensor;
    min(dims?: Dims, keepdim?: boolean): Tensor;
    argmax(dim?: number, keepdim?: boolean): Tensor;
    argmin(dim?: number, keepdim?: boolean): Tensor;
    var(dims?: Dims, opts?: VarOptions): Tensor;
    logsumexp(dims: Dims, keepdim?: boolean): Tensor;
    matmul(b: Tensor): Tensor;
    reshape(shape: Shape): Tensor;
    view(shape: Shape): Tensor;
    permute(dims: readonly number[]): Tensor;
    transpose(d0: number, d1: number): Tensor;
    contiguous(): Tensor;
    clone(): Tensor;
    squeeze(dim?: number | readonly number[]): Tensor;
    unsqueeze(dim: number): Tensor;
    flatten(start?: number, end?: number): Tensor;
    slice(dim: number, start?: number, end?: number, step?: number): Tensor;
    expand(shape: Shape): Tensor;
    flip(dims: number | readonly number[]): Tensor;
    rot90(k?: number, dims?: readonly [number, number] | number[]): Tensor;
    split(sizeOrSections: number | readonly number[], dim?: number): Tensor[];
    gather(dim: number, index: Tensor): Tensor;
    indexSelect(dim: number, index: Tensor): Tensor;
    /** A tensor sharing storage but cut from the graph (no gradient flows through it). */
    detach(): Tensor;
    /** Copies `src` into this tensor's memory (in place; under noGrad for tensors that require grad). */
    assign(src: Tensor): Tensor;
    backward(opts?: BackwardOptions): void;
    item(): Promise<number>;
  }
}

const methods: Partial<Record<keyof Tensor, (this: Tensor, ...args: never[]) => unknown>> = {
  add(o: TensorOrScalar) { return ew.add(this, o); },
  sub(o: TensorOrScalar) { return ew.sub(this, o); },
  mul(o: TensorOrScalar) { return ew.mul(this, o); },
  div(o: TensorOrScalar) { return ew.div(this, o); },
  maximum(o: TensorOrScalar) { return ew.maximum(this, o); },
  minimum(o: TensorOrScalar) { return ew.minimum(this, o); },
  eq(o: TensorOrScalar) { return ew.eq(this, o); },
  ne(o: TensorOrScalar) { return ew.ne(this, o); },
  lt(o: TensorOrScalar) { return ew.lt(this, o); },
  le(o: TensorOrScalar) { return ew.le(this, o); },
  gt(o: TensorOrScalar) { return ew.gt(this, o); },
  ge(o: TensorOrScalar) { return ew.ge(this, o); },
  pow(e: TensorOrScalar) { return ew.pow(this, e); },
  neg() { return ew.neg(this); },
  exp() { return ew.exp(this); },
  log() { return ew.log(this); },
  sqrt() { return ew.sqrt(this); },
  rsqrt() { return ew.rsqrt(this); },
  abs() { return ew.abs(this); },
  relu() { return ew.relu(this); },
  sigmoid() { return ew.sigmoid(this); },
  tanh() { return ew.tanh(this); },
  gelu(approximate?: 'none' | 'tanh') { return ew.gelu(this, approximate); },
  clamp(min?: number | null, max?: number | null) { return ew.clamp(this, min, max); },
  float() { return ew.cast(this, 'float32'); },
  int() { return ew.cast(this, 'int32'); },
  to(dtype: DType) { return ew.cast(this, dtype); },
  sum(dims?: Dims, keepdim?: boolean) { return red.sum(this, dims, keepdim); },
  mean(dims?: Dims, keepdim?: boolean) { return red.mean(this, dims, keepdim); },
  max(dims?: Dims, keepdim?: boolean) { return red.max(this, dims, keepdim); },
  min(dims?: Dims, keepdim?: boolean) { return red.min(this, dims, keepdim); },
  argmax(dim?: number, keepdim?: boolean) { return red.argmax(this, dim, keepdim); },
  argmin(dim?: number, keepdim?: boolean) { return red.argmin(this, dim, keepdim); },
  var(dims?: Dims, opts?: VarOptions) { return red.variance(this, dims, opts); },
  logsumexp(dims: Dims, keepdim?: boolean) { return red.logsumexp(this, dims, keepdim); },
  matmul(b: Tensor) { return matmul(this, b); },
  reshape(shape: Shape) { return sh.reshape(this, shape); },
  view(shape: Shape) { return sh.viewAs(this, shape); },
  permute(dims: readonly number[]) { return sh.permute(this, dims); },
  transpose(d0: number, d1: number) { return sh.transpose(this, d0, d1); },
  contiguous() { return sh.contiguous(this); },
  clone() { return sh.clone(this); },
  squeeze(dim?: number | readonly number[]) { return sh.squeeze(this, dim); },
  unsqueeze(dim: number) { return sh.unsqueeze(this, dim); },
  flatten(start?: number, end?: number) { return sh.flatten(this, start, end); },
  slice(dim: number, start?: number, end?: number, step?: number) { return sh.slice(this, dim, start, end, step); },
  expand(shape: Shape) { return sh.expand(this, shape); },
  flip(dims: number | readonly number[]) { return sh.flip(this, dims); },
  rot90(k?: number, dims?: readonly [number, number] | number[]) { return sh.rot90(this, k, dims); },
  split(s: number | readonly number[], dim?: number) { return sh.split(this, s, dim); },
  gather(dim: number, index: Tensor) { return sh.gather(this, dim, index); },
  indexSelect(dim: number, index: Tensor) { return sh.indexSelect(this, dim, index); },
  detach() { this.assertLive('detach'); return this.alias(); },
  assign(src: Tensor) { return assign(this, src); },
  backward(opts?: BackwardOptions) { backward(this, opts); },
  item() { return item(this); },
};

Object.assign(Tensor.prototype, methods);
