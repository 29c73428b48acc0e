/// <reference types="vite/client" />
// The browser training page (served by Vite: `npm run web`). It runs the same Trainer, plugins and
// pair loader as examples/pretrain.ts through the browser seams of src/platform/browser-train.ts:
// videos are synthetic (drawn and encoded here with WebCodecs) or the user's files, decoded in Web
// Workers; the loss curves are the shared Vega-Lite specs of src/report/charts.ts rendered to SVG
// after every step; checkpoints are safetensors files (downloadable, kept in IndexedDB) that Node
// resumes from, and a Node checkpoint chosen in the file input continues here.
//
// `window.cstpPage` exposes the handlers behind the buttons (the headless test drives the page
// through it and through the file inputs / download buttons).
import dataWorkerUrl from '../src/data/worker.browser.ts?worker&url';
import { init } from '../src/engine/index.ts';
import type { ConfigInput, TrainConfig } from '../src/plugins/config.ts';
import type { LoadedCheckpoint, StepRecord } from '../src/plugins/trainer/types.ts';
import type { ParsedSafetensors } from '../src/engine/index.ts';
import {
  runBrowserTraining, syntheticVideos, fileVideos, revokeVideos, loadCheckpointFiles, BrowserCheckpointSink, MemoryLogSink,
  CallbackProgress, download, checkpointFileNames, type BrowserVideo, type StoredCheckpoint,
} from '../src/platform/browser-train.ts';
import { buildCharts } from '../src/report/charts.ts';
import { renderChartSVG } from '../src/report/render.ts';

const $ = <T extends HTMLElement = HTMLInputElement>(id: string) => document.getElementById(id) as T;
const num = (id: string) => Number($(id).value);

const statusEl = $<HTMLDivElement>('status');
const chartsEl = $<HTMLDivElement>('charts');
const progressEl = $<HTMLProgressElement>('progress');
const buttons = {
  train: $<HTMLButtonElement>('train'),
  stop: $<HTMLButtonElement>('stop'),
  download: $<HTMLButtonElement>('download'),
  downloadState: $<HTMLButtonElement>('downloadState'),
  downloadLog: $<HTMLButtonElement>('downloadLog'),
  forget: $<HTMLButtonElement>('forget'),
  stored: $<HTMLButtonElement>('stored'),
};

let adapter = '';
let running = false;
let stopRequested = false;
/** The checkpoint the next Train continues from (a loaded file, or this page's last one). */
let resumeFrom: (LoadedCheckpoint | { step: number; tensors: ParsedSafetensors; state: null; where: string }) | null = null;
let lastCheckpoint: StoredCheckpoint | null = null;
let records: StepRecord[] = [];
let chance: Record<string, number> = {};
let synthetic: { key: string; videos: BrowserVideo[] } | null = null;
let files: { list: FileList; videos: BrowserVideo[] } | null = null;
let lastError: string | null = null;
/** The most recent asynchronous handler (file inputs), for callers that must wait for it. */
let pending: Promise<unknown> = Promise.resolve();

function say(text: string): void {
  statusEl.textContent = text;
}

function fmt(v: number): string {
  return Number.isFinite(v) ? v.toFixed(4) : String(v);
}

/** The run's config from the form (validated by the trainer's zod schema in runBrowserTraining). */
function configFromForm(): ConfigInput {
  const tasks = Array.from(document.querySelectorAll<HTMLInputElement>('input[name=task]:checked')).map((e) => ({ type: e.value }));
  const hidden = num('byolHidden');
  const fromFiles = (document.querySelector<HTMLInputElement>('input[name=source]:checked')?.value ?? 'synthetic') === 'files';
  return {
    data: {
      path: fromFiles ? 'browser:files' : null,
      synthetic: { classes: num('classes'), videosPerClass: num('videosPerClass'), frames: num('frames'), size: num('videoSize'), seed: 0 },
      clipLength: num('clipLength'),
      size: num('size'),
      augment: $('augment').checked,
    },
    backbone: { type: 'tiny', width: num('width') },
    tasks,
    objective: $('byol').checked ? { type: 'byol', hidden, predictorHidden: hidden, projectionDim: Math.max(8, Math.round(hidden / 4)) } : null,
    optimizer: { type: $<HTMLSelectElement>('optimizer').value === 'sgd' ? 'sgd' : 'adamw', lr: num('lr') },
    batchSize: num('batchSize'),
    steps: num('steps'),
    seed: num('seed'),
    checkpointEvery: num('checkpointEvery'),
    out: 'browser',
  };
}

