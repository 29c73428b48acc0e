// Node side of the browser test harness: bundles a browser entry with esbuild (in memory), serves it
// from a throwaway `node:http` server on 127.0.0.1 (WebGPU needs a secure context; loopback http
// counts, file:// does not), and drives the system Chromium through playwright-core with its
// SwiftShader WebGPU adapter. The same engine code and the same op checks then run in the page.
//
//   const bp = await openBrowserPage(new URL('./entry.ts', import.meta.url).pathname);
//   const report = await bp.evaluate('initEngine');
//   await bp.close();
//
// Page console errors/warnings and uncaught page errors are forwarded to stderr, with bundle
// locations mapped back to source files through the bundle's source map.
import { build, type Plugin } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { SourceMap, type SourceMapPayload } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/** Exactly the flags that give a headless Chromium with a SwiftShader (CPU) WebGPU adapter. */
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless=new',
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--use-vulkan=swiftshader',
  '--use-webgpu-adapter=swiftshader',
  '--disable-background-networking',
  '--disable-component-update',
];

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DIST_DIR = path.join(REPO_ROOT, 'test/browser/dist');

export interface HarnessTimings {
  bundleMs: number;
  serverMs: number;
  launchMs: number;
  pageMs: number;
  totalMs: number;
}

export interface BundleResult {
  js: string;
  map: string;
  bytes: number;
  ms: number;
  warnings: string[];
}

export interface OpenOptions {
  /** Default limit for one `evaluate` call (ms). SwiftShader is slow; default 240 s. */
  callTimeoutMs?: number;
  /** Limit for browser launch + page load (ms). Default 60 s. */
  startTimeoutMs?: number;
  /** Forward every console message, not just errors and warnings (also env BROWSER_TEST_VERBOSE=1). */
  verbose?: boolean;
  /**
   * Absolute paths of modules the entry imports that may not exist yet (e.g. generated fixtures).
   * A missing one is replaced by a CommonJS stub `{ __missing: '<repo-relative path>' }`, so named
   * imports from it are `undefined` and the entry can report the absence clearly.
   */
  optional?: string[];
}

export interface BrowserPage {
  page: Page;
  browser: Browser;
  url: string;
  timings: HarnessTimings;
  bundleBytes: number;
  /** Console errors/warnings and page errors seen so far (source-mapped). */
  messages: string[];
  /** Calls `globalThis[fnName](...args)` in the page and awaits it; args/result must be JSON-like. */
  evaluate<T>(fnName: string, ...args: unknown[]): Promise<T>;
  /** Same as `evaluate` with an explicit time limit in ms. */
  evaluateWithTimeout<T>(timeoutMs: number, fnName: string, ...args: unknown[]): Promise<T>;
  /** Closes the browser and the server. Idempotent, never throws. */
  close(): Promise<void>;
}

const now = () => performance.now();
const rel = (p: string) => path.relative(REPO_ROOT, p) || p;

function optionalModulesPlugin(optional: string[]): Plugin {
  const wanted = new Set(optional.map((p) => path.resolve(p)));
  const names = [...new Set([...wanted].map((p) => path.basename(p)))];
  const filter = new RegExp(`(^|[\\\\/])(${names.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})$`);
  return {
    name: 'optional-modules',
    setup(b) {
      if (names.length === 0) return;
      b.onResolve({ filter }, (args) => {
        if (!args.path.startsWith('.') && !path.isAbsolute(args.path)) return undefined;
        const abs = path.resolve(args.resolveDir, args.path);
        if (!wanted.has(abs) || existsSync(abs)) return undefined;
        return { path: abs, namespace: 'optional-missing' };
      });
      b.onLoad({ filter: /.*/, namespace: 'optional-missing' }, (args) => ({
        contents: `module.exports = { __missing: ${JSON.stringify(rel(args.path))} };`,
        loader: 'js',
      }));
    },
  };
}

/**
 * Bundles `entryPath` for the browser, in memory. Set BROWSER_TEST_DIST=1 to also write the bundle
 * to test/browser/dist/ (gitignored) for inspection.
 */
