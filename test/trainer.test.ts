// The trainer with small fake plugins (a tiny conv backbone, a 4-class "speed" head, a feature
// similarity objective, a sum weighting) and a deterministic fake data source: config validation
// and CLI overrides, the JSONL log, atomic checkpoints, resume = uninterrupted run, non-finite
// losses (stop / skip), flat live GPU memory over many steps, and SIGINT (a child process).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import * as E from '../src/engine/index.ts';
import { Registry } from '../src/plugins/registry.ts';
import type { Backbone, Batch, Features, LossWeighting, Objective, PretextTask, TaskOutput } from '../src/plugins/types.ts';
import { applyOverrides, checkPlugins, parseCliArgs, parseConfig, type ConfigInput, type PluginRegistries, type TrainConfig } from '../src/plugins/config.ts';
import { buildParts, NonFiniteLossError, Trainer } from '../src/plugins/trainer/trainer.ts';
import type { DataSource, StepRecord, TrainBatch } from '../src/plugins/trainer/types.ts';
import { FileCheckpointSink, resolveConfig, runNodeTraining } from '../src/platform/node-train.ts';

const { nn, F } = E;
type Tensor = E.Tensor;

// ---- fakes ----------------------------------------------------------------------------------

class TinyBackbone extends nn.Module<[Tensor], Tensor> implements Backbone {
  readonly featureDim: number;
  readonly conv: E.nn.Conv3d;
  readonly bn: E.nn.BatchNorm3d;
  readonly fc: E.nn.Linear;
  constructor(width: number) {
    super();
    this.featureDim = width;
    this.conv = this.registerModule('conv', new nn.Conv3d(3, 4, 3, { padding: 1, bias: false }));
    this.bn = this.registerModule('bn', new nn.BatchNorm3d(4));
    this.fc = this.registerModule('fc', new nn.Linear(4, width));
  }
  override forward(x: Tensor): Tensor {
    const h = F.relu(this.bn.call(this.conv.call(x)));
    return this.fc.call(F.adaptiveAvgPool3d(h, 1).flatten(1));
  }
  lastSharedParameters(): Tensor[] {
    return this.fc.parameters();
  }
}

class SpeedTask implements PretextTask {
  readonly name = 'speed';
  readonly needs = { views: 2, labels: ['speed'] };
  readonly head: E.nn.Linear;
  constructor(dim: number, private readonly nanAt: number | null) {
    this.head = new nn.Linear(2 * dim, 4);
  }
  chance() {
    return { speed: Math.log(4) };
  }
  private calls = 0;
  forward(f: Features, b: Batch): TaskOutput {
    this.calls++;
    const logits = this.head.call(E.cat(f.pooled, 1));
    let loss = F.crossEntropy(logits, b.labels.speed!);
    if (this.nanAt !== null && this.calls === this.nanAt) loss = loss.mul(Number.NaN);
    return { losses: { speed: loss } };
  }
}

class SimObjective implements Objective {
  readonly name = 'sim';
  readonly module: E.nn.Linear;
  constructor(dim: number) {
    this.module = new nn.Linear(dim, dim);
  }
  forward(f: Features): TaskOutput {
    const a = F.normalize(this.module.call(f.pooled[0]));
    const b = F.normalize(f.pooled[1]);
    return { losses: { sim: E.sub(2, a.mul(b).sum(1).mean().mul(2)) } };
  }
}

class SumWeighting implements LossWeighting {
  readonly name = 'uniform';
  observed = 0;
  parameters() {
    return [];
  }
  combine(losses: Record<string, Tensor>) {
    const names = Object.keys(losses);
    let total = losses[names[0]];
    for (const n of names.slice(1)) total = total.add(losses[n]);
    return { total, weights: Object.fromEntries(names.map((n) => [n, 1])) };
  }
  observe() {
    this.observed++;
  }
  stateDict() {
    return { observed: this.observed };
  }
  loadStateDict(s: Record<string, unknown>) {
    this.observed = s.observed as number;
  }
}

interface Ctx {
  featureDim?: number;
}

