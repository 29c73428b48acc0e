// Shared pieces of the backbones: the build context, PyTorch-style initialisation helpers and the
// convolution + batch-norm building blocks (registered under PyTorch's state_dict names).
import { nn, type Tensor, type Generator } from '../../engine/index.ts';

/** What a backbone factory receives besides its options. */
export interface BackboneContext {
  /** Generator for the weight initialisation (the engine's default generator otherwise). */
  generator?: Generator;
  /**
   * Skip the backbone's own initialisation (torchvision's kaiming_normal_ fan_out pass) and keep
   * each layer's default (PyTorch's reset_parameters) one: for models whose weights are loaded right
   * after, where a second initialisation pass is wasted work (seconds on a software adapter).
   */
  skipInit?: boolean;
}

/** A Conv3d without bias, as every convolution followed by batch norm in the ResNets. */
export function conv3d(
  cin: number,
  cout: number,
  kernel: [number, number, number],
  opts: { stride?: [number, number, number] | number; padding?: [number, number, number] | number; bias?: boolean; generator?: Generator } = {},
): nn.Conv3d {
  return new nn.Conv3d(cin, cout, kernel, { stride: opts.stride ?? 1, padding: opts.padding ?? 0, bias: opts.bias ?? false, generator: opts.generator });
}

/**
 * torchvision's VideoResNet initialisation: every Conv3d kaiming_normal_(fan_out, relu) with a zero
 * bias, every BatchNorm weight 1 and bias 0 (the BN default already).
 */
export function kaimingInitConvs(model: nn.Module<[Tensor], Tensor>, generator?: Generator): void {
  for (const m of model.modules()) {
    if (m instanceof nn.Conv3d) {
      nn.init.kaimingNormal_(m.weight, { mode: 'fan_out', nonlinearity: 'relu', generator });
      if (m.bias) nn.init.zeros_(m.bias);
    }
  }
}

/** Number of trainable parameter elements (PyTorch's sum(p.numel() for p in model.parameters())). */
export function countParameters(model: nn.Module<any[], any>): number {
  let n = 0;
  for (const p of model.parameters()) n += p.size;
  return n;
}

/** Parameters of a conv and the batch norm after it (lastSharedParameters helpers). */
export function convBnParameters(conv: nn.Conv3d, bn: nn.BatchNorm3d): Tensor[] {
  return [conv.weight, conv.bias, bn.weight, bn.bias].filter((t): t is Tensor => t !== null);
}

export function checkClips(name: string, x: Tensor): void {
  if (x.rank !== 5 || x.shape[1] !== 3) {
    throw new Error(`${name}: expected clips [N, 3, T, H, W], got [${x.shape.join(', ')}]`);
  }
}
