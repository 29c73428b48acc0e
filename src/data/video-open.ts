// The loader's default reader module: dataset paths opened with src/video's openVideo.
// Node: files through src/video's file-system seam (defaultFs().source). Browsers: URLs
// (http(s):, blob:, data:) fetched into a Blob. Loaded by the data workers (and by the loader in
// in-process mode); another module with the same `openItem` export can replace it (readerModule).
import { openVideo } from '../video/reader.ts';
import { defaultFs, isNode } from '../video/platform.ts';
import { blobSource } from '../video/byte-source.ts';
import type { VideoReaderLike } from './worker-core.ts';

const URL_RE = /^(https?|blob|data):/i;

export async function openItem(path: string, name: string): Promise<VideoReaderLike> {
  if (!isNode || URL_RE.test(path)) {
    const res = await fetch(path);
    if (!res.ok) throw new Error(`${name}: cannot fetch (${res.status} ${res.statusText})`);
    return openVideo(blobSource(await res.blob(), path), name);
  }
  const fs = await defaultFs();
  return openVideo(fs.source(path), name);
}
