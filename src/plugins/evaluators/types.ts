// The evaluation protocols' interfaces: where clips come from (ClipSource), what features look
// like (FeatureSet), what an evaluator plugin is (Evaluator) and what it writes (EvalResult).
// Platform-neutral: nothing here touches files; Node-only IO lives in examples/evaluate.ts.
import type { Tensor } from '../../engine/index.ts';
import type { Backbone } from '../types.ts';
import type { PluginConfig } from '../registry.ts';

/** A labelled video of a split (label 0..K-1). */
export interface LabelledVideo {
  path: string;
  label: number;
}

/** One split of a labelled dataset (e.g. UCF101 trainlist01, or the synthetic set's train videos). */
export interface EvalSplit {
  /** 'train', 'test', or any name; goes into the result's provenance. */
  name: string;
  items: readonly LabelledVideo[];
  /** Dataset root: paths are hashed relative to it, so moving the dataset keeps the hash. */
  root?: string;
  /** How the split was made (e.g. `{ kind: 'ucf-split', split: 1 }`, `{ kind: 'by-index', testEvery: 4 }`). */
  description?: Record<string, unknown>;
}

/** An augmented training batch (fine-tuning). */
export interface AugmentedBatch {
  /** [N, 3, T, H, W] on the GPU. */
  clips: Tensor;
  labels: Int32Array;
  dispose(): void;
}

export interface AugmentedStream {
  readonly batchesPerEpoch: number;
  epoch(e: number): AsyncIterable<AugmentedBatch>;
  close(): Promise<void>;
}

/** Evaluation clips of one split. */
export interface ClipSource {
  readonly split: EvalSplit;
  /**
   * Deterministic clips: `count` uniformly spaced clips of each listed video (src/data's
   * uniformClips; count 1 = the centre clip), centre crop, as one batch
   * [indices.length·count, 3, T, H, W]; video i's clips are rows i·count … i·count + count − 1.
   */
  clips(indices: readonly number[], count: number): Promise<Tensor>;
  /**
   * A cheap content fingerprint of each video (its size in bytes), hashed into the split's hash so
   * that re-encoded or regenerated videos under the same names change it; null when unavailable.
   */
  fingerprints?(): Promise<number[] | null>;
  /** Decodes (and caches) every video's `count` clips ahead, without GPU work (VideoClipSource with cache: true). */
  preload?(count: number): Promise<void>;
  /** Settings that fix the clips (clip length, size, crop, normalisation) for the result JSON. */
  describe(): Record<string, unknown>;
  /** Randomly augmented training clips with labels (fine-tuning); absent when unsupported. */
  augmented?(o: { batchSize: number; seed: number; augment: boolean }): Promise<AugmentedStream>;
  close?(): Promise<void>;
}

/** What features to extract: `clips` per video; per-clip rows or one row per video (mean of its clips). */
export interface FeatureSpec {
  clips: number;
  perClip: boolean;
}

/** Backbone features of a split. */
export interface FeatureSet {
  /** [M, D] float32 on the GPU: raw pooled features (not normalised). */
  features: Tensor;
  /** [M] class of each row. */
  labels: Int32Array;
  /** [M] video index of each row. */
  video: Int32Array;
  spec: FeatureSpec;
}

/** Returns (cached) features of the train or test split. */
export type FeatureProvider = (split: 'train' | 'test', spec: FeatureSpec) => Promise<FeatureSet>;

/** What an evaluator receives. */
export interface EvalContext {
  backbone: Backbone;
  train: ClipSource;
  test: ClipSource;
  numClasses: number;
  /** Features of the frozen backbone (shared by the protocols of one run, extracted once per spec). */
  features: FeatureProvider;
  log: (line: string) => void;
}

/** What a protocol returns; the runner adds settings, provenance and hashes (EvalResult). */
export interface ProtocolOutput {
  /** Flat metrics, fractions in [0, 1] for accuracies and recalls (e.g. `k20_top1`, `top1`, `r@5`). */
  metrics: Record<string, number>;
  /** The headline metric's name in `metrics`. */
  primary: string;
  /** Settings resolved at run time (e.g. the effective k after capping at the train size). */
  resolved?: Record<string, unknown>;
  /** Anything else worth keeping (loss curve, per-class counts). */
  details?: Record<string, unknown>;
}

/** An evaluation protocol (a plugin of the `evaluators` registry). */
export interface Evaluator {
  readonly name: string;
  /** The validated options (written into the result's settings). */
  readonly options: Record<string, unknown>;
  /** True when the protocol trains the backbone (fine-tuning): the runner runs it after the frozen ones. */
  readonly trainsBackbone: boolean;
  run(ctx: EvalContext): Promise<ProtocolOutput>;
}

/** Where the weights and the data came from, hashed so that results can be compared safely. */
export interface Provenance {
  checkpoint: {
    /** SHA-256 of the checkpoint file's bytes (null: weights not from a file, e.g. random init). */
    sha256: string | null;
    path?: string;
    step?: number;
    /** 'checkpoint' | 'random-init' | free text. */
    kind?: string;
    /** The initialisation seed of random-init weights. */
    seed?: number;
  };
  /** SHA-256 of the backbone's state dict (names, dtypes, shapes, values), taken before the protocol ran. */
  weightsSha256: string;
  backbone: PluginConfig | null;
  dataset: {
    name?: string;
    classes: string[];
    /** SHA-256 of the class list and both splits. */
    sha256: string;
    train: SplitProvenance;
    test: SplitProvenance;
  };
}

export interface SplitProvenance {
  name: string;
  videos: number;
  /** SHA-256 of the split's (relative path, label[, bytes]) list. */
  sha256: string;
  /** What the hash covers: 'path+label+bytes' (file sizes known) or 'path+label'. */
  covers: string;
  description?: Record<string, unknown>;
}

/** The result JSON of one protocol. */
export interface EvalResult {
  format: 'cstp-eval/1';
  protocol: string;
  /** Everything that defines the protocol: its options, the clip settings, the resolved values. */
  settings: Record<string, unknown>;
  metrics: Record<string, number>;
  primary: { name: string; value: number };
  provenance: Provenance;
  /**
   * SHA-256 of { protocol, settings, dataset hash }: two results with the same key were measured
   * the same way on the same data (only the weights differ), so their metrics can be compared.
   */
  comparableKey: string;
  /** SHA-256 of { comparableKey, weights hash, checkpoint hash }: identifies the measurement. */
  sha256: string;
  counts: { train: number; test: number; classes: number };
  details?: Record<string, unknown>;
  seconds: number;
  adapter?: string;
  createdAt: string;
}
