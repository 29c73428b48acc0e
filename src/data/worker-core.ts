// What a data worker does, independent of the platform: open a video, sample a STOR pair from its
// length and frame size (a pure function of the job's seed), decode exactly the frames both clips
// need, and return them as transferable I420 planes. Node's worker_threads entry
// (src/platform/node-data-worker.ts), the browser's Web Worker entry (worker.browser.ts) and the
// loader's in-process mode all run `runJob`.
import { Random } from './random.ts';
import { pairFrames, sampleStorPair, type ResolvedStorOptions, type StorPair } from './samplers/stor.ts';

/** The part of src/video's VideoReader that the loader uses. */
export interface VideoReaderLike {
  readonly info: { name: string; width: number; height: number; frameCount: number };
  readFrames(indices: readonly number[]): Promise<{ index: number; width: number; height: number; data: Uint8Array; substitute?: true }[]>;
  close(): Promise<void>;
}

/** Opens one dataset item (the `openItem` export of a reader module). */
export type OpenItem = (path: string, name: string) => Promise<VideoReaderLike>;

export interface Job {
  id: number;
  path: string;
  name: string;
  /** Seed of this pair's PRNG (derived from the loader seed, epoch and position). */
  seed: number;
  stor: ResolvedStorOptions;
}

export interface FramePlane {
  index: number;
  width: number;
  height: number;
  data: Uint8Array;
}

export type JobResult =
  | { id: number; ok: true; pair: StorPair; frames: FramePlane[]; substitutes: number; decodeMs: number }
  | { id: number; ok: false; reason: string };

export type WorkerRequest = { type: 'job'; job: Job };
export type WorkerReply = { type: 'ready' } | { type: 'result'; result: JobResult } | { type: 'fatal'; error: string };

function i420Bytes(w: number, h: number): number {
  const cw = (w + 1) >> 1;
  const ch = (h + 1) >> 1;
  return w * h + 2 * cw * ch;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Runs one job. Never throws: failures come back as { ok: false, reason }. */
export async function runJob(job: Job, open: OpenItem): Promise<{ result: JobResult; transfer: ArrayBuffer[] }> {
  const t0 = performance.now();
  let reader: VideoReaderLike | undefined;
  try {
    reader = await open(job.path, job.name);
    const { width, height, frameCount } = reader.info;
    if (!(frameCount >= 1)) throw new Error(`${job.name}: the video has no frames`);
    let pair = sampleStorPair(frameCount, width, height, job.stor, new Random(job.seed));
    const wanted = pairFrames(pair);
    const decoded = await reader.readFrames(wanted);
    if (decoded.length !== wanted.length) throw new Error(`${job.name}: asked for ${wanted.length} frames, the decoder returned ${decoded.length}`);
    const fw = decoded[0].width;
    const fh = decoded[0].height;
    const bytes = i420Bytes(fw, fh);
    decoded.forEach((f, i) => {
      if (f.index !== wanted[i]) throw new Error(`${job.name}: asked for frame ${wanted[i]}, got frame ${f.index}`);
      if (f.width !== fw || f.height !== fh) throw new Error(`${job.name}: frame ${f.index} is ${f.width}×${f.height}, frame ${decoded[0].index} is ${fw}×${fh}`);
      if (f.data.byteLength !== bytes) throw new Error(`${job.name}: frame ${f.index} has ${f.data.byteLength} bytes, I420 ${fw}×${fh} needs ${bytes}`);
    });
    if (fw !== width || fh !== height) {
      // The container's size differs from the decoded pictures' (e.g. coded vs visible size). The
      // temporal draws come first and do not depend on the frame size, so re-sampling with the
      // decoded size keeps the frames and only places the crops on the right grid.
      pair = sampleStorPair(frameCount, fw, fh, job.stor, new Random(job.seed));
      if (pairFrames(pair).join() !== wanted.join()) throw new Error(`${job.name}: internal error: frames changed with the frame size`);
    }
    // Own, exactly-sized buffers, so they can be transferred (not copied) to the main thread.
    const frames: FramePlane[] = [];
    const transfer: ArrayBuffer[] = [];
    const seen = new Set<ArrayBuffer>();
    for (const f of decoded) {
      let data = f.data;
      const buf = data.buffer as ArrayBuffer;
      if (data.byteOffset !== 0 || data.byteLength !== buf.byteLength || seen.has(buf) || !(buf instanceof ArrayBuffer)) data = data.slice();
      seen.add(data.buffer as ArrayBuffer);
      transfer.push(data.buffer as ArrayBuffer);
      frames.push({ index: f.index, width: fw, height: fh, data });
    }
    const substitutes = decoded.filter((f) => f.substitute).length;
    return { result: { id: job.id, ok: true, pair, frames, substitutes, decodeMs: performance.now() - t0 }, transfer };
  } catch (err) {
    return { result: { id: job.id, ok: false, reason: message(err) }, transfer: [] };
  } finally {
    if (reader) await reader.close().catch(() => {});
  }
}

export interface Endpoint {
  post(msg: WorkerReply, transfer?: ArrayBuffer[]): void;
  listen(handler: (msg: WorkerRequest) => void): void;
}

/** Serves jobs on a worker endpoint; jobs run concurrently as they arrive (the loader caps them). */
export function serveDataWorker(ep: Endpoint, open: OpenItem): void {
  ep.listen((msg) => {
    if (msg?.type !== 'job') return;
    void runJob(msg.job, open).then(({ result, transfer }) => ep.post({ type: 'result', result }, transfer));
  });
  ep.post({ type: 'ready' });
}
