// Evaluation protocols (src/plugins/evaluators): kNN, linear probe, clip retrieval on hand-made
// features whose answers are known (two separated clusters, a voting example computed by hand, a
// four-query retrieval example, linearly separable classes), the result JSON (settings, hashes,
// comparability), registry errors, and end to end on a tiny synthetic video set: examples/evaluate.ts
// as a child process (kNN, linear, retrieval, a checkpoint file's hash), fine-tuning through the API
// (frozen stem), and the online kNN monitor through the Trainer's afterStep hook.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as E from '../src/engine/index.ts';
import {
  evaluators, knnClassify, weightedVote, classRank, nearestNeighbours, recallFromNeighbours, retrievalRecall, trainLinearProbe, runEvaluators,
  comparable, metricDifference, splitByIndex, VideoClipSource, knnMonitor, backboneStages, sha256Hex, canonicalJson, cachedFeatures, splitSha256,
  type ClipSource, type EvalSplit, type FeatureProvider, type FeatureSet, type FeatureSpec, type EvalResult,
} from '../src/plugins/evaluators/index.ts';
import { Random } from '../src/data/random.ts';
import { ensureSyntheticDataset, type SyntheticDataset } from '../src/video/synthetic.ts';
import { backbones } from '../src/plugins/backbones/index.ts';
import type { Backbone } from '../src/plugins/types.ts';
import { parseConfig } from '../src/plugins/config.ts';
import { buildParts, Trainer } from '../src/plugins/trainer/trainer.ts';
import { loaderSource } from '../src/plugins/trainer/data.ts';
import { pretextTasks } from '../src/plugins/tasks/index.ts';
import { objectives } from '../src/plugins/objectives/index.ts';
import { weightings } from '../src/plugins/weighting/index.ts';
import { createPairLoader } from '../src/data/loader.ts';
import { saveSafetensorsFile } from '../src/platform/node-files.ts';
import type { StepRecord } from '../src/plugins/trainer/types.ts';
import { assertClose } from './helpers.ts';

const { nn } = E;
type Tensor = E.Tensor;
const root = fileURLToPath(new URL('..', import.meta.url));

const test = suite('evaluators');
test.before(async () => {
  await E.init();
});
test.after(async () => {
  await E.shutdown();
});

// ---- hand-made features ---------------------------------------------------------------------

function features(rows: number[][]): Tensor {
  return E.tensor(Float32Array.from(rows.flat()), [rows.length, rows[0].length]);
}

/** Two clusters around +e0 and −e0 in 16-D with small noise. */
function clusters(perClass: number, seed: number): { x: Tensor; y: Int32Array } {
  const rng = new Random(seed);
  const rows: number[][] = [];
  const y: number[] = [];
  for (let c = 0; c < 2; c++) {
    for (let i = 0; i < perClass; i++) {
      rows.push(Array.from({ length: 16 }, (_, d) => (d === 0 ? (c === 0 ? 1 : -1) : 0) + 0.1 * rng.normal()));
      y.push(c);
    }
  }
  return { x: features(rows), y: Int32Array.from(y) };
}

test('weighted voting: exp(sim/T) per class, as computed by hand', () => {
  const sims = [0.9, 0.8, 0.5, 0.1];
  const labels = [1, 0, 0, 2];
  // T = 0.07, k = 3: class 0 = e^(0.8/0.07) + e^(0.5/0.07) = 93175.62, class 1 = e^(0.9/0.07) = 383518.39.
  const a = weightedVote(sims, labels, 3, 3, 0.07);
  assertClose(a, [93175.6177817088, 383518.3920860463, 0], 1e-9, 0);
  assert.is(classRank(a, 1), 0);
  assert.is(classRank(a, 0), 1);
  assert.is(classRank(a, 2), Infinity, 'a class without votes is never a hit');
  // T = 1, k = 3: class 0 = e^0.8 + e^0.5 = 3.8743 beats class 1 = e^0.9 = 2.4596.
  const b = weightedVote(sims, labels, 3, 3, 1);
  assertClose(b, [3.874262199192596, 2.45960311115695, 0], 1e-12, 0);
  assert.is(classRank(b, 0), 0);
  // k = 4 adds class 2's e^0.1; k = 1: only class 1 voted.
  assertClose(weightedVote(sims, labels, 4, 3, 1), [3.874262199192596, 2.45960311115695, Math.exp(0.1)], 1e-12, 0);
  assert.is(classRank(weightedVote(sims, labels, 1, 3, 1), 0), Infinity);
  // Equal scores: the lower class index ranks first.
  assert.is(classRank([2, 2, 1], 0), 0);
  assert.is(classRank([2, 2, 1], 1), 1);
});

