/**
 * ECOD: empirical-cumulative-distribution outlier detection (Li et al., TKDE 2022).
 *
 * As PyOD's ECOD: per feature, the larger of the left-tail, right-tail and skewness-chosen
 * tail surprisals (−log of the empirical tail probability), summed over features. Parameter-free
 * besides contamination. Training scores match PyOD exactly; new rows are scored against the
 * training data alone (see ecdf.ts), so a row's score does not depend on its batch.
 */
import { baseParams, defineDetector } from "./contract.js";
import { checkEcdfState, ecdfScores, ecdfStateSchema, fitEcdf, mergeEcdfStates } from "./ecdf.js";

export const ecod = defineDetector({
  name: "ecod",
  summary: "Empirical-CDF outlier score: per-feature tail surprisal, summed (parameter-free).",
  reference: "Li, Zhao, Hu, Botta, Ionescu & Chen, ECOD, TKDE 2022; PyOD ECOD",
  deterministic: true,
  params: baseParams,
  state: ecdfStateSchema,
  checkState: checkEcdfState,
  mergeFeatureStates: mergeEcdfStates,
  fit(X) {
    return fitEcdf(X, "ecod");
  },
  score(state, X) {
    return ecdfScores(state, X, "ecod");
  },
});
