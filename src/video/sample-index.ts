// The per-file sample index: everything random access needs, built once by a demuxer (reading only
// metadata) and cached in memory; plain JSON, so it can be saved next to a dataset and reloaded.
import type { Container } from './sniff.ts';

export const SAMPLE_INDEX_VERSION = 1;

export interface SampleIndex {
  version: typeof SAMPLE_INDEX_VERSION;
  container: Container;
  /** Container format as the demuxer names it ('MP4', 'Matroska', 'WebM', …). */
  format: string;
  /** WebCodecs codec string, e.g. 'avc1.64001e'. */
  codec: string;
  /** Decoder configuration record (avcC, hvcC, av1C…) in base64, when the codec has one. */
  description?: string;
  /** Frame size (the visible rectangle of decoded frames). */
  width: number;
  height: number;
  /** Coded size when the container states it. */
  codedWidth: number;
  codedHeight: number;
  fps: number;
  /** Seconds from the first to the end of the last presented frame. */
  duration: number;
  /** Per sample, in decode order: presentation time in microseconds (edit list applied). */
  pts: number[];
  /** Decode-order indices of the key (sync) samples, ascending. */
  keys: number[];
  /** Per sample: byte offset in the file (-1 where the demuxer reads by timestamp, e.g. Matroska). */
  offset: number[];
  /** Per sample: size in bytes. */
  size: number[];
  /** Per sample, Matroska only: the demuxer's own timestamp in seconds (used to find the packet). */
  ts?: number[];
  /** Presentation order: frame i is decode-order sample order[i]. Samples never presented are absent. */
  order: number[];
}

/** Checks a deserialised index (from a cache file) well enough to use it safely. */
export function validateIndex(x: unknown, what: string): SampleIndex {
  const i = x as SampleIndex;
  const ok = !!i && i.version === SAMPLE_INDEX_VERSION && typeof i.codec === 'string' && Array.isArray(i.pts) && Array.isArray(i.keys) &&
    Array.isArray(i.offset) && Array.isArray(i.size) && Array.isArray(i.order) && i.pts.length === i.offset.length &&
    i.pts.length === i.size.length && i.order.every((d) => Number.isInteger(d) && d >= 0 && d < i.pts.length) && i.keys.length > 0;
  if (!ok) throw new Error(`${what}: not a valid sample index (version ${SAMPLE_INDEX_VERSION})`);
  return i;
}

const cache = new Map<string, SampleIndex>();
const MAX_CACHED = 100_000;

/** The cached index of a source, if one was built or imported. */
export function cachedIndex(id: string): SampleIndex | undefined {
  return cache.get(id);
}

export function cacheIndex(id: string, index: SampleIndex): void {
  if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value as string);
  cache.set(id, index);
}

/** The whole in-memory cache as JSON-ready data (keys are ByteSource ids). */
export function exportIndexCache(): Record<string, SampleIndex> {
  return Object.fromEntries(cache);
}

/** Loads indexes saved by exportIndexCache (entries that fail validation are skipped). Returns how many. */
export function importIndexCache(data: Record<string, unknown>): number {
  let n = 0;
  for (const [id, v] of Object.entries(data)) {
    try {
      cacheIndex(id, validateIndex(v, id));
      n++;
    } catch {
      // a stale or foreign entry: it will be rebuilt on demand
    }
  }
  return n;
}

export function clearIndexCache(): void {
  cache.clear();
}

/** Presentation order and frame rate from per-sample times; `presented(d)` filters samples out. */
export function finishIndex(pts: number[], durationUs: number[], presented: (d: number) => boolean): { order: number[]; fps: number; duration: number } {
  const order = pts.map((_, d) => d).filter(presented);
  order.sort((a, b) => pts[a] - pts[b] || a - b);
  const n = order.length;
  let fps = 0;
  if (n >= 2) {
    const span = pts[order[n - 1]] - pts[order[0]];
    fps = span > 0 ? ((n - 1) * 1e6) / span : 0;
  }
  if (!(fps > 0) && n > 0 && durationUs[order[0]] > 0) fps = 1e6 / durationUs[order[0]];
  const last = n ? order[n - 1] : -1;
  const duration = n ? (pts[last] + Math.max(0, durationUs[last] || (fps ? 1e6 / fps : 0)) - pts[order[0]]) / 1e6 : 0;
  return { order, fps: Math.round(fps * 1000) / 1000, duration: Math.round(duration * 1e6) / 1e6 };
}

export function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

export function fromBase64(b64: string): Uint8Array {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}