test('knnClassify: the voting example end to end (GPU similarities, k and T change the answer)', async () => {
  // Query (1, 0) of class 1 against (1,0) c0, (0.8,0.6) c1, (0.6,0.8) c1, (0,1) c2: sims 1, 0.8, 0.6, 0.
  const train = { features: features([[1, 0], [0.8, 0.6], [0.6, 0.8], [0, 1]]), labels: [0, 1, 1, 2] };
  const q = { features: features([[2, 0]]), labels: [1] }; // scale does not matter (cosine)
  try {
    const soft = await knnClassify(train, q, { ks: [1, 3], temperature: 1, numClasses: 3 });
    assert.equal(soft.map((s) => s.top1), [0, 1], 'T=1: k=1 → class 0 (wrong); k=3 → e^0.8+e^0.6 = 4.05 > e^1 = 2.72 (right)');
    assert.equal(soft.map((s) => s.top5), [0, 1], 'k=1: class 1 has no vote, so not even top-5');
    const sharp = await knnClassify(train, q, { ks: [3, 200], temperature: 0.07, numClasses: 3 });
    assert.is(sharp[0].top1, 0, 'T=0.07, k=3: e^(1/0.07) dominates');
    assert.is(sharp[0].top5, 1);
    assert.is(sharp[1].kEffective, 4, 'k=200 is capped at the train size');
  } finally {
    train.features.dispose();
    q.features.dispose();
  }
});

test('kNN: two well-separated clusters → 100% for every k; no tensor leaks', async () => {
  const tr = clusters(20, 1);
  const te = clusters(10, 2);
  const live = E.memory().liveTensors;
  const scores = await knnClassify({ features: tr.x, labels: tr.y }, { features: te.x, labels: te.y }, { ks: [1, 5, 20, 200], temperature: 0.07, numClasses: 2 });
  assert.equal(scores.map((s) => s.top1), [1, 1, 1, 1]);
  assert.equal(scores.map((s) => s.kEffective), [1, 5, 20, 40]);
  // Chunked similarity blocks (one query row per readback) give the same neighbours.
  const a = await nearestNeighbours(te.x, tr.x, 7);
  const b = await nearestNeighbours(te.x, tr.x, 7, { chunkElements: 1 });
  assert.equal([...a.index], [...b.index]);
  for (let q = 0; q < a.queries; q++) for (let j = 1; j < 7; j++) assert.ok(a.sim[q * 7 + j - 1] >= a.sim[q * 7 + j], 'sorted by similarity');
  assert.is(E.memory().liveTensors, live, 'knn frees what it creates');
  for (const t of [tr.x, te.x]) t.dispose();
});

test('retrieval: recall@k on a four-query example computed by hand (ties by lower index)', async () => {
  // Bank: a=(1,0) class 0, b=(0,1) class 1, c=(-1,0) class 2, d=(0.6,0.8) class 0.
  const bank = { features: features([[1, 0], [0, 1], [-1, 0], [0.6, 0.8]]), labels: [0, 1, 2, 0] };
  // q1=(0.9,0.1) c0: a first → hit@1. q2=(0.1,0.9) c0: b (c1), then d (c0) → hit@2.
  // q3=(-1,0.05) c1: c (c2), then b (c1) → hit@2. q4=(0,-1) c2: a and c tie at 0, a first → hit@2.
  const queries = { features: features([[0.9, 0.1], [0.1, 0.9], [-1, 0.05], [0, -1]]), labels: [0, 0, 1, 2] };
  try {
    const r = await retrievalRecall(bank, queries, [1, 2, 10]);
    assert.equal(r.map((s) => s.recall), [0.25, 1, 1]);
    assert.equal(r.map((s) => s.kEffective), [1, 2, 4]);
    const nb = await nearestNeighbours(queries.features, bank.features, 4);
    assert.equal([...nb.index.slice(12, 16)].slice(0, 2), [0, 2], 'tie between a and c: lower index first');
  } finally {
    bank.features.dispose();
    queries.features.dispose();
  }
  // recallFromNeighbours on explicit lists: query 0 (class 1) finds its class 3rd, query 1 never.
  const nb = { k: 3, queries: 2, index: Int32Array.from([0, 1, 2, 0, 1, 2]), sim: new Float32Array(6) };
  const r = recallFromNeighbours(nb, [0, 0, 1], [1, 2], [1, 2, 3]);
  assert.equal(r.map((s) => s.recall), [0, 0, 0.5]);
});

