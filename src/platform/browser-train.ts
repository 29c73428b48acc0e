// Browser side of the trainer (the counterpart of src/platform/node-train.ts): the same Trainer and
// plugins, with
//   - a DataSource from the pair loader decoding in Web Workers (`browserDataSource`), on videos
//     that are blob: URLs — user-chosen files (`fileVideos`) or synthetic videos drawn and encoded
//     in the page with WebCodecs' VideoEncoder (`syntheticVideos`, H.264 MP4 as in Node);
//   - checkpoints in memory and IndexedDB (`BrowserCheckpointSink`) as safetensors bytes whose
//     metadata also carries the CheckpointState JSON (`cstp_state`), so one downloaded file is a
//     complete checkpoint; `checkpointFiles()` names the two files Node's FileCheckpointSink reads
//     (`step-00000100.safetensors` + `.json`), and `loadCheckpointFiles()` reads Node's pair back;
//   - a LogSink that keeps the StepRecords and calls back (charts), and a ProgressSink callback.
// No Node built-ins: everything here is DOM / WebCodecs / WebGPU.
import { init, parseSafetensors, serializeSafetensors, loadStateDict, type ParsedSafetensors } from '../engine/index.ts';
import { createPairLoader, type PairLoader } from '../data/index.ts';
import { Trainer, buildParts, loaderSource, pairLoaderOptions, parseConfig, backbones, pretextTasks, objectives, weightings } from '../plugins/index.ts';
import type { PluginRegistries, TrainConfig, ConfigInput } from '../plugins/config.ts';
import type { CheckpointData, CheckpointSink, CheckpointState, DataSource, LoadedCheckpoint, LogSink, ProgressSink, StepRecord } from '../plugins/trainer/types.ts';
import type { RunResult } from '../plugins/trainer/trainer.ts';
import { renderSyntheticVideo, encodeVideo, resolveSyntheticOptions, MOTION_CLASSES, type SyntheticOptions } from '../video/index.ts';

export const registries: PluginRegistries = { backbones, pretextTasks, objectives, weightings };

/** One dataset item in the browser: a URL the data workers can fetch (blob: for files). */
export interface BrowserVideo {
  url: string;
  /** File name or `<class>/<n>.mp4`, for messages and ordering. */
  name: string;
  label: number;
  bytes: number;
}

/** User-chosen files as dataset items, sorted by (relative) name so the order — and the data — is reproducible. */
export function fileVideos(files: ArrayLike<File> | Iterable<File>): BrowserVideo[] {
  const list = Array.from(files).map((f) => ({ f, name: (f as File & { webkitRelativePath?: string }).webkitRelativePath || f.name }));
  list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return list.map(({ f, name }) => ({ url: URL.createObjectURL(f), name, label: -1, bytes: f.size }));
}

/**
 * The synthetic motion videos (src/video/synthetic.ts), drawn and encoded in the page: the same
 * frames as Node's `ensureSyntheticDataset` (a pure function of the options), encoded to H.264 MP4
 * by the browser's VideoEncoder (Chromium: OpenH264), or VP9 WebM when it has no H.264 encoder.
 * The bytes differ from Node's (another encoder), the drawn content does not.
 */
export async function syntheticVideos(o: SyntheticOptions, onProgress?: (done: number, total: number) => void): Promise<BrowserVideo[]> {
  const r = resolveSyntheticOptions(o);
  const out: BrowserVideo[] = [];
  const total = r.classes * r.videosPerClass;
  let codec: 'avc' | 'vp9' = 'avc';
  for (let label = 0; label < r.classes; label++) {
    for (let n = 0; n < r.videosPerClass; n++) {
      const { i420 } = renderSyntheticVideo(o, label, n);
      const enc = { width: r.width, height: r.height, fps: r.fps, gop: r.gop, bitrate: r.bitrate };
      let bytes: Uint8Array;
      try {
        bytes = await encodeVideo(i420, { ...enc, codec, container: codec === 'avc' ? 'mp4' : 'webm' });
      } catch (err) {
        if (codec !== 'avc' || !/cannot encode/.test((err as Error).message)) throw err;
        codec = 'vp9';
        bytes = await encodeVideo(i420, { ...enc, codec, container: 'webm' });
      }
      const ext = codec === 'avc' ? 'mp4' : 'webm';
      const name = `${MOTION_CLASSES[label]}/${String(n).padStart(3, '0')}.${ext}`;
      out.push({ url: URL.createObjectURL(new Blob([bytes as BlobPart], { type: codec === 'avc' ? 'video/mp4' : 'video/webm' })), name, label, bytes: bytes.length });
      onProgress?.(out.length, total);
    }
  }
  return out;
}

