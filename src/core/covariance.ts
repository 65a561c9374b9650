/**
 * Means and maximum-likelihood covariances (divided by the count or total weight, as
 * scikit-learn's `empirical_covariance` and GaussianMixture's M-step), of chosen or weighted
 * rows. The scatter BᵀB of the centred rows is one matrix product on the SIMD kernel.
 */
import type { Matrix } from "./matrix.js";
import { multiplyAAt, transpose } from "./linalg.js";

export interface MeanCovariance {
  readonly mean: Float64Array;
  /** d × d, row-major, exactly symmetric. */
  readonly covariance: Float64Array;
}

/** Mean and covariance of the rows of X listed in `rows[0..count)`. */
export function subsetMeanCovariance(
  X: Matrix,
  rows: ArrayLike<number>,
  count = rows.length,
): MeanCovariance {
  const { cols: d, data } = X;
  const mean = new Float64Array(d);
  for (let r = 0; r < count; r++) {
    const at = rows[r] * d;
    for (let j = 0; j < d; j++) mean[j] += data[at + j];
  }
  for (let j = 0; j < d; j++) mean[j] /= count;
  // Centred rows, then feature-major (d × count), so the scatter is a product of rows.
  const centred = new Float64Array(count * d);
  for (let r = 0; r < count; r++) {
    const at = rows[r] * d;
    const to = r * d;
    for (let j = 0; j < d; j++) centred[to + j] = data[at + j] - mean[j];
  }
  return { mean, covariance: scatter(transpose(centred, count, d), d, count, count) };
}

/**
 * Weighted mean Σ wᵢxᵢ / W and covariance Σ wᵢ(xᵢ − μ)(xᵢ − μ)ᵀ / W of all rows, with W the
 * given total weight (GaussianMixture adds 10ε to each component's Σ wᵢ).
 */
export function weightedMeanCovariance(
  X: Matrix,
  weights: Float64Array,
  totalWeight: number,
): MeanCovariance {
  const { rows: n, cols: d, data } = X;
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const w = weights[i];
    if (w === 0) continue;
    for (let j = 0; j < d; j++) mean[j] += w * data[i * d + j];
  }
  for (let j = 0; j < d; j++) mean[j] /= totalWeight;
  const block = new Float64Array(d * n);
  for (let i = 0; i < n; i++) {
    const s = Math.sqrt(weights[i]);
    for (let j = 0; j < d; j++) block[j * n + i] = s * (data[i * d + j] - mean[j]);
  }
  return { mean, covariance: scatter(block, d, n, totalWeight) };
}

/** BBᵀ / divisor for B given feature-major (d × m), symmetrised from the upper triangle. */
function scatter(block: Float64Array, d: number, m: number, divisor: number): Float64Array {
  const out = multiplyAAt(block, d, m);
  for (let a = 0; a < d; a++) {
    out[a * d + a] /= divisor;
    for (let b = a + 1; b < d; b++) {
      const v = out[a * d + b] / divisor;
      out[a * d + b] = v;
      out[b * d + a] = v;
    }
  }
  return out;
}
