import { test } from "node:test";
import assert from "node:assert/strict";
import { matrix } from "../core/matrix.js";
import { fit, score } from "./model.js";
import { cblof, largeClusters } from "./cblof.js";

test("cblof defaults are PyOD's (KMeans with scikit-learn 1.2's 10 restarts)", () => {
  assert.deepEqual(cblof.params.parse({}), {
    contamination: 0.1,
    nClusters: 8,
    alpha: 0.9,
    beta: 5,
    useWeights: false,
    nInit: 10,
    seed: 0,
  });
  assert.throws(() => fit("cblof", matrix(2, 1), { beta: 1 }), /beta/);
  assert.throws(() => fit("cblof", matrix(2, 1), { alpha: 1 }), /alpha/);
});

const split = (sizes: number[], rows: number) =>
  Array.from(largeClusters(Int32Array.from(sizes), rows, 0.9, 5));

test("cblof cut: first position meeting both alpha and beta", () => {
  // 45 + 45 = 90 rows reach alpha at the second cluster, and 45 / 5 >= 5.
  assert.deepEqual(split([5, 45, 5, 45], 100), [0, 1, 0, 1]);
});

test("cblof cut: alpha alone is preferred to beta alone", () => {
  // beta holds after the first cluster (60 / 10), alpha only after the fourth (90 rows).
  assert.deepEqual(split([60, 10, 10, 10, 10], 100), [1, 1, 1, 1, 0]);
  // Neither cut meets both; alpha first holds at the third (50 + 30 + 12 = 92).
  assert.deepEqual(split([50, 30, 12, 5, 3], 100), [1, 1, 1, 0, 0]);
});

test("cblof cut: equal sizes keep index order; empty clusters", () => {
  // Sorted 40 (index 1), 4 (index 0), 4 (index 2): beta holds at the first cut (40 / 4), alpha
  // (43.2 of 48 rows) at the second, which splits the two 4s by index.
  assert.deepEqual(split([4, 40, 4], 48), [1, 1, 0]);
  // An empty cluster between others: the ratio 4 / 0 is infinite and passes.
  assert.deepEqual(split([6, 0, 4], 10), [1, 0, 1]);
  // Trailing empty clusters take no part (PyOD counts clusters by bincount): no valid cut, all
  // counted clusters large.
  assert.deepEqual(split([5, 5, 0, 0], 10), [1, 1, 0, 0]);
  // One cluster: PyOD raises; ours count it large.
  assert.deepEqual(split([7], 7), [1]);
});

test("cblof scores: own centre for large clusters, nearest large centre for small ones", () => {
  // Three groups of identical values: 45 at 0, 45 at 100, 10 at 60. Sizes 45, 45, 10: alpha
  // holds at the second cluster but 45 / 10 < 5, so {0, 100} are large and {60} small.
  const values = [
    ...new Array<number>(45).fill(0),
    ...new Array<number>(45).fill(100),
    ...new Array<number>(10).fill(60),
  ];
  const X = matrix(100, 1, Float64Array.from(values));
  const model = fit("cblof", X, { nClusters: 3 });
  assert.equal(model.trainingScores[0], 0);
  assert.equal(model.trainingScores[50], 0);
  assert.equal(model.trainingScores[95], 40);
  // 70 is nearest to the small cluster's centre 60, so it is measured to the large centre 100;
  // 90 belongs to the large cluster at 100.
  assert.deepEqual(
    Array.from(score(model, matrix(3, 1, Float64Array.of(70, 90, -5)))),
    [30, 10, 5],
  );
  const weighted = fit("cblof", X, { nClusters: 3, useWeights: true });
  assert.equal(weighted.trainingScores[95], 400); // 40 × 10 rows
  assert.deepEqual(Array.from(score(weighted, matrix(1, 1, Float64Array.of(90)))), [450]);
});

test("cblof: fewer rows than clusters, duplicates and constant data", () => {
  const few = fit("cblof", matrix(3, 2, Float64Array.of(0, 0, 1, 1, 5, 5)));
  for (const v of few.trainingScores) assert.ok(Number.isFinite(v));
  assert.equal((few.state as { large: Int32Array }).large.length, 3);
  const constant = fit("cblof", matrix(30, 2, new Float64Array(60).fill(4)));
  for (const v of constant.trainingScores) assert.equal(v, 0);
  assert.deepEqual(Array.from(score(constant, matrix(1, 2, Float64Array.of(7, 8)))), [5]);
});

test("cblof training scores (from the clustering's labels) are the training rows' scores", () => {
  // Blobs of unequal sizes, so that some clusters are small and their rows are scored against
  // the nearest large centre; with and without weights.
  let state = 5;
  const next = () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648 - 0.5;
  const sizes = [400, 300, 200, 30, 12, 6];
  const rows = sizes.reduce((a, b) => a + b, 0);
  const data = new Float64Array(rows * 3);
  let r = 0;
  sizes.forEach((size, b) => {
    for (let i = 0; i < size; i++, r++)
      for (let j = 0; j < 3; j++) data[r * 3 + j] = b * 4 + (j === b % 3 ? 2 : 0) + next();
  });
  const X = matrix(rows, 3, data);
  for (const useWeights of [false, true]) {
    const model = fit("cblof", X, { useWeights, nClusters: 6 });
    const large = (model.state as { large: Int32Array }).large;
    assert.ok(large.includes(0) && large.includes(1), `large ${Array.from(large)}`);
    assert.deepEqual(Array.from(model.trainingScores), Array.from(score(model, X)));
  }
});
