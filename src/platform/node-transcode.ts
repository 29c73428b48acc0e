// Node only: transcodes any video FFmpeg can read (AVI/MPEG-4 Part 2 as UCF101 and HMDB51 ship,
// raw .m4v elementary streams, MKV, MOV, …) to H.264 MP4 that the WebCodecs reader takes, with
// node-av (FFmpeg's libraries, an optional dependency; its prebuilt native binding comes from the
// platform package and needs no install script). Used by examples/prepare-dataset.ts.
//
// Every decoded frame is kept (no frame-rate conversion): frames are renumbered at a constant rate,
// so the output has exactly the frames FFmpeg decodes from the input. The output is written to a
// temporary name and renamed when complete, so a crash never leaves a half-written file behind.
import { rename, rm, mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Demuxer, Muxer, Decoder, Encoder, FilterAPI } from 'node-av/api';
import type { Packet, Frame } from 'node-av/lib';

export interface TranscodeOptions {
  /** Scale so the shorter side has this many pixels (even sizes); 0 keeps the size (rounded to even). */
  shortSide?: number;
  /** Key-frame interval in frames (default 16): random access decodes at most this many extra frames. */
  gop?: number;
  /** x264 constant rate factor (default 20: visually lossless at these sizes). */
  crf?: number;
  /** x264 preset (default 'veryfast'). */
  preset?: string;
  /** Threads of the encoder (default 1; parallelism comes from running several files). */
  threads?: number;
  /** Called after each frame with the count so far. */
  onFrame?: (frames: number) => void;
}

export interface TranscodeResult {
  frames: number;
  width: number;
  height: number;
  fps: number;
  /** The input's decoder, e.g. 'mpeg4'. */
  inputCodec: string;
}

type NodeAv = typeof import('node-av/api') & typeof import('node-av/constants') & { Codec: typeof import('node-av/lib').Codec; Log: typeof import('node-av/lib').Log };

let nodeAv: Promise<NodeAv> | null = null;

/** node-av's API, or an error that names the package and how to install it. */
export function loadNodeAv(): Promise<NodeAv> {
  return (nodeAv ??= (async () => {
    polyfillPromiseWithResolvers(); // node-av targets Node 22; its demuxer uses Promise.withResolvers
    try {
      const [api, constants, lib] = await Promise.all([import('node-av/api'), import('node-av/constants'), import('node-av/lib')]);
      const av = { ...api, ...constants, Codec: lib.Codec, Log: lib.Log } as NodeAv;
      av.Log.setLevel(av.AV_LOG_QUIET); // errors reach the caller as exceptions; see setFfmpegLogLevel
      return av;
    } catch (err) {
      nodeAv = null;
      throw new Error(`the optional dependency \`node-av\` (FFmpeg for Node) is not available: ${(err as Error).message.split('\n')[0]}. ` +
        'Install it with `npm install node-av` (its prebuilt binary comes from @seydx/node-av-<platform>-<arch>).');
    }
  })());
}

/** FFmpeg's own log output (default 'quiet'). */
export async function setFfmpegLogLevel(level: 'quiet' | 'error' | 'warning' | 'info'): Promise<void> {
  const av = await loadNodeAv();
  const map = { quiet: av.AV_LOG_QUIET, error: av.AV_LOG_ERROR, warning: av.AV_LOG_WARNING, info: av.AV_LOG_INFO };
  av.Log.setLevel(map[level]);
}

function polyfillPromiseWithResolvers(): void {
  const P = Promise as unknown as { withResolvers?: unknown };
  if (typeof P.withResolvers === 'function') return;
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    value<T>() {
      let resolve!: (v: T | PromiseLike<T>) => void;
      let reject!: (e: unknown) => void;
      const promise = new Promise<T>((a, b) => {
        resolve = a;
        reject = b;
      });
      return { promise, resolve, reject };
    },
  });
}

function even(n: number): number {
  return Math.max(2, 2 * Math.round(n / 2));
}

export function outputSize(w: number, h: number, shortSide: number): [number, number] {
  if (!shortSide) return [even(w), even(h)];
  if (w <= h) return [even(shortSide), even((h * shortSide) / w)];
  return [even((w * shortSide) / h), even(shortSide)];
}

