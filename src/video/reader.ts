// openVideo(): one reading path for Node and browsers, on the WebCodecs API.
//
//   ByteSource ──► demuxer (mp4box for MP4/MOV, mediabunny for Matroska/WebM) ──► SampleIndex (cached)
//              ──► VideoDecoder (browser's, or @napi-rs/webcodecs in Node) ──► I420 DecodedFrames
//
// readFrames(indices) groups the wanted frames into runs that each start at a key frame, reads the
// samples of a run with as few byte-range reads as possible, decodes the run and flushes. Which
// output is which frame: Node's decoder labels outputs with the timestamps of the *inputs* in decode
// order, so outputs are matched to the run's presentation times sorted (output i = i-th smallest);
// where output timestamps are trustworthy (strictly increasing and all among the inputs — browsers)
// they are used instead, which also survives frames a decoder drops.
import type { ByteSource } from './byte-source.ts';
import { VideoError } from './errors.ts';
import { sniffContainer } from './sniff.ts';
import { demuxMp4, readSamples } from './mp4.ts';
import { openMatroska } from './matroska.ts';
import { cachedIndex, cacheIndex, fromBase64, type SampleIndex } from './sample-index.ts';
import { frameToI420 } from './frame.ts';
import { loadWebCodecs, defaultFs, type WebCodecs } from './platform.ts';

export interface VideoInfo {
  /** The name given to openVideo (used in every error message). */
  name: string;
  width: number;
  height: number;
  frameCount: number;
  fps: number;
  /** WebCodecs codec string, e.g. 'avc1.64001e'. */
  codec: string;
  container: 'mp4' | 'matroska' | 'webm';
  /** Seconds. */
  duration: number;
}

export interface DecodedFrame {
  /** Presentation index (0-based). */
  index: number;
  width: number;
  height: number;
  format: 'I420';
  /** Y (width×height), then U and V (⌈width/2⌉×⌈height/2⌉ each), tightly packed. */
  data: Uint8Array;
  /** Presentation time in microseconds. */
  timestamp: number;
  /**
   * Set when the decoder produced no picture for this frame (damaged data) and the nearest decoded
   * frame of the same run stands in for it.
   */
  substitute?: true;
}

export interface VideoReader {
  readonly info: VideoInfo;
  /** The sample index (serialisable; pass it to openVideo's `index` option to skip demuxing). */
  readonly index: SampleIndex;
  /**
   * Frames by presentation index, in the requested order; any order and repeats are allowed
   * (a repeated index returns the same DecodedFrame object). Calls on one reader are serialised.
   */
  readFrames(indices: readonly number[]): Promise<DecodedFrame[]>;
  /** Decodes frames start..end-1 in order, calling `onFrame` for each (frames are not kept). */
  decodeSequential(onFrame: (frame: DecodedFrame) => void | Promise<void>, opts?: { start?: number; end?: number }): Promise<number>;
  /** Closes the decoder and the byte source. */
  close(): Promise<void>;
}

export interface OpenVideoOptions {
  /** A sample index saved earlier (reader.index); skips demuxing the metadata. */
  index?: SampleIndex;
  /** Keep/lookup the index in the in-memory cache keyed by source.id (default true). */
  cache?: boolean;
  /** Passed to VideoDecoder.configure (default 'no-preference'). */
  hardwareAcceleration?: HardwareAcceleration;
  /**
   * When the next wanted frame's key frame is at most this many samples past the samples already
   * queued, keep decoding instead of flushing and seeking (default 8).
   */
  maxSkip?: number;
}

interface Demuxer {
  index: SampleIndex;
  read(first: number, last: number): Promise<Uint8Array[]>;
  close(): void;
}

const HEAD_BYTES = 512;

