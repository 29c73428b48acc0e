// Benchmarks of the engine (matmul, linear, softmax, sum) with PyTorch (CPU) side by side.
// `npm run bench` (tsx bench/run.ts). Options:
//   --kernel=K         force a matmul kernel: gpu | cpu | cpu-subgroups
//   --no-torch         skip PyTorch
//   --budget=MS        tinybench time budget per case (default 1500)
//   --only=SUBSTRING   run only the cases whose name contains SUBSTRING
//
// Timing: each timed iteration queues R repetitions of the op (R chosen so an iteration takes
// ~60 ms or more) and then awaits sync(), which returns only when the device has finished them,
// so the reported time per op (tinybench's median iteration / R) includes all device work and the
// sync is amortised over R dispatches.
import os from 'node:os';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Bench } from 'tinybench';
import { init, shutdown, sync, randn, F, type Tensor } from '../src/engine/index.ts';
import { matmulKernel, setMatmulKernel, type MatmulKernel } from '../src/engine/ops/matmul.ts';

const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(`--${name}`);
const option = (name: string) => argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const budget = Number(option('budget') ?? 1500);
const only = option('only');


interface Case {
  name: string;
  /** Shape description for the table. */
  size: string;
  /** Work per op: flops (rate in GFLOP/s) or bytes moved (rate in GB/s). */
  work: number;
  unit: 'GFLOP/s' | 'GB/s';
  /** Parameters for bench/torch_ops.py. */
  torch: Record<string, unknown>;
  /** Creates the inputs and returns the op (its result is disposed by the caller). */
  setup: () => { op: () => Tensor; inputs: Tensor[] };
}

function matmulCase(M: number, K: number, N: number, note = ''): Case {
  return {
    name: `matmul ${M}×${K}×${N}${note}`,
    size: `[${M},${K}]·[${K},${N}]`,
    work: 2 * M * N * K,
    unit: 'GFLOP/s',
    torch: { op: 'matmul', M, K, N },
    setup: () => {
      const a = randn([M, K]);
      const b = randn([K, N]);
      return { op: () => a.matmul(b), inputs: [a, b] };
    },
  };
}

const allCases: Case[] = [
  matmulCase(256, 256, 256),
  matmulCase(512, 512, 512),
  matmulCase(1024, 1024, 1024),
  matmulCase(2048, 2048, 2048),
  matmulCase(4096, 768, 768, ' (transformer MLP)'),
  matmulCase(8192, 512, 128, ' (conv as GEMM)'),
  matmulCase(128, 4096, 1024, ' (short M, long K)'),
  {
    name: 'linear 4096×768→768 (x·Wᵀ)',
    size: 'x [4096,768], W [768,768]',
    work: 2 * 4096 * 768 * 768,
    unit: 'GFLOP/s',
    torch: { op: 'linear', M: 4096, K: 768, N: 768 },
    setup: () => {
      const x = randn([4096, 768]);
      const w = randn([768, 768]);
      return { op: () => F.linear(x, w), inputs: [x, w] };
    },
  },
  {
    name: 'softmax [4096,1024] dim -1',
    size: '[4096,1024]',
    work: 2 * 4096 * 1024 * 4,
    unit: 'GB/s',
    torch: { op: 'softmax', shape: [4096, 1024] },
    setup: () => {
      const x = randn([4096, 1024]);
      return { op: () => F.softmax(x, -1), inputs: [x] };
    },
  },
  {
    name: 'sum of 16M',
    size: '[16777216]',
    work: 16777216 * 4,
    unit: 'GB/s',
    torch: { op: 'sum', n: 16777216 },
    setup: () => {
      const x = randn([16777216]);
      return { op: () => x.sum(), inputs: [x] };
    },
  },
];
const cases = allCases.filter((c) => !only || c.name.includes(only));

const report = await init();
const forced = option('kernel') as MatmulKernel | undefined;
if (forced) setMatmulKernel(forced);
const cpus = os.cpus();
const backend = report.backend;
console.log(`adapter: ${report.description} — ${report.software ? 'software (CPU) adapter' : 'hardware adapter'}, backend ${backend}`);
console.log(`machine: ${cpus[0]?.model ?? 'unknown CPU'} × ${cpus.length} logical cores, ${os.platform()} ${os.release()}, Node ${process.version}`);
console.log(`matmul kernel: ${matmulKernel()}${forced ? ' (forced)' : ''}`);
const load = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');
console.log(`load average at start: ${load()} (other processes compete for the same cores)`);

