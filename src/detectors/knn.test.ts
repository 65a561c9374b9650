import { test } from "node:test";
import assert from "node:assert/strict";
import { matrix } from "../core/matrix.js";
import { fit, score } from "./model.js";
import { knn } from "./knn.js";

const line = matrix(5, 1, Float64Array.of(0, 1, 2, 4, 10));

test("knn defaults are PyOD's (and exact neighbours)", () => {
  assert.deepEqual(knn.params.parse({}), {
    contamination: 0.1,
    nNeighbors: 5,
    method: "largest",
    neighbours: "exact",
  });
});

test("knn toy: training rows are scored without themselves", () => {
  // k = 2 neighbours among the other rows: 0 → {1, 2}; 1 → {0, 2}; 2 → {1, 0}; 4 → {2, 1}; 10 → {4, 2}
  assert.deepEqual(Array.from(fit("knn", line, { nNeighbors: 2 }).trainingScores), [2, 1, 2, 3, 8]);
  assert.deepEqual(
    Array.from(fit("knn", line, { nNeighbors: 2, method: "mean" }).trainingScores),
    [1.5, 1, 1.5, 2.5, 7],
  );
  assert.deepEqual(
    Array.from(fit("knn", line, { nNeighbors: 3, method: "median" }).trainingScores),
    [2, 1, 2, 3, 8],
  );
});

test("knn scores new rows against every training row", () => {
  const model = fit("knn", line, { nNeighbors: 2 });
  assert.deepEqual(Array.from(score(model, matrix(2, 1, Float64Array.of(3, 20)))), [1, 16]);
});
