import { test } from "node:test";
import assert from "node:assert/strict";
import { matrix } from "../core/matrix.js";
import { Random } from "../core/random.js";
import { fit, score } from "./model.js";
import { inne, sampleSize } from "./inne.js";

test("inne defaults are PyOD's", () => {
  assert.deepEqual(inne.params.parse({}), {
    contamination: 0.1,
    nEstimators: 200,
    maxSamples: "auto",
    seed: 0,
  });
});

test("inne sample size: auto = min(8, rows); fractions; counts capped at the rows", () => {
  assert.equal(sampleSize("auto", 100), 8);
  assert.equal(sampleSize("auto", 5), 5);
  assert.equal(sampleSize(0.25, 100), 25);
  assert.equal(sampleSize(0.001, 100), 1);
  assert.equal(sampleSize(1, 100), 100);
  assert.equal(sampleSize(16, 100), 16);
  assert.equal(sampleSize(500, 100), 100);
  assert.throws(() => sampleSize(2.5, 100), /fraction in \(0, 1\] or a whole count/);
});

/**
 * Centres 0, 1, 3, 10 (every row drawn, so every member is the same): squared radii 1, 1, 4, 49
 * (nearest centres 1, 0, 1, 3), isolation scores 0, 0, 1 − 1/4, 1 − 4/49.
 */
const line = matrix(4, 1, Float64Array.of(0, 1, 3, 10));

test("inne: hypersphere radii and isolation scores by hand", () => {
  for (const nEstimators of [1, 50]) {
    const model = fit("inne", line, { maxSamples: 4, nEstimators });
    const near = (a: number, b: number) => Math.abs(a - b) < 1e-12;
    const expected = [0, 0, 0.75, 45 / 49];
    model.trainingScores.forEach((v, i) => assert.ok(near(v, expected[i]), `row ${i}: ${v}`));
    // 2 lies in the sphere of 1 (radius² 1), the smallest covering it; 6 only in that of 10
    // (16 <= 49); 3 also lies exactly on the boundary of 10's sphere but its own is smaller;
    // 20 is covered by none and scores 1.
    const s = score(model, matrix(4, 1, Float64Array.of(2, 6, 3, 20)));
    [0, 45 / 49, 0.75, 1].forEach((e, i) => assert.ok(near(s[i], e), `query ${i}: ${s[i]}`));
  }
});

test("inne: coincident centres have radius 0 and score 0; rows on them are covered", () => {
  const X = matrix(4, 2, Float64Array.of(5, 5, 5, 5, 5, 5, 5, 5));
  const model = fit("inne", X, { maxSamples: 4, nEstimators: 3 });
  assert.deepEqual(Array.from(model.trainingScores), [0, 0, 0, 0]);
  assert.deepEqual(Array.from(score(model, matrix(1, 2, Float64Array.of(5, 5.001)))), [1]);
});

test("inne: one training row gives one all-covering sphere (PyOD: NaN), score 0", () => {
  const model = fit("inne", matrix(1, 2, Float64Array.of(1, 2)));
  assert.deepEqual(Array.from(model.trainingScores), [0]);
  assert.deepEqual(Array.from(score(model, matrix(1, 2, Float64Array.of(100, -3)))), [0]);
});

test("inne: scores lie in [0, 1]; a far row scores 1; seeds draw different samples", () => {
  const rng = new Random(3);
  const X = matrix(
    500,
    3,
    Float64Array.from({ length: 1500 }, () => rng.normal()),
  );
  const a = fit("inne", X, { seed: 1 });
  const b = fit("inne", X, { seed: 2 });
  for (const v of a.trainingScores) assert.ok(v >= 0 && v <= 1);
  assert.notDeepEqual(Array.from(a.trainingScores), Array.from(b.trainingScores));
  assert.deepEqual(Array.from(score(a, matrix(1, 3, Float64Array.of(50, 50, 50)))), [1]);
});

/** The rows of `X` with `extra` zero features appended (wide rows take the product path). */
function widen(X: ReturnType<typeof matrix>, extra: number) {
  const d = X.cols + extra;
  const out = matrix(X.rows, d);
  for (let i = 0; i < X.rows; i++)
    for (let j = 0; j < X.cols; j++) out.data[i * d + j] = X.data[i * X.cols + j];
  return out;
}

test("inne: wide rows (distances from one product) give the same answers, boundaries exact", () => {
  const model = fit("inne", widen(line, 11), { maxSamples: 4, nEstimators: 5 });
  const expected = [0, 0, 0.75, 45 / 49];
  model.trainingScores.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-12));
  // 3 sits exactly on the boundary of 10's sphere (7² = 49 = its radius²): still covered, by its
  // own smaller sphere first; 17 sits exactly on 10's boundary alone, so 10's score.
  const s = score(model, widen(matrix(3, 1, Float64Array.of(3, 17, 17.0001)), 11));
  [0.75, 45 / 49, 1].forEach((e, i) => assert.ok(Math.abs(s[i] - e) < 1e-12, `${i}: ${s[i]}`));
  // Coincident centres: radius 0, and rows on them are covered although the product's
  // rounding would put them a hair outside.
  const X = matrix(
    4,
    12,
    Float64Array.from({ length: 48 }, (_, x) => 0.1 + (x % 12) / 7),
  );
  const same = fit("inne", X, { maxSamples: 4, nEstimators: 3 });
  assert.deepEqual(Array.from(same.trainingScores), [0, 0, 0, 0]);
});