export async function bundleEntry(entryPath: string, optional: string[] = []): Promise<BundleResult> {
  const t0 = now();
  const outfile = path.join(DIST_DIR, 'bundle.js');
  let result;
  try {
    result = await build({
      entryPoints: [path.resolve(entryPath)],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      outfile,
      write: false,
      sourcemap: 'linked',
      sourcesContent: false,
      loader: { '.json': 'json' },
      charset: 'utf8',
      logLevel: 'silent',
      absWorkingDir: REPO_ROOT,
      plugins: [optionalModulesPlugin(optional)],
    });
  } catch (err) {
    const errors = (err as { errors?: { text: string; location?: { file: string; line: number; column: number } | null }[] }).errors;
    if (errors?.length) {
      const lines = errors.map((e) => (e.location ? `${e.location.file}:${e.location.line}:${e.location.column}: ` : '') + e.text);
      throw new Error(`esbuild could not bundle ${rel(entryPath)} for the browser:\n  ${lines.join('\n  ')}`);
    }
    throw err;
  }
  const js = result.outputFiles.find((f) => f.path.endsWith('.js'))?.text;
  const map = result.outputFiles.find((f) => f.path.endsWith('.js.map'))?.text;
  if (js === undefined || map === undefined) throw new Error('esbuild produced no bundle/map output');
  if (process.env.BROWSER_TEST_DIST === '1') {
    mkdirSync(DIST_DIR, { recursive: true });
    writeFileSync(outfile, js);
    writeFileSync(outfile + '.map', map);
  }
  const warnings = result.warnings.map((w) => (w.location ? `${w.location.file}:${w.location.line}: ` : '') + w.text);
  return { js, map, bytes: Buffer.byteLength(js), ms: now() - t0, warnings };
}

