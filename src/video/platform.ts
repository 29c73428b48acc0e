// The video side of the platform seam. Browser code never reaches Node modules: they are loaded
// with a dynamic import of a computed specifier, which bundlers leave alone (the same pattern as
// src/engine/device/acquire.ts).
import type { VideoFs } from './fs.ts';

export const isNode = typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node === 'string';

/** The WebCodecs classes src/video uses (the browser's globals, or @napi-rs/webcodecs in Node). */
export interface WebCodecs {
  VideoDecoder: typeof VideoDecoder;
  VideoEncoder: typeof VideoEncoder;
  EncodedVideoChunk: typeof EncodedVideoChunk;
  VideoFrame: typeof VideoFrame;
  /** 'browser' or 'node (@napi-rs/webcodecs)' */
  implementation: string;
}

let webCodecs: Promise<WebCodecs> | null = null;

/** The browser's WebCodecs when it has `VideoDecoder`; in Node, @napi-rs/webcodecs via src/platform. */
export function loadWebCodecs(): Promise<WebCodecs> {
  return (webCodecs ??= (async () => {
    const g = globalThis as unknown as Partial<WebCodecs>;
    if (typeof g.VideoDecoder === 'function' && typeof g.EncodedVideoChunk === 'function') {
      return { VideoDecoder: g.VideoDecoder, VideoEncoder: g.VideoEncoder!, EncodedVideoChunk: g.EncodedVideoChunk, VideoFrame: g.VideoFrame!, implementation: 'browser' };
    }
    if (!isNode) throw new Error('this browser has no WebCodecs VideoDecoder (Chrome/Edge 94+, Firefox 130+, Safari 16.4+ have one)');
    const specifier = '../platform/node-webcodecs.ts';
    try {
      const mod = (await import(/* @vite-ignore */ specifier)) as { nodeWebCodecs(): Promise<WebCodecs> };
      return await mod.nodeWebCodecs();
    } catch (err) {
      webCodecs = null;
      throw new Error(`could not load WebCodecs for Node (the \`@napi-rs/webcodecs\` package): ${(err as Error).message}. Run \`npm install\`.`);
    }
  })());
}

let nodeFs: Promise<VideoFs> | null = null;

/** Node's file system behind the VideoFs interface; in a browser, pass your own VideoFs instead. */
export function defaultFs(): Promise<VideoFs> {
  if (!isNode) return Promise.reject(new Error('no default file system in a browser: pass a VideoFs (see src/video/fs.ts)'));
  return (nodeFs ??= (async () => {
    const specifier = '../platform/node-video-files.ts';
    const mod = (await import(/* @vite-ignore */ specifier)) as { nodeVideoFs: VideoFs };
    return mod.nodeVideoFs;
  })());
}
