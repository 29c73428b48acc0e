// safetensors checkpoints: round trips, PyTorch fixtures (test/golden/safetensors_fixtures.py),
// state-dict loading, atomic files, and malformed / truncated / randomly mutated inputs.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as E from '../src/engine/index.ts';
import {
  SafetensorsError,
  loadStateDict,
  parseSafetensors,
  parseSafetensorsBlob,
  readSafetensorsHeader,
  serializeSafetensors,
  tensorsFromSafetensors,
  type ParsedSafetensors,
} from '../src/engine/index.ts';
import { loadSafetensorsFile, saveSafetensorsFile } from '../src/platform/node-files.ts';

const test = suite('safetensors');
const HERE = import.meta.dirname;
const FIXTURES = join(HERE, 'golden/fixtures');
const SCRIPT = join(HERE, 'golden/safetensors_fixtures.py');
const PY = '/usr/bin/python3';
const hasPython = existsSync(PY) && spawnSync(PY, ['-c', 'import json, struct'], { encoding: 'utf8' }).status === 0;
const hasTorch = hasPython && spawnSync(PY, ['-c', 'import importlib.util as u, sys; sys.exit(0 if u.find_spec("torch") and u.find_spec("numpy") else 1)']).status === 0;

interface ExpectedTensor {
  dtype: string;
  shape: number[];
  values: (number | string)[];
}
type Expected = Record<string, { metadata: Record<string, string>; tensors: Record<string, ExpectedTensor> }>;
const expected: Expected = JSON.parse(readFileSync(join(FIXTURES, 'safetensors_expected.json'), 'utf8'));
const fixture = (name: string) => new Uint8Array(readFileSync(join(FIXTURES, name)));
const num = (v: number | string) => (typeof v === 'number' ? v : Number(v.replace('inf', 'Infinity').replace('nan', 'NaN')));

let tmp = '';
test.before(async () => {
  await E.init();
  tmp = mkdtempSync(join(tmpdir(), 'safetensors-test-'));
});
test.after(async () => {
  rmSync(tmp, { recursive: true, force: true });
  await E.shutdown();
});

/** Runs fn; it must throw a SafetensorsError whose message matches every pattern. */
function expectError(fn: () => unknown, ...patterns: RegExp[]): SafetensorsError {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  if (!(err instanceof SafetensorsError)) {
    assert.unreachable(`expected a SafetensorsError matching ${patterns.join(', ')}, got ${err ? `${(err as Error).name}: ${(err as Error).message}` : 'no error'}`);
    throw err;
  }
  for (const p of patterns) assert.match(err.message, p);
  return err;
}

async function expectRejects(p: Promise<unknown>, ...patterns: RegExp[]): Promise<Error> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  assert.instance(err, Error, `expected a rejection matching ${patterns.join(', ')}`);
  for (const pat of patterns) assert.match((err as Error).message, pat);
  return err as Error;
}

/** A file from a header (string or bytes), data bytes, and optionally a forged header length. */
function stFile(header: string | Uint8Array, data: Uint8Array | number = 0, n?: bigint): Uint8Array {
  const h = typeof header === 'string' ? new TextEncoder().encode(header) : header;
  const d = typeof data === 'number' ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + h.length + d.length);
  new DataView(out.buffer).setBigUint64(0, n ?? BigInt(h.length), true);
  out.set(h, 8);
  out.set(d, 8 + h.length);
  return out;
}

const bits = (a: ArrayLike<number>) => Array.from(new Uint32Array(Float32Array.from(a).buffer));

function sameValues(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  assert.is(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    if (!Object.is(got[i], want[i])) assert.unreachable(`${what}[${i}]: got ${got[i]}, expected ${want[i]}`);
  }
}

function checkAgainstExpected(parsed: ParsedSafetensors, file: string): void {
  const exp = expected[file];
  assert.equal({ ...parsed.metadata }, exp.metadata, `${file}: metadata`);
  assert.equal([...parsed.tensors.keys()].sort(), Object.keys(exp.tensors).sort(), `${file}: names`);
  for (const [name, e] of Object.entries(exp.tensors)) {
    const t = parsed.tensors.get(name)!;
    assert.is(t.fileDtype, e.dtype, `${name}: file dtype`);
    assert.equal(t.shape, e.shape, `${name}: shape`);
    const engineDtype = e.dtype === 'BOOL' ? 'bool' : /^[IU]/.test(e.dtype) ? 'int32' : 'float32';
    assert.is(t.dtype, engineDtype, `${name}: engine dtype`);
    sameValues(t.data, e.values.map((v) => (engineDtype === 'float32' ? Math.fround(num(v)) : num(v))), `${file} ${name}`);
  }
}

// ---------------------------------------------------------------------------------------------

