// Transcodes a video dataset (or one file) to H.264 MP4 that the WebCodecs reader opens, keeping
// the folder layout (and so the class labels of root/<class>/<video> datasets) and copying split
// lists (*.txt). Uses node-av (FFmpeg's libraries; an optional dependency). Resumable: files whose
// output exists and is newer than the input are skipped.
//
//   npx tsx examples/prepare-dataset.ts data/UCF-101 data/ucf101-mp4 --short-side 128 --gop 16 --jobs 4
//
// Run with --help for the options. Exit status: 0 when every file converted, 1 when some could not
// be (they are listed at the end), 2 on bad arguments.
import { availableParallelism } from 'node:os';
import { readdir, stat, copyFile, mkdir } from 'node:fs/promises';
import { join, relative, dirname, extname, basename, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import cliProgress from 'cli-progress';
import { transcodeToMp4, upToDate, loadNodeAv, setFfmpegLogLevel } from '../src/platform/node-transcode.ts';

const HELP = `Usage: npx tsx examples/prepare-dataset.ts <src> <dst> [options]

Transcodes every video under <src> (any format FFmpeg reads: AVI/MPEG-4 Part 2 as UCF101 and
HMDB51 ship, raw .m4v streams, MKV, MOV, WebM, MP4…) to H.264 MP4 under <dst>, keeping the
relative paths (extension changed to .mp4) and copying *.txt files (split lists). <src> may also
be a single file; <dst> is then the output file (or a folder to put it in).

Options:
  --short-side N   scale so the shorter side is N pixels, keeping the aspect ratio (default 128;
                   0 keeps the size)
  --gop N          key-frame interval in frames (default 16); random access decodes at most N-1
                   extra frames
  --jobs N         files converted in parallel (default: number of CPUs)
  --crf N          x264 quality, lower is better (default 20)
  --preset NAME    x264 preset (default veryfast)
  --force          convert again even when the output is up to date
  --verbose        show FFmpeg's warnings
  --help           this text

Files already converted (output newer than input) are skipped, so an interrupted run resumes.
Needs the optional dependency node-av (npm install node-av).`;

const VIDEO_EXT = new Set(['.avi', '.mp4', '.m4v', '.mov', '.mkv', '.webm', '.mpg', '.mpeg', '.mts', '.ts', '.wmv', '.flv', '.3gp', '.ogv', '.vob', '.divx', '.h264', '.264', '.hevc']);

interface Args {
  src: string;
  dst: string;
  shortSide: number;
  gop: number;
  jobs: number;
  crf: number;
  preset: string;
  force: boolean;
  verbose: boolean;
}

function usage(msg: string): never {
  console.error(`prepare-dataset: ${msg}\nRun with --help for usage.`);
  process.exit(2);
}

function parseArgs(argv: string[]): Args {
  const pos: string[] = [];
  const a: Args = { src: '', dst: '', shortSide: 128, gop: 16, jobs: availableParallelism(), crf: 20, preset: 'veryfast', force: false, verbose: false };
  const int = (name: string, v: string | undefined, min: number) => {
    const n = Number(v);
    if (v === undefined || !Number.isInteger(n) || n < min) usage(`${name} needs an integer ≥ ${min}, got ${v ?? 'nothing'}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case '--help':
      case '-h':
        console.log(HELP);
        process.exit(0);
        break;
      case '--short-side':
        a.shortSide = int(flag, value(), 0);
        break;
      case '--gop':
        a.gop = int(flag, value(), 1);
        break;
      case '--jobs':
      case '-j':
        a.jobs = int(flag, value(), 1);
        break;
      case '--crf':
        a.crf = int(flag, value(), 0);
        break;
      case '--preset':
        a.preset = value() ?? usage('--preset needs a name');
        break;
      case '--force':
        a.force = true;
        break;
      case '--verbose':
        a.verbose = true;
        break;
      default:
        if (flag.startsWith('-')) usage(`unknown option ${flag}`);
        pos.push(arg);
    }
  }
  if (pos.length !== 2) usage(`expected <src> and <dst>, got ${pos.length} path(s)`);
  [a.src, a.dst] = pos;
  return a;
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of (await readdir(dir, { withFileTypes: true })).sort((x, y) => (x.name < y.name ? -1 : 1))) {
    if (e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else out.push(p);
  }
  return out;
}

interface Job {
  src: string;
  dst: string;
  rel: string;
}

async function plan(args: Args): Promise<{ jobs: Job[]; copies: Job[]; clashes: string[] }> {
  let s;
  try {
    s = await stat(args.src);
  } catch {
    usage(`${args.src}: not found`);
  }
  if (s.isFile()) {
    const dst = extname(args.dst).toLowerCase() === '.mp4' ? args.dst : join(args.dst, `${basename(args.src, extname(args.src))}.mp4`);
    return { jobs: [{ src: args.src, dst, rel: basename(args.src) }], copies: [], clashes: [] };
  }
  const jobs: Job[] = [];
  const copies: Job[] = [];
  const seen = new Map<string, string>();
  const clashes: string[] = [];
  for (const file of await walk(args.src)) {
    const rel = relative(args.src, file);
    const ext = extname(file).toLowerCase();
    if (ext === '.txt' || ext === '.csv' || ext === '.json') {
      copies.push({ src: file, dst: join(args.dst, rel), rel });
      continue;
    }
    if (!VIDEO_EXT.has(ext)) continue;
    const outRel = rel.slice(0, rel.length - ext.length) + '.mp4';
    const prev = seen.get(outRel);
    if (prev) {
      clashes.push(`${rel}: would overwrite the output of ${prev} (${outRel})`);
      continue;
    }
    seen.set(outRel, rel);
    jobs.push({ src: file, dst: join(args.dst, outRel), rel });
  }
  return { jobs, copies, clashes };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  // node-av runs FFmpeg work on libuv's thread pool (4 threads unless UV_THREADPOOL_SIZE says
  // otherwise, read once at start-up): re-run with a pool large enough for --jobs.
  const poolWanted = args.jobs + 2;
  if (Number(process.env.UV_THREADPOOL_SIZE ?? 4) < poolWanted && !process.env.PREPARE_DATASET_CHILD) {
    const r = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
      stdio: 'inherit',
      env: { ...process.env, UV_THREADPOOL_SIZE: String(poolWanted), PREPARE_DATASET_CHILD: '1' },
    });
    process.exit(r.status ?? 1);
  }
  try {
    await loadNodeAv();
  } catch (err) {
    console.error(`prepare-dataset: ${(err as Error).message}`);
    process.exit(1);
  }
  if (args.verbose) await setFfmpegLogLevel('warning');
  const { jobs, copies, clashes } = await plan(args);
  for (const c of copies) {
    if (!args.force && (await upToDate(c.src, c.dst))) continue;
    await mkdir(dirname(c.dst), { recursive: true });
    await copyFile(c.src, c.dst);
  }
  const todo: Job[] = [];
  let skipped = 0;
  for (const j of jobs) {
    if (!args.force && (await upToDate(j.src, j.dst))) skipped++;
    else todo.push(j);
  }
  console.log(`prepare-dataset: ${jobs.length} video(s) under ${resolve(args.src)} → ${resolve(args.dst)}; ` +
    `${skipped} already done, ${todo.length} to convert (short side ${args.shortSide || 'kept'}, GOP ${args.gop}, ${args.jobs} job(s))` +
    (copies.length ? `; ${copies.length} list file(s) copied` : ''));
  const failures: string[] = [...clashes];
  let frames = 0;
  const bar = new cliProgress.SingleBar({
    format: ' {bar} {percentage}% | {value}/{total} files | {frames} frames | {failed} failed | ETA {eta_formatted}',
    hideCursor: true,
    noTTYOutput: !process.stdout.isTTY && todo.length > 0,
    notTTYSchedule: 5000,
  }, cliProgress.Presets.shades_classic);
  const t0 = performance.now();
  if (todo.length) bar.start(todo.length, 0, { frames: 0, failed: 0 });
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < todo.length) {
      const job = todo[next++];
      let last = 0;
      try {
        await transcodeToMp4(job.src, job.dst, {
          shortSide: args.shortSide,
          gop: args.gop,
          crf: args.crf,
          preset: args.preset,
          onFrame: (n) => {
            frames += n - last;
            last = n;
          },
        });
      } catch (err) {
        failures.push((err as Error).message.startsWith(job.src) ? `${job.rel}${(err as Error).message.slice(job.src.length)}` : `${job.rel}: ${(err as Error).message}`);
      }
      done++;
      bar.update(done, { frames, failed: failures.length - clashes.length });
    }
  };
  await Promise.all(Array.from({ length: Math.min(args.jobs, Math.max(1, todo.length)) }, worker));
  if (todo.length) bar.stop();
  const secs = (performance.now() - t0) / 1000;
  console.log(`prepare-dataset: converted ${todo.length - (failures.length - clashes.length)} file(s), ${frames} frames in ${secs.toFixed(1)} s` +
    (secs > 0 && frames ? ` (${(frames / secs).toFixed(0)} frames/s)` : ''));
  if (failures.length) {
    console.log(`prepare-dataset: could not convert ${failures.length} file(s):`);
    for (const f of failures) console.log(`  ${f}`);
    process.exit(1);
  }
}

await main();
