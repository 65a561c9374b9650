import { test } from "node:test";
import assert from "node:assert/strict";
import { fromRows, matrix, type Matrix } from "../core/matrix.js";
import { Random } from "../core/random.js";
import { DataError } from "../core/errors.js";
import { rocAuc } from "../eval/metrics.js";
import { fit, score } from "./model.js";
import { mcd } from "./mcd.js";

test("mcd defaults are PyOD's (scikit-learn MinCovDet's)", () => {
  assert.deepEqual(mcd.params.parse({}), { contamination: 0.1, supportFraction: null, seed: 0 });
});

test("mcd toy, one feature: shortest half, consistency correction, reweighting by hand", () => {
  // 0..8 and 100: h = ⌈(10 + 1 + 1) / 2⌉ = 6. The shortest intervals over 7 sorted values are
  // [0, 6], [1, 7], [2, 8], so the raw location is (6 + 8 + 10) / 3 / 2 = 4; the 6 rows nearest
  // to it are 1..6 (1 before 7 on the tie), variance 17.5 / 6. The corrected distances leave
  // out only 100, so the final estimate is the mean 4 and variance 60 / 9 of 0..8.
  const X = fromRows([[0], [1], [2], [3], [4], [5], [6], [7], [8], [100]]);
  const [centre, edge, far] = score(fit("mcd", X), fromRows([[4], [0], [100]]));
  assert.ok(Math.abs(centre) < 1e-12, `${centre}`);
  assert.ok(Math.abs(edge - 16 / (60 / 9)) < 1e-12, `${edge}`);
  // Squared, as scikit-learn's mahalanobis and PyOD's MCD scores.
  assert.ok(Math.abs(far - 96 ** 2 / (60 / 9)) < 1e-9, `${far}`);
});

/** A correlated Gaussian cloud with `outliers` rows moved far off its main axis. */
function contaminated(
  n: number,
  outliers: number,
  seed: number,
): { X: Matrix; labels: Uint8Array } {
  const rng = new Random(seed);
  const data = new Float64Array(n * 3);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const z = rng.normal();
    data[i * 3] = z + 0.2 * rng.normal();
    data[i * 3 + 1] = z + 0.2 * rng.normal();
    data[i * 3 + 2] = rng.normal();
    if (i < outliers) {
      labels[i] = 1;
      data[i * 3] = 3 + 0.3 * rng.normal();
      data[i * 3 + 1] = -3 + 0.3 * rng.normal();
    }
  }
  return { X: matrix(n, 3, data), labels };
}

test("mcd resists 20% clustered outliers that pull the plain mean and covariance", () => {
  for (const n of [300, 700, 1600]) {
    // 300: one level of C-steps; 700: subsets pooled on all rows; 1600: on 1500, then all.
    const { X, labels } = contaminated(n, n / 5, n);
    const model = fit("mcd", X);
    const location = (model.state as { location: Float64Array }).location;
    assert.ok(Math.hypot(location[0], location[1]) < 0.15, `n=${n}: location ${location}`);
    assert.ok(rocAuc(labels, model.trainingScores) > 0.999, `n=${n}`);
    // The outliers' cluster lies across the inliers' correlation: far in Mahalanobis terms.
    const [inlier, outlier] = score(
      model,
      fromRows([
        [1, 1, 0],
        [3, -3, 0],
      ]),
    );
    assert.ok(outlier > 100 * inlier, `n=${n}: ${inlier} vs ${outlier}`);
  }
});

test("mcd: same seed, same fit; the score is batch-free and equals the training scores", () => {
  const { X } = contaminated(400, 40, 1);
  const a = fit("mcd", X, { seed: 3 });
  const b = fit("mcd", X, { seed: 3 });
  assert.deepEqual(Array.from(a.trainingScores), Array.from(b.trainingScores));
  assert.deepEqual(Array.from(score(a, X)), Array.from(a.trainingScores));
});

test("mcd: a constant or a collinear feature is set aside: the same scores either way", () => {
  const { X } = contaminated(300, 30, 2);
  const withConstant = new Float64Array(300 * 4);
  const withCombination = new Float64Array(300 * 4);
  for (let i = 0; i < 300; i++) {
    const [x, y, z] = X.data.subarray(i * 3, i * 3 + 3);
    withConstant.set([x, 7, y, z], i * 4);
    withCombination.set([x, x - 2 * y, y, z], i * 4);
  }
  // Both span the same three directions; h and the χ² quantiles count 4 features in both.
  const a = fit("mcd", matrix(300, 4, withConstant)).trainingScores;
  const b = fit("mcd", matrix(300, 4, withCombination)).trainingScores;
  for (let i = 0; i < 300; i++) {
    assert.ok(Math.abs(a[i] - b[i]) <= 1e-8 * (1 + a[i]), `row ${i}: ${a[i]} vs ${b[i]}`);
  }
});

test("mcd: more features than rows, a single row and constant data still score", () => {
  const rng = new Random(5);
  const wide = fit(
    "mcd",
    matrix(
      8,
      20,
      Float64Array.from({ length: 160 }, () => rng.normal()),
    ),
  );
  for (const v of wide.trainingScores) assert.ok(Number.isFinite(v) && v >= 0);
  const constant = fit("mcd", matrix(20, 3, new Float64Array(60).fill(4)));
  assert.deepEqual(Array.from(constant.trainingScores), new Array(20).fill(0));
  const one = fit("mcd", fromRows([[1, 2]]));
  assert.deepEqual(Array.from(score(one, fromRows([[5, 5]]))), [0]);
});

test("mcd: more than half the rows identical is a clear error (scikit-learn raises too)", () => {
  const rows: number[][] = [];
  for (let i = 0; i < 30; i++) rows.push([1, 1]);
  for (let i = 0; i < 10; i++) rows.push([i, 2 * i + (i % 3)]);
  assert.throws(() => fit("mcd", fromRows(rows)), DataError);
});
