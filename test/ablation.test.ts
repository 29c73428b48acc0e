// examples/ablation.ts: the pure pieces (variant names, per-variant configs at an equal budget,
// mean ± sample std on hand-made numbers, the tables) and, as child processes, --help, usage errors
// (exit 2), a tiny study (2 variants × 2 seeds × 2 steps on a 2-class × 4-video synthetic set) whose
// table and ablation.json agree with the runs' own eval.json files, and a second invocation that
// reuses every finished run (no training, same files).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../src/plugins/config.ts';
import {
  DEFAULT_VARIANTS, RANDOM_INIT, configDifferences, formatMeanStd, markdownTable, meanStd, parseVariants, summarize, textTable, variantConfig,
} from '../examples/lib/ablation.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const script = join(root, 'examples/ablation.ts');

function run(args: string[], timeoutMs = 600_000) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', script, ...args], { cwd: root, encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, FORCE_COLOR: '0' } });
  return { code: r.status, out: `${r.stdout ?? ''}`, err: `${r.stderr ?? ''}` };
}

const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-12, `${what}: ${a} vs ${b}`);
const TASKS = ['order', 'rotation', 'speed', 'stor'];

const unit = suite('ablation: pure pieces');

unit('meanStd: mean and sample standard deviation (n − 1) on hand-made numbers', () => {
  // 0.2, 0.4, 0.6: mean 0.4; squared deviations 0.04 + 0 + 0.04 = 0.08; / (3 − 1) = 0.04; sqrt = 0.2.
  const a = meanStd([0.2, 0.4, 0.6]);
  close(a.mean, 0.4, 'mean');
  close(a.std!, 0.2, 'std');
  assert.is(a.n, 3);
  // 1, 2, 3, 4: mean 2.5; deviations² 2.25 + 0.25 + 0.25 + 2.25 = 5; / 3; sqrt = 1.2909944487358056.
  const b = meanStd([1, 2, 3, 4]);
  close(b.mean, 2.5, 'mean');
  close(b.std!, Math.sqrt(5 / 3), 'std');
  // Two values: std = |a − b| / sqrt 2.
  close(meanStd([0.5, 1]).std!, 0.5 / Math.SQRT2, 'two values');
  // Identical values: std 0.
  assert.equal(meanStd([0.3, 0.3, 0.3]), { mean: 0.3, std: 0, n: 3 });
  // One value: no std; none: NaN mean; non-finite values are left out.
  assert.equal(meanStd([0.7]), { mean: 0.7, std: null, n: 1 });
  const e = meanStd([]);
  assert.ok(Number.isNaN(e.mean) && e.std === null && e.n === 0);
  const f = meanStd([1, Number.NaN, 3]);
  close(f.mean, 2, 'mean without NaN');
  close(f.std!, Math.SQRT2, 'std without NaN');
  assert.is(f.n, 2);
});

unit('formatMeanStd: percent with one decimal; the mean alone with one seed; – with none', () => {
  assert.is(formatMeanStd({ mean: 0.4, std: 0.2, n: 3 }), '40.0 ± 20.0');
  assert.is(formatMeanStd({ mean: 0.4567, std: 0.01234, n: 2 }), '45.7 ± 1.2');
  assert.is(formatMeanStd({ mean: 0.5, std: null, n: 1 }), '50.0');
  assert.is(formatMeanStd({ mean: Number.NaN, std: null, n: 0 }), '–');
});

