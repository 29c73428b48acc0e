// C3D with batch norm as used by VCOP (Xu et al., CVPR 2019, models/c3d.py) and CSTP: eight 3×3×3
// convolutions (with bias) each followed by BatchNorm3d and ReLU, max pools after conv1 (1,2,2) and
// after conv2, conv3b, conv4b (2,2,2), and pool5 = AdaptiveAvgPool3d(1) → 512 features (the fc
// layers of the original C3D are dropped). Parameter names are VCOP's: conv1, bn1, conv2, bn2,
// conv3a, bn3a, conv3b, bn3b, conv4a, bn4a, conv4b, bn4b, conv5a, bn5a, conv5b, bn5b
// (`conv1.weight`, `conv1.bias`, `bn1.running_mean`, …). 27,661,440 parameters at width 64.
import { F, nn, type Tensor, type Generator } from '../../engine/index.ts';
import type { Backbone } from '../types.ts';
import { checkClips, convBnParameters } from './common.ts';

export interface C3DOptions {
  /** Channels of conv1 (64); the later stages have 2×, 4×, 8×, 8× as many. */
  width?: number;
  generator?: Generator;
  /** Accepted for uniformity; C3D keeps PyTorch's default layer initialisation anyway (as VCOP). */
  skipInit?: boolean;
}

/** [name, output-channel multiple of width, max pool after it (kernel = stride) or null]. */
const LAYERS: Array<[string, number, [number, number, number] | null]> = [
  ['1', 1, [1, 2, 2]],
  ['2', 2, [2, 2, 2]],
  ['3a', 4, null],
  ['3b', 4, [2, 2, 2]],
  ['4a', 8, null],
  ['4b', 8, [2, 2, 2]],
  ['5a', 8, null],
  ['5b', 8, null],
];

export class C3D extends nn.Module implements Backbone {
  readonly featureDim: number;
  private readonly stages: Array<{ conv: nn.Conv3d; bn: nn.BatchNorm3d; pool: [number, number, number] | null }> = [];

  constructor(opts: C3DOptions = {}) {
    super();
    const width = opts.width ?? 64;
    if (!Number.isInteger(width) || width < 1) throw new Error(`c3d: width must be a positive integer, got ${width}`);
    let cin = 3;
    for (const [name, mult, pool] of LAYERS) {
      const cout = width * mult;
      const conv = this.registerModule(`conv${name}`, new nn.Conv3d(cin, cout, [3, 3, 3], { padding: 1, generator: opts.generator }));
      const bn = this.registerModule(`bn${name}`, new nn.BatchNorm3d(cout));
      this.registerModule(`relu${name}`, new nn.ReLU());
      if (pool) this.registerModule(`pool${name.slice(0, 1)}`, new nn.MaxPool3d(pool, { stride: pool }));
      this.stages.push({ conv, bn, pool });
      cin = cout;
    }
    this.registerModule('pool5', new nn.AdaptiveAvgPool3d(1));
    this.featureDim = cin;
  }

  override forward(x: Tensor): Tensor {
    checkClips('c3d', x);
    let h = x;
    const swap = (next: Tensor) => {
      if (h !== x) h.dispose();
      h = next;
    };
    for (const { conv, bn, pool } of this.stages) {
      swap(conv.call(h));
      swap(bn.call(h));
      swap(F.relu(h));
      if (pool) swap(F.maxPool3d(h, { kernelSize: pool, stride: pool }));
    }
    swap(F.adaptiveAvgPool3d(h, 1));
    const y = h.flatten(1);
    h.dispose();
    return y;
  }

  /** conv5b and bn5b. */
  lastSharedParameters(): Tensor[] {
    const last = this.stages[this.stages.length - 1];
    return convBnParameters(last.conv, last.bn);
  }
}
