// Video decoding throughput: the WebCodecs reader (src/video, @napi-rs/webcodecs in Node) on the real
// clips (../shared/fixtures/video, when present) and on the synthetic set, against FFmpeg's own
// decoder. There is no `ffmpeg` binary here (node-av downloads one in an install script, which is
// blocked, and this project never downloads binaries at run time), so the FFmpeg baseline is the
// same libavcodec through node-av's bindings, timed like `ffmpeg -benchmark -i X -f null -`:
// demux + decode only, with 1 thread and with FFmpeg's automatic thread count.
//
//   npx tsx bench/video.bench.ts [--repeat N] [--no-write]
//
// Columns: reader sequential = decodeSequential (decode + copy to packed I420, what a loader pays);
// WebCodecs decode only = the same VideoDecoder with frames closed unread; random = single-frame
// readFrames calls at random positions (each decodes from its key frame). Appends (or replaces)
// the `## Video` section of bench/RESULTS.md.
import { existsSync, readdirSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { openVideo, ensureSyntheticDataset, loadWebCodecs } from '../src/video/index.ts';
import { fromBase64 } from '../src/video/sample-index.ts';
import { readSamples } from '../src/video/mp4.ts';
import { fileSource } from '../src/platform/node-video-files.ts';
import { loadNodeAv } from '../src/platform/node-transcode.ts';
import { writeResultsSection } from './results-file.ts';

const args = process.argv.slice(2);
const REPEAT = Number(args[args.indexOf('--repeat') + 1] || 3) || 3;
const WRITE = !args.includes('--no-write');
const FIXTURES = process.env.VIDEO_FIXTURES ?? fileURLToPath(new URL('../../shared/fixtures/video', import.meta.url));
const RESULTS = fileURLToPath(new URL('./RESULTS.md', import.meta.url));

interface Row {
  name: string;
  size: string;
  frames: number;
  reader: number;
  decodeOnly: number;
  random: number;
  ffmpeg1: number;
  ffmpegAuto: number;
}

const best = async (fn: () => Promise<number>): Promise<number> => {
  let t = Infinity;
  for (let i = 0; i < REPEAT; i++) t = Math.min(t, await fn());
  return t;
};

/** Frames per second of decodeSequential over the files. */
async function readerFps(paths: string[]): Promise<{ fps: number; frames: number }> {
  let frames = 0;
  const ms = await best(async () => {
    frames = 0;
    const t0 = performance.now();
    for (const p of paths) {
      const r = await openVideo(fileSource(p), p);
      frames += await r.decodeSequential(() => {});
      await r.close();
    }
    return performance.now() - t0;
  });
  return { fps: (frames * 1000) / ms, frames };
}

/** The raw WebCodecs decoder on the reader's samples: decode, close each frame unread. */
async function decodeOnlyFps(paths: string[]): Promise<number> {
  const wc = await loadWebCodecs();
  const inputs: { config: VideoDecoderConfig; chunks: EncodedVideoChunk[] }[] = [];
  let frames = 0;
  for (const p of paths) {
    const r = await openVideo(fileSource(p), p);
    const idx = r.index;
    const src = fileSource(p);
    if (idx.container !== 'mp4') {
      await r.close();
      continue;
    }
    const data = await readSamples(src, idx, 0, idx.pts.length - 1);
    await src.close();
    const keys = new Set(idx.keys);
    inputs.push({
      config: { codec: idx.codec, codedWidth: idx.codedWidth, codedHeight: idx.codedHeight, description: idx.description ? fromBase64(idx.description) : undefined },
      chunks: data.map((d, i) => new wc.EncodedVideoChunk({ type: keys.has(i) ? 'key' : 'delta', timestamp: idx.pts[i], data: d })),
    });
    frames += idx.pts.length;
    await r.close();
  }
  if (!inputs.length) return NaN;
  const ms = await best(async () => {
    const t0 = performance.now();
    for (const { config, chunks } of inputs) {
      const dec = new wc.VideoDecoder({ output: (f) => f.close(), error: () => {} });
      dec.configure(config);
      for (const c of chunks) dec.decode(c);
      await dec.flush();
      dec.close();
    }
    return performance.now() - t0;
  });
  return (frames * 1000) / ms;
}

/** Single random frames per second (each readFrames([i]) decodes from its key frame). */
async function randomFps(paths: string[], perFile: number): Promise<number> {
  let n = 0;
  let s = 12345;
  const ms = await best(async () => {
    n = 0;
    const t0 = performance.now();
    for (const p of paths) {
      const r = await openVideo(fileSource(p), p);
      for (let k = 0; k < perFile; k++) {
        s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
        await r.readFrames([s % r.info.frameCount]);
        n++;
      }
      await r.close();
    }
    return performance.now() - t0;
  });
  return (n * 1000) / ms;
}

/** libavcodec through node-av: demux + decode, like `ffmpeg -benchmark -i X -f null -`. */
async function ffmpegFps(paths: string[], threads: number): Promise<number> {
  let av;
  try {
    av = await loadNodeAv();
  } catch {
    return NaN;
  }
  let frames = 0;
  const ms = await best(async () => {
    frames = 0;
    const t0 = performance.now();
    for (const p of paths) {
      // synchronous calls: no promise or thread hop per packet, as in the ffmpeg CLI's loop
      const input = await av.Demuxer.open(p);
      const stream = input.video()!;
      const dec = av.Decoder.createSync(stream, { threadCount: threads });
      for (const pkt of input.packetsSync(stream.index)) {
        for (const f of dec.decodeAllSync(pkt)) {
          frames++;
          f.free();
        }
        pkt?.free();
      }
      for (const f of dec.decodeAllSync(null)) {
        frames++;
        f.free();
      }
      dec.close();
      input.closeSync();
    }
    return performance.now() - t0;
  });
  return (frames * 1000) / ms;
}

const rows: Row[] = [];
const notes: string[] = [];
const load0 = loadavg()[0];

async function measure(name: string, size: string, paths: string[], randomPerFile: number): Promise<void> {
  const r = await readerFps(paths);
  const row: Row = {
    name,
    size,
    frames: r.frames,
    reader: r.fps,
    decodeOnly: await decodeOnlyFps(paths),
    random: await randomFps(paths, randomPerFile),
    ffmpeg1: await ffmpegFps(paths, 1),
    ffmpegAuto: await ffmpegFps(paths, 0),
  };
  rows.push(row);
  console.log(JSON.stringify(row));
}

if (existsSync(join(FIXTURES, 'expected.csv'))) {
  for (const file of readdirSync(FIXTURES).filter((f) => /\.(mp4|mkv)$/.test(f)).sort()) {
    const r = await openVideo(fileSource(join(FIXTURES, file)), file);
    const size = `${r.info.width}×${r.info.height}`;
    await r.close();
    await measure(file, size, [join(FIXTURES, file)], 20);
  }
} else notes.push(`the real clips (${FIXTURES}) were not found: only the synthetic set was measured`);

const ds = await ensureSyntheticDataset({});
await measure('synthetic set (120 × 48 frames, GOP 16)', '128×128', ds.items.map((it) => it.path), 2);

const ffmpegBin = spawnSync('ffmpeg', ['-version'], { encoding: 'utf8' });
if (ffmpegBin.status !== 0) {
  notes.push('no `ffmpeg` binary on this machine (node-av\'s install script that downloads one is blocked, and nothing is downloaded at run time): ' +
    'the FFmpeg columns time the same libavcodec (FFmpeg 8, via node-av) with a demux + decode loop, which is what `ffmpeg -benchmark -f null` measures');
}

const f = (v: number) => (Number.isFinite(v) ? v.toFixed(0) : '—');
const machine = `${cpus()[0]?.model ?? 'unknown CPU'} (${availableParallelism()} threads), Node ${process.versions.node}, load average ${load0.toFixed(1)} at start`;
const section = [
  '## Video',
  '',
  `Decoding throughput in frames/s (best of ${REPEAT}), \`npx tsx bench/video.bench.ts\`. Machine: ${machine}.`,
  '',
  '| clip | size | frames | reader sequential (decode + I420 copy) | WebCodecs decode only | random single frames | FFmpeg 1 thread | FFmpeg auto threads |',
  '|---|---|---:|---:|---:|---:|---:|---:|',
  ...rows.map((r) => `| ${r.name} | ${r.size} | ${r.frames} | ${f(r.reader)} | ${f(r.decodeOnly)} | ${f(r.random)} | ${f(r.ffmpeg1)} | ${f(r.ffmpegAuto)} |`),
  '',
  '- reader sequential: `VideoReader.decodeSequential` (GOP segments, flush per segment, every frame copied to packed I420);',
  '  WebCodecs decode only: the same @napi-rs/webcodecs `VideoDecoder`, frames closed unread (MP4 only);',
  '  random single frames: `readFrames([i])` at random `i`, each decoding from the preceding key frame.',
  ...notes.map((n) => `- ${n}.`),
  '',
].join('\n');

console.log(section);
if (WRITE) {
  writeResultsSection('Video', section, RESULTS);
}
