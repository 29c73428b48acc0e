// conv3d forward, input-gradient and weight-gradient on the layer shapes of R3D-18 and
// R(2+1)D-10, in GFLOP/s, side by side with PyTorch on the same machine in the same run.
// Usage: npx tsx bench/conv.bench.ts [--frames T] [--size S] [--batch N] [--reps R]
// Defaults: 16×112×112, batch 2 on a hardware adapter; 8×56×56, batch 1 on a software adapter
// (lavapipe on 2 cores would take minutes per layer at full size).
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import * as E from '../src/engine/index.ts';
import { convLayers, forwardFlops, type ConvLayer } from './conv_layers.ts';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};

const adapter = await E.init();
const T = arg('frames', adapter.software ? 8 : 16);
const S = arg('size', adapter.software ? 56 : 112);
const batch = arg('batch', adapter.software ? 1 : 2);
const reps = arg('reps', adapter.software ? 2 : 10);
const layers = convLayers(T, S);
console.log(`adapter: ${adapter.description} (${adapter.software ? 'software' : 'hardware'}); machine: ${cpus()[0]?.model} × ${cpus().length}`);
console.log(`input ${batch}×3×${T}×${S}×${S}${adapter.software ? ' (scaled down for the software adapter)' : ''}, best of ${reps}`);

type Pass = 'forward' | 'inputGrad' | 'weightGrad';

async function timeOurs(l: ConvLayer): Promise<Record<Pass, number>> {
  const x = E.randn([batch, l.cin, ...l.input], { requiresGrad: true });
  const w = E.randn([l.cout, l.cin, ...l.kernel], { requiresGrad: true });
  const opts = { stride: l.stride, padding: l.padding };
  const y0 = E.noGrad(() => E.F.conv3d(x, w, null, opts));
  const g = E.randn(y0.shape);
  y0.dispose();
  const run = async (pass: Pass) => {
    x.setGrad(null);
    w.setGrad(null);
    x.requiresGrad = pass === 'inputGrad';
    w.requiresGrad = pass === 'weightGrad';
    E.tidy(() => {
      const y = E.F.conv3d(x, w, null, opts);
      if (pass !== 'forward') y.backward({ gradient: g });
    });
    await E.sync();
  };
  const out = {} as Record<Pass, number>;
  for (const pass of ['forward', 'inputGrad', 'weightGrad'] as Pass[]) {
    await run(pass); // compile and warm up
    let best = Infinity;
    for (let r = 0; r < reps; r++) {
      const t0 = performance.now();
      await run(pass);
      best = Math.min(best, (performance.now() - t0) / 1000);
    }
    out[pass] = pass === 'forward' ? best : Math.max(best - out.forward, 1e-9);
  }
  for (const t of [x, w, g]) t.dispose();
  return out;
}

function timeTorch(): Record<Pass, number>[] | null {
  const r = spawnSync('/usr/bin/python3', [new URL('./torch_conv.py', import.meta.url).pathname], {
    input: JSON.stringify({ batch, reps, layers }),
    encoding: 'utf8',
    env: { ...process.env, THREADS: String(cpus().length) },
    maxBuffer: 1 << 24,
  });
  if (r.status !== 0) {
    console.log(`PyTorch not measured (${(r.stderr || r.error?.message || '').trim().split('\n').pop()}); install python3-torch for the side-by-side ratio`);
    return null;
  }
  return JSON.parse(r.stdout).results;
}

const torch = timeTorch();
const rows: string[] = ['| layer | pass | ours GFLOP/s | PyTorch GFLOP/s | ratio |', '|---|---|---|---|---|'];
let oursTotal = 0;
let torchTotal = 0;
for (const [i, l] of layers.entries()) {
  const ours = await timeOurs(l);
  const flops = forwardFlops(l, batch);
  for (const pass of ['forward', 'inputGrad', 'weightGrad'] as Pass[]) {
    const o = flops / ours[pass] / 1e9;
    const t = torch ? flops / torch[i][pass] / 1e9 : NaN;
    oursTotal += ours[pass];
    if (torch) torchTotal += torch[i][pass];
    rows.push(`| ${l.name} | ${pass} | ${o.toFixed(2)} | ${torch ? t.toFixed(2) : '—'} | ${torch ? (o / t).toFixed(3) : '—'} |`);
  }
  console.log(rows.slice(-3).join('\n'));
}
console.log(`\n${rows.join('\n')}`);
if (torch) console.log(`\nall layers, forward + both gradients: ours ${oursTotal.toFixed(2)} s, PyTorch ${torchTotal.toFixed(2)} s, ratio ${(torchTotal / oursTotal).toFixed(3)}×`);
await E.shutdown();
