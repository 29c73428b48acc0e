// MaxPool3d, AvgPool3d and AdaptiveAvgPool3d (NCDHW).
import type { Tensor } from '../../tensor/tensor.ts';
import * as F from '../../functional.ts';
import { Module } from '../module.ts';

type Triple = number | readonly [number, number, number];

export interface MaxPool3dOptions {
  /** Default: kernelSize. */
  stride?: Triple;
  padding?: Triple;
  ceilMode?: boolean;
}

export class MaxPool3d extends Module {
  constructor(readonly kernelSize: Triple, readonly opts: MaxPool3dOptions = {}) {
    super();
  }

  override forward(x: Tensor): Tensor {
    return F.maxPool3d(x, { kernelSize: this.kernelSize, ...this.opts });
  }

  override extraRepr(): string {
    return `kernelSize=${JSON.stringify(this.kernelSize)}, ${JSON.stringify(this.opts)}`;
  }
}

export interface AvgPool3dOptions extends MaxPool3dOptions {
  /** Count padded zeros in the divisor (default true, as PyTorch). */
  countIncludePad?: boolean;
}

export class AvgPool3d extends Module {
  constructor(readonly kernelSize: Triple, readonly opts: AvgPool3dOptions = {}) {
    super();
  }

  override forward(x: Tensor): Tensor {
    return F.avgPool3d(x, { kernelSize: this.kernelSize, ...this.opts });
  }

  override extraRepr(): string {
    return `kernelSize=${JSON.stringify(this.kernelSize)}, ${JSON.stringify(this.opts)}`;
  }
}

/** Averages each channel over an output grid of `outputSize` ([d, h, w] or one number for all). */
export class AdaptiveAvgPool3d extends Module {
  constructor(readonly outputSize: Triple) {
    super();
  }

  override forward(x: Tensor): Tensor {
    return F.adaptiveAvgPool3d(x, this.outputSize);
  }

  override extraRepr(): string {
    return `outputSize=${JSON.stringify(this.outputSize)}`;
  }
}
