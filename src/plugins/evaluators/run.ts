// Running evaluators over a backbone and a labelled train/test pair: provenance and hashes are
// taken once (before any protocol can change the weights), frozen-backbone protocols share one
// feature cache, fine-tuning runs last, and each protocol's output becomes an EvalResult.
import type { Backbone } from '../types.ts';
import type { PluginConfig } from '../registry.ts';
import { cachedFeatures } from './features.ts';
import { sha256Json, splitSha256, weightsSha256 } from './hash.ts';
import type { ClipSource, EvalResult, Evaluator, FeatureProvider, Provenance } from './types.ts';

export interface RunEvaluationInputs {
  backbone: Backbone;
  /** The backbone's plugin config ({ type, ...options }), for the provenance. */
  backboneConfig?: PluginConfig | null;
  train: ClipSource;
  test: ClipSource;
  classes: readonly string[];
  /** Where the weights came from (the file's SHA-256, its path, the training step). */
  checkpoint?: Provenance['checkpoint'];
  datasetName?: string;
  /** Features to use instead of extracting them from the backbone (hand-made features, or a cache shared between calls). */
  features?: FeatureProvider;
  /** Clips per forward pass during feature extraction (default 16). */
  featureBatchSize?: number;
  log?: (line: string) => void;
  adapter?: string;
}

/** Hashes of the weights and the data (see Provenance). */
export async function provenanceOf(i: Pick<RunEvaluationInputs, 'backbone' | 'backboneConfig' | 'train' | 'test' | 'classes' | 'checkpoint' | 'datasetName'>): Promise<Provenance> {
  const [trainBytes, testBytes] = await Promise.all([i.train.fingerprints?.() ?? null, i.test.fingerprints?.() ?? null]);
  const [weights, trainSha, testSha] = await Promise.all([weightsSha256(i.backbone.stateDict()), splitSha256(i.train.split, trainBytes), splitSha256(i.test.split, testBytes)]);
  const classes = [...i.classes];
  const split = (s: ClipSource, sha256: string, bytes: number[] | null) => ({
    name: s.split.name,
    videos: s.split.items.length,
    sha256,
    covers: bytes ? 'path+label+bytes' : 'path+label',
    ...(s.split.description ? { description: s.split.description } : {}),
  });
  return {
    checkpoint: i.checkpoint ?? { sha256: null, kind: 'unknown' },
    weightsSha256: weights,
    backbone: i.backboneConfig ?? null,
    dataset: {
      ...(i.datasetName ? { name: i.datasetName } : {}),
      classes,
      sha256: await sha256Json({ classes, train: trainSha, test: testSha }),
      train: split(i.train, trainSha, trainBytes),
      test: split(i.test, testSha, testBytes),
    },
  };
}

/**
 * Runs the evaluators and returns one result per evaluator, in the order given. Protocols on the
 * frozen backbone run first and share extracted features; at most one protocol that trains the
 * backbone (fine-tuning) may be given, and it runs last.
 */
export async function runEvaluators(evaluators: readonly Evaluator[], inputs: RunEvaluationInputs): Promise<EvalResult[]> {
  const training = evaluators.filter((e) => e.trainsBackbone);
  if (training.length > 1) throw new Error(`runEvaluators: ${training.map((e) => e.name).join(' and ')} both train the backbone; run them in separate calls (each on fresh weights)`);
  const log = inputs.log ?? (() => {});
  const provenance = await provenanceOf(inputs);
  const features = inputs.features ?? cachedFeatures(inputs.backbone, { train: inputs.train, test: inputs.test }, { batchSize: inputs.featureBatchSize, log });
  const clipSettings = inputs.test.describe();
  const results = new Map<Evaluator, EvalResult>();
  try {
    for (const ev of [...evaluators.filter((e) => !e.trainsBackbone), ...training]) {
      const t0 = now();
      log(`${ev.name}: running`);
      const out = await ev.run({ backbone: inputs.backbone, train: inputs.train, test: inputs.test, numClasses: inputs.classes.length, features, log });
      if (!(out.primary in out.metrics)) throw new Error(`evaluator ${ev.name}: primary metric '${out.primary}' is not among its metrics`);
      const settings: Record<string, unknown> = { ...ev.options, clipSource: clipSettings };
      if (out.resolved) settings.resolved = out.resolved;
      const comparableKey = await sha256Json({ protocol: ev.name, settings, dataset: provenance.dataset.sha256 });
      results.set(ev, {
        format: 'cstp-eval/1',
        protocol: ev.name,
        settings,
        metrics: out.metrics,
        primary: { name: out.primary, value: out.metrics[out.primary] },
        provenance,
        comparableKey,
        sha256: await sha256Json({ comparableKey, weights: provenance.weightsSha256, checkpoint: provenance.checkpoint.sha256 }),
        counts: { train: inputs.train.split.items.length, test: inputs.test.split.items.length, classes: inputs.classes.length },
        ...(out.details ? { details: out.details } : {}),
        seconds: (now() - t0) / 1000,
        ...(inputs.adapter ? { adapter: inputs.adapter } : {}),
        createdAt: new Date().toISOString(),
      });
      log(`${ev.name}: ${out.primary} = ${out.metrics[out.primary].toFixed(4)} (${((now() - t0) / 1000).toFixed(1)} s)`);
    }
  } finally {
    if (!inputs.features) await (features as FeatureProvider & { dispose(): Promise<void> }).dispose();
  }
  return evaluators.map((e) => results.get(e)!);
}

/** True when two results measured the same protocol with the same settings on the same data. */
export function comparable(a: EvalResult, b: EvalResult): boolean {
  return a.comparableKey === b.comparableKey;
}

/** b − a for every metric both have; throws when the results are not comparable. */
export function metricDifference(a: EvalResult, b: EvalResult): Record<string, number> {
  if (!comparable(a, b)) throw new Error(`results not comparable: ${a.protocol} (${a.comparableKey.slice(0, 12)}) vs ${b.protocol} (${b.comparableKey.slice(0, 12)}): settings or data differ`);
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(b.metrics)) if (k in a.metrics) out[k] = v - a.metrics[k];
  return out;
}

function now(): number {
  return globalThis.performance?.now() ?? Date.now();
}
