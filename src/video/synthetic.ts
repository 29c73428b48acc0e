// The synthetic motion dataset: the default data for examples and tests. Each video is a
// procedurally drawn scene — a textured background and several shapes with random colours, sizes,
// stripes and orientations — and its class is how the shape layer moves (pan left/right/up/down,
// rotate clockwise/counter-clockwise, zoom in/out, oscillate, stay still). Positions, sizes,
// speeds, colours, textures, flicker and jitter vary per video, and shapes come and go, so no single frame reveals the
// class: a model has to look at motion.
//
// Like real footage, scenes have an up: light comes from above (backgrounds darken towards the
// bottom, shapes are lit on top and cast a shadow below them) and triangles stand upright. Without
// that cue a 90° rotation of a scene is just another scene, and rotation prediction could not be
// learned. Motion speeds vary per video by less than the factor 2 between playback-rate classes,
// so the playback rate of a clip can be told from how fast things move.
//
// Frames are encoded to real H.264 MP4 files (WebCodecs VideoEncoder — @napi-rs/webcodecs in Node —
// and mediabunny's MP4 muxer) with a fixed key-frame interval, once, into a cache folder
// `<cacheDir>/synthetic-<hash of the options>/<class>/<n>.mp4` with a manifest.json written last.
// Everything is a pure function of the options (seed included): renderSyntheticVideo() redraws any
// video's frames exactly, which is how tests check decoding against the drawn content.
import { Output, Mp4OutputFormat, MkvOutputFormat, WebMOutputFormat, BufferTarget, EncodedVideoPacketSource, EncodedPacket } from 'mediabunny';
import type { VideoFs } from './fs.ts';
import { defaultFs, loadWebCodecs } from './platform.ts';
import { rgbToI420 } from './frame.ts';

export const MOTION_CLASSES = [
  'pan-left',
  'pan-right',
  'pan-up',
  'pan-down',
  'rotate-cw',
  'rotate-ccw',
  'zoom-in',
  'zoom-out',
  'oscillate',
  'still',
] as const;
export type MotionClass = (typeof MOTION_CLASSES)[number];

/** Bumped whenever the drawing or encoding changes, so caches are regenerated. */
export const SYNTHETIC_VERSION = 4;

export interface SyntheticOptions {
  /** Number of motion classes, the first N of MOTION_CLASSES (default 10, at least 2). */
  classes?: number;
  videosPerClass?: number;
  frames?: number;
  /** Frame size: one number (square) or [height, width]; even, ≥ 16. Default 128. */
  size?: number | readonly [number, number];
  fps?: number;
  /** Key-frame interval (default 16). */
  gop?: number;
  seed?: number;
  /** Encoder bitrate in bits/s (default: 1 bit per pixel per second of video at 25 fps scale). */
  bitrate?: number;
  /** Parent folder of the cache (default '.cache', relative to the working directory). */
  cacheDir?: string;
  fs?: VideoFs;
  /** Called after each video is written (or found). */
  onProgress?: (done: number, total: number) => void;
}

interface Resolved {
  classes: number;
  videosPerClass: number;
  frames: number;
  height: number;
  width: number;
  fps: number;
  gop: number;
  seed: number;
  bitrate: number;
}

export interface SyntheticItem {
  path: string;
  label: number;
}

export interface SyntheticDataset {
  root: string;
  items: SyntheticItem[];
  classes: string[];
  options: Resolved;
}

export function resolveSyntheticOptions(o: SyntheticOptions = {}): Resolved {
  const size = o.size ?? 128;
  const [height, width] = typeof size === 'number' ? [size, size] : size;
  const r: Resolved = {
    classes: o.classes ?? MOTION_CLASSES.length,
    videosPerClass: o.videosPerClass ?? 12,
    frames: o.frames ?? 48,
    height,
    width,
    fps: o.fps ?? 25,
    gop: o.gop ?? 16,
    seed: o.seed ?? 0,
    bitrate: o.bitrate ?? Math.round(width * height * 25),
  };
  const bad = (what: string) => new Error(`synthetic dataset: ${what}`);
  if (!Number.isInteger(r.classes) || r.classes < 2 || r.classes > MOTION_CLASSES.length) throw bad(`classes must be 2..${MOTION_CLASSES.length}, got ${r.classes}`);
  if (!Number.isInteger(r.videosPerClass) || r.videosPerClass < 1) throw bad(`videosPerClass must be a positive integer, got ${r.videosPerClass}`);
  if (!Number.isInteger(r.frames) || r.frames < 2) throw bad(`frames must be an integer ≥ 2, got ${r.frames}`);
  for (const v of [height, width]) if (!Number.isInteger(v) || v < 16 || v % 2) throw bad(`size must be even integers ≥ 16, got ${JSON.stringify(size)}`);
  if (!(r.fps > 0)) throw bad(`fps must be positive, got ${r.fps}`);
  if (!Number.isInteger(r.gop) || r.gop < 1) throw bad(`gop must be a positive integer, got ${r.gop}`);
  if (!Number.isInteger(r.seed)) throw bad(`seed must be an integer, got ${r.seed}`);
  return r;
}

