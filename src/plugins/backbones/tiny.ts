// A tiny 3D CNN sized for software adapters (lavapipe on a couple of cores): a stem that strides 4 in
// space (most of a small net's time goes to the full-resolution layers) and three factorised (2+1)D stages, channels width·[1, 2, 4, 8] (16-32-64-128 by default), each conv
// followed by BatchNorm3d and ReLU, then AdaptiveAvgPool3d(1) → [N, 8·width].
//
//   stem    Conv3d(3, w, (3,5,5), stride (1,4,4), pad (1,2,2)), BN, ReLU            (sequential 0-2)
//   layerK  Conv3d(c, 2c, (1,3,3), stride (1,2,2), pad (0,1,1)), BN, ReLU,
//           Conv3d(2c, 2c, (3,1,1), stride (2,1,1), pad (1,0,0)), BN, ReLU           (K = 1, 2, 3)
//
// With `residual` > 0 the stem also sees residual frames, residual·(x[t+1] − x[t]) (the last one
// repeated), as 3 more input channels: motion is then visible to the first layer, which lets a net
// this small learn playback rate within a few hundred steps (without them it stays at chance
// there); see Tao et al., "Rethinking Motion Representation: Residual Frames with 3D ConvNets".
//
// Convolutions have no bias (BN follows). Keys: `stem.0.weight`, `stem.1.running_mean`,
// `layer1.0.weight`, `layer1.1.*`, `layer1.3.weight`, `layer1.4.*`, … 169,408 parameters at width 16 (165,808 with residual 0).
// Resolution: ⌈T/8⌉ × ⌈H/32⌉ × ⌈W/32⌉ before pooling (16×64×64 → 2×2×2, 8×112×112 → 1×4×4).
import { nn, F, tidy, type Tensor, type Generator } from '../../engine/index.ts';
import type { Backbone } from '../types.ts';
import { checkClips, conv3d, convBnParameters, kaimingInitConvs } from './common.ts';

export interface TinyOptions {
  /** Channels of the stem; stages have 2×, 4×, 8× as many (featureDim = 8·width). */
  width?: number;
  /** Scale of the residual-frame input channels; 0 (the default here) feeds RGB only. */
  residual?: number;
  generator?: Generator;
  /** Keep the layers' default initialisation (see BackboneContext.skipInit). */
  skipInit?: boolean;
}

function stage(cin: number, cout: number, generator?: Generator): nn.Sequential {
  return new nn.Sequential(
    conv3d(cin, cout, [1, 3, 3], { stride: [1, 2, 2], padding: [0, 1, 1], generator }),
    new nn.BatchNorm3d(cout),
    new nn.ReLU(),
    conv3d(cout, cout, [3, 1, 1], { stride: [2, 1, 1], padding: [1, 0, 0], generator }),
    new nn.BatchNorm3d(cout),
    new nn.ReLU(),
  );
}

export class TinyNet extends nn.Module implements Backbone {
  readonly stem: nn.Sequential;
  readonly layer1: nn.Sequential;
  readonly layer2: nn.Sequential;
  readonly layer3: nn.Sequential;
  readonly avgpool: nn.AdaptiveAvgPool3d;
  readonly featureDim: number;
  readonly residual: number;

  constructor(opts: TinyOptions = {}) {
    super();
    const w = opts.width ?? 16;
    if (!Number.isInteger(w) || w < 1) throw new Error(`tiny: width must be a positive integer, got ${w}`);
    const g = opts.generator;
    this.residual = opts.residual ?? 0;
    if (!(this.residual >= 0)) throw new Error(`tiny: residual must be ≥ 0, got ${opts.residual}`);
    this.stem = this.registerModule('stem', new nn.Sequential(
      conv3d(this.residual > 0 ? 6 : 3, w, [3, 5, 5], { stride: [1, 4, 4], padding: [1, 2, 2], generator: g }),
      new nn.BatchNorm3d(w),
      new nn.ReLU(),
    ));
    this.layer1 = this.registerModule('layer1', stage(w, 2 * w, g));
    this.layer2 = this.registerModule('layer2', stage(2 * w, 4 * w, g));
    this.layer3 = this.registerModule('layer3', stage(4 * w, 8 * w, g));
    this.avgpool = this.registerModule('avgpool', new nn.AdaptiveAvgPool3d([1, 1, 1]));
    this.featureDim = 8 * w;
    if (!opts.skipInit) kaimingInitConvs(this, g);
  }

  override forward(x: Tensor): Tensor {
    checkClips('tiny', x);
    const input = this.residual > 0 ? withResidualFrames(x, this.residual) : x;
    let h = input;
    for (const seq of [this.stem, this.layer1, this.layer2, this.layer3]) {
      for (const m of seq) {
        const next = m.call(h);
        if (h !== x) h.dispose();
        h = next;
      }
    }
    const pooled = this.avgpool.call(h);
    h.dispose();
    const y = pooled.flatten(1);
    pooled.dispose();
    return y;
  }

  /** layer3's temporal convolution and the batch norm after it. */
  lastSharedParameters(): Tensor[] {
    return convBnParameters(this.layer3.at(3) as nn.Conv3d, this.layer3.at(4) as nn.BatchNorm3d);
  }
}

/** [N, 3, T, H, W] → [N, 6, T, H, W]: the clip and scale·(x[t+1] − x[t]), the last difference repeated. */
function withResidualFrames(x: Tensor, scale: number): Tensor {
  const T = x.shape[2];
  if (T < 2) throw new Error(`tiny: residual frames need clips of at least 2 frames, got T=${T}`);
  return tidy(() => {
    const d = x.slice(2, 1, T).sub(x.slice(2, 0, T - 1)).mul(scale);
    return F.cat([x, F.cat([d, d.slice(2, T - 2, T - 1)], 2)], 1);
  });
}
