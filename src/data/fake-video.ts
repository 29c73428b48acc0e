// A procedural stand-in for src/video's reader, for tests and benchmarks of the data pipeline
// without decoding: `fake:` paths describe a video, and its frames are computed, not decoded.
//
//   fake:NAME?frames=40&w=128&h=96            a 40-frame 128×96 video
//   fake:NAME?frames=40&fail=open             openItem rejects (a file that cannot be opened)
//   fake:NAME?frames=40&fail=read             readFrames rejects (a file that breaks while decoding)
//   fake:NAME?frames=40&delay=20              each readFrames call takes at least 20 ms
//   fake:NAME?frames=40&hang=1                readFrames never settles (a stuck decoder)
//   fake:NAME?frames=40&crash=1               throws from a timer: takes its worker thread down
//
// Frame f of a video is an I420 image whose first luma bytes encode (f, hash(NAME)) so a test can
// check which frame of which video ended up where; the rest is a smooth moving gradient.
// This module is loaded by the loader's workers through `readerModule` (see loader.ts).
import type { VideoReaderLike } from './worker-core.ts';
import { hashKeys } from './random.ts';

export interface FakeSpec {
  name: string;
  frames: number;
  width: number;
  height: number;
  fail?: 'open' | 'read';
  delay: number;
  hang: boolean;
  crash: boolean;
}

export function parseFake(path: string): FakeSpec {
  const m = /^fake:([^?]*)(?:\?(.*))?$/.exec(path);
  if (!m) throw new Error(`${path}: not a fake: path`);
  const q = new URLSearchParams(m[2] ?? '');
  const num = (k: string, d: number) => (q.has(k) ? Number(q.get(k)) : d);
  const fail = q.get('fail');
  return {
    name: m[1],
    frames: num('frames', 32),
    width: num('w', 64),
    height: num('h', 48),
    fail: fail === 'open' || fail === 'read' ? fail : undefined,
    delay: num('delay', 0),
    hang: q.get('hang') === '1',
    crash: q.get('crash') === '1',
  };
}

/** A fake path for the given description. */
export function fakePath(name: string, o: { frames: number; width?: number; height?: number; fail?: 'open' | 'read'; delay?: number; hang?: boolean; crash?: boolean }): string {
  const q = new URLSearchParams({ frames: String(o.frames), w: String(o.width ?? 64), h: String(o.height ?? 48) });
  if (o.fail) q.set('fail', o.fail);
  if (o.delay) q.set('delay', String(o.delay));
  if (o.hang) q.set('hang', '1');
  if (o.crash) q.set('crash', '1');
  return `fake:${name}?${q}`;
}

/** The I420 bytes of frame `index` of a fake video. */
export function fakeFrame(spec: FakeSpec, index: number): Uint8Array {
  const { width: w, height: h } = spec;
  const cw = (w + 1) >> 1;
  const ch = (h + 1) >> 1;
  const data = new Uint8Array(w * h + 2 * cw * ch);
  const tag = hashKeys(spec.name);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[y * w + x] = 16 + ((x * 3 + y * 2 + index * 5 + (tag & 63)) % 220);
  for (let i = 0; i < cw * ch; i++) {
    data[w * h + i] = 128 + (((i + index) % 64) - 32);
    data[w * h + cw * ch + i] = 128 + ((((i >> 2) + (tag & 31)) % 64) - 32);
  }
  // Identification: frame index (16 bits) and the video's tag (16 bits) in the first 4 luma bytes.
  data[0] = index & 255;
  data[1] = (index >> 8) & 255;
  data[2] = tag & 255;
  data[3] = (tag >> 8) & 255;
  return data;
}

/** Reads the (frame index, name tag) a fake frame carries. */
export function fakeFrameId(data: Uint8Array): { index: number; tag: number } {
  return { index: data[0] | (data[1] << 8), tag: data[2] | (data[3] << 8) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The loader's reader entry point for fake: paths. */
export async function openItem(path: string, name: string): Promise<VideoReaderLike> {
  const spec = parseFake(path);
  if (spec.fail === 'open') throw new Error(`${name}: cannot open (fake failure)`);
  let closed = false;
  return {
    info: { name, width: spec.width, height: spec.height, frameCount: spec.frames },
    async readFrames(indices: readonly number[]) {
      if (closed) throw new Error(`${name}: reader closed`);
      if (spec.crash) {
        setTimeout(() => {
          throw new Error(`${name}: fake crash`);
        }, 0);
      }
      if (spec.hang || spec.crash) await new Promise(() => {});
      if (spec.delay) await sleep(spec.delay);
      if (spec.fail === 'read') throw new Error(`${name}: decode error (fake failure)`);
      return indices.map((index) => {
        if (!Number.isInteger(index) || index < 0 || index >= spec.frames) throw new Error(`${name}: frame ${index} out of range [0, ${spec.frames})`);
        return { index, width: spec.width, height: spec.height, format: 'I420' as const, data: fakeFrame(spec, index) };
      });
    },
    async close() {
      closed = true;
    },
  };
}
