import { test } from "node:test";
import assert from "node:assert/strict";
import {
  NumpyRandomState,
  ourRandR,
  shuffleAsScikitLearn,
  TorchCpuGenerator,
  torchTrainingDraws,
} from "./replay-random.js";

test("NumpyRandomState is MT19937: the reference outputs for seed 5489 and NumPy's for seed 0", () => {
  // 3499211612 is MT19937's first output from its default seed 5489 (Matsumoto & Nishimura).
  const a = new NumpyRandomState(5489);
  assert.deepEqual([a.uint32(), a.uint32(), a.uint32()], [3499211612, 581869302, 3890346734]);
  // numpy.random.RandomState(0).randint(0, 2**32, dtype=np.uint32), three times.
  const b = new NumpyRandomState(0);
  assert.deepEqual([b.uint32(), b.uint32(), b.uint32()], [2357136044, 2546248239, 3071714933]);
});

test("NumpyRandomState.randint masks and redraws as NumPy's legacy randint", () => {
  // numpy.random.RandomState(0).randint(0, 10) eight times (mask 15, redraws above 9).
  const r = new NumpyRandomState(0);
  assert.deepEqual(
    Array.from({ length: 8 }, () => r.randint(0, 10)),
    [5, 0, 3, 3, 7, 9, 3, 5],
  );
  // The shuffle seed scikit-learn's SGD draws for random_state = 0.
  assert.equal(new NumpyRandomState(0).randint(0, 2147483647), 209652396);
  assert.equal(new NumpyRandomState(7).randint(4, 5), 4);
});

test("ourRandR: xorshift 13/17/5 reduced to 31 bits; a zero state counts as 1", () => {
  // 1 → 1 ^ 1<<13 = 8193 → ^ 8193>>17 = 8193 → ^ 8193<<5 = 270369.
  const s = Uint32Array.of(1);
  assert.equal(ourRandR(s), 270369);
  assert.equal(s[0], 270369);
  assert.equal(ourRandR(Uint32Array.of(0)), 270369);
  const big = Uint32Array.of(0xffffffff);
  const v = ourRandR(big);
  assert.ok(v >= 0 && v < 2 ** 31);
  assert.equal(v, big[0] % 2 ** 31);
});

test("shuffleAsScikitLearn: a permutation, the same one for the same seed", () => {
  const a = Int32Array.from({ length: 50 }, (_, i) => i);
  const b = a.slice();
  shuffleAsScikitLearn(a, 12345);
  shuffleAsScikitLearn(b, 12345);
  assert.deepEqual(a, b);
  assert.deepEqual(
    Array.from(a).sort((x, y) => x - y),
    Array.from({ length: 50 }, (_, i) => i),
  );
  assert.notDeepEqual(
    Array.from(a),
    Array.from({ length: 50 }, (_, i) => i),
  );
  // A second call with the seed applies the same permutation again: position i takes what the
  // first call put at position π(i).
  const again = a.slice();
  shuffleAsScikitLearn(again, 12345);
  assert.deepEqual(
    Array.from(again),
    Array.from(a, (v) => a[v]),
  );
});

// The expected values below were printed by torch 1.13 (Debian's python3-torch).

test("TorchCpuGenerator draws uniform_, bernoulli_ and randperm as torch's CPU kernels do", () => {
  // torch.manual_seed(0); torch.empty(6).uniform_(-1, 1): float32 values, exactly (Python's
  // shortest reprs, which read back exactly; the lint rule misjudges -0.7359390258789062).
  const a = new TorchCpuGenerator(0);
  assert.deepEqual(
    Array.from({ length: 6 }, () => a.uniformFloat32(-1, 1)),
    [
      // eslint-disable-next-line no-loss-of-precision
      -0.007486820220947266, 0.5364435911178589, -0.8230451345443726, -0.7359390258789062,
      -0.3851543664932251, 0.26815736293792725,
    ],
  );
  // torch.manual_seed(0); torch.empty(3, dtype=torch.float64).uniform_()
  const b = new TorchCpuGenerator(0);
  assert.deepEqual(
    Array.from({ length: 3 }, () => b.uniformDouble()),
    [0.9700530018065531, 0.707819864399788, 0.45938294312745087],
  );
  // torch.manual_seed(3); torch.empty(16).bernoulli_(0.8)
  const c = new TorchCpuGenerator(3);
  assert.deepEqual(
    Array.from({ length: 16 }, () => (c.bernoulli(0.8) ? 1 : 0)),
    [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1],
  );
  // g = torch.Generator(); g.manual_seed(12345); torch.randperm(10, generator=g)
  assert.deepEqual(
    Array.from(new TorchCpuGenerator(12345).randperm(new Int32Array(10))),
    [0, 7, 1, 6, 4, 2, 8, 9, 5, 3],
  );
});

test("torchTrainingDraws: a DataLoader's epoch orders and nn.Dropout's masks after manual_seed", () => {
  // torch.manual_seed(5); DataLoader(range(10), batch_size=3, shuffle=True, drop_last=True),
  // iterated twice: the batches' rows of each epoch (the tenth row is dropped).
  const draws = torchTrainingDraws(new TorchCpuGenerator(5));
  const order = new Int32Array(10);
  draws.epochOrder(order);
  assert.deepEqual(Array.from(order.subarray(0, 9)), [8, 3, 0, 5, 9, 1, 6, 2, 4]);
  draws.epochOrder(order);
  assert.deepEqual(Array.from(order.subarray(0, 9)), [5, 8, 9, 7, 2, 0, 4, 1, 3]);
  // torch.manual_seed(5); nn.Dropout(0.2) in training mode on torch.ones(2, 5): which units
  // survive, in row-major order. Drawn here as two odd-sized layers of 5 units, which must not
  // draw for the unused half of their last word.
  const masks = torchTrainingDraws(new TorchCpuGenerator(5));
  const kept = (): number[] => {
    const bits = new Uint32Array(3);
    masks.dropoutBits(bits, 5, 0.8);
    const threshold = Math.floor(0.8 * 0x1_0000); // the kernel's test
    return Array.from({ length: 5 }, (_, i) =>
      ((bits[i >> 1] >>> (16 * (i & 1))) & 0xffff) < threshold ? 1 : 0,
    );
  };
  assert.deepEqual(
    [kept(), kept()],
    [
      [1, 1, 1, 1, 1],
      [0, 1, 1, 0, 1],
    ],
  );
  // The encoding holds up to a keep probability just below 1, and down to 2⁻¹⁶.
  const nearlyAll = new Uint32Array(1);
  torchTrainingDraws(new TorchCpuGenerator(5)).dropoutBits(nearlyAll, 2, 1 - 2 ** -20);
  assert.equal(nearlyAll[0], 0, "both units kept, below the kernel's threshold 0xffff");
  assert.throws(() => masks.dropoutBits(new Uint32Array(1), 2, 2 ** -20), RangeError);
});
