// The pair loader (src/data/loader.ts) with the procedural fake reader (src/data/fake-video.ts)
// and with real H.264 MP4s from the synthetic dataset: ordering and shuffle determinism, the frames
// and crops that reach each view, bounded in-flight work, the bad-file report, and that Node exits.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as E from '../src/engine/index.ts';
import { createPairLoader, type PairBatch } from '../src/data/loader.ts';
import { fakeFrame, fakeFrameId, fakePath, parseFake, openItem as openFake } from '../src/data/fake-video.ts';
import { runJob } from '../src/data/worker-core.ts';
import { pairFrames, resolveStorOptions } from '../src/data/samplers/stor.ts';
import { framesToClipReference } from '../src/video/clip.ts';
import { ensureSyntheticDatasetInWorker } from '../src/platform/node-synthetic.ts';
import { assertClose } from './helpers.ts';

const test = suite('data loader');
const root = fileURLToPath(new URL('..', import.meta.url));
const FAKE = new URL('../src/data/fake-video.ts', import.meta.url).href;
const note = (s: string) => console.log(`\nnote: ${s}`);

test.before(async () => {
  await E.init();
});
test.after(async () => {
  await E.shutdown();
});

const fakeItems = (n: number, o: { frames?: (i: number) => number } = {}) =>
  Array.from({ length: n }, (_, i) => ({ path: fakePath(`v${i}`, { frames: o.frames ? o.frames(i) : 40 + ((i * 37) % 200), width: 96 + (i % 3) * 16, height: 72 }), label: i % 5 }));

async function digest(b: PairBatch): Promise<string> {
  const [a, c] = await Promise.all(b.views.map((v) => v.data()));
  let h = 0;
  for (const arr of [a, c]) for (let i = 0; i < arr.length; i += 97) h = (Math.imul(h, 31) + Math.round(arr[i] * 1e4)) | 0;
  return `${b.items.map((i) => i.position).join(',')}|${JSON.stringify(b.labels)}|${h}`;
}

async function collect(o: Parameters<typeof createPairLoader>[0], epochs: number[]): Promise<{ digests: string[][]; paths: string[][]; report: ReturnType<Awaited<ReturnType<typeof createPairLoader>>['report']> }> {
  const loader = await createPairLoader(o);
  const digests: string[][] = [];
  const paths: string[][] = [];
  try {
    for (const e of epochs) {
      const d: string[] = [];
      const p: string[] = [];
      for await (const b of loader.epoch(e)) {
        d.push(await digest(b));
        p.push(...b.items.map((i) => i.path));
        b.dispose();
      }
      digests.push(d);
      paths.push(p);
    }
    return { digests, paths, report: loader.report() };
  } finally {
    await loader.close();
  }
}

test('a job decodes exactly the frames both clips need', async () => {
  const stor = resolveStorOptions({ clipLength: 16 });
  const path = fakePath('job', { frames: 300, width: 80, height: 60 });
  const { result, transfer } = await runJob({ id: 1, path, name: path, seed: 123, stor }, openFake);
  assert.ok(result.ok);
  if (!result.ok) return;
  assert.equal(result.frames.map((f) => f.index), pairFrames(result.pair));
  for (const f of result.frames) assert.is(fakeFrameId(f.data).index, f.index, 'the decoded frame is the one asked for');
  assert.is(transfer.length, result.frames.length, 'every plane is transferable');
  const bad = await runJob({ id: 2, path: fakePath('bad', { frames: 10, fail: 'read' }), name: 'bad', seed: 1, stor }, openFake);
  assert.is(bad.result.ok, false);
});

test('views hold the sampled frames, crops and rotations (no augmentation: compared with framesToClip\'s CPU reference)', async () => {
  const items = fakeItems(6);
  const loader = await createPairLoader({ dataset: { items }, batchSize: 3, seed: 5, workers: 0, readerModule: FAKE, augment: false, size: [24, 20], clipLength: 8 });
  try {
    for await (const b of loader.epoch(0)) {
      const views = await Promise.all(b.views.map((v) => v.data()));
      b.pairs.forEach((p, i) => {
        const spec = parseFake(b.items[i].path);
        for (let v = 0; v < 2; v++) {
          const clip = p.clips[v];
          const frames = clip.frames.map((f) => ({ width: spec.width, height: spec.height, data: fakeFrame(spec, f) }));
          const ref = framesToClipReference(frames, { crop: clip.crop, size: [24, 20], rotation: clip.rotation });
          const n = ref.length;
          assertClose(views[v].subarray(i * n, (i + 1) * n), ref, 0, 1e-4, `pair ${i} view ${v}`);
        }
      });
      b.dispose();
    }
  } finally {
    await loader.close();
  }
});

