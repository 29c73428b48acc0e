// Worker-thread entry of openItemInThread (node-reader-thread.ts): opens videos with the reader
// module's `openItem` and serves open / read / close requests; decoded frames are transferred.
import { parentPort, workerData } from 'node:worker_threads';
import type { OpenItem, VideoReaderLike } from '../data/worker-core.ts';
import type { ReaderReply, ReaderRequest } from './node-reader-thread.ts';

const port = parentPort;
if (!port) throw new Error('node-reader-thread-worker.ts must run in a worker thread');
const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
const specifier: string = (workerData as { readerModule?: string } | null)?.readerModule ?? new URL(`../data/video-open${ext}`, import.meta.url).href;
const loaded = import(specifier).then((mod: { openItem?: OpenItem }) => {
  if (typeof mod.openItem !== 'function') throw new Error(`${specifier} has no openItem export`);
  return mod.openItem;
});
const readers = new Map<number, VideoReaderLike>();
let nextHandle = 1;

async function serve(req: ReaderRequest): Promise<{ reply: ReaderReply; transfer: ArrayBuffer[] }> {
  switch (req.op) {
    case 'open': {
      const reader = await (await loaded)(req.path, req.name);
      const handle = nextHandle++;
      readers.set(handle, reader);
      return { reply: { id: req.id, ok: true, handle, info: { ...reader.info } }, transfer: [] };
    }
    case 'read': {
      const reader = readers.get(req.handle);
      if (!reader) throw new Error(`no open reader ${req.handle}`);
      // Own, exactly-sized buffers, so they move to the other thread instead of being copied.
      const frames = (await reader.readFrames(req.indices)).map((f) => ({ ...f, data: f.data.slice() }));
      return { reply: { id: req.id, ok: true, frames }, transfer: frames.map((f) => f.data.buffer as ArrayBuffer) };
    }
    case 'close': {
      const reader = readers.get(req.handle);
      readers.delete(req.handle);
      await reader?.close();
      return { reply: { id: req.id, ok: true }, transfer: [] };
    }
  }
}

port.on('message', (req: ReaderRequest) => {
  serve(req).then(
    ({ reply, transfer }) => port.postMessage(reply, transfer),
    (err: unknown) => port.postMessage({ id: req.id, ok: false, error: err instanceof Error ? err.message : String(err) } satisfies ReaderReply),
  );
});
