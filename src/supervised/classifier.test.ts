import { test } from "node:test";
import assert from "node:assert/strict";
import { matrix } from "../core/matrix.js";
import { Random } from "../core/random.js";
import { rocAuc } from "../eval/metrics.js";
import { fitClassifier, predictProba } from "./classifier.js";
import { listClassifiers } from "./registry.js";
import { logistic } from "./logistic.js";

/** Two classes: class 1 where x0 + x1 > 0.5 (linear), with a little label noise. */
function linearData(seed: number, n: number) {
  const rng = new Random(seed);
  const d = 4;
  const X = new Float64Array(n * d);
  const y = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) X[i * d + j] = rng.normal() * (j + 1);
    y[i] = X[i * d] + X[i * d + 1] / 2 > 0.5 !== rng.float() < 0.03 ? 1 : 0;
  }
  return { X: matrix(n, d, X), y };
}

const train = linearData(1, 600);
const holdout = linearData(2, 300);

for (const def of listClassifiers()) {
  test(`${def.name}: separates a learnable boundary on held-out rows`, () => {
    const model = fitClassifier(def, train.X, train.y, def.name === "logistic" ? {} : { seed: 3 });
    const p = predictProba(def, model, holdout.X);
    for (const v of p) assert.ok(v >= 0 && v <= 1);
    assert.ok(rocAuc(holdout.y, p) > 0.9, `ROC AUC ${rocAuc(holdout.y, p)}`);
  });

  test(`${def.name}: one-class labels, wrong width and bad labels are clear errors`, () => {
    assert.throws(
      () => fitClassifier(def, train.X, new Uint8Array(train.X.rows), {}),
      /one class only/,
    );
    assert.throws(() => fitClassifier(def, train.X, train.y.subarray(1), {}), /labels for/);
    const bad = train.y.slice();
    bad[5] = 2;
    assert.throws(() => fitClassifier(def, train.X, bad, {}), /row 5 is 2/);
    const model = fitClassifier(def, train.X, train.y, {});
    assert.throws(() => predictProba(def, model, matrix(1, 3, new Float64Array(3))), /4 features/);
  });

  test(`${def.name}: more features than rows still fits (documented: no error)`, () => {
    const rng = new Random(4);
    const X = matrix(
      20,
      50,
      Float64Array.from({ length: 1000 }, () => rng.normal()),
    );
    const y = Uint8Array.from({ length: 20 }, (_, i) => i % 2);
    const model = fitClassifier(def, X, y, {});
    for (const v of predictProba(def, model, X)) assert.ok(Number.isFinite(v));
  });
}

for (const name of ["mlp", "forest"]) {
  test(`${name}: one seed, one model; another seed, another`, () => {
    const def = listClassifiers().find((c) => c.name === name)!;
    const a = predictProba(def, fitClassifier(def, train.X, train.y, { seed: 1 }), holdout.X);
    const b = predictProba(def, fitClassifier(def, train.X, train.y, { seed: 1 }), holdout.X);
    const c = predictProba(def, fitClassifier(def, train.X, train.y, { seed: 2 }), holdout.X);
    assert.deepEqual(Array.from(a), Array.from(b));
    assert.notDeepEqual(Array.from(a), Array.from(c));
  });
}

test("logistic reaches the optimum: the penalised gradient vanishes", () => {
  const model = fitClassifier(logistic, train.X, train.y, { standardize: false });
  const w = (model.state as { coef: Float64Array }).coef;
  const { rows: n, cols: d, data } = train.X;
  const grad = Float64Array.from({ length: d + 1 }, (_, j) => (j < d ? w[j] : 0));
  for (let i = 0; i < n; i++) {
    let t = w[d];
    for (let j = 0; j < d; j++) t += data[i * d + j] * w[j];
    const r = 1 / (1 + Math.exp(-t)) - train.y[i];
    for (let j = 0; j < d; j++) grad[j] += r * data[i * d + j];
    grad[d] += r;
  }
  for (const g of grad) assert.ok(Math.abs(g) < 1e-6, `gradient ${g}`);
});
