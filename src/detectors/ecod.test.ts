import { test } from "node:test";
import assert from "node:assert/strict";
import { matrix } from "../core/matrix.js";
import { fit, score } from "./model.js";

const X = matrix(5, 1, Float64Array.of(1, 2, 3, 4, 100));
const close = (a: number, b: number): boolean => Math.abs(a - b) < 1e-12;

test("ecod toy: both tails count; training rows are ranked among themselves", () => {
  const m = fit("ecod", X);
  // Right-skewed column: score = max(left, right) surprisal = −log(k/5) for the rarer tail.
  const expected = [Math.log(5), Math.log(5 / 2), Math.log(5 / 3), Math.log(5 / 2), Math.log(5)];
  m.trainingScores.forEach((v, i) => assert.ok(close(v, expected[i]), `row ${i}: ${v}`));
});

test("ecod scores a new row as if appended alone to the training data", () => {
  const m = fit("ecod", X);
  const [far, inside] = score(m, matrix(2, 1, Float64Array.of(200, 3)));
  assert.ok(close(far, Math.log(6))); // 1 of 6 values >= 200
  assert.ok(close(inside, Math.log(6 / 4))); // 4 of 6 values <= 3 and 4 of 6 >= 3
});
