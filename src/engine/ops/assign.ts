// In-place update: copies values into an existing tensor's memory (optimizer steps, running
// statistics). Not differentiable, so a tensor that requires grad may only be assigned under noGrad.
import type { Tensor } from '../tensor/tensor.ts';
import { isGradEnabled } from '../autograd/mode.ts';
import { fmt } from '../tensor/shape.ts';
import { copyInto } from './launch.ts';

export function assign(dst: Tensor, src: Tensor): Tensor {
  dst.assertLive('assign');
  src.assertLive('assign');
  if (dst.shape.length !== src.shape.length || dst.shape.some((d, i) => d !== src.shape[i])) {
    throw new Error(`assign: source ${fmt(src.shape)} does not match destination ${fmt(dst.shape)}`);
  }
  if (dst.dtype !== src.dtype) throw new Error(`assign: source dtype ${src.dtype} differs from destination dtype ${dst.dtype}`);
  if (isGradEnabled() && (dst.requiresGrad || dst.gradFn)) {
    throw new Error('assign: in-place update of a tensor that requires grad; wrap the update in noGrad(() => ...)');
  }
  copyInto('assign', src, dst);
  return dst;
}
