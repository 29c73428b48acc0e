// Video readers that live in a worker thread: an `OpenItem` (src/data/worker-core.ts) whose
// open/readFrames/close calls are forwarded to one worker thread (node-reader-thread-worker.ts),
// so that this thread never touches the native WebCodecs decoder. @napi-rs/webcodecs has corrupted
// its heap when one process decodes on the main thread and in worker threads (the pair loader's),
// so anything that decodes while the loader runs (the online kNN monitor) opens videos here.
import type { Worker } from 'node:worker_threads';
import { spawnPlatformWorker } from './node-workers.ts';
import type { OpenItem, VideoReaderLike } from '../data/worker-core.ts';

/** A request to the reader thread (`id` pairs it with its reply). */
type Request = { op: 'open'; path: string; name: string } | { op: 'read'; handle: number; indices: number[] } | { op: 'close'; handle: number };
export type ReaderRequest = Request & { id: number };

export type ReaderReply =
  | { id: number; ok: true; handle?: number; info?: VideoReaderLike['info']; frames?: Awaited<ReturnType<VideoReaderLike['readFrames']>> }
  | { id: number; ok: false; error: string };

export interface ThreadedOpener {
  openItem: OpenItem;
  /** Stops the thread (readers still open fail afterwards). */
  close(): Promise<void>;
}

/**
 * Starts the reader thread. `readerModule` names a module exporting `openItem` (default: the
 * loader's src/data/video-open).
 */
export function openItemInThread(readerModule?: string): ThreadedOpener {
  const worker: Worker = spawnPlatformWorker('node-reader-thread-worker', { readerModule });
  const pending = new Map<number, { resolve: (r: ReaderReply & { ok: true }) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let failure: Error | null = null;
  const failAll = (err: Error) => {
    failure ??= err;
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };
  worker.on('message', (m: ReaderReply) => {
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.ok) p.resolve(m);
    else p.reject(new Error(m.error));
    if (pending.size === 0) worker.unref();
  });
  worker.on('error', (err) => failAll(err));
  worker.on('exit', (code) => failAll(new Error(`the video reader thread exited (code ${code})`)));
  worker.unref();
  const call = (req: Request): Promise<ReaderReply & { ok: true }> => {
    if (failure) return Promise.reject(failure);
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      worker.ref();
      worker.postMessage({ ...req, id });
    });
  };
  const openItem: OpenItem = async (path, name) => {
    const r = await call({ op: 'open', path, name });
    const handle = r.handle!;
    return {
      info: r.info!,
      readFrames: async (indices) => (await call({ op: 'read', handle, indices: [...indices] })).frames!,
      close: async () => {
        await call({ op: 'close', handle });
      },
    };
  };
  return {
    openItem,
    close: async () => {
      failAll(new Error('the video reader thread was closed'));
      await worker.terminate();
    },
  };
}
