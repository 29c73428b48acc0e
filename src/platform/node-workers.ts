// Node side of the data loader's worker seam: worker_threads. src/data/workers.ts loads this file
// through a dynamic import of a computed specifier, so browser bundles never see it.
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import type { WorkerHandle } from '../data/workers.ts';

/** Starts a worker thread running the sibling module `name` (.ts under tsx, .js when built). */
export function spawnPlatformWorker(name: string, workerData: unknown): Worker {
  const entry = new URL(`./${name}` + (import.meta.url.endsWith('.ts') ? '.ts' : '.js'), import.meta.url);
  if (entry.pathname.endsWith('.ts')) {
    // Running from TypeScript sources under tsx: worker threads do not inherit tsx's loader, so the
    // thread registers it first, then imports the entry.
    const api = import.meta.resolve('tsx/esm/api');
    const boot = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); })`;
    return new Worker(boot, { eval: true, workerData });
  }
  return new Worker(entry, { workerData });
}

/** Starts a data worker thread (src/platform/node-data-worker.ts) serving decode + sampling jobs. */
export function spawnNodeDataWorker(readerModule: string | undefined): WorkerHandle {
  const w = spawnPlatformWorker('node-data-worker', { readerModule });
  return {
    post: (msg, transfer) => w.postMessage(msg, transfer ?? []),
    onMessage: (fn) => void w.on('message', fn),
    onError: (fn) => void w.on('error', fn),
    onExit: (fn) => void w.on('exit', fn),
    terminate: async () => {
      await w.terminate();
    },
    ref: () => w.ref(),
    unref: () => w.unref(),
  };
}

/** CPU threads this process may use (Node 20 has no navigator.hardwareConcurrency). */
export function cpuCount(): number {
  return availableParallelism();
}
