// Video input: reading (WebCodecs), frames → clip tensors (WGSL), datasets, the synthetic set.
// Browser-safe: Node-only pieces load through the platform seam (src/video/platform.ts).
export { type ByteSource, blobSource, bytesSource, countingSource } from './byte-source.ts';
export { openVideo, openVideoFile, type VideoReader, type VideoInfo, type DecodedFrame, type OpenVideoOptions } from './reader.ts';
export { VideoError, type VideoErrorReason, PREPARE_HINT } from './errors.ts';
export { type SampleIndex, exportIndexCache, importIndexCache, clearIndexCache, validateIndex } from './sample-index.ts';
export { loadWebCodecs, defaultFs, isNode, type WebCodecs } from './platform.ts';
export { frameToI420, rgbToI420, i420Size, type I420Image } from './frame.ts';
export type { VideoFs, DirEntry } from './fs.ts';
export { framesToClip, framesToBatch, framesToClipReference, IMAGENET_MEAN, IMAGENET_STD, type ClipOptions, type Crop, type BatchItem, type I420Frame } from './clip.ts';
export { folderDataset, splitDataset, unlabelledDataset, READABLE_EXTENSIONS, type Dataset, type DatasetItem, type ListOptions, type SplitOptions } from './datasets.ts';
export { ensureSyntheticDataset, renderSyntheticVideo, encodeMp4, encodeVideo, type EncodeOptions, type EncodeCodec, resolveSyntheticOptions, MOTION_CLASSES, SYNTHETIC_VERSION, type SyntheticOptions, type SyntheticDataset, type SyntheticItem, type MotionClass } from './synthetic.ts';
