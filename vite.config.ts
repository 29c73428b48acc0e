// Vite config of the browser training page (web/): `npm run web` serves it with the dev server,
// `npx vite build` writes a static build to out/web. The page imports the same src/ modules as
// Node (engine, data loader, plugins, trainer); the data loader's Web Worker entry is imported with
// `?worker&url` in web/main.ts.
import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: fileURLToPath(new URL('./web', import.meta.url)),
  // Relative asset URLs, so a build works from any folder.
  base: './',
  clearScreen: false,
  server: {
    host: '127.0.0.1', // WebGPU needs a secure context: localhost / 127.0.0.1 over http counts
    port: 5173,
    fs: { allow: [root] },
  },
  preview: { host: '127.0.0.1', port: 4173 },
  // Pre-bundle the dependencies of the page and of the data worker up front, so the dev server does
  // not discover one mid-run and reload the page.
  optimizeDeps: {
    entries: ['index.html', '../src/data/worker.browser.ts'],
    include: ['zod', 'mp4box', 'mediabunny', 'vega', 'vega-lite'],
  },
  worker: { format: 'es' },
  build: { outDir: fileURLToPath(new URL('./out/web', import.meta.url)), emptyOutDir: true, target: 'es2022' },
});
