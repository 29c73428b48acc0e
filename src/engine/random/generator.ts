// Seedable random number generator state: a 64-bit seed and a counter offset that advances by
// the number of 4-value Philox blocks each call consumes (PyTorch's CUDA generator works the same way).
export class Generator {
  private seedLo = 0;
  private seedHi = 0;
  private offset = 0;

  constructor(seed = 0) {
    this.manualSeed(seed);
  }

  manualSeed(seed: number): this {
    if (!Number.isFinite(seed)) throw new Error(`manualSeed: seed must be a finite number, got ${seed}`);
    const s = Math.floor(Math.abs(seed));
    this.seedLo = s >>> 0;
    this.seedHi = Math.floor(s / 2 ** 32) >>> 0;
    this.offset = 0;
    return this;
  }

  /** Reserves `blocks` Philox blocks and returns the stream offset they start at. */
  next(blocks: number): { seedLo: number; seedHi: number; offsetLo: number; offsetHi: number } {
    const at = this.offset;
    this.offset += blocks;
    return { seedLo: this.seedLo, seedHi: this.seedHi, offsetLo: at >>> 0, offsetHi: Math.floor(at / 2 ** 32) >>> 0 };
  }

  /** Serializable state (for checkpoints). */
  getState(): { seed: [number, number]; offset: number } {
    return { seed: [this.seedLo, this.seedHi], offset: this.offset };
  }

  setState(state: { seed: [number, number]; offset: number }): void {
    [this.seedLo, this.seedHi] = state.seed;
    this.offset = state.offset;
  }
}

export const defaultGenerator = new Generator(0);

/** Seeds the default generator (torch.manual_seed). */
export function manualSeed(seed: number): void {
  defaultGenerator.manualSeed(seed);
}