function separable(perClass: number, seed: number): { x: Tensor; y: Int32Array } {
  const rng = new Random(seed);
  const rows: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < perClass; i++) {
    for (let c = 0; c < 4; c++) {
      // Class c: mean 3·e_c (+ an offset shared by all), noise σ 0.5, so the classes are separable.
      rows.push(Array.from({ length: 10 }, (_, d) => (d === c ? 3 : 0) + 5 + 0.5 * rng.normal()));
      y.push(c);
    }
  }
  return { x: features(rows), y: Int32Array.from(y) };
}

test('linear probe: 100% on linearly separable features (full batch AdamW; minibatch SGD); no tensor leaks', async () => {
  const tr = separable(15, 3);
  const te = separable(5, 4);
  const live = E.memory().liveTensors;
  const base = { numClasses: 4, epochs: 100, lr: 0.01, optimizer: 'adamw' as const, momentum: 0.9, weightDecay: 0, batchSize: null, standardize: true, l2normalize: false, schedule: 'cosine' as const, seed: 0 };
  const full = await trainLinearProbe({ features: tr.x, labels: tr.y }, { features: te.x, labels: te.y }, base);
  assert.is(full.top1, 1, `full batch: test top-1 ${full.top1}`);
  assert.is(full.trainTop1, 1);
  assert.is(full.top5, 1);
  assert.is(full.losses.length, 100);
  assert.ok(full.losses[99] < full.losses[0] / 2, `loss falls: ${full.losses[0]} → ${full.losses[99]}`);
  const mini = await trainLinearProbe({ features: tr.x, labels: tr.y }, { features: te.x, labels: te.y }, { ...base, optimizer: 'sgd', lr: 0.1, batchSize: 16, epochs: 30, standardize: false, l2normalize: true, schedule: 'constant' });
  assert.is(mini.top1, 1, `minibatch SGD: test top-1 ${mini.top1}`);
  assert.is(mini.steps, 30 * 4, 'ceil(60 / 16) = 4 steps per epoch');
  assert.is(E.memory().liveTensors, live, 'the probe frees what it creates (features untouched)');
  assert.is(tr.x.disposed, false);
  for (const t of [tr.x, te.x]) t.dispose();
});

// ---- result JSON ------------------------------------------------------------------------------

class FakeBackbone extends nn.Module<[Tensor], Tensor> implements Backbone {
  readonly featureDim = 4;
  readonly fc: E.nn.Linear;
  constructor(seed: number) {
    super();
    this.fc = this.registerModule('fc', new nn.Linear(3, 4, { generator: new E.Generator(seed) }));
  }
  override forward(x: Tensor): Tensor {
    return this.fc.call(E.F.adaptiveAvgPool3d(x, 1).flatten(1));
  }
  lastSharedParameters(): Tensor[] {
    return [this.fc.weight];
  }
}

/** A clip source that only lists videos (features come from a FeatureProvider). */
function listing(name: string, labels: ArrayLike<number>): ClipSource {
  const split: EvalSplit = { name, root: '/data/set', items: Array.from(labels, (label, i) => ({ path: `/data/set/c${label}/v${i}.mp4`, label })) };
  return {
    split,
    clips: () => Promise.reject(new Error('no clips in this test')),
    describe: () => ({ clipLength: 8, size: 48 }),
  };
}

function provider(train: { x: Tensor; y: Int32Array }, testSet: { x: Tensor; y: Int32Array }): FeatureProvider {
  return async (split: 'train' | 'test', spec: FeatureSpec): Promise<FeatureSet> => {
    const s = split === 'train' ? train : testSet;
    return { features: s.x, labels: s.y, video: Int32Array.from(s.y, (_, i) => i), spec };
  };
}

