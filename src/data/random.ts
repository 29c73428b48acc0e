// A small seedable PRNG for everything the data pipeline draws on the CPU (clip starts, STOR
// classes, crop boxes, augmentation parameters, shuffles). No Math.random anywhere in src/data.
//
// Generator: xoshiro128** (Blackman & Vigna), 128-bit state, 32-bit outputs; the state is filled
// from the seed with splitmix32. `Random.derive(seed, ...keys)` hashes a seed and a path of keys
// (epoch, item position, stream name, ...) into an independent generator, so a value depends only
// on *what* it is for, never on how many values were drawn before it or on which worker drew it.

const TWO32 = 4294967296;

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** murmur3's 32-bit finaliser: a bijective avalanche mix. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Words of a seed or key: a safe integer (two 32-bit halves) or a string (UTF-16 code units). */
function words(key: number | string): number[] {
  if (typeof key === 'string') {
    const out = [0x5eed0000 ^ key.length];
    for (let i = 0; i < key.length; i++) out.push(key.charCodeAt(i));
    return out;
  }
  if (!Number.isSafeInteger(key)) throw new Error(`Random: seeds and keys must be safe integers or strings, got ${key}`);
  const lo = key >>> 0;
  const hi = Math.floor(key / TWO32) >>> 0; // negative values wrap; distinct from positives
  return [lo, hi, key < 0 ? 1 : 0];
}

/** Hashes a seed and a key path into one 32-bit word (order-sensitive). */
export function hashKeys(seed: number | string, ...keys: (number | string)[]): number {
  let h = 0x9e3779b9;
  for (const k of [seed, ...keys]) {
    for (const w of words(k)) h = fmix32((h ^ w) + 0x632be5ab + Math.imul(h, 31));
    h = fmix32(h ^ 0xa5a5a5a5);
  }
  return h;
}

export class Random {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  /** The 32-bit seed this generator started from (for logging and handing to workers). */
  readonly seed: number;

  constructor(seed: number | string = 0) {
    this.seed = typeof seed === 'number' && seed >>> 0 === seed ? seed : hashKeys(seed);
    let x = this.seed >>> 0;
    const next = () => {
      // splitmix32
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
      z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
      return (z ^ (z >>> 15)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** An independent generator for `keys` under `seed`: a pure function of its arguments. */
  static derive(seed: number | string, ...keys: (number | string)[]): Random {
    return new Random(hashKeys(seed, ...keys));
  }

  /** Next 32-bit unsigned integer. */
  u32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform float in [0, 1) with 53 random bits. */
  float(): number {
    const a = this.u32() >>> 5; // 27 bits
    const b = this.u32() >>> 6; // 26 bits
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** Uniform float in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.float();
  }

  /** Uniform integer in [0, n) without modulo bias (n ≤ 2^32). */
  below(n: number): number {
    if (!(n >= 1 && n <= TWO32 && Number.isInteger(n))) throw new Error(`Random.below: n must be an integer in [1, 2^32], got ${n}`);
    if (n === TWO32) return this.u32();
    const limit = TWO32 - (TWO32 % n);
    for (;;) {
      const x = this.u32();
      if (x < limit) return x % n;
    }
  }

  /** Uniform integer in [lo, hi] (both inclusive). */
  int(lo: number, hi: number): number {
    if (hi < lo) throw new Error(`Random.int: empty range [${lo}, ${hi}]`);
    return lo + this.below(hi - lo + 1);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return p >= 1 ? (this.u32(), true) : this.float() < p;
  }

  /** A uniformly chosen element. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('Random.pick: empty array');
    return items[this.below(items.length)];
  }

  /** Standard normal draw (Box–Muller). */
  normal(): number {
    const u = 1 - this.float();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.float());
  }

  /** Shuffles in place (Fisher–Yates) and returns the array. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.below(i + 1);
      const t = items[i];
      items[i] = items[j];
      items[j] = t;
    }
    return items;
  }

  /** A random permutation of 0..n-1. */
  permutation(n: number): number[] {
    return this.shuffle(Array.from({ length: n }, (_, i) => i));
  }

  /** A new generator seeded from this one's next output (advances this one). */
  split(): Random {
    return new Random(this.u32());
  }
}
