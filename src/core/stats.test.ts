import { test } from "node:test";
import assert from "node:assert/strict";
import { fromRows } from "./matrix.js";
import { Random } from "./random.js";
import {
  applyScaler,
  erf,
  fitStandardScaler,
  percentile,
  quantileSorted,
  quantile,
  quantileCounted,
  rankAverage,
  skewness,
  kurtosis,
} from "./stats.js";

// Expected values computed with NumPy 2 / SciPy 1.17.

test("quantile and percentile interpolate linearly as NumPy", () => {
  assert.equal(quantile([1, 2, 3, 4, 10], 0.9), 7.6000000000000005);
  assert.equal(quantile([3, 1, 2], 0.5), 2);
  assert.equal(
    percentile(
      Float64Array.from({ length: 11 }, (_, i) => i),
      99.9,
    ),
    9.990000000000002,
  );
  assert.equal(quantile([5], 0.3), 5);
  assert.ok(Number.isNaN(quantile([], 0.5)));
});

test("quantile by selection equals the quantile of the sorted values", () => {
  const rng = new Random(6);
  for (const n of [1, 2, 3, 10, 101, 1000]) {
    const values = Float64Array.from({ length: n }, () => Math.round(rng.normal() * 5));
    const sorted = Float64Array.from(values).sort();
    for (const q of [0, 0.001, 0.25, 0.5, 0.9, 0.999, 1])
      assert.equal(quantile(values, q), quantileSorted(sorted, q));
  }
});

test("skewness is SciPy's biased estimator, NaN for constant data", () => {
  assert.ok(Math.abs(skewness([1, 2, 3, 10]) - 1.0182337649086284) < 1e-15);
  assert.ok(Number.isNaN(skewness([4, 4, 4])));
  assert.equal(skewness([1, 2, 3]), 0);
});

test("kurtosis is SciPy's biased Fisher estimator, NaN for constant data", () => {
  // [0, 0, 0, 0, 1]: m2 = 0.16, m4 = 0.0832, m4 / m2² = 3.25.
  assert.ok(Math.abs(kurtosis([0, 0, 0, 0, 1]) - 0.25) < 1e-14);
  assert.ok(Math.abs(kurtosis([1, 2, 3, 10]) - -0.7696000000000001) < 1e-14);
  assert.ok(Number.isNaN(kurtosis([4, 4, 4])));
});

test("rankAverage gives ties their average rank (scipy.stats.rankdata)", () => {
  assert.deepEqual(Array.from(rankAverage([3, 1, 3, 2])), [3.5, 1, 3.5, 2]);
  assert.deepEqual(Array.from(rankAverage([7, 7, 7])), [2, 2, 2]);
});

test("StandardScaler uses the population std and maps constant columns to scale 1", () => {
  const X = fromRows([
    [1, 5],
    [2, 5],
    [3, 5],
  ]);
  const s = fitStandardScaler(X);
  assert.deepEqual(Array.from(s.mean), [2, 5]);
  assert.ok(Math.abs(s.scale[0] - Math.sqrt(2 / 3)) < 1e-15);
  assert.equal(s.scale[1], 1);
  const Z = applyScaler(s, X);
  assert.deepEqual(Array.from(Z.data.filter((_, k) => k % 2 === 1)), [0, 0, 0]);
});

test("erf matches SciPy to 1e-15", () => {
  assert.ok(Math.abs(erf(0.5) - 0.5204998778130465) < 1e-15);
  assert.ok(Math.abs(erf(2.7) - 0.9998656672600594) < 1e-15);
  assert.ok(Math.abs(erf(-1.3) - -0.9340079449406524) < 1e-15);
  assert.equal(erf(0), 0);
  assert.equal(erf(10), 1);
});

test("quantileCounted is quantile of the values repeated by their counts", () => {
  const rng = new Random(8);
  for (let trial = 0; trial < 200; trial++) {
    const m = 1 + Math.floor(rng.float() * 12);
    // (+ 0: which of −0 and 0 a selection returns is arbitrary in both.)
    const values = Float64Array.from({ length: m }, () => Math.round(rng.normal() * 4) / 2 + 0);
    const counts = Int32Array.from({ length: m }, () => Math.floor(rng.float() * 5));
    if (counts.every((c) => c === 0)) counts[0] = 1;
    const repeated = Array.from(values).flatMap((v, k) => new Array<number>(counts[k]).fill(v));
    for (const q of [0, 0.25, 0.5, 0.9, 1])
      assert.equal(quantileCounted(values, counts, q), quantile(repeated, q));
  }
  assert.ok(Number.isNaN(quantileCounted([1, 2], [0, 0], 0.5)));
});