test('result JSON: settings, hashes of weights / checkpoint / dataset / splits, comparability', async () => {
  assert.is(await sha256Hex('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  assert.is(canonicalJson({ b: 1, a: [{ d: 2, c: 1 }] }), '{"a":[{"c":1,"d":2}],"b":1}');
  const tr = clusters(6, 5);
  const te = clusters(3, 6);
  const inputs = (backbone: Backbone) => ({
    backbone,
    backboneConfig: { type: 'fake' },
    train: listing('train', tr.y),
    test: listing('test', te.y),
    classes: ['left', 'right'],
    checkpoint: { sha256: 'ab'.repeat(32), path: '/ckpt.safetensors', step: 7, kind: 'checkpoint' },
    datasetName: 'toy',
    features: provider(tr, te),
  });
  const b1 = new FakeBackbone(1);
  const b2 = new FakeBackbone(2);
  try {
    const [knn, lin] = await runEvaluators([evaluators.build({ type: 'knn', ks: [1, 5] , primaryK: 5 }, {}), evaluators.build({ type: 'linear', epochs: 20 }, {})], inputs(b1));
    const r = JSON.parse(JSON.stringify(knn)) as EvalResult; // survives JSON
    assert.is(r.format, 'cstp-eval/1');
    assert.is(r.protocol, 'knn');
    assert.equal(r.settings.ks, [1, 5]);
    assert.is(r.settings.temperature, 0.07);
    assert.is(r.settings.clips, 1);
    assert.equal(r.settings.clipSource, { clipLength: 8, size: 48 });
    assert.equal((r.settings.resolved as { kEffective: Record<string, number> }).kEffective, { 1: 1, 5: 5 });
    assert.equal(r.metrics, { k1_top1: 1, k1_top5: 1, k5_top1: 1, k5_top5: 1 });
    assert.equal(r.primary, { name: 'k5_top1', value: 1 });
    assert.equal(r.counts, { train: 12, test: 6, classes: 2 });
    const hex = /^[0-9a-f]{64}$/;
    for (const h of [r.provenance.weightsSha256, r.provenance.dataset.sha256, r.provenance.dataset.train.sha256, r.provenance.dataset.test.sha256, r.comparableKey, r.sha256]) assert.match(h, hex);
    assert.is(r.provenance.checkpoint.sha256, 'ab'.repeat(32));
    assert.is(r.provenance.checkpoint.step, 7);
    assert.equal(r.provenance.backbone, { type: 'fake' });
    assert.is(r.provenance.dataset.train.videos, 12);
    assert.is(r.provenance.dataset.train.covers, 'path+label', 'this clip source gives no file sizes');
    assert.equal(r.provenance.dataset.classes, ['left', 'right']);
    // Split hash: of the (path relative to the root, label) list.
    assert.is(r.provenance.dataset.train.sha256, await sha256Hex(JSON.stringify(Array.from(tr.y, (l, i) => [`c${l}/v${i}.mp4`, l]))));
    assert.is(lin.protocol, 'linear');
    assert.is(lin.settings.epochs, 20);
    assert.is(lin.settings.standardize, true);
    assert.ok(lin.metrics.top1 >= 0 && lin.metrics.top1 <= 1, `linear top-1 ${lin.metrics.top1}`);
    assert.is((lin.details as { losses: number[] }).losses.length, 20);
    assert.is(lin.provenance.weightsSha256, r.provenance.weightsSha256);
    // Other weights, same protocol and data: comparable (same key), different measurement hash.
    const [knn2] = await runEvaluators([evaluators.build({ type: 'knn', ks: [1, 5], primaryK: 5 }, {})], inputs(b2));
    assert.ok(comparable(knn, knn2));
    assert.is.not(knn2.provenance.weightsSha256, knn.provenance.weightsSha256);
    assert.is.not(knn2.sha256, knn.sha256);
    assert.equal(metricDifference(knn, knn2), { k1_top1: 0, k1_top5: 0, k5_top1: 0, k5_top5: 0 });
    // Other settings: not comparable; other data (a label changed): not comparable.
    const [knn3] = await runEvaluators([evaluators.build({ type: 'knn', ks: [1, 5], primaryK: 5, temperature: 0.1 }, {})], inputs(b1));
    assert.not.ok(comparable(knn, knn3));
    assert.throws(() => metricDifference(knn, knn3), /not comparable/);
    const moved = inputs(b1);
    (moved.test.split.items as unknown as { label: number }[])[0].label = 1;
    const [knn4] = await runEvaluators([evaluators.build({ type: 'knn', ks: [1, 5], primaryK: 5 }, {})], moved);
    assert.is.not(knn4.provenance.dataset.sha256, knn.provenance.dataset.sha256);
    assert.not.ok(comparable(knn, knn4));
  } finally {
    b1.dispose();
    b2.dispose();
    for (const t of [tr.x, te.x]) t.dispose();
  }
});

test('registry: the four protocols, unknown names and bad options are clear errors', () => {
  assert.equal(evaluators.names(), ['finetune', 'knn', 'linear', 'retrieval']);
  assert.throws(() => evaluators.build({ type: 'knm' }, {}), /unknown evaluator 'knm'; registered: finetune, knn, linear, retrieval/);
  assert.throws(() => evaluators.build({ type: 'knn', k: 5 }, {}), /invalid options for evaluator 'knn'.*k/);
  assert.throws(() => evaluators.build({ type: 'knn', temperature: -1 }, {}), /evaluator 'knn': temperature/);
  assert.throws(() => evaluators.build({ type: 'knn', ks: [1, 1, 5] }, {}), /ks must not repeat/);
  assert.throws(() => evaluators.build({ type: 'knn', ks: [1, 5] }, {}), /primaryK 20 is not among ks/);
  assert.throws(() => evaluators.build({ type: 'linear', optimizer: 'adagrad' }, {}), /evaluator 'linear': optimizer/);
  assert.throws(() => evaluators.build({ type: 'retrieval', unit: 'frame' }, {}), /evaluator 'retrieval': unit/);
  assert.throws(() => evaluators.build({ type: 'finetune', freezeStages: -1 }, {}), /evaluator 'finetune': freezeStages/);
  const d = evaluators.build('retrieval', {});
  assert.equal(d.options, { clips: 10, ks: [1, 5, 10, 20, 50], unit: 'clip' });
  assert.equal(evaluators.build('knn', {}).options, { ks: [1, 5, 20, 200], temperature: 0.07, clips: 1, primaryK: 20 });
  assert.throws(() => splitByIndex([{ path: 'x.mp4' }], 4), /has no class label/);
});

test('backbone stages: tiny = stem, layer1-3; r3d = stem, layer1-4; c3d = 1-5', () => {
  const keys = (b: Backbone) => backboneStages(b).map((s) => s.key);
  const tiny = backbones.build({ type: 'tiny', width: 2 }, { skipInit: true });
  const c3d = backbones.build({ type: 'c3d', width: 2 }, { skipInit: true });
  const r3d = backbones.build({ type: 'r3d', width: 2 }, { skipInit: true });
  try {
    assert.equal(keys(tiny), ['stem', '1', '2', '3']);
    assert.equal(keys(r3d), ['stem', '1', '2', '3', '4']);
    assert.equal(keys(c3d), ['1', '2', '3', '4', '5']);
  } finally {
    for (const b of [tiny, c3d, r3d]) b.dispose();
  }
});

// ---- end to end on a tiny synthetic video set ------------------------------------------------------

const SYN = { classes: 3, videosPerClass: 4, frames: 24, size: 32 };
let ds: SyntheticDataset;
let tmp: string;
// The held-out evaluation set ('--data synthetic'): as many videos, drawn with seed 7.
const HELD_OUT = { videosPerClass: 4, frames: 24, seed: 7 };
const tinyConfig = { data: { synthetic: SYN, clipLength: 4, size: 32 }, backbone: { type: 'tiny', width: 4 }, evaluation: { heldOut: HELD_OUT, stride: 2 } };

test('setup: a tiny synthetic set (3 classes × 4 videos, 24 frames at 32²)', async () => {
  ds = await ensureSyntheticDataset({ ...SYN, cacheDir: join(root, '.cache') });
  tmp = mkdtempSync(join(tmpdir(), 'cstp-eval-'));
  writeFileSync(join(tmp, 'tiny.json'), JSON.stringify(tinyConfig));
  assert.is(ds.items.length, 12);
});

function evaluate(args: string[], timeoutMs = 300_000) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'examples/evaluate.ts'), ...args], { cwd: root, encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, FORCE_COLOR: '0' } });
  return { code: r.status, out: r.stdout ?? '', err: r.stderr ?? '' };
}

