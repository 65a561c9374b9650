/**
 * Ranking and classification metrics with scikit-learn's / PyOD's semantics. Labels: 1 = anomaly.
 */
import { DataError } from "../core/errors.js";
import { percentile, rankAverage } from "../core/stats.js";

function checkLengths(labels: ArrayLike<number>, scores: ArrayLike<number>): void {
  if (labels.length !== scores.length) {
    throw new DataError(`${labels.length} labels but ${scores.length} scores`);
  }
}

/**
 * Area under the ROC curve. Equals scikit-learn's `roc_auc_score` (trapezoids over distinct
 * thresholds) through the Mann–Whitney identity with average ranks for tied scores.
 * NaN when only one class is present (scikit-learn raises there).
 */
export function rocAuc(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  checkLengths(labels, scores);
  const ranks = rankAverage(scores);
  let positives = 0;
  let rankSum = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] === 1) {
      positives++;
      rankSum += ranks[i];
    }
  }
  const negatives = labels.length - positives;
  if (positives === 0 || negatives === 0) return NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** Indices sorted by score, highest first (stable for ties by index). */
function orderByScoreDesc(scores: ArrayLike<number>): Int32Array {
  const idx = new Int32Array(scores.length);
  for (let i = 0; i < idx.length; i++) idx[i] = i;
  return idx.sort((a, b) => scores[b] - scores[a] || a - b);
}

/**
 * Average precision as scikit-learn's `average_precision_score`: Σ (R_k − R_{k−1}) · P_k over
 * the distinct score thresholds, highest first (no interpolation). NaN without positives.
 */
export function averagePrecision(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  checkLengths(labels, scores);
  let positives = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === 1) positives++;
  if (positives === 0) return NaN;
  const order = orderByScoreDesc(scores);
  let tp = 0;
  let fp = 0;
  let prevRecall = 0;
  let ap = 0;
  for (let k = 0; k < order.length; k++) {
    const i = order[k];
    if (labels[i] === 1) tp++;
    else fp++;
    // Close a threshold only after the last row tied at this score.
    if (k + 1 < order.length && scores[order[k + 1]] === scores[i]) continue;
    const recall = tp / positives;
    ap += (recall - prevRecall) * (tp / (tp + fp));
    prevRecall = recall;
  }
  return ap;
}

/**
 * Precision at rank n as PyOD's `precision_n_scores`: rows scoring above the
 * 100·(1 − n/rows) percentile are predicted anomalous; n defaults to the number of positives.
 */
export function precisionAtN(
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
  n?: number,
): number {
  checkLengths(labels, scores);
  let positives = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === 1) positives++;
  const k = n ?? positives;
  const threshold = percentile(scores, 100 * (1 - k / labels.length));
  let tp = 0;
  let predicted = 0;
  for (let i = 0; i < labels.length; i++) {
    if (scores[i] > threshold) {
      predicted++;
      if (labels[i] === 1) tp++;
    }
  }
  return predicted === 0 ? 0 : tp / predicted;
}

export interface ConfusionMatrix {
  readonly trueNegatives: number;
  readonly falsePositives: number;
  readonly falseNegatives: number;
  readonly truePositives: number;
}

export function confusionMatrix(
  labels: ArrayLike<number>,
  predicted: ArrayLike<number>,
): ConfusionMatrix {
  checkLengths(labels, predicted);
  let tn = 0;
  let fp = 0;
  let fn = 0;
  let tp = 0;
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i] === 1;
    const p = predicted[i] === 1;
    if (y && p) tp++;
    else if (y) fn++;
    else if (p) fp++;
    else tn++;
  }
  return { trueNegatives: tn, falsePositives: fp, falseNegatives: fn, truePositives: tp };
}

export interface ClassReport {
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  readonly support: number;
}

export interface ClassificationReport {
  readonly normal: ClassReport;
  readonly anomaly: ClassReport;
  readonly accuracy: number;
  readonly macroAvg: ClassReport;
  readonly weightedAvg: ClassReport;
  readonly confusion: ConfusionMatrix;
}

/** scikit-learn's `classification_report` for the two classes (0/0 counts as 0, as its default). */
export function classificationReport(
  labels: ArrayLike<number>,
  predicted: ArrayLike<number>,
): ClassificationReport {
  const c = confusionMatrix(labels, predicted);
  const ratio = (a: number, b: number): number => (b === 0 ? 0 : a / b);
  const cls = (tp: number, fp: number, fn: number): ClassReport => {
    const precision = ratio(tp, tp + fp);
    const recall = ratio(tp, tp + fn);
    return {
      precision,
      recall,
      f1: ratio(2 * precision * recall, precision + recall),
      support: tp + fn,
    };
  };
  const anomaly = cls(c.truePositives, c.falsePositives, c.falseNegatives);
  const normal = cls(c.trueNegatives, c.falseNegatives, c.falsePositives);
  const total = normal.support + anomaly.support;
  const avg = (w0: number, w1: number): ClassReport => ({
    precision: normal.precision * w0 + anomaly.precision * w1,
    recall: normal.recall * w0 + anomaly.recall * w1,
    f1: normal.f1 * w0 + anomaly.f1 * w1,
    support: total,
  });
  return {
    normal,
    anomaly,
    accuracy: ratio(c.truePositives + c.trueNegatives, total),
    macroAvg: avg(0.5, 0.5),
    weightedAvg: avg(ratio(normal.support, total), ratio(anomaly.support, total)),
    confusion: c,
  };
}

/** The report as the familiar text table. */
export function formatClassificationReport(r: ClassificationReport): string {
  const f = (v: number): string => v.toFixed(4).padStart(10);
  const line = (name: string, c: ClassReport): string =>
    `${name.padStart(14)}${f(c.precision)}${f(c.recall)}${f(c.f1)}${String(c.support).padStart(10)}`;
  const { confusion: m } = r;
  return [
    `${"".padStart(14)}${"precision".padStart(10)}${"recall".padStart(10)}${"f1-score".padStart(10)}${"support".padStart(10)}`,
    line("normal (0)", r.normal),
    line("anomaly (1)", r.anomaly),
    `${"accuracy".padStart(14)}${"".padStart(20)}${f(r.accuracy)}${String(r.normal.support + r.anomaly.support).padStart(10)}`,
    line("macro avg", r.macroAvg),
    line("weighted avg", r.weightedAvg),
    "",
    `confusion matrix (rows = true, columns = predicted): [[${m.trueNegatives}, ${m.falsePositives}], [${m.falseNegatives}, ${m.truePositives}]]`,
  ].join("\n");
}
