// Node side of the trainer: config files, checkpoint files (atomic), the JSONL step log, the
// progress bar (cli-progress) and SIGINT/SIGTERM. The trainer itself (src/plugins/trainer) never
// touches files, signals or stdout.
import { mkdir, readdir, readFile, rename, open, unlink, stat } from 'node:fs/promises';
import { appendFileSync, mkdirSync } from 'node:fs';
import { join, resolve, extname, dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { randomBytes } from 'node:crypto';
import cliProgress from 'cli-progress';
import { saveSafetensorsFile, loadSafetensorsFile } from './node-files.ts';
import { applyOverrides, parseCliArgs, parseConfig, ConfigError, type CliArgs, type TrainConfig } from '../plugins/config.ts';
import type { CheckpointData, CheckpointSink, CheckpointState, DataSource, LoadedCheckpoint, LogSink, ProgressSink, StepRecord } from '../plugins/trainer/types.ts';
import { Trainer, type TrainerParts, type RunResult, type RunOptions } from '../plugins/trainer/trainer.ts';

/** Reads a config file: `.json`, or a `.ts`/`.js`/`.mjs` module whose default export is the config (defineConfig). */
export async function loadConfigFile(path: string): Promise<unknown> {
  const abs = resolve(path);
  try {
    await stat(abs);
  } catch {
    throw new ConfigError(`--config ${path}: file not found`);
  }
  const ext = extname(abs).toLowerCase();
  if (ext === '.json') {
    try {
      return JSON.parse(await readFile(abs, 'utf8'));
    } catch (err) {
      throw new ConfigError(`--config ${path}: ${(err as Error).message}`);
    }
  }
  if (['.ts', '.mts', '.js', '.mjs'].includes(ext)) {
    const mod = (await import(pathToFileURL(abs).href)) as { default?: unknown };
    if (mod.default === undefined) throw new ConfigError(`--config ${path}: the module has no default export (export default defineConfig({...}))`);
    return mod.default;
  }
  throw new ConfigError(`--config ${path}: expected a .json, .ts or .js file`);
}

/** Command line → validated config: defaults ← config file ← flags and --set, in that order. */
export async function resolveConfig(argv: readonly string[], base: Record<string, unknown> = {}): Promise<{ config: TrainConfig; cli: CliArgs }> {
  const cli = parseCliArgs(argv);
  if (cli.help) return { config: parseConfig(base), cli };
  const fromFile = cli.configFile ? ((await loadConfigFile(cli.configFile)) as Record<string, unknown>) : {};
  const raw = applyOverrides({ ...base, ...fromFile }, cli.overrides);
  return { config: parseConfig(raw), cli };
}

async function writeFileAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
  const fh = await open(tmp, 'wx');
  try {
    await fh.writeFile(text, 'utf8');
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
}

const STEM = /^step-(\d+)$/;

/**
 * Checkpoints in `<dir>`: `step-00000100.safetensors` (weights, optimizer moments, weighting
 * parameters) and `step-00000100.json` (CheckpointState), each written to a temporary file and
 * renamed. The JSON is written second, so a checkpoint exists only once both files are complete;
 * `latest()` takes the highest step whose two files are there. The newest `keep` are kept.
 */
export class FileCheckpointSink implements CheckpointSink {
  constructor(readonly dir: string, readonly keep = 3) {}

  async save(c: CheckpointData): Promise<string> {
    await mkdir(this.dir, { recursive: true });
    const stem = join(this.dir, `step-${String(c.step).padStart(8, '0')}`);
    await saveSafetensorsFile(`${stem}.safetensors`, c.tensors, { format: 'cstp-checkpoint/1', step: String(c.step) });
    await writeFileAtomic(`${stem}.json`, JSON.stringify(c.state, null, 1) + '\n');
    await this.prune();
    return `${stem}.safetensors`;
  }

  private async steps(): Promise<number[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return [];
    }
    const set = new Set(names);
    const steps: number[] = [];
    for (const n of names) {
      if (!n.endsWith('.json')) continue;
      const m = STEM.exec(n.slice(0, -5));
      if (m && set.has(`${n.slice(0, -5)}.safetensors`)) steps.push(Number(m[1]));
    }
    return steps.sort((a, b) => a - b);
  }

  private async prune(): Promise<void> {
    const steps = await this.steps();
    for (const s of steps.slice(0, Math.max(0, steps.length - this.keep))) {
      const stem = join(this.dir, `step-${String(s).padStart(8, '0')}`);
      await unlink(`${stem}.json`).catch(() => {});
      await unlink(`${stem}.safetensors`).catch(() => {});
    }
  }

  async latest(): Promise<LoadedCheckpoint | null> {
    const steps = await this.steps();
    if (steps.length === 0) return null;
    const step = steps[steps.length - 1];
    const stem = join(this.dir, `step-${String(step).padStart(8, '0')}`);
    const state = JSON.parse(await readFile(`${stem}.json`, 'utf8')) as CheckpointState;
    const tensors = await loadSafetensorsFile(`${stem}.safetensors`);
    return { step, tensors, state, where: `${stem}.safetensors` };
  }
}

