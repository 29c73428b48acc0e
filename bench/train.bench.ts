// Training throughput and peak memory of one CSTP step — two views, the four STOR / speed /
// rotation task terms (spatial, temporal, speed, rotation), BYOL with its momentum target, fixed
// weighting, AdamW, gradient clipping — for the tiny backbone and R(2+1)D-10, side by side with the
// same step in PyTorch (bench/torch_train.py) on the same machine.
//
//   npm run bench:train                       the recorded run (writes the "Training step" section of RESULTS.md)
//   npx tsx bench/train.bench.ts [options]
//     --only tiny|r2plus1d    one backbone
//     --frames T --size S     clip shape of every run (default 16 × 112 × 112; R(2+1)D-10 on a software adapter: 8 × 112 × 112)
//     --tiny-batch N          pairs per step for the tiny net (default 8)
//     --r2-batch N            pairs per step for R(2+1)D-10 (default 2 on a software adapter, 8 on hardware)
//     --warmup N              untimed steps first (default 1: pipeline compilation, optimizer state, BYOL target)
//     --steps N               at most N timed steps per run (default 5; R(2+1)D-10 on a software adapter: 2)
//     --budget S              stop timing a run after S seconds once one step is timed (default 150)
//     --tasks a,b             pretext tasks (default stor,speed,rotation; 'order' is clip order)
//     --no-torch              skip PyTorch
//     --write-to FILE         write the results section to FILE (only a run without options writes bench/RESULTS.md)
//
// What is timed: Trainer.run (src/plugins/trainer) over a DataSource that hands out the same
// pre-made batch every step — random N(0, 1) clips of the right shape and random labels, created
// on the GPU before timing — so data loading, decoding and augmentation are excluded. Each timed
// step is the wall time between two points where the GPU is idle (sync() before each batch is
// handed over and after the run), so the optimizer update and BYOL's momentum update queued at
// the end of a step count in that step. clips/s = 2 views × pairs / seconds per step (the mean
// of the timed steps). Each configuration runs in its own process (ours and PyTorch's), one after
// the other, so that memory high-water marks are per configuration.
//
// R(2+1)D-10 on a software adapter (lavapipe) runs at 2 pairs of 8 × 112 × 112 clips instead of
// the 16 × 112 × 112 of the recipe: at 16 frames and 2 clips per view, layer1's column matrix
// (576 × 2·16·56·56 floats, 231 MB) exceeds the 128 MiB storage binding limit, so its convolutions
// fall back from im2col + the CPU matmul kernel to the implicit-GEMM kernel, ~4× slower there
// (1.3 vs 5 GFLOP/s measured on layer1), so a step would take ~6× as long as at 8 frames; 2 pairs is the
// smallest batch at which the heads' BatchNorm1d sees more than one row per view.
import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import * as E from '../src/engine/index.ts';
import { parseConfig, buildParts, Trainer, backbones, pretextTasks, objectives, weightings, type DataSource, type StepRecord, type TrainBatch } from '../src/plugins/index.ts';
import { writeResultsSection } from './results-file.ts';

interface RunSpec {
  name: string;
  backbone: Record<string, unknown> & { type: string };
  batch: number;
  frames: number;
  size: number;
  warmup: number;
  steps: number;
  budget: number;
  tasks: string[];
}

interface OursResult {
  stepSeconds: number[];
  warmupSeconds: number;
  peakLiveBytes: number;
  peakAllocatedBytes: number;
  rssBeforeKB: number;
  rssPeakKB: number;
  params: number;
  losses: Record<string, number>;
}

interface TorchResult {
  stepSeconds: number[];
  warmupSeconds: number;
  rssBeforeKB: number;
  rssPeakKB: number;
  params: number;
  losses: Record<string, number>;
  torch: string;
  threads: number;
}

const registries = { backbones, pretextTasks, objectives, weightings };
const now = () => performance.now();