async function openDemuxer(source: ByteSource, name: string, opts: OpenVideoOptions): Promise<Demuxer> {
  let size: number;
  try {
    size = await source.size();
  } catch (err) {
    throw new VideoError(name, 'corrupt', (err as Error).message.replace(/^.*?: /, 'cannot read the file: '));
  }
  const head = size ? await source.read(0, Math.min(HEAD_BYTES, size)) : new Uint8Array(0);
  const container = sniffContainer(head, size, name);
  const useCache = opts.cache !== false;
  const known = opts.index ?? (useCache ? cachedIndex(source.id) : undefined);
  if (known && known.container !== container) throw new VideoError(name, 'corrupt', `the given sample index is for a ${known.container} file, this is ${container}`);
  let demuxer: Demuxer;
  if (container === 'mp4') {
    let index = known;
    if (!index) {
      try {
        index = await demuxMp4(source, name);
      } catch (err) {
        if (err instanceof VideoError) throw err;
        throw new VideoError(name, 'corrupt', `corrupt MP4: ${(err as Error).message}`);
      }
    }
    const idx = index;
    demuxer = { index: idx, read: (a, b) => readSamples(source, idx, a, b), close: () => {} };
  } else {
    demuxer = await openMatroska(source, name, known);
  }
  if (useCache) cacheIndex(source.id, demuxer.index);
  return demuxer;
}

function decoderConfig(index: SampleIndex, opts: OpenVideoOptions): VideoDecoderConfig {
  const config: VideoDecoderConfig = { codec: index.codec, hardwareAcceleration: opts.hardwareAcceleration ?? 'no-preference' };
  if (index.codedWidth && index.codedHeight) {
    config.codedWidth = index.codedWidth;
    config.codedHeight = index.codedHeight;
  }
  if (index.description) config.description = fromBase64(index.description);
  return config;
}

const supportCache = new Map<string, Promise<boolean>>();

async function checkSupport(wc: WebCodecs, config: VideoDecoderConfig): Promise<boolean> {
  const key = `${wc.implementation}|${config.codec}|${config.codedWidth}x${config.codedHeight}`;
  let p = supportCache.get(key);
  if (!p) {
    p = wc.VideoDecoder.isConfigSupported(config).then((r) => !!r.supported, () => false);
    supportCache.set(key, p);
  }
  return p;
}

/** Opens a video for random access. The reader owns `source` and closes it in `close()`. */
export async function openVideo(source: ByteSource, name: string, opts: OpenVideoOptions = {}): Promise<VideoReader> {
  let demuxer: Demuxer;
  try {
    demuxer = await openDemuxer(source, name, opts);
  } catch (err) {
    await source.close();
    throw err;
  }
  const index = demuxer.index;
  try {
    const wc = await loadWebCodecs();
    let config = decoderConfig(index, opts);
    if (!(await checkSupport(wc, config)) && /^avc[13]\.[0-9a-f]{6}$/i.test(config.codec)) {
      // Some implementations reject H.264 levels outside their table (e.g. level 1b, "avc1.640009",
      // which x264 writes for tiny videos). The level in the codec string is advisory (the SPS in
      // the description configures the decoder), so ask again with level 3.1.
      const relaxed = { ...config, codec: `${config.codec.slice(0, 9)}1f` };
      if (await checkSupport(wc, relaxed)) config = relaxed;
    }
    if (!(await checkSupport(wc, config))) {
      throw new VideoError(name, 'unsupported-codec', `this WebCodecs VideoDecoder (${wc.implementation}) cannot decode ${index.codec} ` +
        `(${index.width}×${index.height}); H.264 is always supported: transcode with \`npx tsx examples/prepare-dataset.ts <src> <dst>\``);
    }
    return new Reader(name, source, demuxer, wc, config, opts);
  } catch (err) {
    demuxer.close();
    await source.close();
    throw err;
  }
}

/** Node convenience: openVideo on a file, through the platform seam (`name` defaults to the path). */
export async function openVideoFile(path: string, opts: OpenVideoOptions & { name?: string } = {}): Promise<VideoReader> {
  const fs = await defaultFs();
  return openVideo(fs.source(path), opts.name ?? path, opts);
}

interface Run {
  first: number; // decode-order range, inclusive
  last: number;
}

class Reader implements VideoReader {
  readonly info: VideoInfo;
  readonly index: SampleIndex;
  private decoder: VideoDecoder | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  /** close() was called: new calls are refused; calls already queued still run. */
  private closing = false;
  private closed = false;
  /** Decode index → presentation index (-1: never presented). */
  private presentation: Int32Array;
  /** Chunk timestamps: unique per sample (the pts, made unique if the file repeats one). */
  private chunkTs: number[];
  private readonly maxSkip: number;
  // Output handling of the run in flight.
  private onOutput: ((frame: VideoFrame) => void) | null = null;
  private decodeError: Error | null = null;

