import { test } from "node:test";
import assert from "node:assert/strict";
import { fromRows, matrix } from "../core/matrix.js";
import { Random } from "../core/random.js";
import { DataError, ParamError } from "../core/errors.js";
import { fit, score } from "./model.js";
import { gmm } from "./gmm.js";

const LOG_2PI = Math.log(2 * Math.PI);

test("gmm defaults are PyOD's (scikit-learn GaussianMixture's)", () => {
  assert.deepEqual(gmm.params.parse({}), {
    contamination: 0.1,
    nComponents: 1,
    tol: 1e-3,
    regCovar: 1e-6,
    maxIter: 100,
    nInit: 1,
    seed: 0,
  });
});

test("gmm toy: one component on ±1 is N(0, 1); the score is −log density", () => {
  const m = fit("gmm", fromRows([[-1], [1]]), { regCovar: 0 });
  const [atMean, atTwo] = score(m, fromRows([[0], [2]]));
  assert.ok(Math.abs(atMean - 0.5 * LOG_2PI) < 1e-14, `${atMean}`);
  assert.ok(Math.abs(atTwo - (0.5 * LOG_2PI + 2)) < 1e-14, `${atTwo}`);
  // regCovar is added to the variance: N(0, 1 + 0.5).
  const r = fit("gmm", fromRows([[-1], [1]]), { regCovar: 0.5 });
  const [v] = score(r, fromRows([[3]]));
  assert.ok(Math.abs(v - (0.5 * (LOG_2PI + Math.log(1.5)) + 9 / 3)) < 1e-14);
});

test("gmm with one component: −log N(x | sample mean, sample covariance + regCovar·I)", () => {
  // Rows (±1, ±1) and (0, ±2): mean 0, covariance diag(4/6, 12/6) + 1e-6.
  const X = fromRows([
    [1, 1],
    [-1, 1],
    [1, -1],
    [-1, -1],
    [0, 2],
    [0, -2],
  ]);
  const [v] = score(fit("gmm", X), fromRows([[1, 2]]));
  const a = 4 / 6 + 1e-6;
  const b = 12 / 6 + 1e-6;
  const expected = LOG_2PI + 0.5 * Math.log(a * b) + 0.5 * (1 / a + 4 / b);
  assert.ok(Math.abs(v - expected) < 1e-12, `${v} vs ${expected}`);
});

test("gmm with two components finds two separated clusters", () => {
  const rng = new Random(2);
  const rows: number[][] = [];
  for (let i = 0; i < 150; i++) rows.push([rng.normal() - 8, rng.normal()]);
  for (let i = 0; i < 50; i++) rows.push([rng.normal() + 8, rng.normal()]);
  const X = fromRows(rows);
  const two = fit("gmm", X, { nComponents: 2 });
  const one = fit("gmm", X);
  const probes = fromRows([
    [-8, 0],
    [8, 0],
    [0, 0],
  ]);
  const [left, right, between] = score(two, probes);
  // Each centre is likely under the mixture, the gap between them is not.
  assert.ok(between > left + 20 && between > right + 20, `${left} ${right} ${between}`);
  // The larger cluster is denser in probability: lower score at its centre.
  assert.ok(left < right);
  // A single Gaussian spread over both clusters rates the gap as normal.
  const [, , betweenOne] = score(one, probes);
  assert.ok(betweenOne < between);
  const { logConstants } = two.state as { logConstants: Float64Array };
  assert.equal(logConstants.length, 2);
});

test("gmm: one component does not depend on the seed; several are seeded", () => {
  const rng = new Random(6);
  const X = matrix(
    120,
    3,
    Float64Array.from({ length: 360 }, () => rng.normal()),
  );
  assert.deepEqual(
    Array.from(fit("gmm", X, { seed: 1 }).trainingScores),
    Array.from(fit("gmm", X, { seed: 99 }).trainingScores),
  );
  const a = fit("gmm", X, { nComponents: 3, seed: 4 });
  const b = fit("gmm", X, { nComponents: 3, seed: 4 });
  assert.deepEqual(Array.from(a.trainingScores), Array.from(b.trainingScores));
});

test("gmm: bad input gives clear errors, or the documented regularised fallback", () => {
  const X = fromRows([
    [1, 5],
    [2, 5],
    [4, 5],
  ]);
  assert.throws(() => fit("gmm", X, { nComponents: 4 }), ParamError);
  // A constant feature has zero variance: positive definite only through regCovar.
  assert.throws(() => fit("gmm", X, { regCovar: 0 }), DataError);
  const m = fit("gmm", X);
  for (const v of m.trainingScores) assert.ok(Number.isFinite(v));
  // A duplicated feature: singular covariance, positive definite only through regCovar.
  const duplicated = fromRows([
    [1, 1, 0],
    [2, 2, 1],
    [4, 4, 0],
    [3, 3, 2],
  ]);
  assert.throws(() => fit("gmm", duplicated, { regCovar: 0 }), /not positive definite/);
  for (const v of fit("gmm", duplicated).trainingScores) assert.ok(Number.isFinite(v));
  // More features than rows: the covariance is singular, regCovar keeps it invertible.
  const rng = new Random(1);
  const wide = matrix(
    5,
    12,
    Float64Array.from({ length: 60 }, () => rng.normal()),
  );
  for (const v of fit("gmm", wide).trainingScores) assert.ok(Number.isFinite(v));
});

test("gmm: a saved model whose covariance factor is not lower-triangular is refused", async () => {
  const { loadModel, saveModel } = await import("./model.js");
  const { decodeJson, encodeJson } = await import("./serialize.js");
  const rng = new Random(4);
  const X = fromRows(Array.from({ length: 60 }, () => [rng.normal(), rng.normal(), rng.normal()]));
  const text = saveModel(fit(gmm, X, { nComponents: 2 }));
  assert.equal(loadModel(text).detector, "gmm"); // as fitted: accepted
  const raw = decodeJson(text) as { state: { whitening: Float64Array } };
  raw.state.whitening[1] = 0.5; // row 0, column 1 of the first factor: above the diagonal
  assert.throws(() => loadModel(encodeJson(raw)), /lower-triangular/);
});
