// Clip sampling: T frames at a playback rate (stride) s from a video of L frames.
//
// A clip is a window of the *sampled timeline* p_m = start + floor(m·s): its frames are
// p_0 … p_{T-1}. Integer strides give start, start+s, start+2s, …; fractional strides (continuous
// playback rates) pick floor(m·s), so frames stay on the integer grid.
//
// Videos shorter than the clip's span ((T-1)·s + 1 frames) loop: positions past the end wrap to
// the start (frame = position mod L), which fills T frames from any video with at least one frame.
// This is the reference method's handling of short videos.
import type { Random } from '../random.ts';

export interface ClipOptions {
  /** Frames per clip (T). */
  clipLength: number;
  /** Playback rate: distance between consecutive sampled frames (default 1). May be fractional. */
  stride?: number;
}

export interface Clip {
  /** Frame indices into the video, in clip order (length T). Repeated when the video loops. */
  frames: number[];
  /** Positions on the unwrapped timeline (frames = positions mod L). */
  positions: number[];
  /** First position. */
  start: number;
  stride: number;
  /** True when the clip needed looping (the video is shorter than the clip's span). */
  wrapped: boolean;
}

/** Number of frames a clip covers from its first to its last sampled frame: floor((T-1)·s) + 1. */
export function clipSpan(clipLength: number, stride = 1): number {
  return Math.floor((clipLength - 1) * stride) + 1;
}

function check(length: number, o: ClipOptions): number {
  const stride = o.stride ?? 1;
  if (!Number.isInteger(length) || length < 1) throw new Error(`clip sampler: the video needs at least one frame (length ${length})`);
  if (!Number.isInteger(o.clipLength) || o.clipLength < 1) throw new Error(`clip sampler: clipLength must be a positive integer, got ${o.clipLength}`);
  if (!(stride > 0) || !Number.isFinite(stride)) throw new Error(`clip sampler: stride must be a positive number, got ${stride}`);
  return stride;
}

/** The clip of T frames at stride s whose first sampled position is `start` (loops past the end). */
export function clipAt(length: number, start: number, o: ClipOptions): Clip {
  const stride = check(length, o);
  const positions = new Array<number>(o.clipLength);
  for (let m = 0; m < o.clipLength; m++) positions[m] = start + Math.floor(m * stride);
  const frames = positions.map((p) => ((p % length) + length) % length);
  return { frames, positions, start, stride, wrapped: positions[positions.length - 1] >= length || start < 0 };
}

/**
 * A random clip: the start is uniform over the positions where the whole clip fits; when the
 * video is shorter than the clip's span, the start is uniform over [0, L) and the clip loops.
 */
export function sampleClip(length: number, o: ClipOptions, rng: Random): Clip {
  const stride = check(length, o);
  const span = clipSpan(o.clipLength, stride);
  const start = span <= length ? rng.int(0, length - span) : rng.int(0, length - 1);
  return clipAt(length, start, o);
}

/**
 * k clips evenly spaced over the video, for multi-clip testing: clip i starts at
 * round(i·(L − span)/(k − 1)) (first clip at the start, last at the end); k = 1 gives the centre
 * clip. Videos shorter than the span give k looping clips from position 0.
 */
export function uniformClips(length: number, o: ClipOptions & { count: number }): Clip[] {
  const stride = check(length, o);
  if (!Number.isInteger(o.count) || o.count < 1) throw new Error(`uniformClips: count must be a positive integer, got ${o.count}`);
  const room = Math.max(0, length - clipSpan(o.clipLength, stride));
  if (o.count === 1) return [clipAt(length, Math.floor(room / 2), o)];
  return Array.from({ length: o.count }, (_, i) => clipAt(length, Math.round((i * room) / (o.count - 1)), o));
}

/** The centre clip (uniformClips with count 1). */
export function centreClip(length: number, o: ClipOptions): Clip {
  return uniformClips(length, { ...o, count: 1 })[0];
}