// ---- deterministic randomness -------------------------------------------------------------

function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
  return (x ^ (x >>> 16)) >>> 0;
}

/** A small fast PRNG (mulberry32) seeded from several integers. */
function rng(...seeds: number[]): () => number {
  let s = 0x9e3779b9;
  for (const v of seeds) s = mix32(s ^ mix32(v | 0));
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hashString(s: string): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (let i = 0; i < s.length; i++) {
    h1 = Math.imul(h1 ^ s.charCodeAt(i), 0x01000193) >>> 0;
    h2 = mix32(h2 ^ s.charCodeAt(i) ^ h1);
  }
  return h1.toString(16).padStart(8, '0') + h2.toString(16).padStart(8, '0');
}

// ---- drawing ------------------------------------------------------------------------------

interface Shape {
  kind: number; // 0 rect, 1 ellipse, 2 triangle, 3 cross
  x: number;
  y: number;
  r: number;
  aspect: number;
  angle: number;
  c1: [number, number, number];
  c2: [number, number, number];
  stripe: number;
  stripeAngle: number;
  /** Visible in frames [from, to). */
  from: number;
  to: number;
}

interface Scene {
  background: Uint8Array; // RGB
  shapes: Shape[];
  /** Frame-space pose of the shape layer at time t: translation (dx, dy), rotation θ, scale s. */
  pose: (t: number) => { dx: number; dy: number; theta: number; scale: number };
  wrap: boolean;
  cx: number;
  cy: number;
  flicker: number[];
}

function randomColor(rand: () => number): [number, number, number] {
  // HSV with strong saturation/value so shapes stand out from the background.
  const h = rand() * 6;
  const s = 0.55 + 0.45 * rand();
  const v = 0.55 + 0.45 * rand();
  const i = Math.floor(h);
  const f = h - i;
  const p = v * (1 - s);
  const q = v * (1 - s * f);
  const u = v * (1 - s * (1 - f));
  const rgb = [[v, u, p], [q, v, p], [p, v, u], [p, q, v], [u, p, v], [v, p, q]][i % 6];
  return rgb.map((c) => Math.round(c * 255)) as [number, number, number];
}

function makeBackground(rand: () => number, W: number, H: number): Uint8Array {
  const bg = new Uint8Array(W * H * 3);
  const a = randomColor(rand).map((c) => c * 0.45 + 40);
  const b = randomColor(rand).map((c) => c * 0.45 + 40);
  const G = 4 + Math.floor(rand() * 6); // value-noise grid
  const grid = Array.from({ length: (G + 1) * (G + 1) }, () => rand());
  const freq = (2 + rand() * 10) / Math.max(W, H);
  const phi = rand() * Math.PI;
  const stripeAmp = rand() < 0.5 ? 0 : 0.15 + 0.2 * rand();
  const checker = rand() < 0.3 ? 4 + Math.floor(rand() * 12) : 0;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const gx = (x / W) * G;
      const gy = (y / H) * G;
      const ix = Math.floor(gx);
      const iy = Math.floor(gy);
      const fx = gx - ix;
      const fy = gy - iy;
      const g = (i: number, j: number) => grid[j * (G + 1) + i];
      let m = (g(ix, iy) * (1 - fx) + g(ix + 1, iy) * fx) * (1 - fy) + (g(ix, iy + 1) * (1 - fx) + g(ix + 1, iy + 1) * fx) * fy;
      if (stripeAmp) m += stripeAmp * Math.sin(2 * Math.PI * freq * (x * Math.cos(phi) + y * Math.sin(phi)));
      if (checker && ((Math.floor(x / checker) + Math.floor(y / checker)) & 1)) m += 0.12;
      // Texture at 40% contrast: busy enough that no frame is a flat field, calm enough that the
      // moving shapes, not the background, are what a small model at 32² sees.
      m = 0.5 + 0.4 * (Math.min(1, Math.max(0, m)) - 0.5);
      const light = 1.25 - (0.65 * y) / H; // lit from above
      const o = (y * W + x) * 3;
      for (let c = 0; c < 3; c++) bg[o + c] = Math.min(255, Math.round((a[c] * (1 - m) + b[c] * m) * light));
    }
  }
  return bg;
}

