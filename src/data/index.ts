// Public entry point of the data pipeline: PRNG, clip and STOR samplers, GPU augmentation, and
// the pair loader. Runs in Node and in browsers (Node-only parts sit behind src/platform).
export { Random, hashKeys } from './random.ts';
export { clipAt, clipSpan, sampleClip, uniformClips, centreClip, type Clip, type ClipOptions } from './samplers/clip.ts';
export { intersectionArea, boxInside, sampleResizedCrop, drawCropSize, type Box, type ResizedCropOptions } from './samplers/crop.ts';
export {
  sampleStorPair, resolveStorOptions, diagonalShift, temporalShiftSteps, allowedRates, pairFrames, STOR_DEFAULTS,
  type StorOptions, type ResolvedStorOptions, type StorPair, type StorClip, type StorLabels,
} from './samplers/stor.ts';
export { createClipTransform, type ClipTransform } from './transforms/pipeline.ts';
export {
  SIMCLR_VIDEO, IDENTITY_PARAMS, gaussianWeights, defaultBlurKernel,
  type ClipTransformOptions, type ClipAugmentParams, type ColorJitterOptions, type BlurOptions, type JitterParams,
} from './transforms/params.ts';
export { type Normalization } from './transforms/kernels.ts';
export {
  createPairLoader, PairLoader, DEFAULT_PAIR_AUGMENT, IMAGENET_NORMALIZE,
  type PairLoaderOptions, type PairBatch, type PairLabels, type LoaderReport, type LoaderStats, type DatasetLike, type DatasetItem,
  type DecodedPair, type DecodedBatch,
} from './loader.ts';
export { serveDataWorker, runJob, type OpenItem, type VideoReaderLike, type Job, type JobResult } from './worker-core.ts';
