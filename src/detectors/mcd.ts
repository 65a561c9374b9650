/**
 * Minimum Covariance Determinant (Rousseeuw & Van Driessen 1999, FastMCD), as PyOD's MCD:
 * scikit-learn's MinCovDet, and a row scored by its squared Mahalanobis distance from the
 * robust location under the robust covariance (scikit-learn's `mahalanobis` and `dist_` are
 * squared, and PyOD returns them as they are).
 *
 * The fit follows scikit-learn 1.2 step by step (the search is src/core/fast-mcd.ts):
 * 1. FastMCD finds h = min(n, ⌈(n + d + 1) / 2⌉) rows (or supportFraction · n) whose covariance has a
 *    small determinant: random h-subsets improved by C-steps (keep the h rows nearest in
 *    Mahalanobis distance, recompute, repeat while the determinant falls), on subsets of about
 *    300 rows pooled into up to 1500 when there are more than 500 rows, as scikit-learn does.
 * 2. Consistency correction: the raw distances are divided by median(dist) / χ²_d(0.5).
 * 3. Reweighting: the rows whose corrected distance is below χ²_d(0.975) give the final location
 *    and (maximum-likelihood) covariance; its pseudo-inverse (scipy's `pinvh`) scores rows.
 *
 * Random draws come from our seeded generator, not NumPy's, so a seed picks other starting
 * subsets than scikit-learn's `random_state` with the same number; the search usually ends at
 * the same or an equally good support, but not always, hence a stochastic parity tolerance.
 *
 * Degenerate data (decided and tested here; scikit-learn warns or raises):
 * - Directions in which the training rows do not vary at all (constant features, exactly
 *   collinear ones, fewer rows than features: the null space of the training covariance, by
 *   pinvh's cutoff) are set aside, and the search runs in the space the rows span. `pinvh`
 *   gives those directions no weight in any distance, as in scikit-learn, but they make every
 *   covariance singular, and scikit-learn then compares determinants made of rounding noise
 *   (or −∞ for all, which leaves the first random start as the estimate). Data with no varying
 *   direction score every row 0.
 * - Supports whose covariance is singular beyond that (an h-subset in which a sparse feature is
 *   constant) have log-determinant −∞ (the Cholesky factorisation refuses them) and distances
 *   through the pseudo-inverse. scikit-learn's LU determinant often comes out finite for them,
 *   made of rounding noise, and its C-steps carry on; on small data with sparse features this
 *   moves the expected ROC AUC by about 0.01 (glass; measured with a NumPy re-statement of
 *   scikit-learn's search, one-off).
 * - When more than half the rows coincide, the support's covariance is zero; scikit-learn
 *   raises, and so do we (DataError), suggesting a larger supportFraction.
 * - A single varying direction uses the exact shortest-half method, as scikit-learn for one
 *   feature.
 * `d` in h and in the χ² quantiles is the number of features, as in scikit-learn.
 */
import { z } from "zod";
import { baseParams, defineDetector, f64 } from "./contract.js";
import { matrix, type Matrix } from "../core/matrix.js";
import { DataError, ParamError } from "../core/errors.js";
import { Random } from "../core/random.js";
import { chi2Isf } from "../core/special.js";
import { subsetMeanCovariance } from "../core/covariance.js";
import { symmetricPseudoInverse } from "../core/pinvh.js";
import { symmetricEigen } from "../core/eigen.js";
import { cholesky } from "../core/cholesky.js";
import { multiplyABt } from "../core/linalg.js";
import { fastMcd, quadraticForms } from "../core/fast-mcd.js";

export const mcdParams = baseParams.extend({
  supportFraction: z
    .number()
    .gt(0)
    .max(1)
    .nullable()
    .default(null)
    .describe(
      "Share of the rows in the raw MCD support; null = the most robust choice, (rows + features + 1) / 2 rows (Rousseeuw & Van Driessen 1999).",
    ),
  seed: z.int().default(0).describe("Random seed of FastMCD's starting subsets."),
});

interface McdState {
  /** Robust location (d). */
  readonly location: Float64Array;
  /**
   * The pseudo-inverse of the robust covariance in factored form (k × d, constant features'
   * columns zero): the score is Σ_k sign_k (factor_k · (x − location))².
   */
  readonly factor: Float64Array;
  readonly signs: Float64Array;
}

export const mcd = defineDetector({
  name: "mcd",
  summary: "Squared Mahalanobis distance under a robust (minimum covariance determinant) fit.",
  reference: "Rousseeuw & Van Driessen 1999 (FastMCD); PyOD MCD (scikit-learn MinCovDet)",
  deterministic: false,
  params: mcdParams,
  state: z.object({ location: f64, factor: f64, signs: f64 }),
  checkState(s: McdState, d: number) {
    if (s.location.length !== d) return "location does not match the features";
    if (s.factor.length !== s.signs.length * d) return "precision factor does not match";
    return undefined;
  },
  fit(X, p) {
    return { state: fitMcd(X, p.supportFraction, p.seed) };
  },
  score(state, X) {
    return quadraticForms(X, state.location, state.factor, state.signs);
  },
});

