// Learning-rate schedules (torch.optim.lr_scheduler). Same protocol as PyTorch: constructing a
// schedule records each group's `initialLr` (PyTorch's initial_lr) and sets the lr for step 0;
// call `step()` once after each optimizer.step(); `lastEpoch` counts those calls (PyTorch's
// last_epoch, an iteration count when stepped per iteration).
//
// Every schedule computes lr(lastEpoch) in closed form from the base lr, in float64. PyTorch's
// StepLR, MultiStepLR, ConstantLR and CosineAnnealingLR update the current lr recursively; the
// values agree with the closed forms to rounding (~1e-15 relative) as long as nothing else edits
// the group's lr between steps (then PyTorch's recursive forms drift from the curve, these don't).
import type { Optimizer } from './optimizer.ts';

export interface SchedulerStateDict {
  lastEpoch: number;
  baseLrs: number[];
  [config: string]: unknown;
}

export abstract class LRScheduler {
  lastEpoch = -1;
  baseLrs: number[];
  private lastLrs: number[] = [];

  constructor(readonly optimizer: Optimizer) {
    for (const g of optimizer.paramGroups) g.initialLr ??= g.lr;
    this.baseLrs = optimizer.paramGroups.map((g) => g.initialLr!);
  }

  /** lr of group `i` (base lr `base`) at step `epoch`. */
  abstract lrAt(epoch: number, base: number, i: number): number;

  /** Advances one step and sets every group's lr (PyTorch's scheduler.step()). */
  step(): void {
    this.lastEpoch++;
    this.apply();
  }

  private apply(): void {
    this.lastLrs = this.optimizer.paramGroups.map((g, i) => {
      const lr = this.lrAt(this.lastEpoch, this.baseLrs[i], i);
      g.lr = lr;
      return lr;
    });
  }

  /** The lrs set by the last step (PyTorch's get_last_lr()). */
  getLastLr(): number[] {
    return [...this.lastLrs];
  }

  /** Hyper-parameters saved with the state (numbers, arrays of numbers). */
  protected config(): Record<string, unknown> {
    return {};
  }

  protected setConfig(_c: Record<string, unknown>): void {}

  /** `lastEpoch`, `baseLrs` and the schedule's settings; plain numbers (JSON-serialisable). */
  stateDict(): SchedulerStateDict {
    return { ...this.config(), lastEpoch: this.lastEpoch, baseLrs: [...this.baseLrs] };
  }

  /**
   * Restores a state saved by stateDict(), and sets each group's lr to the restored step's value
   * (so it does not matter whether the optimizer's state was loaded before or after).
   */
  loadStateDict(sd: SchedulerStateDict): void {
    const { lastEpoch, baseLrs, ...config } = sd;
    if (!Number.isInteger(lastEpoch)) throw new Error(`${this.constructor.name}.loadStateDict: invalid lastEpoch ${String(lastEpoch)}`);
    if (!Array.isArray(baseLrs) || baseLrs.length !== this.optimizer.paramGroups.length) {
      throw new Error(`${this.constructor.name}.loadStateDict: ${baseLrs?.length} base lrs for ${this.optimizer.paramGroups.length} parameter groups`);
    }
    this.setConfig(config);
    this.lastEpoch = lastEpoch;
    this.baseLrs = [...baseLrs];
    this.optimizer.paramGroups.forEach((g, i) => (g.initialLr = this.baseLrs[i]));
    this.apply();
  }
}

function positiveInt(name: string, what: string, v: number): number {
  if (!Number.isInteger(v) || v <= 0) throw new Error(`${name}: ${what} must be a positive integer, got ${v}`);
  return v;
}

/** lr = base · λ(epoch), one λ for all groups or one per group (PyTorch's LambdaLR). The λs are not saved. */
export class LambdaLR extends LRScheduler {
  private readonly lambdas: Array<(epoch: number) => number>;

