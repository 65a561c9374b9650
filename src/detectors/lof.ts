/**
 * Local Outlier Factor (Breunig et al. 2000), as PyOD's LOF over scikit-learn's
 * LocalOutlierFactor with novelty=True: a row's score is the mean, over its k nearest training
 * rows, of their local reachability density divided by its own. Reachability distance to a
 * neighbour o is max(d(x, o), k-distance(o)); density is 1 / (mean reachability + 1e-10), the
 * 1e-10 as scikit-learn. Training rows are scored without themselves; k is capped at rows − 1.
 * Exact neighbours, or approximate ones with `neighbours: "approximate"` (neighbour-search.ts).
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

export const lofParams = baseParams.extend({
  nNeighbors: z
    .int()
    .min(1)
    .default(20)
    .describe("Neighbours per row, k (PyOD: n_neighbors; capped at training rows − 1)."),
  neighbours: neighboursParam,
});

interface LofState {
  readonly train: Float64Array;
  /** Distance of each training row to its k-th neighbour. */
  readonly kDistance: Float64Array;
  /** Local reachability density of each training row. */
  readonly density: Float64Array;
}

/** Local reachability density of each query from its neighbours. */
function densities(nn: Neighbours, kDistance: Float64Array): Float64Array {
  const { k, distances, indices } = nn;
  const m = distances.length / k;
  const out = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let sum = 0;
    for (let c = 0; c < k; c++) {
      const dist = distances[i * k + c];
      const reach = kDistance[indices[i * k + c]];
      sum += dist > reach ? dist : reach;
    }
    out[i] = 1 / (sum / k + 1e-10);
  }
  return out;
}

function factors(
  nn: Neighbours,
  trainDensity: Float64Array,
  ownDensity: Float64Array,
): Float64Array {
  const { k, indices } = nn;
  const m = indices.length / k;
  const out = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let sum = 0;
    for (let c = 0; c < k; c++) sum += trainDensity[indices[i * k + c]] / ownDensity[i];
    out[i] = sum / k;
  }
  return out;
}

type LofParams = z.output<typeof lofParams>;

function neighboursNeeded(rows: number, p: LofParams): number {
  return rows < 2 ? 0 : Math.min(p.nNeighbors, rows - 1);
}

function fitFromNeighbours(X: Matrix, _p: LofParams, nn: Neighbours): FitResult<LofState> {
  return fitOn(X.data.slice(), X.rows, nn);
}

/** The fit from the training rows (kept as given) and their neighbours. */
function fitOn(train: Float64Array, n: number, nn: Neighbours): FitResult<LofState> {
  const k = nn.k;
  const kDistance = new Float64Array(n);
  for (let i = 0; i < n; i++) kDistance[i] = nn.distances[i * k + k - 1];
  const density = densities(nn, kDistance);
  return {
    state: { train, kDistance, density },
    trainingScores: factors(nn, density, density),
  };
}

export const lof = defineDetector({
  name: "lof",
  summary: "Local Outlier Factor: density relative to the neighbours' density (local outliers).",
  reference:
    "Breunig, Kriegel, Ng & Sander 2000; PyOD LOF (scikit-learn LocalOutlierFactor, novelty)",
  deterministic: true,
  parallelMinRows: neighbourParallelMinRows,
  costlyScore: true,
  params: lofParams,
  state: z.object({ train: f64, kDistance: f64, density: f64 }),
  checkState(s: LofState, d: number) {
    const n = s.train.length / d;
    if (!Number.isInteger(n) || n < 1) return "training rows are truncated";
    if (s.kDistance.length !== n || s.density.length !== n)
      return "per-row arrays do not match the training rows";
    return undefined;
  },
  selfNeighbours: (rows, p) => exactSelfNeighbours(p.neighbours, neighboursNeeded(rows, p)),
  fitFromNeighbours,
  fit(X: Matrix, p) {
    const n = X.rows;
    if (n < 2) {
      // No neighbours to compare with: every row is as dense as its (absent) neighbourhood.
      return {
        state: {
          train: X.data.slice(),
          kDistance: new Float64Array(n),
          density: new Float64Array(n).fill(1e10),
        },
        trainingScores: new Float64Array(n).fill(1),
      };
    }
    if (p.neighbours === "approximate") {
      const { train, nn } = approximateTrainingNeighbours(X, neighboursNeeded(n, p));
      return fitOn(train, n, nn);
    }
    return fitFromNeighbours(X, p, kNearest(X, neighboursNeeded(n, p)));
  },
  score(state, X, p) {
    const n = state.density.length;
    const k = Math.max(1, Math.min(p.nNeighbors, n - 1));
    const nn = neighboursAmong(state.train, Math.min(k, n), X, p.neighbours);
    return factors(nn, state.density, densities(nn, state.kDistance));
  },
});
