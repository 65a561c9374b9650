import { test } from "node:test";
import assert from "node:assert/strict";
import { matrix, type Matrix } from "../core/matrix.js";
import { Random } from "../core/random.js";
import { ParamError } from "../core/errors.js";
import { fit, loadModel, saveModel, score } from "./model.js";
import { describeParams, getDetector } from "./registry.js";
import { fitAsync, scoreAsync } from "./parallel.js";
import { rocAuc } from "../eval/metrics.js";

/** A Gaussian cloud with `outliers` rows scattered far from it (the last ones). */
function planted(rows: number, outliers: number, seed: number): { X: Matrix; labels: Uint8Array } {
  const rng = new Random(seed);
  const d = 5;
  const data = new Float64Array(rows * d);
  const labels = new Uint8Array(rows);
  for (let i = 0; i < rows; i++) {
    const far = i >= rows - outliers;
    labels[i] = far ? 1 : 0;
    for (let j = 0; j < d; j++)
      data[i * d + j] = far ? (rng.float() < 0.5 ? -1 : 1) * rng.uniform(6, 20) : rng.normal();
  }
  return { X: matrix(rows, d, data), labels };
}

const cases = [
  { detector: "knn", params: {} },
  { detector: "knn", params: { method: "mean", nNeighbors: 10 } },
  { detector: "lof", params: {} },
];

test("neighbours is a documented param of knn and lof, exact by default", () => {
  for (const name of ["knn", "lof"]) {
    const doc = describeParams(getDetector(name)).find((p) => p.name === "neighbours");
    assert.ok(doc !== undefined, name);
    assert.equal(doc.default, "exact");
    assert.equal(doc.type, '"exact" | "approximate"');
    assert.match(doc.description, /approximate/);
    assert.equal(fit(name, planted(40, 2, 1).X).params.neighbours, "exact");
  }
  assert.throws(() => fit("knn", planted(40, 2, 1).X, { neighbours: "fast" }), ParamError);
});

test("approximate knn and lof equal exact where the graph search is exhaustive", () => {
  // 30 training rows, expansionSearch 32: every row is measured (approximate-neighbors.test.ts).
  const { X } = planted(30, 2, 2);
  const Q = planted(12, 3, 3).X;
  for (const { detector, params } of cases) {
    const exact = fit(detector, X, params);
    const approximate = fit(detector, X, { ...params, neighbours: "approximate" });
    assert.deepEqual(approximate.trainingScores, exact.trainingScores, detector);
    assert.deepEqual(score(approximate, Q), score(exact, Q), detector);
  }
});

test("approximate knn and lof: outliers rank high, scores batch-invariant, save/load identical", async () => {
  const { X, labels } = planted(6_000, 60, 4);
  const Q = planted(500, 25, 5);
  for (const { detector, params } of cases) {
    const model = fit(detector, X, { ...params, neighbours: "approximate" });
    assert.ok(rocAuc(labels, model.trainingScores) > 0.99, detector);
    const scores = score(model, Q.X);
    assert.ok(rocAuc(Q.labels, scores) > 0.99, detector);
    // One row at a time gives the batch's scores.
    for (const i of [0, 17, 499]) {
      const one = score(model, matrix(1, 5, Q.X.data.subarray(i * 5, i * 5 + 5)));
      assert.equal(one[0], scores[i]);
    }
    // A saved model keeps only the training rows; the loaded one rebuilds the same graph.
    const loaded = loadModel(saveModel(model));
    assert.equal(loaded.params.neighbours, "approximate");
    assert.deepEqual(score(loaded, Q.X), scores);
    assert.deepEqual(score(loaded, X), score(model, X));
    // fitAsync / scoreAsync do not send approximate searches to the pool: same numbers.
    const viaAsync = await fitAsync(detector, X, { ...params, neighbours: "approximate" });
    assert.deepEqual(viaAsync.trainingScores, model.trainingScores);
    assert.deepEqual(await scoreAsync(loaded, X), score(model, X));
  }
});

test("an exact model's state holds what it held before the param existed", () => {
  const { X } = planted(50, 2, 6);
  for (const detector of ["knn", "lof"]) {
    const model = fit(detector, X);
    const saved = JSON.parse(saveModel(model)) as { state: Record<string, unknown> };
    assert.deepEqual(
      Object.keys(saved.state).sort(),
      detector === "knn" ? ["train"] : ["density", "kDistance", "train"],
    );
    // A model saved without the param (as before it existed) loads as exact.
    const old = JSON.parse(saveModel(model)) as { params: Record<string, unknown> };
    delete old.params.neighbours;
    assert.equal(loadModel(JSON.stringify(old)).params.neighbours, "exact");
  }
});