function fitMcd(X: Matrix, supportFraction: number | null, seed: number): McdState {
  const { rows: n, cols: d } = X;
  const h =
    supportFraction === null
      ? Math.min(Math.ceil(0.5 * (n + d + 1)), n)
      : Math.floor(supportFraction * n);
  if (h < 1) {
    throw new ParamError(`mcd: supportFraction=${supportFraction} keeps no row of ${n}`);
  }
  const space = varyingSubspace(X);
  if (space.rank === 0) {
    // Nothing varies: every row sits at the location, and pinvh of a zero covariance is zero.
    return { location: space.centre, factor: new Float64Array(0), signs: new Float64Array(0) };
  }
  const Z = space.coordinates;
  const p = Z.cols;
  const raw = fastMcd(Z, h, new Random(seed));

  // Consistency at the normal model (scikit-learn's correct_covariance).
  let supportSize = 0;
  for (const inSupport of raw.support) supportSize += inSupport;
  if (supportSize < n && raw.covariance.every((v) => Math.abs(v) <= 1e-8)) {
    throw new DataError(
      `mcd: the covariance of the ${supportSize} most central rows is zero (more than half ` +
        "the rows coincide); increase supportFraction or remove the duplicates",
    );
  }
  const correction = median(raw.dist) / chi2Isf(0.5, d);
  if (!(correction > 0)) {
    throw new DataError(
      "mcd: the median robust distance is zero (more than half the rows lie in a lower-dimensional subspace); increase supportFraction",
    );
  }
  // Reweighting: rows within the 97.5% χ² quantile of the corrected distances.
  const limit = chi2Isf(0.025, d);
  const kept = new Int32Array(n);
  let count = 0;
  for (let i = 0; i < n; i++) if (raw.dist[i] / correction < limit) kept[count++] = i;
  const { mean, covariance } = subsetMeanCovariance(Z, kept, count);
  const pinv = symmetricPseudoInverse(covariance, p);
  if (space.basis === undefined) return { location: mean, factor: pinv.factor, signs: pinv.signs };
  // Back to the features: location = centre + Bᵀ·mean, factor rows f·B.
  const { basis, centre } = space;
  const location = Float64Array.from(centre);
  for (let c = 0; c < p; c++) for (let j = 0; j < d; j++) location[j] += mean[c] * basis[c * d + j];
  const factor = new Float64Array(pinv.rank * d);
  for (let r = 0; r < pinv.rank; r++)
    for (let c = 0; c < p; c++) {
      const f = pinv.factor[r * p + c];
      for (let j = 0; j < d; j++) factor[r * d + j] += f * basis[c * d + j];
    }
  return { location, factor, signs: pinv.signs };
}

interface VaryingSubspace {
  /** Dimension of the space the training rows span around their mean. */
  readonly rank: number;
  readonly centre: Float64Array;
  /** The rows in that space: X itself when it is all of it, else coordinates on `basis`. */
  readonly coordinates: Matrix;
  /** Orthonormal basis (rank × d) when the rows do not span every direction. */
  readonly basis?: Float64Array;
}

/**
 * The directions in which the training rows vary: all of them when their covariance is
 * positive definite, else the eigenvectors whose eigenvalues pass pinvh's cutoff (constant
 * features, exactly collinear ones and fewer rows than features leave the others out).
 */
function varyingSubspace(X: Matrix): VaryingSubspace {
  const { rows: n, cols: d, data } = X;
  const all = new Int32Array(n);
  for (let i = 0; i < n; i++) all[i] = i;
  const { mean: centre, covariance } = subsetMeanCovariance(X, all);
  if (cholesky(covariance, d) !== undefined) return { rank: d, centre, coordinates: X };
  const { values, vectors } = symmetricEigen(covariance, d);
  let largest = 0;
  for (const v of values) largest = Math.max(largest, Math.abs(v));
  const cutoff = largest * d * Number.EPSILON;
  const keptAxes: number[] = [];
  for (let k = d - 1; k >= 0; k--) if (values[k] > cutoff) keptAxes.push(k);
  const r = keptAxes.length;
  const basis = new Float64Array(r * d);
  keptAxes.forEach((k, c) => basis.set(vectors.subarray(k * d, (k + 1) * d), c * d));
  const centred = new Float64Array(n * d);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < d; j++) centred[i * d + j] = data[i * d + j] - centre[j];
  const coordinates = matrix(n, r, multiplyABt(centred, n, basis, r, d));
  return { rank: r, centre, coordinates, basis };
}

/** NumPy's median: the middle value, or the mean of the two middle values. */
function median(values: Float64Array): number {
  const sorted = Float64Array.from(values).sort();
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
