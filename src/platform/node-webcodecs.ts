// Node side of the video platform seam: WebCodecs from @napi-rs/webcodecs (FFmpeg statically
// linked, prebuilt per platform). Only src/video/platform.ts loads this file, through a dynamic
// import that bundlers skip, so browser bundles use the browser's own WebCodecs.
import * as wc from '@napi-rs/webcodecs';
import type { WebCodecs } from '../video/platform.ts';

export async function nodeWebCodecs(): Promise<WebCodecs> {
  return {
    // The package implements the W3C interfaces; its declared types differ in detail from lib.dom's.
    VideoDecoder: wc.VideoDecoder as unknown as typeof VideoDecoder,
    VideoEncoder: wc.VideoEncoder as unknown as typeof VideoEncoder,
    EncodedVideoChunk: wc.EncodedVideoChunk as unknown as typeof EncodedVideoChunk,
    VideoFrame: wc.VideoFrame as unknown as typeof VideoFrame,
    implementation: 'node (@napi-rs/webcodecs)',
  };
}
