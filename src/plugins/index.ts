// The plugin framework: interfaces, registries, the training config and the platform-neutral trainer.
export * from './types.ts';
export { Registry, type PluginSpec, type PluginConfig } from './registry.ts';
export {
  defineConfig, parseConfig, checkPlugins, parseCliArgs, applyOverrides, defaultConfig, configSchema, ConfigError, CLI_OPTIONS,
  type ConfigInput, type TrainConfig, type PluginRegistries, type CliArgs, type CliOption,
} from './config.ts';
export { Trainer, buildParts, NonFiniteLossError, type TrainerParts, type BuildContext, type RunOptions, type RunResult } from './trainer/trainer.ts';
export { loaderSource, toTrainBatch, pairLoaderOptions } from './trainer/data.ts';
export type { DataSource, TrainBatch, CheckpointSink, CheckpointData, CheckpointState, LoadedCheckpoint, LogSink, ProgressSink, StepRecord } from './trainer/types.ts';
export { backbones } from './backbones/index.ts';
export { pretextTasks, classify, maskedClassify, label as batchLabel, type TaskContext } from './tasks/index.ts';
export { mlp } from './heads/mlp.ts';
export { objectives } from './objectives/index.ts';
export { weightings } from './weighting/index.ts';
export {
  evaluators, runEvaluators, VideoClipSource, splitByIndex, knnMonitor, comparable, metricDifference, extractFeatures, knnClassify, trainLinearProbe, retrievalRecall, finetune,
  type Evaluator, type EvalContext, type EvalResult, type ClipSource, type EvalSplit, type FeatureSet, type ProtocolOutput, type RunEvaluationInputs, type KnnMonitor, type KnnMonitorOptions,
} from './evaluators/index.ts';
