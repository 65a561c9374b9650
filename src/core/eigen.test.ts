import { test } from "node:test";
import assert from "node:assert/strict";
import { symmetricEigen } from "./eigen.js";
import { Random } from "./random.js";

function randomSymmetric(n: number, rng: Random): Float64Array {
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      const v = rng.normal();
      A[i * n + j] = v;
      A[j * n + i] = v;
    }
  }
  return A;
}

function checkDecomposition(A: Float64Array, n: number): void {
  const { values, vectors } = symmetricEigen(A, n);
  let scale = 1;
  for (const v of A) scale = Math.max(scale, Math.abs(v));
  for (let k = 0; k < n; k++) {
    if (k > 0) assert.ok(values[k - 1] <= values[k], "ascending");
    let norm = 0;
    for (let i = 0; i < n; i++) {
      let av = 0;
      for (let j = 0; j < n; j++) av += A[i * n + j] * vectors[k * n + j];
      assert.ok(
        Math.abs(av - values[k] * vectors[k * n + i]) < 1e-10 * scale * n,
        `A·v = λv (k=${k})`,
      );
      norm += vectors[k * n + i] ** 2;
    }
    assert.ok(Math.abs(norm - 1) < 1e-12, "unit length");
    for (let m = 0; m < k; m++) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += vectors[k * n + i] * vectors[m * n + i];
      assert.ok(Math.abs(dot) < 1e-10, "orthogonal");
    }
  }
}

test("symmetricEigen: A·v = λv, orthonormal vectors, ascending values", () => {
  const rng = new Random(12);
  for (const n of [1, 2, 3, 7, 40]) checkDecomposition(randomSymmetric(n, rng), n);
});

test("symmetricEigen: known spectrum, repeated and zero eigenvalues", () => {
  const { values } = symmetricEigen(Float64Array.of(2, 1, 1, 2), 2);
  assert.ok(Math.abs(values[0] - 1) < 1e-15 && Math.abs(values[1] - 3) < 1e-15);
  checkDecomposition(Float64Array.of(1, 0, 0, 0, 1, 0, 0, 0, 0), 3);
  // rank one: u·uᵀ
  const u = [1, 2, 3, 4];
  checkDecomposition(
    Float64Array.from({ length: 16 }, (_, k) => u[Math.floor(k / 4)] * u[k % 4]),
    4,
  );
  checkDecomposition(new Float64Array(9), 3);
});