interface Result { name: string; size: string; work: number; unit: string; seconds: number; cpuSeconds: number; reps: number }
const ours: Result[] = [];

for (const c of cases) {
  const { op, inputs } = c.setup();
  // Warm-up (pipeline compilation) and calibration of R.
  op().dispose();
  await sync();
  let t0 = performance.now();
  op().dispose();
  await sync();
  const one = performance.now() - t0;
  const reps = Math.max(1, Math.min(64, Math.ceil(60 / Math.max(one, 0.01))));
  const bench = new Bench({ time: budget, iterations: 3, warmup: true, warmupIterations: 1, warmupTime: 0 });
  let ops = 0;
  bench.add(c.name, async () => {
    for (let r = 0; r < reps; r++) op().dispose();
    await sync();
    ops += reps;
  });
  const cpu0 = process.cpuUsage();
  await bench.run();
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6 / ops;
  const task = bench.tasks[0];
  const result = task.result;
  if (!('latency' in result)) throw new Error(`${c.name}: benchmark ${result.state}`);
  const seconds = result.latency.p50 / 1000 / reps;
  ours.push({ name: c.name, size: c.size, work: c.work, unit: c.unit, seconds, cpuSeconds, reps });
  const rate = c.work / seconds / 1e9;
  console.log(`  ${c.name.padEnd(40)} ${(seconds * 1e3).toFixed(2).padStart(9)} ms  ${rate.toFixed(2).padStart(8)} ${c.unit}  (R=${reps}, ${result.latency.samplesCount} samples, ${(cpuSeconds * 1e3).toFixed(1)} ms CPU/op)`);
  for (const t of inputs) t.dispose();
}
await shutdown();

// PyTorch side by side.
let torch: { torch: string; threads: number; blas: string; results: Record<string, { seconds: number; cpu_seconds: number }> } | null = null;
const py = '/usr/bin/python3';
if (flag('no-torch')) {
  console.log('\nPyTorch: skipped (--no-torch)');
} else if (spawnSync(py, ['-c', 'import torch'], { stdio: 'ignore' }).status !== 0) {
  console.log(`\nPyTorch: skipped (${py} cannot import torch; on Debian: apt-get install python3-torch)`);
} else {
  const script = fileURLToPath(new URL('./torch_ops.py', import.meta.url));
  const input = JSON.stringify({ threads: cpus.length, budget_s: budget / 1000, cases: cases.map((c) => ({ name: c.name, ...c.torch })) });
  const r = spawnSync(py, [script], { input, encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) console.log(`\nPyTorch: failed (${r.stderr.trim().split('\n').pop()})`);
  else torch = JSON.parse(r.stdout);
}

const fmtRate = (work: number, s: number) => (work / s / 1e9).toFixed(2);
// ours / PyTorch: speed ratio by wall time (the headline), and by CPU time per op (all threads of
// each process), which measures efficiency independently of how much of a shared machine each got.
console.log(`\n| case | ours ms | ours rate | PyTorch ms | PyTorch rate | ours / PyTorch | by CPU time |`);
console.log(`|---|---:|---:|---:|---:|---:|---:|`);
for (const r of ours) {
  const t = torch?.results[r.name];
  const tcols = t ? `${(t.seconds * 1e3).toFixed(2)} | ${fmtRate(r.work, t.seconds)} ${r.unit}` : '– | –';
  const ratio = t ? `${(t.seconds / r.seconds).toFixed(2)}× | ${(t.cpu_seconds / r.cpuSeconds).toFixed(2)}×` : '– | –';
  console.log(`| ${r.name} | ${(r.seconds * 1e3).toFixed(2)} | ${fmtRate(r.work, r.seconds)} ${r.unit} | ${tcols} | ${ratio} |`);
}
if (torch) console.log(`\nPyTorch ${torch.torch}, ${torch.threads} threads, BLAS: ${torch.blas}`);
console.log(`load average at end: ${load()}`);
