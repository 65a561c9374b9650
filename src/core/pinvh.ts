/**
 * Pseudo-inverse of a symmetric matrix, as scipy's `linalg.pinvh` with its default cutoff:
 * eigenvalues with |λ| ≤ n · ε · max|λ| count as zero, the others are inverted (negative ones
 * too). Through the eigendecomposition of src/core/eigen.ts.
 *
 * Quadratic forms xᵀA⁺x are what the detectors need, so the pseudo-inverse is also given in
 * factored form: rows w_k = v_k / √|λ_k| and signs s_k = sign λ_k, with xᵀA⁺x = Σ s_k (w_k·x)².
 */
import { symmetricEigen } from "./eigen.js";

export interface SymmetricPseudoInverse {
  /** Kept eigenpairs, k of them: row k is v_k / √|λ_k| (k × n, row-major). */
  readonly factor: Float64Array;
  /** sign(λ_k) of each kept eigenvalue. */
  readonly signs: Float64Array;
  /** How many eigenvalues were kept (the numerical rank). */
  readonly rank: number;
  /** Σ log λ over all n eigenvalues, −∞ when any is at or below the cutoff or negative. */
  readonly logDet: number;
}

/** The factored pseudo-inverse of the symmetric n × n matrix A (row-major; only read). */
export function symmetricPseudoInverse(A: Float64Array, n: number): SymmetricPseudoInverse {
  const { values, vectors } = symmetricEigen(A, n);
  let largest = 0;
  for (const v of values) largest = Math.max(largest, Math.abs(v));
  const cutoff = largest * n * Number.EPSILON;
  const kept: number[] = [];
  let logDet = 0;
  for (let k = 0; k < n; k++) {
    if (Math.abs(values[k]) > cutoff) kept.push(k);
    logDet = values[k] > cutoff && logDet > -Infinity ? logDet + Math.log(values[k]) : -Infinity;
  }
  const factor = new Float64Array(kept.length * n);
  const signs = new Float64Array(kept.length);
  kept.forEach((src, r) => {
    const scale = 1 / Math.sqrt(Math.abs(values[src]));
    for (let j = 0; j < n; j++) factor[r * n + j] = vectors[src * n + j] * scale;
    signs[r] = Math.sign(values[src]);
  });
  return { factor, signs, rank: kept.length, logDet: n === 0 ? 0 : logDet };
}

/** The pseudo-inverse A⁺ itself (n × n, row-major), as scipy's `pinvh`. */
export function pinvh(A: Float64Array, n: number): Float64Array {
  const { factor, signs, rank } = symmetricPseudoInverse(A, n);
  const out = new Float64Array(n * n);
  for (let k = 0; k < rank; k++) {
    const row = k * n;
    for (let i = 0; i < n; i++) {
      const wi = signs[k] * factor[row + i];
      if (wi === 0) continue;
      for (let j = 0; j < n; j++) out[i * n + j] += wi * factor[row + j];
    }
  }
  return out;
}
