import { test } from "node:test";
import assert from "node:assert/strict";
import {
  averagePrecision,
  classificationReport,
  confusionMatrix,
  precisionAtN,
  rocAuc,
} from "./metrics.js";

// scikit-learn's documented example: roc_auc_score = 0.75, average_precision_score = 0.8333…
const y = [0, 0, 1, 1];
const s = [0.1, 0.4, 0.35, 0.8];

test("ROC AUC on scikit-learn's example", () => {
  assert.equal(rocAuc(y, s), 0.75);
});

test("ROC AUC counts tied positive/negative pairs as one half", () => {
  // pairs: (0.5 vs 0.5) = ½, (0.5 vs 0.2) = 1, (0.9 vs 0.5) = 1, (0.9 vs 0.2) = 1 → 3.5 / 4
  assert.equal(rocAuc([0, 1, 0, 1], [0.5, 0.5, 0.2, 0.9]), 0.875);
});

test("ROC AUC is NaN with one class", () => {
  assert.ok(Number.isNaN(rocAuc([1, 1], [0.3, 0.4])));
});

test("average precision on scikit-learn's example and with ties", () => {
  assert.ok(Math.abs(averagePrecision(y, s) - 0.8333333333333333) < 1e-15);
  // thresholds 0.9 → P 1, R ½; 0.5 (one of each) → P ⅔, R 1: ½·1 + ½·⅔
  assert.ok(Math.abs(averagePrecision([0, 1, 0, 1], [0.5, 0.5, 0.2, 0.9]) - (0.5 + 1 / 3)) < 1e-15);
});

test("precision at n as PyOD (n = number of positives by default)", () => {
  assert.equal(precisionAtN(y, s), 0.5);
  assert.equal(precisionAtN(y, s, 1), 1);
});

test("confusion matrix and classification report", () => {
  const labels = [0, 0, 0, 1, 1];
  const predicted = [0, 1, 0, 1, 0];
  assert.deepEqual(confusionMatrix(labels, predicted), {
    trueNegatives: 2,
    falsePositives: 1,
    falseNegatives: 1,
    truePositives: 1,
  });
  const r = classificationReport(labels, predicted);
  assert.equal(r.anomaly.precision, 0.5);
  assert.equal(r.anomaly.recall, 0.5);
  assert.equal(r.normal.precision, 2 / 3);
  assert.equal(r.normal.recall, 2 / 3);
  assert.equal(r.accuracy, 0.6);
  assert.equal(r.macroAvg.f1, (0.5 + 2 / 3) / 2);
  assert.equal(r.weightedAvg.support, 5);
});

test("mismatched lengths are an error", () => {
  assert.throws(() => rocAuc([0, 1], [0.1]), /2 labels but 1 scores/);
});
