// Loader throughput: STOR clip pairs per second (2 × 16 × 112 × 112, labels, photometric
// augmentation on the GPU) from the synthetic set of 128-px H.264 MP4s, decoded in worker threads.
//
//   npx tsx bench/loader.bench.ts [--batches N] [--workers a,b] [--sets default,long] [--no-write]
//
// Two datasets: the default synthetic set (48-frame videos: the pair needs 29 frames at rate 1, so
// only rate 1 fits and the decoder works through ~30 frames per pair) and a long-video set
// (240 frames: every rate 1/2/4/8 fits, ~90 frames decoded per pair on average). Each run drops its
// first WARMUP batches (worker start, shader compilation), then times N batches end to end: the
// consumer waits for the GPU after every batch (E.sync()), as a training step would.
// Appends (or replaces) the `## Loader` section of bench/RESULTS.md.
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import * as E from '../src/engine/index.ts';
import { createPairLoader } from '../src/data/loader.ts';
import { ensureSyntheticDatasetInWorker } from '../src/platform/node-synthetic.ts';
import { writeResultsSection } from './results-file.ts';

const args = process.argv.slice(2);
const arg = (name: string, d: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : d;
};
const BATCHES = Number(arg('batches', '24'));
const WORKERS = arg('workers', '1,2').split(',').map(Number);
const BATCH = 8;
/** Untimed batches first: worker start-up, and the colour kernel's pipeline variants (one per jitter order) compiling. */
const WARMUP = 4;
const MODES = arg('modes', 'decode only,end to end').split(',') as ('decode only' | 'end to end')[];
const RESULTS = fileURLToPath(new URL('./RESULTS.md', import.meta.url));

const adapter = await E.init();
const loads = [loadavg()[0]];
const SETS = arg('sets', 'default,long').split(',');
const sets = [];
if (SETS.includes('default')) sets.push({ name: 'synthetic default (48 frames, GOP 16)', ds: await ensureSyntheticDatasetInWorker({}) });
if (SETS.includes('long')) sets.push({ name: 'synthetic long (240 frames, GOP 16)', ds: await ensureSyntheticDatasetInWorker({ frames: 240, videosPerClass: 4 }) });

interface Row {
  set: string;
  mode: 'decode only' | 'end to end';
  workers: number;
  pairsPerSec: number;
  waitPct: number;
  assembleMsPerBatch: number;
  gpuMsPerBatch: number;
  workerMsPerPair: number;
  framesPerPair: number;
  rates: string;
}
const rows: Row[] = [];

