/**
 * The contract suite, run over every registered detector: what every detector promises,
 * whatever its algorithm.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { matrix, type Matrix } from "../core/matrix.js";
import { Random } from "../core/random.js";
import { DataError, ModelFormatError, ShapeError } from "../core/errors.js";
import { listDetectors } from "./registry.js";
import { fit, loadModel, predict, predictProba, saveModel, score } from "./model.js";
import { rocAuc } from "../eval/metrics.js";

/** 300 inliers from a correlated Gaussian cloud and 10 planted outliers far from it. */
function plantedData(seed: number): { X: Matrix; labels: Uint8Array } {
  const rng = new Random(seed);
  const n = 310;
  const d = 4;
  const data = new Float64Array(n * d);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const z = rng.normal();
    for (let j = 0; j < d; j++) data[i * d + j] = z + 0.3 * rng.normal();
    if (i >= 300) {
      labels[i] = 1;
      for (let j = 0; j < d; j++) data[i * d + j] = (j % 2 === 0 ? 6 : -6) + rng.normal();
    }
  }
  return { X: matrix(n, d, data), labels };
}

const { X, labels } = plantedData(5);

/**
 * Detectors whose own algorithm does not rank these planted outliers reliably high, with the
 * floor they do promise. lmdd: PyOD's LMDD itself (a NumPy re-statement, one-off) scores this
 * data at ROC AUC 0.754 with random_state 0 and 0.943 with 1: a later outlier scores 0 in every
 * order whose exception is another outlier, so a cluster of outliers masks itself.
 */
const PLANTED_AUC_FLOOR: Record<string, number> = { lmdd: 0.8 };

/**
 * Detectors that cannot promise to rank these planted outliers high, with the reason; they must
 * still give one finite score per row. sgdocsvm is a linear one-class SVM (scikit-learn's
 * SGDOneClassSVM, as PyOD's reference runs it): it scores a row by its projection on one
 * direction w, and on this cloud, centred on the origin, w points at the outliers, which all lie
 * on one side of it, so they score lowest (ROC AUC 0; PyOD's own reference AUCs are 0.12 to 0.97).
 */
const NO_RANKING_PROMISE = new Set(["sgdocsvm"]);

for (const def of listDetectors()) {
  test(`${def.name}: one finite score per row, and planted outliers rank high`, () => {
    const model = fit(def, X);
    assert.equal(model.trainingScores.length, X.rows);
    const scores = score(model, X);
    assert.equal(scores.length, X.rows);
    for (const v of scores) assert.ok(Number.isFinite(v));
    if (NO_RANKING_PROMISE.has(def.name)) return;
    const floor = PLANTED_AUC_FLOOR[def.name] ?? 0.95;
    assert.ok(rocAuc(labels, scores) > floor, `ROC AUC ${rocAuc(labels, scores)}`);
  });

  test(`${def.name}: predict agrees with score > threshold; probabilities in [0, 1]`, () => {
    const model = fit(def, X, { contamination: 0.05 });
    const scores = score(model, X);
    const predicted = predict(model, X);
    scores.forEach((v, i) => assert.equal(predicted[i], v > model.threshold ? 1 : 0));
    for (const method of ["linear", "unify"] as const) {
      for (const p of predictProba(model, X, method)) assert.ok(p >= 0 && p <= 1);
    }
  });

  test(`${def.name}: a row's score does not depend on its batch`, () => {
    const model = fit(def, X);
    const all = score(model, X);
    const some = score(model, matrix(3, X.cols, X.data.slice(10 * X.cols, 13 * X.cols)));
    assert.deepEqual(Array.from(some), Array.from(all.subarray(10, 13)));
  });

  test(`${def.name}: same seed, same scores; save and load round-trips exactly`, () => {
    const a = fit(def, X, { contamination: 0.1 });
    const b = fit(def, X, { contamination: 0.1 });
    assert.deepEqual(Array.from(a.trainingScores), Array.from(b.trainingScores));
    const loaded = loadModel(saveModel(a));
    assert.deepEqual(Array.from(score(loaded, X)), Array.from(score(a, X)));
    assert.equal(loaded.threshold, a.threshold);
  });

  test(`${def.name}: wrong width and non-finite input are clear errors`, () => {
    const model = fit(def, X);
    assert.throws(
      () => score(model, matrix(1, X.cols - 1)),
      (e: unknown) => e instanceof ShapeError && /fit on 4 features, got 3/.test(e.message),
    );
    const bad = X.data.slice(0, X.cols);
    bad[2] = NaN;
    assert.throws(
      () => score(model, matrix(1, X.cols, bad)),
      (e: unknown) => e instanceof DataError && /row 0, feature 2/.test(e.message),
    );
    assert.throws(() => fit(def, matrix(1, X.cols, bad)), DataError);
  });

  test(`${def.name}: constant columns and a single row still work`, () => {
    const constant = matrix(50, 3, new Float64Array(150).fill(2));
    const m = fit(def, constant);
    for (const v of m.trainingScores) assert.ok(Number.isFinite(v));
    const one = fit(def, matrix(1, 3, Float64Array.of(1, 2, 3)));
    assert.equal(one.trainingScores.length, 1);
    assert.ok(Number.isFinite(score(one, matrix(1, 3, Float64Array.of(4, 5, 6)))[0]));
  });

  test(`${def.name}: corrupt saved models are refused with a clear error`, () => {
    const text = saveModel(fit(def, X));
    assert.throws(() => loadModel(text.slice(0, text.length / 2)), ModelFormatError);
    assert.throws(() => loadModel("{}"), /not an anomalog model/);
    const parsed = JSON.parse(text) as Record<string, unknown>;
    assert.throws(
      () => loadModel(JSON.stringify({ ...parsed, version: 99 })),
      /version 99 is not supported/,
    );
    assert.throws(
      () => loadModel(JSON.stringify({ ...parsed, state: {} })),
      (e: unknown) => e instanceof ModelFormatError && /corrupt/.test(e.message),
    );
    assert.throws(
      () =>
        loadModel(
          JSON.stringify({ ...parsed, params: { ...(parsed.params as object), bogus: 1 } }),
        ),
      /bogus/,
    );
  });

  test(`${def.name}: invalid params are refused naming the param`, () => {
    assert.throws(() => fit(def, X, { contamination: 0.9 }), /contamination/);
    assert.throws(() => fit(def, X, { noSuchParam: 1 }), /noSuchParam/);
  });
}
