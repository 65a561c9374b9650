import { test } from "node:test";
import assert from "node:assert/strict";
import { fromRows, matrix } from "../core/matrix.js";
import { fit, score } from "./model.js";
import { sod } from "./sod.js";

const near = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b));

test("sod defaults are PyOD's", () => {
  assert.deepEqual(sod.params.parse({}), {
    contamination: 0.1,
    nNeighbors: 20,
    refSet: 10,
    alpha: 0.8,
  });
});

// Corners of a 1 × 5 rectangle. With k = 3 every row's neighbours are all the others, so every
// shared count is 2 and the order among ties decides: below 16 rows Numba's quicksort is an
// insertion sort, and PyOD takes the highest indices other than the row itself.
const corners = fromRows([
  [0, 0],
  [1, 0],
  [0, 5],
  [1, 5],
]);

test("sod toy: reference sets among tied counts, subspaces and distances by hand", () => {
  const model = fit("sod", corners, { nNeighbors: 3, refSet: 2 });
  // Row 0: references 3, 2 — mean (0.5, 5), variances (0.25, 0): expected 0.8 · 0.25 / 2 = 0.1,
  // so only feature 1 counts: |0 − 5| = 5. Row 1 likewise. Row 2: references 3, 1 — mean
  // (1, 2.5), variances (0, 6.25): feature 0 only, |0 − 1| = 1. Row 3: references 2, 1 —
  // mean (0.5, 2.5), variances (0.25, 6.25), expected 2.6: feature 0, |1 − 0.5| = 0.5.
  const expected = [5, 5, 1, 0.5];
  model.trainingScores.forEach((v, i) => assert.ok(near(v, expected[i]), `${i}: ${v}`));
});

test("sod scores a new row with a reference set from the training rows", () => {
  const model = fit("sod", corners, { nNeighbors: 3, refSet: 2 });
  // (0, 4): nearest training rows 2, 3, 0. Shared with row 1's neighbours {0, 2, 3}: 3; with
  // rows 0, 2, 3: 2 each, so the set is rows 1 and 0 (ties to the lower index). Mean (0.5, 0),
  // variances (0.25, 0): feature 1 only, |4 − 0| = 4.
  const [v] = score(model, matrix(1, 2, Float64Array.of(0, 4)));
  assert.ok(near(v, 4), `${v}`);
});

test("sod is 0 where no feature varies less than the rest (constant data)", () => {
  const model = fit("sod", matrix(30, 3, new Float64Array(90).fill(7)));
  for (const v of model.trainingScores) assert.equal(v, 0);
  assert.deepEqual(Array.from(score(model, matrix(1, 3, Float64Array.of(7, 7, 9)))), [0]);
});

test("sod refuses a reference set larger than the neighbourhood, as PyOD", () => {
  assert.throws(() => fit("sod", corners, { nNeighbors: 3, refSet: 4 }), /refSet/);
});

test("sod caps k and the reference set at the other training rows", () => {
  const model = fit("sod", fromRows([[0], [1], [3]]));
  assert.equal(model.trainingScores.length, 3);
  for (const v of model.trainingScores) assert.ok(Number.isFinite(v));
});
