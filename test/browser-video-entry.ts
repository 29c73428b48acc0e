// Browser side of test/browser-video.test.ts (bundled by test/browser/harness.ts): the same
// src/video code as in Node, on Chromium's own WebCodecs VideoDecoder and WebGPU.
import * as engine from '../src/engine/index.ts';
import { openVideo, blobSource, framesToClip, type ClipOptions } from '../src/video/index.ts';

function fromBase64(b64: string): Uint8Array {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

async function probe(): Promise<Record<string, unknown>> {
  const codecs: Record<string, boolean> = {};
  const hasDecoder = typeof VideoDecoder === 'function';
  if (hasDecoder) {
    for (const codec of ['avc1.42001f', 'avc1.64001f', 'vp09.00.10.08', 'av01.0.04M.08', 'hvc1.1.6.L93.B0']) {
      codecs[codec] = !!(await VideoDecoder.isConfigSupported({ codec, codedWidth: 128, codedHeight: 128 }).catch(() => ({ supported: false }))).supported;
    }
  }
  return { hasDecoder, codecs, userAgent: navigator.userAgent };
}

export interface BrowserClip {
  info: Record<string, unknown>;
  indices: number[];
  clip: number[];
  shape: number[];
  frameBytes: number[];
}

async function decodeClip(b64: string, name: string, indices: number[], opts: ClipOptions): Promise<BrowserClip> {
  await engine.init();
  const reader = await openVideo(blobSource(new Blob([fromBase64(b64) as BlobPart]), name), name);
  try {
    const frames = await reader.readFrames(indices);
    const t = framesToClip(frames, opts);
    const clip = Array.from((await t.data()) as Float32Array);
    const shape = [...t.shape];
    t.dispose();
    // a cheap fingerprint of the decoded planes: the sum of bytes per frame
    const frameBytes = frames.map((f) => f.data.reduce((a, b) => a + b, 0));
    return { info: { ...reader.info }, indices: frames.map((f) => f.index), clip, shape, frameBytes };
  } finally {
    await reader.close();
  }
}

async function openError(b64: string, name: string): Promise<string> {
  try {
    const r = await openVideo(blobSource(new Blob([fromBase64(b64) as BlobPart])), name);
    await r.close();
    return '';
  } catch (err) {
    return (err as Error).message;
  }
}

Object.assign(globalThis, { probe, decodeClip, openError });
