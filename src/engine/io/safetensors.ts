// safetensors checkpoints: https://github.com/huggingface/safetensors (format section of its README).
//
//   8 bytes   N, unsigned little-endian 64-bit: the header length
//   N bytes   UTF-8 JSON object {"__metadata__": {str: str}, "<name>": {"dtype": "F32",
//             "shape": [2, 3], "data_offsets": [begin, end]}, ...}, padded with spaces
//   rest      the data section: raw little-endian, row-major tensor bytes; offsets are relative to
//             its start, and the tensors must cover it exactly (no holes, no overlaps, no trailing
//             bytes)
//
// Browser-safe: no Node built-ins (src/platform/node-files.ts adds files). Checkpoints are untrusted
// input: every length and offset is validated before any typed array is built, so a malformed file
// gives a SafetensorsError naming the problem — never an out-of-bounds read, a RangeError from a
// typed-array constructor, or a hang (the header parser is linear and depth-limited).
import type { Tensor } from '../tensor/tensor.ts';
import type { DType } from '../tensor/dtype.ts';
import { tensor as makeTensor } from '../ops/creation.ts';
import { assign } from '../ops/assign.ts';
import { noGrad } from '../autograd/mode.ts';

/** The official reader's header cap (safetensors' MAX_HEADER_SIZE). */
export const SAFETENSORS_MAX_HEADER_BYTES = 100_000_000;
/** Nesting limit of the header JSON (serde_json's default recursion limit); the format needs 3. */
const MAX_JSON_DEPTH = 128;

/** Every problem with a checkpoint's bytes or a state dict's keys is reported with this class. */
export class SafetensorsError extends Error {
  /** The message without the `safetensors:` / file prefix. */
  readonly detail: string;
  /** The file path or other label of the input, when known. */
  readonly source?: string;
  constructor(detail: string, source?: string) {
    super(`safetensors: ${source !== undefined ? `${source}: ` : ''}${detail}`);
    this.name = 'SafetensorsError';
    this.detail = detail;
    this.source = source;
  }
  /** The same error, labelled with a file path. */
  withSource(source: string): SafetensorsError {
    return new SafetensorsError(this.detail, source);
  }
}

function fail(detail: string): never {
  throw new SafetensorsError(detail);
}

/** A name for messages: JSON-quoted, shortened. */
function q(name: string): string {
  const s = JSON.stringify(name);
  return s.length > 120 ? `${s.slice(0, 100)}…" (${name.length} chars)` : s;
}

// ---------------------------------------------------------------------------------------------
// Dtypes

/** Bits per element of every dtype the official format defines (layout validation needs them all). */
const DTYPE_BITS: Record<string, number> = {
  BOOL: 8, F4: 4, F6_E2M3: 6, F6_E3M2: 6, U8: 8, I8: 8, F8_E5M2: 8, F8_E4M3: 8, F8_E8M0: 8,
  F8_E4M3FNUZ: 8, F8_E5M2FNUZ: 8, I16: 16, U16: 16, F16: 16, BF16: 16, I32: 32, U32: 32, F32: 32,
  C64: 64, F64: 64, I64: 64, U64: 64,
};

/** File dtypes this engine can load, and the engine dtype each becomes. */
const LOADABLE: Record<string, DType> = {
  F32: 'float32', F16: 'float32', BF16: 'float32', F64: 'float32',
  I32: 'int32', I64: 'int32', U32: 'int32', U64: 'int32', I16: 'int32', U16: 'int32', I8: 'int32', U8: 'int32',
  BOOL: 'bool',
};

/** The file dtype each engine dtype is written as. */
const FILE_DTYPE: Record<DType, 'F32' | 'I32' | 'BOOL'> = { float32: 'F32', int32: 'I32', bool: 'BOOL' };

/** The official writer orders tensors by this rank (descending alignment), then by name. */
const WRITE_RANK: Record<'F32' | 'I32' | 'BOOL', number> = { F32: 2, I32: 1, BOOL: 0 };

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

// ---------------------------------------------------------------------------------------------
// Header JSON: a small strict parser (RFC 8259). JSON.parse is not used because it silently keeps
// the last of duplicate keys, cannot tell `16` from `16.0` or `1.6e1`, and loses precision on large
// integers; this parser rejects duplicates, returns non-integer or unsafe numbers as JsonNumber (so
// they fail validation), rejects lone surrogate escapes and limits nesting. Objects become Maps.

class JsonNumber {
  constructor(readonly text: string) {}
}

type JsonValue = null | boolean | number | string | JsonNumber | JsonValue[] | Map<string, JsonValue>;

const NUMBER_RE = /-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;