export function revokeVideos(videos: readonly BrowserVideo[]): void {
  for (const v of videos) if (v.url.startsWith('blob:')) URL.revokeObjectURL(v.url);
}

export interface BrowserDataOptions {
  /** URL of the data Web Worker entry (Vite: `import url from '…/worker.browser.ts?worker&url'`). */
  workerUrl?: string | URL;
}

/** The pair loader over the videos with the config's data options, decoding in Web Workers. */
export async function browserDataSource(config: TrainConfig, videos: readonly BrowserVideo[], o: BrowserDataOptions = {}): Promise<DataSource & { loader: PairLoader }> {
  if (videos.length < config.batchSize) throw new Error(`${videos.length} videos, fewer than one batch of ${config.batchSize}; add videos or lower the batch size`);
  const threads = (globalThis.navigator?.hardwareConcurrency ?? 2) - 1;
  const loader = await createPairLoader({
    dataset: { items: videos.map((v) => ({ path: v.url, label: v.label })) },
    ...pairLoaderOptions(config),
    workers: config.data.workers ?? Math.max(1, Math.min(4, threads)),
    browserWorkerUrl: o.workerUrl,
  });
  return { ...loaderSource(loader, videos.length), loader };
}

// ---------------------------------------------------------------------------------------------
// Checkpoints

/** Metadata key of the CheckpointState JSON inside a browser-written safetensors file. */
export const STATE_METADATA_KEY = 'cstp_state';

export interface StoredCheckpoint {
  step: number;
  /** The safetensors file (tensors, and the state JSON in its metadata). */
  safetensors: Uint8Array;
  state: CheckpointState;
}

/** File names Node's FileCheckpointSink uses for a step (put both in `<out>/checkpoints/`, then `--resume`). */
export function checkpointFileNames(step: number): { safetensors: string; json: string } {
  const stem = `step-${String(step).padStart(8, '0')}`;
  return { safetensors: `${stem}.safetensors`, json: `${stem}.json` };
}

/** A checkpoint as safetensors bytes with `format`, `step` and the state JSON in the metadata. */
export async function serializeCheckpoint(c: CheckpointData): Promise<StoredCheckpoint> {
  const safetensors = await serializeSafetensors(c.tensors, { format: 'cstp-checkpoint/1', step: String(c.step), [STATE_METADATA_KEY]: JSON.stringify(c.state) });
  return { step: c.step, safetensors, state: JSON.parse(JSON.stringify(c.state)) as CheckpointState };
}

/**
 * A checkpoint from a parsed safetensors file and, when given, its JSON state (Node writes it next
 * to the file); without one, the state embedded by the browser (`cstp_state`) is used. Returns
 * `state: null` for a plain weights file (e.g. from PyTorch): only the model can be loaded then.
 */
export function checkpointFromParsed(tensors: ParsedSafetensors, where: string, stateJson?: string | null): LoadedCheckpoint | { step: number; tensors: ParsedSafetensors; state: null; where: string } {
  const text = stateJson ?? tensors.metadata[STATE_METADATA_KEY];
  if (!text) return { step: Number(tensors.metadata.step ?? 0) || 0, tensors, state: null, where };
  const state = JSON.parse(text) as CheckpointState;
  if (state.format !== 'cstp-checkpoint/1') throw new Error(`${where}: the state is not a CSTP checkpoint state (format ${String(state.format)})`);
  return { step: state.step, tensors, state, where };
}

/** Reads checkpoint files chosen by the user: one `.safetensors` and optionally its `.json` state. */
export async function loadCheckpointFiles(files: ArrayLike<File> | Iterable<File>): Promise<ReturnType<typeof checkpointFromParsed>> {
  const list = Array.from(files);
  const st = list.find((f) => f.name.endsWith('.safetensors'));
  if (!st) throw new Error('choose a .safetensors checkpoint (and, for a Node checkpoint, its .json state file)');
  const json = list.find((f) => f.name.endsWith('.json'));
  const parsed = parseSafetensors(new Uint8Array(await st.arrayBuffer()));
  return checkpointFromParsed(parsed, st.name, json ? await json.text() : null);
}

