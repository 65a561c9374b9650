import { test } from "node:test";
import assert from "node:assert/strict";
import { matrix } from "../core/matrix.js";
import { fit, score } from "./model.js";
import { lof } from "./lof.js";

test("lof defaults are PyOD's (and exact neighbours)", () => {
  assert.deepEqual(lof.params.parse({}), {
    contamination: 0.1,
    nNeighbors: 20,
    neighbours: "exact",
  });
});

test("lof toy: an even grid has LOF 1; a far row's LOF is its reachability over theirs", () => {
  const grid = matrix(4, 1, Float64Array.of(0, 1, 2, 3));
  const model = fit("lof", grid, { nNeighbors: 1 });
  for (const v of model.trainingScores) assert.ok(Math.abs(v - 1) < 1e-9);
  // 10's neighbour is 3 at distance 7 (k-distance of 3 is 1): LOF = 7 (up to the 1e-10 guard).
  const [far] = score(model, matrix(1, 1, Float64Array.of(10)));
  assert.ok(Math.abs(far - 7) < 1e-8, `${far}`);
});

test("lof caps k at the other training rows", () => {
  const model = fit("lof", matrix(3, 1, Float64Array.of(0, 1, 5)));
  assert.equal(model.trainingScores.length, 3);
  for (const v of model.trainingScores) assert.ok(Number.isFinite(v));
});