class JsonParser {
  pos = 0;
  constructor(private readonly s: string) {}

  error(what: string): never {
    fail(`header is not valid JSON: ${what} at character ${this.pos}`);
  }

  ws(): void {
    const s = this.s;
    let c = s.charCodeAt(this.pos);
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = s.charCodeAt(++this.pos);
  }

  value(depth: number): JsonValue {
    this.ws();
    const c = this.s[this.pos];
    if (c === '{') return this.object(depth + 1);
    if (c === '[') return this.array(depth + 1);
    if (c === '"') return this.string();
    if (c === 't') return this.literal('true', true);
    if (c === 'f') return this.literal('false', false);
    if (c === 'n') return this.literal('null', null);
    if (c === '-' || (c >= '0' && c <= '9')) return this.number();
    if (c === undefined) this.error('unexpected end');
    this.error(`unexpected character ${JSON.stringify(c)}`);
  }

  literal<T extends JsonValue>(word: string, v: T): T {
    if (!this.s.startsWith(word, this.pos)) this.error('invalid literal');
    this.pos += word.length;
    return v;
  }

  number(): number | JsonNumber {
    NUMBER_RE.lastIndex = this.pos;
    const m = NUMBER_RE.exec(this.s);
    if (!m) this.error('invalid number');
    this.pos += m[0].length;
    const v = Number(m[0]);
    if (m[1] === undefined && m[2] === undefined && Number.isSafeInteger(v)) return v === 0 ? 0 : v;
    return new JsonNumber(m[0]);
  }

  string(): string {
    // Validates in one pass; the (rare) escapes are then decoded by JSON.parse of the literal,
    // which is linear, unlike building the string piecewise.
    const s = this.s;
    const open = this.pos;
    let i = open + 1;
    let escaped = false;
    for (;;) {
      const c = s.charCodeAt(i);
      if (c === 0x22) break; // "
      if (Number.isNaN(c)) {
        this.pos = i;
        this.error('unterminated string');
      }
      if (c < 0x20) {
        this.pos = i;
        this.error('control character in string');
      }
      if (c !== 0x5c) {
        i++;
        continue;
      }
      escaped = true;
      const e = s.charCodeAt(i + 1);
      if (e !== 0x75) { // not \u
        // " \ / b f n r t
        if (e !== 0x22 && e !== 0x5c && e !== 0x2f && e !== 0x62 && e !== 0x66 && e !== 0x6e && e !== 0x72 && e !== 0x74) {
          this.pos = i;
          this.error('invalid escape in string');
        }
        i += 2;
        continue;
      }
      const hi = this.hex4(i + 2);
      i += 6;
      if (hi >= 0xdc00 && hi <= 0xdfff) {
        this.pos = i - 6;
        this.error('lone low surrogate escape in string');
      }
      if (hi >= 0xd800 && hi <= 0xdbff) {
        const lo = s[i] === '\\' && s[i + 1] === 'u' ? this.hex4(i + 2) : -1;
        if (lo < 0xdc00 || lo > 0xdfff) {
          this.pos = i - 6;
          this.error('lone high surrogate escape in string');
        }
        i += 6;
      }
    }
    this.pos = i + 1;
    return escaped ? (JSON.parse(s.slice(open, i + 1)) as string) : s.slice(open + 1, i);
  }

  hex4(i: number): number {
    const h = this.s.slice(i, i + 4);
    if (!/^[0-9a-fA-F]{4}$/.test(h)) {
      this.pos = i;
      this.error('invalid \\u escape');
    }
    return parseInt(h, 16);
  }

  array(depth: number): JsonValue[] {
    if (depth > MAX_JSON_DEPTH) this.error(`nesting deeper than ${MAX_JSON_DEPTH} levels`);
    this.pos++;
    const out: JsonValue[] = [];
    this.ws();
    if (this.s[this.pos] === ']') {
      this.pos++;
      return out;
    }
    for (;;) {
      out.push(this.value(depth));
      this.ws();
      const c = this.s[this.pos++];
      if (c === ']') return out;
      if (c !== ',') {
        this.pos--;
        this.error("expected ',' or ']'");
      }
    }
  }

  object(depth: number): Map<string, JsonValue> {
    if (depth > MAX_JSON_DEPTH) this.error(`nesting deeper than ${MAX_JSON_DEPTH} levels`);
    this.pos++;
    const out = new Map<string, JsonValue>();
    this.ws();
    if (this.s[this.pos] === '}') {
      this.pos++;
      return out;
    }
    for (;;) {
      this.ws();
      if (this.s[this.pos] !== '"') this.error('expected a string key');
      const key = this.string();
      if (out.has(key)) fail(`header has the key ${q(key)} twice (duplicate keys are not allowed)`);
      this.ws();
      if (this.s[this.pos] !== ':') this.error("expected ':'");
      this.pos++;
      out.set(key, this.value(depth));
      this.ws();
      const c = this.s[this.pos++];
      if (c === '}') return out;
      if (c !== ',') {
        this.pos--;
        this.error("expected ',' or '}'");
      }
    }
  }
}

