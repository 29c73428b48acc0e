// F: functional ops under torch.nn.functional's names, in camelCase.
export { softmax, logSoftmax, crossEntropy, normalize } from './ops/nn.ts';
export { linear, matmul } from './ops/matmul.ts';
export { dropout } from './ops/random.ts';
export { relu, gelu, sigmoid, tanh, where } from './ops/elementwise.ts';
export { cat, stack, pad } from './ops/shape.ts';
export { conv3d, conv2d } from './ops/conv.ts';
export { maxPool3d, avgPool3d, adaptiveAvgPool3d } from './ops/pool.ts';
export { batchNorm } from './ops/batchnorm.ts';
