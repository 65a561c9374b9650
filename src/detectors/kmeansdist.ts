/**
 * Distance to the nearest k-means centre, with per-cluster thresholds: the "Clustering" section
 * of the network-flows notebook (shared/reference/notebooks/
 * network-flows-enrichment-windows-autoencoder.txt).
 *
 * The notebook fits scikit-learn's KMeans(n_clusters=6, n_init="auto") (k-means++ seeding, one
 * run: "auto" means 1 with k-means++), and flags a row when its distance to its nearest centre
 * exceeds k = 3.0 times that cluster's threshold. Its threshold is not the cluster's mean
 * distance: it zeroes each row's distances to the other centres and averages every centre's
 * column over all rows, so cluster c's threshold is (Σ distances of c's rows) / (all rows).
 * Large clusters get proportionally larger thresholds.
 *
 * The notebook takes the thresholds from the very rows it flags; ours come from the training
 * rows at fit, so flagging the training rows is exactly the notebook's rule applied to them, and
 * new rows are measured against the same thresholds (batch-invariant). The score is the
 * distance divided by the threshold of the row's cluster, so that score > factor is the
 * notebook's flag, and the score ranks rows across clusters on one scale. With `factor` set
 * (default 3.0), the model's threshold is that factor, not the contamination quantile.
 *
 * A cluster with threshold 0 (its training rows all on its centre: a single row, or duplicates)
 * would flag any positive distance and divide by zero: its threshold is floored at 1e-12 × the
 * largest threshold (or 1e-12 if every threshold is 0), so new rows off its centre score very
 * high but finite, while distances at rounding level count as on the centre. In particular a
 * training row alone in its cluster scores about 0 and is not flagged: in exact arithmetic its
 * distance is 0, and the notebook's flag for it (distance > 0) rests on rounding in
 * scikit-learn's distances. That a far row can win a centre of its own is the method's blind
 * spot, not ours to paper over; fewer clusters, or another detector, catch it.
 */
import { z } from "zod";
import { baseParams, defineDetector, f64 } from "./contract.js";
import { kMeans } from "../core/kmeans.js";
import type { Matrix } from "../core/matrix.js";

/** Relative floor of a cluster's threshold (see above). */
const THRESHOLD_FLOOR = 1e-12;

export const kmeansdistParams = baseParams.extend({
  nClusters: z
    .int()
    .min(1)
    .default(6)
    .describe("Clusters formed by k-means (the notebook: 6; capped at the number of rows)."),
  factor: z
    .number()
    .positive()
    .nullable()
    .default(3)
    .describe(
      "Flag rows farther than factor × their cluster's threshold (the notebook's k = 3.0); null labels by contamination instead.",
    ),
  nInit: z
    .int()
    .min(1)
    .default(1)
    .describe('k-means restarts, the lowest inertia kept (scikit-learn\'s n_init="auto": 1).'),
  seed: z.int().default(0).describe("Random seed of the k-means seeding: same seed, same scores."),
});

interface KmeansdistState {
  /** Cluster centres, clusters × features, row-major. */
  readonly centres: Float64Array;
  /** Per cluster: Σ its training rows' distances / all training rows, floored above 0. */
  readonly thresholds: Float64Array;
}

export const kmeansdist = defineDetector({
  name: "kmeansdist",
  summary:
    "k-means: distance to the nearest centre over that cluster's threshold (network-flows notebook; score > 3 is its flag).",
  reference:
    "network-flows-enrichment-windows-autoencoder notebook, Clustering (scikit-learn KMeans, n_init='auto')",
  deterministic: false,
  params: kmeansdistParams,
  state: z.object({ centres: f64, thresholds: f64 }),
  checkState(s: KmeansdistState, d: number) {
    const k = s.thresholds.length;
    if (k < 1 || s.centres.length !== k * d) return "centres do not match the clusters";
    if (!s.thresholds.every((t) => t > 0)) return "thresholds must be positive";
    return undefined;
  },
  labelThreshold(p) {
    return p.factor ?? undefined;
  },
  fit(X, p) {
    const n = X.rows;
    const k = Math.min(p.nClusters, n);
    const { centres } = kMeans(X, { nClusters: k, nInit: p.nInit, seed: p.seed });
    const { distance, cluster } = nearestCentres(centres, k, X);
    const totals = new Float64Array(k);
    for (let i = 0; i < n; i++) totals[cluster[i]] += distance[i];
    let largest = 0;
    for (let c = 0; c < k; c++) largest = Math.max(largest, totals[c] / n);
    const floor = THRESHOLD_FLOOR * (largest > 0 ? largest : 1);
    const thresholds = new Float64Array(k);
    for (let c = 0; c < k; c++) thresholds[c] = Math.max(totals[c] / n, floor);
    const state: KmeansdistState = { centres, thresholds };
    const trainingScores = new Float64Array(n);
    for (let i = 0; i < n; i++) trainingScores[i] = distance[i] / thresholds[cluster[i]];
    return { state, trainingScores };
  },
  score(state, X) {
    const k = state.thresholds.length;
    const { distance, cluster } = nearestCentres(state.centres, k, X);
    for (let i = 0; i < X.rows; i++) distance[i] /= state.thresholds[cluster[i]];
    return distance;
  },
});

/**
 * Each row's nearest centre (the lowest index among equals, as KMeans.predict) and its Euclidean
 * distance to it (KMeans.transform's entry for that centre).
 */
function nearestCentres(
  centres: Float64Array,
  k: number,
  X: Matrix,
): { distance: Float64Array; cluster: Int32Array } {
  const { rows: n, cols: d, data } = X;
  const distance = new Float64Array(n);
  const cluster = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = Infinity;
    let bestCluster = 0;
    for (let c = 0; c < k; c++) {
      let sum = 0;
      for (let j = 0; j < d; j++) {
        const diff = data[i * d + j] - centres[c * d + j];
        sum += diff * diff;
      }
      if (sum < best) {
        best = sum;
        bestCluster = c;
      }
    }
    distance[i] = Math.sqrt(best);
    cluster[i] = bestCluster;
  }
  return { distance, cluster };
}
