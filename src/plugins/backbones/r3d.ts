// torchvision's VideoResNet family (torchvision/models/video/resnet.py, 0.14) without its classifier:
// BasicBlock stages on a stem, then AdaptiveAvgPool3d(1) → [N, 8·width] features. The module tree
// and its state_dict keys are torchvision's (`stem.0.weight`, `layer1.0.conv1.0.weight`,
// `layer1.0.conv1.1.running_mean`, `layer2.0.downsample.0.weight`, …), so weights load from
// torchvision checkpoints through safetensors (drop the `fc.*` keys, or load with strict: false).
//
// This file holds the shared VideoResNet and R3D (Conv3DSimple: full 3×3×3 convolutions,
// BasicStem); r2plus1d.ts adds the (2+1)D convolution builder and stem.
// layers [2,2,2,2] = torchvision's r3d_18 (33,166,272 parameters without fc); [1,1,1,1] = R3D-10 (14,361,792).
import { F, nn, tidy, type Tensor, type Generator } from '../../engine/index.ts';
import type { Backbone } from '../types.ts';
import { checkClips, conv3d, convBnParameters, kaimingInitConvs } from './common.ts';

type Triple = [number, number, number];

/** How a stage builds its 3×3×3-equivalent convolution (torchvision's conv_builder). */
export interface ConvBuilder {
  /** The convolution (a Conv3d or a Sequential) mapping inPlanes → outPlanes with the given stride. */
  create(inPlanes: number, outPlanes: number, midPlanes: number, stride: number, generator?: Generator): nn.Module<[Tensor], Tensor>;
  /** Stride of the 1×1×1 downsample convolution for a block of stride `stride`. */
  downsampleStride(stride: number): Triple;
  /** The last Conv3d inside what create() returned. */
  lastConv(conv: nn.Module<[Tensor], Tensor>): nn.Conv3d;
}

/** torchvision's Conv3DSimple: a bias-free 3×3×3 convolution, padding 1. */
export const conv3DSimple: ConvBuilder = {
  create: (cin, cout, _mid, stride, generator) => conv3d(cin, cout, [3, 3, 3], { stride, padding: 1, generator }),
  downsampleStride: (s) => [s, s, s],
  lastConv: (c) => c as nn.Conv3d,
};

/**
 * torchvision's BasicBlock midplanes: ⌊t·d²·Cin·Cout / (d²·Cin + t·Cout)⌋ with t = 3, d = 3
 * (only used by the (2+1)D builder; the same value serves both convolutions of a block, computed
 * from the block's input and output planes, as torchvision does).
 */
export function midPlanes(inPlanes: number, planes: number): number {
  return Math.floor((inPlanes * planes * 3 * 3 * 3) / (inPlanes * 3 * 3 + 3 * planes));
}

/** torchvision's BasicBlock (expansion 1): conv1 (conv, BN, ReLU), conv2 (conv, BN), + shortcut, ReLU. */
export class BasicBlock extends nn.Module {
  readonly conv1: nn.Sequential;
  readonly conv2: nn.Sequential;
  readonly relu: nn.ReLU;
  readonly downsample: nn.Sequential | null;

  constructor(inPlanes: number, planes: number, readonly builder: ConvBuilder, readonly stride: number, downsample: nn.Sequential | null, generator?: Generator) {
    super();
    const mid = midPlanes(inPlanes, planes);
    this.conv1 = this.registerModule('conv1', new nn.Sequential(builder.create(inPlanes, planes, mid, stride, generator), new nn.BatchNorm3d(planes), new nn.ReLU()));
    this.conv2 = this.registerModule('conv2', new nn.Sequential(builder.create(planes, planes, mid, 1, generator), new nn.BatchNorm3d(planes)));
    this.relu = this.registerModule('relu', new nn.ReLU());
    this.downsample = this.registerModule('downsample', downsample);
  }

  override forward(x: Tensor): Tensor {
    const out = this.conv2.call(this.conv1.call(x));
    const residual = this.downsample ? this.downsample.call(x) : x;
    const sum = out.add(residual);
    out.dispose();
    if (residual !== x) residual.dispose();
    const y = F.relu(sum);
    sum.dispose();
    return y;
  }

  /** The block's last convolution and batch norm (conv2's). */
  lastConvBn(): [nn.Conv3d, nn.BatchNorm3d] {
    return [this.builder.lastConv(this.conv2.at(0)), this.conv2.at(1) as nn.BatchNorm3d];
  }
}

/** torchvision's BasicStem: Conv3d(3, width, (3,7,7), stride (1,2,2), padding (1,3,3)) + BN + ReLU. */
export class BasicStem extends nn.Sequential {
  constructor(width = 64, generator?: Generator) {
    super(conv3d(3, width, [3, 7, 7], { stride: [1, 2, 2], padding: [1, 3, 3], generator }), new nn.BatchNorm3d(width), new nn.ReLU());
  }
}

