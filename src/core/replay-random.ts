/**
 * The random streams scikit-learn's SGD solvers shuffle with, replayed exactly, so that a
 * detector given scikit-learn's `random_state` visits the rows in scikit-learn's order.
 *
 * anomalog's own randomness goes through src/core/random.ts. These generators exist only to
 * reproduce another library's draws, seeded the same way, and are as deterministic:
 * - NumPy's legacy `RandomState(seed)`: MT19937 (Matsumoto & Nishimura 1998) initialised with
 *   the seed by Knuth's multiplier 1812433253, and `randint` on a range below 2^32 taking 32-bit
 *   outputs masked to the range's bit width and redrawn while out of range (NumPy 1.24);
 * - scikit-learn's `our_rand_r`: a 32-bit xorshift (shifts 13, 17, 5; Marsaglia 2003) whose
 *   outputs are reduced to 31 bits, and a zero state replaced by 1.
 */

const MT_N = 624;
const MT_M = 397;

/** NumPy's legacy MT19937 stream for an integer seed (`numpy.random.RandomState(seed)`). */
export class NumpyRandomState {
  private readonly mt = new Uint32Array(MT_N);
  private index = MT_N;

  /** `seed` is taken modulo 2^32 (NumPy accepts 0 ≤ seed < 2^32). */
  constructor(seed: number) {
    const mt = this.mt;
    mt[0] = seed >>> 0;
    for (let i = 1; i < MT_N; i++) {
      const prev = mt[i - 1] ^ (mt[i - 1] >>> 30);
      mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
  }

  /** The next 32-bit output (tempered). */
  uint32(): number {
    if (this.index >= MT_N) this.twist();
    let y = this.mt[this.index++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** `randint(low, high)` for 0 < high − low ≤ 2^32: NumPy's masked rejection. */
  randint(low: number, high: number): number {
    const range = high - low - 1; // NumPy's inclusive range
    if (!(range >= 0 && range <= 0xffffffff)) throw new RangeError(`randint range ${range}`);
    if (range === 0) return low;
    let mask = range;
    mask |= mask >>> 1;
    mask |= mask >>> 2;
    mask |= mask >>> 4;
    mask |= mask >>> 8;
    mask |= mask >>> 16;
    mask >>>= 0;
    for (;;) {
      const v = (this.uint32() & mask) >>> 0;
      if (v <= range) return low + v;
    }
  }

  private twist(): void {
    const mt = this.mt;
    for (let i = 0; i < MT_N; i++) {
      const y = (mt[i] & 0x80000000) | (mt[(i + 1) % MT_N] & 0x7fffffff);
      mt[i] = mt[(i + MT_M) % MT_N] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
    }
    this.index = 0;
  }
}

/**
 * scikit-learn's `our_rand_r` on a state held by the caller: advances `state[0]` and returns
 * the new value reduced to [0, 2^31).
 */
export function ourRandR(state: Uint32Array): number {
  let s = state[0];
  if (s === 0) s = 1;
  s = (s ^ (s << 13)) >>> 0;
  s = (s ^ (s >>> 17)) >>> 0;
  s = (s ^ (s << 5)) >>> 0;
  state[0] = s;
  return s % 0x80000000;
}

/**
 * scikit-learn's `SequentialDataset.shuffle(seed)`: a Fisher–Yates pass from the front, in
 * place. The seed is copied, so every call with the same seed applies the same permutation to
 * the current order (scikit-learn's SGD calls it once per epoch with one seed).
 */
export function shuffleAsScikitLearn(order: Int32Array, seed: number): void {
  const state = Uint32Array.of(seed);
  const n = order.length;
  for (let i = 0; i < n - 1; i++) {
    const j = i + (ourRandR(state) % (n - i));
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
}
