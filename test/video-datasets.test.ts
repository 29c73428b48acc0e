// Dataset listings on temporary folders: folder per class, UCF101-style split lists (1-based labels
// → 0-based), HMDB51's own split files, unlabelled folders and lists, and the errors (missing
// folders, bad list lines with file and line number, unreadable formats).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { folderDataset, splitDataset, unlabelledDataset } from '../src/video/index.ts';

const test = suite('video datasets');
let root = '';

function touch(rel: string, content = 'x'): void {
  const p = join(root, rel);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, content);
}

async function rejects(p: Promise<unknown>, ...patterns: RegExp[]): Promise<string> {
  try {
    await p;
  } catch (err) {
    const m = (err as Error).message;
    for (const re of patterns) assert.match(m, re);
    return m;
  }
  assert.unreachable(`expected an error matching ${patterns.join(', ')}`);
  return '';
}

test.before(() => {
  root = mkdtempSync(join(tmpdir(), 'video-datasets-'));
  // folder per class (prepared: .mp4), with a nested folder and non-video files
  touch('ucf/ApplyEyeMakeup/v_ApplyEyeMakeup_g01_c01.mp4');
  touch('ucf/ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.mp4');
  touch('ucf/Archery/v_Archery_g01_c01.mp4');
  touch('ucf/Archery/v_Archery_g08_c02.mkv');
  touch('ucf/Archery/notes.txt');
  touch('ucf/Fencing/extra/v_Fencing_g08_c01.webm');
  // UCF-style split lists (names still say .avi: the prepared .mp4 twins are found)
  touch('lists/classInd.txt', '1 ApplyEyeMakeup\n2 Archery\n3 Fencing\n');
  touch('lists/trainlist01.txt', 'ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.avi 1\nArchery/v_Archery_g08_c02.mkv 2\r\n\nFencing/extra/v_Fencing_g08_c01.webm 3\n');
  touch('lists/testlist01.txt', 'ApplyEyeMakeup/v_ApplyEyeMakeup_g01_c01.avi\nArchery/v_Archery_g01_c01.avi\n');
  // HMDB51 native split files
  touch('hmdb/brush_hair/a.mp4');
  touch('hmdb/brush_hair/b.mp4');
  touch('hmdb/cartwheel/c.mp4');
  touch('hmdb/cartwheel/d.mp4');
  touch('hmdb-splits/brush_hair_test_split1.txt', 'a.avi 1\nb.avi 2\n');
  touch('hmdb-splits/cartwheel_test_split1.txt', 'c.avi 2 \nd.avi 0\n');
  // unprepared dataset
  touch('raw/Archery/v_Archery_g01_c01.avi');
  touch('raw/Archery/v_Archery_g02_c01.avi');
});

test.after(() => {
  rmSync(root, { recursive: true, force: true });
});

test('folder per class: sorted classes, recursive, readable containers only', async () => {
  const ds = await folderDataset(join(root, 'ucf'));
  assert.equal(ds.classes, ['ApplyEyeMakeup', 'Archery', 'Fencing']);
  const rel = ds.items.map((it) => [it.path.slice(root.length + 5), it.label]);
  assert.equal(rel, [
    ['ApplyEyeMakeup/v_ApplyEyeMakeup_g01_c01.mp4', 0],
    ['ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.mp4', 0],
    ['Archery/v_Archery_g01_c01.mp4', 1],
    ['Archery/v_Archery_g08_c02.mkv', 1],
    ['Fencing/extra/v_Fencing_g08_c01.webm', 2],
  ]);
});

test('folder per class: errors', async () => {
  await rejects(folderDataset(join(root, 'nope')), /nope: dataset folder not found/);
  await rejects(folderDataset(join(root, 'lists/classInd.txt')), /is not a folder/);
  await rejects(folderDataset(join(root, 'lists')), /no class folders \(expected .*\/<class>\/<video>\)/);
  await rejects(folderDataset(join(root, 'raw')), /2 video file\(s\) in formats the WebCodecs reader cannot open \(\.avi\)/, /prepare-dataset/);
});

test('UCF101-style split: 1-based labels become 0-based; .avi entries resolve to prepared .mp4', async () => {
  const train = await splitDataset(join(root, 'ucf'), { splitDir: join(root, 'lists'), split: 1, subset: 'train' });
  assert.equal(train.classes, ['ApplyEyeMakeup', 'Archery', 'Fencing']);
  assert.equal(train.items.map((it) => [it.path.slice(root.length + 5), it.label]), [
    ['ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.mp4', 0],
    ['Archery/v_Archery_g08_c02.mkv', 1],
    ['Fencing/extra/v_Fencing_g08_c01.webm', 2],
  ]);
  const testSet = await splitDataset(join(root, 'ucf'), { splitDir: join(root, 'lists'), subset: 'test' });
  assert.equal(testSet.items.map((it) => it.label), [0, 1]);
});

