/**
 * HBOS: histogram-based outlier score (Goldstein & Dengel 2012), static equal-width bins.
 *
 * Matches PyOD's HBOS: per feature, a density histogram over [min, max] of the training values
 * (NumPy's `histogram(density=True)`: left-closed bins, the last closed on both sides, a constant
 * column spread over [v − 0.5, v + 0.5]); a value is scored in the right-closed bin that
 * `digitize(right=True)` picks, and a value outside the training range takes the nearest end
 * bin when within `tol` bin widths of it, else the lowest bin score. The score is
 * −Σ_features log2(density + alpha).
 */
import { z } from "zod";
import { baseParams, concatF64, defineDetector, f64 } from "./contract.js";
import { transpose } from "../core/linalg.js";

export const hbosParams = baseParams.extend({
  nBins: z.int().min(3).default(10).describe("Equal-width bins per feature (PyOD: n_bins)."),
  alpha: z
    .number()
    .gt(0)
    .lt(1)
    .default(0.1)
    .describe("Added to each bin density before the log, so empty bins stay finite."),
  tol: z
    .number()
    .gt(0)
    .lt(1)
    .default(0.5)
    .describe(
      "How far outside the training range, in bin widths, a value still counts as in the end bin.",
    ),
});

interface HbosState {
  /** Bin edges, feature-major: feature j's nBins + 1 edges at [j*(nBins+1), (j+1)*(nBins+1)). */
  readonly edges: Float64Array;
  /** log2(density + alpha) per bin, feature-major. */
  readonly binScores: Float64Array;
  /** The lowest bin score of each feature, for values far outside the range. */
  readonly minScores: Float64Array;
}

export const hbos = defineDetector({
  name: "hbos",
  summary:
    "Histogram-based outlier score: sum of per-feature log densities (fast, assumes independent features).",
  reference: "Goldstein & Dengel 2012; PyOD HBOS with static bins",
  deterministic: true,
  params: hbosParams,
  state: z.object({ edges: f64, binScores: f64, minScores: f64 }),
  checkState(s: HbosState, d: number) {
    if (s.minScores.length !== d)
      return `minScores has ${s.minScores.length} entries for ${d} features`;
    const nBins = s.binScores.length / d;
    if (!Number.isInteger(nBins) || s.edges.length !== d * (nBins + 1))
      return "edges and bin scores disagree";
    return undefined;
  },
  mergeFeatureStates(parts: readonly HbosState[]): HbosState {
    return {
      edges: concatF64(parts.map((s) => s.edges)),
      binScores: concatF64(parts.map((s) => s.binScores)),
      minScores: concatF64(parts.map((s) => s.minScores)),
    };
  },
  fit(X, p) {
    const { rows: n, cols: d, data } = X;
    const nb = p.nBins;
    const edges = new Float64Array(d * (nb + 1));
    const binScores = new Float64Array(d * nb);
    const minScores = new Float64Array(d);
    const counts = new Float64Array(nb);
    const bin = new Int32Array(n);
    const trainingScores = new Float64Array(n);
    const columns = transpose(data, n, d);
    for (let j = 0; j < d; j++) {
      const col = columns.subarray(j * n, (j + 1) * n);
      let lo = Infinity;
      let hi = -Infinity;
      for (let i = 0; i < n; i++) {
        const v = col[i];
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      if (lo === hi) {
        lo -= 0.5;
        hi += 0.5;
      }
      // np.linspace(lo, hi, nb + 1): i*step + lo, last edge exactly hi.
      const e = edges.subarray(j * (nb + 1), (j + 1) * (nb + 1));
      const step = (hi - lo) / nb;
      for (let k = 0; k < nb; k++) e[k] = k * step + lo;
      e[nb] = hi;
      counts.fill(0);
      const inverseStep = 1 / step;
      for (let i = 0; i < n; i++) {
        const v = col[i];
        // Left-closed bins [e_k, e_k+1), the last one closed: the bin NumPy's histogram counts v
        // in. Guess from the bin width, then settle against the edges themselves (as NumPy does).
        let k = Math.min(nb - 1, Math.max(0, Math.floor((v - lo) * inverseStep)));
        while (k > 0 && v < e[k]) k--;
        while (k < nb - 1 && v >= e[k + 1]) k++;
        counts[k] += 1;
        // Scoring uses right-closed bins: a value on an inner edge scores in the bin below.
        bin[i] = k > 0 && v === e[k] ? k - 1 : k;
      }
      let minScore = Infinity;
      for (let k = 0; k < nb; k++) {
        const density = counts[k] / (e[k + 1] - e[k]) / n;
        const s = Math.log2(density + p.alpha);
        binScores[j * nb + k] = s;
        if (s < minScore) minScore = s;
      }
      minScores[j] = minScore;
      // Training values are inside the range, so their scoring bin is known: the same numbers as
      // scoreRows gives them, without binning twice.
      for (let i = 0; i < n; i++) trainingScores[i] -= binScores[j * nb + bin[i]];
    }
    const state: HbosState = { edges, binScores, minScores };
    return { state, trainingScores };
  },
  score(state, X, p) {
    // The bin count is the state's, whatever the params say (a saved model cannot disagree).
    return scoreRows(
      state,
      X.data,
      X.rows,
      X.cols,
      state.minScores.length > 0 ? state.binScores.length / state.minScores.length : p.nBins,
      p.tol,
    );
  },
});

function scoreRows(
  s: HbosState,
  data: Float64Array,
  n: number,
  d: number,
  nb: number,
  tol: number,
): Float64Array {
  const out = new Float64Array(n);
  const columns = transpose(data, n, d);
  for (let j = 0; j < d; j++) {
    const col = columns.subarray(j * n, (j + 1) * n);
    const e = s.edges.subarray(j * (nb + 1), (j + 1) * (nb + 1));
    const bins = s.binScores.subarray(j * nb, (j + 1) * nb);
    const lowestWidth = e[1] - e[0];
    const highestWidth = e[nb] - e[nb - 1];
    const inverseStep = nb / (e[nb] - e[0]);
    for (let i = 0; i < n; i++) {
      const v = col[i];
      // np.digitize(v, edges, right=True) = number of edges < v (k with e[k-1] < v <= e[k]):
      // guessed from the bin width, settled against the edges.
      let k = Math.min(nb + 1, Math.max(0, Math.ceil((v - e[0]) * inverseStep)));
      while (k > 0 && e[k - 1] >= v) k--;
      while (k <= nb && e[k] < v) k++;
      let binScore: number;
      if (k === 0) {
        binScore = e[0] - v <= lowestWidth * tol ? bins[0] : s.minScores[j];
      } else if (k === nb + 1) {
        binScore = v - e[nb] <= highestWidth * tol ? bins[nb - 1] : s.minScores[j];
      } else {
        binScore = bins[k - 1];
      }
      out[i] -= binScore;
    }
  }
  return out;
}
