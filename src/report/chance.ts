// Chance levels (ln of the number of classes) of the built-in pretext tasks' loss terms, from a
// run's config (config.json) alone — no GPU, no model. The options are defaulted by the task
// registry's own schemas, so they match what the run used; a task type this module does not know
// contributes nothing (pass its chance levels explicitly to the report instead: the tasks of a live
// run give them with `task.chance()`).
import { pretextTasks } from '../plugins/tasks/index.ts';

function factorial(n: number): number {
  let f = 1;
  for (let i = 2; i <= n; i++) f *= i;
  return f;
}

/** `{ spatial: ln 5, temporal: ln 5, speed: ln 4, rotation: ln 4, … }` for the tasks of `config.tasks`. */
export function chanceFromConfig(config: unknown): Record<string, number> {
  const tasks = (config as { tasks?: unknown } | null)?.tasks;
  const out: Record<string, number> = {};
  if (!Array.isArray(tasks)) return out;
  for (const t of tasks) {
    if (typeof t !== 'object' || t === null || typeof (t as { type?: unknown }).type !== 'string') continue;
    const { type, ...options } = t as { type: string; [k: string]: unknown };
    if (!pretextTasks.has(type)) continue;
    const parsed = pretextTasks.spec(type).schema.safeParse(options);
    if (!parsed.success) continue;
    const o = parsed.data as Record<string, number>;
    if (type === 'stor') {
      out.spatial = Math.log(o.spatialClasses);
      out.temporal = Math.log(o.temporalClasses);
    } else if (type === 'rotation' || type === 'speed') out[type] = Math.log(o.classes);
    else if (type === 'order') out.order = Math.log(factorial(o.views));
  }
  for (const k of Object.keys(out)) if (!Number.isFinite(out[k])) delete out[k];
  return out;
}