unit('summarize + tables: one row per variant in order, each column over the seeds', () => {
  const runs = [
    { variant: RANDOM_INIT, seed: 0, values: { knn: 0.1, linear: 0.2 } },
    { variant: RANDOM_INIT, seed: 1, values: { knn: 0.3, linear: 0.2 } },
    { variant: 'all', seed: 1, values: { knn: 0.6, linear: 0.9 } },
    { variant: 'all', seed: 0, values: { knn: 0.4, linear: 0.7 } },
    { variant: 'contrastive', seed: 0, values: { knn: 0.5, linear: 0.5 } },
  ];
  const order = [
    { name: RANDOM_INIT, tasks: null, objective: null },
    { name: 'contrastive', tasks: [], objective: 'byol' },
    { name: 'all', tasks: ['stor', 'speed', 'rotation'], objective: 'byol' },
  ];
  const cols = [{ protocol: 'knn', metric: 'k20_top1' }, { protocol: 'linear', metric: 'top1' }];
  const rows = summarize(runs, order, cols);
  assert.equal(rows.map((r) => r.variant), [RANDOM_INIT, 'contrastive', 'all']);
  assert.equal(rows[2].seeds, [0, 1]);
  assert.equal(rows[2].summary.knn.values, [0.4, 0.6]); // seed order
  close(rows[2].summary.knn.mean, 0.5, 'all knn mean');
  close(rows[2].summary.knn.std!, Math.sqrt(0.02), 'all knn std'); // (0.01 + 0.01) / 1
  close(rows[0].summary.linear.std!, 0, 'random linear std');
  assert.is(rows[1].summary.knn.std, null);
  assert.is(rows[1].summary.knn.metric, 'k20_top1');
  const md = markdownTable(rows, cols).split('\n');
  assert.is(md[0], '| variant | tasks | objective | kNN k20_top1 (%) | linear top1 (%) |');
  assert.is(md[1], '|---|---|---|---:|---:|');
  assert.is(md[2], '| random init | – | – | 20.0 ± 14.1 | 20.0 ± 0.0 |');
  assert.is(md[3], '| contrastive | none | byol | 50.0 | 50.0 |');
  assert.is(md[4], '| all | stor, speed, rotation | byol | 50.0 ± 14.1 | 80.0 ± 14.1 |');
  const text = textTable(rows, cols).split('\n');
  assert.is(text.length, 5);
  assert.match(text[4], /^all\s+stor, speed, rotation\s+byol\s+50\.0 ± 14\.1\s+80\.0 ± 14\.1$/);
});

unit('parseVariants: presets, task combinations, and errors listing the valid names', () => {
  const d = parseVariants(DEFAULT_VARIANTS.join(','), TASKS);
  assert.equal(d, [
    { name: 'contrastive', tasks: [], contrastive: true },
    { name: 'pretext', tasks: ['stor', 'speed', 'rotation'], contrastive: false },
    { name: 'stor+contrastive', tasks: ['stor'], contrastive: true },
    { name: 'all', tasks: ['stor', 'speed', 'rotation'], contrastive: true },
  ]);
  assert.equal(parseVariants('speed+rotation, rotation+contrastive', TASKS), [
    { name: 'speed+rotation', tasks: ['speed', 'rotation'], contrastive: false },
    { name: 'rotation+contrastive', tasks: ['rotation'], contrastive: true },
  ]);
  const err = (s: string) => {
    try {
      parseVariants(s, TASKS);
    } catch (e) {
      return (e as Error).message;
    }
    return '';
  };
  assert.match(err('contrastive,everything'), /unknown variant 'everything'.*valid variants: contrastive, pretext, stor\+contrastive, all.*order, rotation, speed, stor/);
  assert.match(err('stor+jigsaw'), /'jigsaw' is not a pretext task/);
  assert.match(err('all,all'), /listed twice/);
  assert.match(err(''), /no variant given/);
  assert.match(err('random-init'), /always included/);
});

unit('variantConfig: the variant decides tasks and objective, everything else (the budget) is shared', () => {
  const base = parseConfig({ steps: 7, batchSize: 3, optimizer: { type: 'sgd', lr: 0.02 }, tasks: [{ type: 'stor', hidden: 32 }, { type: 'speed' }, { type: 'rotation' }], objective: { type: 'byol', hidden: 16 } });
  const vs = parseVariants(DEFAULT_VARIANTS.join(','), TASKS);
  const cfgs = vs.map((v) => parseConfig(variantConfig(base, v, 5, `out/${v.name}/seed-5`)));
  assert.equal(cfgs.map((c) => c.tasks.map((t) => t.type)), [[], ['stor', 'speed', 'rotation'], ['stor'], ['stor', 'speed', 'rotation']]);
  assert.equal(cfgs.map((c) => c.objective?.type ?? null), ['byol', null, 'byol', 'byol']);
  assert.equal(cfgs[2].tasks[0], { type: 'stor', hidden: 32 }); // options of the base config's task of that type
  assert.equal(cfgs[0].objective, { type: 'byol', hidden: 16 });
  for (const c of cfgs) {
    assert.is(c.seed, 5);
    assert.is(c.resume, false);
    assert.equal([c.steps, c.batchSize, c.optimizer, c.schedule, c.backbone, c.data], [base.steps, base.batchSize, base.optimizer, base.schedule, base.backbone, base.data]);
  }
  assert.is(cfgs[1].out, 'out/pretext/seed-5');
  assert.equal(base.tasks.length, 3, 'the base config is not modified');
});

