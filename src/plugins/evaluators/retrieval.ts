// Clip retrieval (the VCOP / IIC / PCL protocol): each test clip queries every train clip by
// cosine similarity; a query is a hit at k when any of its k nearest train clips has its class.
import type { Tensor } from '../../engine/index.ts';
import { nearestNeighbours, type Neighbours } from './knn.ts';

export interface RecallScore {
  k: number;
  /** min(k, bank size). */
  kEffective: number;
  recall: number;
}

/** recall@k from neighbour lists: the fraction of queries with their class among the first k neighbours. */
export function recallFromNeighbours(nb: Neighbours, bankLabels: ArrayLike<number>, queryLabels: ArrayLike<number>, ks: readonly number[]): RecallScore[] {
  const K = nb.k;
  // First position (0-based) of a neighbour of the query's class, or Infinity.
  const first = new Float64Array(nb.queries).fill(Number.POSITIVE_INFINITY);
  for (let q = 0; q < nb.queries; q++) {
    for (let j = 0; j < K; j++) {
      const idx = nb.index[q * K + j];
      if (idx >= 0 && bankLabels[idx] === queryLabels[q]) {
        first[q] = j;
        break;
      }
    }
  }
  return ks.map((k) => {
    const kEffective = Math.min(k, K);
    let hits = 0;
    for (let q = 0; q < nb.queries; q++) if (first[q] < kEffective) hits++;
    return { k, kEffective, recall: hits / Math.max(1, nb.queries) };
  });
}

/** recall@k of test rows against train rows (features of any scale: normalised here). */
export async function retrievalRecall(
  train: { features: Tensor; labels: ArrayLike<number> },
  test: { features: Tensor; labels: ArrayLike<number> },
  ks: readonly number[],
  o: { chunkElements?: number } = {},
): Promise<RecallScore[]> {
  if (ks.length === 0) throw new Error('retrievalRecall: no k given');
  const nb = await nearestNeighbours(test.features, train.features, Math.max(...ks), { chunkElements: o.chunkElements });
  return recallFromNeighbours(nb, train.labels, test.labels, ks);
}
