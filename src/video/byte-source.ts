// Random-access byte sources: the only way src/video reads a file. A reader asks for the byte
// ranges it needs (box headers, the `moov` box, the samples of one GOP) and never holds a whole file.
//
//   Node:    fileSource(path) from src/platform/node-video-files.ts (a file handle, opened lazily)
//   Browser: blobSource(blob) (a File from <input type=file>, a fetched Blob, OPFS files…)
//   Tests:   bytesSource(bytes) (memory)

export interface ByteSource {
  /** Identity used as the key of the sample-index cache (path + size + mtime, or similar). */
  readonly id: string;
  /** Size of the whole file in bytes. */
  size(): Promise<number>;
  /**
   * `length` bytes from `offset`. Fewer bytes are returned only at the end of the file. The result
   * may be a view into a shared buffer: copy it if it must outlive the next read.
   */
  read(offset: number, length: number): Promise<Uint8Array>;
  /** Releases the underlying handle; later reads reopen it where the source can. Idempotent. */
  close(): Promise<void>;
}

let nextBlobId = 0;
const blobIds = new WeakMap<Blob, string>();

/** A source over a Blob or File (browsers; also Node's `Blob`). Reads with `Blob.slice`. */
export function blobSource(blob: Blob, id?: string): ByteSource {
  let autoId = blobIds.get(blob);
  if (!autoId) {
    const file = blob as Partial<File>;
    autoId = file.name !== undefined ? `file:${file.name}:${blob.size}:${file.lastModified ?? 0}` : `blob:${nextBlobId++}:${blob.size}`;
    blobIds.set(blob, autoId);
  }
  return {
    id: id ?? autoId,
    size: async () => blob.size,
    read: async (offset, length) => {
      const end = Math.min(blob.size, offset + length);
      if (offset >= end) return new Uint8Array(0);
      return new Uint8Array(await blob.slice(offset, end).arrayBuffer());
    },
    close: async () => {},
  };
}

/** A source over bytes already in memory (tests, small generated files). */
export function bytesSource(bytes: Uint8Array, id = `bytes:${nextBlobId++}:${bytes.byteLength}`): ByteSource {
  return {
    id,
    size: async () => bytes.byteLength,
    read: async (offset, length) => bytes.subarray(Math.min(offset, bytes.byteLength), Math.min(bytes.byteLength, offset + length)),
    close: async () => {},
  };
}

/** Wraps a source to count reads and bytes (benchmarks, tests of "reads only what it needs"). */
export function countingSource(src: ByteSource): ByteSource & { reads: number; bytesRead: number } {
  const out = {
    id: src.id,
    reads: 0,
    bytesRead: 0,
    size: () => src.size(),
    read: async (offset: number, length: number) => {
      const b = await src.read(offset, length);
      out.reads++;
      out.bytesRead += b.byteLength;
      return b;
    },
    close: () => src.close(),
  };
  return out;
}
