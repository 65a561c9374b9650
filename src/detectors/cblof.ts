/**
 * Cluster-Based Local Outlier Factor (He, Xu & Deng 2003), as PyOD's CBLOF with its default
 * k-means clustering (scikit-learn KMeans: k-means++, 10 restarts; src/core/kmeans.ts).
 *
 * The training rows are clustered; clusters sorted by size (largest first, lower index first
 * among equals) are cut into large and small at the first position b where the large ones
 * hold at least `alpha` of the rows and |C_b| / |C_b+1| >= `beta`; failing both at once, the
 * first position meeting `alpha`, else the first meeting `beta`. A row is labelled with its
 * nearest centre; its score is the distance to that centre if the cluster is large, else the
 * distance to the nearest large centre; with `useWeights`, times the cluster's size.
 *
 * Where PyOD raises instead, ours carry on: fewer rows than clusters cluster into as many
 * clusters as rows (scikit-learn refuses), and a clustering with no valid cut (a single
 * cluster, e.g. constant data) counts every cluster as large.
 */
import { z } from "zod";
import { baseParams, defineDetector, f64, i32 } from "./contract.js";
import {
  bestOfRestarts,
  kMeans,
  kMeansRestartCount,
  kMeansRestarts,
  type KMeansOptions,
  type KMeansResult,
} from "../core/kmeans.js";
import type { Matrix } from "../core/matrix.js";

export const cblofParams = baseParams.extend({
  nClusters: z
    .int()
    .min(1)
    .default(8)
    .describe("Clusters formed by k-means (PyOD: n_clusters; capped at the number of rows)."),
  alpha: z
    .number()
    .gt(0)
    .lt(1)
    .default(0.9)
    .describe("Share of the rows the large clusters hold at least (He et al. 2003: 0.9)."),
  beta: z
    .number()
    .gt(1)
    .default(5)
    .describe("Size ratio between the last large and the first small cluster (He et al.: 5)."),
  useWeights: z
    .boolean()
    .default(false)
    .describe("Multiply each score by its cluster's size, as in the original paper."),
  nInit: z
    .int()
    .min(1)
    .default(10)
    .describe("k-means restarts, the lowest inertia kept (scikit-learn 1.2's KMeans: 10)."),
  seed: z.int().default(0).describe("Random seed of the k-means seeding: same seed, same scores."),
});

type CblofParams = z.output<typeof cblofParams>;

interface CblofState {
  /** Cluster centres, clusters × features, row-major. */
  readonly centres: Float64Array;
  /** 1 for a large cluster, 0 for a small one. */
  readonly large: Int32Array;
  /** Training rows per cluster. */
  readonly sizes: Int32Array;
}

export const cblof = defineDetector({
  name: "cblof",
  summary:
    "Cluster-based: distance to the own cluster's centre, or to the nearest large cluster for rows of small clusters.",
  reference: "He, Xu & Deng 2003; PyOD CBLOF (k-means clustering)",
  deterministic: false,
  params: cblofParams,
  state: z.object({ centres: f64, large: i32, sizes: i32 }),
  checkState(s: CblofState, d: number) {
    const k = s.large.length;
    if (k < 1 || s.centres.length !== k * d) return "centres do not match the clusters";
    if (s.sizes.length !== k) return "cluster sizes do not match the clusters";
    if (!s.large.some((v) => v === 1)) return "no large cluster";
    return undefined;
  },
  // k-means restarts cost milliseconds per thousand rows each: the pool pays from a few thousand.
  parallelMinRows: 5_000,
  // The k-means restarts are independent: the pool runs them on every core.
  pieces: {
    count: (X, p) => kMeansRestartCount(kMeansOptions(X, p)),
    run: (X, p, take) => kMeansRestarts(X, kMeansOptions(X, p), take),
    finish: (X, p, results) =>
      fromClustering(
        X,
        p,
        bestOfRestarts(results as KMeansResult[], kMeansOptions(X, p).nClusters),
      ),
  },
  fit(X, p) {
    return fromClustering(X, p, kMeans(X, kMeansOptions(X, p)));
  },
  score(state, X, p) {
    return scoreRows(state, X, p.useWeights);
  },
});

function kMeansOptions(X: Matrix, p: CblofParams): KMeansOptions {
  return { nClusters: Math.min(p.nClusters, X.rows), nInit: p.nInit, seed: p.seed };
}

