import { test } from "node:test";
import assert from "node:assert/strict";
import { NumpyRandomState, ourRandR, shuffleAsScikitLearn } from "./replay-random.js";

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
