// F: functional ops under torch.nn.functional's names, in camelCase.
import { gelu as geluOp } from './ops/elementwise.ts';
import type { Tensor } from './tensor/tensor.ts';

export { softmax, logSoftmax, crossEntropy, normalize } from './ops/nn.ts';
export { linear, matmul } from './ops/matmul.ts';
export { dropout } from './ops/random.ts';
export { relu, sigmoid, tanh, where } from './ops/elementwise.ts';

/** GELU, exact (erf) or with the tanh approximation (torch.nn.functional.gelu). */
export function gelu(x: Tensor, opts: { approximate?: 'none' | 'tanh' } = {}): Tensor {
  return geluOp(x, opts.approximate ?? 'none');
}
export { cat, stack, pad } from './ops/shape.ts';
export { conv3d, conv2d } from './ops/conv.ts';
export { maxPool3d, avgPool3d, adaptiveAvgPool3d } from './ops/pool.ts';
export { batchNorm } from './ops/batchnorm.ts';
