// Node side of the video platform seam: file-handle byte sources and the small file-system surface
// that src/video's datasets and synthetic generator need. src/video loads this file only through a
// dynamic import of a computed specifier (src/video/platform.ts), so browser bundles never see it.
// Node code may also import `fileSource` from here directly.
import { open, readdir, readFile, writeFile, mkdir, rename, stat, rm, type FileHandle } from 'node:fs/promises';
import { statSync } from 'node:fs';
import { join, dirname, resolve, relative, sep } from 'node:path';
import type { ByteSource } from '../video/byte-source.ts';
import type { VideoFs } from '../video/fs.ts';

/**
 * A ByteSource over a file, read with positioned reads on a file handle. The handle is opened on
 * the first read and closed by `close()` (a later read reopens it), so thousands of sources can
 * exist while only the open readers hold descriptors.
 */
export function fileSource(path: string): ByteSource {
  const abs = resolve(path);
  let handle: Promise<FileHandle> | null = null;
  let sizeP: Promise<number> | null = null;
  let id = `path:${abs}`;
  const fh = () => (handle ??= open(abs, 'r').catch((err: NodeJS.ErrnoException) => {
    handle = null;
    throw new Error(`${path}: cannot open (${err.code ?? err.message})`);
  }));
  const src: ByteSource = {
    get id() {
      return id;
    },
    size: () =>
      (sizeP ??= fh().then(async (h) => {
        const s = await h.stat();
        id = `path:${abs}:${s.size}:${s.mtimeMs}`;
        return s.size;
      })),
    read: async (offset, length) => {
      const h = await fh();
      const buf = new Uint8Array(length);
      let got = 0;
      while (got < length) {
        const { bytesRead } = await h.read(buf, got, length - got, offset + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      return got === length ? buf : buf.subarray(0, got);
    },
    close: async () => {
      const h = handle;
      handle = null;
      if (h) await h.then((x) => x.close(), () => {});
    },
  };
  return src;
}

/** The file-system operations of src/video/fs.ts on Node's `fs`. */
export const nodeVideoFs: VideoFs = {
  join: (...parts) => join(...parts),
  dirname: (p) => dirname(p),
  relative: (from, to) => relative(from, to).split(sep).join('/'),
  async list(dir) {
    try {
      const entries = await readdir(dir, { withFileTypes: true });
      return entries
        .map((e) => ({ name: e.name, dir: e.isDirectory() || (e.isSymbolicLink() && isDirSync(join(dir, e.name))) }))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new Error(`${dir}: folder not found`);
      if (code === 'ENOTDIR') throw new Error(`${dir}: not a folder`);
      throw new Error(`${dir}: cannot list (${code ?? (err as Error).message})`);
    }
  },
  async readText(path) {
    try {
      return await readFile(path, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new Error(`${path}: ${code === 'ENOENT' ? 'file not found' : `cannot read (${code ?? (err as Error).message})`}`);
    }
  },
  async exists(path) {
    try {
      await stat(path);
      return true;
    } catch {
      return false;
    }
  },
  async isDir(path) {
    try {
      return (await stat(path)).isDirectory();
    } catch {
      return false;
    }
  },
  async writeAtomic(path, data) {
    await mkdir(dirname(path), { recursive: true });
    const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
    await writeFile(tmp, data);
    await rename(tmp, path);
  },
  async mkdirp(path) {
    await mkdir(path, { recursive: true });
  },
  async remove(path) {
    await rm(path, { recursive: true, force: true });
  },
  source: (path) => fileSource(path),
};

function isDirSync(path: string): boolean {
  try {
    // Symlinked folders (datasets are often linked in) are followed.
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
