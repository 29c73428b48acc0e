// torchvision's R(2+1)D (torchvision/models/video/resnet.py, 0.14) without its classifier: every
// 3×3×3 convolution factorised into a spatial (1,3,3) convolution to `midplanes` channels, BN, ReLU
// and a temporal (3,1,1) convolution, with midplanes = ⌊t·d²·Cin·Cout / (d²·Cin + t·Cout)⌋
// (t = 3, d = 3; torchvision computes it once per block from the block's input and output planes
// and uses it for both convolutions). The stem is R2Plus1dStem: (1,7,7) to 45 channels, BN, ReLU,
// (3,1,1) to 64, BN, ReLU. Keys are torchvision's: `stem.0.weight`, `stem.3.weight`,
// `layer1.0.conv1.0.0.weight` (spatial), `layer1.0.conv1.0.1.*` (its BN), `layer1.0.conv1.0.3.weight`
// (temporal), `layer1.0.conv1.1.*` (the block BN), `layer2.0.downsample.0.weight`, …
// layers [1,1,1,1] = R(2+1)D-10 (the CSTP reference, 12,487,005 parameters); [2,2,2,2] = torchvision's r2plus1d_18
// (31,300,125 parameters without fc).
import { nn, type Generator } from '../../engine/index.ts';
import { conv3d } from './common.ts';
import { VideoResNet, type ConvBuilder } from './r3d.ts';

/** torchvision's Conv2Plus1D: Sequential(spatial conv, BN, ReLU, temporal conv). */
export class Conv2Plus1D extends nn.Sequential {
  constructor(inPlanes: number, outPlanes: number, midPlanes: number, stride = 1, padding = 1, generator?: Generator) {
    super(
      conv3d(inPlanes, midPlanes, [1, 3, 3], { stride: [1, stride, stride], padding: [0, padding, padding], generator }),
      new nn.BatchNorm3d(midPlanes),
      new nn.ReLU(),
      conv3d(midPlanes, outPlanes, [3, 1, 1], { stride: [stride, 1, 1], padding: [padding, 0, 0], generator }),
    );
  }
}

export const conv2Plus1D: ConvBuilder = {
  create: (cin, cout, mid, stride, generator) => new Conv2Plus1D(cin, cout, mid, stride, 1, generator),
  downsampleStride: (s) => [s, s, s],
  lastConv: (c) => (c as Conv2Plus1D).at(3) as nn.Conv3d,
};

/** Channels of the stem's spatial convolution: 45 at width 64 (torchvision), scaled with the width. */
export function stemMidPlanes(width: number): number {
  return width === 64 ? 45 : Math.max(1, Math.round((45 * width) / 64));
}

/** torchvision's R2Plus1dStem (45 → 64 channels at the default width). */
export class R2Plus1dStem extends nn.Sequential {
  constructor(width = 64, generator?: Generator) {
    const mid = stemMidPlanes(width);
    super(
      conv3d(3, mid, [1, 7, 7], { stride: [1, 2, 2], padding: [0, 3, 3], generator }),
      new nn.BatchNorm3d(mid),
      new nn.ReLU(),
      conv3d(mid, width, [3, 1, 1], { stride: [1, 1, 1], padding: [1, 0, 0], generator }),
      new nn.BatchNorm3d(width),
      new nn.ReLU(),
    );
  }
}

export interface R2Plus1DOptions {
  /** Blocks per stage: [1,1,1,1] = R(2+1)D-10 (default), [2,2,2,2] = R(2+1)D-18. */
  layers?: readonly number[];
  /** Planes of the first stage (64); narrower nets are for tests and software adapters. */
  width?: number;
  generator?: Generator;
  skipInit?: boolean;
}

export function r2plus1d(opts: R2Plus1DOptions = {}): VideoResNet {
  const layers = opts.layers ?? [1, 1, 1, 1];
  return new VideoResNet('r2plus1d', conv2Plus1D, new R2Plus1dStem(opts.width ?? 64, opts.generator), { layers, width: opts.width, generator: opts.generator, skipInit: opts.skipInit });
}

