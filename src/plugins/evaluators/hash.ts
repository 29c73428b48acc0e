// SHA-256 through WebCrypto (`crypto.subtle`, in Node ≥ 20 and every browser), canonical JSON, and
// the hashes a result carries: of the backbone's weights, of a split's video list, of a dataset.
import type { Tensor } from '../../engine/index.ts';
import type { EvalSplit } from './types.ts';

function subtle(): SubtleCrypto {
  const s = (globalThis as { crypto?: Crypto }).crypto?.subtle;
  if (!s) throw new Error('SHA-256 needs WebCrypto (globalThis.crypto.subtle): Node ≥ 20 or a browser in a secure context');
  return s;
}

function hex(buf: ArrayBuffer): string {
  return [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** SHA-256 (lowercase hex) of bytes or of a string's UTF-8. */
export async function sha256Hex(data: Uint8Array | ArrayBuffer | string): Promise<string> {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data instanceof Uint8Array ? data : new Uint8Array(data);
  // A copy into a plain ArrayBuffer (digest refuses SharedArrayBuffer views in some runtimes).
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return hex(await subtle().digest('SHA-256', copy.buffer));
}

/** JSON with object keys sorted at every level (a stable text for hashing); undefined fields dropped. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object' && !ArrayBuffer.isView(v)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v as object).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) out[k] = sortKeys(x);
    }
    return out;
  }
  return v;
}

/** SHA-256 of canonicalJson(value). */
export function sha256Json(value: unknown): Promise<string> {
  return sha256Hex(canonicalJson(value));
}

/**
 * SHA-256 of a state dict: for each name in sorted order, `name dtype shape\n` followed by the
 * tensor's little-endian bytes. One readback per tensor, once per evaluation.
 */
export async function weightsSha256(state: Record<string, Tensor>): Promise<string> {
  const names = Object.keys(state).sort();
  const parts: Uint8Array[] = [];
  const enc = new TextEncoder();
  let total = 0;
  for (const n of names) {
    const t = state[n];
    const head = enc.encode(`${n} ${t.dtype} [${t.shape.join(',')}]\n`);
    const data = await t.data();
    const body = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    parts.push(head, body);
    total += head.byteLength + body.byteLength;
  }
  const all = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.byteLength;
  }
  return sha256Hex(all);
}

/** A path relative to `root` (forward slashes), or the path itself when it is not under root. */
export function relativePath(path: string, root?: string): string {
  const p = path.replace(/\\/g, '/');
  if (!root) return p;
  const r = root.replace(/\\/g, '/').replace(/\/+$/, '');
  return p.startsWith(r + '/') ? p.slice(r.length + 1) : p;
}

/**
 * SHA-256 of a split's list of [relative path, label] in order (the order fixes row indices), or of
 * [relative path, label, bytes] when the files' sizes are given (a cheap content fingerprint).
 */
export function splitSha256(split: EvalSplit, bytes?: readonly number[] | null): Promise<string> {
  if (bytes && bytes.length !== split.items.length) throw new Error(`splitSha256: ${bytes.length} sizes for ${split.items.length} videos`);
  return sha256Json(split.items.map((it, i) => (bytes ? [relativePath(it.path, split.root), it.label, bytes[i]] : [relativePath(it.path, split.root), it.label])));
}
