// Worker-thread entry of ensureSyntheticDatasetInWorker (node-synthetic.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { ensureSyntheticDataset, type SyntheticOptions } from '../video/synthetic.ts';

const port = parentPort!;
try {
  const dataset = await ensureSyntheticDataset({ ...(workerData as SyntheticOptions), onProgress: (done, total) => port.postMessage({ progress: [done, total] }) });
  port.postMessage({ dataset });
} catch (err) {
  port.postMessage({ error: err instanceof Error ? err.message : String(err) });
}