/** The trainer config of a run: the defaults of src/plugins/config.ts except backbone, tasks, clip shape and batch. */
function trainConfig(spec: RunSpec) {
  return parseConfig({
    data: { clipLength: spec.frames, size: spec.size },
    backbone: spec.backbone,
    tasks: spec.tasks.map((type) => ({ type })),
    weighting: { type: 'fixed' },
    optimizer: { type: 'adamw' },
    batchSize: spec.batch,
    steps: spec.warmup + spec.steps,
    checkpointEvery: 0,
  });
}

/** Every plugin's options with their defaults filled in (what bench/torch_train.py mirrors). */
function resolvedPlugins(spec: RunSpec) {
  const config = trainConfig(spec);
  const resolve = (reg: { spec(n: string): { schema: { parse(x: unknown): unknown } } }, c: { type: string }) => {
    const { type, ...options } = c;
    return { type, ...(reg.spec(type).schema.parse(options) as object) };
  };
  return {
    backbone: resolve(backbones, config.backbone),
    tasks: config.tasks.map((t) => resolve(pretextTasks, t)),
    objective: config.objective ? resolve(objectives, config.objective) : null,
    weighting: resolve(weightings, config.weighting),
    optimizer: config.optimizer,
    schedule: config.schedule,
    clipGradNorm: config.clipGradNorm,
    seed: config.seed,
  };
}

// ---------------------------------------------------------------------------------------------
// Child: one configuration on our engine.

async function runOurs(spec: RunSpec): Promise<OursResult> {
  await E.init();
  const rssBeforeKB = process.resourceUsage().maxRSS;
  const config = trainConfig(spec);
  const parts = buildParts(config, registries);
  const trainer = new Trainer(config, parts);
  const n = spec.batch;
  const shape = [n, 3, spec.frames, spec.size, spec.size];
  const ints = (count: number, classes: number, s: number[]) => E.tensor(Int32Array.from({ length: count }, () => Math.floor(Math.random() * classes)), s, { dtype: 'int32' });
  const batch: TrainBatch = {
    views: [E.randn(shape), E.randn(shape)],
    labels: { spatial: ints(n, 5, [n]), temporal: ints(n, 5, [n]), speed: ints(n, 4, [n]), rotation: ints(2 * n, 4, [n, 2]) },
  };
  await E.sync();
  E.resetPeakMemory();
  const marks: number[] = [];
  let warmupStart = 0;
  const data: DataSource = {
    async *batches(from: number) {
      for (let s = from; ; s++) {
        await E.sync(); // the previous step's optimizer and momentum updates belong to it
        if (s === 0) warmupStart = now();
        if (s >= spec.warmup) marks.push(now());
        yield batch;
      }
    },
  };
  const records: StepRecord[] = [];
  const result = await trainer.run({
    data,
    totalSteps: spec.warmup + spec.steps,
    log: { step: (r) => records.push(r) },
    shouldStop: () => marks.length > 0 && trainer.step > spec.warmup && (now() - marks[0]) / 1000 > spec.budget,
  });
  await E.sync();
  marks.push(now());
  const mem = E.memory();
  const rssPeakKB = process.resourceUsage().maxRSS;
  if (result.step <= spec.warmup) throw new Error('no timed step ran');
  const stepSeconds = marks.slice(1).map((t, i) => (t - marks[i]) / 1000);
  let params = 0;
  for (const [, p] of parts.backbone.namedParameters()) params += p.size;
  trainer.dispose();
  await E.shutdown();
  return {
    stepSeconds,
    warmupSeconds: (marks[0] - warmupStart) / 1000,
    peakLiveBytes: mem.peakLiveBytes,
    peakAllocatedBytes: mem.peakAllocatedBytes,
    rssBeforeKB,
    rssPeakKB,
    params,
    losses: records[records.length - 1]?.losses ?? {},
  };
}

