/**
 * Empirical tail probabilities shared by ECOD and COPOD.
 *
 * For a training column with n values, a training value x has left tail F(x) = #{x_j <= x} / n and
 * right tail #{x_j >= x} / n (PyOD's right-continuous ECDF on X and on −X). A new value is
 * counted as if it were appended, alone, to the training column: (#{x_j <= x} + 1) / (n + 1).
 * That is exactly what PyOD computes for a batch of one row, and it keeps a row's score
 * independent of the rest of its batch (PyOD instead pools the whole batch with the training
 * data). Each feature's skewness sign (SciPy's biased skewness, NaN → 0 as PyOD) comes from the
 * training data.
 */
import { z } from "zod";
import type { Matrix } from "../core/matrix.js";
import { lowerBound, skewness, upperBound } from "../core/stats.js";
import { f64 } from "./contract.js";

export interface EcdfState {
  /** Each training column sorted ascending, feature-major (feature j at [j*n, (j+1)*n)). */
  readonly sorted: Float64Array;
  /** sign(skewness) of each training column: −1, 0 or 1. */
  readonly skewSign: Float64Array;
}

export const ecdfStateSchema = z.object({ sorted: f64, skewSign: f64 });

export function checkEcdfState(s: EcdfState, d: number): string | undefined {
  if (s.skewSign.length !== d) return `skewSign has ${s.skewSign.length} entries for ${d} features`;
  if (s.sorted.length % d !== 0 || s.sorted.length === 0)
    return "sorted training columns are truncated";
  return undefined;
}

export function fitEcdf(X: Matrix): EcdfState {
  const { rows: n, cols: d, data } = X;
  const sorted = new Float64Array(n * d);
  const skewSign = new Float64Array(d);
  const col = new Float64Array(n);
  for (let j = 0; j < d; j++) {
    for (let i = 0; i < n; i++) col[i] = data[i * d + j];
    const sk = skewness(col);
    skewSign[j] = Number.isNaN(sk) ? 0 : Math.sign(sk);
    sorted.set(col.sort(), j * n);
  }
  return { sorted, skewSign };
}

/**
 * Per-feature outlier contribution O(U_left, U_right, U_skew) summed over features, where
 * U_left = −log(left tail), U_right = −log(right tail) and U_skew picks the tail the skewness
 * points to (both when it is 0). `training` selects the in-sample counts.
 */
export function ecdfScores(
  state: EcdfState,
  X: Matrix,
  training: boolean,
  combine: (left: number, right: number, skewed: number) => number,
): Float64Array {
  const { rows: m, cols: d, data } = X;
  const n = state.sorted.length / d;
  const out = new Float64Array(m);
  const add = training ? 0 : 1;
  const total = n + add;
  for (let j = 0; j < d; j++) {
    const col = state.sorted.subarray(j * n, (j + 1) * n);
    const s = state.skewSign[j];
    // PyOD: U_skew = U_l * −sign(s − 1) + U_r * sign(s + 1)
    const wLeft = -Math.sign(s - 1);
    const wRight = Math.sign(s + 1);
    for (let i = 0; i < m; i++) {
      const v = data[i * d + j];
      const left = -Math.log((upperBound(col, v) + add) / total);
      const right = -Math.log((n - lowerBound(col, v) + add) / total);
      out[i] += combine(left, right, left * wLeft + right * wRight);
    }
  }
  return out;
}