test('shuffle and sampling are deterministic from the seed, identical with or without workers', async () => {
  const items = fakeItems(14);
  const base = { dataset: { items }, batchSize: 4, seed: 11, readerModule: FAKE, size: [32, 32] as [number, number], clipLength: 8 };
  const a = await collect({ ...base, workers: 0 }, [0, 1]);
  const b = await collect({ ...base, workers: 2 }, [0, 1]);
  const c = await collect({ ...base, workers: 0, seed: 12 }, [0]);
  assert.equal(a.digests, b.digests, 'same batches (order, labels, pixels) in-process and with 2 worker threads');
  assert.is(a.digests[0].length, 3, '14 items, batch 4, dropLast → 3 batches');
  assert.not.equal(a.paths[0], a.paths[1], 'each epoch has its own order');
  assert.not.equal(a.paths[0], c.paths[0], 'another seed, another order');
  assert.is(new Set(a.paths[0]).size, 12);
  // decoded() + assemble() gives the same batches as epoch().
  const loader = await createPairLoader({ ...base, workers: 0 });
  const viaDecoded: string[] = [];
  for await (const g of loader.decoded(0)) {
    const batch = loader.assemble(g);
    viaDecoded.push(await digest(batch));
    batch.dispose();
  }
  await loader.close();
  assert.equal(viaDecoded, a.digests[0], 'decoded() + assemble() = epoch()');
  const unshuffled = await collect({ ...base, workers: 0, shuffle: false, dropLast: false }, [0]);
  assert.equal(unshuffled.paths[0], items.map((i) => i.path), 'shuffle: false keeps dataset order; dropLast: false keeps the tail');
});

test('bounded in-flight work: at most prefetch × batchSize pairs decoded ahead of a slow consumer', async () => {
  const items = fakeItems(40).map((it) => ({ ...it, path: it.path + '&delay=5' }));
  let open = 0;
  let maxOpen = 0;
  let opened = 0;
  const counting = async (path: string, name: string) => {
    opened++;
    const r = await openFake(path, name);
    open++;
    maxOpen = Math.max(maxOpen, open);
    return { ...r, readFrames: r.readFrames, close: async () => { open--; await r.close(); } };
  };
  const loader = await createPairLoader({ dataset: { items }, batchSize: 4, prefetch: 2, seed: 1, workers: 0, openItem: counting, size: [16, 16], clipLength: 8, augment: false });
  let batches = 0;
  const aheadSeen: number[] = [];
  try {
    for await (const b of loader.epoch(0)) {
      b.dispose();
      batches++;
      await new Promise((r) => setTimeout(r, 60)); // a slow training step
      aheadSeen.push(opened - batches * 4);
    }
  } finally {
    await loader.close();
  }
  const s = loader.stats();
  assert.is(batches, 10);
  assert.ok(s.maxInFlight <= 8, `max in flight ${s.maxInFlight} ≤ 8`);
  assert.ok(Math.max(...aheadSeen) <= 8, `opened ahead of consumption ≤ 8 (saw ${Math.max(...aheadSeen)})`);
  assert.ok(maxOpen <= 2, `jobs per worker ≤ 2 (saw ${maxOpen})`);
  assert.ok(Math.min(...aheadSeen.slice(0, -2)) >= 4, 'the next batch is decoded while the consumer works');
  note(`in flight: max ${s.maxInFlight}, decoded ahead while training: ${Math.min(...aheadSeen.slice(0, -2))}–${Math.max(...aheadSeen)} pairs`);
});

test('bad files are skipped, counted and reported; training goes on (worker crash and stuck decoder included)', async () => {
  const good = fakeItems(10);
  const bad = [
    { path: fakePath('cannot-open', { frames: 50, fail: 'open' }) },
    { path: fakePath('broken-stream', { frames: 50, fail: 'read' }) },
    { path: fakePath('empty', { frames: 0 }) },
    { path: fakePath('crasher', { frames: 50, crash: true }) },
    { path: fakePath('stuck', { frames: 50, hang: true }) },
  ];
  const items = [...good.slice(0, 4), bad[0], bad[1], ...good.slice(4, 7), bad[2], bad[3], bad[4], ...good.slice(7)];
  const loader = await createPairLoader({ dataset: { items }, batchSize: 5, seed: 3, workers: 2, readerModule: FAKE, size: [16, 16], clipLength: 8, jobTimeoutMs: 3000, shuffle: false });
  let pairs = 0;
  try {
    for await (const b of loader.epoch(0)) {
      pairs += b.views[0].shape[0];
      assert.ok(b.items.every((i) => !bad.some((x) => x.path === i.path)), 'no bad file in a batch');
      b.dispose();
    }
    const r = loader.report();
    assert.is(pairs, 10, 'every good file delivered (2 full batches)');
    assert.ok(r.complete);
    const reasons = Object.fromEntries(r.skipped.map((s) => [parseFake(s.path).name, s.reason]));
    assert.equal(Object.keys(reasons).sort(), ['broken-stream', 'cannot-open', 'crasher', 'empty', 'stuck']);
    assert.match(reasons['cannot-open'], /cannot open/);
    assert.match(reasons['broken-stream'], /decode error/);
    assert.match(reasons.empty, /no frames/);
    assert.match(reasons.crasher, /crash/);
    assert.match(reasons.stuck, /timed out/);
    assert.ok(loader.stats().workerRestarts >= 3, 'crashed and stuck workers were replaced');
    note(`report: ${r.skipped.map((s) => `${parseFake(s.path).name} (${s.reason.replace(/^fake:\S+: /, '')})`).join('; ')}`);
  } finally {
    await loader.close();
  }
});