const childIndex = process.argv.indexOf('--child');
if (childIndex > 0) {
  const spec = JSON.parse(process.argv[childIndex + 1]) as RunSpec;
  const r = await runOurs(spec);
  console.log('RESULT ' + JSON.stringify(r));
  process.exit(0);
}

// ---------------------------------------------------------------------------------------------
// Parent: every configuration, ours then PyTorch, and the table.

const argv = process.argv.slice(2);
const opt = (name: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const num = (name: string, dflt: number) => (opt(name) !== undefined ? Number(opt(name)) : dflt);
const flag = (name: string) => argv.includes(`--${name}`);

const adapter = await E.init();
const software = adapter.software;
const adapterLine = `${adapter.description} (${software ? 'software' : 'hardware'})`;
await E.shutdown();
// R(2+1)D-10 on a software adapter: 8 × 112 × 112 (see the header).
const r2Frames = software ? 8 : 16;
const common = { warmup: num('warmup', 1), budget: num('budget', 150), tasks: (opt('tasks') ?? 'stor,speed,rotation').split(',') };
const allRuns: RunSpec[] = [
  { name: 'tiny', backbone: { type: 'tiny', width: 8 }, batch: num('tiny-batch', 8), steps: num('steps', 5), frames: num('frames', 16), size: num('size', 112), ...common },
  { name: 'r2plus1d', backbone: { type: 'r2plus1d', layers: [1, 1, 1, 1] }, batch: num('r2-batch', software ? 2 : 8), steps: num('steps', software ? 2 : 5), frames: num('frames', r2Frames), size: num('size', 112), ...common },
];
const runs = allRuns.filter((r) => !opt('only') || r.name === opt('only'));
const writeTo = opt('write-to');
const recorded = argv.length === 0 || writeTo !== undefined; // only the default run is recorded in RESULTS.md
const cpuLine = `${cpus()[0]?.model ?? 'unknown CPU'} × ${cpus().length}`;
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
const loadStart = load();
console.log(`adapter: ${adapterLine}; ${cpuLine}; Node ${process.version}; load average ${loadStart}`);

const py = '/usr/bin/python3';
const haveTorch = !flag('no-torch') && spawnSync(py, ['-c', 'import torch, torchvision'], { stdio: 'ignore' }).status === 0;
if (!flag('no-torch') && !haveTorch) console.log(`PyTorch: skipped (${py} cannot import torch and torchvision; SETUP_TORCH=1 npm run setup installs them)`);

const self = fileURLToPath(import.meta.url);
const torchScript = fileURLToPath(new URL('./torch_train.py', import.meta.url));

interface Row { spec: RunSpec; ours: OursResult | null; oursError?: string; torch: TorchResult | null; torchError?: string }
const rows: Row[] = [];
const lastLine = (s: string) => s.trim().split('\n').filter(Boolean).pop() ?? '';
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
/** Three significant digits (clips/s spans 0.01 to 100s). */
const rate = (x: number) => (x >= 100 ? x.toFixed(0) : x.toPrecision(3));

for (const spec of runs) {
  const clips = 2 * spec.batch;
  console.log(`\n${spec.name}: ${spec.batch} pairs (${clips} clips) of 3×${spec.frames}×${spec.size}×${spec.size}, tasks ${spec.tasks.join('+')} + byol, ${spec.warmup} warm-up + ≤ ${spec.steps} timed steps (budget ${spec.budget} s)`);
  const row: Row = { spec, ours: null, torch: null };
  const t0 = now();
  const child = spawnSync(process.execPath, [...process.execArgv, self, '--child', JSON.stringify(spec)], { encoding: 'utf8', maxBuffer: 1 << 24 });
  const out = child.stdout?.split('\n').find((l) => l.startsWith('RESULT '));
  if (child.status === 0 && out) row.ours = JSON.parse(out.slice(7));
  else row.oursError = lastLine(child.stderr || child.stdout || `exit ${child.status}`);
  if (row.ours) {
    const s = mean(row.ours.stepSeconds);
    console.log(`  ours:    ${row.ours.stepSeconds.map((x) => x.toFixed(2)).join(', ')} s per step → ${rate(clips / s)} clips/s (warm-up ${row.ours.warmupSeconds.toFixed(1)} s; ${((now() - t0) / 1000).toFixed(0)} s in all); losses ${fmtLosses(row.ours.losses)}`);
  } else console.log(`  ours: failed: ${row.oursError}`);
  if (haveTorch) {
    const t1 = now();
    const input = JSON.stringify({ ...spec, plugins: resolvedPlugins(spec), threads: cpus().length });
    const r = spawnSync(py, [torchScript], { input, encoding: 'utf8', maxBuffer: 1 << 24 });
    if (r.status === 0) row.torch = JSON.parse(r.stdout);
    else row.torchError = lastLine(r.stderr || `exit ${r.status}`);
    if (row.torch) {
      const s = mean(row.torch.stepSeconds);
      console.log(`  PyTorch: ${row.torch.stepSeconds.map((x) => x.toFixed(2)).join(', ')} s per step → ${rate(clips / s)} clips/s (warm-up ${row.torch.warmupSeconds.toFixed(1)} s; ${((now() - t1) / 1000).toFixed(0)} s in all); losses ${fmtLosses(row.torch.losses)}`);
    } else console.log(`  PyTorch: failed: ${row.torchError}`);
  }
  rows.push(row);
}

function fmtLosses(l: Record<string, number>): string {
  return Object.entries(l).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(', ');
}

const MiB = (bytes: number) => (bytes / 2 ** 20).toFixed(0);
const header = '| backbone | pairs × 2 views | clip | timed steps (ours / PyTorch) | ours s/step | ours clips/s | PyTorch s/step | PyTorch clips/s | ours / PyTorch | ours peak GPU MiB: live (allocated) | ours RSS Δ MiB | PyTorch RSS Δ MiB |';
const lines = [header, '|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|'];
for (const { spec, ours, torch } of rows) {
  const clips = 2 * spec.batch;
  const os = ours ? mean(ours.stepSeconds) : NaN;
  const ts = torch ? mean(torch.stepSeconds) : NaN;
  const name = spec.name === 'tiny' ? `tiny (width ${spec.backbone.width}, ${ours?.params ?? torch?.params} params)` : `R(2+1)D-10 (${ours?.params ?? torch?.params} params)`;
  lines.push(
    `| ${name} | ${spec.batch} × 2 = ${clips} clips | 3×${spec.frames}×${spec.size}² | ${ours?.stepSeconds.length ?? '–'} / ${torch?.stepSeconds.length ?? '–'} | ` +
      `${ours ? os.toFixed(2) : 'failed'} | ${ours ? rate(clips / os) : '–'} | ${torch ? ts.toFixed(2) : '–'} | ${torch ? rate(clips / ts) : '–'} | ` +
      `${ours && torch ? (ts / os).toFixed(3) + '×' : '–'} | ${ours ? `${MiB(ours.peakLiveBytes)} (${MiB(ours.peakAllocatedBytes)})` : '–'} | ` +
      `${ours ? MiB((ours.rssPeakKB - ours.rssBeforeKB) * 1024) : '–'} | ${torch ? MiB((torch.rssPeakKB - torch.rssBeforeKB) * 1024) : '–'} |`,
  );
}
const loadEnd = load();
console.log('\n' + lines.join('\n'));
for (const r of rows) {
  if (r.oursError) console.log(`${r.spec.name}: ours failed: ${r.oursError}`);
  if (r.torchError) console.log(`${r.spec.name}: PyTorch failed: ${r.torchError}`);
}
const torchLine = rows.find((r) => r.torch)?.torch;
console.log(`load average at end: ${loadEnd}`);

if (recorded) {
  const date = new Date().toISOString().slice(0, 10);
  const r2 = runs.find((r) => r.name === 'r2plus1d');
  const section = [
    '## Training step (`npm run bench:train`)',
    '',
    `Date: ${date}. Command: \`npm run bench:train\` (\`tsx bench/train.bench.ts\`). Adapter: ${adapterLine}, Dawn via the \`webgpu\` package, Node ${process.version}; ${cpuLine}` +
      `${torchLine ? `; PyTorch ${torchLine.torch} (CPU, ${torchLine.threads} threads) in the same run (\`bench/torch_train.py\`)` : '; PyTorch not measured'}. Load average ${loadStart} at start, ${loadEnd} at the end.`,
    '',
    'One CSTP training step as `Trainer` (src/plugins/trainer) runs it: both views through the backbone, the STOR (spatial, temporal), speed and rotation heads',
    '(Linear-BN-ReLU-Linear, hidden 512), BYOL (projector and predictor 512 → 128, momentum target backbone + projector run on both views), fixed weighting',
    '(tasks 1, contrastive 0.1), backward, gradient clipping at norm 5, one readback of the loss terms, AdamW (lr 1e-3, weight decay 0.05, none on biases and norms),',
    "the warmup-cosine schedule and BYOL's momentum update. PyTorch runs the same step with the same architectures (the backbones of",
    "`test/golden/backbone_fixtures.py`, which match torchvision's) in `bench/torch_train.py`. **Data loading is excluded**: every step gets the same",
    'pre-made batch of random N(0, 1) clips and random labels. The warm-up step is not timed (pipeline compilation, optimizer state, the BYOL target);',
    'a timed step runs from one idle GPU to the next (the optimizer and momentum updates included); s/step is the mean of the timed steps; clips/s = 2 × pairs / (s/step).',
    '',
    ...lines,
    '',
    '- ours / PyTorch: speed ratio (PyTorch s/step ÷ ours s/step).',
    "- ours peak GPU: the buffer pool's high-water marks (`memory().peakLiveBytes` / `peakAllocatedBytes`, reset after the model and the batch are built, so",
    '  they include parameters, gradients, optimizer state, the BYOL target and the batch): live = bytes of buffers held by tensors, allocated = all buffers the',
    "  pool holds (live + kept for reuse, ≤ 1 GiB cached). Buffer sizes are rounded up to the pool's buckets; uniforms and readback buffers are not counted.",
    "- RSS Δ: growth of the process's peak resident set (`getrusage` maxrss) from before the model is built to after the timed steps, each configuration in its",
    '  own process. For PyTorch it is the memory of its CPU tensors and workspaces (tracemalloc does not see them); on a software adapter our GPU buffers are',
    "  host memory too, so ours includes them plus lavapipe's and Dawn's own allocations (compiled shaders, command buffers).",
    ...(software && r2
      ? [
          `- **R(2+1)D-10 is scaled down on this software adapter**: ${r2.batch} pairs of ${r2.frames} × ${r2.size} × ${r2.size} clips, not the recipe's 16 × 112 × 112. At 16 frames and 2 clips per`,
          "  view, layer1's column matrix (231 MB) exceeds the 128 MiB storage binding limit, its convolutions fall back from im2col + the CPU matmul kernel to the",
          '  implicit-GEMM kernel (~4× slower on lavapipe: 1.3 vs 5 GFLOP/s measured on layer1), so a step would take ~6× as long (twice the work, most of it at a quarter of the speed); 2 pairs is the smallest batch at',
          `  which the heads' BatchNorm1d sees more than one row. ${r2.warmup} warm-up step, then as many timed steps as fit in ${r2.budget} s (at least one, at most ${r2.steps}).`,
        ]
      : []),
    "- The machine is shared with other agents' jobs (tests, training runs), which take CPU from both sides; numbers move by ±30 % from run to run.",
    '',
  ].join('\n');
  writeResultsSection('Training step (`npm run bench:train`)', section, writeTo);
}
