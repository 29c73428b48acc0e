// A Vega-Lite spec → a static SVG string: vega-lite compiles it to Vega, and a headless Vega view
// (renderer 'none': no canvas, no DOM) writes the SVG. Works the same in Node and in browsers.
import { compile, type TopLevelSpec } from 'vega-lite';
import { parse, View } from 'vega';

/** Messages from vega-lite's compiler, collected instead of printed. */
function quietLogger(into: string[]) {
  let lvl = 0;
  const logger = {
    level(l?: number) {
      if (l === undefined) return lvl;
      lvl = l;
      return logger;
    },
    error(...args: readonly unknown[]) {
      into.push(`error: ${args.join(' ')}`);
      return logger;
    },
    warn(...args: readonly unknown[]) {
      into.push(`warning: ${args.join(' ')}`);
      return logger;
    },
    info() {
      return logger;
    },
    debug() {
      return logger;
    },
  };
  return logger;
}

/** Renders one Vega-Lite spec to an SVG document string (`<svg …>…</svg>`). */
export async function renderChartSVG(spec: TopLevelSpec, warnings: string[] = []): Promise<string> {
  const vgSpec = compile(spec, { logger: quietLogger(warnings) as never }).spec;
  const view = new View(parse(vgSpec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
