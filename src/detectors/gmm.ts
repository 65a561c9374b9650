/**
 * Gaussian mixture outlier score (Aggarwal 2015, ch. 2), as PyOD's GMM: scikit-learn's
 * GaussianMixture with full covariances, fitted by EM, and a row scored by its negative
 * log-likelihood under the mixture, −log Σ_k w_k N(x | μ_k, Σ_k).
 *
 * scikit-learn 1.2's semantics throughout: each of `nInit` starts labels the rows by one k-means
 * run (src/core/kmeans.ts, k-means++ seeding) and takes the components' weights, means and
 * covariances from those labels; EM then alternates E and M steps until the mean log-likelihood
 * (measured in the E step, before the M step) changes by less than `tol`, at most `maxIter`
 * times; the start with the highest final mean log-likelihood wins, holding the parameters of
 * its last M step. Each covariance gets `regCovar` added to its diagonal and each component's
 * weight sum 10ε, as scikit-learn, so a constant feature or fewer rows than features still give
 * positive definite covariances. With the default single component the fit is the sample mean
 * and covariance whatever the seed.
 *
 * Where scikit-learn raises, so do we: more components than rows (ParamError), and a covariance
 * that is not positive definite even with `regCovar` (DataError; only possible with regCovar 0
 * or a collapsed component).
 */
import { z } from "zod";
import { baseParams, defineDetector, f64 } from "./contract.js";
import { kMeans } from "../core/kmeans.js";
import type { Matrix } from "../core/matrix.js";
import { DataError, ParamError } from "../core/errors.js";
import { Random } from "../core/random.js";
import { multiplyABt, multiplyABtLower, weightedSquaredDistances } from "../core/linalg.js";
import { cholesky, choleskyLogDet, invertLower } from "../core/cholesky.js";
import { weightedMeanCovariance } from "../core/covariance.js";

export const gmmParams = baseParams.extend({
  nComponents: z
    .int()
    .min(1)
    .default(1)
    .describe("Mixture components (PyOD: n_components; at most the number of rows)."),
  tol: z
    .number()
    .gt(0)
    .default(1e-3)
    .describe("EM stops when the mean log-likelihood changes by less than this (scikit-learn)."),
  regCovar: z
    .number()
    .min(0)
    .default(1e-6)
    .describe("Added to each covariance's diagonal so it stays positive definite (scikit-learn)."),
  maxIter: z.int().min(1).default(100).describe("EM iterations per start at most (scikit-learn)."),
  nInit: z
    .int()
    .min(1)
    .default(1)
    .describe("Starts from fresh k-means labellings; the highest likelihood wins (scikit-learn)."),
  seed: z.int().default(0).describe("Random seed of the k-means starts: same seed, same scores."),
});

type GmmParams = z.output<typeof gmmParams>;

interface GmmState {
  readonly means: Float64Array;
  /**
   * Per component, the inverse Cholesky factor W_k = L_k⁻¹ of its covariance (k × d × d,
   * lower triangular): (x − μ)ᵀΣ⁻¹(x − μ) = ‖W_k x − W_k μ_k‖².
   */
  readonly whitening: Float64Array;
  /** Per component, log w_k − ½ log det Σ_k − ½ d log 2π. */
  readonly logConstants: Float64Array;
}

/** Parameters of a mixture while fitting. */
interface Mixture {
  readonly weights: Float64Array;
  readonly means: Float64Array;
  readonly whitening: Float64Array;
  /** −½ log det Σ_k per component. */
  readonly halfLogDetPrecision: Float64Array;
}

export const gmm = defineDetector({
  name: "gmm",
  summary: "Negative log-likelihood under a Gaussian mixture fitted by EM (full covariances).",
  reference: "Aggarwal 2015 ch. 2; PyOD GMM (scikit-learn GaussianMixture, k-means start)",
  deterministic: false,
  params: gmmParams,
  state: z.object({ means: f64, whitening: f64, logConstants: f64 }),
  checkState(s: GmmState, d: number) {
    const k = s.logConstants.length;
    if (k < 1) return "no components";
    if (s.means.length !== k * d) return "means do not match the components";
    if (s.whitening.length !== k * d * d) return "covariance factors do not match the components";
    // Scoring multiplies by the factors as lower-triangular (multiplyABtLower skips the upper
    // half), as fitting makes them; a factor with entries above the diagonal would score wrongly.
    for (let c = 0; c < k; c++)
      for (let i = 0; i < d; i++)
        for (let j = i + 1; j < d; j++)
          if (s.whitening[c * d * d + i * d + j] !== 0)
            return "covariance factors must be lower-triangular";
    return undefined;
  },
  fit(X, p) {
    if (p.nComponents > X.rows) {
      throw new ParamError(
        `gmm: nComponents=${p.nComponents} needs at least as many rows, got ${X.rows}`,
      );
    }
    return { state: toState(fitMixture(X, p), X.cols) };
  },
  score(state, X) {
    const out = logLikelihoods(state, X);
    for (let i = 0; i < out.length; i++) out[i] = -out[i];
    return out;
  },
});

