/**
 * COPOD: copula-based outlier detection (Li et al., ICDM 2020).
 *
 * As PyOD's COPOD: per feature, the larger of the skewness-chosen tail surprisal and the mean of
 * the left and right tail surprisals, summed over features. Training scores match PyOD exactly;
 * new rows are scored against the training data alone (see ecdf.ts).
 */
import { baseParams, defineDetector } from "./contract.js";
import { checkEcdfState, ecdfScores, ecdfStateSchema, fitEcdf, mergeEcdfStates } from "./ecdf.js";

export const copod = defineDetector({
  name: "copod",
  summary: "Copula-based outlier score from empirical tail probabilities (parameter-free).",
  reference: "Li, Zhao, Botta, Ionescu & Hu, COPOD, ICDM 2020; PyOD COPOD",
  deterministic: true,
  params: baseParams,
  state: ecdfStateSchema,
  checkState: checkEcdfState,
  mergeFeatureStates: mergeEcdfStates,
  fit(X) {
    return fitEcdf(X, "copod");
  },
  score(state, X) {
    return ecdfScores(state, X, "copod");
  },
});