/** Shows a checkpoint's config in the form (the run continues with that config). */
function formFromConfig(c: TrainConfig, totalSteps: number): void {
  const set = (id: string, v: unknown) => {
    if (v !== undefined && v !== null) $(id).value = String(v);
  };
  set('clipLength', c.data.clipLength);
  set('size', c.data.size);
  $('augment').checked = c.data.augment;
  set('width', (c.backbone as { width?: number }).width);
  set('batchSize', c.batchSize);
  set('lr', c.optimizer.lr);
  $<HTMLSelectElement>('optimizer').value = c.optimizer.type;
  set('seed', c.seed);
  set('checkpointEvery', c.checkpointEvery);
  set('steps', totalSteps);
  const types = new Set(c.tasks.map((t) => t.type));
  for (const e of Array.from(document.querySelectorAll<HTMLInputElement>('input[name=task]'))) e.checked = types.has(e.value);
  $('byol').checked = c.objective?.type === 'byol';
  if (c.objective?.type === 'byol') set('byolHidden', (c.objective as { hidden?: number }).hidden);
}

async function videosFor(config: ConfigInput, onProgress: (s: string) => void): Promise<BrowserVideo[]> {
  if (config.data?.path) {
    const list = $('videos').files;
    if (!list || list.length === 0) throw new Error('choose video files first (or pick the synthetic videos)');
    if (!files || files.list !== list) {
      if (files) revokeVideos(files.videos);
      files = { list, videos: fileVideos(list) };
    }
    return files.videos;
  }
  const s = config.data!.synthetic!;
  const key = JSON.stringify(s);
  if (synthetic?.key !== key) {
    if (synthetic) revokeVideos(synthetic.videos);
    synthetic = null;
    const videos = await syntheticVideos({ ...s, fps: 25 }, (done, total) => onProgress(`encoding synthetic videos with WebCodecs: ${done}/${total}`));
    synthetic = { key, videos };
  }
  return synthetic.videos;
}

// ---- charts (the shared Vega-Lite specs, rendered to SVG) ---------------------------------------

let chartBusy = false;
let chartAgain = false;
let chartsRendered = 0;
async function renderCharts(): Promise<void> {
  if (chartBusy) {
    chartAgain = true;
    return;
  }
  chartBusy = true;
  try {
    do {
      chartAgain = false;
      const charts = buildCharts(records, { chance, width: 360, height: 140 });
      const svgs = await Promise.all(charts.map((c) => renderChartSVG(c.spec)));
      const keep = new Set(charts.map((c) => c.id));
      for (const fig of Array.from(chartsEl.querySelectorAll('figure'))) if (!keep.has(fig.dataset.id!)) fig.remove();
      charts.forEach((c, i) => {
        let fig = chartsEl.querySelector<HTMLElement>(`figure[data-id="${c.id}"]`);
        if (!fig) {
          fig = document.createElement('figure');
          fig.dataset.id = c.id;
          fig.title = c.title;
          chartsEl.append(fig);
        }
        fig.innerHTML = svgs[i];
      });
      chartsRendered++;
    } while (chartAgain);
  } catch (err) {
    console.warn(`charts: ${(err as Error).message}`);
  } finally {
    chartBusy = false;
  }
}

// ---- training ------------------------------------------------------------------------------

function setRunning(on: boolean): void {
  running = on;
  buttons.train.disabled = on;
  buttons.stop.disabled = !on;
  buttons.forget.disabled = on;
  buttons.download.disabled = on || !lastCheckpoint;
  buttons.downloadState.disabled = on || !lastCheckpoint;
  buttons.downloadLog.disabled = on || records.length === 0;
}

export interface TrainSummary {
  ok: boolean;
  error?: string;
  adapter: string;
  startStep: number;
  step: number;
  totalSteps: number;
  reason?: string;
  /** This call's per-step loss terms. */
  losses: Record<string, number>[];
  seconds: number;
  checkpointStep: number | null;
  resumedFrom: string | null;
  videos: string[];
}

