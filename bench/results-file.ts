// Replaces (or appends) one `## Title` section of bench/RESULTS.md, leaving the other sections alone.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

export const RESULTS_FILE = new URL('./RESULTS.md', import.meta.url).pathname;

export function writeResultsSection(title: string, section: string, file = RESULTS_FILE): void {
  let text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmark results\n\n';
  const start = text.search(new RegExp(`^## ${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`, 'm'));
  if (start >= 0) {
    const rest = text.slice(start + 1);
    const end = rest.search(/^## /m);
    text = text.slice(0, start) + section + (end >= 0 ? '\n' + rest.slice(end) : '');
  } else text = text.replace(/\n*$/, '\n\n') + section;
  writeFileSync(file, text);
  console.log(`wrote the ${title} section of ${file}`);
}