function parseHeaderJson(text: string): Map<string, JsonValue> {
  const p = new JsonParser(text);
  p.ws();
  if (p.pos >= text.length) fail('header is empty (expected a JSON object)');
  if (text[p.pos] !== '{') fail(`header must be a JSON object starting with '{' (found ${JSON.stringify(text[p.pos])} at character ${p.pos})`);
  const root = p.value(0) as Map<string, JsonValue>;
  p.ws();
  if (p.pos !== text.length) fail(`header has ${text.length - p.pos} unexpected characters after the JSON object (only space padding is allowed), at character ${p.pos}`);
  return root;
}

// ---------------------------------------------------------------------------------------------
// Layout validation

/** One tensor's entry in the header, validated. */
export interface SafetensorsTensorInfo {
  name: string;
  /** The dtype as the file names it: 'F32', 'I64', 'BF16', … */
  dtype: string;
  shape: number[];
  /** [begin, end) in bytes, relative to the start of the data section. */
  dataOffsets: [number, number];
}

/** A validated header. */
export interface SafetensorsHeader {
  /** N, the JSON header's length in bytes (padding included). */
  headerBytes: number;
  /** Absolute byte offset of the data section (8 + N). */
  dataStart: number;
  /** Length of the data section in bytes. */
  dataBytes: number;
  /** Tensor entries in data-offset order. */
  tensors: SafetensorsTensorInfo[];
  /** `__metadata__` (empty when absent). */
  metadata: Record<string, string>;
}

export interface SafetensorsReadOptions {
  /** Largest accepted JSON header, in bytes (default 100,000,000, the official cap). */
  maxHeaderBytes?: number;
  /** Largest accepted file, in bytes (default: no limit beyond the input itself). */
  maxTotalBytes?: number;
}

function limits(opts: SafetensorsReadOptions): { maxHeader: number; maxTotal: number } {
  const maxHeader = opts.maxHeaderBytes ?? SAFETENSORS_MAX_HEADER_BYTES;
  const maxTotal = opts.maxTotalBytes ?? Number.MAX_SAFE_INTEGER;
  for (const [k, v] of [['maxHeaderBytes', maxHeader], ['maxTotalBytes', maxTotal]] as const) {
    if (!Number.isSafeInteger(v) || v < 0) throw new SafetensorsError(`option ${k} must be a non-negative integer, got ${v}`);
  }
  return { maxHeader, maxTotal };
}

/**
 * Validates the 8-byte prefix of a file of `totalBytes` bytes and returns N, the header length.
 * Building block for streaming readers (files, Blobs); parseSafetensors does all of it for you.
 */
export function safetensorsHeaderLength(prefix: Uint8Array, totalBytes: number, opts: SafetensorsReadOptions = {}): number {
  const { maxHeader, maxTotal } = limits(opts);
  if (totalBytes > maxTotal) fail(`file is ${totalBytes} bytes, more than the limit of ${maxTotal} (option maxTotalBytes)`);
  if (totalBytes < 8 || prefix.length < 8) fail(`file is ${totalBytes} bytes, too short for the 8-byte header length (truncated or not a safetensors file)`);
  const dv = new DataView(prefix.buffer, prefix.byteOffset, 8);
  const lo = dv.getUint32(0, true);
  const hi = dv.getUint32(4, true);
  const exact = (BigInt(hi) << 32n) | BigInt(lo);
  if (exact > BigInt(maxHeader)) {
    fail(`header length ${exact} exceeds the limit of ${maxHeader} bytes (a corrupt file or not a safetensors file)`);
  }
  const n = Number(exact);
  if (8 + n > totalBytes) fail(`header length ${n} runs past the end of the file (${totalBytes} bytes; truncated?)`);
  return n;
}