test('examples/evaluate.ts: --help, usage errors exit 2', () => {
  const h = evaluate(['--help']);
  assert.is(h.code, 0, h.err);
  for (const s of ['--checkpoint', '--data', '--protocol', '--out', '--set', 'knn', 'linear', 'retrieval', 'finetune', 'temperature']) assert.ok(h.out.includes(s), `help mentions ${s}`);
  const a = evaluate(['--checkpoint', 'random', '--data', 'synthetic', '--protocol', 'knm']);
  assert.is(a.code, 2);
  assert.match(a.err, /unknown evaluator 'knm'; registered: finetune, knn, linear, retrieval/);
  const b = evaluate(['--checkpoint', 'random', '--data', 'synthetic', '--protocol', 'knn', '--set', 'epochs=3']);
  assert.is(b.code, 2);
  assert.match(b.err, /--set epochs: no listed protocol has an option 'epochs'/);
  const c = evaluate(['--data', 'synthetic', '--protocol', 'knn']);
  assert.is(c.code, 2);
  assert.match(c.err, /--checkpoint is required/);
  const d = evaluate(['--checkpoint', join(tmp, 'nothing.safetensors'), '--data', 'synthetic', '--protocol', 'knn']);
  assert.is(d.code, 2);
  assert.match(d.err, /not found/);
});

