// Reading a run's step log (log.jsonl: one StepRecord per line, plus event lines). Platform-neutral:
// takes the text, so a browser page can pass what it kept in memory or read from IndexedDB.
import type { StepRecord } from '../plugins/trainer/types.ts';

/** A free-form event line of the log (`{ event: 'resume' | 'checkpoint' | 'stopped', time, … }`). */
export interface LogEvent {
  event: string;
  time?: string;
  step?: number;
  [key: string]: unknown;
}

export interface ParsedLog {
  /** Step records sorted by step, one per step: when a resumed run re-ran steps, the later line wins. */
  records: StepRecord[];
  events: LogEvent[];
  /** Lines that were not JSON or neither a step nor an event (e.g. a line cut short by a crash). */
  badLines: number;
  /** Step lines replaced by a later line for the same step (steps re-run after a resume). */
  replaced: number;
}

function isStepRecord(x: unknown): x is StepRecord {
  if (typeof x !== 'object' || x === null) return false;
  const r = x as Record<string, unknown>;
  return typeof r.step === 'number' && typeof r.losses === 'object' && r.losses !== null;
}

/** Parses log.jsonl text; never throws on a bad line (counted in `badLines`). */
export function parseLog(text: string): ParsedLog {
  const bySteps = new Map<number, StepRecord>();
  const events: LogEvent[] = [];
  let badLines = 0;
  let replaced = 0;
  for (const line of text.split('\n')) {
    const s = line.trim();
    if (!s) continue;
    let x: unknown;
    try {
      x = JSON.parse(s);
    } catch {
      badLines++;
      continue;
    }
    if (typeof x === 'object' && x !== null && typeof (x as LogEvent).event === 'string') {
      events.push(x as LogEvent);
    } else if (isStepRecord(x)) {
      if (bySteps.has(x.step)) replaced++;
      bySteps.set(x.step, x);
    } else badLines++;
  }
  const records = [...bySteps.values()].sort((a, b) => a.step - b.step);
  return { records, events, badLines, replaced };
}
