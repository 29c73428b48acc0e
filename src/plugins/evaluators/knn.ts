// Nearest neighbours by cosine similarity (one matmul of L2-normalised features on the GPU, one
// readback per chunk of queries, top-k selection on the CPU), and the kNN classifier's weighted
// voting (InstDisc / DINO): each of the k nearest training samples votes for its class with weight
// exp(sim / T).
import { F, noGrad, type Tensor } from '../../engine/index.ts';

/** The k nearest bank rows of each query, row-major [queries, k], most similar first. */
export interface Neighbours {
  k: number;
  queries: number;
  /** Bank row indices. Equal similarities keep the lower bank index first. */
  index: Int32Array;
  /** Cosine similarities. */
  sim: Float32Array;
}

export interface NeighbourOptions {
  /** The features are already L2-normalised (skip normalising them again). */
  normalized?: boolean;
  /** Largest similarity block read back at once, in elements (default 2^24 = 64 MiB). */
  chunkElements?: number;
}

/**
 * For each query row, its k nearest rows of `bank` by cosine similarity (k is capped at the bank
 * size). The similarity matrix is computed on the GPU (queries in chunks so that a block stays
 * under `chunkElements`), one readback per chunk; the top-k selection runs on the CPU.
 */
export async function nearestNeighbours(query: Tensor, bank: Tensor, k: number, o: NeighbourOptions = {}): Promise<Neighbours> {
  if (query.rank !== 2 || bank.rank !== 2 || query.shape[1] !== bank.shape[1]) {
    throw new Error(`nearestNeighbours: expected [Q, D] queries and [N, D] bank, got [${query.shape.join(', ')}] and [${bank.shape.join(', ')}]`);
  }
  const [Q] = query.shape;
  const N = bank.shape[0];
  if (N < 1) throw new Error('nearestNeighbours: empty bank');
  if (!Number.isInteger(k) || k < 1) throw new Error(`nearestNeighbours: k must be a positive integer, got ${k}`);
  const K = Math.min(k, N);
  const index = new Int32Array(Q * K);
  const sim = new Float32Array(Q * K);
  const chunk = Math.max(1, Math.floor((o.chunkElements ?? 1 << 24) / N));
  const qn = o.normalized ? query : noGrad(() => F.normalize(query, { dim: 1 }));
  const bn = o.normalized ? bank : noGrad(() => F.normalize(bank, { dim: 1 }));
  try {
    const bt = bn.transpose(0, 1);
    try {
      for (let a = 0; a < Q; a += chunk) {
        const b = Math.min(Q, a + chunk);
        const s = noGrad(() => {
          const q = qn.slice(0, a, b);
          const m = q.matmul(bt);
          q.dispose();
          return m;
        });
        let values: Float32Array;
        try {
          values = (await s.data()) as Float32Array;
        } finally {
          s.dispose();
        }
        for (let r = 0; r < b - a; r++) selectTopK(values, r * N, N, K, index, sim, (a + r) * K);
      }
    } finally {
      bt.dispose();
    }
  } finally {
    if (qn !== query) qn.dispose();
    if (bn !== bank) bn.dispose();
  }
  return { k: K, queries: Q, index, sim };
}

/** Top-K of row[off … off+n) into out*[outOff … outOff+K), descending, ties by lower index; NaN skipped. */
export function selectTopK(row: ArrayLike<number>, off: number, n: number, K: number, outIdx: Int32Array, outSim: Float32Array, outOff: number): void {
  let count = 0;
  for (let j = 0; j < n; j++) {
    const v = row[off + j];
    if (Number.isNaN(v)) continue;
    let pos: number;
    if (count < K) pos = count++;
    else if (v > outSim[outOff + K - 1]) pos = K - 1;
    else continue;
    while (pos > 0 && outSim[outOff + pos - 1] < v) {
      outSim[outOff + pos] = outSim[outOff + pos - 1];
      outIdx[outOff + pos] = outIdx[outOff + pos - 1];
      pos--;
    }
    outSim[outOff + pos] = v;
    outIdx[outOff + pos] = j;
  }
  for (let j = count; j < K; j++) {
    outSim[outOff + j] = Number.NEGATIVE_INFINITY;
    outIdx[outOff + j] = -1;
  }
}

/**
 * Class scores of one query from its neighbours (most similar first): the first k each add
 * exp(sim / temperature) to their class.
 */
export function weightedVote(sims: ArrayLike<number>, labels: ArrayLike<number>, k: number, numClasses: number, temperature: number): Float64Array {
  const scores = new Float64Array(numClasses);
  const n = Math.min(k, sims.length);
  for (let i = 0; i < n; i++) {
    const c = labels[i];
    if (c < 0 || c >= numClasses || !Number.isFinite(sims[i])) continue;
    scores[c] += Math.exp(sims[i] / temperature);
  }
  return scores;
}

/**
 * The rank of `label` when classes are ordered by score (higher first, equal scores by lower class
 * index): 0 = top-1. A class with no score (no votes, ≤ 0) is never ranked: Infinity.
 */
export function classRank(scores: ArrayLike<number>, label: number): number {
  const s = scores[label];
  if (!(s > 0)) return Number.POSITIVE_INFINITY;
  let rank = 0;
  for (let c = 0; c < scores.length; c++) if (scores[c] > s || (scores[c] === s && c < label)) rank++;
  return rank;
}

export interface KnnOptions {
  /** Neighbour counts to evaluate (each capped at the train size). */
  ks: readonly number[];
  temperature: number;
  numClasses: number;
  chunkElements?: number;
}

export interface KnnScore {
  /** k as requested. */
  k: number;
  /** k used (min(k, train size)). */
  kEffective: number;
  top1: number;
  top5: number;
}

/**
 * Weighted kNN classification of the test rows against the train rows: cosine similarity of
 * L2-normalised features, the k nearest vote with exp(sim / T), top-1 / top-5 of the class scores.
 */
export async function knnClassify(
  train: { features: Tensor; labels: ArrayLike<number> },
  test: { features: Tensor; labels: ArrayLike<number> },
  o: KnnOptions,
): Promise<KnnScore[]> {
  if (o.ks.length === 0) throw new Error('knnClassify: no k given');
  if (!(o.temperature > 0)) throw new Error(`knnClassify: temperature must be positive, got ${o.temperature}`);
  const N = train.features.shape[0];
  const Kmax = Math.min(N, Math.max(...o.ks));
  const nb = await nearestNeighbours(test.features, train.features, Kmax, { chunkElements: o.chunkElements });
  const Q = nb.queries;
  const K = nb.k;
  const nbLabels = new Int32Array(K);
  const nbSims = new Float32Array(K);
  const out: KnnScore[] = o.ks.map((k) => ({ k, kEffective: Math.min(k, N), top1: 0, top5: 0 }));
  for (let q = 0; q < Q; q++) {
    for (let j = 0; j < K; j++) {
      const idx = nb.index[q * K + j];
      nbLabels[j] = idx >= 0 ? train.labels[idx] : -1;
      nbSims[j] = nb.sim[q * K + j];
    }
    for (const s of out) {
      const rank = classRank(weightedVote(nbSims, nbLabels, s.kEffective, o.numClasses, o.temperature), test.labels[q]);
      if (rank < 1) s.top1++;
      if (rank < 5) s.top5++;
    }
  }
  for (const s of out) {
    s.top1 /= Math.max(1, Q);
    s.top5 /= Math.max(1, Q);
  }
  return out;
}