/**
 * The fitted state from the winning clustering, and the training scores from its labels, as
 * PyOD scores its training rows (by KMeans' `labels_`, not by `predict`). The labels are each
 * row's nearest centre, so these are `score` on the training rows except where rounding splits a
 * tie differently; they save the training rows' second pass over every centre.
 */
function fromClustering(
  X: Matrix,
  p: CblofParams,
  clustering: KMeansResult,
): { state: CblofState; trainingScores: Float64Array } {
  const { centres, labels } = clustering;
  const k = centres.length / X.cols;
  const sizes = new Int32Array(k);
  for (let i = 0; i < labels.length; i++) sizes[labels[i]]++;
  const state = { centres, sizes, large: largeClusters(sizes, X.rows, p.alpha, p.beta) };
  return { state, trainingScores: labelledScores(state, X, labels, p.useWeights) };
}

/** A training row's score from its cluster label (scoreRows' distances, computed alike). */
function labelledScores(
  s: CblofState,
  X: Matrix,
  labels: Int32Array,
  useWeights: boolean,
): Float64Array {
  const { rows: n, cols: d, data } = X;
  const k = s.large.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const own = labels[i];
    let squared = Infinity;
    if (s.large[own] === 1) squared = squaredTo(data, i, s.centres, own, d);
    else
      for (let c = 0; c < k; c++) {
        if (s.large[c] === 0) continue;
        const sum = squaredTo(data, i, s.centres, c, d);
        if (sum < squared) squared = sum;
      }
    const dist = Math.sqrt(squared);
    out[i] = useWeights ? dist * s.sizes[own] : dist;
  }
  return out;
}

/** Squared distance of row i to centre c, summed over the features in order. */
function squaredTo(data: Float64Array, i: number, centres: Float64Array, c: number, d: number) {
  let sum = 0;
  for (let j = 0; j < d; j++) {
    const diff = data[i * d + j] - centres[c * d + j];
    sum += diff * diff;
  }
  return sum;
}

/**
 * Which clusters are large (1) and which small (0), by PyOD's rule. Clusters past the last
 * non-empty one do not take part in the cut (PyOD counts clusters with `bincount`) and are small.
 */
export function largeClusters(
  sizes: Int32Array,
  rows: number,
  alpha: number,
  beta: number,
): Int32Array {
  let counted = sizes.length;
  while (counted > 1 && sizes[counted - 1] === 0) counted--;
  // Largest first; equal sizes keep their index order (NumPy's argsort on so few values is an
  // insertion sort, hence stable).
  const order = Array.from({ length: counted }, (_, c) => c).sort((a, b) => sizes[b] - sizes[a]);
  let both = -1;
  let byAlpha = -1;
  let byBeta = -1;
  let held = 0;
  for (let cut = 1; cut < counted; cut++) {
    held += sizes[order[cut - 1]];
    const alphaOk = held >= rows * alpha;
    // An empty next cluster makes the ratio infinite, which passes.
    const betaOk = sizes[order[cut - 1]] / sizes[order[cut]] >= beta;
    if (alphaOk && betaOk && both < 0) both = cut;
    if (alphaOk && byAlpha < 0) byAlpha = cut;
    if (betaOk && byBeta < 0) byBeta = cut;
  }
  // No valid cut (PyOD raises): every cluster is large.
  const cut = both >= 0 ? both : byAlpha >= 0 ? byAlpha : byBeta >= 0 ? byBeta : counted;
  const large = new Int32Array(sizes.length);
  for (let r = 0; r < cut; r++) large[order[r]] = 1;
  return large;
}

function scoreRows(s: CblofState, X: Matrix, useWeights: boolean): Float64Array {
  const { rows: n, cols: d, data } = X;
  const k = s.large.length;
  const squared = new Float64Array(k);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let nearest = 0;
    let nearestLarge = Infinity;
    for (let c = 0; c < k; c++) {
      const sum = squaredTo(data, i, s.centres, c, d);
      squared[c] = sum;
      // The row's cluster is its nearest centre, the lowest index among equals (KMeans.predict).
      if (sum < squared[nearest]) nearest = c;
      if (s.large[c] === 1 && sum < nearestLarge) nearestLarge = sum;
    }
    const dist = Math.sqrt(s.large[nearest] === 1 ? squared[nearest] : nearestLarge);
    out[i] = useWeights ? dist * s.sizes[nearest] : dist;
  }
  return out;
}
