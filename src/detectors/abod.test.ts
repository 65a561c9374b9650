import { test } from "node:test";
import assert from "node:assert/strict";
import { fromRows, matrix } from "../core/matrix.js";
import { Random } from "../core/random.js";
import { fit, score } from "./model.js";
import { abod } from "./abod.js";

test("abod defaults are PyOD's", () => {
  assert.deepEqual(abod.params.parse({}), { contamination: 0.1, nNeighbors: 5 });
});

test("abod toy: minus the population variance of the weighted cosines", () => {
  // Query c = (0, 0); its 3 nearest training rows a = (1, 0), b = (0, 2), e = (−1, −1).
  // Weighted cosines ⟨u, v⟩ / (‖u‖² ‖v‖²): (a, b) 0; (a, e) −1 / (1·2) = −1/2; (b, e) −2 / (4·2) = −1/4.
  // Mean −1/4; population variance (1/16 + 1/16 + 0) / 3 = 1/24.
  const train = fromRows([
    [1, 0],
    [0, 2],
    [-1, -1],
    [50, 50],
  ]);
  const model = fit("abod", train, { nNeighbors: 3 });
  const [s] = score(model, fromRows([[0, 0]]));
  assert.ok(Math.abs(s - -1 / 24) < 1e-15, `${s}`);
});

test("abod: a training row is among its own neighbours, so training scores = scoring the rows again", () => {
  const rng = new Random(3);
  const X = matrix(
    40,
    3,
    Float64Array.from({ length: 120 }, () => rng.normal()),
  );
  const model = fit("abod", X);
  assert.deepEqual(Array.from(model.trainingScores), Array.from(score(model, X)));
  // With k = 3 a training row pairs only its 2 nearest others: one angle, variance 0.
  for (const v of fit("abod", X, { nNeighbors: 3 }).trainingScores) assert.equal(v, 0);
});

test("abod: a point outside the data sees its neighbours in a narrow cone", () => {
  const rng = new Random(7);
  const X = matrix(
    200,
    2,
    Float64Array.from({ length: 400 }, () => rng.normal()),
  );
  const model = fit("abod", X);
  const [centre, outside] = score(
    model,
    fromRows([
      [0, 0],
      [8, 8],
    ]),
  );
  assert.ok(outside > centre, `outside ${outside}, centre ${centre}`);
});

test("abod: neighbours equal to the row form no angle; none left scores 0", () => {
  // The query duplicates two training rows: only the pair of the other two forms an angle.
  const train = fromRows([
    [0, 0],
    [0, 0],
    [1, 0],
    [0, 1],
  ]);
  const model = fit("abod", train, { nNeighbors: 3 });
  assert.equal(score(model, fromRows([[0, 0]]))[0], 0); // one angle: variance 0
  // Every neighbour a duplicate (PyOD: NaN from an empty variance).
  const dup = fit(
    "abod",
    fromRows([
      [2, 2],
      [2, 2],
      [2, 2],
      [2, 2],
      [9, 9],
    ]),
    { nNeighbors: 3 },
  );
  assert.equal(score(dup, fromRows([[2, 2]]))[0], 0);
  for (const v of dup.trainingScores) assert.ok(Number.isFinite(v));
});

test("abod: fewer rows than neighbours, constant data and a single row still score", () => {
  const three = fit("abod", fromRows([[0], [1], [3]]));
  // k capped at 2: itself and one other, no pair.
  assert.deepEqual(Array.from(three.trainingScores), [0, 0, 0]);
  const constant = fit("abod", matrix(10, 2, new Float64Array(20).fill(4)));
  assert.deepEqual(Array.from(constant.trainingScores), new Array(10).fill(0));
  const single = fit("abod", fromRows([[1, 2]]));
  assert.deepEqual(Array.from(score(single, fromRows([[0, 0]]))), [0]);
});

test("abod: a row's score does not depend on its batch", () => {
  const rng = new Random(11);
  const X = matrix(
    60,
    4,
    Float64Array.from({ length: 240 }, () => rng.normal()),
  );
  const Q = matrix(
    30,
    4,
    Float64Array.from({ length: 120 }, () => rng.normal()),
  );
  const model = fit("abod", X);
  const all = score(model, Q);
  const part = score(model, matrix(5, 4, Q.data.slice(8, 28)));
  assert.deepEqual(Array.from(part), Array.from(all.subarray(2, 7)));
});
