import { test } from "node:test";
import assert from "node:assert/strict";
import { matrix } from "../core/matrix.js";
import { Random } from "../core/random.js";
import { fit, score } from "./model.js";
import { pca } from "./pca.js";

test("pca defaults are PyOD's", () => {
  assert.deepEqual(pca.params.parse({}), {
    contamination: 0.1,
    nComponents: null,
    nSelectedComponents: null,
    weighted: true,
    standardization: true,
  });
});

test("pca toy: distance to each unit axis as a point, over its explained-variance ratio", () => {
  // Scatter diag(8, 2): axes e1 (ratio 0.8) and e2 (ratio 0.2); svd_flip makes both point to
  // the first row with the largest projection, (2, 0) and (0, 1).
  const X = matrix(4, 2, Float64Array.of(2, 0, -2, 0, 0, 1, 0, -1));
  const m = fit("pca", X, { standardization: false });
  const [origin, far] = score(m, matrix(2, 2, Float64Array.of(0, 0, 3, 0)));
  assert.ok(Math.abs(origin - (1 / 0.8 + 1 / 0.2)) < 1e-12, `origin ${origin}`);
  assert.ok(Math.abs(far - (2 / 0.8 + Math.sqrt(10) / 0.2)) < 1e-12, `far ${far}`);
});

test("pca keeps the last (lowest-variance) components when asked for fewer", () => {
  const rng = new Random(4);
  const X = matrix(
    200,
    3,
    Float64Array.from({ length: 600 }, () => rng.normal()),
  );
  const m = fit("pca", X, { nSelectedComponents: 1 });
  assert.equal((m.state as { weights: Float64Array }).weights.length, 1);
  assert.throws(() => fit("pca", X, { nComponents: 5 }), /exceeds min\(rows, features\)/);
});