unit('configDifferences: dotted paths, ignoring fields that do not change results', () => {
  const a = parseConfig({ steps: 5 });
  const b = parseConfig({ steps: 6, out: 'elsewhere', checkpointEvery: 1, data: { workers: 0 }, optimizer: { type: 'adamw', lr: 0.01 } });
  assert.equal(configDifferences(a, b), ['optimizer.lr', 'steps']);
  assert.equal(configDifferences(a, structuredClone(a)), []);
});

unit.run();

const cli = suite('examples/ablation.ts');

cli('--help documents the options, the variants and the files', () => {
  const r = run(['--help'], 60_000);
  assert.is(r.code, 0, r.err);
  for (const s of ['--seeds', '--variants', '--protocols', '--out', '--data', '--eval-data', '--test-every', '--steps', '--batch-size', '--lr', '--set', '--config',
    'contrastive', 'pretext', 'stor+contrastive', 'all', 'random', 'ablation.json', 'ablation.md', 'eval.json', 'mean', 'std', '130']) {
    assert.ok(r.out.includes(s), `help mentions ${s}`);
  }
});

cli('usage errors exit with 2 and say what is valid', () => {
  const a = run(['--variants', 'contrastive,everything'], 60_000);
  assert.is(a.code, 2, a.err);
  assert.match(a.err, /unknown variant 'everything'.*valid variants: contrastive, pretext, stor\+contrastive, all/);
  const b = run(['--protocols', 'knn,magic'], 60_000);
  assert.is(b.code, 2);
  assert.match(b.err, /unknown evaluator 'magic'; registered: .*linear/);
  const c = run(['--tasks', 'stor'], 60_000);
  assert.is(c.code, 2);
  assert.match(c.err, /--tasks: not an option of the ablation/);
  const d = run(['--seeds', '0,x'], 60_000);
  assert.is(d.code, 2);
  assert.match(d.err, /--seeds: expected an integer/);
  const e = run(['--objective', 'none', '--variants', 'contrastive'], 60_000);
  assert.is(e.code, 2);
  assert.match(e.err, /contrastive variants need an objective/);
});

