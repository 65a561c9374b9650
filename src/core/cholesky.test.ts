import { test } from "node:test";
import assert from "node:assert/strict";
import {
  cholesky,
  choleskyLogDet,
  choleskySolve,
  invertLower,
  solveLowerInPlace,
} from "./cholesky.js";
import { Random } from "./random.js";

/** A random symmetric positive definite matrix BᵀB + n·I. */
function spd(n: number, rng: Random): Float64Array {
  const B = Float64Array.from({ length: n * n }, () => rng.normal());
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let s = i === j ? n : 0;
      for (let k = 0; k < n; k++) s += B[k * n + i] * B[k * n + j];
      A[i * n + j] = s;
    }
  return A;
}

test("cholesky of a hand-checked 2 × 2: [[4, 2], [2, 5]] = L·Lᵀ with L = [[2, 0], [1, 2]]", () => {
  const L = cholesky(Float64Array.of(4, 2, 2, 5), 2)!;
  assert.deepEqual(Array.from(L), [2, 0, 1, 2]);
  assert.ok(Math.abs(choleskyLogDet(L, 2) - Math.log(16)) < 1e-15);
  // [[4, 2], [2, 5]] x = [8, 9] has x = [1.375, 1.25].
  const x = choleskySolve(L, 2, Float64Array.of(8, 9));
  assert.ok(Math.abs(x[0] - 1.375) < 1e-15 && Math.abs(x[1] - 1.25) < 1e-15);
});

test("cholesky reproduces A, and L⁻¹ is its inverse, on random SPD matrices", () => {
  const rng = new Random(3);
  // Below and above 64 (the blocked path), with partial last blocks.
  for (const n of [1, 3, 8, 17, 64, 70, 101]) {
    const A = spd(n, rng);
    const L = cholesky(A, n)!;
    const W = invertLower(L, n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        let llt = 0;
        let wl = 0;
        for (let k = 0; k < n; k++) {
          llt += L[i * n + k] * L[j * n + k];
          wl += W[i * n + k] * L[k * n + j];
        }
        assert.ok(Math.abs(llt - A[i * n + j]) < 1e-12 * n * n, `LLᵀ at ${i},${j}`);
        assert.ok(Math.abs(wl - (i === j ? 1 : 0)) < 1e-12, `L⁻¹L at ${i},${j}`);
        if (j > i) assert.equal(L[i * n + j], 0);
        if (j > i) assert.equal(W[i * n + j], 0);
      }
    const b = Float64Array.from({ length: n }, () => rng.normal());
    const y = solveLowerInPlace(L, n, Float64Array.from(b));
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += W[i * n + k] * b[k];
      assert.ok(Math.abs(s - y[i]) < 1e-12);
    }
  }
});

test("cholesky refuses singular, indefinite and zero matrices", () => {
  assert.equal(cholesky(Float64Array.of(1, 1, 1, 1), 2), undefined); // rank 1
  assert.equal(cholesky(Float64Array.of(1, 2, 2, 1), 2), undefined); // eigenvalues 3, −1
  assert.equal(cholesky(new Float64Array(9), 3), undefined);
  // A zero variance next to unit ones (a constant feature's covariance).
  assert.equal(cholesky(Float64Array.of(1, 0, 0, 0, 0, 0, 0, 0, 1), 3), undefined);
  assert.throws(() => cholesky(new Float64Array(3), 2), RangeError);
});

test("cholesky refuses a singular matrix on the blocked path too (rank 60 of 90)", () => {
  const rng = new Random(9);
  const n = 90;
  const B = Float64Array.from({ length: 60 * n }, () => rng.normal());
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < 60; k++) s += B[k * n + i] * B[k * n + j];
      A[i * n + j] = s;
    }
  assert.equal(cholesky(A, n), undefined);
  for (let i = 0; i < n; i++) A[i * n + i] += 1;
  assert.notEqual(cholesky(A, n), undefined);
});
