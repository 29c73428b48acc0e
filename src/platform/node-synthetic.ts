// The synthetic dataset made in a worker thread. @napi-rs/webcodecs can corrupt the heap when a
// process encodes on the main thread and then decodes in worker threads (seen as "corrupted
// double-linked list" aborts and SIGTRAP/SIGSEGV a few steps into a run that had just generated
// its dataset). Encoding in a thread of its own that exits before training starts keeps the
// encoder's native objects out of the main thread altogether.
import { spawnPlatformWorker } from './node-workers.ts';
import type { SyntheticDataset, SyntheticOptions } from '../video/synthetic.ts';

type Message = { progress: [number, number] } | { dataset: SyntheticDataset } | { error: string };

/** ensureSyntheticDataset() run in a worker thread (options without `fs`; progress is relayed). */
export function ensureSyntheticDatasetInWorker(options: Omit<SyntheticOptions, 'fs'> = {}): Promise<SyntheticDataset> {
  const { onProgress, ...plain } = options;
  const w = spawnPlatformWorker('node-synthetic-worker', plain);
  return new Promise((resolve, reject) => {
    let settled = false;
    w.on('message', (m: Message) => {
      if ('progress' in m) onProgress?.(...m.progress);
      else if ('dataset' in m) {
        settled = true;
        resolve(m.dataset);
      } else {
        settled = true;
        reject(new Error(m.error));
      }
    });
    w.on('error', (err) => {
      settled = true;
      reject(err);
    });
    w.on('exit', (code) => {
      if (!settled) reject(new Error(`synthetic dataset: the generator thread exited with code ${code} before finishing`));
    });
  });
}