test('examples/evaluate.ts: kNN + linear + retrieval of a checkpoint file; its SHA-256 in every result', async () => {
  // A plain backbone state dict (no .json next to it: the backbone comes from --config).
  E.manualSeed(3);
  const b = backbones.build({ type: 'tiny', width: 4 }, {});
  const ckpt = join(tmp, 'tiny-backbone.safetensors');
  await saveSafetensorsFile(ckpt, b.stateDict());
  b.dispose();
  const out = join(tmp, 'results.json');
  const r = evaluate(['--checkpoint', ckpt, '--config', join(tmp, 'tiny.json'), '--data', 'synthetic', '--protocol', 'knn,linear,retrieval', '--set', 'linear.epochs=30', '--set', 'clips=2', '--out', out]);
  assert.is(r.code, 0, `${r.out}\n${r.err}`);
  const results = JSON.parse(readFileSync(out, 'utf8')) as EvalResult[];
  assert.equal(results.map((x) => x.protocol), ['knn', 'linear', 'retrieval']);
  const sha = createHash('sha256').update(readFileSync(ckpt)).digest('hex');
  for (const x of results) {
    assert.is(x.provenance.checkpoint.sha256, sha, 'WebCrypto hash of the file = node:crypto hash');
    assert.equal(x.counts, { train: 9, test: 3, classes: 3 });
    assert.is(x.provenance.dataset.name, 'synthetic');
    for (const v of Object.values(x.metrics)) assert.ok(Number.isFinite(v));
  }
  assert.is(results[0].provenance.dataset.train.covers, 'path+label+bytes');
  assert.is((results[0].settings.clipSource as { stride: number }).stride, 2, "no --stride: the config's evaluation.stride");
  assert.is((results[0].provenance.dataset.train.description as { heldOut?: boolean }).heldOut, true, "--data synthetic: the config's held-out set");
  assert.is(results[0].settings.clips, 2, '--set clips=2 reaches every protocol that has it');
  assert.is(results[1].settings.clips, 2);
  assert.is(results[1].settings.epochs, 30);
  assert.is(results[2].settings.clips, 2);
  assert.is((results[2].settings.resolved as { queries: number }).queries, 6, '3 test videos × 2 clips');
  for (const k of ['r@1', 'r@5', 'r@10', 'r@20', 'r@50']) assert.ok(results[2].metrics[k] >= 0 && results[2].metrics[k] <= 1);
  assert.ok(results[2].metrics['r@50'] === 1, 'every train clip is within 50 of 18');
  assert.match(r.out, /knn: k1_top1 [\d.]+%/);
});

test('fine-tuning through the API: a few steps, frozen stem unchanged, multi-clip test', async () => {
  const { train, test: testSplit } = splitByIndex(ds.items, 4, ds.root);
  const opts = { clipLength: 4, size: 32, loader: { workers: 0 } };
  const sources = { train: new VideoClipSource({ ...opts, split: train }), test: new VideoClipSource({ ...opts, split: testSplit }) };
  E.manualSeed(0);
  const backbone = backbones.build({ type: 'tiny', width: 4 }, {});
  const stemBefore = Float32Array.from(await (backbone.stateDict()['stem.0.weight']).data());
  const l1Before = Float32Array.from(await (backbone.stateDict()['layer1.0.weight']).data());
  try {
    const ev = evaluators.build({ type: 'finetune', steps: 3, batchSize: 3, testClips: 2, freezeStages: 1, lr: 0.05, dropout: 0 }, {});
    const [r] = await runEvaluators([ev], { backbone, backboneConfig: { type: 'tiny', width: 4 }, ...sources, classes: ds.classes });
    assert.is(r.protocol, 'finetune');
    assert.equal((r.settings.resolved as { frozen: string[] }).frozen, ['stem']);
    assert.is((r.settings.resolved as { steps: number }).steps, 3);
    for (const k of ['top1', 'top5', 'clip_top1']) assert.ok(r.metrics[k] >= 0 && r.metrics[k] <= 1, `${k} ${r.metrics[k]}`);
    assert.is(r.metrics.top5, 1, '3 classes: always in the top 5');
    assert.ok(Number.isFinite(r.metrics.final_loss));
    assertClose(await backbone.stateDict()['stem.0.weight'].data(), stemBefore, 0, 0, 'frozen stem');
    const l1 = await backbone.stateDict()['layer1.0.weight'].data();
    assert.ok(l1.some((v, i) => v !== l1Before[i]), 'layer1 was trained');
    assert.ok(backbone.parameters().every((p) => p.requiresGrad), 'requiresGrad restored');
  } finally {
    backbone.dispose();
  }
});