function isNonNegInt(v: JsonValue | undefined): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function show(v: JsonValue | undefined, depth = 0): string {
  let s: string;
  if (v instanceof JsonNumber) s = v.text;
  else if (v instanceof Map) s = 'an object';
  else if (v === undefined) s = 'nothing';
  else if (Array.isArray(v)) s = depth > 2 ? '[...]' : `[${v.slice(0, 8).map((x) => show(x, depth + 1)).join(',')}${v.length > 8 ? ',...' : ''}]`;
  else s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/**
 * Parses and validates the JSON header bytes (the N bytes after the prefix) against a data section
 * of `dataBytes` bytes. Building block for streaming readers.
 */
export function parseSafetensorsHeaderJson(headerBytes: Uint8Array, dataBytes: number): Omit<SafetensorsHeader, 'headerBytes' | 'dataStart' | 'dataBytes'> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(headerBytes);
  } catch {
    fail('header is not valid UTF-8');
  }
  const root = parseHeaderJson(text);
  const metadata: Record<string, string> = Object.create(null);
  const tensors: SafetensorsTensorInfo[] = [];
  for (const [name, v] of root) {
    if (name === '__metadata__') {
      if (v === null) continue;
      if (!(v instanceof Map)) fail(`__metadata__ must be an object of strings, got ${show(v)}`);
      for (const [k, s] of v) {
        if (typeof s !== 'string') fail(`__metadata__ value ${q(k)} must be a string, got ${show(s)}`);
        metadata[k] = s;
      }
      continue;
    }
    const t = `tensor ${q(name)}`;
    if (!(v instanceof Map)) fail(`${t}: entry must be an object with dtype, shape and data_offsets, got ${show(v)}`);
    const dtype = v.get('dtype');
    if (dtype === undefined) fail(`${t}: missing field "dtype"`);
    if (typeof dtype !== 'string') fail(`${t}: dtype must be a string, got ${show(dtype)}`);
    const bits = Object.hasOwn(DTYPE_BITS, dtype) ? DTYPE_BITS[dtype] : undefined;
    if (bits === undefined) fail(`${t}: unknown dtype ${q(dtype)}`);
    const shape = v.get('shape');
    if (shape === undefined) fail(`${t}: missing field "shape"`);
    if (!Array.isArray(shape)) fail(`${t}: shape must be an array, got ${show(shape)}`);
    for (let i = 0; i < shape.length; i++) {
      if (!isNonNegInt(shape[i])) fail(`${t}: shape[${i}] must be a non-negative integer, got ${show(shape[i])}`);
    }
    const offsets = v.get('data_offsets');
    if (offsets === undefined) fail(`${t}: missing field "data_offsets"`);
    if (!Array.isArray(offsets) || offsets.length !== 2) fail(`${t}: data_offsets must be [begin, end], got ${show(offsets)}`);
    const [begin, end] = offsets;
    if (!isNonNegInt(begin) || !isNonNegInt(end)) fail(`${t}: data_offsets must be non-negative integers, got ${show(offsets)}`);
    if (begin > end) fail(`${t}: data_offsets [${begin}, ${end}] end before they begin`);
    if (end > dataBytes) fail(`${t}: data_offsets [${begin}, ${end}] run past the end of the data section (${dataBytes} bytes; truncated?)`);
    // numel × bits; exact while it stays below 2^53, and it bails out beyond (so no overflow).
    const dims = shape as number[];
    let nbits = 0;
    if (!dims.includes(0)) {
      let n = bits;
      for (const d of dims) {
        n *= d;
        if (n > Number.MAX_SAFE_INTEGER) fail(`${t}: shape [${dims.join(', ')}] of ${dtype} needs more than 2^50 bytes (data_offsets [${begin}, ${end}])`);
      }
      nbits = n;
    }
    if (nbits % 8 !== 0) fail(`${t}: shape [${dims.join(', ')}] of ${dtype} is not a whole number of bytes`);
    if (end - begin !== nbits / 8) {
      fail(`${t}: data_offsets [${begin}, ${end}] span ${end - begin} bytes but shape [${dims.join(', ')}] of ${dtype} needs ${nbits / 8}`);
    }
    tensors.push({ name, dtype, shape: dims.slice(), dataOffsets: [begin, end] });
  }
  // Offsets must tile the data section: sorted, contiguous, no overlaps, no holes, nothing after.
  tensors.sort((a, b) => a.dataOffsets[0] - b.dataOffsets[0] || a.dataOffsets[1] - b.dataOffsets[1]);
  let pos = 0;
  let prev: SafetensorsTensorInfo | null = null;
  for (const info of tensors) {
    const [b] = info.dataOffsets;
    if (b < pos) fail(`tensor ${q(info.name)}: data_offsets [${b}, ${info.dataOffsets[1]}] overlap tensor ${q(prev!.name)} [${prev!.dataOffsets[0]}, ${pos}]`);
    if (b > pos) fail(`tensor ${q(info.name)}: data_offsets begin at ${b} but the previous tensor ends at ${pos} (the data section may not have holes)`);
    pos = info.dataOffsets[1];
    prev = info;
  }
  if (pos !== dataBytes) fail(`the tensors cover ${pos} bytes but the data section has ${dataBytes} (${dataBytes - pos} trailing bytes not described by the header)`);
  return { tensors, metadata };
}

