import { test } from "node:test";
import assert from "node:assert/strict";
import { matrix, type Matrix } from "../core/matrix.js";
import { Random } from "../core/random.js";
import { fit } from "../detectors/model.js";
import { dedupes, distinctRows, expand, fitDistinct, knnTrainingScoresDistinct } from "./dedupe.js";

/** Category-code-like data: few distinct rows repeated unevenly, with equidistant rows (ties). */
function codedRows(rows: number, cols: number, levels: number, seed: number): Matrix {
  const rng = new Random(seed);
  const data = new Float64Array(rows * cols);
  for (let i = 0; i < data.length; i++) {
    // skewed: level 0 most common, as in logs
    data[i] = Math.floor(levels * rng.float() ** 3);
  }
  return matrix(rows, cols, data);
}

test("distinctRows: each distinct row once in order of appearance, counts and inverse exact", () => {
  const X = matrix(6, 2, Float64Array.from([1, 2, 3, 4, 1, 2, 0, -0, -0, 0, 3, 4]));
  const d = distinctRows(X);
  assert.deepEqual(Array.from(d.X.data), [1, 2, 3, 4, 0, -0]); // as first seen
  assert.deepEqual(Array.from(d.counts), [2, 2, 2]);
  assert.deepEqual(Array.from(d.inverse), [0, 1, 0, 2, 2, 1]);
  assert.deepEqual(Array.from(expand(Float64Array.from([7, 8, 9]), d.inverse)), [7, 8, 7, 9, 9, 8]);
  // With signed zeros, (0, −0) and (−0, 0) are two rows: a distinct row is its copies to the bit.
  const signed = distinctRows(X, true);
  assert.deepEqual(Array.from(signed.X.data), [1, 2, 3, 4, 0, -0, -0, 0]);
  assert.ok(Object.is(signed.X.data[5], -0) && Object.is(signed.X.data[6], -0));
  assert.deepEqual(Array.from(signed.inverse), [0, 1, 0, 2, 3, 1]);
  assert.deepEqual(Array.from(signed.counts), [2, 2, 1, 1]);
});

for (const method of ["largest", "mean", "median"] as const) {
  for (const k of [1, 4, 5, 35]) {
    test(`knn ${method}, k=${k}, on distinct rows = knn on all rows, bit for bit`, async () => {
      const X = codedRows(3000, 3, 6, k);
      const d = distinctRows(X);
      assert.ok(d.X.rows < 200, "the data are mostly duplicates");
      const naive = fit("knn", X, { nNeighbors: k, method, contamination: 0.01 });
      const reply = await fitDistinct(d, "knn", naive.params);
      assert.ok(reply?.ok);
      if (!reply?.ok) return;
      assert.deepEqual(reply.trainingScores, naive.trainingScores);
      assert.equal(reply.threshold, naive.threshold);
    });
  }
}

test("knn on distinct rows: rows rarer than k reach past their copies; one distinct row scores 0", async () => {
  // Row (0) five times, row (3) once, row (10) once: k = 3.
  const X = matrix(7, 1, Float64Array.from([0, 0, 0, 0, 0, 3, 10]));
  const d = distinctRows(X);
  const scores = await knnTrainingScoresDistinct(d, 3, "largest");
  assert.deepEqual(Array.from(scores), Array.from(fit("knn", X, { nNeighbors: 3 }).trainingScores));
  assert.deepEqual(Array.from(scores), [0, 0, 0, 0, 0, 3, 10]);
  const same = distinctRows(matrix(4, 1, Float64Array.from([2, 2, 2, 2])));
  assert.deepEqual(Array.from(await knnTrainingScoresDistinct(same, 5, "mean")), [0, 0, 0, 0]);
});

for (const k of [1, 5, 35, 60]) {
  test(`lof, k=${k}, on distinct rows = lof on all rows, bit for bit (many tied distances)`, async () => {
    // Integer codes: distances are square roots of small integers, so ties are everywhere.
    const X = codedRows(4000, 3, 7, 100 + k);
    const d = distinctRows(X);
    const naive = fit("lof", X, { nNeighbors: k, contamination: 0.01 });
    const reply = await fitDistinct(d, "lof", naive.params);
    assert.ok(reply?.ok);
    if (!reply?.ok) return;
    assert.deepEqual(reply.trainingScores, naive.trainingScores);
    assert.equal(reply.threshold, naive.threshold);
  });
}

test("lof on distinct rows: a few rows rarer than k among ties, mixed multiplicities", async () => {
  // Rows on a line at equal spacing: each interior row has two neighbours at every distance.
  const values: number[] = [];
  for (let v = 0; v < 12; v++) for (let c = 0; c < 1 + (v % 4); c++) values.push(v);
  values.reverse(); // copies of tied rows interleave by index in a different order
  const X = matrix(values.length, 1, Float64Array.from(values));
  for (const k of [2, 3, 6, 11]) {
    const naive = fit("lof", X, { nNeighbors: k });
    const reply = await fitDistinct(distinctRows(X), "lof", naive.params);
    assert.ok(reply?.ok);
    if (reply?.ok) assert.deepEqual(reply.trainingScores, naive.trainingScores, `k=${k}`);
  }
});

test("knn and lof take the distinct-row path unless they ask for approximate neighbours", () => {
  assert.equal(dedupes("knn", { neighbours: "exact" }), true);
  assert.equal(dedupes("lof", {}), true);
  assert.equal(dedupes("knn", { neighbours: "approximate" }), false);
  assert.equal(dedupes("lof", { neighbours: "approximate" }), false);
  assert.equal(dedupes("iforest", {}), false);
});