  constructor(
    readonly name: string,
    private source: ByteSource,
    private demuxer: Demuxer,
    private wc: WebCodecs,
    private config: VideoDecoderConfig,
    opts: OpenVideoOptions,
  ) {
    const index = demuxer.index;
    this.index = index;
    this.maxSkip = opts.maxSkip ?? 8;
    const format = index.format.toLowerCase();
    this.info = {
      name,
      width: index.width,
      height: index.height,
      frameCount: index.order.length,
      fps: index.fps,
      codec: index.codec,
      container: index.container === 'mp4' ? 'mp4' : format === 'webm' ? 'webm' : 'matroska',
      duration: index.duration,
    };
    this.presentation = new Int32Array(index.pts.length).fill(-1);
    index.order.forEach((d, p) => (this.presentation[d] = p));
    const seen = new Set<number>();
    this.chunkTs = index.pts.map((t) => {
      let v = t;
      while (seen.has(v)) v++;
      seen.add(v);
      return v;
    });
  }

  readFrames(indices: readonly number[]): Promise<DecodedFrame[]> {
    if (this.closing) return Promise.reject(this.closedError());
    const job = this.queue.then(() => this.read(indices));
    this.queue = job.catch(() => {});
    return job;
  }

  decodeSequential(onFrame: (frame: DecodedFrame) => void | Promise<void>, opts: { start?: number; end?: number } = {}): Promise<number> {
    if (this.closing) return Promise.reject(this.closedError());
    const job = this.queue.then(() => this.sequential(onFrame, opts.start ?? 0, opts.end ?? this.info.frameCount));
    this.queue = job.catch(() => {});
    return job;
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    await this.queue;
    this.closed = true;
    this.closeDecoder();
    this.demuxer.close();
    await this.source.close();
  }

  private closedError(): VideoError {
    return new VideoError(this.name, 'closed', 'the reader is closed');
  }

  private checkOpen(): void {
    if (this.closed) throw this.closedError();
  }

  private closeDecoder(): void {
    const d = this.decoder;
    this.decoder = null;
    if (d && d.state !== 'closed') {
      try {
        d.close();
      } catch {
        // already closed by an error
      }
    }
  }

  private ensureDecoder(): VideoDecoder {
    if (this.decoder && this.decoder.state === 'configured') return this.decoder;
    this.closeDecoder();
    const decoder = new this.wc.VideoDecoder({
      output: (frame) => {
        if (this.onOutput) this.onOutput(frame);
        else frame.close();
      },
      error: (e) => {
        this.decodeError ??= e instanceof Error ? e : new Error(String(e));
      },
    });
    decoder.configure(this.config);
    this.decoder = decoder;
    return decoder;
  }