function toBytes(input: Uint8Array | ArrayBuffer): Uint8Array {
  // A plain Uint8Array view (a Node Buffer's slice() shares memory, unlike Uint8Array's).
  if (input instanceof ArrayBuffer) return new Uint8Array(input);
  if (ArrayBuffer.isView(input)) {
    const v = input as ArrayBufferView;
    return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  }
  throw new SafetensorsError('input must be a Uint8Array or an ArrayBuffer');
}

/** Validates a whole file's layout without decoding any tensor (lists names, dtypes, shapes). */
export function readSafetensorsHeader(input: Uint8Array | ArrayBuffer, opts: SafetensorsReadOptions = {}): SafetensorsHeader {
  const bytes = toBytes(input);
  const n = safetensorsHeaderLength(bytes, bytes.length, opts);
  const dataStart = 8 + n;
  const dataBytes = bytes.length - dataStart;
  const { tensors, metadata } = parseSafetensorsHeaderJson(bytes.subarray(8, dataStart), dataBytes);
  return { headerBytes: n, dataStart, dataBytes, tensors, metadata };
}

// ---------------------------------------------------------------------------------------------
// Decoding

/** A decoded tensor: engine dtype, shape, row-major values. */
export interface SafetensorsEntry {
  /** Engine dtype of `data`. */
  dtype: DType;
  /** The dtype stored in the file ('F32', 'I64', 'BF16', …). */
  fileDtype: string;
  shape: number[];
  data: Float32Array | Int32Array | Uint8Array;
}

export interface ParsedSafetensors {
  tensors: Map<string, SafetensorsEntry>;
  metadata: Record<string, string>;
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return sign * f * 2 ** -24;
  if (e === 31) return f ? NaN : sign * Infinity;
  return sign * (1 + f / 1024) * 2 ** (e - 15);
}

/** Copies `bytes` into a fresh, aligned buffer of exactly their length. */
function aligned(bytes: Uint8Array): ArrayBuffer {
  const out = new Uint8Array(bytes.length);
  out.set(bytes);
  return out.buffer;
}

/**
 * Decodes one validated tensor from exactly its bytes (`bytes.length` must equal end − begin).
 * F32/I32/BOOL load as is; F16, BF16 and F64 become float32 (F64 rounds to nearest, beyond
 * ±3.4e38 to ±Infinity); I64, U64, U32, I16, U16, I8 and U8 become int32, and a value outside the
 * int32 range is an error naming the tensor. Other dtypes (F8_*, F4, F6_*, C64) are an error.
 */
export function decodeSafetensorsTensor(info: SafetensorsTensorInfo, bytes: Uint8Array): SafetensorsEntry {
  const t = `tensor ${q(info.name)}`;
  const expected = info.dataOffsets[1] - info.dataOffsets[0];
  if (bytes.length !== expected) fail(`${t}: got ${bytes.length} data bytes, expected ${expected}`);
  const dtype = Object.hasOwn(LOADABLE, info.dtype) ? LOADABLE[info.dtype] : undefined;
  if (dtype === undefined) {
    fail(`${t}: dtype ${info.dtype} cannot be loaded (supported: ${Object.keys(LOADABLE).join(', ')}); convert it in Python first`);
  }
  const n = info.shape.reduce((a, b) => a * b, 1);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let data: Float32Array | Int32Array | Uint8Array;
  const intRange = (v: number, i: number): number => {
    if (v < -2147483648 || v > 2147483647) fail(`${t}: ${info.dtype} value ${v} at index ${i} does not fit in int32`);
    return v;
  };
  switch (info.dtype) {
    case 'F32':
      data = LITTLE_ENDIAN_HOST ? new Float32Array(aligned(bytes)) : Float32Array.from({ length: n }, (_, i) => dv.getFloat32(4 * i, true));
      break;
    case 'I32':
      data = LITTLE_ENDIAN_HOST ? new Int32Array(aligned(bytes)) : Int32Array.from({ length: n }, (_, i) => dv.getInt32(4 * i, true));
      break;
    case 'BOOL':
      data = Uint8Array.from(bytes, (b) => (b !== 0 ? 1 : 0));
      break;
    case 'F16': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = halfToFloat(dv.getUint16(2 * i, true));
      data = out;
      break;
    }
    case 'BF16': {
      const out = new Float32Array(n);
      const u = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) u[i] = dv.getUint16(2 * i, true) << 16;
      data = out;
      break;
    }
    case 'F64': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = dv.getFloat64(8 * i, true);
      data = out;
      break;
    }
    case 'I64':
    case 'U64': {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const lo = dv.getInt32(8 * i, true);
        const hi = dv.getUint32(8 * i + 4, true);
        const fits = info.dtype === 'I64' ? hi === (lo < 0 ? 0xffffffff : 0) : hi === 0 && lo >= 0;
        if (!fits) {
          const big = info.dtype === 'I64' ? dv.getBigInt64(8 * i, true) : dv.getBigUint64(8 * i, true);
          fail(`${t}: ${info.dtype} value ${big} at index ${i} does not fit in int32`);
        }
        out[i] = lo;
      }
      data = out;
      break;
    }
    case 'U32':
      data = Int32Array.from({ length: n }, (_, i) => intRange(dv.getUint32(4 * i, true), i));
      break;
    case 'I16':
      data = Int32Array.from({ length: n }, (_, i) => dv.getInt16(2 * i, true));
      break;
    case 'U16':
      data = Int32Array.from({ length: n }, (_, i) => dv.getUint16(2 * i, true));
      break;
    case 'I8':
      data = Int32Array.from(new Int8Array(bytes.buffer, bytes.byteOffset, n));
      break;
    default: // U8
      data = Int32Array.from(bytes);
  }
  return { dtype, fileDtype: info.dtype, shape: info.shape.slice(), data };
}