test('UCF101-style split: bad lines are reported with file and line number', async () => {
  const lists = join(root, 'bad-lists');
  const put = (name: string, text: string) => touch(`bad-lists/${name}`, text);
  put('classInd.txt', '1 ApplyEyeMakeup\n3 Archery\n');
  await rejects(splitDataset(join(root, 'ucf'), { splitDir: lists, subset: 'train' }), /bad-lists\/classInd\.txt:2: class index 3 out of sequence/);
  put('classInd.txt', '1 ApplyEyeMakeup\nArchery\n');
  await rejects(splitDataset(join(root, 'ucf'), { splitDir: lists, subset: 'train' }), /classInd\.txt:2: expected "<index> <class>"/);
  put('classInd.txt', '1 ApplyEyeMakeup\n2 Archery\n3 Fencing\n');
  put('trainlist01.txt', 'ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.avi 1\nArchery/v_Archery_g08_c02.mkv 7\n');
  await rejects(splitDataset(join(root, 'ucf'), { splitDir: lists, subset: 'train' }), /trainlist01\.txt:2: label "7" is not a class index 1\.\.3/);
  put('trainlist01.txt', 'Archery/v_Archery_g08_c02.mkv 1\n');
  await rejects(splitDataset(join(root, 'ucf'), { splitDir: lists, subset: 'train' }), /trainlist01\.txt:1: label 1 \(ApplyEyeMakeup\) disagrees with the folder Archery/);
  put('trainlist01.txt', 'Archery/a.mp4 2 extra\n');
  await rejects(splitDataset(join(root, 'ucf'), { splitDir: lists, subset: 'train' }), /trainlist01\.txt:1: expected "<class>\/<video> \[label\]"/);
  put('testlist01.txt', 'Nope/v_x.avi\n');
  await rejects(splitDataset(join(root, 'ucf'), { splitDir: lists, subset: 'test' }), /testlist01\.txt:1: no label and the folder "Nope" is not a class/);
  put('testlist01.txt', 'Archery/v_Archery_g01_c01.avi\nArchery/missing.avi\n');
  await rejects(splitDataset(join(root, 'ucf'), { splitDir: lists, subset: 'test' }), /1 of 2 listed videos are missing, e\.g\. .*testlist01\.txt:2: Archery\/missing\.avi/);
  const skipped = await splitDataset(join(root, 'ucf'), { splitDir: lists, subset: 'test', missing: 'skip' });
  assert.is(skipped.items.length, 1);
  await rejects(splitDataset(join(root, 'ucf'), { splitDir: lists, split: 2, subset: 'train' }), /trainlist02\.txt: file not found/);
  await rejects(splitDataset(join(root, 'ucf'), { splitDir: join(root, 'nowhere'), subset: 'train' }), /nowhere: split folder not found/);
  await rejects(splitDataset(join(root, 'ucf'), { splitDir: lists, split: 4, subset: 'train' }), /split must be 1, 2 or 3/);
});

test('HMDB51 split files: 1 = train, 2 = test, 0 = unused', async () => {
  const opts = { splitDir: join(root, 'hmdb-splits'), split: 1 };
  const train = await splitDataset(join(root, 'hmdb'), { ...opts, subset: 'train' });
  assert.equal(train.classes, ['brush_hair', 'cartwheel']);
  assert.equal(train.items.map((it) => [it.path.slice(root.length + 6), it.label]), [['brush_hair/a.mp4', 0]]);
  const testSet = await splitDataset(join(root, 'hmdb'), { ...opts, subset: 'test' });
  assert.equal(testSet.items.map((it) => [it.path.slice(root.length + 6), it.label]), [['brush_hair/b.mp4', 0], ['cartwheel/c.mp4', 1]]);
  touch('hmdb-splits/cartwheel_test_split2.txt', 'c.avi two\n');
  await rejects(splitDataset(join(root, 'hmdb'), { ...opts, split: 2, subset: 'test' }), /cartwheel_test_split2\.txt:1: expected "<video> 0\|1\|2"/);
});

test('unlabelled: a folder or a list file', async () => {
  const folder = await unlabelledDataset(join(root, 'ucf'));
  assert.is(folder.items.length, 5);
  assert.equal(folder.classes, []);
  assert.ok(folder.items.every((it) => it.label === undefined));
  touch('ucf/list.txt', '# my clips\nArchery/v_Archery_g01_c01.mp4\n\nFencing/extra/v_Fencing_g08_c01.webm\n');
  const list = await unlabelledDataset(join(root, 'ucf/list.txt'));
  assert.equal(list.items.map((it) => it.path.slice(root.length + 5)), ['Archery/v_Archery_g01_c01.mp4', 'Fencing/extra/v_Fencing_g08_c01.webm']);
  touch('ucf/bad-list.txt', 'Archery/v_Archery_g01_c01.mp4\nArchery/gone.mp4\n');
  await rejects(unlabelledDataset(join(root, 'ucf/bad-list.txt')), /bad-list\.txt:2: Archery\/gone\.mp4: file not found/);
  await rejects(unlabelledDataset(join(root, 'nothing-here')), /not found \(expected a folder of videos or a list file\)/);
  await rejects(unlabelledDataset(join(root, 'raw')), /cannot open \(\.avi\)/);
});

test.run();