test('round trip: every dtype, 0-d and empty tensors, views, metadata', async () => {
  const fv = [0, -0, 1.5, -2.25, 3.4e38, 1e-45, Infinity, -Infinity, NaN, 7, 8, 9];
  const tensors: Record<string, E.Tensor> = {
    'layer.weight': E.tensor(new Float32Array(fv), [3, 4]),
    'layer.ids': E.tensor(new Int32Array([-2147483648, 2147483647, 0, -1]), [2, 2], { dtype: 'int32' }),
    mask: E.tensor([1, 0, 1, 1], [4], { dtype: 'bool' }),
    scalar: E.tensor(new Float32Array([2.5]), []),
    'int scalar': E.tensor(new Int32Array([-7]), [], { dtype: 'int32' }),
    empty: E.zeros([0, 4]),
    'empty ints': E.zeros([3, 0], { dtype: 'int32' }),
    'ünï/"quoted"\n😀': E.tensor([1, 2, 3]),
    transposed: E.tensor([[1, 2, 3], [4, 5, 6]]).transpose(0, 1), // a non-contiguous view
  };
  const metadata = { format: 'pt', epoch: '12', note: 'ü "q" \\ \n' };
  const bytes = await serializeSafetensors(tensors, metadata);
  const header = readSafetensorsHeader(bytes);
  assert.is(header.headerBytes % 8, 0, 'header padded to a multiple of 8');
  assert.is(header.dataStart + header.dataBytes, bytes.length);
  // The official writer's order: F32 tensors by name, then I32, then BOOL.
  assert.equal(
    header.tensors.map((t) => t.name),
    ['empty', 'layer.weight', 'scalar', 'transposed', 'ünï/"quoted"\n😀', 'empty ints', 'int scalar', 'layer.ids', 'mask'],
  );
  const parsed = parseSafetensors(bytes);
  assert.equal({ ...parsed.metadata }, metadata);
  assert.equal(bits(parsed.tensors.get('layer.weight')!.data), bits(fv), 'float bits, NaN and -0 included');
  for (const [name, t] of Object.entries(tensors)) {
    const e = parsed.tensors.get(name)!;
    assert.equal(e.shape, [...t.shape], `${name} shape`);
    assert.is(e.dtype, t.dtype, `${name} dtype`);
    assert.is(e.fileDtype, { float32: 'F32', int32: 'I32', bool: 'BOOL' }[t.dtype]);
    assert.equal(bits(e.data), bits(await t.data()), `${name} values`);
  }
  assert.instance(parsed.tensors.get('mask')!.data, Uint8Array);
  assert.instance(parsed.tensors.get('layer.ids')!.data, Int32Array);
  // ArrayBuffer input, a Node Buffer sharing a larger pool, a Blob, and no metadata.
  assert.is(parseSafetensors(bytes.slice().buffer).tensors.size, 9);
  const pooled = Buffer.concat([Buffer.alloc(3), Buffer.from(bytes)]).subarray(3);
  assert.equal(bits(parseSafetensors(pooled).tensors.get('layer.weight')!.data), bits(fv));
  assert.is((await parseSafetensorsBlob(new Blob([bytes]))).tensors.get('scalar')!.data[0], 2.5);
  const bare = readSafetensorsHeader(await serializeSafetensors({ x: E.tensor([1]) }));
  assert.equal({ ...bare.metadata }, {});
  // Load back into fresh tensors: in place, and as new tensors.
  const targets: Record<string, E.Tensor> = {};
  for (const [name, t] of Object.entries(tensors)) targets[name] = E.zeros(t.shape, { dtype: t.dtype });
  const report = loadStateDict(targets, parsed);
  assert.equal(report, { missing: [], unexpected: [], mismatched: [] });
  for (const [name, t] of Object.entries(tensors)) assert.equal(bits(await targets[name].data()), bits(await t.data()), name);
  const fresh = tensorsFromSafetensors(bytes, { requiresGrad: true });
  assert.ok(fresh.get('layer.weight')!.requiresGrad);
  assert.not.ok(fresh.get('layer.ids')!.requiresGrad);
  assert.equal([...(await fresh.get('transposed')!.data())], [1, 4, 2, 5, 3, 6]);
  // Invalid inputs to the writer.
  await expectRejects(serializeSafetensors({ __metadata__: E.tensor([1]) }), /may not be named "__metadata__"/);
  await expectRejects(serializeSafetensors({ a: E.tensor([1]) }, { a: 1 as unknown as string }), /metadata value "a" must be a string/);
  await expectRejects(serializeSafetensors({ '\ud800': E.tensor([1]) }), /not valid Unicode/);
  const gone = E.tensor([1]);
  gone.dispose();
  await expectRejects(serializeSafetensors({ gone }), /tensor "gone" was disposed/);
});

test('the writer is byte-identical to the reference writer (Python fixture)', async () => {
  const file = 'st_layout_reference.safetensors';
  const exp = expected[file];
  const tensors: Record<string, E.Tensor> = {};
  for (const [name, e] of Object.entries(exp.tensors)) {
    const dtype = ({ F32: 'float32', I32: 'int32', BOOL: 'bool' } as const)[e.dtype as 'F32'];
    tensors[name] = E.tensor(e.values.map(num), e.shape, { dtype });
  }
  const ours = await serializeSafetensors(tensors, exp.metadata);
  const theirs = fixture(file);
  assert.is(new TextDecoder().decode(ours.subarray(8, 8 + readSafetensorsHeader(ours).headerBytes)),
    new TextDecoder().decode(theirs.subarray(8, 8 + readSafetensorsHeader(theirs).headerBytes)), 'header text');
  assert.equal([...ours], [...theirs], 'file bytes');
});