cli('a tiny study: runs, table, ablation.json / .md agree with the runs; a second invocation reuses them', () => {
  const out = mkdtempSync(join(tmpdir(), 'cstp-ablation-'));
  try {
    const synthetic = JSON.stringify({ frames: 48, size: 32, classes: 2, videosPerClass: 4, seed: 0 });
    const args = ['--out', out, '--seeds', '0,1', '--steps', '2', '--variants', 'contrastive,stor+contrastive', '--batch-size', '4', '--no-progress', '--checkpoint-every', '0',
      '--set', 'backbone.width=4', '--set', 'data.size=32', '--set', `data.synthetic=${synthetic}`, '--set', 'evaluation.heldOut={"videosPerClass":4,"frames":48}', '--set', 'tasks[0].hidden=32',
      '--set', 'objective.hidden=32', '--set', 'objective.predictorHidden=32', '--set', 'objective.projectionDim=16'];
    const r = run(args);
    assert.is(r.code, 0, `${r.out}\n${r.err}`);
    const variants = ['contrastive', 'stor+contrastive'];
    // Run folders: a pretraining run each (log, checkpoint, eval.json), and the baseline's eval.json.
    for (const seed of [0, 1]) {
      for (const v of variants) {
        const dir = join(out, v, `seed-${seed}`);
        const log = readFileSync(join(dir, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((l) => 'losses' in l);
        assert.is(log.length, 2, `${dir}: 2 steps`);
        assert.ok(existsSync(join(dir, 'checkpoints', 'step-00000002.safetensors')));
        const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
        assert.is(cfg.seed, seed);
        assert.equal(cfg.tasks.map((t: { type: string }) => t.type), v === 'contrastive' ? [] : ['stor']);
        assert.is(cfg.objective.type, 'byol');
        assert.equal([cfg.steps, cfg.batchSize, cfg.optimizer.lr], [2, 4, 0.002], 'the same budget');
        if (v === 'stor+contrastive') assert.ok('spatial' in log[0].losses && 'contrastive' in log[0].losses);
        else assert.equal(Object.keys(log[0].losses), ['contrastive']);
      }
      assert.ok(existsSync(join(out, RANDOM_INIT, `seed-${seed}`, 'eval.json')));
    }
    // ablation.json: columns, rows (random init first), per-seed values = the runs' eval.json, mean ± std of them.
    const j = JSON.parse(readFileSync(join(out, 'ablation.json'), 'utf8'));
    assert.is(j.format, 'cstp-ablation/1');
    assert.equal(j.settings.seeds, [0, 1]);
    assert.equal(j.settings.protocols, ['knn', 'linear']);
    assert.equal(j.columns, [{ protocol: 'knn', metric: 'k20_top1' }, { protocol: 'linear', metric: 'top1' }]);
    assert.equal(j.rows.map((x: { variant: string }) => x.variant), [RANDOM_INIT, ...variants]);
    for (const row of j.rows) {
      for (const { protocol, metric } of j.columns) {
        const values = [0, 1].map((seed) => {
          const ev = JSON.parse(readFileSync(join(out, row.variant, `seed-${seed}`, 'eval.json'), 'utf8'));
          const res = ev.results.find((x: { protocol: string }) => x.protocol === protocol);
          assert.is(res.provenance.checkpoint.kind, row.variant === RANDOM_INIT ? 'random-init' : 'checkpoint');
          return res.metrics[metric] as number;
        });
        const s = row.summary[protocol];
        assert.equal(s.values, values, `${row.variant} ${protocol}`);
        const m = values.reduce((a, b) => a + b, 0) / 2;
        close(s.mean, m, `${row.variant} ${protocol} mean`);
        close(s.std, Math.abs(values[0] - values[1]) / Math.SQRT2, `${row.variant} ${protocol} std`);
        assert.is(s.n, 2);
      }
    }
    // ablation.md: the caption and the markdown table (header, alignment row, one row per variant + baseline).
    const md = readFileSync(join(out, 'ablation.md'), 'utf8');
    assert.equal(md, j.markdown);
    const lines = md.trim().split('\n');
    assert.match(lines[0], /^Task ablation: tiny backbone .* 2 steps of 4 pairs .* evaluated on synthetic held-out videos \(6 train \/ 2 test videos, centre clips at rate 8\); .* mean ± sample std over seeds 0, 1\.$/);
    assert.is(lines[2], '| variant | tasks | objective | kNN k20_top1 (%) | linear top1 (%) |');
    assert.is(lines.length, 2 + 2 + 3);
    const cellRe = /^\d+\.\d ± \d+\.\d$/;
    for (const [i, name] of ['random init', ...variants].entries()) {
      const cells = lines[4 + i].split('|').slice(1, -1).map((c) => c.trim());
      assert.is(cells[0], name);
      assert.ok(cellRe.test(cells[3]) && cellRe.test(cells[4]), lines[4 + i]);
      const s = j.rows[i].summary;
      assert.is(cells[3], `${(100 * s.knn.mean).toFixed(1)} ± ${(100 * s.knn.std).toFixed(1)}`);
    }
    // stdout: the same table.
    assert.match(r.out, /ablation \(6 runs, 0 reused;/);
    assert.match(r.out, /^stor\+contrastive\s+stor\s+byol\s+\d+\.\d ± \d+\.\d\s+\d+\.\d ± \d+\.\d$/m);

    // Second invocation: everything reused (no training, no new log lines, same checkpoint and results).
    const ckpt = join(out, 'contrastive', 'seed-1', 'checkpoints', 'step-00000002.safetensors');
    const before = { mtime: statSync(ckpt).mtimeMs, eval: readFileSync(join(out, 'stor+contrastive', 'seed-0', 'eval.json'), 'utf8'), log: readFileSync(join(out, 'contrastive', 'seed-0', 'log.jsonl'), 'utf8') };
    const r2 = run(args);
    assert.is(r2.code, 0, `${r2.out}\n${r2.err}`);
    assert.match(r2.out, /ablation \(6 runs, 6 reused;/);
    assert.is((r2.out.match(/: reused /g) ?? []).length, 6);
    assert.not.match(r2.out, /adapter:|steps:/, 'nothing trained or evaluated');
    assert.is(statSync(ckpt).mtimeMs, before.mtime);
    assert.is(readFileSync(join(out, 'stor+contrastive', 'seed-0', 'eval.json'), 'utf8'), before.eval);
    assert.is(readFileSync(join(out, 'contrastive', 'seed-0', 'log.jsonl'), 'utf8'), before.log);
    const j2 = JSON.parse(readFileSync(join(out, 'ablation.json'), 'utf8'));
    assert.equal(j2.rows, j.rows);
    assert.is(readFileSync(join(out, 'ablation.md'), 'utf8'), md);

    // The same folder with another budget is refused (exit 2), not mixed in.
    const r3 = run(args.map((a) => (a === '2' ? '3' : a)));
    assert.is(r3.code, 2, `${r3.out}\n${r3.err}`);
    assert.match(r3.err, /was made with a different configuration \(steps\)/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

cli.run();