function makeScene(opts: Resolved, label: number, n: number): Scene {
  const rand = rng(opts.seed, label, n, 0x5eed);
  const W = opts.width;
  const H = opts.height;
  const S = Math.min(W, H);
  const background = makeBackground(rand, W, H);
  // 3–6 slots of shapes; each shape lives 20–50 frames and is replaced by a new one when it
  // goes, so the scene's content changes over time as in real footage: clips far apart in time
  // show different objects (what temporal-overlap prediction can pick up), and how much changes
  // within a clip depends on its playback rate in every motion class, "still" included.
  const count = 3 + Math.floor(rand() * 4);
  const shapes: Shape[] = [];
  for (let i = 0; i < count; i++) {
    let from = -Math.floor(rand() * 50);
    while (from < opts.frames) {
      const to = from + 20 + Math.floor(rand() * 31);
      const c1 = randomColor(rand);
      const kind = Math.floor(rand() * 4);
      shapes.push({
        kind,
        x: rand() * W,
        y: rand() * H,
        r: S * (0.11 + 0.18 * rand()),
        aspect: 0.6 + 0.8 * rand(),
        angle: kind === 2 ? (rand() - 0.5) * 0.4 : rand() * 2 * Math.PI, // triangles stand upright
        c1,
        c2: c1.map((c) => Math.round(c * (0.35 + 0.3 * rand()))) as [number, number, number],
        stripe: S * (0.03 + 0.05 * rand()),
        stripeAngle: rand() * Math.PI,
        from,
        to,
      });
      from = to;
    }
  }
  const cls = MOTION_CLASSES[label];
  const cx = W / 2 + (rand() - 0.5) * 0.2 * W;
  const cy = H / 2 + (rand() - 0.5) * 0.2 * H;
  // Per-video rates spread by ≤ 1.4×, under the 2× between playback-rate classes. Fast enough that
  // a clip resized to 32² (what the tiny backbone sees) still moves about a pixel per frame: at
  // 0.3 px per frame the classes could not be told apart even with their labels.
  const speed = S * (0.024 + 0.009 * rand()); // px per frame: 2.3..3.2 px at 96
  const omega = (4.5 + 1.8 * rand()) * (Math.PI / 180); // rad per frame
  // Zoom is centred on the middle frame and slow enough that shapes stay in view (×0.45..×2.2 over
  // 240 frames): otherwise late frames show nothing moving and their playback rate is unknowable.
  const zoom = 0.00525 + 0.0015 * rand(); // log-scale per frame
  const oscDir = rand() * 2 * Math.PI;
  const oscAmp = S * (0.18 + 0.06 * rand());
  const oscPeriod = 60 + 20 * rand(); // long enough that 8× playback does not alias it
  const oscPhase = rand() * 2 * Math.PI;
  const jitter = Array.from({ length: opts.frames }, () => [(rand() - 0.5) * 0.6, (rand() - 0.5) * 0.6]);
  const flicker = Array.from({ length: opts.frames }, () => 1 + (rand() - 0.5) * 0.08);
  const pose = (t: number) => {
    let dx = jitter[t][0];
    let dy = jitter[t][1];
    let theta = 0;
    let scale = 1;
    switch (cls) {
      case 'pan-left': dx -= speed * t; break;
      case 'pan-right': dx += speed * t; break;
      case 'pan-up': dy -= speed * t; break;
      case 'pan-down': dy += speed * t; break;
      case 'rotate-cw': theta = omega * t; break; // y points down: positive angles turn clockwise on screen
      case 'rotate-ccw': theta = -omega * t; break;
      case 'zoom-in': scale = Math.exp(zoom * (t - opts.frames / 2)); break;
      case 'zoom-out': scale = Math.exp(-zoom * (t - opts.frames / 2)); break;
      case 'oscillate': {
        const a = oscAmp * Math.sin((2 * Math.PI * t) / oscPeriod + oscPhase);
        dx += a * Math.cos(oscDir);
        dy += a * Math.sin(oscDir);
        break;
      }
      case 'still': break;
    }
    return { dx, dy, theta, scale };
  };
  return { background, shapes, pose, wrap: cls.startsWith('pan') || cls === 'oscillate' || cls === 'still', cx, cy, flicker };
}

