// Decoding real clips (../shared/fixtures/video) through src/video's WebCodecs path in Node:
// frame counts against FFmpeg's (expected.csv), reference frames decoded by FFmpeg, random access
// against sequential decoding, the damaged clip, byte-range reads and the serialisable index.
// Without the fixtures folder every test passes after printing a `note:` line.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { inflateSync } from 'node:zlib';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openVideo, countingSource, framesToClipReference, clearIndexCache, VideoError, type DecodedFrame } from '../src/video/index.ts';
import { fileSource } from '../src/platform/node-video-files.ts';

const FIXTURES = process.env.VIDEO_FIXTURES ?? fileURLToPath(new URL('../../shared/fixtures/video', import.meta.url));
const have = existsSync(join(FIXTURES, 'expected.csv'));
const test = suite('video decode (real clips)');
const log = (line: string) => process.stdout.write(`\n  ${line}`);

if (!have) console.log(`note: video fixtures not found at ${FIXTURES}; real-clip decode tests skipped (they pass)`);

interface Expected {
  file: string;
  container: string;
  codec: string;
  width: number;
  height: number;
  frames: number;
}

function expected(): Expected[] {
  const [head, ...rows] = readFileSync(join(FIXTURES, 'expected.csv'), 'utf8').trim().split('\n');
  const cols = head.split(',');
  return rows.map((r) => {
    const v = r.split(',');
    const get = (k: string) => v[cols.indexOf(k)];
    return { file: get('file'), container: get('container'), codec: get('codec'), width: +get('width'), height: +get('height'), frames: +get('frames') };
  });
}

const open = (file: string) => openVideo(fileSource(join(FIXTURES, file)), file);

/** FNV-1a of a frame's bytes: sequential and random-access decodes must agree exactly. */
function digest(f: DecodedFrame): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < f.data.length; i += 7) h = Math.imul(h ^ f.data[i], 0x01000193);
  return `${f.width}x${f.height}:${(h >>> 0).toString(16)}`;
}

function decodePng(buf: Buffer): { width: number; height: number; channels: number; data: Uint8Array } {
  let p = 8;
  let width = 0;
  let height = 0;
  let colorType = 0;
  const idat: Buffer[] = [];
  while (p < buf.length) {
    const len = buf.readUInt32BE(p);
    const type = buf.toString('latin1', p + 4, p + 8);
    const d = buf.subarray(p + 8, p + 8 + len);
    if (type === 'IHDR') {
      width = d.readUInt32BE(0);
      height = d.readUInt32BE(4);
      colorType = d[9];
      if (d[8] !== 8 || d[12] !== 0) throw new Error('decodePng: only 8-bit non-interlaced PNGs');
    } else if (type === 'IDAT') idat.push(d);
    p += 12 + len;
  }
  const channels = ({ 0: 1, 2: 3, 6: 4 } as Record<number, number>)[colorType];
  if (!channels) throw new Error(`decodePng: colour type ${colorType}`);
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const out = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? out[y * stride + x - channels] : 0;
      const up = y > 0 ? out[(y - 1) * stride + x] : 0;
      const c = x >= channels && y > 0 ? out[(y - 1) * stride + x - channels] : 0;
      let v = raw[y * (stride + 1) + 1 + x];
      if (filter === 1) v += a;
      else if (filter === 2) v += up;
      else if (filter === 3) v += (a + up) >> 1;
      else if (filter === 4) {
        const pp = a + up - c;
        const pa = Math.abs(pp - a);
        const pb = Math.abs(pp - up);
        const pc = Math.abs(pp - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? up : c;
      }
      out[y * stride + x] = v & 255;
    }
  }
  return { width, height, channels, data: out };
}

