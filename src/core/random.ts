/**
 * The one seeded random generator used everywhere in anomalog.
 *
 * Algorithm: xoshiro128** 1.0 (Blackman & Vigna, "Scrambled linear pseudorandom number
 * generators", 2018): 128 bits of state, period 2^128 − 1, 32-bit outputs, fast with JavaScript's
 * 32-bit integer arithmetic. The state is filled from the seed with SplitMix32 (a 32-bit variant
 * of Steele et al.'s SplitMix), so nearby seeds give unrelated streams. Doubles take 53 bits from
 * two outputs. Same seed, same sequence, on every platform.
 */
export class Random {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spareNormal: number | undefined;

  constructor(seed: number) {
    let x = (Math.trunc(seed) ^ Math.trunc(seed / 0x1_0000_0000)) >>> 0;
    const next = (): number => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1; // all-zero state is a fixed point
  }

  /** A uniform 32-bit unsigned integer. */
  uint32(): number {
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

  /**
   * Fills out[0, count) with the next `count` values of uint32(), in order (the same stream),
   * with the state kept in locals: several times faster than one call per value on long runs
   * (dropout masks draw thousands per training step).
   */
  fillUint32(out: Uint32Array, count = out.length): Uint32Array {
    let s0 = this.s0;
    let s1 = this.s1;
    let s2 = this.s2;
    let s3 = this.s3;
    for (let i = 0; i < count; i++) {
      out[i] = Math.imul(rotl(Math.imul(s1, 5), 7), 9);
      const t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = rotl(s3, 11);
    }
    this.s0 = s0;
    this.s1 = s1;
    this.s2 = s2;
    this.s3 = s3;
    return out;
  }

  /** A uniform double in [0, 1) with 53 random bits. */
  float(): number {
    const hi = this.uint32() >>> 5; // 27 bits
    const lo = this.uint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** A uniform double in [low, high). */
  uniform(low: number, high: number): number {
    return low + (high - low) * this.float();
  }

  /** A uniform integer in [0, n), for 1 <= n <= 2^32, without modulo bias. */
  int(n: number): number {
    if (!(n >= 1 && n <= 0x1_0000_0000))
      throw new RangeError(`int(n) needs 1 <= n <= 2^32, got ${n}`);
    // Rejection sampling: discard the top sliver of the 32-bit range that n does not divide.
    const limit = 0x1_0000_0000 - (0x1_0000_0000 % n);
    let u = this.uint32();
    while (u >= limit) u = this.uint32();
    return u % n;
  }

  /** A standard normal draw (Marsaglia's polar method; the second value is kept for the next call). */
  normal(): number {
    if (this.spareNormal !== undefined) {
      const v = this.spareNormal;
      this.spareNormal = undefined;
      return v;
    }
    let u: number, v: number, s: number;
    do {
      u = 2 * this.float() - 1;
      v = 2 * this.float() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const f = Math.sqrt((-2 * Math.log(s)) / s);
    this.spareNormal = v * f;
    return u * f;
  }

  /**
   * Fills out[from, to) with the next normal() draws, in order (the same stream, spare value
   * included). For long runs, such as DIF's random network weights, it avoids a method call per
   * value.
   */
  fillNormal(out: Float64Array, from = 0, to = out.length): Float64Array {
    let i = from;
    if (i < to && this.spareNormal !== undefined) {
      out[i++] = this.spareNormal;
      this.spareNormal = undefined;
    }
    // uint32() and float() written out over local copies of the state, which V8 keeps in
    // registers; the arithmetic is theirs and normal()'s, so the values are the same.
    let s0 = this.s0;
    let s1 = this.s1;
    let s2 = this.s2;
    let s3 = this.s3;
    const uv = new Float64Array(2);
    for (; i < to; i += 2) {
      let u: number, v: number, sq: number;
      do {
        for (let c = 0; c < 2; c++) {
          let hi = 0;
          for (let half = 0; half < 2; half++) {
            const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
            const t = s1 << 9;
            s2 ^= s0;
            s3 ^= s1;
            s1 ^= s2;
            s0 ^= s3;
            s2 ^= t;
            s3 = rotl(s3, 11);
            if (half === 0) hi = result >>> 5;
            else uv[c] = 2 * ((hi * 67108864 + (result >>> 6)) / 9007199254740992) - 1;
          }
        }
        u = uv[0];
        v = uv[1];
        sq = u * u + v * v;
      } while (sq >= 1 || sq === 0);
      const f = Math.sqrt((-2 * Math.log(sq)) / sq);
      out[i] = u * f;
      if (i + 1 < to) out[i + 1] = v * f;
      else this.spareNormal = v * f;
    }
    this.s0 = s0;
    this.s1 = s1;
    this.s2 = s2;
    this.s3 = s3;
    return out;
  }

  /** Shuffles `values` in place (Fisher–Yates) and returns it. */
  shuffle<T extends { length: number; [i: number]: number }>(values: T): T {
    for (let i = values.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = values[i];
      values[i] = values[j];
      values[j] = tmp;
    }
    return values;
  }

  /**
   * `k` distinct indices from [0, n), in random order: rejection against a set when k is small
   * next to n (no O(n) allocation), else a partial Fisher–Yates shuffle.
   */
  sample(n: number, k: number): Int32Array {
    if (k > n) throw new RangeError(`cannot sample ${k} distinct values from ${n}`);
    if (k * 8 <= n) {
      const seen = new Set<number>();
      const out = new Int32Array(k);
      let filled = 0;
      while (filled < k) {
        const v = this.int(n);
        if (!seen.has(v)) {
          seen.add(v);
          out[filled++] = v;
        }
      }
      return out;
    }
    const pool = new Int32Array(n);
    for (let i = 0; i < n; i++) pool[i] = i;
    for (let i = 0; i < k; i++) {
      const j = i + this.int(n - i);
      const tmp = pool[i];
      pool[i] = pool[j];
      pool[j] = tmp;
    }
    return pool.slice(0, k);
  }

  /** A new generator whose stream is determined by this one's next output (for sub-tasks). */
  fork(): Random {
    return new Random(this.uint32() * 0x1_0000_0000 + this.uint32());
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