async function train(opts: { maxStepsThisRun?: number } = {}): Promise<TrainSummary> {
  if (running) throw new Error('already training');
  stopRequested = false;
  lastError = null;
  setRunning(true);
  const t0 = performance.now();
  let videos: BrowserVideo[] = [];
  try {
    const form = configFromForm();
    const from = resumeFrom;
    // A checkpoint with state continues its own run (its config); a weights-only file seeds the form's model.
    const config: ConfigInput | TrainConfig = from?.state ? { ...(from.state.config as TrainConfig), steps: num('steps'), data: { ...(from.state.config as TrainConfig).data, path: form.data!.path ?? null } } : form;
    if (!from) records = [];
    videos = await videosFor(config as ConfigInput, say);
    say(`${videos.length} videos; building the model…`);
    const log = new MemoryLogSink((r) => {
      records.push(r);
      void renderCharts();
    });
    const sink = new BrowserCheckpointSink({ onSave: (c) => (lastCheckpoint = c) });
    const progress = new CallbackProgress((p) => {
      if (!p.record) return;
      progressEl.max = p.total;
      progressEl.value = p.step;
      const r = p.record;
      say(`step ${r.step}/${p.total} · ${r.clipsPerSec.toFixed(2)} clips/s · lr ${r.lr.toExponential(2)}\n` +
        Object.entries(r.losses).map(([k, v]) => `${k} ${fmt(v)}${chance[k] !== undefined ? ` (chance ${chance[k].toFixed(3)})` : ''}`).join(' · ') +
        (r.skipped ? `\nskipped: ${r.skipped}` : ''));
    });
    const { trainer, result } = await runBrowserTraining({
      config,
      videos,
      totalSteps: num('steps'),
      resume: from?.state ? (from as LoadedCheckpoint) : null,
      weights: from && !from.state ? from.tensors : null,
      checkpoints: sink,
      log,
      progress,
      shouldStop: () => stopRequested,
      maxStepsThisRun: opts.maxStepsThisRun,
      workerUrl: dataWorkerUrl,
      say,
      onStart: (i) => {
        chance = i.chance;
        say(`${adapter}\nmodel: ${i.config.backbone.type} (${i.parameters} parameters), tasks ${i.config.tasks.map((t) => t.type).join(', ') || '(none)'}, objective ${i.config.objective?.type ?? '(none)'}; ${i.totalSteps} steps of ${i.config.batchSize} pairs on ${videos.length} videos`);
      },
    });
    trainer.dispose();
    await renderCharts();
    // The next Train continues from here (raise "steps" to train further); "forget" starts afresh.
    const ck = lastCheckpoint as StoredCheckpoint | null;
    resumeFrom = ck ? await sink.latest() : null;
    say(`${result.reason === 'stopped' ? 'stopped' : 'done'} at step ${result.step}/${result.totalSteps} in ${result.seconds.toFixed(1)} s (${result.clipsPerSec.toFixed(2)} clips/s)\n` +
      (result.losses.length ? `last losses: ${Object.entries(result.losses[result.losses.length - 1]).map(([k, v]) => `${k} ${fmt(v)}`).join(' · ')}\n` : '') +
      (ck ? `checkpoint at step ${ck.step}: download it, or press Train again (with more steps) to continue` : ''));
    return {
      ok: true, adapter, startStep: result.startStep, step: result.step, totalSteps: result.totalSteps, reason: result.reason, losses: result.losses,
      seconds: (performance.now() - t0) / 1000, checkpointStep: ck?.step ?? null, resumedFrom: result.resumedFrom, videos: videos.map((v) => v.name),
    };
  } catch (err) {
    lastError = (err as Error).message;
    say(`error: ${lastError}`);
    console.error(err);
    return { ok: false, error: lastError, adapter, startStep: -1, step: -1, totalSteps: -1, losses: [], seconds: (performance.now() - t0) / 1000, checkpointStep: null, resumedFrom: null, videos: videos.map((v) => v.name) };
  } finally {
    setRunning(false);
  }
}