/**
 * Parses and validates a safetensors file held in memory, and decodes every tensor
 * (see decodeSafetensorsTensor for the dtype conversions). Throws SafetensorsError.
 */
export function parseSafetensors(input: Uint8Array | ArrayBuffer, opts: SafetensorsReadOptions = {}): ParsedSafetensors {
  const bytes = toBytes(input);
  const header = readSafetensorsHeader(bytes, opts);
  const tensors = new Map<string, SafetensorsEntry>();
  for (const info of header.tensors) {
    const [b, e] = info.dataOffsets;
    tensors.set(info.name, decodeSafetensorsTensor(info, bytes.subarray(header.dataStart + b, header.dataStart + e)));
  }
  return { tensors, metadata: header.metadata };
}

/**
 * Like parseSafetensors, for a Blob or File (browser file inputs, fetch responses' blob()):
 * validates the header before reading the data section.
 */
export async function parseSafetensorsBlob(blob: Blob, opts: SafetensorsReadOptions = {}): Promise<ParsedSafetensors> {
  const total = blob.size;
  const prefix = new Uint8Array(await blob.slice(0, Math.min(8, total)).arrayBuffer());
  const n = safetensorsHeaderLength(prefix, total, opts);
  const headerBytes = new Uint8Array(await blob.slice(8, 8 + n).arrayBuffer());
  const { tensors: infos, metadata } = parseSafetensorsHeaderJson(headerBytes, total - 8 - n);
  const data = new Uint8Array(await blob.slice(8 + n).arrayBuffer());
  if (data.length !== total - 8 - n) fail('the Blob changed size while being read');
  const tensors = new Map<string, SafetensorsEntry>();
  for (const info of infos) tensors.set(info.name, decodeSafetensorsTensor(info, data.subarray(info.dataOffsets[0], info.dataOffsets[1])));
  return { tensors, metadata };
}

// ---------------------------------------------------------------------------------------------
// Writing

/** Tensors to save: a plain object or a Map from PyTorch-style names ('0.weight') to tensors. */
export type TensorDict = Record<string, Tensor> | Map<string, Tensor>;