function fakeRegistries(): PluginRegistries {
  const backbones = new Registry<Backbone, Ctx>('backbone');
  backbones.register('tiny', { schema: z.strictObject({ width: z.number().int().min(1).default(8) }), create: (o) => new TinyBackbone(o.width) });
  backbones.register('r3d', { schema: z.strictObject({}), create: () => new TinyBackbone(8) });
  const pretextTasks = new Registry<PretextTask, Ctx>('pretext task');
  pretextTasks.register('speed', { schema: z.strictObject({ nanAt: z.number().int().nullable().default(null) }), create: (o, c) => new SpeedTask(c.featureDim!, o.nanAt) });
  pretextTasks.register('stor', { schema: z.strictObject({ classes: z.number().int().default(5) }), create: (_o, c) => new SpeedTask(c.featureDim!, null) });
  const objectives = new Registry<Objective, Ctx>('objective');
  objectives.register('sim', { schema: z.strictObject({}), create: (_o, c) => new SimObjective(c.featureDim!) });
  const weightings = new Registry<LossWeighting, Ctx>('loss weighting');
  weightings.register('uniform', { schema: z.strictObject({}), create: () => new SumWeighting() });
  return { backbones, pretextTasks, objectives, weightings };
}

/** Step s always gives the same batch: the speed label shifts the views' mean (learnable). */
function fakeData(batch = 4): DataSource {
  return {
    async *batches(from: number) {
      for (let s = from; ; s++) {
        const g = new E.Generator(1000 + s);
        const labels = Array.from({ length: batch }, (_, i) => (s + i) % 4);
        const shift = E.tensor(labels.map((l) => l - 1.5), [batch, 1, 1, 1, 1]);
        const views = [0, 1].map(() => E.tidy(() => E.randn([batch, 3, 2, 6, 6], { generator: g }).add(shift)));
        shift.dispose();
        const speed = E.tensor(labels, [batch], { dtype: 'int32' });
        const b: TrainBatch = { views, labels: { speed }, dispose: () => [...views, speed].forEach((t) => t.dispose()) };
        yield b;
      }
    },
  };
}

function config(over: ConfigInput = {}, dir?: string): TrainConfig {
  return parseConfig({
    backbone: { type: 'tiny' },
    tasks: [{ type: 'speed' }],
    objective: { type: 'sim' },
    weighting: { type: 'uniform' },
    optimizer: { type: 'sgd', lr: 0.05 },
    schedule: { type: 'cosine', warmup: 2 },
    checkpointEvery: 0,
    out: dir ?? '/nonexistent',
    ...over,
  });
}

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'cstp-trainer-'));
}

