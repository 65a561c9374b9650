import { test } from "node:test";
import assert from "node:assert/strict";
import { matrix } from "../core/matrix.js";
import { Random } from "../core/random.js";
import { fit, score } from "./model.js";
import { averagePathLength, iforest } from "./iforest.js";

test("iforest defaults are PyOD's / scikit-learn's", () => {
  assert.deepEqual(iforest.params.parse({}), {
    contamination: 0.1,
    nEstimators: 100,
    maxSamples: "auto",
    maxFeatures: 1,
    bootstrap: false,
    seed: 0,
  });
});

test("average path length c(n) of Liu et al. 2008", () => {
  assert.equal(averagePathLength(1), 0);
  assert.equal(averagePathLength(2), 1);
  assert.ok(Math.abs(averagePathLength(256) - 10.244770920119917) < 1e-12);
});

test("iforest isolates a far point quickly: score well above 0.5, inliers below", () => {
  const rng = new Random(9);
  const X = matrix(
    400,
    2,
    Float64Array.from({ length: 800 }, () => rng.normal()),
  );
  const m = fit("iforest", X);
  const [outlier, inlier] = score(m, matrix(2, 2, Float64Array.of(8, 8, 0, 0)));
  assert.ok(outlier > 0.65, `outlier ${outlier}`);
  assert.ok(inlier < 0.5, `inlier ${inlier}`);
});

test("iforest: different seeds grow different forests; maxSamples caps the tree size", () => {
  const rng = new Random(1);
  const X = matrix(
    300,
    3,
    Float64Array.from({ length: 900 }, () => rng.normal()),
  );
  const a = fit("iforest", X, { seed: 1 });
  const b = fit("iforest", X, { seed: 2 });
  assert.notDeepEqual(Array.from(a.trainingScores), Array.from(b.trainingScores));
  const small = fit("iforest", X, { maxSamples: 16, nEstimators: 5 });
  const nodes = (small.state as { feature: Int32Array }).feature.length;
  assert.ok(nodes <= 5 * 31, `${nodes} nodes`);
  assert.throws(
    () => fit("iforest", X, { maxSamples: 2.5 }),
    /fraction in \(0, 1\] or a whole count/,
  );
});