test('online kNN monitor: the Trainer afterStep hook merges knn_top1 into the step records', async () => {
  // T = 8: the pair loader's STOR classes need it (T = 4 cannot tell its temporal overlaps apart).
  const config = parseConfig({ ...tinyConfig, data: { ...tinyConfig.data, clipLength: 8 }, tasks: [{ type: 'speed', hidden: 16 }], objective: null, batchSize: 3, checkpointEvery: 0 });
  const registries = { backbones, pretextTasks, objectives, weightings };
  const parts = buildParts(config, registries);
  const trainer = new Trainer(config, parts);
  const loader = await createPairLoader({ dataset: ds, batchSize: 3, seed: 0, clipLength: 8, size: [32, 32], workers: 0 });
  const { train, test: testSplit } = splitByIndex(ds.items, 4, ds.root);
  const opts = { clipLength: 8, size: 32, cache: true };
  const monitor = knnMonitor({ every: 2, train: new VideoClipSource({ ...opts, split: train }), test: new VideoClipSource({ ...opts, split: testSplit }), numClasses: 3, k: 5 });
  const records: StepRecord[] = [];
  try {
    await monitor.prepare(); // decode the held-out clips before the loader's workers start
    await trainer.run({ data: loaderSource(loader, ds.items.length), totalSteps: 4, log: { step: (r) => records.push(r) }, afterStep: (t, r) => monitor.afterStep(t, r) });
    assert.is(records.length, 4);
    assert.is(records[0].metrics?.knn_top1, undefined, 'step 1: not an evaluation step');
    for (const i of [1, 3]) {
      const v = records[i].metrics?.knn_top1;
      assert.ok(typeof v === 'number' && v >= 0 && v <= 1, `step ${i + 1}: knn_top1 ${v}`);
    }
    assert.equal(monitor.history.map((h) => h.step), [2, 4]);
    assert.ok(parts.backbone.training, 'the backbone is back in training mode');
    const live = E.memory().liveTensors;
    const again = await monitor.evaluate(parts.backbone);
    assert.is(again.top1, monitor.history[1].top1, 'same weights, same answer (decoded frames cached)');
    assert.is(E.memory().liveTensors, live, 'monitor features are freed');
  } finally {
    trainer.dispose();
    await loader.close();
  }
});

test('VideoClipSource.fingerprints: file sizes, hashed into the split hash (a regenerated video changes it)', async () => {
  const { train } = splitByIndex(ds.items, 4, ds.root);
  const src = new VideoClipSource({ clipLength: 4, size: 32, split: train });
  const sizes = await src.fingerprints();
  assert.equal(sizes, train.items.map((it) => statSync(it.path).size));
  const a = await splitSha256(train, sizes);
  const b = await splitSha256(train, sizes!.map((v, i) => (i === 3 ? v + 1 : v)));
  assert.is.not(a, b);
  assert.is.not(a, await splitSha256(train));
});

test('cachedFeatures: one extraction per (split, spec), freed by dispose()', async () => {
  const { train, test: testSplit } = splitByIndex(ds.items, 4, ds.root);
  const opts = { clipLength: 4, size: 32 };
  E.manualSeed(0);
  const backbone = backbones.build({ type: 'tiny', width: 4 }, {});
  const f = cachedFeatures(backbone, { train: new VideoClipSource({ ...opts, split: train }), test: new VideoClipSource({ ...opts, split: testSplit }) });
  try {
    const a = await f('test', { clips: 2, perClip: true });
    const b = await f('test', { clips: 2, perClip: true });
    assert.is(a, b);
    assert.equal(a.features.shape, [6, 32]);
    assert.equal([...a.video], [0, 0, 1, 1, 2, 2]);
    const v = await f('test', { clips: 2, perClip: false });
    assert.equal(v.features.shape, [3, 32]);
    // The per-video row is the mean of its clips' rows.
    const pc = await a.features.data();
    const pv = await v.features.data();
    assertClose(pv.slice(0, 32), Array.from({ length: 32 }, (_, d) => (pc[d] + pc[32 + d]) / 2), 1e-5, 1e-6);
    await f.dispose();
    assert.ok(a.features.disposed && v.features.disposed);
  } finally {
    backbone.dispose();
  }
});