function fitMixture(X: Matrix, p: GmmParams): Mixture {
  const { rows: n } = X;
  const k = p.nComponents;
  const seeds = new Random(p.seed);
  if (k === 1) {
    // One component: k-means labels every row 0, every responsibility is exactly 1 (a log-sum-exp
    // of one term is that term), so each M step returns the same parameters and EM stops at its
    // second iteration, its bound unchanged. Those parameters, without the iterations:
    return mStep(X, new Float64Array(n).fill(1), 1, p.regCovar, "sum");
  }
  let best: Mixture | undefined;
  let bestBound = -Infinity;
  for (let start = 0; start < p.nInit; start++) {
    const { labels } = kMeans(X, { nClusters: k, nInit: 1, seed: seeds.uint32() });
    const resp = new Float64Array(n * k);
    for (let i = 0; i < n; i++) resp[i * k + labels[i]] = 1;
    let mixture = mStep(X, resp, k, p.regCovar, "count");
    let bound = -Infinity;
    for (let iter = 0; iter < p.maxIter; iter++) {
      const previous = bound;
      bound = eStep(mixture, X, resp);
      mixture = mStep(X, resp, k, p.regCovar, "sum");
      if (Math.abs(bound - previous) < p.tol) break;
    }
    // As scikit-learn: the first start, or one with a strictly higher bound.
    if (best === undefined || bound > bestBound) {
      best = mixture;
      bestBound = bound;
    }
  }
  return best!;
}

/**
 * The M step: weights, means and regularised covariances from the responsibilities (n × k).
 * Weights are Σ resp / n at the start and Σ resp normalised to sum 1 afterwards, as
 * scikit-learn (`_initialize` and `_m_step`).
 */
function mStep(
  X: Matrix,
  resp: Float64Array,
  k: number,
  regCovar: number,
  weighting: "count" | "sum",
): Mixture {
  const { rows: n, cols: d } = X;
  const weights = new Float64Array(k);
  const means = new Float64Array(k * d);
  const whitening = new Float64Array(k * d * d);
  const halfLogDetPrecision = new Float64Array(k);
  const column = new Float64Array(n);
  let total = 0;
  for (let c = 0; c < k; c++) {
    let nk = 0;
    for (let i = 0; i < n; i++) {
      column[i] = resp[i * k + c];
      nk += column[i];
    }
    nk += 10 * Number.EPSILON; // scikit-learn: keeps an empty component's division finite
    weights[c] = nk;
    total += nk;
    const { mean, covariance } = weightedMeanCovariance(X, column, nk);
    for (let j = 0; j < d; j++) covariance[j * d + j] += regCovar;
    const L = cholesky(covariance, d);
    if (L === undefined) {
      throw new DataError(
        `gmm: component ${c}'s covariance is not positive definite (collapsed or duplicated ` +
          "rows, or a constant feature with regCovar 0); increase regCovar or lower nComponents",
      );
    }
    means.set(mean, c * d);
    whitening.set(invertLower(L, d), c * d * d);
    halfLogDetPrecision[c] = -0.5 * choleskyLogDet(L, d);
  }
  const divisor = weighting === "count" ? n : total;
  for (let c = 0; c < k; c++) weights[c] /= divisor;
  return { weights, means, whitening, halfLogDetPrecision };
}

function toState(m: Mixture, d: number): GmmState {
  const k = m.weights.length;
  const logConstants = new Float64Array(k);
  for (let c = 0; c < k; c++) {
    logConstants[c] =
      Math.log(m.weights[c]) + m.halfLogDetPrecision[c] - 0.5 * d * Math.log(2 * Math.PI);
  }
  return { means: m.means, whitening: m.whitening, logConstants };
}

/**
 * The E step: fills `resp` with each row's responsibilities and returns the mean log-likelihood
 * of the rows (scikit-learn's lower bound).
 */
function eStep(m: Mixture, X: Matrix, resp: Float64Array): number {
  const k = m.weights.length;
  const n = X.rows;
  const state = toState(m, X.cols);
  const logProb = componentLogDensities(state, X);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const norm = logSumExp(logProb, i * k, k);
    total += norm;
    for (let c = 0; c < k; c++) resp[i * k + c] = Math.exp(logProb[i * k + c] - norm);
  }
  return total / n;
}

/** log w_k + log N(x_i | μ_k, Σ_k) for every row and component (n × k). */
function componentLogDensities(s: GmmState, X: Matrix): Float64Array {
  const { rows: n, cols: d, data } = X;
  const k = s.logConstants.length;
  const out = new Float64Array(n * k);
  const shift = new Float64Array(d);
  const unit = new Float64Array(d).fill(1);
  const q = new Float64Array(n);
  for (let c = 0; c < k; c++) {
    const W = s.whitening.subarray(c * d * d, (c + 1) * d * d);
    // As scikit-learn: W x − W μ, the products of all rows at once (W lower triangular).
    const y = multiplyABtLower(data, n, W, d, d);
    multiplyABt(s.means.subarray(c * d, (c + 1) * d), 1, W, d, d, shift);
    // Squared whitened distances, each summed in feature order (unit weights: 1·v·v is v·v).
    weightedSquaredDistances(y, n, d, shift, unit, q);
    const constant = s.logConstants[c];
    for (let i = 0; i < n; i++) out[i * k + c] = constant - 0.5 * q[i];
  }
  return out;
}

/** The log-likelihood of each row under the mixture. */
function logLikelihoods(s: GmmState, X: Matrix): Float64Array {
  const k = s.logConstants.length;
  const logProb = componentLogDensities(s, X);
  const out = new Float64Array(X.rows);
  for (let i = 0; i < X.rows; i++) out[i] = logSumExp(logProb, i * k, k);
  return out;
}

function logSumExp(values: Float64Array, at: number, count: number): number {
  let max = -Infinity;
  for (let c = 0; c < count; c++) max = Math.max(max, values[at + c]);
  if (max === -Infinity) return -Infinity;
  let sum = 0;
  for (let c = 0; c < count; c++) sum += Math.exp(values[at + c] - max);
  return max + Math.log(sum);
}
