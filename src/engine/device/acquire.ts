// Finds a WebGPU implementation: `navigator.gpu` in browsers, Dawn (the `webgpu` package) in Node.
// The Node module is imported through a computed specifier so bundlers leave it out of browser builds.

export type Backend = 'browser' | 'node-dawn';

export const NO_ADAPTER_HELP =
  'No WebGPU adapter is available. On a machine without a GPU, install the software Vulkan driver ' +
  '(Mesa lavapipe >= 24) with `npm run setup` (Debian 12: `bash scripts/setup-system.sh`, which installs ' +
  '`libvulkan1 mesa-vulkan-drivers` from bookworm-backports); on a machine with a GPU install its ' +
  'Vulkan driver. In a browser, use one with WebGPU enabled (Chrome/Edge 113+, or ' +
  '--enable-unsafe-webgpu).';

/** How the engine awaits GPU promises on this platform (Node: without busy polling). */
export type WaitFn = <T>(promise: Promise<T>) => Promise<T>;

export async function acquireGpu(): Promise<{ gpu: GPU; backend: Backend; wait?: WaitFn }> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu) return { gpu: nav.gpu, backend: 'browser' };
  const isNode = typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node === 'string';
  if (!isNode) throw new Error(`init(): this browser exposes no navigator.gpu. ${NO_ADAPTER_HELP}`);
  const specifier = '../../platform/node-gpu.ts';
  let mod: { nodeGpu(): GPU; quietWait: WaitFn };
  try {
    mod = await import(/* @vite-ignore */ specifier);
  } catch (err) {
    throw new Error(`init(): could not load Dawn's Node bindings (the \`webgpu\` package): ${(err as Error).message}. ` +
      'Run `npm install`.');
  }
  return { gpu: mod.nodeGpu(), backend: 'node-dawn', wait: mod.quietWait };
}
