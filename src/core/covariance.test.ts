import { test } from "node:test";
import assert from "node:assert/strict";
import { fromRows } from "./matrix.js";
import { subsetMeanCovariance, weightedMeanCovariance } from "./covariance.js";

const X = fromRows([
  [1, 2],
  [3, 6],
  [5, 4],
  [100, -100],
]);

test("subsetMeanCovariance: maximum-likelihood covariance of the chosen rows", () => {
  // Rows 0..2: mean (3, 4); deviations (−2, −2), (0, 2), (2, 0): Σ = [[8, 4], [4, 8]] / 3.
  const { mean, covariance } = subsetMeanCovariance(X, Int32Array.of(0, 1, 2));
  assert.deepEqual(Array.from(mean), [3, 4]);
  [8 / 3, 4 / 3, 4 / 3, 8 / 3].forEach((v, k) => assert.ok(Math.abs(covariance[k] - v) < 1e-14));
  // `count` reads only the first rows of the list.
  const two = subsetMeanCovariance(X, Int32Array.of(0, 1, 3), 2);
  assert.deepEqual(Array.from(two.mean), [2, 4]);
});

test("weightedMeanCovariance: weights 1, 1, 1, 0 give the subset's; weight 2 counts a row twice", () => {
  const w = weightedMeanCovariance(X, Float64Array.of(1, 1, 1, 0), 3);
  const s = subsetMeanCovariance(X, Int32Array.of(0, 1, 2));
  w.covariance.forEach((v, k) => assert.ok(Math.abs(v - s.covariance[k]) < 1e-14));
  const doubled = weightedMeanCovariance(X, Float64Array.of(2, 1, 1, 0), 4);
  const copies = subsetMeanCovariance(X, Int32Array.of(0, 0, 1, 2));
  doubled.mean.forEach((v, k) => assert.ok(Math.abs(v - copies.mean[k]) < 1e-14));
  doubled.covariance.forEach((v, k) => assert.ok(Math.abs(v - copies.covariance[k]) < 1e-14));
});
