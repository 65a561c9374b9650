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
import { EigenvalueDecomposition, Matrix as MlMatrix } from "ml-matrix";
import { baseParams, defineDetector, f64 } from "./contract.js";
import { applyScaler, fitStandardScaler } from "../core/stats.js";
import type { Matrix } from "../core/matrix.js";
import { ParamError } from "../core/errors.js";

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
    const { vectors, values } = principalAxes(Z);
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
    return { state, trainingScores: distanceScores(state, Z) };
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
 * scikit-learn's sign convention. Returns unit vectors row-major (d × d) and eigenvalues.
 */
function principalAxes(Z: Matrix): { vectors: Float64Array; values: Float64Array } {
  const { rows: n, cols: d, data } = Z;
  const mu = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mu[j] += data[i * d + j];
  for (let j = 0; j < d; j++) mu[j] /= n;
  const scatter = new Float64Array(d * d);
  const centred = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) centred[j] = data[i * d + j] - mu[j];
    for (let a = 0; a < d; a++) {
      const ca = centred[a];
      if (ca === 0) continue;
      const rowOffset = a * d;
      for (let b = a; b < d; b++) scatter[rowOffset + b] += ca * centred[b];
    }
  }
  const nested: number[][] = [];
  for (let a = 0; a < d; a++) {
    const r = new Array<number>(d);
    for (let b = 0; b < d; b++) r[b] = a <= b ? scatter[a * d + b] : scatter[b * d + a];
    nested.push(r);
  }
  const evd = new EigenvalueDecomposition(new MlMatrix(nested), { assumeSymmetric: true });
  const eigenvalues = evd.realEigenvalues;
  const V = evd.eigenvectorMatrix;
  const order = Array.from({ length: d }, (_, k) => k).sort(
    (x, y) => eigenvalues[y] - eigenvalues[x],
  );
  const vectors = new Float64Array(d * d);
  const values = new Float64Array(d);
  for (let k = 0; k < d; k++) {
    const src = order[k];
    values[k] = Math.max(eigenvalues[src], 0);
    for (let j = 0; j < d; j++) vectors[k * d + j] = V.get(j, src);
  }
  // svd_flip (u-based): the first row with the largest |projection| on an axis projects positively.
  const projection = new Float64Array(d);
  const bestAbs = new Float64Array(d).fill(-1);
  const bestSign = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    projection.fill(0);
    for (let j = 0; j < d; j++) {
      const c = data[i * d + j] - mu[j];
      if (c === 0) continue;
      for (let k = 0; k < d; k++) projection[k] += c * vectors[k * d + j];
    }
    for (let k = 0; k < d; k++) {
      const a = Math.abs(projection[k]);
      if (a > bestAbs[k]) {
        bestAbs[k] = a;
        bestSign[k] = Math.sign(projection[k]);
      }
    }
  }
  for (let k = 0; k < d; k++) {
    if (bestSign[k] < 0) for (let j = 0; j < d; j++) vectors[k * d + j] = -vectors[k * d + j];
  }
  return { vectors, values };
}

/** Σ_k ‖z − v_k‖ / w_k for each row. */
function distanceScores(s: PcaState, Z: Matrix): Float64Array {
  const { rows: n, cols: d, data } = Z;
  const k = s.weights.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let total = 0;
    const base = i * d;
    for (let c = 0; c < k; c++) {
      let ss = 0;
      const vBase = c * d;
      for (let j = 0; j < d; j++) {
        const diff = data[base + j] - s.components[vBase + j];
        ss += diff * diff;
      }
      total += Math.sqrt(ss) / s.weights[c];
    }
    out[i] = total;
  }
  return out;
}