test('breaking out of an epoch drops its work; the next epoch starts clean', async () => {
  const loader = await createPairLoader({ dataset: { items: fakeItems(30) }, batchSize: 3, seed: 2, workers: 1, readerModule: FAKE, size: [16, 16], clipLength: 8 });
  try {
    for await (const b of loader.epoch(0)) {
      b.dispose();
      break;
    }
    assert.is(loader.report().complete, false);
    let n = 0;
    for await (const b of loader.epoch(1)) {
      n++;
      b.dispose();
    }
    assert.is(n, 10);
    assert.ok(loader.report().complete);
    assert.is(loader.report().skipped.length, 0);
  } finally {
    await loader.close();
  }
});

function runChild(body: string): { status: number | null; ms: number; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'cstp-loader-'));
  const file = join(dir, 'child.mts');
  const src = (p: string) => pathToFileURL(join(root, p)).href;
  writeFileSync(file, `import * as E from '${src('src/engine/index.ts')}';\nimport { createPairLoader } from '${src('src/data/loader.ts')}';\nimport { fakePath } from '${src('src/data/fake-video.ts')}';\n` +
    `await E.init();\nconst items = Array.from({ length: 12 }, (_, i) => ({ path: fakePath('c' + i, { frames: 60 }) }));\n` +
    `const loader = await createPairLoader({ dataset: { items }, batchSize: 2, workers: 2, readerModule: '${src('src/data/fake-video.ts')}', size: [16, 16], clipLength: 8 });\n${body}\n`);
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', file], { cwd: root, encoding: 'utf8', timeout: 40000 });
  rmSync(dir, { recursive: true, force: true });
  return { status: r.status, ms: performance.now() - t0, out: `${r.stdout}${r.stderr}` };
}

test('Node exits: after close(), and when close() is forgotten', () => {
  const closed = runChild(`for await (const b of loader.epoch(0)) b.dispose();\nawait loader.close();\nawait E.shutdown();\nconsole.log('DONE');`);
  assert.is(closed.status, 0, closed.out);
  assert.match(closed.out, /DONE/);
  const forgotten = runChild(`let k = 0;\nfor await (const b of loader.epoch(0)) { b.dispose(); if (++k === 2) break; }\nawait E.shutdown();\nconsole.log('DONE');`);
  assert.is(forgotten.status, 0, forgotten.out);
  assert.match(forgotten.out, /DONE/);
  note(`child processes exited in ${(closed.ms / 1000).toFixed(1)} s (closed) and ${(forgotten.ms / 1000).toFixed(1)} s (no close, epoch abandoned)`);
});

test('real H.264 MP4s (synthetic set) through worker threads; AVI/raw-stream fixtures are reported, not fatal', async () => {
  const ds = await ensureSyntheticDatasetInWorker({ classes: 2, videosPerClass: 3, frames: 40, size: 128, cacheDir: join(root, '.cache') });
  const items: { path: string; label?: number }[] = [...ds.items];
  const shared = join(root, '..', 'shared', 'fixtures', 'video');
  const fixtures = ['apply-eye-makeup.avi', 'fencing-raw-mpeg4.m4v', 'tennis.mp4'].map((f) => join(shared, f));
  const haveShared = fixtures.every((f) => existsSync(f));
  if (haveShared) items.push(...fixtures.map((path) => ({ path })));
  else note('../shared/fixtures/video is absent: real-footage part skipped');
  const loader = await createPairLoader({ dataset: { items }, batchSize: 2, seed: 4, workers: 2, clipLength: 8, size: [32, 32], stor: { rates: [1, 2] } });
  let pairs = 0;
  try {
    for await (const b of loader.epoch(0)) {
      assert.equal(b.views[0].shape, [2, 3, 8, 32, 32]);
      const d = await b.views[1].data();
      assert.ok(d.every(Number.isFinite));
      pairs += 2;
      b.dispose();
    }
    const r = loader.report();
    const expectedBad = haveShared ? 2 : 0;
    assert.is(r.skipped.length, expectedBad, JSON.stringify(r.skipped));
    assert.is(pairs, items.length - expectedBad - ((items.length - expectedBad) % 2));
    if (haveShared) note(`real fixtures: ${r.skipped.map((s) => s.reason.slice(0, 90)).join(' | ')}`);
  } finally {
    await loader.close();
  }
});

test.run();