test('loads files written from PyTorch (state_dict, every dtype, unaligned, Blob, file)', async () => {
  for (const file of ['st_state_dict.safetensors', 'st_dtypes.safetensors', 'st_layout_reference.safetensors', 'st_unsorted_unaligned.safetensors']) {
    checkAgainstExpected(parseSafetensors(fixture(file)), file);
    checkAgainstExpected(await parseSafetensorsBlob(new Blob([fixture(file)])), file);
    checkAgainstExpected(await loadSafetensorsFile(join(FIXTURES, file)), file);
  }
  // The PyTorch state_dict goes into a model-shaped set of tensors, int64 counter included.
  const sd = parseSafetensors(fixture('st_state_dict.safetensors'));
  assert.is(sd.tensors.get('1.num_batches_tracked')!.fileDtype, 'I64');
  assert.equal([...sd.tensors.get('1.num_batches_tracked')!.data], [2]);
  const model = modelTensors();
  const before = model['0.weight'];
  assert.equal(loadStateDict(model, sd), { missing: [], unexpected: [], mismatched: [] });
  assert.is(model['0.weight'], before, 'loaded in place');
  assert.ok(model['0.weight'].requiresGrad);
  for (const [k, e] of Object.entries(expected['st_state_dict.safetensors'].tensors)) {
    sameValues(await model[k].data(), e.values.map((v) => Math.fround(num(v))), k);
  }
});

/** Tensors shaped like the fixture model's state_dict (Conv3d, BatchNorm3d, Linear). */
function modelTensors(): Record<string, E.Tensor> {
  const p = (shape: number[]) => E.zeros(shape, { requiresGrad: true });
  return {
    '0.weight': p([4, 2, 3, 3, 3]), '0.bias': p([4]),
    '1.weight': p([4]), '1.bias': p([4]), '1.running_mean': E.zeros([4]), '1.running_var': E.ones([4]),
    '1.num_batches_tracked': E.zeros([], { dtype: 'int32' }),
    '5.weight': p([3, 4]), '5.bias': p([3]),
  };
}

test('int64 outside int32 and unloadable dtypes fail by name', async () => {
  expectError(() => parseSafetensors(fixture('st_int64_overflow.safetensors')), /tensor "big": I64 value 2147483648 at index 1 does not fit in int32/);
  expectError(() => parseSafetensors(fixture('st_f8.safetensors')), /tensor "f8": dtype F8_E4M3 cannot be loaded/);
  // Layout is still valid: the header can be read.
  assert.equal(readSafetensorsHeader(fixture('st_f8.safetensors')).tensors[0].dtype, 'F8_E4M3');
  const err = await expectRejects(loadSafetensorsFile(join(FIXTURES, 'st_int64_overflow.safetensors')), /st_int64_overflow\.safetensors: tensor "big"/);
  assert.instance(err, SafetensorsError);
  const u64 = stFile('{"u":{"dtype":"U64","shape":[1],"data_offsets":[0,8]}}', new Uint8Array([0, 0, 0, 0x80, 0, 0, 0, 0]));
  expectError(() => parseSafetensors(u64), /U64 value 2147483648/);
  const u32 = stFile('{"u":{"dtype":"U32","shape":[1],"data_offsets":[0,4]}}', new Uint8Array([0, 0, 0, 0x80]));
  expectError(() => parseSafetensors(u32), /U32 value 2147483648/);
});

test('loadStateDict: missing, unexpected and mismatched keys; strict refuses them all', async () => {
  const source = await serializeSafetensors({
    a: E.tensor([1, 2]),
    b: E.tensor([1, 2, 3, 4]),
    c: E.tensor([1.5, 2.5]),
    ints: E.tensor(new Int32Array([3, 4]), [2], { dtype: 'int32' }),
    flags: E.tensor([1, 0], [2], { dtype: 'bool' }),
    extra: E.tensor([9]),
    'extra.2': E.tensor([9]),
  });
  const make = () => ({
    a: E.zeros([2], { requiresGrad: true }),
    b: E.zeros([3]), // shape mismatch
    c: E.zeros([2], { dtype: 'int32' }), // float → int32 would be lossy: mismatch
    ints: E.zeros([2]), // int32 → float32 converts
    flags: E.zeros([2], { dtype: 'int32' }), // bool → int32 converts
    missing: E.zeros([1]),
    'missing.too': E.zeros([1]),
  });
  const strictTarget = make();
  const err = expectError(() => loadStateDict(strictTarget, parseSafetensors(source)),
    /strict mode, nothing was loaded/, /missing keys \(2\): "missing", "missing.too"/, /unexpected keys \(2\): "extra", "extra.2"/,
    /mismatched \(2\): "b" expected \[3\] float32, got \[4\] F32; "c" expected \[2\] int32, got \[2\] F32/);
  assert.ok(err.message.split('\n').length >= 4);
  assert.equal([...(await strictTarget.a.data())], [0, 0], 'strict mode loads nothing');
  assert.equal([...(await strictTarget.ints.data())], [0, 0]);

  const target = make();
  const report = loadStateDict(target, source, { strict: false });
  assert.equal(report.missing, ['missing', 'missing.too']);
  assert.equal(report.unexpected, ['extra', 'extra.2']);
  assert.equal(report.mismatched, [
    { key: 'b', expected: [3], got: [4], expectedDtype: 'float32', gotDtype: 'F32' },
    { key: 'c', expected: [2], got: [2], expectedDtype: 'int32', gotDtype: 'F32' },
  ]);
  assert.equal([...(await target.a.data())], [1, 2]);
  assert.ok(target.a.requiresGrad && E.isGradEnabled(), 'a parameter is loaded in place without noGrad by the caller');
  assert.equal([...(await target.b.data())], [0, 0, 0]);
  assert.equal([...(await target.ints.data())], [3, 4]);
  assert.is(target.ints.dtype, 'float32');
  assert.equal([...(await target.flags.data())], [1, 0]);
  // A Map target and a Map source work too; a disposed target is an error.
  const m = new Map([['a', E.zeros([2])]]);
  assert.equal(loadStateDict(m, parseSafetensors(source).tensors, { strict: false }).missing, []);
  const d = E.zeros([2]);
  d.dispose();
  expectError(() => loadStateDict({ a: d }, source, { strict: false }), /target tensor "a" was disposed/);
});

