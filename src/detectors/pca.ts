/**
 * PCA outlier score (Shyu et al. 2003, as PyOD's PCA detector).
 *
 * Standardise (optional), fit a full PCA, and score a row by its Euclidean distance to each of
 * the selected principal axes' unit vectors taken as points, each divided by that axis's share of
 * explained variance, summed. PyOD selects the last (lowest-variance) components, so deviations
 * along directions the normal data barely use weigh most. Component signs follow scikit-learn's
 * `svd_flip` (the row with the largest |projection| on an axis projects positively), because
 * the distance to a unit vector depends on its sign.
 */
import { z } from "zod";
import { baseParams, defineDetector, f64 } from "./contract.js";
import { applyScaler, fitStandardScaler } from "../core/stats.js";
import type { Matrix } from "../core/matrix.js";
import { ParamError } from "../core/errors.js";
import { multiplyABt, transpose } from "../core/linalg.js";
import { symmetricEigen } from "../core/eigen.js";

export const pcaParams = baseParams.extend({
  nComponents: z
    .int()
    .min(1)
    .nullable()
    .default(null)
    .describe("Principal components kept; null keeps min(rows, features) as scikit-learn's PCA."),
  nSelectedComponents: z
    .int()
    .min(1)
    .nullable()
    .default(null)
    .describe("How many of the lowest-variance kept components score a row; null uses all kept."),
  weighted: z
    .boolean()
    .default(true)
    .describe("Divide each component's distance by its explained-variance ratio."),
  standardization: z
    .boolean()
    .default(true)
    .describe("Standardise features (zero mean, unit variance) before the PCA."),
});

interface PcaState {
  /** Standardisation mean and scale per feature (empty when standardization is off). */
  readonly scalerMean: Float64Array;
  readonly scalerScale: Float64Array;
  /** Selected components, one unit vector per row (k × d, row-major). */
  readonly components: Float64Array;
  /** Weight dividing each selected component's distance. */
  readonly weights: Float64Array;
}

export const pca = defineDetector({
  name: "pca",
  summary: "Weighted distance to the low-variance principal axes (linear model of normal data).",
  reference: "Shyu, Chen, Sarinnapakorn & Chang 2003; PyOD PCA (scikit-learn full SVD, svd_flip)",
  deterministic: true,
  params: pcaParams,
  state: z.object({ scalerMean: f64, scalerScale: f64, components: f64, weights: f64 }),
  checkState(s: PcaState, d: number) {
    if (s.scalerMean.length !== s.scalerScale.length)
      return "scaler mean and scale differ in length";
    if (s.scalerMean.length !== 0 && s.scalerMean.length !== d)
      return "scaler does not match the features";
    if (s.components.length !== s.weights.length * d) return "components do not match the weights";
    return undefined;
  },
  fit(X, p) {
    const { rows: n, cols: d } = X;
    let Z = X;
    let scalerMean: Float64Array = new Float64Array(0);
    let scalerScale: Float64Array = new Float64Array(0);
    if (p.standardization) {
      const scaler = fitStandardScaler(X);
      Z = applyScaler(scaler, X);
      scalerMean = scaler.mean;
      scalerScale = scaler.scale;
    }
    const maxComponents = Math.min(n, d);
    const kept = p.nComponents ?? maxComponents;
    if (kept > maxComponents) {
      throw new ParamError(
        `pca: nComponents=${kept} exceeds min(rows, features) = ${maxComponents}`,
      );
    }
    const selected = p.nSelectedComponents ?? kept;
    if (selected > kept) {
      throw new ParamError(
        `pca: nSelectedComponents=${selected} exceeds the ${kept} kept components`,
      );
    }
    const { vectors, values, mean, projections } = principalAxes(Z);
    // Explained-variance ratio over all min(n, d) components, as scikit-learn's full solver.
    let total = 0;
    for (let k = 0; k < maxComponents; k++) total += values[k];
    // Eigenvalues below the rounding noise of the scatter matrix are numerically zero (constant or
    // collinear features, or fewer rows than features). scikit-learn's SVD returns noise there
    // (~1e-30) and PyOD divides by it, so those directions dominate the score; we keep that
    // behaviour but with a reproducible floor instead of noise, and no division by zero.
    const noiseFloor = values[0] * d * Number.EPSILON;
    const first = kept - selected; // PyOD keeps the last `selected` of the kept components
    const components = new Float64Array(selected * d);
    const weights = new Float64Array(selected);
    for (let k = 0; k < selected; k++) {
      components.set(vectors.subarray((first + k) * d, (first + k + 1) * d), k * d);
      // All rows identical (total variance 0): no direction is preferred, so weigh them equally.
      weights[k] = p.weighted && total > 0 ? Math.max(values[first + k], noiseFloor) / total : 1;
    }
    const state: PcaState = { scalerMean, scalerScale, components, weights };
    // Training rows' z·v_k = (centred row)·v_k + mean·v_k, from the projections already made.
    const meanDot = new Float64Array(selected);
    for (let k = 0; k < selected; k++) {
      for (let j = 0; j < d; j++) meanDot[k] += mean[j] * components[k * d + j];
    }
    const dots = new Float64Array(n * selected);
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < selected; k++)
        dots[i * selected + k] = projections[i * d + first + k] + meanDot[k];
    }
    return { state, trainingScores: distanceScores(state, Z, dots) };
  },
  score(state, X) {
    const Z =
      state.scalerMean.length > 0
        ? applyScaler({ mean: state.scalerMean, scale: state.scalerScale }, X)
        : X;
    return distanceScores(state, Z);
  },
});