function inside(kind: number, u: number, v: number, r: number, aspect: number): boolean {
  const a = r * aspect;
  const b = r / aspect;
  switch (kind) {
    case 0: return Math.abs(u) <= a && Math.abs(v) <= b;
    case 1: return (u * u) / (a * a) + (v * v) / (b * b) <= 1;
    case 2: {
      // triangle with vertices (0, -b), (-a, b), (a, b)
      if (v > b || v < -b) return false;
      const half = (a * (v + b)) / (2 * b);
      return Math.abs(u) <= half;
    }
    default: {
      const t = r / 3;
      return (Math.abs(u) <= a && Math.abs(v) <= t) || (Math.abs(u) <= t && Math.abs(v) <= b);
    }
  }
}

function drawFrame(scene: Scene, W: number, H: number, t: number): Uint8Array {
  const rgb = scene.background.slice();
  const { dx, dy, theta, scale } = scene.pose(t);
  const cosT = Math.cos(theta);
  const sinT = Math.sin(theta);
  for (const s of scene.shapes) {
    if (t < s.from || t >= s.to) continue;
    // layer → frame: p = c + scale·R(θ)(q − c) + d
    const qx = s.x - scene.cx;
    const qy = s.y - scene.cy;
    let px = scene.cx + scale * (cosT * qx - sinT * qy) + dx;
    let py = scene.cy + scale * (sinT * qx + cosT * qy) + dy;
    if (scene.wrap) {
      px = ((px % W) + W) % W;
      py = ((py % H) + H) % H;
    }
    const ang = s.angle + theta;
    const ca = Math.cos(ang);
    const sa = Math.sin(ang);
    const ext = scale * s.r * Math.max(s.aspect, 1 / s.aspect) * 1.5 + 1;
    const sc = Math.cos(s.stripeAngle);
    const ss = Math.sin(s.stripeAngle);
    const offsets = scene.wrap ? [-1, 0, 1] : [0];
    for (const ox of offsets) {
      for (const oy of offsets) {
        const cxp = px + ox * W;
        const cyp = py + oy * H;
        const x0 = Math.max(0, Math.floor(cxp - ext));
        const x1 = Math.min(W - 1, Math.ceil(cxp + ext));
        const y0 = Math.max(0, Math.floor(cyp - ext));
        const y1 = Math.min(H - 1, Math.ceil(cyp + ext));
        // The shadow first (the shape's silhouette moved down, darkening what is under it), then
        // the shape, shaded lighter on top.
        const drop = 0.35 * scale * s.r;
        for (let y = y0; y <= Math.min(H - 1, y1 + Math.ceil(drop)); y++) {
          for (let x = x0; x <= x1; x++) {
            const fx = (x + 0.5 - cxp) / scale;
            const fy = (y + 0.5 - cyp - drop) / scale;
            if (!inside(s.kind, ca * fx + sa * fy, -sa * fx + ca * fy, s.r, s.aspect)) continue;
            const o = (y * W + x) * 3;
            for (let c = 0; c < 3; c++) rgb[o + c] = Math.round(rgb[o + c] * 0.5);
          }
        }
        for (let y = y0; y <= y1; y++) {
          const shade = Math.min(1.3, Math.max(0.7, 1 - (0.3 * (y + 0.5 - cyp)) / (scale * s.r)));
          for (let x = x0; x <= x1; x++) {
            const fx = (x + 0.5 - cxp) / scale;
            const fy = (y + 0.5 - cyp) / scale;
            const u = ca * fx + sa * fy;
            const v = -sa * fx + ca * fy;
            if (!inside(s.kind, u, v, s.r, s.aspect)) continue;
            const band = Math.floor((u * sc + v * ss) / s.stripe) & 1;
            const c = band ? s.c2 : s.c1;
            const o = (y * W + x) * 3;
            for (let k = 0; k < 3; k++) rgb[o + k] = Math.min(255, Math.round(c[k] * shade));
          }
        }
      }
    }
  }
  const f = scene.flicker[t];
  if (f !== 1) for (let i = 0; i < rgb.length; i++) rgb[i] = Math.min(255, Math.round(rgb[i] * f));
  return rgb;
}