/** Transcodes `src` to H.264 MP4 at `dst`. Throws an Error naming `src` and the reason. */
export async function transcodeToMp4(src: string, dst: string, opts: TranscodeOptions = {}): Promise<TranscodeResult> {
  const av = await loadNodeAv();
  const gop = opts.gop ?? 16;
  const tmp = `${dst}.part-${process.pid}-${Math.random().toString(36).slice(2, 8)}.mp4`;
  await mkdir(dirname(dst), { recursive: true });
  const fail = (why: string) => new Error(`${src}: ${why}`);
  let input: Demuxer | undefined;
  let output: Muxer | undefined;
  let decoder: Decoder | undefined;
  let encoder: Encoder | undefined;
  let filter: FilterAPI | undefined;
  try {
    try {
      input = await av.Demuxer.open(src);
    } catch (err) {
      throw fail(`FFmpeg cannot open it (${(err as Error).message})`);
    }
    const stream = input.video();
    if (!stream) throw fail('no video stream');
    const par = stream.codecpar;
    const inputCodec = av.Codec.findDecoder(par.codecId)?.name ?? `codec id ${par.codecId}`;
    try {
      decoder = await av.Decoder.create(stream);
    } catch (err) {
      throw fail(`FFmpeg has no decoder for ${inputCodec} (${(err as Error).message})`);
    }
    const rate = [stream.avgFrameRate, stream.rFrameRate].find((r) => r && r.num > 0 && r.den > 0 && r.num / r.den < 1000);
    const fpsNum = rate?.num ?? 25;
    const fpsDen = rate?.den ?? 1;
    const [w, h] = outputSize(par.width, par.height, opts.shortSide ?? 128);
    if (!par.width || !par.height) throw fail('the video stream has no frame size');
    filter = av.FilterAPI.create(`scale=${w}:${h}:flags=bicubic,format=yuv420p,setsar=1`, { threads: 1 } as never);
    encoder = await av.Encoder.create(av.FF_ENCODER_LIBX264, {
      timeBase: { num: fpsDen, den: fpsNum },
      frameRate: { num: fpsNum, den: fpsDen },
      context: { gopSize: gop, threadCount: opts.threads ?? 1 },
      options: {
        preset: opts.preset ?? 'veryfast',
        crf: opts.crf ?? 20,
        'x264-params': `keyint=${gop}:min-keyint=${gop}:scenecut=0:open-gop=0`,
      },
    } as never);
    output = await av.Muxer.open(tmp, { format: 'mp4', options: { movflags: '+faststart' } } as never);
    const outIndex = output.addStream(encoder);
    let frames = 0;
    const write = async (packets: AsyncIterable<Packet | null> | Iterable<Packet>) => {
      for await (const pkt of packets) {
        if (!pkt) continue;
        await output!.writePacket(pkt, outIndex);
        pkt.free();
      }
    };
    const encodeFrame = async (frame: Frame | null) => {
      const filtered = await filter!.processAll(frame);
      for (const f of filtered) {
        f.pts = BigInt(frames++);
        f.timeBase = { num: fpsDen, den: fpsNum } as never;
        await write(await encoder!.encodeAll(f));
        f.free();
        opts.onFrame?.(frames);
      }
    };
    try {
      for await (const packet of input.packets(stream.index)) {
        const decoded = await decoder.decodeAll(packet);
        for (const frame of decoded) {
          await encodeFrame(frame);
          frame.free();
        }
        packet?.free();
      }
      for (const frame of await decoder.decodeAll(null)) {
        await encodeFrame(frame);
        frame.free();
      }
      await encodeFrame(null);
      await write(await encoder.encodeAll(null));
    } catch (err) {
      if ((err as Error).message.startsWith(src)) throw err;
      throw fail(`transcoding failed after ${frames} frames: ${(err as Error).message}`);
    }
    if (frames === 0) throw fail('FFmpeg decoded zero frames');
    await output.close();
    output = undefined;
    await rename(tmp, dst);
    return { frames, width: w, height: h, fps: fpsNum / fpsDen, inputCodec };
  } finally {
    try {
      await output?.close();
    } catch {
      // already failing
    }
    filter?.close();
    encoder?.close();
    decoder?.close();
    await input?.close().catch(() => {});
    await rm(tmp, { force: true });
  }
}

/** True when `dst` exists, is non-empty and not older than `src` (a finished earlier run). */
export async function upToDate(src: string, dst: string): Promise<boolean> {
  try {
    const [s, d] = await Promise.all([stat(src), stat(dst)]);
    return d.size > 0 && d.mtimeMs >= s.mtimeMs;
  } catch {
    return false;
  }
}