/**
 * Principal axes of the centred data by eigendecomposition of the scatter matrix XcᵀXc
 * (eigenvalues = squared singular values of Xc), sorted by decreasing variance, with
 * scikit-learn's sign convention. Returns unit vectors row-major (d × d), eigenvalues, the
 * column means and the centred rows' projections on the axes (n × d).
 */
function principalAxes(Z: Matrix): {
  vectors: Float64Array;
  values: Float64Array;
  mean: Float64Array;
  projections: Float64Array;
} {
  const { rows: n, cols: d, data } = Z;
  const mu = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mu[j] += data[i * d + j];
  for (let j = 0; j < d; j++) mu[j] /= n;
  const centred = new Float64Array(n * d);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < d; j++) centred[i * d + j] = data[i * d + j] - mu[j];
  // Scatter XcᵀXc as dot products of the centred columns.
  const columns = transpose(centred, n, d);
  const scatter = multiplyABt(columns, d, columns, d, n);
  // Symmetrise from the upper triangle, so the solver sees an exactly symmetric matrix.
  for (let a = 0; a < d; a++) for (let b = 0; b < a; b++) scatter[a * d + b] = scatter[b * d + a];
  const eigen = symmetricEigen(scatter, d);
  const vectors = new Float64Array(d * d);
  const values = new Float64Array(d);
  for (let k = 0; k < d; k++) {
    const src = d - 1 - k; // decreasing variance
    values[k] = Math.max(eigen.values[src], 0);
    vectors.set(eigen.vectors.subarray(src * d, (src + 1) * d), k * d);
  }
  // svd_flip (u-based): the first row with the largest |projection| on an axis projects positively.
  const projections = multiplyABt(centred, n, vectors, d, d);
  const bestAbs = new Float64Array(d).fill(-1);
  const bestSign = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const row = i * d;
    for (let k = 0; k < d; k++) {
      const p = projections[row + k];
      const a = Math.abs(p);
      if (a > bestAbs[k]) {
        bestAbs[k] = a;
        bestSign[k] = Math.sign(p);
      }
    }
  }
  for (let k = 0; k < d; k++) {
    if (bestSign[k] < 0) for (let j = 0; j < d; j++) vectors[k * d + j] = -vectors[k * d + j];
  }
  for (let i = 0; i < n; i++) {
    const row = i * d;
    for (let k = 0; k < d; k++) if (bestSign[k] < 0) projections[row + k] = -projections[row + k];
  }
  return { vectors, values, mean: mu, projections };
}

/**
 * Σ_k ‖z − v_k‖ / w_k for each row, with ‖z − v‖² = ‖z‖² − 2 z·v + ‖v‖² so that the n × k dot
 * products come from one blocked matrix product. `dots` may pass in z·v_k already computed.
 */
function distanceScores(s: PcaState, Z: Matrix, dots?: Float64Array): Float64Array {
  const { rows: n, cols: d, data } = Z;
  const k = s.weights.length;
  const zv = dots ?? multiplyABt(data, n, s.components, k, d);
  const vv = new Float64Array(k);
  for (let c = 0; c < k; c++) {
    let sum = 0;
    for (let j = 0; j < d; j++) sum += s.components[c * d + j] ** 2;
    vv[c] = sum;
  }
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let zz = 0;
    for (let j = 0; j < d; j++) zz += data[i * d + j] ** 2;
    let total = 0;
    for (let c = 0; c < k; c++) {
      const squared = zz - 2 * zv[i * k + c] + vv[c];
      total += Math.sqrt(squared > 0 ? squared : 0) / s.weights[c];
    }
    out[i] = total;
  }
  return out;
}