test('frame counts, sizes and containers match FFmpeg for every MP4/MKV clip', async () => {
  if (!have) return;
  const rows = expected().filter((e) => e.container === 'mov' || e.container === 'matroska');
  assert.ok(rows.length >= 6, 'expected.csv lists the MP4 and MKV clips');
  for (const e of rows) {
    const t0 = performance.now();
    const r = await open(e.file);
    try {
      assert.is(r.info.frameCount, e.frames, `${e.file}: frame count`);
      assert.is(r.info.width, e.width, `${e.file}: width`);
      assert.is(r.info.height, e.height, `${e.file}: height`);
      assert.is(r.info.container, e.container === 'mov' ? 'mp4' : 'matroska', `${e.file}: container`);
      assert.ok(r.info.codec.startsWith('avc1.'), `${e.file}: H.264 codec string, got ${r.info.codec}`);
      log(`${e.file}: ${r.info.frameCount} frames ${r.info.width}×${r.info.height} ${r.info.codec} ${r.info.fps} fps, ` +
        `${r.index.keys.length} key frame(s), index in ${(performance.now() - t0).toFixed(0)} ms`);
    } finally {
      await r.close();
    }
  }
});

test('reference frames (FFmpeg, BT.601 limited) within mean 3/255, max 40/255', async () => {
  if (!have) return;
  const pngs = existsSync(join(FIXTURES, 'frames')) ? (await import('node:fs')).readdirSync(join(FIXTURES, 'frames')).filter((f) => f.endsWith('.png')) : [];
  assert.ok(pngs.length > 0, 'reference PNGs present');
  const byClip = new Map<string, number[]>();
  for (const png of pngs) {
    const m = /^(.*)-f(\d+)\.png$/.exec(png)!;
    byClip.set(m[1], [...(byClip.get(m[1]) ?? []), Number(m[2])]);
  }
  const clips = expected();
  for (const [stem, indices] of byClip) {
    const file = clips.find((c) => c.file.replace(/\.[^.]+$/, '') === stem)!.file;
    const r = await open(file);
    try {
      const frames = await r.readFrames(indices);
      for (const f of frames) {
        const ref = decodePng(readFileSync(join(FIXTURES, 'frames', `${stem}-f${f.index}.png`)));
        assert.is(ref.width, f.width);
        assert.is(ref.height, f.height);
        const rgb = framesToClipReference([f], { size: [f.height, f.width] });
        const n = f.width * f.height;
        let sum = 0;
        let max = 0;
        for (let c = 0; c < 3; c++) {
          for (let i = 0; i < n; i++) {
            const e = Math.abs(rgb[c * n + i] * 255 - ref.data[i * ref.channels + c]);
            sum += e;
            if (e > max) max = e;
          }
        }
        const mean = sum / (3 * n);
        log(`${stem} frame ${f.index}: mean |Δ| ${mean.toFixed(2)}/255, max ${max.toFixed(1)}/255`);
        assert.ok(mean < 3, `${stem} frame ${f.index}: mean abs error ${mean.toFixed(2)} ≥ 3/255`);
        assert.ok(max < 40, `${stem} frame ${f.index}: max abs error ${max.toFixed(1)} ≥ 40/255`);
      }
    } finally {
      await r.close();
    }
  }
});

