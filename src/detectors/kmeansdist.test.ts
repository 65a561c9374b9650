import { test } from "node:test";
import assert from "node:assert/strict";
import { matrix, type Matrix } from "../core/matrix.js";
import { Random } from "../core/random.js";
import { fit, predict, score, trainingLabels } from "./model.js";
import { kmeansdist } from "./kmeansdist.js";

test("kmeansdist defaults are the notebook's", () => {
  assert.deepEqual(kmeansdist.params.parse({}), {
    contamination: 0.1,
    nClusters: 6,
    factor: 3,
    nInit: 1,
    seed: 0,
  });
});

test("kmeansdist toy: distance over (cluster's distance sum / all rows), flagged above 3", () => {
  // Clusters {−1, 0, 1} and {9, 10, 11}: centres 0 and 10, each cluster's distances sum to 2,
  // over 6 rows: both thresholds 1/3.
  const X = matrix(6, 1, Float64Array.of(-1, 0, 1, 9, 10, 11));
  const m = fit("kmeansdist", X, { nClusters: 2 });
  assert.deepEqual(
    Array.from(m.trainingScores).map((v) => Math.round(v * 1e12) / 1e12),
    [3, 0, 3, 3, 0, 3],
  );
  assert.equal(m.threshold, 3);
  // Distance 1 is not above 3 × 1/3: nothing flagged in training.
  assert.deepEqual(Array.from(trainingLabels(m)), [0, 0, 0, 0, 0, 0]);
  const probe = matrix(3, 1, Float64Array.of(0.5, 12, 5.5));
  const s = score(m, probe);
  // 0.5 → 0.5 / (1/3); 12 → 2 / (1/3); 5.5 is nearer 10 (4.5) than 0 (5.5).
  [1.5, 6, 13.5].forEach((v, i) => assert.ok(Math.abs(s[i] - v) < 1e-12, `${i}: ${s[i]}`));
  assert.deepEqual(Array.from(predict(m, probe)), [0, 1, 1]);
});

/**
 * The notebook's cell, transcribed: distances to every centre, zeroed except the row's own
 * cluster, averaged per centre over all rows; flag any distance above k × its centre's mean.
 */
function notebookFlags(centres: Float64Array, X: Matrix, k: number): number[] {
  const { rows: n, cols: d, data } = X;
  const clusters = centres.length / d;
  const distances = Array.from({ length: n }, (_, i) =>
    Array.from({ length: clusters }, (_, c) => {
      let s = 0;
      for (let j = 0; j < d; j++) s += (data[i * d + j] - centres[c * d + j]) ** 2;
      return Math.sqrt(s);
    }),
  );
  for (const row of distances) {
    const own = row.indexOf(Math.min(...row));
    row.forEach((_, c) => (row[c] = c === own ? row[c] : 0));
  }
  const thresholds = Array.from(
    { length: clusters },
    (_, c) => distances.reduce((s, row) => s + row[c], 0) / n,
  );
  return distances.map((row) => (row.some((v, c) => v > k * thresholds[c]) ? 1 : 0));
}

test("kmeansdist's training labels are the notebook's rule applied to the training rows", () => {
  const rng = new Random(7);
  const n = 600;
  const d = 3;
  const data = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    const centre = (i % 3) * 6;
    const spread = i % 50 === 0 ? 6 : 1; // a few wide rows
    for (let j = 0; j < d; j++) data[i * d + j] = centre + spread * rng.normal();
  }
  const X = matrix(n, d, data);
  // Three clusters for three groups, so that no wide row gets a centre to itself (see the
  // singleton test below).
  const m = fit("kmeansdist", X, { seed: 3, nClusters: 3 });
  const expected = notebookFlags((m.state as { centres: Float64Array }).centres, X, 3);
  assert.deepEqual(Array.from(trainingLabels(m)), expected);
  assert.ok(expected.some((v) => v === 1));
  // With factor null, labels follow contamination like every other detector.
  const byShare = fit("kmeansdist", X, {
    seed: 3,
    nClusters: 3,
    factor: null,
    contamination: 0.05,
  });
  const flagged = trainingLabels(byShare).reduce((s, v) => s + v, 0);
  assert.ok(Math.abs(flagged - 30) <= 1, `${flagged}`);
});

test("kmeansdist floors a zero threshold: duplicated rows score finite, any distance is flagged", () => {
  const X = matrix(5, 2, Float64Array.of(1, 1, 1, 1, 1, 1, 1, 1, 1, 1));
  const m = fit("kmeansdist", X);
  assert.deepEqual(Array.from(m.trainingScores), [0, 0, 0, 0, 0]);
  const [far] = score(m, matrix(1, 2, Float64Array.of(1, 1.001)));
  assert.ok(Number.isFinite(far) && far > 3);
});

test("kmeansdist: a row alone in its cluster sits on its centre and is not flagged", () => {
  // Exact arithmetic gives it distance 0 and threshold 0; the notebook's flag (distance > 0) then
  // depends on rounding, ours counts rounding-level distances as on the centre.
  const X = matrix(7, 1, Float64Array.of(0, 0.5, 1, 10, 10.5, 11, 100));
  const m = fit("kmeansdist", X, { nClusters: 3 });
  assert.ok(m.trainingScores[6] < 1, `${m.trainingScores[6]}`);
  assert.equal(trainingLabels(m)[6], 0);
});