test('files: atomic save, load, overwrite; errors name the path', async () => {
  const dir = mkdtempSync(join(tmp, 'files-'));
  const path = join(dir, 'model.safetensors');
  await saveSafetensorsFile(path, { w: E.tensor([1, 2, 3]), step: E.tensor(new Int32Array([5]), [], { dtype: 'int32' }) }, { epoch: '1' });
  assert.equal(readdirSync(dir), ['model.safetensors'], 'no temporary file left');
  let got = await loadSafetensorsFile(path);
  assert.equal([...got.tensors.get('w')!.data], [1, 2, 3]);
  assert.equal({ ...got.metadata }, { epoch: '1' });
  await saveSafetensorsFile(path, { w: E.tensor([4, 5]) });
  got = await loadSafetensorsFile(path);
  assert.equal([...got.tensors.get('w')!.data], [4, 5], 'overwritten');
  assert.equal(readdirSync(dir), ['model.safetensors']);

  // A failure mid-write (after the header and one tensor reached the temporary file) leaves the
  // old file intact and removes the temporary file.
  const old = readFileSync(path);
  let seenTmp: string[] = [];
  const failing = {
    shape: [1000], dtype: 'float32', disposed: false,
    async data() {
      seenTmp = readdirSync(dir).filter((f) => f.includes('.tmp-'));
      throw new Error('simulated GPU failure');
    },
  } as unknown as E.Tensor;
  const err = await expectRejects(saveSafetensorsFile(path, { a: E.tensor([1, 2]), z: failing }), /simulated GPU failure/, /model\.safetensors/);
  assert.ok(err.message.includes(path));
  assert.is(seenTmp.length, 1, 'the temporary file existed while writing');
  assert.match(seenTmp[0], new RegExp(`^model\\.safetensors\\.tmp-${process.pid}-[0-9a-f]+$`));
  assert.equal(readFileSync(path), old, 'old file intact');
  assert.equal(readdirSync(dir), ['model.safetensors'], 'temporary file removed');
  // Invalid input fails before any file is created.
  await expectRejects(saveSafetensorsFile(join(dir, 'new.safetensors'), { __metadata__: E.tensor([1]) }), /new\.safetensors/);
  assert.equal(readdirSync(dir), ['model.safetensors']);

  // Reading errors name the file.
  const bad = join(dir, 'bad.safetensors');
  writeFileSync(bad, stFile('{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}', 4));
  await expectRejects(loadSafetensorsFile(bad), /^safetensors: .*bad\.safetensors: tensor "x": data_offsets \[0, 4\] span 4 bytes but shape \[2\] of F32 needs 8/);
  writeFileSync(bad, new Uint8Array([1, 2, 3]));
  await expectRejects(loadSafetensorsFile(bad), /bad\.safetensors: file is 3 bytes, too short/);
  await expectRejects(loadSafetensorsFile(join(dir, 'absent.safetensors')), /absent\.safetensors/, /ENOENT/);
  await expectRejects(loadSafetensorsFile(dir), /not a regular file|EISDIR/);
  await expectRejects(loadSafetensorsFile(path, { maxTotalBytes: 10 }), /model\.safetensors: file is \d+ bytes, more than the limit of 10/);
});