const DB_NAME = 'cstp-webgpu';
const STORE = 'checkpoints';

function idb(): IDBFactory | null {
  return (globalThis as { indexedDB?: IDBFactory }).indexedDB ?? null;
}

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error ?? new Error('IndexedDB request failed'));
  });
}

async function openDb(): Promise<IDBDatabase | null> {
  const f = idb();
  if (!f) return null;
  const r = f.open(DB_NAME, 1);
  r.onupgradeneeded = () => {
    if (!r.result.objectStoreNames.contains(STORE)) r.result.createObjectStore(STORE);
  };
  return request(r);
}

/**
 * Checkpoints in memory (the newest `keep`) and, unless `persist: false`, the newest one also in
 * IndexedDB under `key` (so a reload can continue). A transaction writes the whole record at once,
 * so a reader never sees a partial checkpoint.
 */
export class BrowserCheckpointSink implements CheckpointSink {
  readonly saved: StoredCheckpoint[] = [];
  constructor(readonly opts: { key?: string; keep?: number; persist?: boolean; onSave?: (c: StoredCheckpoint) => void } = {}) {}

  private get key(): string {
    return this.opts.key ?? 'latest';
  }

  async save(c: CheckpointData): Promise<string> {
    const stored = await serializeCheckpoint(c);
    this.saved.push(stored);
    while (this.saved.length > (this.opts.keep ?? 3)) this.saved.shift();
    let where = `memory:${checkpointFileNames(c.step).safetensors}`;
    if (this.opts.persist !== false) {
      try {
        const db = await openDb();
        if (db) {
          const tx = db.transaction(STORE, 'readwrite');
          tx.objectStore(STORE).put({ step: stored.step, safetensors: stored.safetensors, state: JSON.stringify(stored.state) }, this.key);
          await new Promise<void>((resolve, reject) => {
            tx.oncomplete = () => resolve();
            tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
            tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
          });
          db.close();
          where = `indexeddb:${DB_NAME}/${STORE}/${this.key} (step ${c.step})`;
        }
      } catch (err) {
        // Storage may be unavailable (private mode, quota); the checkpoint is still in memory.
        console.warn(`checkpoint not persisted to IndexedDB: ${(err as Error).message}`);
      }
    }
    this.opts.onSave?.(stored);
    return where;
  }

  /** The newest checkpoint saved in this page, else the one in IndexedDB, else null. */
  async latest(): Promise<LoadedCheckpoint | null> {
    const mem = this.saved[this.saved.length - 1];
    if (mem) return { step: mem.step, tensors: parseSafetensors(mem.safetensors), state: mem.state, where: `memory (step ${mem.step})` };
    const stored = await this.stored();
    return stored ? { step: stored.step, tensors: parseSafetensors(stored.safetensors), state: stored.state, where: `IndexedDB (step ${stored.step})` } : null;
  }

  /** The checkpoint kept in IndexedDB, if any. */
  async stored(): Promise<StoredCheckpoint | null> {
    const db = await openDb().catch(() => null);
    if (!db) return null;
    try {
      const rec = (await request(db.transaction(STORE, 'readonly').objectStore(STORE).get(this.key))) as { step: number; safetensors: Uint8Array; state: string } | undefined;
      return rec ? { step: rec.step, safetensors: rec.safetensors, state: JSON.parse(rec.state) as CheckpointState } : null;
    } finally {
      db.close();
    }
  }

  async clearStored(): Promise<void> {
    const db = await openDb().catch(() => null);
    if (!db) return;
    try {
      await request(db.transaction(STORE, 'readwrite').objectStore(STORE).delete(this.key));
    } finally {
      db.close();
    }
  }
}

