// Linear, Identity and Flatten.
import type { Tensor } from '../../tensor/tensor.ts';
import { empty } from '../../ops/launch.ts';
import { linear } from '../../ops/matmul.ts';
import { flatten } from '../../ops/shape.ts';
import type { Generator } from '../../random/generator.ts';
import { Module } from '../module.ts';
import { defaultLayerInit_ } from '../init.ts';

export interface LinearOptions {
  bias?: boolean;
  /** Generator for the default initialisation (the default generator otherwise). */
  generator?: Generator;
}

/** y = x Wᵀ + b with weight [out, in] and bias [out]; PyTorch's default initialisation. */
export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(readonly inFeatures: number, readonly outFeatures: number, opts: LinearOptions = {}) {
    super();
    for (const [k, v] of [['inFeatures', inFeatures], ['outFeatures', outFeatures]] as const) {
      if (!Number.isInteger(v) || v < 0) throw new Error(`Linear: ${k} must be a non-negative integer, got ${v}`);
    }
    this.weight = this.registerParameter('weight', empty('Linear.weight', [outFeatures, inFeatures], 'float32'));
    this.bias = this.registerParameter('bias', opts.bias === false ? null : empty('Linear.bias', [outFeatures], 'float32'));
    defaultLayerInit_(this.weight, this.bias, { generator: opts.generator });
  }

  override forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }

  override extraRepr(): string {
    return `inFeatures=${this.inFeatures}, outFeatures=${this.outFeatures}, bias=${this.bias !== null}`;
  }
}

/** Returns its input (a placeholder, e.g. for a removed head). */
export class Identity extends Module {
  override forward(x: Tensor): Tensor {
    return x;
  }
}

/** Flattens dims startDim..endDim into one (default: all but the batch dim). */
export class Flatten extends Module {
  constructor(readonly startDim = 1, readonly endDim = -1) {
    super();
  }

  override forward(x: Tensor): Tensor {
    return flatten(x, this.startDim, this.endDim);
  }

  override extraRepr(): string {
    return `startDim=${this.startDim}, endDim=${this.endDim}`;
  }
}
