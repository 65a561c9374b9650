import { test } from "node:test";
import assert from "node:assert/strict";
import { matrix } from "../core/matrix.js";
import { fit } from "./model.js";

test("copod weighs the tail the skewness points to", () => {
  // Right-skewed: the high extreme (100) gets the full right-tail surprisal, the low one (1)
  // only the mean of both tails.
  const m = fit("copod", matrix(5, 1, Float64Array.of(1, 2, 3, 4, 100)));
  assert.ok(Math.abs(m.trainingScores[4] - Math.log(5)) < 1e-12);
  assert.ok(Math.abs(m.trainingScores[0] - Math.log(5) / 2) < 1e-12);
});

test("copod on a constant column adds nothing", () => {
  const m = fit("copod", matrix(4, 1, new Float64Array(4).fill(3)));
  assert.deepEqual(Array.from(m.trainingScores), [0, 0, 0, 0]);
});