test('files: a process killed mid-write leaves the old file intact', async () => {
  const dir = mkdtempSync(join(tmp, 'crash-'));
  const path = join(dir, 'ckpt.safetensors');
  writeFileSync(path, 'old contents');
  const child = join(dir, 'child.mts');
  writeFileSync(child, `
    import { saveSafetensorsFile } from ${JSON.stringify(pathToFileURL(join(HERE, '../src/platform/node-files.ts')).href)};
    setInterval(() => {}, 1000);
    const big = { shape: [1 << 18], dtype: 'float32', disposed: false, data: async () => new Float32Array(1 << 18).fill(1) };
    const hang = { shape: [4], dtype: 'float32', disposed: false, data: () => { console.log('WRITING'); return new Promise(() => {}); } };
    await saveSafetensorsFile(${JSON.stringify(path)}, { a: big, b: hang });
  `);
  const proc = spawn(process.execPath, ['--import', 'tsx', child], { cwd: join(HERE, '..'), stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => (stderr += d));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`child did not start writing: ${stderr}`)), 15000);
    proc.stdout.on('data', (d) => {
      if (String(d).includes('WRITING')) {
        clearTimeout(timer);
        resolve();
      }
    });
    proc.on('exit', () => reject(new Error(`child exited early: ${stderr}`)));
  });
  const exited = new Promise((r) => proc.on('exit', r));
  proc.kill('SIGKILL');
  await exited;
  assert.is(readFileSync(path, 'utf8'), 'old contents', 'the old file is untouched');
  const leftovers = readdirSync(dir).filter((f) => f.startsWith('ckpt.safetensors.tmp-'));
  assert.is(leftovers.length, 1, 'the killed writer left only its temporary file');
  assert.ok(readFileSync(join(dir, leftovers[0])).length > (1 << 20), 'partial data was in the temporary file');
});

// ---------------------------------------------------------------------------------------------
// Malformed inputs

const T = (dtype: string, shape: unknown, offsets: unknown) => JSON.stringify({ dtype, shape, data_offsets: offsets });

