// Node worker_threads entry of the data loader: decode + sampling jobs (src/data/worker-core.ts)
// served over the parent port. `workerData.readerModule` names the module whose `openItem` opens
// dataset items (default: src/data/video-open, i.e. src/video's reader).
import { parentPort, workerData } from 'node:worker_threads';
import { serveDataWorker, type OpenItem, type WorkerReply } from '../data/worker-core.ts';

const port = parentPort;
if (!port) throw new Error('node-data-worker.ts must run in a worker thread');
const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
const specifier: string = (workerData as { readerModule?: string } | null)?.readerModule ?? new URL(`../data/video-open${ext}`, import.meta.url).href;
try {
  const mod = (await import(specifier)) as { openItem?: OpenItem };
  if (typeof mod.openItem !== 'function') throw new Error(`${specifier} has no openItem export`);
  serveDataWorker({ post: (m, t) => port.postMessage(m, t ?? []), listen: (fn) => port.on('message', fn) }, mod.openItem);
} catch (err) {
  port.postMessage({ type: 'fatal', error: `cannot load the reader module ${specifier}: ${(err as Error).message}` } satisfies WorkerReply);
}
