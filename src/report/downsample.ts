// Aggregating a per-step series for charts: at most `maxPoints` buckets of consecutive steps, each
// with its mean, min and max (so the min–max band keeps every extreme of the raw series), plus a
// trailing rolling mean over the raw values evaluated at the bucket's last step. Platform-neutral.

/** One raw point; `value` may be null or non-finite (a NaN loss is logged as null): it is skipped. */
export interface SeriesPoint {
  step: number;
  value: number | null | undefined;
}

export interface AggregatedPoint {
  /** The last step of the bucket (the x of the point). */
  step: number;
  /** The first step of the bucket. */
  stepFrom: number;
  /** Finite values in the bucket. */
  count: number;
  mean: number;
  min: number;
  max: number;
  /** Trailing mean of the last `window` finite raw values up to `step`. */
  smooth: number;
}

export interface AggregateOptions {
  /** Most buckets (default 600). */
  maxPoints?: number;
  /** Rolling-mean window in raw points (default: about 2% of the series, at least 1). */
  window?: number;
}

export const DEFAULT_MAX_POINTS = 600;

/** The default rolling-mean window for a series of `n` points. */
export function defaultWindow(n: number): number {
  return Math.max(1, Math.round(n / 50));
}

export function isFiniteNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/**
 * Buckets `points` (sorted by step) into at most `maxPoints` runs of consecutive points. Buckets
 * with no finite value are left out (a gap). With `points.length <= maxPoints` every point is its
 * own bucket (mean = min = max = the value).
 */
export function aggregateSeries(points: readonly SeriesPoint[], opts: AggregateOptions = {}): AggregatedPoint[] {
  const maxPoints = Math.max(1, Math.floor(opts.maxPoints ?? DEFAULT_MAX_POINTS));
  const finite = points.filter((p) => isFiniteNumber(p.value)) as { step: number; value: number }[];
  const n = finite.length;
  if (n === 0) return [];
  const window = Math.max(1, Math.floor(opts.window ?? defaultWindow(n)));
  // Prefix sums for the rolling mean (O(n)), of the offsets from the first value: a constant stretch
  // then averages to exactly its value instead of picking up rounding noise from a long sum.
  const ref = finite[0].value;
  const prefix = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) prefix[i + 1] = prefix[i] + (finite[i].value - ref);
  const size = Math.ceil(n / maxPoints);
  const out: AggregatedPoint[] = [];
  for (let start = 0; start < n; start += size) {
    const end = Math.min(n, start + size); // exclusive
    let min = Infinity;
    let max = -Infinity;
    let sum = 0; // offsets from `ref` summed here: a bucket of one point, or of equal values, has exactly that mean
    for (let i = start; i < end; i++) {
      const v = finite[i].value;
      sum += v - ref;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    const lo = Math.max(0, end - window);
    out.push({
      step: finite[end - 1].step,
      stepFrom: finite[start].step,
      count: end - start,
      mean: end - start === 1 ? min : Math.min(max, Math.max(min, ref + sum / (end - start))),
      min,
      max,
      smooth: end - lo === 1 ? finite[end - 1].value : ref + (prefix[end] - prefix[lo]) / (end - lo),
    });
  }
  return out;
}
