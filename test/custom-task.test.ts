// examples/custom-task.ts as a child process: a third-party pretext task (arrow of time) registered
// from the example's own module and trained with the built-ins (STOR + rotation + clip order +
// BYOL) for a tiny budget on a small synthetic set, through the real loader. The run must exit 0,
// list the task in --help, log a finite `arrow` loss every step and print it against its chance
// level (ln 2) in the summary; the clip-order task gets the sampler's `order` label on the way.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const script = join(root, 'examples/custom-task.ts');

function run(args: string[], timeoutMs = 600_000) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', script, ...args], { cwd: root, encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, FORCE_COLOR: '0' } });
  return { code: r.status, out: `${r.stdout ?? ''}`, err: `${r.stderr ?? ''}` };
}

const test = suite('examples/custom-task.ts');

test('--help lists the third-party task next to the built-ins', () => {
  const r = run(['--help'], 60_000);
  assert.is(r.code, 0, r.err);
  assert.match(r.out, /arrow\s+arrow of time/);
  assert.match(r.out, /stor\s+spatial \+ temporal overlap/);
});

test('a 3-step run with STOR + rotation + order + BYOL + arrow: exit 0, finite arrow loss logged and printed against chance', () => {
  const out = mkdtempSync(join(tmpdir(), 'cstp-custom-task-'));
  try {
    const synthetic = JSON.stringify({ frames: 48, size: 32, classes: 2, videosPerClass: 4, seed: 0 });
    const r = run(['--steps', '3', '--batch-size', '4', '--out', out, '--no-progress', '--checkpoint-every', '0', '--tasks', 'stor,rotation,order,arrow',
      '--set', 'backbone.width=4', '--set', 'data.size=32', '--set', `data.synthetic=${synthetic}`,
      '--set', 'tasks[0].hidden=32', '--set', 'tasks[1].hidden=32', '--set', 'tasks[2].hidden=16', '--set', 'tasks[3].hidden=16',
      '--set', 'objective.hidden=32', '--set', 'objective.predictorHidden=32', '--set', 'objective.projectionDim=16']);
    assert.is(r.code, 0, `${r.out}\n${r.err}`);
    assert.match(r.out, /tasks stor, rotation, order, arrow, objective byol/);
    const records = readFileSync(join(out, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((l) => 'losses' in l);
    assert.is(records.length, 3);
    for (const rec of records) {
      assert.ok(Number.isFinite(rec.losses.arrow), `arrow loss ${rec.losses.arrow} at step ${rec.step}`);
      assert.ok(Number.isFinite(rec.metrics.arrow_acc));
      for (const k of ['spatial', 'temporal', 'rotation', 'order', 'contrastive']) assert.ok(Number.isFinite(rec.losses[k]), `${k} trained alongside: ${rec.losses[k]}`);
    }
    const line = /^\s*arrow\s+(\S+) → (\S+)\s+chance (\S+)/m.exec(r.out);
    assert.ok(line, `summary line for arrow in:\n${r.out}`);
    assert.ok(Number.isFinite(Number(line![1])) && Number.isFinite(Number(line![2])), line![0]);
    assert.is(Number(line![3]), Number(Math.log(2).toFixed(3)));
    console.log(`note: ${line![0].trim()}`);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test.run();
