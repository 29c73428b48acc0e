// nn: modules, layers and initialisers (torch.nn in camelCase).
export { Module, type AnyModule, type StateDict, type LoadResult } from './module.ts';
export { Sequential, ModuleList, ModuleDict } from './containers.ts';
export { Linear, Identity, Flatten, type LinearOptions } from './layers/linear.ts';
export { Conv3d, type Conv3dOptions } from './layers/conv.ts';
export { BatchNorm1d, BatchNorm3d, type BatchNormOptions } from './layers/batchnorm.ts';
export { ReLU, Dropout, type DropoutOptions } from './layers/activation.ts';
export { MaxPool3d, AvgPool3d, AdaptiveAvgPool3d, type MaxPool3dOptions, type AvgPool3dOptions } from './layers/pool.ts';
export * as init from './init.ts';