/** Rewrites `http://127.0.0.1:PORT/bundle.js:L:C` locations in `text` to source locations. */
function makeRemapper(origin: string, mapJson: string): (text: string) => string {
  const payload = JSON.parse(mapJson) as SourceMapPayload;
  const sm = new SourceMap(payload);
  const escaped = `${origin}/bundle.js`.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = new RegExp(`${escaped}:(\\d+):(\\d+)`, 'g');
  return (text) =>
    text.replace(re, (whole, l: string, c: string) => {
      const entry = sm.findEntry(Number(l) - 1, Number(c) - 1) as { originalSource?: string; originalLine?: number; originalColumn?: number };
      if (!entry || entry.originalSource === undefined || entry.originalLine === undefined) return whole;
      // Sources are relative to the (virtual) outfile directory test/browser/dist.
      const src = rel(path.resolve(DIST_DIR, entry.originalSource.replace(/^file:\/\//, '')));
      return `${src}:${entry.originalLine + 1}:${(entry.originalColumn ?? 0) + 1}`;
    });
}

const PAGE_HTML = `<!doctype html>
<html><head><meta charset="utf-8"><title>engine browser tests</title><link rel="icon" href="data:,">
<script>
  window.__harness = { ready: false, errors: [] };
  addEventListener('error', (e) => { __harness.errors.push(String((e.error && e.error.stack) || e.message)); });
</script>
<script type="module">
  import '/bundle.js';
  window.__harness.ready = true;
</script>
</head><body></body></html>`;

function startServer(bundle: BundleResult): Promise<{ server: http.Server; origin: string }> {
  const server = http.createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0];
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (url === '/' || url === '/index.html') send(200, 'text/html; charset=utf-8', PAGE_HTML);
    else if (url === '/bundle.js') send(200, 'text/javascript; charset=utf-8', bundle.js);
    else if (url === '/bundle.js.map') send(200, 'application/json; charset=utf-8', bundle.map);
    else send(404, 'text/plain', 'not found');
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({ server, origin: `http://127.0.0.1:${port}` });
    });
  });
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${(ms / 1000).toFixed(0)} s`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** Bundles `entryPath`, serves it, launches Chromium (SwiftShader WebGPU) and loads the page. */
export async function openBrowserPage(entryPath: string, opts: OpenOptions = {}): Promise<BrowserPage> {
  const callTimeoutMs = opts.callTimeoutMs ?? 240_000;
  const startTimeoutMs = opts.startTimeoutMs ?? 60_000;
  const verbose = opts.verbose ?? process.env.BROWSER_TEST_VERBOSE === '1';

  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium was not found at ${CHROMIUM_PATH}; run \`npm run setup\` (installs Debian's chromium package), ` +
      'or point CHROMIUM_PATH at a Chromium binary.');
  }

  const t0 = now();
  const bundle = await bundleEntry(entryPath, opts.optional ?? []);
  for (const w of bundle.warnings) process.stderr.write(`[browser bundle] warning: ${w}\n`);
  const t1 = now();

  let server: http.Server | undefined;
  let browser: Browser | undefined;
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    try { await browser?.close(); } catch { /* already gone */ }
    if (server) await closeServer(server);
  };

  try {
    const srv = await startServer(bundle);
    server = srv.server;
    const origin = srv.origin;
    const remap = makeRemapper(origin, bundle.map);
    const t2 = now();

    browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      // Playwright would add a plain --headless; the explicit --headless=new below selects the mode.
      headless: true,
      args: [...CHROMIUM_ARGS],
      timeout: startTimeoutMs,
    });
    const t3 = now();

    const messages: string[] = [];
    const report = (line: string) => {
      messages.push(line);
      process.stderr.write(`${line}\n`);
    };
    const page = await browser.newPage();
    page.on('console', (msg) => {
      const type = msg.type();
      const important = type === 'error' || type === 'warning' || type === 'assert';
      if (!important && !verbose) return;
      const text = remap(msg.text());
      if (important) report(`[browser console.${type}] ${text}`);
      else process.stderr.write(`[browser console.${type}] ${text}\n`);
    });
    page.on('pageerror', (err) => report(`[browser pageerror] ${remap(err.stack || err.message)}`));
    page.on('crash', () => report('[browser] the page crashed'));
    browser.on('disconnected', () => { if (!closed) report('[browser] Chromium disconnected unexpectedly'); });

    await page.goto(`${origin}/`, { timeout: startTimeoutMs, waitUntil: 'load' });
    await page.waitForFunction(() => {
      const h = (window as unknown as { __harness: { ready: boolean; errors: string[] } }).__harness;
      return h.ready || h.errors.length > 0;
    }, undefined, { timeout: startTimeoutMs, polling: 20 });
    const loadErrors = await page.evaluate(() => (window as unknown as { __harness: { errors: string[] } }).__harness.errors);
    if (loadErrors.length) {
      throw new Error(`the browser entry ${rel(entryPath)} failed to load:\n${loadErrors.map(remap).join('\n')}`);
    }
    const t4 = now();

    const evaluateWithTimeout = async <T>(timeoutMs: number, fnName: string, ...args: unknown[]): Promise<T> => {
      if (closed) throw new Error(`evaluate('${fnName}'): the browser page is closed`);
      const call = page.evaluate(async ({ fnName, args }) => {
        const fn = (globalThis as unknown as Record<string, unknown>)[fnName];
        if (typeof fn !== 'function') throw new Error(`globalThis.${fnName} is not a function in the page (does the entry expose it?)`);
        return await (fn as (...a: unknown[]) => unknown)(...args);
      }, { fnName, args });
      try {
        return (await withTimeout(call, timeoutMs, `browser call ${fnName}()`)) as T;
      } catch (err) {
        const e = err as Error;
        // Playwright's message carries the page-side stack; map it back to source files.
        const msg = remap(e.message)
          .replace(/^page\.evaluate: /, '')
          .split('\n')
          .filter((l) => !/UtilityScript|eval at evaluate/.test(l))
          .join('\n');
        const out = new Error(`in the browser, ${fnName}() failed: ${msg}`);
        out.stack = out.message;
        throw out;
      }
    };

    return {
      page,
      browser,
      url: `${origin}/`,
      bundleBytes: bundle.bytes,
      messages,
      timings: { bundleMs: t1 - t0, serverMs: t2 - t1, launchMs: t3 - t2, pageMs: t4 - t3, totalMs: t4 - t0 },
      evaluate: <T>(fnName: string, ...args: unknown[]) => evaluateWithTimeout<T>(callTimeoutMs, fnName, ...args),
      evaluateWithTimeout,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/** One line describing the harness timings. */
export function formatTimings(t: HarnessTimings, bytes?: number): string {
  const f = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  return `bundle ${f(t.bundleMs)}${bytes ? ` (${(bytes / 1024).toFixed(0)} KiB)` : ''}, server ${f(t.serverMs)}, ` +
    `launch ${f(t.launchMs)}, page ${f(t.pageMs)}, total ${f(t.totalMs)}`;
}

/**
 * A suite's page: opened in `test.before` (after `setup`, e.g. the engine's init for the Node side)
 * and closed in `test.after` (before `teardown`). The returned getter gives the page in a test, or
 * throws the error that kept it from opening, so each test fails with the reason.
 */
export function useBrowserPage(
  test: { before(fn: () => Promise<void>): void; after(fn: () => Promise<void>): void },
  entryPath: string,
  o: { setup?: () => Promise<unknown>; teardown?: () => Promise<unknown>; log: (line: string) => void },
): () => BrowserPage {
  let bp: BrowserPage | undefined;
  let startError: unknown;
  test.before(async () => {
    try {
      await o.setup?.();
      bp = await openBrowserPage(entryPath);
      o.log(`[browser] ${formatTimings(bp.timings, bp.bundleBytes)}`);
    } catch (err) {
      startError = err;
    }
  });
  test.after(async () => {
    await bp?.close();
    await o.teardown?.();
  });
  return () => {
    if (startError) throw startError;
    if (!bp) throw new Error('the browser page was not opened');
    return bp;
  };
}
