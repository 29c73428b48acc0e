// Web Worker entry of the data loader (browsers): serves decode + sampling jobs with src/video's
// reader. A bundler picks it up from `new URL('./worker.browser.ts', import.meta.url)` in
// workers.ts; apps with their own reader write a three-line entry like this one around
// serveDataWorker and pass its URL as the loader's `browserWorkerUrl`.
import { serveDataWorker, type WorkerRequest } from './worker-core.ts';
import { openItem } from './video-open.ts';

const scope = globalThis as unknown as {
  postMessage(msg: unknown, transfer: Transferable[]): void;
  addEventListener(type: 'message', fn: (e: MessageEvent<WorkerRequest>) => void): void;
};

serveDataWorker({ post: (m, t) => scope.postMessage(m, t ?? []), listen: (fn) => scope.addEventListener('message', (e) => fn(e.data)) }, openItem);