/** The frames of video `n` of class `label`, as drawn (RGB and the I420 that is encoded). */
export function renderSyntheticVideo(options: SyntheticOptions, label: number, n: number): { rgb: Uint8Array[]; i420: Uint8Array[]; width: number; height: number } {
  return render(resolveSyntheticOptions(options), label, n);
}

function render(opts: Resolved, label: number, n: number): { rgb: Uint8Array[]; i420: Uint8Array[]; width: number; height: number } {
  if (!Number.isInteger(label) || label < 0 || label >= opts.classes) throw new Error(`synthetic dataset: class ${label} is not in 0..${opts.classes - 1}`);
  const scene = makeScene(opts, label, n);
  const rgb: Uint8Array[] = [];
  const i420: Uint8Array[] = [];
  for (let t = 0; t < opts.frames; t++) {
    const frame = drawFrame(scene, opts.width, opts.height, t);
    rgb.push(frame);
    i420.push(rgbToI420(frame, { offset: 0, stride: opts.width * 3 }, opts.width, opts.height, false, 3));
  }
  return { rgb, i420, width: opts.width, height: opts.height };
}

// ---- encoding -----------------------------------------------------------------------------

export type EncodeCodec = 'avc' | 'hevc' | 'vp9' | 'av1' | 'vp8';

export interface EncodeOptions {
  width: number;
  height: number;
  fps: number;
  /** Key-frame interval in frames. */
  gop: number;
  bitrate: number;
  /** Default 'avc' (H.264). */
  codec?: EncodeCodec;
  /** Default 'mp4' (moov first); 'mp4-moov-last' writes it after the media data. */
  container?: 'mp4' | 'mp4-moov-last' | 'fragmented-mp4' | 'mkv' | 'webm';
}

function encoderCodecString(codec: EncodeCodec, w: number, h: number): string {
  switch (codec) {
    // Constrained Baseline: decodes everywhere; level 3.1 covers up to 1280×720, 4.2 beyond
    case 'avc': return w * h > 1280 * 720 ? 'avc1.42002a' : 'avc1.42001f';
    case 'hevc': return 'hvc1.1.6.L93.B0';
    case 'vp9': return 'vp09.00.31.08';
    case 'av1': return 'av01.0.04M.08';
    case 'vp8': return 'vp8';
  }
}

/**
 * Encodes I420 frames with WebCodecs' VideoEncoder and muxes them with mediabunny, in memory:
 * H.264 MP4 by default (a key frame every `gop` frames, moov first).
 */
