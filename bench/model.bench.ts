// Full forward + backward of R(2+1)D-10 (the reference backbone, layers [1,1,1,1]) in training
// mode, side by side with torchvision's model in PyTorch on the same machine in the same run.
// GFLOP/s counts the convolutions only (3 × forward conv FLOPs for forward + both gradients).
// Usage: npx tsx bench/model.bench.ts [--frames T] [--size S] [--batch N] [--reps R]
// Defaults: 16×112×112, batch 4 on hardware; 8×56×56, batch 1 on a software adapter.
import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import * as E from '../src/engine/index.ts';
import { backbones } from '../src/plugins/backbones/index.ts';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const adapter = await E.init();
const frames = arg('frames', adapter.software ? 8 : 16);
const size = arg('size', adapter.software ? 56 : 112);
const batch = arg('batch', adapter.software ? 1 : 4);
const reps = arg('reps', adapter.software ? 2 : 5);
console.log(`adapter: ${adapter.description} (${adapter.software ? 'software' : 'hardware'}); ${cpus()[0]?.model} × ${cpus().length}; load ${loadavg()[0].toFixed(2)}`);
console.log(`R(2+1)D-10, input ${batch}×3×${frames}×${size}×${size}${adapter.software ? ' (scaled down for the software adapter)' : ''}, train mode, best of ${reps}`);

const torch = spawnSync('/usr/bin/python3', [new URL('./torch_model.py', import.meta.url).pathname], {
  input: JSON.stringify({ batch, frames, size, reps }),
  encoding: 'utf8',
  env: { ...process.env, THREADS: String(cpus().length) },
});
const ref = torch.status === 0 ? (JSON.parse(torch.stdout) as { seconds: number; forwardConvFlops: number; params: number }) : null;
if (!ref) console.log(`PyTorch not measured: ${(torch.stderr || '').trim().split('\n').pop()}`);

const model = backbones.build({ type: 'r2plus1d', layers: [1, 1, 1, 1] }, {});
model.train();
const x = E.randn([batch, 3, frames, size, size]);
const step = async () => {
  for (const p of model.parameters()) p.setGrad(null);
  E.tidy(() => model.call(x).sum().backward());
  await E.sync();
};
await step();
let best = Infinity;
for (let r = 0; r < reps; r++) {
  const t0 = performance.now();
  await step();
  best = Math.min(best, (performance.now() - t0) / 1000);
}
const flops = ref ? 3 * ref.forwardConvFlops : NaN;
console.log(`ours:    ${best.toFixed(3)} s per forward+backward${ref ? `, ${(flops / best / 1e9).toFixed(2)} GFLOP/s` : ''}, ${(batch / best).toFixed(2)} clips/s`);
if (ref) {
  console.log(`PyTorch: ${ref.seconds.toFixed(3)} s per forward+backward, ${(flops / ref.seconds / 1e9).toFixed(2)} GFLOP/s, ${(batch / ref.seconds).toFixed(2)} clips/s (${ref.params} parameters)`);
  console.log(`ratio ours/PyTorch (speed): ${(ref.seconds / best).toFixed(3)}×`);
}
model.dispose();
await E.shutdown();