async function run(name: string, ds: { items: { path: string; label?: number }[] }, workers: number, mode: Row['mode']): Promise<Row> {
  const loader = await createPairLoader({ dataset: ds, batchSize: BATCH, seed: 1, workers, clipLength: 16, size: [112, 112], prefetch: 3 });
  let done = 0;
  let t0 = 0;
  let gpuMs = 0;
  let frames = 0;
  let s0 = loader.stats();
  const rateCounts = new Map<number, number>();
  const batches = mode === 'decode only' ? BATCHES * 3 : BATCHES;
  const count = (rates: ArrayLike<number>) => Array.from(rates).forEach((r) => rateCounts.set(r, (rateCounts.get(r) ?? 0) + 1));
  const tick = () => {
    done++;
    if (done === WARMUP) {
      t0 = performance.now();
      s0 = loader.stats();
    }
    return done === batches + WARMUP;
  };
  outer: for (let epoch = 0; ; epoch++) {
    if (mode === 'decode only') {
      for await (const g of loader.decoded(epoch)) {
        if (done >= WARMUP) {
          count(g.pairs.map((p) => p.pair.rate));
          frames += g.pairs.reduce((s, p) => s + p.frames.length, 0);
        }
        if (tick()) break outer;
      }
    } else {
      for await (const b of loader.epoch(epoch)) {
        const tg = performance.now();
        await E.sync();
        if (done >= WARMUP) {
          gpuMs += performance.now() - tg;
          count(b.labels.rate);
          frames += b.pairs.reduce((s, p) => s + new Set([...p.clips[0].frames, ...p.clips[1].frames]).size, 0);
        }
        b.dispose();
        if (tick()) break outer;
      }
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  const s = loader.stats();
  await loader.close();
  const pairs = batches * BATCH;
  return {
    set: name,
    mode,
    workers,
    pairsPerSec: pairs / seconds,
    waitPct: (100 * (s.waitMs - s0.waitMs)) / 1000 / seconds,
    assembleMsPerBatch: (s.assembleMs - s0.assembleMs) / batches,
    gpuMsPerBatch: gpuMs / batches,
    workerMsPerPair: (s.decodeMs - s0.decodeMs) / Math.max(1, s.jobs - s0.jobs),
    framesPerPair: frames / pairs,
    rates: [...rateCounts].sort((a, b) => a[0] - b[0]).map(([r, c]) => `${r}:${c}`).join(' '),
  };
}

/**
 * The GPU stage alone: assembling one decoded batch again and again (clip kernel + blur), wall
 * time and this process's CPU time (the software adapter's threads run in-process, so on a shared
 * machine CPU time is the steadier measure of the work).
 */
interface GpuStage { full: number; clipsOnly: number; fullCpu: number; clipsOnlyCpu: number }
async function gpuOnly(ds: { items: { path: string; label?: number }[] }): Promise<GpuStage> {
  const loader = await createPairLoader({ dataset: ds, batchSize: BATCH, seed: 1, workers: 1, clipLength: 16, size: [112, 112] });
  const plain = await createPairLoader({ dataset: ds, batchSize: BATCH, seed: 1, workers: 0, clipLength: 16, size: [112, 112], augment: false });
  let group;
  for await (const g of loader.decoded(0)) {
    group = g;
    break;
  }
  const time = async (l: typeof loader) => {
    const ms: number[] = [];
    const cpu: number[] = [];
    for (let i = 0; i < 10; i++) {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      const b = l.assemble(group!);
      await E.sync();
      b.dispose();
      const c = process.cpuUsage(c0);
      if (i >= 2) {
        ms.push(performance.now() - t0);
        cpu.push((c.user + c.system) / 1000);
      }
    }
    const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1];
    return [median(ms), median(cpu)];
  };
  const [full, fullCpu] = await time(loader);
  const [clipsOnly, clipsOnlyCpu] = await time(plain);
  await loader.close();
  await plain.close();
  return { full, clipsOnly, fullCpu, clipsOnlyCpu };
}

let gpu: GpuStage | null = null;
if (MODES.includes('end to end') && sets.length) {
  gpu = await gpuOnly(sets[0].ds);
  console.log(`GPU stage alone (one decoded batch of ${BATCH} pairs assembled again and again): ${gpu.full.toFixed(0)} ms/batch = ${((BATCH * 1000) / gpu.full).toFixed(1)} pairs/s ` +
    `(CPU ${gpu.fullCpu.toFixed(0)} ms); without augmentation ${gpu.clipsOnly.toFixed(0)} ms (CPU ${gpu.clipsOnlyCpu.toFixed(0)} ms)`);
}

for (const { name, ds } of sets) {
  for (const mode of MODES) {
    for (const workers of WORKERS) {
      const row = await run(name, ds, workers, mode);
      rows.push(row);
      console.log(`${name}, ${mode}, ${workers} worker(s): ${row.pairsPerSec.toFixed(1)} pairs/s; waited for decoding ${row.waitPct.toFixed(0)}% of the time; ` +
        `assemble ${row.assembleMsPerBatch.toFixed(1)} ms/batch, GPU wait ${row.gpuMsPerBatch.toFixed(1)} ms/batch, worker ${row.workerMsPerPair.toFixed(1)} ms/pair, ` +
        `${row.framesPerPair.toFixed(1)} frames/pair; rates ${row.rates}`);
    }
  }
}
await E.shutdown();
loads.push(loadavg()[0]);

const date = new Date().toISOString().slice(0, 10);
const section = [
  '## Loader',
  '',
  `${date}; \`npx tsx bench/loader.bench.ts\`; ${cpus().length} CPU cores (${cpus()[0]?.model.trim()}); adapter: ${adapter.description}${adapter.software ? ' (software)' : ''}.`,
  `STOR pairs of 2 × 16 × 112 × 112 clips with labels and the default photometric augmentation (jitter p 0.8, grey p 0.2, blur p 0.5, ImageNet normalisation) from 128-px H.264 MP4s,`,
  `batch ${BATCH}, prefetch 3; ${BATCHES} batches timed (× 3 for decode only) after ${WARMUP} warm-up batches; end to end: the consumer waits for the GPU after every batch;`,
  `decode only: \`loader.decoded()\`, workers' demux + decode + sampling + transfer, no GPU work. Load average during the run: ${loads.map((l) => l.toFixed(1)).join(' → ')} (other jobs share the machine).`,
  '',
  '| dataset | mode | workers | pairs/s | waiting for decode | assemble (main thread) ms/batch | GPU wait ms/batch | worker ms/pair | distinct frames decoded & sent/pair | rates drawn (rate:count) |',
  '|---|---|---|---|---|---|---|---|---|---|',
  ...rows.map((r) => `| ${r.set} | ${r.mode} | ${r.workers} | ${r.pairsPerSec.toFixed(1)} | ${r.waitPct.toFixed(0)}% | ${r.assembleMsPerBatch.toFixed(1)} | ${r.gpuMsPerBatch.toFixed(1)} | ${r.workerMsPerPair.toFixed(1)} | ${r.framesPerPair.toFixed(1)} | ${r.rates} |`),
  ...(gpu
    ? [
      '',
      `GPU stage alone (one decoded batch assembled repeatedly, no decoding running; medians): ${gpu.full.toFixed(0)} ms per batch of ${BATCH} pairs = ${((BATCH * 1000) / gpu.full).toFixed(1)} pairs/s, ` +
        `${gpu.fullCpu.toFixed(0)} ms of CPU time; without augmentation (the clip kernel doing YUV→RGB + geometry only) ${gpu.clipsOnly.toFixed(0)} ms, ${gpu.clipsOnlyCpu.toFixed(0)} ms CPU.`,
    ]
    : []),
  '',
].join('\n');

if (!args.includes('--no-write')) {
  writeResultsSection('Loader', section, RESULTS);
}