function entriesOf<T>(d: Record<string, T> | Map<string, T>): [string, T][] {
  return d instanceof Map ? [...d] : Object.keys(d).map((k) => [k, d[k]]);
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function utf8Compare(a: string, b: string): number {
  // UTF-8 byte order equals code point order; JS `<` compares UTF-16 code units, which differs
  // only when a surrogate pair meets a code unit above U+D7FF.
  const ca = [...a];
  const cb = [...b];
  for (let i = 0; i < Math.min(ca.length, cb.length); i++) {
    const d = ca[i].codePointAt(0)! - cb[i].codePointAt(0)!;
    if (d !== 0) return d;
  }
  return ca.length - cb.length;
}

/** One tensor's place in a file being written. */
export interface SafetensorsPlanItem {
  name: string;
  tensor: Tensor;
  dtype: 'F32' | 'I32' | 'BOOL';
  /** Absolute byte offset in the file. */
  offset: number;
  byteLength: number;
}

/** The layout of a file to write: `prefix` (length + padded header) then each item's bytes. */
export interface SafetensorsPlan {
  prefix: Uint8Array;
  items: SafetensorsPlanItem[];
  totalBytes: number;
}

/**
 * Validates the tensors and metadata and lays out the file the way the official writer does:
 * tensors ordered by dtype (F32, I32, BOOL) then by name, `__metadata__` first with sorted keys,
 * compact JSON padded with spaces to a multiple of 8 bytes. Reads no tensor data.
 */
export function planSafetensors(tensors: TensorDict, metadata?: Record<string, string>): SafetensorsPlan {
  const items: SafetensorsPlanItem[] = [];
  for (const [name, t] of entriesOf(tensors)) {
    if (typeof name !== 'string') fail(`tensor names must be strings, got ${typeof name}`);
    if (name === '__metadata__') fail('a tensor may not be named "__metadata__"');
    if (LONE_SURROGATE.test(name)) fail(`tensor name ${q(name)} is not valid Unicode (lone surrogate)`);
    if (!t || typeof t !== 'object' || !Array.isArray(t.shape) || !Object.hasOwn(FILE_DTYPE, t.dtype)) fail(`${q(name)} is not a tensor`);
    if (t.disposed) fail(`tensor ${q(name)} was disposed`);
    const dtype = FILE_DTYPE[t.dtype];
    const numel = t.shape.reduce((a, b) => a * b, 1);
    items.push({ name, tensor: t, dtype, offset: 0, byteLength: numel * (dtype === 'BOOL' ? 1 : 4) });
  }
  items.sort((a, b) => WRITE_RANK[b.dtype] - WRITE_RANK[a.dtype] || utf8Compare(a.name, b.name));
  const parts: string[] = [];
  if (metadata !== undefined) {
    if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) fail('metadata must be an object of strings');
    const keys = Object.keys(metadata).sort(utf8Compare);
    for (const k of keys) {
      if (typeof metadata[k] !== 'string') fail(`metadata value ${q(k)} must be a string, got ${typeof metadata[k]}`);
      if (LONE_SURROGATE.test(k) || LONE_SURROGATE.test(metadata[k])) fail(`metadata ${q(k)} is not valid Unicode (lone surrogate)`);
    }
    if (keys.length) parts.push(`"__metadata__":{${keys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(metadata[k])}`).join(',')}}`);
  }
  let pos = 0;
  for (const it of items) {
    parts.push(`${JSON.stringify(it.name)}:{"dtype":"${it.dtype}","shape":[${it.tensor.shape.join(',')}],"data_offsets":[${pos},${pos + it.byteLength}]}`);
    it.offset = pos;
    pos += it.byteLength;
  }
  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  const n = Math.ceil(json.length / 8) * 8;
  if (n > SAFETENSORS_MAX_HEADER_BYTES) fail(`header would be ${n} bytes, more than the format's limit of ${SAFETENSORS_MAX_HEADER_BYTES}`);
  const prefix = new Uint8Array(8 + n).fill(0x20, 8 + json.length);
  new DataView(prefix.buffer).setUint32(0, n, true);
  prefix.set(json, 8);
  for (const it of items) it.offset += prefix.length;
  return { prefix, items, totalBytes: prefix.length + pos };
}

/** Reads one planned tensor from the GPU as its little-endian file bytes. */
export async function encodeSafetensorsItem(item: SafetensorsPlanItem): Promise<Uint8Array> {
  const data = await item.tensor.data();
  const size = item.dtype === 'BOOL' ? 1 : 4;
  if (data.length * size !== item.byteLength) fail(`tensor ${q(item.name)}: read ${data.length} values, expected ${item.byteLength / size}`);
  if (item.dtype === 'BOOL') return data instanceof Uint8Array ? data : Uint8Array.from(data, (v) => (v ? 1 : 0));
  if (LITTLE_ENDIAN_HOST) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint8Array(item.byteLength);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) {
    if (item.dtype === 'F32') dv.setFloat32(4 * i, data[i], true);
    else dv.setInt32(4 * i, data[i], true);
  }
  return out;
}

/**
 * Serializes tensors (float32 → F32, int32 → I32, bool → BOOL) and string metadata to safetensors
 * bytes, byte-identical to what the official writer produces for the same tensors. In a browser,
 * `new Blob([bytes], { type: 'application/octet-stream' })` and `URL.createObjectURL(blob)` on an
 * `<a download="model.safetensors">` make a download.
 */
export async function serializeSafetensors(tensors: TensorDict, metadata?: Record<string, string>): Promise<Uint8Array<ArrayBuffer>> {
  const plan = planSafetensors(tensors, metadata);
  const out = new Uint8Array(plan.totalBytes);
  out.set(plan.prefix, 0);
  for (const item of plan.items) out.set(await encodeSafetensorsItem(item), item.offset);
  return out;
}

