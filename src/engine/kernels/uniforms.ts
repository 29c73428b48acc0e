// Packs a kernel's uniform struct. Kernels declare their `Params` struct as a sequence of 4-byte
// scalars followed by `array<vec4<u32|i32>, 2>` blocks (8 entries, enough for rank-8 shapes and
// strides); `align16()` pads to the next vec4 boundary before such a block.

export const MAX_RANK = 8;

export class UniformWriter {
  private view: DataView;
  offset = 0;

  constructor(private bytes: Uint8Array, private start: number, private capacity: number) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset);
  }

  private need(n: number): number {
    const at = this.start + this.offset;
    if (this.offset + n > this.capacity) throw new Error(`uniform block larger than ${this.capacity} bytes`);
    this.offset += n;
    return at;
  }

  u32(...values: number[]): this {
    for (const v of values) this.view.setUint32(this.need(4), v >>> 0, true);
    return this;
  }

  i32(...values: number[]): this {
    for (const v of values) this.view.setInt32(this.need(4), v | 0, true);
    return this;
  }

  f32(...values: number[]): this {
    for (const v of values) this.view.setFloat32(this.need(4), v, true);
    return this;
  }

  align16(): this {
    while (this.offset % 16 !== 0) this.u32(0);
    return this;
  }

  /** An `array<vec4<u32>, 2>` holding up to 8 entries (unused ones zero). */
  u32x8(values: readonly number[]): this {
    return this.block(values, (v) => this.u32(v));
  }

  /** An `array<vec4<i32>, 2>` holding up to 8 entries (unused ones zero). */
  i32x8(values: readonly number[]): this {
    return this.block(values, (v) => this.i32(v));
  }

  private block(values: readonly number[], put: (v: number) => void): this {
    if (values.length > MAX_RANK) throw new Error(`rank ${values.length} exceeds the engine's maximum rank ${MAX_RANK}`);
    this.align16();
    for (let i = 0; i < MAX_RANK; i++) put(values[i] ?? 0);
    return this;
  }
}