async function loadCheckpoint(list: FileList | File[]): Promise<{ step: number; where: string; hasState: boolean; tensors: number }> {
  const ck = await loadCheckpointFiles(list);
  resumeFrom = ck;
  if (ck.state) {
    formFromConfig(ck.state.config as TrainConfig, ck.state.totalSteps);
    say(`loaded ${ck.where}: step ${ck.step} of ${ck.state.totalSteps} (${ck.tensors.tensors.size} tensors); Train continues this run with its config`);
  } else {
    say(`loaded ${ck.where}: ${ck.tensors.tensors.size} tensors without training state; Train starts from these weights (the form's model must match)`);
  }
  return { step: ck.step, where: ck.where, hasState: !!ck.state, tensors: ck.tensors.tensors.size };
}

// ---- wiring --------------------------------------------------------------------------------

buttons.train.addEventListener('click', () => void train());
buttons.stop.addEventListener('click', () => {
  stopRequested = true;
  say(`${statusEl.textContent}\nstopping after this step…`);
});
buttons.forget.addEventListener('click', () => {
  resumeFrom = null;
  $('checkpoint').value = '';
  say('the next Train starts a fresh run');
});
buttons.download.addEventListener('click', () => {
  if (lastCheckpoint) download(lastCheckpoint.safetensors, checkpointFileNames(lastCheckpoint.step).safetensors);
});
buttons.downloadState.addEventListener('click', () => {
  if (lastCheckpoint) download(JSON.stringify(lastCheckpoint.state, null, 1) + '\n', checkpointFileNames(lastCheckpoint.step).json, 'application/json');
});
buttons.downloadLog.addEventListener('click', () => download(records.map((r) => JSON.stringify(r)).join('\n') + '\n', 'log.jsonl', 'application/x-ndjson'));
$('checkpoint').addEventListener('change', () => {
  const list = $('checkpoint').files;
  if (!list || list.length === 0) return;
  pending = loadCheckpoint(list).catch((err) => {
    lastError = (err as Error).message;
    say(`cannot load the checkpoint: ${lastError}`);
    throw err;
  });
  pending.catch(() => {});
});
buttons.stored.addEventListener('click', () => {
  pending = new BrowserCheckpointSink().latest().then((ck) => {
    if (!ck) throw new Error('no checkpoint stored in this browser');
    resumeFrom = ck;
    formFromConfig(ck.state.config as TrainConfig, ck.state.totalSteps);
    say(`loaded the stored checkpoint: step ${ck.step} of ${ck.state.totalSteps}; Train continues that run (raise "steps" to train further)`);
  });
  pending.catch((err) => say(`cannot load the stored checkpoint: ${(err as Error).message}`));
});
$('videos').addEventListener('change', () => {
  const radio = document.querySelector<HTMLInputElement>('input[name=source][value=files]');
  if (radio && ($('videos').files?.length ?? 0) > 0) radio.checked = true;
});

const cstpPage = {
  train,
  loadCheckpoint,
  /** Waits for the last file-input handler; resolves with its result (or rejects with its error). */
  settled: () => pending,
  state: () => ({ adapter, running, lastError, step: records.at(-1)?.step ?? 0, records: records.length, charts: chartsEl.querySelectorAll('figure svg').length, chartsRendered, checkpointStep: lastCheckpoint?.step ?? null, resumeStep: resumeFrom?.step ?? null }),
  records: () => records,
  stop: () => void (stopRequested = true),
};
(globalThis as unknown as { cstpPage: typeof cstpPage }).cstpPage = cstpPage;
export type CstpPage = typeof cstpPage;

setRunning(false);
init().then(
  (a) => {
    adapter = `${a.description || a.vendor || 'WebGPU adapter'}${a.software ? ' (software)' : ''}`;
    say(`WebGPU: ${adapter}. Choose the data and press Train.`);
    // The newest checkpoint of an earlier visit (IndexedDB) can be continued.
    void new BrowserCheckpointSink().stored().then(
      (s) => {
        if (!s) return;
        buttons.stored.disabled = false;
        buttons.stored.textContent = `continue from the checkpoint stored in this browser (step ${s.step} of ${s.state.totalSteps})`;
      },
      () => {},
    );
    (globalThis as unknown as { cstpReady: boolean }).cstpReady = true;
  },
  (err) => {
    lastError = (err as Error).message;
    say(`WebGPU is not available: ${lastError}`);
    buttons.train.disabled = true;
    (globalThis as unknown as { cstpReady: boolean }).cstpReady = true;
  },
);