export async function encodeVideo(frames: readonly Uint8Array[], o: EncodeOptions): Promise<Uint8Array> {
  const wc = await loadWebCodecs();
  const codec = o.codec ?? 'avc';
  const container = o.container ?? 'mp4';
  const format = container === 'mp4' ? new Mp4OutputFormat({ fastStart: 'in-memory' })
    : container === 'mp4-moov-last' ? new Mp4OutputFormat({ fastStart: false })
    : container === 'fragmented-mp4' ? new Mp4OutputFormat({ fastStart: 'fragmented' })
    : container === 'webm' ? new WebMOutputFormat() : new MkvOutputFormat();
  const output = new Output({ format, target: new BufferTarget() });
  const source = new EncodedVideoPacketSource(codec);
  output.addVideoTrack(source, { frameRate: o.fps });
  await output.start();
  let failure: Error | null = null;
  let chain: Promise<void> = Promise.resolve();
  const encoder = new wc.VideoEncoder({
    output: (chunk, meta) => {
      const data = new Uint8Array(chunk.byteLength);
      chunk.copyTo(data);
      const packet = new EncodedPacket(data, chunk.type, chunk.timestamp / 1e6, (chunk.duration ?? 1e6 / o.fps) / 1e6);
      chain = chain.then(() => source.add(packet, meta ?? undefined)).catch((e) => {
        failure ??= e as Error;
      });
    },
    error: (e) => {
      failure ??= e instanceof Error ? e : new Error(String(e));
    },
  });
  const config: VideoEncoderConfig = {
    codec: encoderCodecString(codec, o.width, o.height),
    width: o.width,
    height: o.height,
    bitrate: o.bitrate,
    framerate: o.fps,
    latencyMode: 'quality',
  };
  if (codec === 'avc') config.avc = { format: 'avc' };
  const support = await wc.VideoEncoder.isConfigSupported(config);
  if (!support.supported) throw new Error(`this WebCodecs VideoEncoder (${wc.implementation}) cannot encode ${config.codec} ${o.width}×${o.height}`);
  encoder.configure(config);
  try {
    for (let t = 0; t < frames.length; t++) {
      const frame = new wc.VideoFrame(frames[t], {
        format: 'I420',
        codedWidth: o.width,
        codedHeight: o.height,
        timestamp: Math.round((t * 1e6) / o.fps),
        duration: Math.round(1e6 / o.fps),
      });
      encoder.encode(frame, { keyFrame: t % o.gop === 0 });
      frame.close();
      if (failure) break;
    }
    await encoder.flush();
  } finally {
    if (encoder.state !== 'closed') encoder.close();
  }
  await chain;
  if (failure) throw failure;
  await output.finalize();
  const buf = (output.target as BufferTarget).buffer;
  if (!buf) throw new Error('the muxer produced no output');
  return new Uint8Array(buf);
}

/** H.264 MP4 (see encodeVideo). */
export function encodeMp4(frames: readonly Uint8Array[], o: Omit<EncodeOptions, 'codec' | 'container'>): Promise<Uint8Array> {
  return encodeVideo(frames, o);
}

// ---- the cached dataset -------------------------------------------------------------------

interface Manifest {
  version: number;
  options: Resolved;
  classes: string[];
  items: { path: string; label: number }[];
}

/** Generates the dataset into its cache folder unless it is already there; returns its listing. */
export async function ensureSyntheticDataset(options: SyntheticOptions = {}): Promise<SyntheticDataset> {
  const opts = resolveSyntheticOptions(options);
  const fs = options.fs ?? (await defaultFs());
  const key = hashString(JSON.stringify({ v: SYNTHETIC_VERSION, ...opts }));
  const root = fs.join(options.cacheDir ?? '.cache', `synthetic-${key}`);
  const manifestPath = fs.join(root, 'manifest.json');
  const classes = MOTION_CLASSES.slice(0, opts.classes) as string[];
  const total = opts.classes * opts.videosPerClass;
  const relItems: { path: string; label: number }[] = [];
  for (let label = 0; label < opts.classes; label++) {
    for (let n = 0; n < opts.videosPerClass; n++) relItems.push({ path: `${classes[label]}/${String(n).padStart(3, '0')}.mp4`, label });
  }
  const listing = (): SyntheticDataset => ({ root, items: relItems.map((it) => ({ path: fs.join(root, it.path), label: it.label })), classes, options: opts });
  if (await fs.exists(manifestPath)) {
    try {
      const m = JSON.parse(await fs.readText(manifestPath)) as Manifest;
      if (m.version === SYNTHETIC_VERSION && m.items.length === total) {
        options.onProgress?.(total, total);
        return listing();
      }
    } catch {
      // unreadable manifest: regenerate
    }
  }
  // A few videos in flight: one is drawn (JavaScript) while others encode (native threads).
  let done = 0;
  let next = 0;
  const worker = async () => {
    while (next < relItems.length) {
      const it = relItems[next++];
      const path = fs.join(root, it.path);
      if (!(await fs.exists(path))) {
        const n = Number(it.path.slice(it.path.lastIndexOf('/') + 1, -4));
        const { i420 } = render(opts, it.label, n);
        const bytes = await encodeMp4(i420, opts);
        await fs.writeAtomic(path, bytes);
      }
      options.onProgress?.(++done, total);
    }
  };
  await Promise.all([worker(), worker(), worker()]);
  const manifest: Manifest = { version: SYNTHETIC_VERSION, options: opts, classes, items: relItems };
  await fs.writeAtomic(manifestPath, JSON.stringify(manifest, null, 1));
  return listing();
}
