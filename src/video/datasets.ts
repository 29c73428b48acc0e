// Dataset listings: which video files, with which labels. Three layouts:
//   folderDataset(root)          root/<class>/<video> (classes sorted by name → labels 0..K-1)
//   splitDataset(root, opts)     UCF101/HMDB51 official split lists (classInd.txt, trainlist0N.txt,
//                                testlist0N.txt; labels 1-based in the files, 0-based here), and
//                                HMDB51's own per-class "<class>_test_splitN.txt" files
//   unlabelledDataset(path)      a folder (searched recursively) or a list file of paths
// Paths are listed, never opened; file access goes through a VideoFs (Node's by default, through
// the platform seam), so a browser app can list a user-picked folder with its own VideoFs.
import type { VideoFs } from './fs.ts';
import { defaultFs } from './platform.ts';
import { PREPARE_HINT } from './errors.ts';

export interface DatasetItem {
  path: string;
  label?: number;
}

export interface Dataset {
  root: string;
  items: DatasetItem[];
  /** Class names; items[i].label indexes this. Empty for unlabelled datasets. */
  classes: string[];
}

/** Containers the WebCodecs reader opens (by extension; content is checked when opened). */
export const READABLE_EXTENSIONS = ['.mp4', '.m4v', '.mov', '.mkv', '.webm'];
/** Other video files: listed as an error that says to run the prepare command. */
export const OTHER_VIDEO_EXTENSIONS = ['.avi', '.mpg', '.mpeg', '.wmv', '.flv', '.3gp', '.ogv', '.ts', '.mts', '.vob', '.divx', '.h264', '.264'];

function ext(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot).toLowerCase() : '';
}

export interface ListOptions {
  fs?: VideoFs;
  /** Extensions to list (default READABLE_EXTENSIONS). */
  extensions?: string[];
}

async function walk(fs: VideoFs, dir: string, exts: Set<string>, found: string[], other: string[]): Promise<void> {
  for (const e of await fs.list(dir)) {
    if (e.name.startsWith('.')) continue;
    const p = fs.join(dir, e.name);
    if (e.dir) await walk(fs, p, exts, found, other);
    else if (exts.has(ext(e.name))) found.push(p);
    else if (OTHER_VIDEO_EXTENSIONS.includes(ext(e.name))) other.push(p);
  }
}

function unreadable(where: string, other: string[], fs: VideoFs): Error {
  const kinds = [...new Set(other.map((p) => ext(p)))].join(', ');
  return new Error(`${where}: ${other.length} video file(s) in formats the WebCodecs reader cannot open (${kinds}), e.g. ` +
    `${fs.relative(where, other[0])}; ${PREPARE_HINT}`);
}

async function requireDir(fs: VideoFs, dir: string, what: string): Promise<void> {
  if (!(await fs.exists(dir))) throw new Error(`${dir}: ${what} not found`);
  if (!(await fs.isDir(dir))) throw new Error(`${dir}: ${what} is not a folder`);
}

/** root/<class>/<video> (videos may sit in sub-folders of a class folder). */
export async function folderDataset(root: string, opts: ListOptions = {}): Promise<Dataset> {
  const fs = opts.fs ?? (await defaultFs());
  const exts = new Set((opts.extensions ?? READABLE_EXTENSIONS).map((e) => e.toLowerCase()));
  await requireDir(fs, root, 'dataset folder');
  const classDirs = (await fs.list(root)).filter((e) => e.dir && !e.name.startsWith('.')).map((e) => e.name);
  if (classDirs.length === 0) throw new Error(`${root}: no class folders (expected ${root}/<class>/<video>)`);
  const items: DatasetItem[] = [];
  const other: string[] = [];
  for (let label = 0; label < classDirs.length; label++) {
    const found: string[] = [];
    await walk(fs, fs.join(root, classDirs[label]), exts, found, other);
    for (const path of found) items.push({ path, label });
  }
  if (other.length) throw unreadable(root, other, fs);
  if (items.length === 0) throw new Error(`${root}: no videos (${[...exts].join(', ')}) in its ${classDirs.length} class folder(s)`);
  return { root, items, classes: classDirs };
}

