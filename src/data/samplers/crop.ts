// Crop boxes on the integer pixel grid and torchvision's RandomResizedCrop parameter draw.
import type { Random } from '../random.ts';

/** A crop box in frame pixels: columns x … x+w-1, rows y … y+h-1. */
export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface ResizedCropOptions {
  /** Range of the crop's area as a fraction of the frame's (default [0.08, 1], torchvision's). */
  scale?: readonly [number, number];
  /** Range of the crop's aspect ratio w/h, drawn log-uniformly (default [3/4, 4/3]). */
  ratio?: readonly [number, number];
  /** Draws before falling back to a centre crop (default 10, torchvision's). */
  attempts?: number;
}

/** Area of the intersection of two boxes, in pixels. */
export function intersectionArea(a: Box, b: Box): number {
  const w = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0;
}

/** True when the box lies inside a width × height frame and is non-empty. */
export function boxInside(b: Box, width: number, height: number): boolean {
  return Number.isInteger(b.x) && Number.isInteger(b.y) && Number.isInteger(b.w) && Number.isInteger(b.h) &&
    b.w >= 1 && b.h >= 1 && b.x >= 0 && b.y >= 0 && b.x + b.w <= width && b.y + b.h <= height;
}

function checkRange(name: string, r: readonly [number, number], lo: number): void {
  if (!(r[0] > lo) || !(r[1] >= r[0]) || !Number.isFinite(r[1])) throw new Error(`${name} must be a range [a, b] with ${lo} < a <= b, got [${r}]`);
}

/**
 * Draws a crop size (w, h) the way torchvision's RandomResizedCrop.get_params does: area uniform in
 * scale·W·H, aspect log-uniform in `ratio`, rounded; accepted when it fits (and `accept` agrees).
 * Returns null when every attempt was rejected.
 */
export function drawCropSize(rng: Random, width: number, height: number, o: ResizedCropOptions, accept?: (w: number, h: number) => boolean): { w: number; h: number } | null {
  const scale = o.scale ?? [0.08, 1];
  const ratio = o.ratio ?? [3 / 4, 4 / 3];
  checkRange('scale', scale, 0);
  checkRange('ratio', ratio, 0);
  const area = width * height;
  const logLo = Math.log(ratio[0]);
  const logHi = Math.log(ratio[1]);
  for (let i = 0; i < (o.attempts ?? 10); i++) {
    const target = area * rng.uniform(scale[0], scale[1]);
    const aspect = Math.exp(rng.uniform(logLo, logHi));
    const w = Math.round(Math.sqrt(target * aspect));
    const h = Math.round(Math.sqrt(target / aspect));
    if (w > 0 && w <= width && h > 0 && h <= height && (!accept || accept(w, h))) return { w, h };
  }
  return null;
}

/** torchvision's fallback: the largest centred crop whose aspect lies in `ratio`. */
export function fallbackCropSize(width: number, height: number, ratio: readonly [number, number] = [3 / 4, 4 / 3]): { w: number; h: number } {
  const inRatio = width / height;
  if (inRatio < ratio[0]) return { w: width, h: Math.max(1, Math.min(height, Math.round(width / ratio[0]))) };
  if (inRatio > ratio[1]) return { w: Math.max(1, Math.min(width, Math.round(height * ratio[1]))), h: height };
  return { w: width, h: height };
}

/** torchvision's RandomResizedCrop box for a width × height frame (position uniform). */
export function sampleResizedCrop(rng: Random, width: number, height: number, o: ResizedCropOptions = {}): Box {
  if (!(width >= 1 && height >= 1)) throw new Error(`sampleResizedCrop: bad frame size ${width}×${height}`);
  const size = drawCropSize(rng, width, height, o);
  if (size) return { x: rng.int(0, width - size.w), y: rng.int(0, height - size.h), ...size };
  const f = fallbackCropSize(width, height, o.ratio);
  return { x: Math.floor((width - f.w) / 2), y: Math.floor((height - f.h) / 2), ...f };
}