  /** Key frame to start from for decode-order sample `s`: the last key ≤ s presented no later. */
  private keyFor(s: number): number {
    const keys = this.index.keys;
    let lo = 0;
    let hi = keys.length - 1;
    let k = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (keys[mid] <= s) {
        k = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (k < 0) return keys[0];
    // Open GOPs: a frame decoded after a key frame but shown before it needs the previous GOP.
    while (k > 0 && this.index.pts[s] < this.index.pts[keys[k]]) k--;
    return keys[k];
  }

  private plan(wanted: number[]): Run[] {
    const runs: Run[] = [];
    for (const p of wanted) {
      const s = this.index.order[p];
      const k = this.keyFor(s);
      const cur = runs[runs.length - 1];
      // Wanted frames come in presentation order, so their key frames go backwards only for
      // open-GOP leading frames (then the run starts earlier).
      if (cur && k <= cur.last + 1 + this.maxSkip) {
        cur.first = Math.min(cur.first, k);
        cur.last = Math.max(cur.last, s);
      } else runs.push({ first: k, last: s });
    }
    return runs;
  }

  private async read(indices: readonly number[]): Promise<DecodedFrame[]> {
    this.checkOpen();
    const n = this.info.frameCount;
    for (const i of indices) {
      if (!Number.isInteger(i) || i < 0 || i >= n) {
        throw new VideoError(this.name, 'range', `frame index ${i} is out of range (the video has ${n} frames)`);
      }
    }
    const wanted = [...new Set(indices)].sort((a, b) => a - b);
    const got = new Map<number, DecodedFrame>();
    for (const run of this.plan(wanted)) {
      const want = new Set(wanted.filter((p) => {
        const d = this.index.order[p];
        return d >= run.first && d <= run.last && !got.has(p);
      }));
      await this.decodeRun(run, want, (f) => {
        got.set(f.index, f);
      });
    }
    return indices.map((i) => got.get(i)!);
  }

  private async sequential(onFrame: (frame: DecodedFrame) => void | Promise<void>, start: number, end: number): Promise<number> {
    this.checkOpen();
    const n = this.info.frameCount;
    if (!(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && end <= n && start <= end)) {
      throw new VideoError(this.name, 'range', `frame range ${start}..${end} is out of range (the video has ${n} frames)`);
    }
    if (start === end) return 0;
    // Segments of whole GOPs (at least 32 samples when GOPs are short), each decoded and flushed in
    // turn: no sample is decoded twice and memory holds one segment's frames.
    const { order, keys } = this.index;
    let lastD = 0;
    for (let p = start; p < end; p++) lastD = Math.max(lastD, order[p]);
    let ki = keys.indexOf(this.keyFor(order[start]));
    let count = 0;
    while (ki < keys.length && keys[ki] <= lastD) {
      const first = keys[ki];
      let kj = ki + 1;
      while (kj < keys.length && keys[kj] - first < 32 && keys[kj] <= lastD) kj++;
      const last = Math.min(lastD, (keys[kj] ?? this.index.pts.length) - 1);
      const want = new Set<number>();
      for (let d = first; d <= last; d++) {
        const p = this.presentation[d];
        if (p >= start && p < end) want.add(p);
      }
      const frames: DecodedFrame[] = [];
      await this.decodeRun({ first, last }, want, (f) => frames.push(f));
      frames.sort((a, b) => a.index - b.index);
      for (const f of frames) {
        await onFrame(f);
        count++;
      }
      ki = kj;
    }
    return count;
  }

  /**
   * Decodes decode-order samples run.first..run.last; calls `emit` once per wanted presentation
   * index. Damaged data: WebCodecs decoders stop at the first sample they reject (and close), so
   * the frames before it are decoded again from the key frame without the bad sample, and frames
   * that still cannot be decoded are stood in for by the nearest decoded frame (`substitute`).
   */
  private async decodeRun(run: Run, want: Set<number>, emit: (f: DecodedFrame) => void): Promise<void> {
    if (want.size === 0) return;
    let data: Uint8Array[];
    try {
      data = await this.demuxer.read(run.first, run.last);
    } catch (err) {
      throw new VideoError(this.name, 'corrupt', `cannot read samples ${run.first}..${run.last}: ${(err as Error).message}`);
    }
    const first = await this.attempt(run, data, want);
    const frames = first.frames;
    const error = first.error;
    if (error) {
      // Salvage: find the longest prefix of the run that decodes (binary search; each try decodes
      // from the key frame again), keeping the wanted frames it yields and its last frame as a
      // stand-in for frames after the damage.
      const order = this.index.order;
      let good = run.first - 1;
      let bad = run.last;
      while (bad - good > 1) {
        const mid = (good + bad) >> 1;
        const w = new Set([...want].filter((q) => order[q] <= mid && !frames.has(q)));
        if (this.presentation[mid] >= 0) w.add(this.presentation[mid]);
        const r = await this.attempt({ first: run.first, last: mid }, data.slice(0, mid - run.first + 1), w);
        for (const [q, f] of r.frames) if (want.has(q) || !frames.size) frames.set(q, f);
        if (r.error) bad = mid;
        else {
          good = mid;
          for (const [q, f] of r.frames) frames.set(q, f);
        }
      }
    }
    const missing = [...want].filter((p) => !frames.has(p));
    if (missing.length) {
      const have = [...frames.keys()].sort((a, b) => a - b);
      if (have.length === 0) {
        const why = error ? `decoder error: ${error.message}` : `the decoder returned ${first.outputs} of ${run.last - run.first + 1} pictures`;
        throw new VideoError(this.name, 'decode', `cannot decode frame ${missing[0]} (samples ${run.first}..${run.last}): ${why}`);
      }
      for (const p of missing) {
        let best = have[0];
        for (const h of have) if (Math.abs(h - p) < Math.abs(best - p)) best = h;
        emit({ ...frames.get(best)!, index: p, timestamp: this.index.pts[this.index.order[p]], substitute: true });
      }
    }
    for (const [p, f] of frames) if (want.has(p)) emit(f);
  }

  /** One pass of the decoder over `data` (samples run.first..run.last); keeps the wanted frames. */
  private async attempt(run: Run, data: Uint8Array[], want: Set<number>): Promise<{ frames: Map<number, DecodedFrame>; error: Error | null; outputs: number }> {
    const index = this.index;
    const fedTs: number[] = [];
    const tsToPresentation = new Map<number, number>();
    for (let d = run.first; d <= run.last; d++) {
      fedTs.push(this.chunkTs[d]);
      tsToPresentation.set(this.chunkTs[d], this.presentation[d]);
    }
    const sortedTs = [...fedTs].sort((a, b) => a - b);
    // Outputs: by position in sortedTs, and by their own timestamp; both candidates are kept until
    // the pass ends and shows which labelling is trustworthy.
    const byPos = new Map<number, Promise<DecodedFrame>>();
    const byTs = new Map<number, Promise<DecodedFrame>>();
    const outTs: number[] = [];
    let outCount = 0;
    const convert = (frame: VideoFrame, p: number): Promise<DecodedFrame> =>
      frameToI420(frame).then((img) => ({ index: p, width: img.width, height: img.height, format: 'I420' as const, data: img.data, timestamp: index.pts[index.order[p]] }));
    this.decodeError = null;
    this.onOutput = (frame) => {
      const i = outCount++;
      outTs.push(frame.timestamp);
      const posP = i < sortedTs.length ? tsToPresentation.get(sortedTs[i])! : -1;
      const tsP = tsToPresentation.get(frame.timestamp) ?? -1;
      let shared: Promise<DecodedFrame> | null = null;
      if (posP >= 0 && want.has(posP)) byPos.set(posP, (shared = convert(frame, posP)));
      if (tsP >= 0 && want.has(tsP)) byTs.set(tsP, tsP === posP && shared ? shared : convert(frame, tsP));
      const pending = [byPos.get(posP), byTs.get(tsP)].filter(Boolean) as Promise<DecodedFrame>[];
      if (pending.length) Promise.allSettled(pending).then(() => frame.close());
      else frame.close();
    };
    try {
      const decoder = this.ensureDecoder();
      for (let d = run.first; d <= run.last; d++) {
        if (this.decodeError || decoder.state !== 'configured') break;
        const isKey = d === run.first || this.isKey(d);
        decoder.decode(new this.wc.EncodedVideoChunk({ type: isKey ? 'key' : 'delta', timestamp: this.chunkTs[d], data: data[d - run.first] }));
      }
      if (!this.decodeError && decoder.state === 'configured') await decoder.flush();
    } catch (err) {
      this.decodeError ??= err instanceof Error ? err : new Error(String(err));
    } finally {
      this.onOutput = null;
    }
    const error = this.decodeError;
    if (error) this.closeDecoder(); // a fresh decoder for the next pass
    const tsTrusted = outTs.length > 0 && outTs.every((t, i) => tsToPresentation.has(t) && (i === 0 || t > outTs[i - 1]));
    const chosen = tsTrusted ? byTs : byPos;
    const frames = new Map<number, DecodedFrame>();
    for (const [p, f] of chosen) {
      try {
        frames.set(p, await f);
      } catch (err) {
        throw new VideoError(this.name, 'decode', `frame ${p}: cannot copy the decoded picture: ${(err as Error).message}`);
      }
    }
    await Promise.allSettled([...byPos.values(), ...byTs.values()]);
    return { frames, error, outputs: outCount };
  }

  private isKey(d: number): boolean {
    const keys = this.index.keys;
    let lo = 0;
    let hi = keys.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (keys[mid] === d) return true;
      if (keys[mid] < d) lo = mid + 1;
      else hi = mid - 1;
    }
    return false;
  }
}