export interface SplitOptions extends ListOptions {
  /** Folder holding classInd.txt and the lists (default: root). */
  splitDir?: string;
  /** Split number 1..3 (default 1). */
  split?: number;
  subset: 'train' | 'test';
  /** A listed video that does not exist: 'error' (default) or 'skip'. */
  missing?: 'error' | 'skip';
}

interface Line {
  text: string;
  no: number;
}

function lines(text: string): Line[] {
  return text.split(/\r?\n/).map((t, i) => ({ text: t.trim(), no: i + 1 })).filter((l) => l.text && !l.text.startsWith('#'));
}

/**
 * A UCF101/HMDB51 split. With classInd.txt in splitDir: UCF-style lists trainlist0N.txt /
 * testlist0N.txt ("Class/v_x.avi 1" / "Class/v_x.avi"). Without it: HMDB51's per-class files
 * "<class>_test_splitN.txt" ("video.avi 1|2|0": 1 train, 2 test, 0 unused).
 * A listed .avi resolves to the prepared .mp4 of the same name when only that exists.
 */
export async function splitDataset(root: string, opts: SplitOptions): Promise<Dataset> {
  const fs = opts.fs ?? (await defaultFs());
  const split = opts.split ?? 1;
  if (![1, 2, 3].includes(split)) throw new Error(`splitDataset: split must be 1, 2 or 3, got ${split}`);
  if (opts.subset !== 'train' && opts.subset !== 'test') throw new Error(`splitDataset: subset must be 'train' or 'test', got ${String(opts.subset)}`);
  const splitDir = opts.splitDir ?? root;
  await requireDir(fs, root, 'dataset folder');
  await requireDir(fs, splitDir, 'split folder');
  const classInd = fs.join(splitDir, 'classInd.txt');
  const entries: { rel: string; label: number; where: string }[] = [];
  let classes: string[];
  if (await fs.exists(classInd)) {
    classes = [];
    for (const l of lines(await fs.readText(classInd))) {
      const m = /^(\d+)\s+(\S+)$/.exec(l.text);
      if (!m) throw new Error(`${classInd}:${l.no}: expected "<index> <class>", got ${JSON.stringify(l.text)}`);
      const id = Number(m[1]);
      if (id !== classes.length + 1) throw new Error(`${classInd}:${l.no}: class index ${id} out of sequence (expected ${classes.length + 1}; indices are 1-based and consecutive)`);
      classes.push(m[2]);
    }
    if (classes.length === 0) throw new Error(`${classInd}: no classes`);
    const byName = new Map(classes.map((c, i) => [c, i]));
    const list = fs.join(splitDir, `${opts.subset}list0${split}.txt`);
    for (const l of lines(await fs.readText(list))) {
      const parts = l.text.split(/\s+/);
      const where = `${list}:${l.no}`;
      if (parts.length > 2) throw new Error(`${where}: expected "<class>/<video> [label]", got ${JSON.stringify(l.text)}`);
      const rel = parts[0];
      const folder = rel.includes('/') ? rel.slice(0, rel.indexOf('/')) : '';
      const fromFolder = byName.get(folder);
      let label: number;
      if (parts.length === 2) {
        const n = Number(parts[1]);
        if (!Number.isInteger(n) || n < 1 || n > classes.length) throw new Error(`${where}: label ${JSON.stringify(parts[1])} is not a class index 1..${classes.length}`);
        label = n - 1;
        if (fromFolder !== undefined && fromFolder !== label) throw new Error(`${where}: label ${n} (${classes[label]}) disagrees with the folder ${folder}`);
      } else {
        if (fromFolder === undefined) throw new Error(`${where}: no label and the folder ${JSON.stringify(folder)} is not a class of ${classInd}`);
        label = fromFolder;
      }
      entries.push({ rel, label, where });
    }
  } else {
    const suffix = `_test_split${split}.txt`;
    const files = (await fs.list(splitDir)).filter((e) => !e.dir && e.name.endsWith(suffix)).map((e) => e.name);
    if (files.length === 0) {
      throw new Error(`${splitDir}: no split lists: expected classInd.txt with trainlist0${split}.txt/testlist0${split}.txt (UCF101 style) or <class>${suffix} files (HMDB51)`);
    }
    classes = files.map((f) => f.slice(0, -suffix.length));
    const want = opts.subset === 'train' ? '1' : '2';
    for (let label = 0; label < files.length; label++) {
      const file = fs.join(splitDir, files[label]);
      for (const l of lines(await fs.readText(file))) {
        const m = /^(\S+)\s+([012])$/.exec(l.text);
        if (!m) throw new Error(`${file}:${l.no}: expected "<video> 0|1|2", got ${JSON.stringify(l.text)}`);
        if (m[2] === want) entries.push({ rel: `${classes[label]}/${m[1]}`, label, where: `${file}:${l.no}` });
      }
    }
  }
  if (entries.length === 0) throw new Error(`${splitDir}: the ${opts.subset} list of split ${split} is empty`);
  const items: DatasetItem[] = [];
  const missing: string[] = [];
  for (const e of entries) {
    const path = await resolveVideo(fs, root, e.rel);
    if (path) items.push({ path, label: e.label });
    else missing.push(`${e.where}: ${e.rel}`);
  }
  if (missing.length && opts.missing !== 'skip') {
    throw new Error(`${root}: ${missing.length} of ${entries.length} listed videos are missing, e.g. ${missing.slice(0, 3).join('; ')} ` +
      "(pass missing: 'skip' to ignore them)");
  }
  if (items.length === 0) throw new Error(`${root}: none of the ${entries.length} listed videos exist`);
  const other = items.filter((it) => !READABLE_EXTENSIONS.includes(ext(it.path)));
  if (other.length) throw unreadable(root, other.map((it) => it.path), fs);
  return { root, items, classes };
}