function readLog(dir: string): Record<string, unknown>[] {
  return readFileSync(join(dir, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
}

// ---- child process for the SIGINT test -----------------------------------------------------

async function child(dir: string): Promise<void> {
  const a = await E.init();
  const cfg = config({ steps: 100000, checkpointEvery: 0 }, dir);
  const reg = fakeRegistries();
  let said = false;
  const { result } = await runNodeTraining({
    config: cfg,
    parts: buildParts(cfg, reg),
    data: fakeData(),
    totalSteps: cfg.steps!,
    adapter: a.description,
    say: () => {},
    progress: {
      start() {},
      stop() {},
      update(r: StepRecord) {
        if (!said && r.step >= 3) {
          said = true;
          process.stdout.write('READY\n');
        }
      },
    },
  });
  await E.shutdown();
  process.stdout.write(`STOPPED at ${result.step}\n`);
  process.exit(result.exitCode);
}

if (process.env.CSTP_TRAINER_CHILD) {
  await child(process.env.CSTP_TRAINER_CHILD);
} else {
  const cfgSuite = suite('config');

  cfgSuite('defaults, CLI overrides and --set', () => {
    const cli = parseCliArgs(['--batch-size', '8', '--tasks', 'stor,speed,rotation', '--set', 'optimizer.lr=0.05', '--steps=30', '--objective', 'none', '--resume']);
    const c = parseConfig(applyOverrides({ optimizer: { type: 'adamw' } }, cli.overrides));
    assert.is(c.batchSize, 8);
    assert.equal(c.tasks.map((t) => t.type), ['stor', 'speed', 'rotation']);
    assert.is(c.optimizer.type, 'adamw');
    assert.is(c.optimizer.lr, 0.05);
    assert.is(c.steps, 30);
    assert.is(c.objective, null);
    assert.is(c.resume, true);
    const d = parseConfig(applyOverrides({}, parseCliArgs(['--set', 'optimizer.lr=0.2', '--set', 'data.size=96']).overrides));
    assert.is(d.optimizer.type, 'adamw'); // the default optimizer, with lr overridden
    assert.is(d.optimizer.lr, 0.2);
    assert.is(d.data.size, 96);
    assert.is(d.data.clipLength, 8);
  });

  cfgSuite('errors name the field and list the choices', () => {
    const msg = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return (e as Error).message;
      }
      return '';
    };
    assert.match(msg(() => parseConfig({ batchsize: 4 })), /config\.batchsize: unknown option 'batchsize'/);
    assert.match(msg(() => parseConfig({ batchSize: 'x' })), /config\.batchSize: .*number/i);
    assert.match(msg(() => parseConfig({ optimizer: { type: 'adam' } })), /config\.optimizer\.type/);
    assert.match(msg(() => parseConfig({ optimizer: { type: 'sgd', lrr: 1 } })), /config\.optimizer\.lrr: unknown option/);
    assert.match(msg(() => parseConfig({ steps: 5, epochs: 2 })), /one of them/);
    assert.match(msg(() => parseConfig({ onNonFinite: 'ignore' })), /config\.onNonFinite/);
    assert.match(msg(() => parseCliArgs(['--batch-size'])), /--batch-size needs a value/);
    assert.match(msg(() => parseCliArgs(['--bogus'])), /unknown option '--bogus'.*--batch-size/);
    assert.match(msg(() => parseCliArgs(['--steps', '1.5'])), /--steps: expected an integer/);
    const reg = fakeRegistries();
    const m1 = msg(() => checkPlugins(config({ backbone: { type: 'resnet' } }), reg));
    assert.match(m1, /config\.backbone\.type: unknown backbone 'resnet'; registered: r3d, tiny/);
    const m2 = msg(() => checkPlugins(config({ tasks: [{ type: 'speed' }, { type: 'stor', clases: 5 }] }), reg));
    assert.match(m2, /pretext task 'stor'/);
    assert.match(m2, /config\.tasks\[1\]\.clases: unknown option 'clases'/);
    const m3 = msg(() => checkPlugins(config({ tasks: [{ type: 'spin' }], weighting: { type: 'dwa' } }), reg));
    assert.match(m3, /config\.tasks\[0\]\.type: unknown pretext task 'spin'; registered: speed, stor/);
    assert.match(m3, /config\.weighting\.type: unknown loss weighting 'dwa'; registered: uniform/);
  });

  cfgSuite('config files: JSON and defineConfig modules', async () => {
    const dir = tmp();
    try {
      writeFileSync(join(dir, 'c.json'), JSON.stringify({ batchSize: 3, seed: 7 }));
      const { config: c } = await resolveConfig(['--config', join(dir, 'c.json'), '--seed', '9']);
      assert.is(c.batchSize, 3);
      assert.is(c.seed, 9); // flags win over the file
      const src = new URL('../src/plugins/config.ts', import.meta.url).href;
      writeFileSync(join(dir, 'c.ts'), `import { defineConfig } from '${src}';\nexport default defineConfig({ batchSize: 5, optimizer: { type: 'adamw', lr: 0.002 } });\n`);
      const { config: d } = await resolveConfig(['--config', join(dir, 'c.ts')]);
      assert.is(d.batchSize, 5);
      assert.is(d.optimizer.type, 'adamw');
      writeFileSync(join(dir, 'bad.json'), JSON.stringify({ batchSize: 0 }));
      let m = '';
      await resolveConfig(['--config', join(dir, 'bad.json')]).catch((e) => (m = e.message));
      assert.match(m, /config\.batchSize/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  cfgSuite.run();

  const test = suite('trainer');
  let adapter = '';
  test.before(async () => {
    adapter = (await E.init()).description;
  });
  test.after(async () => {
    await E.shutdown();
  });

  async function runFor(cfg: TrainConfig, steps: number, opts: { maxStepsThisRun?: number; progress?: ReturnType<typeof memProbe> } = {}) {
    const parts = buildParts(cfg, fakeRegistries());
    const { trainer, result } = await runNodeTraining({ config: cfg, parts, data: fakeData(), totalSteps: steps, adapter, progress: opts.progress ?? false, signals: false, say: () => {}, maxStepsThisRun: opts.maxStepsThisRun });
    trainer.dispose();
    return result;
  }

  function memProbe() {
    const samples: E.MemoryInfo[] = [];
    return { samples, start() {}, stop() {}, update() { samples.push(E.memory()); } };
  }

  test('JSONL log: every step with each loss term, weights, lr, clips/s, adapter; checkpoint at the end', async () => {
    const dir = tmp();
    try {
      const r = await runFor(config({ steps: 6 }, dir), 6);
      assert.is(r.step, 6);
      assert.is(r.reason, 'done');
      const lines = readLog(dir);
      const steps = lines.filter((l) => 'step' in l && 'losses' in l) as unknown as StepRecord[];
      assert.equal(steps.map((s) => s.step), [1, 2, 3, 4, 5, 6]);
      for (const s of steps) {
        assert.equal(Object.keys(s.losses).sort(), ['sim', 'speed']);
        assert.ok(Number.isFinite(s.losses.speed) && Number.isFinite(s.losses.sim));
        assert.equal(s.weights, { speed: 1, sim: 1 });
        assert.ok(Math.abs(s.total - s.losses.speed - s.losses.sim) < 1e-4);
        assert.ok(s.lr > 0 && s.clipsPerSec > 0 && s.gradNorm! > 0);
        assert.is(s.adapter, adapter);
      }
      // Warmup (2 steps) then cosine: lr rises, then falls.
      assert.ok(steps[0].lr < steps[1].lr && steps[2].lr > steps[5].lr, steps.map((s) => s.lr).join(' '));
      const ev = lines.filter((l) => l.event === 'checkpoint');
      assert.is(ev.length, 1);
      assert.ok(existsSync(join(dir, 'checkpoints', 'step-00000006.safetensors')));
      const state = JSON.parse(readFileSync(join(dir, 'checkpoints', 'step-00000006.json'), 'utf8'));
      assert.is(state.step, 6);
      assert.is(state.schedule.lastEpoch, 6);
      assert.equal(state.weighting, { observed: 6 });
      assert.ok(state.rng && state.config && state.optimizer.paramGroups.length === 2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('checkpoints are atomic: no temporary files left, incomplete ones ignored, the newest 3 kept', async () => {
    const dir = tmp();
    try {
      await runFor(config({ steps: 10, checkpointEvery: 2 }, dir), 10);
      const ck = join(dir, 'checkpoints');
      const names = readdirSync(ck).sort();
      assert.equal(names, ['step-00000006.json', 'step-00000006.safetensors', 'step-00000008.json', 'step-00000008.safetensors', 'step-00000010.json', 'step-00000010.safetensors']);
      // A crash between the two files, or during a write, leaves these: latest() skips them.
      writeFileSync(join(ck, 'step-00000012.safetensors'), 'partial');
      writeFileSync(join(ck, 'step-00000014.json.tmp-1-abc'), '{');
      writeFileSync(join(ck, 'step-00000016.safetensors.tmp-1-abc'), 'x');
      const latest = await new FileCheckpointSink(ck).latest();
      assert.is(latest!.step, 10);
      assert.ok(latest!.tensors.tensors.has('backbone.conv.weight'));
      assert.ok(latest!.tensors.tensors.has('optimizer.0.momentum_buffer') || [...latest!.tensors.tensors.keys()].some((k) => k.startsWith('optimizer.')));
      assert.ok(latest!.tensors.tensors.has('backbone.bn.running_mean'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  for (const opt of ['sgd', 'adamw'] as const) {
    test(`resume (${opt}) gives the same next losses as an uninterrupted run`, async () => {
      const a = tmp();
      const b = tmp();
      try {
        const over: ConfigInput = { steps: 10, optimizer: opt === 'sgd' ? { type: 'sgd', lr: 0.05 } : { type: 'adamw', lr: 0.01 }, clipGradNorm: 1 };
        const full = await runFor(config(over, a), 10);
        const first = await runFor(config(over, b), 10, { maxStepsThisRun: 4 });
        assert.is(first.reason, 'stopped');
        assert.is(first.step, 4);
        // Disturb the engine's RNG and build everything afresh: the checkpoint must restore it all.
        E.manualSeed(12345);
        const resumed = await runFor(config({ ...over, resume: true, seed: 0 }, b), 10);
        assert.is(resumed.startStep, 4);
        assert.is(resumed.step, 10);
        const expect = full.losses.slice(4);
        assert.is(resumed.losses.length, expect.length);
        for (let i = 0; i < expect.length; i++) {
          for (const k of Object.keys(expect[i])) {
            assert.ok(Math.abs(resumed.losses[i][k] - expect[i][k]) <= 1e-6 * Math.max(1, Math.abs(expect[i][k])), `step ${i + 5} ${k}: resumed ${resumed.losses[i][k]} vs uninterrupted ${expect[i][k]}`);
          }
        }
        assert.equal(first.losses, full.losses.slice(0, 4));
      } finally {
        rmSync(a, { recursive: true, force: true });
        rmSync(b, { recursive: true, force: true });
      }
    });
  }

  // Real plugins, every stateful weighting: DWA (loss history, JSON), GradNorm (weights on the GPU
  // → `weighting_state.w`, terms and L(0) → JSON), uncertainty (log variances = parameters, with
  // their optimizer state). The order task reads the sampler's order label (−1 samples masked).
  for (const weighting of ['dwa', 'gradnorm', 'uncertainty'] as const) {
    test(`resume with the real plugins (tiny backbone, STOR + speed + rotation + order, BYOL with its momentum target, ${weighting}): same next losses and weights`, async () => {
      const { backbones, pretextTasks, objectives, weightings } = await import('../src/plugins/index.ts');
      const reg: PluginRegistries = { backbones, pretextTasks, objectives, weightings };
      const data: DataSource = {
        async *batches(from: number) {
          for (let s = from; ; s++) {
            const g = new E.Generator(500 + s);
            const n = 4;
            const views = [0, 1].map(() => E.randn([n, 3, 8, 16, 16], { generator: g }));
            const lab = (k: number, m: number, off = 0, mul = 3) => E.tensor(Array.from({ length: n * m }, (_, i) => ((s * 7 + i * mul) % k) + off), m === 1 ? [n] : [n, m], { dtype: 'int32' });
            // order: −1 (same frames, masked), 0 or 1, mixed within every batch.
            const labels = { spatial: lab(5, 1), temporal: lab(5, 1), speed: lab(4, 1), rotation: lab(4, 2), order: lab(3, 1, -1, 2) };
            yield { views, labels, dispose: () => [...views, ...Object.values(labels)].forEach((t) => t.dispose()) } as TrainBatch;
          }
        },
      };
      const over = (dir: string, resume = false) => parseConfig({
        backbone: { type: 'tiny', width: 2 },
        tasks: [{ type: 'stor', hidden: 16 }, { type: 'speed', hidden: 16 }, { type: 'rotation', hidden: 16 }, { type: 'order', hidden: 16 }],
        objective: { type: 'byol', hidden: 16, predictorHidden: 16, projectionDim: 8 },
        weighting: weighting === 'gradnorm' ? { type: weighting, lr: 0.1 } : { type: weighting },
        optimizer: { type: 'adamw', lr: 0.01 },
        steps: 6, checkpointEvery: 0, out: dir, resume,
      });
      const go = async (cfg: TrainConfig, max?: number) => {
        const { trainer, result } = await runNodeTraining({ config: cfg, parts: buildParts(cfg, reg), data, totalSteps: 6, adapter, progress: false, signals: false, say: () => {}, maxStepsThisRun: max });
        trainer.dispose();
        return result;
      };
      /** The step records of a run folder, the last one per step (a resumed run appends). */
      const records = (dir: string) => {
        const by = new Map<number, StepRecord>();
        for (const l of readLog(dir)) if ('losses' in l) by.set(l.step as number, l as unknown as StepRecord);
        return by;
      };
      const a = tmp();
      const b = tmp();
      try {
        const full = await go(over(a));
        await go(over(b), 3);
        const saved = (await new FileCheckpointSink(join(b, 'checkpoints')).latest())!;
        E.manualSeed(999);
        const resumed = await go(over(b, true));
        assert.is(resumed.startStep, 3);
        const expect = full.losses.slice(3);
        assert.ok(expect.every((l) => 'order' in l && Number.isFinite(l.order)), 'the order term is trained');
        for (let i = 0; i < expect.length; i++) {
          for (const k of Object.keys(expect[i])) {
            assert.ok(Math.abs(resumed.losses[i][k] - expect[i][k]) <= 1e-5 * Math.max(1, Math.abs(expect[i][k])), `step ${i + 4} ${k}: resumed ${resumed.losses[i][k]} vs uninterrupted ${expect[i][k]}`);
          }
        }
        const ra = records(a);
        const rb = records(b);
        for (let step = 4; step <= 6; step++) {
          const wa = ra.get(step)!.weights;
          const wb = rb.get(step)!.weights;
          assert.equal(Object.keys(wb).sort(), Object.keys(wa).sort());
          for (const k of Object.keys(wa)) assert.ok(Math.abs(wa[k] - wb[k]) <= 1e-5 * Math.max(1, Math.abs(wa[k])), `step ${step} weight of ${k}: resumed ${wb[k]} vs uninterrupted ${wa[k]}`);
        }
        const keys = [...saved.tensors.tensors.keys()];
        assert.ok(keys.some((k) => k.startsWith('objective_state.')), 'the BYOL target is in the checkpoint');
        if (weighting === 'gradnorm') {
          assert.ok(keys.includes('weighting_state.w'), 'GradNorm weights are in the checkpoint');
          const st = saved.state.weighting as { terms: string[]; initial: Record<string, number> };
          assert.equal(st.terms, Object.keys(full.losses[0]));
          assert.equal(Object.keys(st.initial).sort(), Object.keys(full.losses[0]).sort());
          for (const [k, v] of Object.entries(st.initial)) assert.is(v, full.losses.find((l) => l[k] > 0)![k], `L(0) of ${k} is its first positive loss`);
          // The weights moved away from 1 by step 3, so a restart from ones would differ.
          assert.ok(Object.values(ra.get(4)!.weights).some((w) => Math.abs(w - 1) > 1e-3), 'GradNorm weights changed');
        }
        if (weighting === 'uncertainty') assert.ok(keys.includes('weighting.0') && keys.some((k) => /^optimizer\.\d+\.exp_avg/.test(k)), 'log variances and their optimizer state');
        if (weighting === 'dwa') assert.is((saved.state.weighting as { history: unknown[] }).history.length, 2);
      } finally {
        rmSync(a, { recursive: true, force: true });
        rmSync(b, { recursive: true, force: true });
      }
    });
  }

  test('--resume without a checkpoint is a clear error', async () => {
    const dir = tmp();
    try {
      let m = '';
      await runFor(config({ steps: 3, resume: true }, dir), 3).catch((e) => (m = e.message));
      assert.match(m, /--resume: no checkpoint in .*checkpoints/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a non-finite loss stops with a message naming the term, or skips the step ('skip')", async () => {
    const dir = tmp();
    try {
      const cfg = config({ steps: 6, tasks: [{ type: 'speed', nanAt: 3 }] }, dir);
      let err: unknown = null;
      await runFor(cfg, 6).catch((e) => (err = e));
      assert.instance(err, NonFiniteLossError);
      assert.match((err as Error).message, /non-finite loss term speed \(NaN\) at step 3/);
      rmSync(dir, { recursive: true, force: true });
      const r = await runFor(config({ steps: 6, tasks: [{ type: 'speed', nanAt: 3 }], onNonFinite: 'skip' }, dir), 6);
      assert.is(r.step, 6);
      assert.is(r.skipped, 1);
      assert.ok(Number.isNaN(r.losses[2].speed));
      assert.ok(r.losses.slice(3).every((l) => Number.isFinite(l.speed) && Number.isFinite(l.sim)), 'the weights stayed finite');
      const skippedLines = readLog(dir).filter((l) => l.skipped);
      assert.is(skippedLines.length, 1);
      assert.match(String(skippedLines[0].skipped), /speed/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('live GPU memory is flat across steps after warm-up', async () => {
    const dir = tmp();
    try {
      const probe = memProbe();
      const r = await runFor(config({ steps: 80, optimizer: { type: 'adamw', lr: 0.01 }, checkpointEvery: 20 }, dir), 80, { progress: probe });
      assert.is(r.step, 80);
      const s = probe.samples;
      const at = (i: number) => `${s[i].liveTensors} tensors, ${s[i].liveBuffers} buffers, ${s[i].liveBytes} B`;
      for (let i = 5; i < s.length; i++) {
        assert.is(s[i].liveTensors, s[4].liveTensors, `step ${i + 1}: ${at(i)} vs step 5: ${at(4)}`);
        assert.is(s[i].liveBuffers, s[4].liveBuffers, `step ${i + 1}: ${at(i)} vs step 5: ${at(4)}`);
        assert.is(s[i].liveBytes, s[4].liveBytes, `step ${i + 1}: ${at(i)} vs step 5: ${at(4)}`);
      }
      console.log(`note: memory after step 5 and step 80: ${at(4)} / ${at(s.length - 1)}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the loss falls on a learnable fake task', async () => {
    const dir = tmp();
    try {
      const r = await runFor(config({ steps: 60, objective: null, optimizer: { type: 'sgd', lr: 0.1 } }, dir), 60);
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      const start = mean(r.losses.slice(0, 5).map((l) => l.speed));
      const end = mean(r.losses.slice(-10).map((l) => l.speed));
      assert.ok(end < start && end < Math.log(4), `speed loss ${start.toFixed(3)} → ${end.toFixed(3)}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('SIGINT: the child saves a checkpoint and exits with 130', async () => {
    const dir = tmp();
    try {
      const file = fileURLToPath(import.meta.url);
      const proc = spawn(process.execPath, ['--import', 'tsx', file], { env: { ...process.env, CSTP_TRAINER_CHILD: dir }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      proc.stderr.on('data', (d) => (err += d));
      const code = await new Promise<number | null>((resolve, reject) => {
        const timer = setTimeout(() => {
          proc.kill('SIGKILL');
          reject(new Error(`child timed out; stdout ${out} stderr ${err}`));
        }, 120_000);
        proc.stdout.on('data', (d) => {
          out += d;
          if (out.includes('READY') && !out.includes('SENT')) {
            out += 'SENT';
            proc.kill('SIGINT');
          }
        });
        proc.on('exit', (c) => {
          clearTimeout(timer);
          resolve(c);
        });
      });
      assert.is(code, 130, `exit code ${code}; stdout ${out}; stderr ${err}`);
      const m = /STOPPED at (\d+)/.exec(out);
      assert.ok(m, out);
      const latest = await new FileCheckpointSink(join(dir, 'checkpoints')).latest();
      assert.ok(latest, 'a checkpoint exists');
      assert.is(latest!.step, Number(m![1]));
      assert.ok(readLog(dir).some((l) => l.event === 'stopped'));
      assert.ok(readdirSync(join(dir, 'checkpoints')).every((n) => !n.includes('.tmp-')));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test.run();
}
