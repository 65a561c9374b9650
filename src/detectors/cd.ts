/**
 * Cook's distance (Cook 1977), as PyOD's CD with its default LinearRegression.
 *
 * Each feature in turn is the dependent variable, regressed (least squares, with intercept) on
 * all the other features. A training row's Cook's distance in that regression is
 * e² / (mse·(1 − h)) · h / ((1 − h)·p), with e its residual, p = d − 1 predictors,
 * mse = Σe² / (n − rank) and h its leverage. As in PyOD, h and the rank come from the predictors
 * without the intercept column (the diagonal of X₋ᵢ·pinv(X₋ᵢ)), while the residuals come from the
 * fit with intercept. Each feature's distances are min–max scaled to [0, 1] over the training
 * rows, and a row's score is their mean over the features.
 *
 * All d regressions come from two d × d Gram matrices, not d separate fits: with C = XcᵀXc
 * (centred) and its pseudo-inverse C⁺, feature i's residuals are Xc·C⁺eᵢ / C⁺ᵢᵢ; with G = XᵀX,
 * the leverage without feature i is xᵀG⁺x − (xᵀG⁺eᵢ)² / G⁺ᵢᵢ. O(n·d² + d³) instead of PyOD's
 * d pseudo-inverses of n × (d − 1) matrices (13 s on arrhythmia's 452 × 274).
 *
 * Exact dependencies. A direction whose eigenvalue is below max(n, d)·ε of the largest is taken
 * as exactly dependent (the Gram matrix cannot resolve smaller singular values; PyOD's pinv keeps
 * singular values down to 1e-15 of the largest). A feature that is an exact linear function of
 * the others (with intercept) has no Cook's distance: its residuals are zero, PyOD's mse = 0
 * branch, and it is left out of the mean. PyOD reaches that branch only when its residuals are
 * exactly zero; when they are rounding noise (1e-15) it min–max scales the noise into [0, 1] and
 * averages it in (cardio's three histogram-width features, and every feature when there are
 * fewer rows than features). A feature that is part of an exact dependency among the predictors
 * leaves the leverage unchanged when removed.
 *
 * Fallbacks, where PyOD divides by zero: a row with leverage 1 (to 1e-10; it alone fixes a
 * coefficient, e.g. the only row with a non-zero value in some feature) gets the largest distance
 * of the feature's other rows, 1 after scaling; a feature whose distances are all equal is left
 * out (PyOD's 0/0); if no feature is left, every score is 0 (PyOD's NaN, which the reference
 * protocol counts as 0). Fewer than 2 features is an error.
 *
 * New rows (batch-invariant; PyOD instead recomputes leverage, mse and the scaling on the batch
 * being scored): a row x gets the Cook's distance it would have if added to the training rows,
 * r₀²·h₀ / ((1 + h₀)·p·mse), with r₀ its residual under the training fit and h₀ = x₋ᵢᵀG₋ᵢ⁺x₋ᵢ
 * its leverage against the training rows; the training mse and min–max scaling. For a training
 * row left out and added back, this is exactly its in-sample distance.
 */
import { z } from "zod";
import { baseParams, defineDetector, f64, i32 } from "./contract.js";
import type { Matrix } from "../core/matrix.js";
import { DataError } from "../core/errors.js";
import { multiplyABt, transpose } from "../core/linalg.js";
import { symmetricEigen } from "../core/eigen.js";

/** 1 − h below this: the leverage is 1 to rounding. */
const LEVERAGE_ONE = 1e-10;
/**
 * A feature whose squared component in the numerically null space exceeds this takes part in an
 * exact dependency; rounding leaves components of about ε / (relative gap) on the others.
 */
const INVOLVED = 1e-8;

export const cdParams = baseParams;

interface CdState {
  /** Column means (the regressions' centring). */
  readonly mean: Float64Array;
  /** Row i: weights w with residual_i(x) = (x − mean)·w (C⁺eᵢ / C⁺ᵢᵢ); d × d. */
  readonly residualWeights: Float64Array;
  /** G⁺, the pseudo-inverse of XᵀX; d × d. */
  readonly leverageInverse: Float64Array;
  /** 1 where removing feature i leaves the predictors' column space unchanged. */
  readonly dependent: Int32Array;
  /** 1 where feature i has a Cook's distance (a regression with non-zero residuals). */
  readonly used: Int32Array;
  /** Per feature: the regression's mse, and the training distances' min and range. */
  readonly mse: Float64Array;
  readonly low: Float64Array;
  readonly range: Float64Array;
}

