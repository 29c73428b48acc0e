// optim: optimizers, learning-rate schedules and gradient utilities (torch.optim in camelCase).
export { Optimizer, splitWeightDecay, type GroupOptions, type ParamGroup, type ParamGroupSpec, type ParamsArg, type ParamState, type OptimizerStateDict } from './optimizer.ts';
export { SGD, type SGDOptions } from './sgd.ts';
export { Adam, AdamW, type AdamOptions } from './adam.ts';
export { LRScheduler, LambdaLR, StepLR, MultiStepLR, ConstantLR, CosineAnnealingLR, WarmupCosineLR, type SchedulerStateDict, type WarmupCosineOptions } from './schedules.ts';
export { clipGradNorm, findNonFiniteGrad, type ClipOptions } from './clip.ts';
