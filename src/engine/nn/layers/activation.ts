// ReLU and Dropout.
import type { Tensor } from '../../tensor/tensor.ts';
import { relu } from '../../ops/elementwise.ts';
import { dropout } from '../../ops/random.ts';
import type { Generator } from '../../random/generator.ts';
import { Module } from '../module.ts';

export class ReLU extends Module {
  override forward(x: Tensor): Tensor {
    return relu(x);
  }
}

export interface DropoutOptions {
  generator?: Generator;
}

/**
 * Zeroes elements with probability p and scales the rest by 1/(1-p) in training mode; the
 * identity in eval mode.
 */
export class Dropout extends Module {
  private readonly generator?: Generator;

  constructor(readonly p = 0.5, opts: DropoutOptions = {}) {
    super();
    if (!(p >= 0 && p <= 1)) throw new Error(`Dropout: p must be in [0, 1], got ${p}`);
    this.generator = opts.generator;
  }

  override forward(x: Tensor): Tensor {
    return dropout(x, { p: this.p, training: this.training, generator: this.generator });
  }

  override extraRepr(): string {
    return `p=${this.p}`;
  }
}