export const cd = defineDetector({
  name: "cd",
  summary:
    "Cook's distance: how much a row moves the regression of each feature on the others, averaged.",
  reference: "Cook 1977; PyOD CD (LinearRegression of each feature on the rest)",
  deterministic: true,
  params: cdParams,
  state: z.object({
    mean: f64,
    residualWeights: f64,
    leverageInverse: f64,
    dependent: i32,
    used: i32,
    mse: f64,
    low: f64,
    range: f64,
  }),
  checkState(s: CdState, d: number) {
    const perFeature = [s.mean, s.dependent, s.used, s.mse, s.low, s.range];
    if (perFeature.some((a) => a.length !== d)) return "per-feature arrays do not match";
    if (s.residualWeights.length !== d * d || s.leverageInverse.length !== d * d)
      return "regression matrices do not match the features";
    return undefined;
  },
  fit(X) {
    const { rows: n, cols: d, data } = X;
    if (d < 2) {
      throw new DataError(
        `cd: regresses each feature on the others, so it needs at least 2 features, got ${d}`,
      );
    }
    const mean = new Float64Array(d);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += data[i * d + j];
    for (let j = 0; j < d; j++) mean[j] /= n;
    const centred = new Float64Array(n * d);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < d; j++) centred[i * d + j] = data[i * d + j] - mean[j];

    const tolerance = Math.max(n, d) * Number.EPSILON;
    const C = pseudoInverse(gram(centred, n, d), d, tolerance);
    const G = pseudoInverse(gram(data, n, d), d, tolerance);

    // Residuals of every regression at once: column i of Xc·C⁺, divided by C⁺ᵢᵢ.
    const residualWeights = new Float64Array(d * d);
    const used = new Int32Array(d);
    for (let i = 0; i < d; i++) {
      const cii = C.inverse[i * d + i];
      // An exact linear function of the other features: zero residuals, no distance.
      if (C.nullWeight[i] > INVOLVED || !(cii > 0)) continue;
      used[i] = 1;
      for (let j = 0; j < d; j++) residualWeights[i * d + j] = C.inverse[j * d + i] / cii;
    }
    const residuals = multiplyABt(centred, n, residualWeights, d, d); // n × d
    const scaled = scaledDistances(data, n, d, residuals, used, G);
    const state: CdState = {
      mean,
      residualWeights,
      leverageInverse: G.inverse,
      dependent: scaled.dependent,
      used: scaled.used,
      mse: scaled.mse,
      low: scaled.low,
      range: scaled.range,
    };
    return { state, trainingScores: scaled.scores };
  },
  pyodBatchScore(state, X) {
    return pyodBatchScores(state, X);
  },
  score(state, X) {
    const { rows: m, cols: d, data } = X;
    const centred = new Float64Array(m * d);
    for (let i = 0; i < m; i++)
      for (let j = 0; j < d; j++) centred[i * d + j] = data[i * d + j] - state.mean[j];
    const residuals = multiplyABt(centred, m, state.residualWeights, d, d);
    const XG = multiplyABt(data, m, state.leverageInverse, d, d);
    const out = new Float64Array(m);
    let usedCount = 0;
    for (let i = 0; i < d; i++) usedCount += state.used[i];
    if (usedCount === 0) return out;
    const p = d - 1;
    for (let r = 0; r < m; r++) {
      let full = 0;
      for (let j = 0; j < d; j++) full += data[r * d + j] * XG[r * d + j];
      let sum = 0;
      for (let i = 0; i < d; i++) {
        if (state.used[i] === 0) continue;
        const gii = state.leverageInverse[i * d + i];
        let h = state.dependent[i] === 1 ? full : full - XG[r * d + i] ** 2 / gii;
        if (h < 0) h = 0; // rounding below an exact 0
        const e = residuals[r * d + i];
        const v = (e * e * h) / ((1 + h) * p * state.mse[i]);
        sum += (v - state.low[i]) / state.range[i];
      }
      out[r] = sum / usedCount;
    }
    return out;
  },
});

/**
 * PyOD's own scoring of a batch, for parity checks only (src/eval/pooled.ts): the training
 * regressions' residuals on the batch, but leverage, rank, mse and the min–max scaling from the
 * batch itself, as PyOD's `decision_function`. A row's score depends on the rest of its batch.
 * NaN where PyOD's is (no feature with a distance).
 */
export function pyodBatchScores(state: CdState, X: Matrix): Float64Array {
  const { rows: m, cols: d, data } = X;
  const centred = new Float64Array(m * d);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < d; j++) centred[i * d + j] = data[i * d + j] - state.mean[j];
  const residuals = multiplyABt(centred, m, state.residualWeights, d, d);
  const G = pseudoInverse(gram(data, m, d), d, Math.max(m, d) * Number.EPSILON);
  const scaled = scaledDistances(data, m, d, residuals, state.used, G, true);
  if (!scaled.used.includes(1)) scaled.scores.fill(NaN);
  return scaled.scores;
}

/**
 * Cook's distances of the n rows of X (row-major, d features) in each used regression, given the
 * residuals (n × d, column i for feature i) and G = XᵀX's pseudo-inverse; each feature's
 * distances min–max scaled, then averaged over the features that have them (0 if none). Returns
 * the scores with each feature's mse, min and range, which features have distances, and which
 * leave the column space unchanged when removed. `asPyod` gives rows of leverage 1 PyOD's
 * infinite distance, which scales every other row of the feature to 0 and the row itself to NaN
 * (NumPy's nanmean then skips it), instead of our fallback.
 */
