/**
 * Other libraries' random streams, replayed exactly: the ones scikit-learn's SGD solvers shuffle
 * with, so that a detector given scikit-learn's `random_state` visits the rows in scikit-learn's
 * order, and torch's CPU generator, so that a network given PyOD's `random_state` starts from
 * torch's weights and draws torch's batches and dropout masks.
 *
 * anomalog's own randomness goes through src/core/random.ts. These generators exist only to
 * reproduce another library's draws, seeded the same way, and are as deterministic:
 * - NumPy's legacy `RandomState(seed)`: MT19937 (Matsumoto & Nishimura 1998) initialised with
 *   the seed by Knuth's multiplier 1812433253, and `randint` on a range below 2^32 taking 32-bit
 *   outputs masked to the range's bit width and redrawn while out of range (NumPy 1.24);
 * - scikit-learn's `our_rand_r`: a 32-bit xorshift (shifts 13, 17, 5; Marsaglia 2003) whose
 *   outputs are reduced to 31 bits, and a zero state replaced by 1;
 * - torch's CPU generator (`torch.manual_seed(seed)`): the same MT19937 and seeding, read the
 *   ways torch's CPU kernels read it (checked against torch 1.13's outputs, see the tests).
 */
import type { TrainingRandomness } from "./train.js";

const MT_N = 624;
const MT_M = 397;

/** MT19937 seeded from 32 bits, as NumPy's legacy RandomState and torch's CPU generator seed it. */
class Mt19937 {
  private readonly mt = new Uint32Array(MT_N);
  private index = MT_N;

  /** `seed` is taken modulo 2^32 (NumPy accepts 0 ≤ seed < 2^32; torch keeps the low 32 bits). */
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

  private twist(): void {
    const mt = this.mt;
    for (let i = 0; i < MT_N; i++) {
      const y = (mt[i] & 0x80000000) | (mt[(i + 1) % MT_N] & 0x7fffffff);
      mt[i] = mt[(i + MT_M) % MT_N] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
    }
    this.index = 0;
  }
}

/** NumPy's legacy MT19937 stream for an integer seed (`numpy.random.RandomState(seed)`). */
export class NumpyRandomState extends Mt19937 {
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
}

/** 2⁻²⁴ and 2⁻⁵³: torch's divisors for a float's and a double's mantissa bits. */
const FLOAT_ULP = 2 ** -24;
const DOUBLE_ULP = 2 ** -53;

/**
 * torch's CPU generator after `torch.manual_seed(seed)`, drawn the way torch's CPU kernels draw
 * (serially, in element order):
 * - a 64-bit draw is two outputs, the first the high half;
 * - `uniform_(from, to)` on a float32 tensor takes the low 24 bits of one output, scales them
 *   into [0, 1) and maps that into [from, to) in double precision from the float32 bounds,
 *   then rounds to float32; on a double tensor, the low 53 bits of a 64-bit draw;
 * - `bernoulli_(p)` (dropout's mask) is a double uniform below p;
 * - `randperm(n)` is Fisher–Yates from the front, position i swapped with i + (output mod n − i);
 * - `torch.empty((), dtype=torch.int64).random_()` is a 64-bit draw modulo 2⁶³ (a DataLoader
 *   seeds its shuffling generator with one; the new generator keeps its low 32 bits).
 */
export class TorchCpuGenerator extends Mt19937 {
  /** A 64-bit draw's low 32 bits (the second output); the high half is drawn and dropped. */
  low32Of64(): number {
    this.uint32();
    return this.uint32();
  }

  /** `uniform_(from, to)` on one float32 element: the float32 value, as a double. */
  uniformFloat32(from: number, to: number): number {
    const low = Math.fround(from);
    const x = (this.uint32() & 0xffffff) * FLOAT_ULP;
    return Math.fround(x * Math.fround(Math.fround(to) - low) + low);
  }

  /** A double uniform in [0, 1) from the low 53 bits of a 64-bit draw. */
  uniformDouble(): number {
    const high = this.uint32() & 0x1fffff;
    const low = this.uint32();
    return (high * 0x1_0000_0000 + low) * DOUBLE_ULP;
  }

  /** `bernoulli_(p)` on one element: true (1) with probability p. */
  bernoulli(p: number): boolean {
    return this.uniformDouble() < p;
  }

  /** `torch.randperm(order.length, generator=this)` written into `order`. */
  randperm(order: Int32Array): Int32Array {
    const n = order.length;
    for (let i = 0; i < n; i++) order[i] = i;
    for (let i = 0; i < n - 1; i++) {
      const j = i + (this.uint32() % (n - i));
      const t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    return order;
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

/**
 * A torch training loop's random choices drawn from `generator` (the global generator
 * `torch.manual_seed` set, after the network's initialisation has drawn from it):
 * - each epoch, a `DataLoader(shuffle=True)` draws two 64-bit seeds from it, the first for its
 *   iterator (unused without worker processes), the second for a new generator that gives the
 *   epoch's `randperm`;
 * - each `nn.Dropout(p)` in training mode draws `bernoulli_(1 − p)` per unit, in row-major order.
 * Dropout decisions are written as bits the kernel reads (nn.ts `DropoutDraws`): a kept unit's
 * 16 bits are 0, a dropped one's 0xffff. The kernel keeps a unit below ⌊keep · 2¹⁶⌋, which is
 * above 0 and at most 0xffff for every keep probability in [2⁻¹⁶, 1), so the decisions survive;
 * a dropout rate above 1 − 2⁻¹⁶ cannot be encoded.
 */
export function torchTrainingDraws(generator: TorchCpuGenerator): TrainingRandomness {
  return {
    epochOrder(order: Int32Array): void {
      generator.low32Of64();
      new TorchCpuGenerator(generator.low32Of64()).randperm(order);
    },
    dropoutBits(out: Uint32Array, units: number, keep: number): void {
      if (!(keep >= 2 ** -16 && keep < 1))
        throw new RangeError(`torch's dropout replay needs a dropout rate in (0, 1 - 2^-16]`);
      for (let i = 0; i < units; i += 2) {
        const first = generator.bernoulli(keep) ? 0 : 0xffff;
        const second = i + 1 < units && !generator.bernoulli(keep) ? 0xffff : 0;
        out[i >> 1] = (second << 16) | first;
      }
    },
  };
}
