import { test } from "node:test";
import assert from "node:assert/strict";
import { fromRows, matrix } from "../core/matrix.js";
import { fit, score } from "./model.js";
import { hbos } from "./hbos.js";

test("hbos defaults are PyOD's", () => {
  const p = hbos.params.parse({});
  assert.deepEqual(p, { contamination: 0.1, nBins: 10, alpha: 0.1, tol: 0.5 });
});

test("hbos toy: densities, PyOD's right-closed scoring bins, and out-of-range values", () => {
  // Values 0..3 in 3 bins [0,1) [1,2) [2,3]: counts 1, 1, 2 → densities .25, .25, .5.
  // Scoring uses right-closed bins (np.digitize(right=True)): 1 scores in bin 0, 2 in bin 1.
  const model = fit("hbos", matrix(4, 1, Float64Array.of(0, 1, 2, 3)), { nBins: 3 });
  const low = -Math.log2(0.25 + 0.1);
  const high = -Math.log2(0.5 + 0.1);
  assert.deepEqual(Array.from(model.trainingScores), [low, low, low, high]);
  // 3.4 is within tol (0.5 bin widths) of the top edge: last bin. 10 is far: the lowest bin score.
  const s = score(model, matrix(3, 1, Float64Array.of(3.4, 10, -0.4)));
  assert.deepEqual(Array.from(s), [high, low, low]);
});

test("hbos sums independent per-feature scores", () => {
  const X = fromRows([
    [0, 5],
    [1, 6],
    [2, 7],
    [3, 9],
  ]);
  const both = fit("hbos", X, { nBins: 3 });
  const a = fit("hbos", matrix(4, 1, Float64Array.of(0, 1, 2, 3)), { nBins: 3 });
  const b = fit("hbos", matrix(4, 1, Float64Array.of(5, 6, 7, 9)), { nBins: 3 });
  both.trainingScores.forEach((v, i) =>
    assert.ok(Math.abs(v - (a.trainingScores[i] + b.trainingScores[i])) < 1e-12),
  );
});

test("hbos training scores are exactly the training rows scored again (values on bin edges too)", () => {
  // Integers 0..10 in 10 bins put every value on an edge.
  const X = matrix(
    33,
    1,
    Float64Array.from({ length: 33 }, (_, i) => i % 11),
  );
  const model = fit("hbos", X);
  assert.deepEqual(Array.from(model.trainingScores), Array.from(score(model, X)));
  const wide = fromRows(Array.from({ length: 50 }, (_, i) => [i * 0.37, (i * 7) % 5, 3]));
  const m2 = fit("hbos", wide);
  assert.deepEqual(Array.from(m2.trainingScores), Array.from(score(m2, wide)));
});
