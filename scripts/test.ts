// The test command (`npm test`): type-checks, then runs every test/**/*.test.ts file in its own
// Node process (a crash in one file cannot take the others down), and ends with the line
// `N passed, N failed, N skipped` that CI reads. Usage: npm test [-- <substring filter>]
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = join(import.meta.dirname, '..');
const filter = process.argv[2] ?? '';

function findTests(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return findTests(p);
    return name.endsWith('.test.ts') ? [p] : [];
  });
}

let passed = 0;
let failed = 0;
let skipped = 0;
const failures: string[] = [];

function run(label: string, cmd: string, args: string[]): { ok: boolean; out: string; ms: number } {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' }, maxBuffer: 64 << 20 });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  return { ok: r.status === 0, out, ms: performance.now() - t0 };
}

if (!filter) {
  const tsc = run('typecheck', process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', root]);
  console.log(`${tsc.ok ? 'ok  ' : 'FAIL'} typecheck (tsc --noEmit) ${(tsc.ms / 1000).toFixed(1)}s`);
  if (tsc.ok) passed++;
  else {
    failed++;
    failures.push('typecheck');
    console.log(tsc.out);
  }
}

const files = findTests(join(root, 'test')).filter((f) => relative(root, f).includes(filter)).sort();
for (const file of files) {
  const name = relative(root, file);
  const r = run(name, process.execPath, ['--import', 'tsx', file]);
  const num = (label: string) => Number(new RegExp(`${label}:\\s+(\\d+)`).exec(r.out)?.[1] ?? NaN);
  const total = num('Total');
  const ok = num('Passed');
  const skip = num('Skipped') || 0;
  if (Number.isNaN(total)) {
    // The file crashed before uvu could report: count it as one failure.
    failed++;
    failures.push(name);
    console.log(`FAIL ${name} (crashed, exit ${r.ok ? 0 : 'non-zero'})\n${r.out}`);
    continue;
  }
  // uvu's Total counts the tests that ran (skipped ones are reported apart); a non-zero exit with
  // no failed test (an error after the suite) still counts as one failure.
  const bad = total - ok + (r.ok || total - ok > 0 ? 0 : 1);
  passed += ok;
  skipped += skip;
  failed += bad;
  const notes = r.out.split('\n').filter((l) => l.startsWith('note:')).map((l) => `     ${l}`);
  console.log(`${bad ? 'FAIL' : 'ok  '} ${name}: ${ok}/${total} passed${skip ? `, ${skip} skipped` : ''} ${(r.ms / 1000).toFixed(1)}s`);
  if (notes.length) console.log(notes.join('\n'));
  if (bad) {
    failures.push(name);
    console.log(r.out);
  }
}

if (failures.length) console.log(`\nfailed: ${failures.join(', ')}`);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed ? 1 : 0);