test('examples/pretrain.ts ends with kNN + linear probe of the pretrained and the random-init backbone; --no-eval skips it', () => {
  const run = (out: string, extra: string[]) => {
    const args = ['--steps', '2', '--batch-size', '3', '--out', out, '--no-progress', '--checkpoint-every', '0', '--objective', 'none', '--tasks', 'speed',
      '--set', `data.synthetic=${JSON.stringify(SYN)}`, '--set', `evaluation.heldOut=${JSON.stringify(HELD_OUT)}`, '--set', 'evaluation.stride=2', '--set', 'data.size=32', '--set', 'backbone.width=4', ...extra];
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'examples/pretrain.ts'), ...args], { cwd: root, encoding: 'utf8', timeout: 300_000, env: { ...process.env, FORCE_COLOR: '0' } });
    return { code: r.status, out: r.stdout ?? '', err: r.stderr ?? '' };
  };
  const out = join(tmp, 'run');
  const r = run(out, []);
  assert.is(r.code, 0, `${r.out}\n${r.err}`);
  assert.match(r.out, /evaluation: kNN \+ linear probe on the 3 synthetic motion classes \(9 train \/ 3 test videos, none of them pretrained on; centre clip at rate 2\)/);
  // The evaluation videos are the held-out set's, not the pretraining set's.
  const pretrainRoot = /^data: synthetic, .* in (\S+)$/m.exec(r.out)?.[1];
  const heldOutRoot = /^eval data: synthetic held-out set, 9 train \/ 3 test videos of 24 frames \(seed 7\) in (\S+)$/m.exec(r.out)?.[1];
  assert.ok(pretrainRoot && heldOutRoot && pretrainRoot !== heldOutRoot, r.out);
  assert.match(r.out, /random init\s+pretrained\s+difference/);
  assert.match(r.out, /knn k20_top1\s+[\d.]+%\s+[\d.]+%\s+[+-][\d.]+/);
  assert.match(r.out, /linear top1/);
  const ev = JSON.parse(readFileSync(join(out, 'eval.json'), 'utf8')) as { table: { metric: string; difference: number }[]; pretrained: EvalResult[]; random: EvalResult[] };
  assert.equal(ev.pretrained.map((x) => x.protocol), ['knn', 'linear']);
  for (let i = 0; i < 2; i++) assert.is(ev.pretrained[i].comparableKey, ev.random[i].comparableKey, 'same protocol, settings and data');
  assert.is(ev.random[0].provenance.checkpoint.kind, 'random-init');
  const ckpt = join(out, 'checkpoints', 'step-00000002.safetensors');
  assert.is(ev.pretrained[0].provenance.checkpoint.sha256, createHash('sha256').update(readFileSync(ckpt)).digest('hex'));
  assert.is(ev.pretrained[0].provenance.checkpoint.step, 2);
  assert.is.not(ev.pretrained[0].provenance.weightsSha256, ev.random[0].provenance.weightsSha256);
  assert.ok(ev.table.length >= 4 && ev.table.every((t) => Number.isFinite(t.difference)));
  // examples/evaluate.ts on the run folder measures the same thing: same key, same weights, same numbers.
  const again = evaluate(['--checkpoint', out, '--data', 'synthetic', '--protocol', 'knn', '--out', join(tmp, 'again.json')]);
  assert.is(again.code, 0, again.err);
  const k = JSON.parse(readFileSync(join(tmp, 'again.json'), 'utf8')) as EvalResult;
  assert.is(k.comparableKey, ev.pretrained[0].comparableKey);
  assert.is(k.provenance.weightsSha256, ev.pretrained[0].provenance.weightsSha256);
  assert.is(k.provenance.checkpoint.sha256, ev.pretrained[0].provenance.checkpoint.sha256);
  assert.equal(k.metrics, ev.pretrained[0].metrics);
  const skip = run(join(tmp, 'run-no-eval'), ['--no-eval']);
  assert.is(skip.code, 0, skip.err);
  assert.not.match(skip.out, /evaluation:/);
  assert.not.ok(existsSync(join(tmp, 'run-no-eval', 'eval.json')));
  // A held-out seed equal to the pretraining set's would evaluate on pretraining videos: refused before work starts.
  const same = run(join(tmp, 'run-same-seed'), ['--set', 'evaluation.heldOut.seed=0']);
  assert.is(same.code, 2, same.out);
  assert.match(same.err, /evaluation\.heldOut\.seed \(0\) equals data\.synthetic\.seed/);
  assert.not.match(same.out, /^data:/m);
});

test('teardown', () => {
  rmSync(tmp, { recursive: true, force: true });
});

test.run();
