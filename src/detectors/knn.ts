/**
 * kNN outlier score (Ramaswamy et al. 2000; Angiulli & Pizzuti 2002), as PyOD's KNN: a row's
 * distance to its k-th nearest training row (`largest`), or the mean or median of its k nearest
 * distances. Training rows are scored without themselves (scikit-learn's `kneighbors()`); new
 * rows against all training rows. Euclidean distance; exact neighbours (src/core/neighbors.ts),
 * or approximate ones with `neighbours: "approximate"` (neighbour-search.ts).
 */
import { z } from "zod";
import { baseParams, defineDetector, f64, type FitResult } from "./contract.js";
import type { Matrix } from "../core/matrix.js";
import { kNearest, type Neighbours } from "../core/neighbors.js";
import {
  approximateTrainingNeighbours,
  exactSelfNeighbours,
  neighbourParallelMinRows,
  neighboursAmong,
  neighboursParam,
} from "./neighbour-search.js";

export const knnParams = baseParams.extend({
  nNeighbors: z.int().min(1).default(5).describe("Neighbours per row, k (PyOD: n_neighbors)."),
  method: z
    .enum(["largest", "mean", "median"])
    .default("largest")
    .describe(
      "Score = distance to the k-th neighbour (largest), or the mean or median of the k distances.",
    ),
  neighbours: neighboursParam,
});

interface KnnState {
  /** The training rows (row-major), the reference set of every query. */
  readonly train: Float64Array;
}

type Method = KnnParams["method"];

export function summarise(nn: Neighbours, method: Method): Float64Array {
  const { k, distances } = nn;
  const m = distances.length / k;
  const out = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    const base = i * k;
    if (method === "largest") out[i] = distances[base + k - 1];
    else if (method === "mean") {
      let s = 0;
      for (let c = 0; c < k; c++) s += distances[base + c];
      out[i] = s / k;
    } else {
      // distances are sorted: NumPy's median of k sorted values
      const mid = base + (k >> 1);
      out[i] = k % 2 === 1 ? distances[mid] : (distances[mid - 1] + distances[mid]) / 2;
    }
  }
  return out;
}

type KnnParams = z.output<typeof knnParams>;

/** A training row's neighbours exclude itself; with fewer rows than k + 1, all the others. */
function neighboursNeeded(rows: number, p: KnnParams): number {
  return rows < 2 ? 0 : Math.min(p.nNeighbors, rows - 1);
}

function fitFromNeighbours(X: Matrix, p: KnnParams, nn: Neighbours): FitResult<KnnState> {
  return { state: { train: X.data.slice() }, trainingScores: summarise(nn, p.method) };
}

export const knn = defineDetector({
  name: "knn",
  summary: "Distance to the k nearest training rows (largest, mean or median): global outliers.",
  reference: "Ramaswamy, Rastogi & Shim 2000; Angiulli & Pizzuti 2002; PyOD KNN",
  deterministic: true,
  parallelMinRows: neighbourParallelMinRows,
  costlyScore: true,
  params: knnParams,
  state: z.object({ train: f64 }),
  checkState(s: KnnState, d: number) {
    return s.train.length % d === 0 && s.train.length > 0
      ? undefined
      : "training rows are truncated";
  },
  selfNeighbours: (rows, p) => exactSelfNeighbours(p.neighbours, neighboursNeeded(rows, p)),
  fitFromNeighbours,
  fit(X, p) {
    const k = neighboursNeeded(X.rows, p);
    if (k === 0)
      return { state: { train: X.data.slice() }, trainingScores: new Float64Array(X.rows) };
    if (p.neighbours === "approximate") {
      const { train, nn } = approximateTrainingNeighbours(X, k);
      return { state: { train }, trainingScores: summarise(nn, p.method) };
    }
    return fitFromNeighbours(X, p, kNearest(X, k));
  },
  score(state, X, p) {
    const rows = state.train.length / X.cols;
    // The same k as the training scores had, so scores and threshold are on one scale.
    const k = Math.max(1, Math.min(p.nNeighbors, rows - 1));
    return summarise(neighboursAmong(state.train, k, X, p.neighbours), p.method);
  },
});
