// Data workers behind one small interface: worker_threads in Node (src/platform/node-workers.ts,
// loaded by a dynamic import of a computed specifier so browser bundles skip it), Web Workers in
// browsers, and an in-process stand-in (workers: 0) that runs the same jobs on the calling thread.
import { runJob, type OpenItem, type WorkerReply, type WorkerRequest } from './worker-core.ts';

export interface WorkerHandle {
  post(msg: WorkerRequest, transfer?: ArrayBuffer[]): void;
  onMessage(fn: (msg: WorkerReply) => void): void;
  /** An uncaught error inside the worker (it is gone afterwards). */
  onError(fn: (err: Error) => void): void;
  /** The worker stopped (Node only; browsers report failures through onError). */
  onExit(fn: (code: number) => void): void;
  terminate(): Promise<void>;
  /** Keep the Node process alive while jobs are outstanding (no-ops elsewhere). */
  ref(): void;
  unref(): void;
}

export interface SpawnOptions {
  /** URL of a module exporting `openItem(path, name)`; Node workers import it. */
  readerModule?: string;
  /** Browser: URL of the Web Worker entry (default: ./worker.browser.ts next to this file). */
  browserWorkerUrl?: string | URL;
}

const isNode = typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node === 'string';

/** CPU threads available: navigator.hardwareConcurrency, or Node's os.availableParallelism(). */
export async function hardwareThreads(): Promise<number> {
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  if (nav) return nav;
  if (!isNode) return 2;
  const specifier = '../platform/node-workers.ts';
  const mod = (await import(/* @vite-ignore */ specifier)) as { cpuCount(): number };
  return mod.cpuCount();
}

export async function spawnWorker(o: SpawnOptions): Promise<WorkerHandle> {
  if (isNode) {
    const specifier = '../platform/node-workers.ts';
    const mod = (await import(/* @vite-ignore */ specifier)) as { spawnNodeDataWorker(readerModule?: string): WorkerHandle };
    return mod.spawnNodeDataWorker(o.readerModule);
  }
  const W = (globalThis as { Worker?: typeof Worker }).Worker;
  if (!W) throw new Error('this environment has no Web Workers; use the loader with workers: 0');
  const w = new W(o.browserWorkerUrl ?? new URL('./worker.browser.ts', import.meta.url), { type: 'module' });
  return {
    post: (msg, transfer) => w.postMessage(msg, transfer ?? []),
    onMessage: (fn) => w.addEventListener('message', (e: MessageEvent<WorkerReply>) => fn(e.data)),
    onError: (fn) => w.addEventListener('error', (e: ErrorEvent) => fn(new Error(e.message || 'worker error'))),
    onExit: () => {},
    terminate: async () => w.terminate(),
    ref: () => {},
    unref: () => {},
  };
}

/** Runs jobs on this thread through the same interface (no parallel decoding beyond the decoder's own). */
export function inProcessWorker(open: OpenItem): WorkerHandle {
  let onMsg: (msg: WorkerReply) => void = () => {};
  let dead = false;
  queueMicrotask(() => onMsg({ type: 'ready' }));
  return {
    post: (msg) => {
      if (msg.type !== 'job') return;
      void runJob(msg.job, open).then(({ result }) => {
        if (!dead) onMsg({ type: 'result', result });
      });
    },
    onMessage: (fn) => {
      onMsg = fn;
    },
    onError: () => {},
    onExit: () => {},
    terminate: async () => {
      dead = true;
    },
    ref: () => {},
    unref: () => {},
  };
}