// ---------------------------------------------------------------------------------------------
// State dicts

export interface LoadStateDictOptions {
  /** Refuse (throw, loading nothing) on any missing, unexpected or mismatched key. Default true. */
  strict?: boolean;
}

export interface StateDictMismatch {
  key: string;
  /** The target tensor's shape and dtype. */
  expected: number[];
  got: number[];
  expectedDtype: DType;
  /** The source's file dtype ('F32', 'I64', …) or engine dtype. */
  gotDtype: string;
}

export interface LoadStateDictReport {
  /** Target keys the source lacks (not loaded). */
  missing: string[];
  /** Source keys the target lacks (ignored). */
  unexpected: string[];
  /** Keys whose shape differs or whose dtype cannot be converted losslessly (not loaded). */
  mismatched: StateDictMismatch[];
}

/** Where values come from: a parse result, its tensor map, or raw safetensors bytes. */
export type StateDictSource = ParsedSafetensors | Map<string, SafetensorsEntry> | Uint8Array | ArrayBuffer;

function convertible(from: DType, to: DType): boolean {
  return from === to || to === 'float32' || (to === 'int32' && from === 'bool');
}

function sourceMap(source: StateDictSource): Map<string, SafetensorsEntry> {
  if (source instanceof Map) return source;
  if (source instanceof Uint8Array || source instanceof ArrayBuffer) return parseSafetensors(source).tensors;
  if (source && source.tensors instanceof Map) return source.tensors;
  throw new SafetensorsError('loadStateDict: source must be a parseSafetensors result, its tensors Map, or safetensors bytes');
}

/**
 * Copies values into existing tensors by PyTorch state_dict name (in place, under noGrad, so
 * parameters that require grad keep their identity). Values convert to the target's dtype when
 * that is lossless (int/bool → float32, bool → int32). Returns what did not match; with
 * `strict` (the default) any mismatch throws one SafetensorsError listing every key, and nothing
 * is loaded.
 */
export function loadStateDict(target: TensorDict, source: StateDictSource, opts: LoadStateDictOptions = {}): LoadStateDictReport {
  const strict = opts.strict ?? true;
  const src = sourceMap(source);
  const targets = entriesOf(target);
  const report: LoadStateDictReport = { missing: [], unexpected: [], mismatched: [] };
  const todo: [Tensor, SafetensorsEntry][] = [];
  const known = new Set<string>();
  for (const [key, t] of targets) {
    known.add(key);
    if (t.disposed) throw new SafetensorsError(`loadStateDict: target tensor ${q(key)} was disposed`);
    const e = src.get(key);
    if (!e) {
      report.missing.push(key);
      continue;
    }
    const same = e.shape.length === t.shape.length && e.shape.every((d, i) => d === t.shape[i]);
    if (!same || !convertible(e.dtype, t.dtype)) {
      report.mismatched.push({ key, expected: [...t.shape], got: [...e.shape], expectedDtype: t.dtype, gotDtype: e.fileDtype ?? e.dtype });
      continue;
    }
    todo.push([t, e]);
  }
  for (const key of src.keys()) if (!known.has(key)) report.unexpected.push(key);
  const bad = report.missing.length + report.unexpected.length + report.mismatched.length;
  if (strict && bad) {
    const lines = ['loadStateDict: the checkpoint does not match the model (strict mode, nothing was loaded):'];
    if (report.missing.length) lines.push(`  missing keys (${report.missing.length}): ${report.missing.map(q).join(', ')}`);
    if (report.unexpected.length) lines.push(`  unexpected keys (${report.unexpected.length}): ${report.unexpected.map(q).join(', ')}`);
    if (report.mismatched.length) {
      lines.push(`  mismatched (${report.mismatched.length}): ${report.mismatched
        .map((m) => `${q(m.key)} expected [${m.expected.join(', ')}] ${m.expectedDtype}, got [${m.got.join(', ')}] ${m.gotDtype}`)
        .join('; ')}`);
    }
    throw new SafetensorsError(lines.join('\n'));
  }
  for (const [t, e] of todo) {
    const values = makeTensor(e.data, t.shape, { dtype: t.dtype });
    try {
      noGrad(() => assign(t, values));
    } finally {
      values.dispose();
    }
  }
  return report;
}

/** New tensors from a parse result (or bytes), keyed by name. */
export function tensorsFromSafetensors(source: StateDictSource, opts: { requiresGrad?: boolean } = {}): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const [k, e] of sourceMap(source)) {
    out.set(k, makeTensor(e.data, e.shape, { dtype: e.dtype, requiresGrad: opts.requiresGrad && e.dtype === 'float32' }));
  }
  return out;
}
