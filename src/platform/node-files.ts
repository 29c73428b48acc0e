// Node side of checkpoint files: safetensors on disk. The format code itself is browser-safe and
// lives in src/engine/io/safetensors.ts; this file only adds the file system.
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import {
  SafetensorsError,
  decodeSafetensorsTensor,
  encodeSafetensorsItem,
  parseSafetensorsHeaderJson,
  planSafetensors,
  safetensorsHeaderLength,
  type ParsedSafetensors,
  type SafetensorsEntry,
  type SafetensorsReadOptions,
  type TensorDict,
} from '../engine/io/safetensors.ts';

function labelled(err: unknown, path: string, op: string): Error {
  if (err instanceof SafetensorsError) return err.source === undefined ? err.withSource(path) : err;
  const e = err as Error;
  const msg = e?.message ?? String(err);
  return new Error(msg.includes(path) ? `${op}: ${msg}` : `${op}: ${path}: ${msg}`, { cause: err });
}

async function writeAll(fh: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    const { bytesWritten } = await fh.write(bytes, done, bytes.length - done, position + done);
    if (bytesWritten <= 0) throw new Error('write made no progress');
    done += bytesWritten;
  }
}

async function readExactly(fh: FileHandle, length: number, position: number): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(out, done, length - done, position + done);
    if (bytesRead === 0) throw new SafetensorsError(`file ended at byte ${position + done} while reading ${length} bytes at ${position} (did it change while being read?)`);
    done += bytesRead;
  }
  return out;
}

/**
 * Writes tensors (and string metadata) to `path` as safetensors, atomically: the bytes go to
 * `path.tmp-<pid>-<random>` in the same directory, which is fsynced and then renamed over `path`,
 * so `path` is always either the old file or the complete new one. A failure removes the temporary
 * file; a hard crash (power loss, SIGKILL) can leave one behind, never a partial `path`.
 * Tensors are read from the GPU one at a time, so the whole file is never held in memory.
 */
export async function saveSafetensorsFile(path: string, tensors: TensorDict, metadata?: Record<string, string>): Promise<void> {
  let plan;
  try {
    plan = planSafetensors(tensors, metadata); // validates before any file is created
  } catch (err) {
    throw labelled(err, path, 'saveSafetensorsFile');
  }
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
  let fh: FileHandle | undefined;
  try {
    fh = await open(tmp, 'wx');
    await writeAll(fh, plan.prefix, 0);
    for (const item of plan.items) await writeAll(fh, await encodeSafetensorsItem(item), item.offset);
    await fh.sync();
    await fh.close();
    fh = undefined;
    await rename(tmp, path);
  } catch (err) {
    await fh?.close().catch(() => {});
    await unlink(tmp).catch(() => {});
    throw labelled(err, path, 'saveSafetensorsFile');
  }
  // Make the rename itself durable; not every platform can fsync a directory, so best effort.
  try {
    const dir = await open(dirname(path), 'r');
    await dir.sync().finally(() => dir.close());
  } catch {
    /* ignore */
  }
}

/**
 * Reads and validates a safetensors file (see parseSafetensors; errors name the file). The header
 * is validated before any tensor data is read, and each tensor is read straight into its own buffer.
 */
export async function loadSafetensorsFile(path: string, opts: SafetensorsReadOptions = {}): Promise<ParsedSafetensors> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(path, 'r');
    const st = await fh.stat();
    if (!st.isFile()) throw new SafetensorsError('not a regular file');
    const total = st.size;
    const prefix = await readExactly(fh, Math.min(8, total), 0);
    const n = safetensorsHeaderLength(prefix, total, opts);
    const header = await readExactly(fh, n, 8);
    const { tensors: infos, metadata } = parseSafetensorsHeaderJson(header, total - 8 - n);
    const tensors = new Map<string, SafetensorsEntry>();
    for (const info of infos) {
      const [b, e] = info.dataOffsets;
      tensors.set(info.name, decodeSafetensorsTensor(info, await readExactly(fh, e - b, 8 + n + b)));
    }
    return { tensors, metadata };
  } catch (err) {
    throw labelled(err, path, 'loadSafetensorsFile');
  } finally {
    await fh?.close().catch(() => {});
  }
}
