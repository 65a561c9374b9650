import { test } from "node:test";
import assert from "node:assert/strict";
import { fromRows } from "./matrix.js";
import { quadraticForms, smallestRows } from "./fast-mcd.js";

test("smallestRows: the h smallest in index order, ties at the h-th value to the lower index", () => {
  const v = Float64Array.of(5, 1, 3, 3, 0, 3, 9);
  assert.deepEqual(Array.from(smallestRows(v, 3)), [1, 2, 4]);
  assert.deepEqual(Array.from(smallestRows(v, 4)), [1, 2, 3, 4]);
  assert.deepEqual(Array.from(smallestRows(v, 7)), [0, 1, 2, 3, 4, 5, 6]);
  assert.deepEqual(Array.from(smallestRows(v, 1)), [4]);
});

test("quadraticForms: Σ_k sign_k (f_k · (x − location))²", () => {
  const X = fromRows([
    [1, 2],
    [3, -1],
  ]);
  // f = [[1, 0], [1, 1]], signs (+1, −1), location (1, 1): row 0 → 0² − 1² = −1;
  // row 1 → 2² − 0² = 4.
  const out = quadraticForms(
    X,
    Float64Array.of(1, 1),
    Float64Array.of(1, 0, 1, 1),
    Float64Array.of(1, -1),
  );
  assert.deepEqual(Array.from(out), [-1, 4]);
  assert.deepEqual(
    Array.from(quadraticForms(X, Float64Array.of(1, 1), Float64Array.of(1, 0, 1, 1))),
    [1, 4],
  );
  assert.deepEqual(
    Array.from(quadraticForms(X, Float64Array.of(0, 0), new Float64Array(0))),
    [0, 0],
  );
});