test('random access (any order, repeats) equals sequential decoding', async () => {
  if (!have) return;
  for (const file of ['yoga.mp4', 'tennis.mp4', 'flipping-pancake.mkv']) {
    const r = await open(file);
    try {
      const seq: string[] = [];
      const t0 = performance.now();
      const count = await r.decodeSequential((f) => {
        assert.is(f.index, seq.length, `${file}: sequential order`);
        seq.push(digest(f));
      });
      const seqMs = performance.now() - t0;
      assert.is(count, r.info.frameCount);
      const n = r.info.frameCount;
      // deterministic pseudo-random picks across GOPs, unsorted, with repeats and the ends
      const picks = [n - 1, 0, Math.floor(n / 2), 7, n - 1, 3, Math.floor(n / 3), Math.floor((2 * n) / 3) + 1, 7, n - 2, 1];
      const t1 = performance.now();
      const frames = await r.readFrames(picks);
      const raMs = performance.now() - t1;
      assert.equal(frames.map((f) => f.index), picks, `${file}: frames come back in the requested order`);
      frames.forEach((f, i) => assert.is(digest(f), seq[picks[i]], `${file}: frame ${picks[i]} by random access differs from the sequential decode`));
      assert.ok(frames[0] === frames[4], 'a repeated index returns the same frame object');
      // one frame at a time, in a fresh reader (cached index)
      const r2 = await open(file);
      for (const p of [n - 1, Math.floor(n / 2), 0]) {
        const [f] = await r2.readFrames([p]);
        assert.is(digest(f), seq[p], `${file}: single frame ${p}`);
      }
      await r2.close();
      log(`${file}: sequential ${n} frames in ${seqMs.toFixed(0)} ms (${((n * 1000) / seqMs).toFixed(0)} fps); ${picks.length} random picks in ${raMs.toFixed(0)} ms`);
    } finally {
      await r.close();
    }
  }
});

test('the damaged clip decodes every frame without crashing', async () => {
  if (!have) return;
  const r = await open('arm-wrestling-damaged.mp4');
  try {
    let n = 0;
    let substitutes = 0;
    await r.decodeSequential((f) => {
      n++;
      if (f.substitute) substitutes++;
      assert.is(f.data.length, (f.width * f.height * 3) / 2);
    });
    assert.is(n, 280);
    const around = await r.readFrames([230, 224, 236, 279]);
    assert.is(around.length, 4);
    log(`arm-wrestling-damaged.mp4: ${n} frames decoded, ${substitutes} stood in for by a neighbour`);
  } finally {
    await r.close();
  }
});

test('reads only the byte ranges it needs; the index serialises', async () => {
  if (!have) return;
  const path = join(FIXTURES, 'yoga.mp4');
  const size = statSync(path).size;
  clearIndexCache();
  const src = countingSource(fileSource(path));
  const r = await openVideo(src, 'yoga.mp4');
  const afterOpen = src.bytesRead;
  const [last] = await r.readFrames([r.info.frameCount - 1]);
  const afterRead = src.bytesRead;
  const json = JSON.stringify(r.index);
  await r.close();
  log(`yoga.mp4 (${size} bytes): opening read ${afterOpen} bytes in ${src.reads} reads; the last frame took ${afterRead - afterOpen} more; index ${json.length} bytes of JSON`);
  assert.ok(afterOpen < size / 20, `opening should read metadata only (read ${afterOpen} of ${size} bytes)`);
  assert.ok(afterRead < size, 'reading the last frame should not read the whole file');
  // reopen from the serialised index, bypassing the cache: same frame, no demuxing
  const src2 = countingSource(fileSource(path));
  const r2 = await openVideo(src2, 'yoga.mp4', { index: JSON.parse(json), cache: false });
  const [again] = await r2.readFrames([r2.info.frameCount - 1]);
  assert.is(digest(again), digest(last));
  assert.ok(src2.reads <= 3, `with a saved index only the head and the samples are read (${src2.reads} reads)`);
  await r2.close();
});

test('AVI and raw MPEG-4 streams are refused with the reason and the prepare command', async () => {
  if (!have) return;
  for (const [file, what] of [['apply-eye-makeup.avi', /AVI container/], ['fencing-raw-mpeg4.m4v', /raw MPEG-4 Part 2 elementary stream/]] as const) {
    try {
      await open(file);
      assert.unreachable(`${file} should not open`);
    } catch (err) {
      assert.instance(err, VideoError);
      assert.match((err as Error).message, new RegExp(`^${file.replace('.', '\\.')}: `));
      assert.match((err as Error).message, what);
      assert.match((err as Error).message, /prepare-dataset/);
    }
  }
});

test.run();
