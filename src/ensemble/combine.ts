/**
 * Combining detectors: votes, rank (number of votes), and score combination as plain functions
 * (PyOD's `combination` module: average, maximum; AOM and MOA come with the full ensemble).
 */
import { rankAverage } from "../core/stats.js";

/**
 * Scores mapped to (0, 1] by their average rank divided by the row count, so detectors with
 * different scales combine fairly and ties share a value.
 */
export function rankNormalise(scores: Float64Array): Float64Array {
  const ranks = rankAverage(scores);
  const n = scores.length;
  for (let i = 0; i < n; i++) ranks[i] /= n;
  return ranks;
}

/** Mean over detectors of the rank-normalised scores. */
export function meanRankScore(perDetector: readonly Float64Array[], rows: number): Float64Array {
  const out = new Float64Array(rows);
  if (perDetector.length === 0) return out;
  for (const scores of perDetector) {
    const normalised = rankNormalise(scores);
    for (let i = 0; i < rows; i++) out[i] += normalised[i];
  }
  for (let i = 0; i < rows; i++) out[i] /= perDetector.length;
  return out;
}

/** Number of detectors voting each row an outlier. */
export function voteRank(votes: readonly Uint8Array[], rows: number): Int32Array {
  const rank = new Int32Array(rows);
  for (const v of votes) for (let i = 0; i < rows; i++) rank[i] += v[i];
  return rank;
}
