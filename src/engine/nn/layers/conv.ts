// Conv3d (NCDHW) with PyTorch's parameter layout and default initialisation.
import type { Tensor } from '../../tensor/tensor.ts';
import { empty } from '../../ops/launch.ts';
import { conv3d, type Triple } from '../../ops/conv.ts';
import type { Generator } from '../../random/generator.ts';
import { Module } from '../module.ts';
import { defaultLayerInit_ } from '../init.ts';

export interface Conv3dOptions {
  stride?: Triple;
  padding?: Triple;
  dilation?: Triple;
  groups?: number;
  bias?: boolean;
  /** Generator for the default initialisation (the default generator otherwise). */
  generator?: Generator;
}

function triple(name: string, v: Triple): [number, number, number] {
  const t = typeof v === 'number' ? [v, v, v] : [...v];
  if (t.length !== 3 || t.some((x) => !Number.isInteger(x) || x < 0)) throw new Error(`Conv3d: ${name} must be a non-negative integer or a [d, h, w] triple, got ${JSON.stringify(v)}`);
  return t as [number, number, number];
}

/** weight [outChannels, inChannels / groups, kD, kH, kW], bias [outChannels]. */
export class Conv3d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  readonly kernelSize: [number, number, number];
  readonly stride: [number, number, number];
  readonly padding: [number, number, number];
  readonly dilation: [number, number, number];
  readonly groups: number;

  constructor(readonly inChannels: number, readonly outChannels: number, kernelSize: Triple, opts: Conv3dOptions = {}) {
    super();
    this.kernelSize = triple('kernelSize', kernelSize);
    this.stride = triple('stride', opts.stride ?? 1);
    this.padding = triple('padding', opts.padding ?? 0);
    this.dilation = triple('dilation', opts.dilation ?? 1);
    this.groups = opts.groups ?? 1;
    if (!Number.isInteger(this.groups) || this.groups < 1 || inChannels % this.groups || outChannels % this.groups) {
      throw new Error(`Conv3d: groups (${this.groups}) must be a positive integer dividing inChannels (${inChannels}) and outChannels (${outChannels})`);
    }
    this.weight = this.registerParameter('weight', empty('Conv3d.weight', [outChannels, inChannels / this.groups, ...this.kernelSize], 'float32'));
    this.bias = this.registerParameter('bias', opts.bias === false ? null : empty('Conv3d.bias', [outChannels], 'float32'));
    defaultLayerInit_(this.weight, this.bias, { generator: opts.generator });
  }

  override forward(x: Tensor): Tensor {
    return conv3d(x, this.weight, this.bias, { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups });
  }

  override extraRepr(): string {
    const t = (v: number[]) => `[${v.join(', ')}]`;
    return `${this.inChannels}, ${this.outChannels}, kernelSize=${t(this.kernelSize)}, stride=${t(this.stride)}, padding=${t(this.padding)}${this.groups > 1 ? `, groups=${this.groups}` : ''}${this.bias ? '' : ', bias=false'}`;
  }
}