function scaledDistances(
  data: Float64Array,
  n: number,
  d: number,
  residuals: Float64Array,
  usable: Int32Array,
  G: PseudoInverse,
  asPyod = false,
): {
  scores: Float64Array;
  used: Int32Array;
  dependent: Int32Array;
  mse: Float64Array;
  low: Float64Array;
  range: Float64Array;
} {
  const used = Int32Array.from(usable);
  const XG = multiplyABt(data, n, G.inverse, d, d); // X·G⁺ (G⁺ is symmetric)
  const fullLeverage = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    let h = 0;
    for (let j = 0; j < d; j++) h += data[r * d + j] * XG[r * d + j];
    fullLeverage[r] = h;
  }
  const dependent = new Int32Array(d);
  for (let i = 0; i < d; i++) dependent[i] = G.nullWeight[i] > INVOLVED ? 1 : 0;
  const mse = new Float64Array(d);
  const low = new Float64Array(d);
  const range = new Float64Array(d);
  const distance = new Float64Array(n);
  const scores = new Float64Array(n);
  /** How many features give each row a distance (all used ones, except with `asPyod`). */
  const counted = new Int32Array(n);
  const p = d - 1;
  for (let i = 0; i < d; i++) {
    if (used[i] === 0) continue;
    let rss = 0;
    for (let r = 0; r < n; r++) rss += residuals[r * d + i] ** 2;
    const rank = G.rank - (dependent[i] === 1 ? 0 : 1);
    mse[i] = rss / (n - rank);
    // PyOD's mse = 0 or NaN branch (no residual; no degrees of freedom left).
    if (!(mse[i] > 0 && mse[i] < Infinity)) {
      used[i] = 0;
      continue;
    }
    const gii = G.inverse[i * d + i];
    let lo = Infinity;
    let hi = -Infinity;
    let ones = 0;
    for (let r = 0; r < n; r++) {
      const h = dependent[i] === 1 ? fullLeverage[r] : fullLeverage[r] - XG[r * d + i] ** 2 / gii;
      if (1 - h <= LEVERAGE_ONE) {
        distance[r] = NaN; // scaled to 1 below
        ones++;
        continue;
      }
      const studentised = residuals[r * d + i] / Math.sqrt(mse[i]) / Math.sqrt(1 - h);
      const v = ((studentised * studentised) / p) * (h / (1 - h));
      distance[r] = v;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    // All rows with leverage 1, or all distances equal: PyOD's 0/0.
    if (ones === n || !(hi > lo)) {
      used[i] = 0;
      continue;
    }
    low[i] = lo;
    range[i] = hi - lo;
    if (asPyod && ones > 0) {
      for (let r = 0; r < n; r++) if (!Number.isNaN(distance[r])) counted[r]++;
      continue; // every other row scaled to 0
    }
    for (let r = 0; r < n; r++) {
      scores[r] += Number.isNaN(distance[r]) ? 1 : (distance[r] - lo) / range[i];
      counted[r]++;
    }
  }
  for (let r = 0; r < n; r++)
    scores[r] = counted[r] > 0 ? scores[r] / counted[r] : asPyod ? NaN : 0;
  return { scores, used, dependent, mse, low, range };
}

/** AᵀA of an n × d row-major matrix, exactly symmetric. */
function gram(A: Float64Array, n: number, d: number): Float64Array {
  const columns = transpose(A, n, d);
  const g = multiplyABt(columns, d, columns, d, n);
  for (let a = 0; a < d; a++) for (let b = 0; b < a; b++) g[a * d + b] = g[b * d + a];
  return g;
}

/**
 * Pseudo-inverse of a symmetric positive semi-definite matrix by eigendecomposition, eigenvalues
 * at or below `tolerance` × the largest counted as zero. Also the rank, and per coordinate its
 * squared weight in the null space (how much it takes part in an exact dependency).
 */
interface PseudoInverse {
  readonly inverse: Float64Array;
  readonly rank: number;
  readonly nullWeight: Float64Array;
}

function pseudoInverse(A: Float64Array, d: number, tolerance: number): PseudoInverse {
  const { values, vectors } = symmetricEigen(A, d);
  const largest = values[d - 1];
  const cutoff = largest * tolerance;
  const inverse = new Float64Array(d * d);
  const nullWeight = new Float64Array(d);
  let rank = 0;
  for (let k = 0; k < d; k++) {
    const v = vectors.subarray(k * d, (k + 1) * d);
    if (largest > 0 && values[k] > cutoff) {
      rank++;
      const w = 1 / values[k];
      for (let a = 0; a < d; a++) {
        const va = v[a] * w;
        for (let b = 0; b < d; b++) inverse[a * d + b] += va * v[b];
      }
    } else {
      for (let a = 0; a < d; a++) nullWeight[a] += v[a] * v[a];
    }
  }
  return { inverse, rank, nullWeight };
}