/** The listed file, or its prepared .mp4 twin. */
async function resolveVideo(fs: VideoFs, root: string, rel: string): Promise<string | null> {
  const direct = fs.join(root, rel);
  const e = ext(rel);
  const mp4 = e && e !== '.mp4' ? fs.join(root, rel.slice(0, rel.length - e.length) + '.mp4') : null;
  // Prefer the prepared file: the original of a transcoded dataset is usually not readable.
  if (mp4 && !READABLE_EXTENSIONS.includes(e) && (await fs.exists(mp4))) return mp4;
  if (await fs.exists(direct)) return direct;
  if (mp4 && (await fs.exists(mp4))) return mp4;
  return null;
}

/** Every video under a folder (recursively), or the paths in a list file (one per line, relative to the list's folder). */
export async function unlabelledDataset(path: string, opts: ListOptions = {}): Promise<Dataset> {
  const fs = opts.fs ?? (await defaultFs());
  const exts = new Set((opts.extensions ?? READABLE_EXTENSIONS).map((e) => e.toLowerCase()));
  if (!(await fs.exists(path))) throw new Error(`${path}: not found (expected a folder of videos or a list file)`);
  if (await fs.isDir(path)) {
    const found: string[] = [];
    const other: string[] = [];
    await walk(fs, path, exts, found, other);
    if (other.length) throw unreadable(path, other, fs);
    if (found.length === 0) throw new Error(`${path}: no videos (${[...exts].join(', ')})`);
    return { root: path, items: found.map((p) => ({ path: p })), classes: [] };
  }
  const base = fs.dirname(path);
  const items: DatasetItem[] = [];
  for (const l of lines(await fs.readText(path))) {
    if (/\s/.test(l.text) && !(await fs.exists(fs.join(base, l.text)))) {
      throw new Error(`${path}:${l.no}: expected one video path per line, got ${JSON.stringify(l.text)}`);
    }
    const p = l.text.startsWith('/') ? l.text : fs.join(base, l.text);
    if (!(await fs.exists(p))) throw new Error(`${path}:${l.no}: ${l.text}: file not found`);
    items.push({ path: p });
  }
  if (items.length === 0) throw new Error(`${path}: the list is empty`);
  return { root: base, items, classes: [] };
}
