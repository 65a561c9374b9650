import { test } from "node:test";
import assert from "node:assert/strict";
import { pinvh, symmetricPseudoInverse } from "./pinvh.js";
import { Random } from "./random.js";

function multiply(A: Float64Array, B: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += A[i * n + k] * B[k * n + j];
      out[i * n + j] = s;
    }
  return out;
}

test("pinvh of an invertible matrix is its inverse; logDet is log det", () => {
  // [[2, 1], [1, 2]]⁻¹ = [[2, −1], [−1, 2]] / 3, det 3.
  const P = pinvh(Float64Array.of(2, 1, 1, 2), 2);
  [2 / 3, -1 / 3, -1 / 3, 2 / 3].forEach((v, k) => assert.ok(Math.abs(P[k] - v) < 1e-15));
  const { rank, logDet } = symmetricPseudoInverse(Float64Array.of(2, 1, 1, 2), 2);
  assert.equal(rank, 2);
  assert.ok(Math.abs(logDet - Math.log(3)) < 1e-15);
});

test("pinvh of a singular matrix satisfies the Moore–Penrose conditions", () => {
  // Rank 2 in 4 dimensions: A = BᵀB with B 2 × 4, plus a zero row and column pattern.
  const rng = new Random(11);
  const n = 4;
  const B = Float64Array.from({ length: 2 * n }, () => rng.normal());
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) A[i * n + j] = B[i] * B[j] + B[n + i] * B[n + j];
  const P = pinvh(A, n);
  const APA = multiply(multiply(A, P, n), A, n);
  const PAP = multiply(multiply(P, A, n), P, n);
  for (let k = 0; k < n * n; k++) {
    assert.ok(Math.abs(APA[k] - A[k]) < 1e-12, "A P A = A");
    assert.ok(Math.abs(PAP[k] - P[k]) < 1e-10, "P A P = P");
  }
  const f = symmetricPseudoInverse(A, n);
  assert.equal(f.rank, 2);
  assert.equal(f.logDet, -Infinity);
});

test("pinvh drops a zero variance exactly (a constant feature), keeps the rest", () => {
  const P = pinvh(Float64Array.of(4, 0, 0, 0), 2);
  assert.deepEqual(Array.from(P), [0.25, 0, 0, 0]);
  // The quadratic form from the factor equals xᵀPx.
  const { factor, signs, rank } = symmetricPseudoInverse(Float64Array.of(4, 0, 0, 0), 2);
  assert.equal(rank, 1);
  const x = [3, 7];
  const w = factor[0] * x[0] + factor[1] * x[1];
  assert.ok(Math.abs(signs[0] * w * w - 9 / 4) < 1e-15);
});

test("pinvh keeps negative eigenvalues above the cutoff, as scipy's", () => {
  // Eigenvalues 3 and −1: the inverse of an indefinite matrix.
  const P = pinvh(Float64Array.of(1, 2, 2, 1), 2);
  [-1 / 3, 2 / 3, 2 / 3, -1 / 3].forEach((v, k) => assert.ok(Math.abs(P[k] - v) < 1e-15));
});