/** Starts a download of `data` as `name` (an object URL on a temporary <a download>). */
export function download(data: Uint8Array | string, name: string, type = 'application/octet-stream'): void {
  const blob = new Blob([data as BlobPart], { type });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.style.display = 'none';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

// ---------------------------------------------------------------------------------------------
// Log and progress

/** Keeps every StepRecord and event; `onStep` feeds the charts. */
export class MemoryLogSink implements LogSink {
  readonly records: StepRecord[] = [];
  readonly events: { name: string; data: Record<string, unknown> }[] = [];
  constructor(readonly onStep?: (record: StepRecord, all: readonly StepRecord[]) => void, readonly onEvent?: (name: string, data: Record<string, unknown>) => void) {}
  step(r: StepRecord): void {
    this.records.push(r);
    this.onStep?.(r, this.records);
  }
  event(name: string, data: Record<string, unknown>): void {
    this.events.push({ name, data });
    this.onEvent?.(name, data);
  }
  /** The log as Node writes it (log.jsonl). */
  jsonl(): string {
    return this.records.map((r) => JSON.stringify(r)).join('\n') + '\n';
  }
}

export class CallbackProgress implements ProgressSink {
  constructor(readonly fn: (p: { step: number; total: number; record?: StepRecord; running: boolean }) => void) {}
  private total = 0;
  start(totalSteps: number, fromStep: number): void {
    this.total = totalSteps;
    this.fn({ step: fromStep, total: totalSteps, running: true });
  }
  update(record: StepRecord): void {
    this.fn({ step: record.step, total: this.total, record, running: true });
  }
  stop(): void {
    this.fn({ step: -1, total: this.total, running: false });
  }
}

// ---------------------------------------------------------------------------------------------
// A whole run (what runNodeTraining is in Node)

export interface BrowserRunOptions {
  config: ConfigInput | TrainConfig;
  videos: readonly BrowserVideo[];
  /** Total steps of the run (the schedule's length); default config.steps, else one epoch. */
  totalSteps?: number;
  /** Continue from this checkpoint (same config): model, optimizer, schedule, RNG. */
  resume?: LoadedCheckpoint | null;
  /** Load only these weights (a checkpoint without state): model tensors, strictly. */
  weights?: ParsedSafetensors | null;
  checkpoints?: BrowserCheckpointSink;
  log?: MemoryLogSink;
  progress?: ProgressSink;
  shouldStop?: () => boolean;
  maxStepsThisRun?: number;
  workerUrl?: string | URL;
  say?: (line: string) => void;
  /** Called once the model is built (and restored), before the first step. */
  onStart?: (info: { trainer: Trainer; config: TrainConfig; totalSteps: number; adapter: string; chance: Record<string, number>; parameters: number }) => void;
}

export interface BrowserRunResult extends RunResult {
  config: TrainConfig;
  adapter: string;
  records: StepRecord[];
  resumedFrom: string | null;
}

/** Builds the plugins, restores a checkpoint when asked, and trains on the videos. */
export async function runBrowserTraining(o: BrowserRunOptions): Promise<{ trainer: Trainer; result: BrowserRunResult; checkpoints: BrowserCheckpointSink }> {
  const say = o.say ?? ((l: string) => console.log(l));
  const config = parseConfig(o.config);
  const info = await init();
  const adapter = `${info.description}${info.software ? ' (software)' : ''}`;
  const data = await browserDataSource(config, o.videos, { workerUrl: o.workerUrl });
  const checkpoints = o.checkpoints ?? new BrowserCheckpointSink();
  const log = o.log ?? new MemoryLogSink();
  let trainer: Trainer | null = null;
  try {
    const parts = buildParts(config, registries);
    trainer = new Trainer(config, parts);
    let resumedFrom: string | null = null;
    if (o.resume) {
      trainer.restore(o.resume);
      resumedFrom = o.resume.where;
      say(`resumed from ${o.resume.where} (step ${o.resume.step})`);
    } else if (o.weights) {
      const model = trainer.modelTensors();
      for (const k of Object.keys(model)) if (k.startsWith('objective_state.')) delete model[k];
      const entries = new Map([...o.weights.tensors].filter(([k]) => k in model));
      loadStateDict(model, { tensors: entries, metadata: {} });
      say(`loaded ${entries.size} weight tensors`);
    }
    const totalSteps = o.totalSteps ?? o.resume?.state.totalSteps ?? config.steps ?? (config.epochs ?? 1) * data.batchesPerEpoch!;
    const chance: Record<string, number> = {};
    for (const t of parts.tasks) Object.assign(chance, t.chance());
    o.onStart?.({ trainer, config, totalSteps, adapter, chance, parameters: parts.backbone.numParameters() });
    const result = await trainer.run({ data, totalSteps, checkpoints, log, progress: o.progress, shouldStop: o.shouldStop, adapter, maxStepsThisRun: o.maxStepsThisRun });
    return { trainer, checkpoints, result: { ...result, config, adapter, records: log.records, resumedFrom } };
  } catch (err) {
    trainer?.dispose();
    throw err;
  } finally {
    await data.close?.();
  }
}