/** Hand-made invalid files: [label, bytes, expected message]. Shared with the Python cross-check. */
function malformed(): [string, Uint8Array, RegExp][] {
  const one = (entry: string, data: number | Uint8Array = 4) => stFile(`{"x":${entry}}`, data);
  const deep = '[' .repeat(200) + ']'.repeat(200);
  return [
    ['empty file', new Uint8Array(0), /0 bytes, too short/],
    ['7 bytes', new Uint8Array(7), /7 bytes, too short/],
    ['header length past the end', stFile('{}', 0, 100n), /header length 100 runs past the end of the file \(10 bytes/],
    ['header length 2^53', stFile('{}', 0, 2n ** 53n), /header length 9007199254740992 exceeds the limit of 100000000/],
    ['header length 2^64-1', stFile('{}', 0, 2n ** 64n - 1n), /header length 18446744073709551615 exceeds the limit/],
    ['header length cap+1', stFile('{}', 0, 100_000_001n), /exceeds the limit of 100000000/],
    ['header length 0', stFile(''), /header is empty/],
    ['header of spaces', stFile('        '), /header is empty/],
    ['not JSON', stFile('hello, world'), /must be a JSON object starting with '\{' \(found "h"/],
    ['JSON array', stFile('[{"x":1}]'), /must be a JSON object/],
    ['JSON string', stFile('"{}"'), /must be a JSON object/],
    ['BOM', stFile('\ufeff{}'), /must be a JSON object/],
    ['truncated JSON', stFile('{"x":{"dtype":"F3'), /not valid JSON: unterminated string/],
    ['unclosed object', stFile('{"x":1'), /not valid JSON/],
    ['bad separator', stFile('{"x" 1}'), /not valid JSON: expected ':'/],
    ['NUL padding', stFile('{}\0\0\0\0\0\0'), /unexpected characters after the JSON object/],
    ['garbage after JSON', stFile('{} {}    '), /unexpected characters after the JSON object/],
    ['invalid UTF-8', stFile(new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d])), /not valid UTF-8/],
    ['NaN literal', stFile('{"__metadata__":{},"n":NaN}'), /not valid JSON: unexpected character "N"/],
    ['control char in string', stFile('{"a\tb":{}}'), /control character in string/],
    ['bad escape', stFile('{"a\\qb":{}}'), /invalid escape/],
    ['lone surrogate', stFile('{"\\ud800":{"dtype":"U8","shape":[0],"data_offsets":[0,0]}}'), /lone high surrogate/],
    ['duplicate key', stFile(`{"x":${T('U8', [0], [0, 0])},"x":${T('U8', [0], [0, 0])}}`), /key "x" twice/],
    ['too deep', stFile(`{"x":{"dtype":"U8","shape":[0],"data_offsets":[0,0],"d":${deep}}}`), /nesting deeper than 128/],
    ['metadata not an object', stFile('{"__metadata__":["a"]}'), /__metadata__ must be an object of strings/],
    ['metadata value not a string', stFile('{"__metadata__":{"epoch":3}}'), /__metadata__ value "epoch" must be a string, got 3/],
    ['entry not an object', stFile('{"x":[1,2]}'), /tensor "x": entry must be an object/],
    ['entry null', stFile('{"x":null}'), /tensor "x": entry must be an object/],
    ['missing dtype', one('{"shape":[1],"data_offsets":[0,4]}'), /tensor "x": missing field "dtype"/],
    ['missing shape', one('{"dtype":"F32","data_offsets":[0,4]}'), /missing field "shape"/],
    ['missing offsets', one('{"dtype":"F32","shape":[1]}'), /missing field "data_offsets"/],
    ['unknown dtype', one(T('F12', [1], [0, 4])), /unknown dtype "F12"/],
    ['lowercase dtype', one(T('f32', [1], [0, 4])), /unknown dtype "f32"/],
    ['dtype not a string', one('{"dtype":32,"shape":[1],"data_offsets":[0,4]}'), /dtype must be a string/],
    ['negative shape', one(T('F32', [-1], [0, 4])), /shape\[0\] must be a non-negative integer, got -1/],
    ['fractional shape', one(T('F32', [1.5], [0, 4])), /shape\[0\] must be a non-negative integer, got 1.5/],
    ['shape written 1.0', one('{"dtype":"F32","shape":[1.0],"data_offsets":[0,4]}'), /got 1.0/],
    ['shape written 1e0', one('{"dtype":"F32","shape":[1e0],"data_offsets":[0,4]}'), /got 1e0/],
    ['shape string', one(T('F32', ['1'], [0, 4])), /got "1"/],
    ['shape bool', one(T('F32', [true], [0, 4])), /got true/],
    ['shape not an array', one(T('F32', 1, [0, 4])), /shape must be an array/],
    ['shape dim 2^60', one('{"dtype":"F32","shape":[0,1152921504606846976],"data_offsets":[0,0]}', 0), /shape\[1\] must be a non-negative integer, got 1152921504606846976/],
    ['shape product overflow', one(T('F32', [1 << 26, 1 << 26, 1 << 26], [0, 4])), /needs more than 2\^50 bytes/],
    ['offsets: three values', one(T('F32', [1], [0, 4, 8])), /data_offsets must be \[begin, end\]/],
    ['offsets: negative', one(T('F32', [1], [-4, 0])), /data_offsets must be non-negative integers/],
    ['offsets: fractional', one(T('F32', [1], [0, 4.5])), /data_offsets must be non-negative integers/],
    ['offsets: huge', one('{"dtype":"F32","shape":[1],"data_offsets":[0,100000000000000000000]}'), /data_offsets must be non-negative integers/],
    ['offsets: begin after end', one(T('F32', [0], [4, 0])), /data_offsets \[4, 0\] end before they begin/],
    ['offsets: past the data', one(T('F32', [1], [0, 4]), 2), /run past the end of the data section \(2 bytes/],
    ['offsets: wrong size', one(T('F32', [2], [0, 4])), /span 4 bytes but shape \[2\] of F32 needs 8/],
    ['offsets: overlap', stFile(`{"x":${T('F32', [2], [0, 8])},"y":${T('F32', [1], [4, 8])}}`, 8), /tensor "y": data_offsets \[4, 8\] overlap tensor "x" \[0, 8\]/],
    ['offsets: identical', stFile(`{"x":${T('F32', [1], [0, 4])},"y":${T('F32', [1], [0, 4])}}`, 4), /overlap tensor/],
    ['offsets: zero-size inside another', stFile(`{"x":${T('F32', [2], [0, 8])},"e":${T('F32', [0], [4, 4])}}`, 8), /tensor "e".* overlap tensor "x"/],
    ['offsets: hole at the start', one(T('F32', [1], [4, 8]), 8), /begin at 4 but the previous tensor ends at 0/],
    ['offsets: hole between', stFile(`{"x":${T('F32', [1], [0, 4])},"y":${T('F32', [1], [8, 12])}}`, 12), /may not have holes/],
    ['trailing data bytes', one(T('F32', [1], [0, 4]), 7), /cover 4 bytes but the data section has 7 \(3 trailing bytes/],
    ['data without tensors', stFile('{}', 8), /cover 0 bytes but the data section has 8/],
    ['F4 odd element count', one(T('F4', [3], [0, 2]), 2), /not a whole number of bytes/],
  ];
}

test('malformed inputs each give a clear SafetensorsError', () => {
  const cases = malformed();
  for (const [label, bytes, pattern] of cases) {
    const err = expectError(() => parseSafetensors(bytes), pattern);
    assert.is(err.name, 'SafetensorsError', label);
    assert.ok(err.message.length < 600, `${label}: message is short`);
  }
  // Accepted: leading whitespace (the official crate's test vector), unknown extra fields,
  // null metadata, zero-size tensors anywhere, keys in any order.
  assert.is(parseSafetensors(new Uint8Array([6, 0, 0, 0, 0, 0, 0, 0, 0x09, 0x0a, 0x7b, 0x7d, 0x0d, 0x20])).tensors.size, 0);
  const extra = parseSafetensors(stFile('{"__metadata__":null,"x":{"extra":[{"a":1.5e3}],"dtype":"U8","shape":[2],"data_offsets":[0,2]}}', new Uint8Array([7, 200])));
  assert.equal([...extra.tensors.get('x')!.data], [7, 200]);
  const zs = parseSafetensors(stFile(`{"b":${T('F32', [1], [4, 8])},"z":${T('F32', [0, 5], [4, 4])},"a":${T('I32', [1], [0, 4])}}`, 8));
  assert.equal([...zs.tensors.keys()], ['a', 'z', 'b']);
  // Option limits.
  expectError(() => parseSafetensors(fixture('st_dtypes.safetensors'), { maxHeaderBytes: 16 }), /exceeds the limit of 16 bytes/);
  expectError(() => parseSafetensors(fixture('st_dtypes.safetensors'), { maxTotalBytes: 100 }), /more than the limit of 100 \(option maxTotalBytes\)/);
  expectError(() => parseSafetensors(new Uint8Array(16), { maxHeaderBytes: -1 }), /maxHeaderBytes must be a non-negative integer/);
  expectError(() => parseSafetensors('nope' as unknown as Uint8Array), /input must be a Uint8Array or an ArrayBuffer/);
  console.log(`note: ${cases.length} malformed files rejected with clear errors`);
});

test('truncation at every byte of header and data is an error', () => {
  let n = 0;
  for (const file of ['st_state_dict.safetensors', 'st_dtypes.safetensors', 'st_unsorted_unaligned.safetensors']) {
    const bytes = fixture(file);
    for (let len = 0; len < bytes.length; len++) {
      expectError(() => parseSafetensors(bytes.subarray(0, len)), /safetensors: /);
      n++;
    }
    // Appended garbage is refused as well.
    expectError(() => parseSafetensors(new Uint8Array([...bytes, 0])), /1 trailing bytes/);
  }
  console.log(`note: ${n} truncated files rejected`);
});

/** Deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TOKENS = new TextEncoder().encode('{}[]",:0123456789-.eE \\tfnu');

/** One random mutation of `base`, biased toward the length prefix and the header. */
function mutate(base: Uint8Array, r: () => number, headerEnd: number): Uint8Array {
  const bytes = [...base];
  const rounds = 1 + Math.floor(r() * 3);
  for (let k = 0; k < rounds; k++) {
    const inHeader = r() < 0.8;
    const pos = inHeader ? Math.floor(r() * Math.min(headerEnd, bytes.length)) : Math.floor(r() * bytes.length);
    const kind = r();
    if (kind < 0.3) bytes[pos] ^= 1 << Math.floor(r() * 8);
    else if (kind < 0.55) bytes[pos] = TOKENS[Math.floor(r() * TOKENS.length)];
    else if (kind < 0.7) bytes[pos] = Math.floor(r() * 256);
    else if (kind < 0.8) bytes.splice(pos, 0, TOKENS[Math.floor(r() * TOKENS.length)]);
    else if (kind < 0.9) bytes.splice(pos, 1 + Math.floor(r() * 4));
    else if (kind < 0.95) bytes[Math.floor(r() * 8)] = Math.floor(r() * 256); // the length prefix
    else bytes.length = Math.floor(r() * bytes.length);
  }
  return Uint8Array.from(bytes);
}

function mutations(count: number, seed: number): Uint8Array[] {
  const r = rng(seed);
  const bases = ['st_layout_reference.safetensors', 'st_state_dict.safetensors', 'st_dtypes.safetensors', 'st_unsorted_unaligned.safetensors'].map(fixture);
  const headerEnds = bases.map((b) => 8 + readSafetensorsHeader(b).headerBytes);
  return Array.from({ length: count }, (_, i) => mutate(bases[i % bases.length], r, headerEnds[i % bases.length]));
}

test('random byte mutations: a valid parse or a clear error, quickly', () => {
  const files = mutations(4000, 20240611);
  let ok = 0;
  let worst = 0;
  const t0 = performance.now();
  for (const bytes of files) {
    const s = performance.now();
    try {
      const parsed = parseSafetensors(bytes);
      for (const e of parsed.tensors.values()) assert.is(e.data.length, e.shape.reduce((a, b) => a * b, 1));
      ok++;
    } catch (e) {
      if (!(e instanceof SafetensorsError)) assert.unreachable(`mutation gave ${(e as Error).name}: ${(e as Error).message}`);
    }
    worst = Math.max(worst, performance.now() - s);
  }
  const total = performance.now() - t0;
  console.log(`note: ${files.length} mutations: ${ok} still valid, ${files.length - ok} rejected; ${total.toFixed(0)} ms, worst ${worst.toFixed(1)} ms`);
  assert.ok(ok > 0 && ok < files.length);
  // Generous bounds (the machine may be busy): a hang or a quadratic path would blow far past them.
  assert.ok(worst < 1000, `a mutation took ${worst} ms`);
  assert.ok(total < 15000, `${files.length} mutations took ${total} ms`);
});

test('large hostile headers are rejected or parsed in bounded time', () => {
  const big = 10_000_000;
  const cases: [string, Uint8Array][] = [
    ['10 MB of [', stFile('['.repeat(big))],
    ['10 MB of { nesting', stFile('{"a":'.repeat(big / 5))],
    ['10 MB string key', stFile(`{"${'a'.repeat(big)}":1}`)],
    ['10 MB of escapes', stFile(`{"__metadata__":{"k":"${'\\n'.repeat(big / 2)}"}}`)],
    ['10 MB of spaces', stFile(`{}${' '.repeat(big)}`)],
  ];
  for (const [label, bytes] of cases) {
    const t0 = performance.now();
    try {
      parseSafetensors(bytes);
    } catch (e) {
      if (!(e instanceof SafetensorsError)) assert.unreachable(`${label}: ${(e as Error).name}: ${(e as Error).message}`);
    }
    const ms = performance.now() - t0;
    assert.ok(ms < 3000, `${label}: ${ms} ms`);
  }
});

// ---------------------------------------------------------------------------------------------
// Python interop (skipped with a note where /usr/bin/python3 or torch is missing)

function python(args: string[]): string {
  const r = spawnSync(PY, [SCRIPT, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) assert.unreachable(`python ${args[0]} failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

test('Python: files written here load in PyTorch (values, dtypes, strict load_state_dict)', async () => {
  if (!hasTorch) {
    console.log('note: /usr/bin/python3 with torch and numpy not found; TS→PyTorch check skipped');
    return;
  }
  // Every dtype, 0-d, empty, escaped names, metadata.
  const vals = [0, -0, 1.5, -2.25, 3.4e38, 1e-45, Infinity, -Infinity, NaN, 1 / 3];
  const tensors: Record<string, E.Tensor> = {
    f: E.tensor(new Float32Array(vals), [2, 5]),
    i: E.tensor(new Int32Array([-2147483648, 2147483647, 0]), [3], { dtype: 'int32' }),
    b: E.tensor([1, 0, 0, 1], [2, 2], { dtype: 'bool' }),
    s: E.tensor(new Float32Array([-4.5]), []),
    e: E.zeros([2, 0, 3]),
    'ünï "q" \\ ☃': E.tensor(new Int32Array([7]), [], { dtype: 'int32' }),
  };
  const metadata = { format: 'pt', 'ключ': 'значение "q"' };
  const file = join(tmp, 'ts_written.safetensors');
  await saveSafetensorsFile(file, tensors, metadata);
  const exp: Record<string, ExpectedTensor> = {};
  for (const [k, t] of Object.entries(tensors)) {
    exp[k] = { dtype: { float32: 'F32', int32: 'I32', bool: 'BOOL' }[t.dtype], shape: [...t.shape],
      values: [...(await t.data())].map((v) => (Number.isNaN(v) ? 'nan' : v === Infinity ? 'inf' : v === -Infinity ? '-inf' : v)) };
  }
  writeFileSync(join(tmp, 'ts_written.json'), JSON.stringify({ metadata, tensors: exp }));

  // The PyTorch fixture model, "trained" here (floats 2x+1 on the GPU, counter +1), saved, and
  // loaded back into the PyTorch model with strict load_state_dict.
  const model = modelTensors();
  loadStateDict(model, parseSafetensors(fixture('st_state_dict.safetensors')));
  const trained: Record<string, E.Tensor> = {};
  for (const [k, t] of Object.entries(model)) {
    trained[k] = t.dtype === 'float32' ? E.noGrad(() => t.mul(2).add(1)) : E.tensor(Int32Array.from(await t.data(), (v) => v + 1), [], { dtype: 'int32' });
  }
  const sdFile = join(tmp, 'ts_state_dict.safetensors');
  await saveSafetensorsFile(sdFile, trained, { format: 'pt' });
  // One Python process (importing torch takes seconds).
  for (const line of python(['check-ts', file, join(tmp, 'ts_written.json'), sdFile]).trim().split('\n')) console.log(`note: ${line}`);
});

test('Python: the reference reader and this reader agree on malformed and mutated files', () => {
  if (!hasPython) {
    console.log('note: /usr/bin/python3 not found; reader cross-check skipped');
    return;
  }
  console.log(`note: ${python(['selftest']).trim()}`);
  const dir = mkdtempSync(join(tmp, 'verdicts-'));
  const files = new Map<string, Uint8Array>();
  malformed().forEach(([, bytes], i) => files.set(`bad${String(i).padStart(3, '0')}`, bytes));
  mutations(600, 777).forEach((bytes, i) => files.set(`mut${String(i).padStart(4, '0')}`, bytes));
  for (const f of ['st_state_dict', 'st_dtypes', 'st_layout_reference', 'st_int64_overflow', 'st_f8', 'st_unsorted_unaligned']) {
    files.set(f, fixture(`${f}.safetensors`));
  }
  for (const [name, bytes] of files) writeFileSync(join(dir, name), bytes);
  const theirs: Record<string, string> = JSON.parse(python(['verdicts', dir]));
  let accepted = 0;
  const disagreements: string[] = [];
  for (const [name, bytes] of files) {
    let ours = 'ok';
    try {
      readSafetensorsHeader(bytes);
      accepted++;
    } catch (e) {
      if (!(e instanceof SafetensorsError)) throw e;
      ours = `error: ${e.detail}`;
    }
    if ((ours === 'ok') !== (theirs[name] === 'ok')) disagreements.push(`${name}: TS ${ours} / Python ${theirs[name]}`);
  }
  assert.equal(disagreements, [], disagreements.join('\n'));
  console.log(`note: TS and Python readers agree on ${files.size} files (${accepted} valid)`);
});

test.run();