/** One JSON line per step (and per event) appended to `path`; synchronous, so a crash loses at most the line being written. */
export class JsonlLogSink implements LogSink {
  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
  }
  step(r: StepRecord): void {
    appendFileSync(this.path, JSON.stringify(r) + '\n');
  }
  event(name: string, data: Record<string, unknown>): void {
    appendFileSync(this.path, JSON.stringify({ event: name, time: new Date().toISOString(), ...data }) + '\n');
  }
}

function fmtLosses(l: Record<string, number>): string {
  return Object.entries(l)
    .map(([k, v]) => `${k} ${v.toFixed(3)}`)
    .join(' ');
}

/**
 * A progress bar on stdout: step/total, ETA, clips/s, lr and each loss term (smoothed). When stdout
 * is not a terminal, a plain line every `every` steps instead.
 */
export class BarProgress implements ProgressSink {
  private bar: cliProgress.SingleBar | null = null;
  private smooth: Record<string, number> = {};
  private rate = 0;
  private total = 0;

  constructor(readonly opts: { tty?: boolean; every?: number } = {}) {}

  start(totalSteps: number, fromStep: number): void {
    this.total = totalSteps;
    const tty = this.opts.tty ?? Boolean(process.stdout.isTTY);
    if (!tty) return;
    this.bar = new cliProgress.SingleBar(
      { format: 'step {value}/{total} [{bar}] {percentage}% | ETA {eta_formatted} | {rate} clips/s | lr {lr} | {losses}', hideCursor: true, barsize: 20, etaBuffer: 20, stream: process.stdout },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(totalSteps, fromStep, { rate: '-', lr: '-', losses: '' });
  }

  update(r: StepRecord): void {
    const a = 0.9;
    for (const [k, v] of Object.entries(r.losses)) this.smooth[k] = Number.isFinite(this.smooth[k]) ? a * this.smooth[k] + (1 - a) * v : v;
    this.rate = this.rate ? a * this.rate + (1 - a) * r.clipsPerSec : r.clipsPerSec;
    if (this.bar) {
      this.bar.update(r.step, { rate: this.rate.toFixed(1), lr: r.lr.toExponential(2), losses: fmtLosses(this.smooth) });
    } else {
      const every = this.opts.every ?? 10;
      if (r.step % every === 0 || r.step === this.total || r.step === 1) {
        process.stdout.write(`step ${r.step}/${this.total} | ${this.rate.toFixed(1)} clips/s | lr ${r.lr.toExponential(2)} | ${fmtLosses(r.losses)}${r.skipped ? ` | skipped: ${r.skipped}` : ''}\n`);
      }
    }
  }

  stop(): void {
    this.bar?.stop();
    this.bar = null;
  }
}

/**
 * SIGINT/SIGTERM: the first one asks the trainer to stop after the current step (it then saves a
 * checkpoint); a second one exits at once with 130. `exitCode()` is 130 after SIGINT, 143 after
 * SIGTERM (the shell's 128 + signal), null when no signal came.
 */
export function stopSignals(onFirst?: (signal: string) => void): { shouldStop: () => boolean; exitCode: () => number | null; dispose: () => void } {
  let got: NodeJS.Signals | null = null;
  const handler = (sig: NodeJS.Signals) => {
    if (got) {
      process.stderr.write(`\n${sig} again: exiting without a checkpoint\n`);
      process.exit(130);
    }
    got = sig;
    onFirst?.(sig);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    shouldStop: () => got !== null,
    exitCode: () => (got === 'SIGINT' ? 130 : got === 'SIGTERM' ? 143 : null),
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The whole Node job around a Trainer: sinks, resume, signals.


export interface NodeRunOptions {
  config: TrainConfig;
  parts: TrainerParts;
  data: DataSource;
  totalSteps: number;
  adapter: string;
  /** Progress bar (default true); false prints nothing per step. */
  progress?: boolean | ProgressSink;
  /** Install SIGINT/SIGTERM handlers (default true). */
  signals?: boolean;
  /** Stop after this many steps of this call (tests). */
  maxStepsThisRun?: number;
  /** Messages (resume, signals); default stderr. */
  say?: (line: string) => void;
  /** After each step (Trainer RunOptions.afterStep), e.g. the online kNN monitor. */
  afterStep?: RunOptions['afterStep'];
}

export interface NodeRunResult extends RunResult {
  /** 0, or 130/143 when SIGINT/SIGTERM stopped the run (after a checkpoint was saved). */
  exitCode: number;
  resumedFrom: string | null;
  logPath: string;
  checkpointDir: string;
}

/**
 * Runs a trainer with checkpoints in `<out>/checkpoints`, the step log in `<out>/log.jsonl` and a
 * progress bar; with `config.resume` it continues from the latest checkpoint there (an error if
 * there is none). The config is also written to `<out>/config.json`.
 */
export async function runNodeTraining(o: NodeRunOptions): Promise<{ trainer: Trainer; result: NodeRunResult }> {
  const say = o.say ?? ((l: string) => process.stderr.write(l + '\n'));
  const out = resolve(o.config.out);
  await mkdir(out, { recursive: true });
  const checkpointDir = join(out, 'checkpoints');
  const sink = new FileCheckpointSink(checkpointDir);
  const logPath = join(out, 'log.jsonl');
  const trainer = new Trainer(o.config, o.parts);
  let resumedFrom: string | null = null;
  if (o.config.resume) {
    const ck = await sink.latest();
    if (!ck) throw new ConfigError(`--resume: no checkpoint in ${checkpointDir}`);
    trainer.restore(ck);
    resumedFrom = ck.where;
    say(`resuming from ${ck.where} (step ${ck.step})`);
  }
  await writeFileAtomic(join(out, 'config.json'), JSON.stringify(o.config, null, 2) + '\n');
  const sig = o.signals === false ? null : stopSignals((s) => say(`\n${s}: stopping after this step and saving a checkpoint (again to exit at once)`));
  const progress = o.progress === false ? undefined : o.progress === true || o.progress === undefined ? new BarProgress() : o.progress;
  try {
    const result = await trainer.run({
      data: o.data,
      totalSteps: o.totalSteps,
      checkpoints: sink,
      log: new JsonlLogSink(logPath),
      progress,
      shouldStop: sig?.shouldStop,
      adapter: o.adapter,
      maxStepsThisRun: o.maxStepsThisRun,
      afterStep: o.afterStep,
    });
    const exitCode = result.reason === 'stopped' ? (sig?.exitCode() ?? 0) : 0;
    return { trainer, result: { ...result, exitCode, resumedFrom, logPath, checkpointDir } };
  } finally {
    sig?.dispose();
  }
}