  constructor(optimizer: Optimizer, lrLambda: ((epoch: number) => number) | Array<(epoch: number) => number>) {
    super(optimizer);
    const n = optimizer.paramGroups.length;
    this.lambdas = Array.isArray(lrLambda) ? lrLambda : Array.from({ length: n }, () => lrLambda);
    if (this.lambdas.length !== n) throw new Error(`LambdaLR: expected ${n} lambdas, got ${this.lambdas.length}`);
    this.step();
  }

  lrAt(epoch: number, base: number, i: number): number {
    return base * this.lambdas[i](epoch);
  }
}

/** lr = base · gamma^⌊epoch / stepSize⌋ (PyTorch's StepLR). */
export class StepLR extends LRScheduler {
  stepSize: number;
  gamma: number;

  constructor(optimizer: Optimizer, opts: { stepSize: number; gamma?: number }) {
    super(optimizer);
    this.stepSize = positiveInt('StepLR', 'stepSize', opts.stepSize);
    this.gamma = opts.gamma ?? 0.1;
    this.step();
  }

  lrAt(epoch: number, base: number): number {
    return base * this.gamma ** Math.floor(epoch / this.stepSize);
  }

  protected override config() {
    return { stepSize: this.stepSize, gamma: this.gamma };
  }

  protected override setConfig(c: Record<string, unknown>): void {
    if (c.stepSize !== undefined) this.stepSize = c.stepSize as number;
    if (c.gamma !== undefined) this.gamma = c.gamma as number;
  }
}

/** lr = base · gamma^(number of milestones ≤ epoch) (PyTorch's MultiStepLR; repeated milestones count twice). */
export class MultiStepLR extends LRScheduler {
  milestones: number[];
  gamma: number;

  constructor(optimizer: Optimizer, opts: { milestones: number[]; gamma?: number }) {
    super(optimizer);
    this.milestones = [...opts.milestones].sort((a, b) => a - b);
    this.gamma = opts.gamma ?? 0.1;
    this.step();
  }

  lrAt(epoch: number, base: number): number {
    return base * this.gamma ** this.milestones.filter((m) => m <= epoch).length;
  }

  protected override config() {
    return { milestones: [...this.milestones], gamma: this.gamma };
  }

  protected override setConfig(c: Record<string, unknown>): void {
    if (c.milestones !== undefined) this.milestones = [...(c.milestones as number[])];
    if (c.gamma !== undefined) this.gamma = c.gamma as number;
  }
}

/**
 * lr = base · factor for epoch < totalIters, then base (PyTorch's ConstantLR, with its defaults
 * factor = 1/3, totalIters = 5). A constant lr throughout: `{ factor: 1 }` (or no schedule).
 */
export class ConstantLR extends LRScheduler {
  factor: number;
  totalIters: number;

  constructor(optimizer: Optimizer, opts: { factor?: number; totalIters?: number } = {}) {
    super(optimizer);
    this.factor = opts.factor ?? 1 / 3;
    this.totalIters = opts.totalIters ?? 5;
    if (!(this.factor >= 0 && this.factor <= 1)) throw new Error(`ConstantLR: factor must be in [0, 1], got ${this.factor}`);
    this.step();
  }

  lrAt(epoch: number, base: number): number {
    return epoch < this.totalIters ? base * this.factor : base;
  }

  protected override config() {
    return { factor: this.factor, totalIters: this.totalIters };
  }

  protected override setConfig(c: Record<string, unknown>): void {
    if (c.factor !== undefined) this.factor = c.factor as number;
    if (c.totalIters !== undefined) this.totalIters = c.totalIters as number;
  }
}

/** Half-cosine from `from` (at t = 0) to `to` (at t = period); continues periodically beyond, as PyTorch. */
function cosine(t: number, period: number, from: number, to: number): number {
  return to + ((from - to) * (1 + Math.cos((Math.PI * t) / period))) / 2;
}

