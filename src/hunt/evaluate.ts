/**
 * With a label column (`--label COL`, 1 = anomaly): how well the hunt's ranking finds the
 * labelled rows. The ranking is the output order: rank (votes) first, then the combined score,
 * folded into one key (rank + score / 2, score in (0, 1]) so ROC AUC, average precision and
 * precision@n (n = number of labelled anomalies, PyOD's precision_n_scores) see exactly that
 * order; each detector's own training scores are measured too.
 */
import { averagePrecision, precisionAtN, rocAuc } from "../eval/metrics.js";

export interface LabelMetrics {
  readonly rocAuc: number;
  readonly averagePrecision: number;
  readonly precisionAtN: number;
}

export interface LabelReport extends LabelMetrics {
  readonly column: string;
  readonly positives: number;
  readonly perDetector: Record<string, LabelMetrics>;
}

export function rankingKey(rank: Int32Array, score: Float64Array): Float64Array {
  const key = new Float64Array(rank.length);
  for (let i = 0; i < rank.length; i++) key[i] = rank[i] + score[i] / 2;
  return key;
}

function metrics(labels: Uint8Array, scores: Float64Array): LabelMetrics {
  return {
    rocAuc: rocAuc(labels, scores),
    averagePrecision: averagePrecision(labels, scores),
    precisionAtN: precisionAtN(labels, scores),
  };
}

export function labelReport(
  column: string,
  labels: Uint8Array,
  rank: Int32Array,
  score: Float64Array,
  detectors: readonly string[],
  scores: readonly Float64Array[],
): LabelReport {
  let positives = 0;
  for (const v of labels) positives += v;
  return {
    column,
    positives,
    ...metrics(labels, rankingKey(rank, score)),
    perDetector: Object.fromEntries(detectors.map((d, k) => [d, metrics(labels, scores[k])])),
  };
}
