/**
 * Scoring each distinct feature row once. Category-coded logs repeat the same feature rows
 * thousands of times (the DUNE CloudTrail file: 25,675 rows, 363 distinct), and a detector whose
 * definition can be written in terms of distinct rows and their multiplicities then costs what
 * the distinct content costs, with results identical to the naive path.
 *
 * Which detectors, and why (the rest run on all rows):
 * - knn (largest, mean, median): a training row's score is a summary of the distances to its k
 *   nearest *other* rows. Among all rows, a row with multiplicity m has m − 1 copies of itself at
 *   distance 0, then each other distinct row j at distance d_j, m_j times. So its k distances are
 *   the first k values of that multiset: the k nearest other *distinct* rows suffice (each holds
 *   at least one copy), and only distances enter the score, never which copy was taken. Exact.
 * - not lof, cof, sod, abod: their scores depend on *which* rows are the neighbours (their own
 *   k-distances, densities, subspaces). At a tie between different distinct rows at the k-th
 *   distance, the naive path takes the copies with the lowest row indices, which interleave
 *   across distinct rows; reproducing that needs every copy's index, so no saving is exact.
 * - not iforest, inne, loda, cblof, gmm, …: fits that draw random rows or iterate over rows
 *   (subsamples, k-means, EM) would need weighted versions of their fits to match, which the
 *   detectors do not have yet; the histograms and ECDFs of hbos, ecod, copod likewise.
 */
import { performance } from "node:perf_hooks";
import { matrix, type Matrix } from "../core/matrix.js";
import { checkK, type Neighbours } from "../core/neighbors.js";
import { finishModel } from "../detectors/model.js";
import { kNearestAsync } from "../detectors/parallel.js";
import { summarise } from "../detectors/knn.js";
import type { FitReply } from "./pool.js";

export interface DistinctRows {
  /** Each distinct row once, in order of first appearance. */
  readonly X: Matrix;
  /** How many input rows equal each distinct row. */
  readonly counts: Int32Array;
  /** For each input row, the index of its distinct row. */
  readonly inverse: Int32Array;
}

/**
 * The distinct rows of X (equal as numbers: 0 and −0 are one value), by hashing each row's bits
 * into an open-addressing table of typed arrays (no per-row objects).
 */
export function distinctRows(X: Matrix): DistinctRows {
  const { rows, cols, data } = X;
  const bits = new Uint32Array(2);
  const f = new Float64Array(bits.buffer);
  let size = 16;
  while (size < rows * 2) size *= 2;
  const table = new Int32Array(size).fill(-1); // slot -> first input row of a distinct row
  const slotDistinct = new Int32Array(size);
  const inverse = new Int32Array(rows);
  const firstRow: number[] = [];
  const counts: number[] = [];
  for (let i = 0; i < rows; i++) {
    const base = i * cols;
    let h = 0x811c9dc5;
    for (let j = 0; j < cols; j++) {
      f[0] = data[base + j] + 0; // −0 + 0 = +0
      h = Math.imul(h ^ bits[0], 0x01000193);
      h = Math.imul(h ^ bits[1], 0x01000193);
    }
    let slot = (h >>> 0) & (size - 1);
    for (;;) {
      const r = table[slot];
      if (r < 0) {
        table[slot] = i;
        slotDistinct[slot] = firstRow.length;
        inverse[i] = firstRow.length;
        firstRow.push(i);
        counts.push(1);
        break;
      }
      let same = true;
      for (let j = 0; j < cols && same; j++) same = data[r * cols + j] === data[base + j];
      if (same) {
        const d = slotDistinct[slot];
        inverse[i] = d;
        counts[d]++;
        break;
      }
      slot = (slot + 1) & (size - 1);
    }
  }
  const out = new Float64Array(firstRow.length * cols);
  firstRow.forEach((r, d) => out.set(data.subarray(r * cols, (r + 1) * cols), d * cols));
  return {
    X: matrix(firstRow.length, cols, out),
    counts: Int32Array.from(counts),
    inverse,
  };
}

/** Per-distinct-row values spread back to every input row. */
export function expand(values: Float64Array, inverse: Int32Array): Float64Array {
  const out = new Float64Array(inverse.length);
  for (let i = 0; i < inverse.length; i++) out[i] = values[inverse[i]];
  return out;
}

/** Whether the hunt can score this panel entry on distinct rows, exactly. */
export function dedupes(detector: string): boolean {
  return detector === "knn";
}

/**
 * kNN training scores of every input row (PyOD's `decision_scores_`: each row's own copy left
 * out) from the distinct rows and their multiplicities; identical to fitting knn on all rows.
 */
export async function knnTrainingScoresDistinct(
  d: DistinctRows,
  nNeighbors: number,
  method: "largest" | "mean" | "median",
): Promise<Float64Array> {
  const total = d.inverse.length;
  const u = d.X.rows;
  const k = total < 2 ? 0 : Math.min(nNeighbors, total - 1); // as the knn detector
  if (k === 0) return new Float64Array(total);
  const q = Math.min(k, u - 1);
  let nn: Neighbours | undefined;
  if (q > 0) {
    checkK(u, q, true);
    nn = await kNearestAsync(d.X, q);
  }
  const distances = new Float64Array(u * k); // the k smallest of each multiset, ascending
  for (let i = 0; i < u; i++) {
    let filled = 0;
    const base = i * k;
    const selfCopies = Math.min(d.counts[i] - 1, k);
    for (; filled < selfCopies; filled++) distances[base + filled] = 0;
    for (let c = 0; c < q && filled < k; c++) {
      const j = nn!.indices[i * q + c];
      const dist = nn!.distances[i * q + c];
      for (let m = 0; m < d.counts[j] && filled < k; m++) distances[base + filled++] = dist;
    }
  }
  return expand(summarise({ k, distances, indices: new Int32Array(u * k) }, method), d.inverse);
}

/** A panel entry's fit on distinct rows, answered as the pool answers a fit. */
export async function fitDistinct(
  d: DistinctRows,
  detector: string,
  params: Record<string, unknown>,
): Promise<FitReply> {
  const t0 = performance.now();
  try {
    if (detector !== "knn") throw new Error(`${detector} has no distinct-row path`);
    const scores = await knnTrainingScoresDistinct(
      d,
      params.nNeighbors as number,
      params.method as "largest" | "mean" | "median",
    );
    // The threshold as the model layer sets it (state unused by it).
    const model = finishModel(detector, params, d.X.cols, undefined, scores);
    return {
      ok: true,
      trainingScores: scores,
      threshold: model.threshold,
      seconds: (performance.now() - t0) / 1000,
    };
  } catch (e) {
    return { ok: false, error: (e as Error).message, errorName: (e as Error).name };
  }
}
