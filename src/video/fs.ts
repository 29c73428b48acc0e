// The small file-system surface that dataset listing and the synthetic generator need. Node gets
// it from src/platform/node-video-files.ts through the platform seam (src/video/platform.ts); a
// browser app can implement it over the File System Access API or a list of Files and pass it in.
import type { ByteSource } from './byte-source.ts';

export interface DirEntry {
  name: string;
  dir: boolean;
}

export interface VideoFs {
  join(...parts: string[]): string;
  dirname(path: string): string;
  /** `to` relative to `from`, with '/' separators. */
  relative(from: string, to: string): string;
  /** Entries of a folder, sorted by name; throws "<dir>: folder not found" when it is missing. */
  list(dir: string): Promise<DirEntry[]>;
  /** A text file; throws "<path>: file not found" when it is missing. */
  readText(path: string): Promise<string>;
  exists(path: string): Promise<boolean>;
  isDir(path: string): Promise<boolean>;
  /** Writes a file through a temporary name and a rename (no half-written files after a crash). */
  writeAtomic(path: string, data: Uint8Array | string): Promise<void>;
  mkdirp(path: string): Promise<void>;
  remove(path: string): Promise<void>;
  /** A byte source for a file. */
  source(path: string): ByteSource;
}