export interface VideoResNetOptions {
  /** Blocks per stage (4 stages). */
  layers: readonly number[];
  /** Planes of the first stage (64 in torchvision); stages have width·[1, 2, 4, 8]. */
  width?: number;
  generator?: Generator;
  /** Keep the layers' default initialisation (see BackboneContext.skipInit). */
  skipInit?: boolean;
}

/** torchvision's VideoResNet with BasicBlock, minus `fc`: clips [N, 3, T, H, W] → [N, 8·width]. */
export class VideoResNet extends nn.Module implements Backbone {
  readonly stem: nn.Sequential;
  readonly layer1: nn.Sequential;
  readonly layer2: nn.Sequential;
  readonly layer3: nn.Sequential;
  readonly layer4: nn.Sequential;
  readonly avgpool: nn.AdaptiveAvgPool3d;
  readonly featureDim: number;
  readonly layerSizes: number[];
  readonly width: number;
  private inPlanes: number;

  constructor(readonly name: string, builder: ConvBuilder, stem: nn.Sequential, opts: VideoResNetOptions) {
    super();
    const width = opts.width ?? 64;
    if (opts.layers.length !== 4 || opts.layers.some((n) => !Number.isInteger(n) || n < 1)) {
      throw new Error(`${name}: layers must be 4 positive integers, got ${JSON.stringify(opts.layers)}`);
    }
    if (!Number.isInteger(width) || width < 1) throw new Error(`${name}: width must be a positive integer, got ${width}`);
    this.layerSizes = [...opts.layers];
    this.width = width;
    this.inPlanes = width;
    this.stem = this.registerModule('stem', stem);
    const g = opts.generator;
    this.layer1 = this.registerModule('layer1', this.makeLayer(builder, width, opts.layers[0], 1, g));
    this.layer2 = this.registerModule('layer2', this.makeLayer(builder, width * 2, opts.layers[1], 2, g));
    this.layer3 = this.registerModule('layer3', this.makeLayer(builder, width * 4, opts.layers[2], 2, g));
    this.layer4 = this.registerModule('layer4', this.makeLayer(builder, width * 8, opts.layers[3], 2, g));
    this.avgpool = this.registerModule('avgpool', new nn.AdaptiveAvgPool3d([1, 1, 1]));
    this.featureDim = width * 8;
    if (!opts.skipInit) kaimingInitConvs(this, g);
  }

  private makeLayer(builder: ConvBuilder, planes: number, blocks: number, stride: number, generator?: Generator): nn.Sequential {
    let downsample: nn.Sequential | null = null;
    if (stride !== 1 || this.inPlanes !== planes) {
      downsample = new nn.Sequential(
        conv3d(this.inPlanes, planes, [1, 1, 1], { stride: builder.downsampleStride(stride), generator }),
        new nn.BatchNorm3d(planes),
      );
    }
    const layer = new nn.Sequential(new BasicBlock(this.inPlanes, planes, builder, stride, downsample, generator));
    this.inPlanes = planes;
    for (let i = 1; i < blocks; i++) layer.append(new BasicBlock(planes, planes, builder, 1, null, generator));
    return layer;
  }

  override forward(x: Tensor): Tensor {
    checkClips(this.name, x);
    // tidy frees every intermediate (the backward graph keeps what it needs), also outside a caller's tidy.
    return tidy(() => {
      let h = this.stem.call(x);
      for (const layer of [this.layer1, this.layer2, this.layer3, this.layer4]) {
        for (const block of layer) {
          const next = block.call(h);
          h.dispose();
          h = next;
        }
      }
      return this.avgpool.call(h).flatten(1);
    });
  }

  /** The last block's conv2 convolution and batch norm. */
  lastSharedParameters(): Tensor[] {
    const last = this.layer4.at(-1) as BasicBlock;
    return convBnParameters(...last.lastConvBn());
  }
}

export interface R3DOptions {
  /** Blocks per stage: [1,1,1,1] = R3D-10 (default, as VCOP/CSTP), [2,2,2,2] = R3D-18. */
  layers?: readonly number[];
  width?: number;
  generator?: Generator;
  skipInit?: boolean;
}

/** R3D: VideoResNet with full 3D convolutions (torchvision's r3d_18 for layers [2,2,2,2]). */
export function r3d(opts: R3DOptions = {}): VideoResNet {
  const layers = opts.layers ?? [1, 1, 1, 1];
  return new VideoResNet('r3d', conv3DSimple, new BasicStem(opts.width ?? 64, opts.generator), { layers, width: opts.width, generator: opts.generator, skipInit: opts.skipInit });
}
