// Formatting of case results for the uvu suites (Node and browser). No Node built-ins.
import type { CaseResult } from './types.ts';

export interface Summary {
  passed: number;
  failed: CaseResult[];
  skipped: CaseResult[];
  ms: number;
}

export function summarize(results: CaseResult[]): Summary {
  return {
    passed: results.filter((r) => r.ok && !r.skipped).length,
    failed: results.filter((r) => !r.ok),
    skipped: results.filter((r) => r.skipped),
    ms: results.reduce((a, r) => a + (r.ms ?? 0), 0),
  };
}

/** Multi-line failure text: one line per failing case. */
export function failureText(kind: string, results: CaseResult[]): string {
  const s = summarize(results);
  return `${kind}: ${s.failed.length} of ${results.length} cases failed:\n` + s.failed.map((r) => `    ✘ ${r.message}`).join('\n');
}