/** lr = etaMin + (base - etaMin)(1 + cos(π · epoch / tMax)) / 2 (PyTorch's CosineAnnealingLR). */
export class CosineAnnealingLR extends LRScheduler {
  tMax: number;
  etaMin: number;

  constructor(optimizer: Optimizer, opts: { tMax: number; etaMin?: number }) {
    super(optimizer);
    this.tMax = positiveInt('CosineAnnealingLR', 'tMax', opts.tMax);
    this.etaMin = opts.etaMin ?? 0;
    this.step();
  }

  lrAt(epoch: number, base: number): number {
    return cosine(epoch, this.tMax, base, this.etaMin);
  }

  protected override config() {
    return { tMax: this.tMax, etaMin: this.etaMin };
  }

  protected override setConfig(c: Record<string, unknown>): void {
    if (c.tMax !== undefined) this.tMax = c.tMax as number;
    if (c.etaMin !== undefined) this.etaMin = c.etaMin as number;
  }
}

export interface WarmupCosineOptions {
  /** Steps of linear warmup (0: none). */
  warmupSteps: number;
  /** Total steps: the cosine phase runs from warmupSteps to totalSteps. */
  totalSteps: number;
  /** lr multiplier at step 0 of the warmup (default 0). */
  warmupStartFactor?: number;
  /** Final lr of the cosine phase (default 0). */
  etaMin?: number;
}

/**
 * Linear warmup then cosine annealing:
 *   epoch < W:  lr = base · (s + (1 - s) · epoch / W)
 *   epoch ≥ W:  lr = etaMin + (base - etaMin)(1 + cos(π (epoch - W) / (T - W))) / 2
 * with W = warmupSteps, T = totalSteps, s = warmupStartFactor. This is PyTorch's
 * LambdaLR(λ) with that λ (s = 0 is the common get_cosine_schedule_with_warmup recipe), and for
 * s > 0 equals SequentialLR([LinearLR(s, 1, W), CosineAnnealingLR(T - W, etaMin)], [W]).
 * Past T the cosine continues periodically, as CosineAnnealingLR does.
 */
export class WarmupCosineLR extends LRScheduler {
  warmupSteps: number;
  totalSteps: number;
  warmupStartFactor: number;
  etaMin: number;

  constructor(optimizer: Optimizer, opts: WarmupCosineOptions) {
    super(optimizer);
    this.warmupSteps = opts.warmupSteps;
    this.totalSteps = opts.totalSteps;
    this.warmupStartFactor = opts.warmupStartFactor ?? 0;
    this.etaMin = opts.etaMin ?? 0;
    if (!Number.isInteger(this.warmupSteps) || this.warmupSteps < 0) throw new Error(`WarmupCosineLR: warmupSteps must be a non-negative integer, got ${this.warmupSteps}`);
    if (!Number.isInteger(this.totalSteps) || this.totalSteps <= this.warmupSteps) {
      throw new Error(`WarmupCosineLR: totalSteps (${this.totalSteps}) must be an integer greater than warmupSteps (${this.warmupSteps})`);
    }
    if (!(this.warmupStartFactor >= 0 && this.warmupStartFactor <= 1)) throw new Error(`WarmupCosineLR: warmupStartFactor must be in [0, 1], got ${this.warmupStartFactor}`);
    this.step();
  }

  lrAt(epoch: number, base: number): number {
    const w = this.warmupSteps;
    if (epoch < w) return base * (this.warmupStartFactor + ((1 - this.warmupStartFactor) * epoch) / w);
    return cosine(epoch - w, this.totalSteps - w, base, this.etaMin);
  }

  protected override config() {
    return { warmupSteps: this.warmupSteps, totalSteps: this.totalSteps, warmupStartFactor: this.warmupStartFactor, etaMin: this.etaMin };
  }

  protected override setConfig(c: Record<string, unknown>): void {
    for (const k of ['warmupSteps', 'totalSteps', 'warmupStartFactor', 'etaMin'] as const) if (c[k] !== undefined) this[k] = c[k] as number;
  }
}
