/**
 * Empirical tail probabilities shared by ECOD and COPOD.
 *
 * For a training column with n values, a training value x has left tail F(x) = #{x_j <= x} / n and
 * right tail #{x_j >= x} / n (PyOD's right-continuous ECDF on X and on −X). A new value is
 * counted as if it were appended, alone, to the training column: (#{x_j <= x} + 1) / (n + 1).
 * That is what PyOD computes for a batch of one row, and it keeps a row's score independent of
 * the rest of its batch (PyOD instead pools the whole batch with the training data). Each
 * feature's skewness sign (SciPy's biased skewness, NaN → 0 as PyOD) comes from the training data.
 *
 * Counting is done by sorting: each column is argsorted once (radix sort) and ties are grouped in
 * one pass; new rows are argsorted and merged against the sorted training column, or binary
 * searched when they are few. −log(count / total) comes from a table, so no log is taken per cell.
 */
import { z } from "zod";
import type { Matrix } from "../core/matrix.js";
import { argsortFloat64 } from "../core/sort.js";
import { transpose } from "../core/linalg.js";
import { lowerBound, skewness, upperBound } from "../core/stats.js";
import { concatF64, f64 } from "./contract.js";

export interface EcdfState {
  /** Each training column sorted ascending, feature-major (feature j at [j*n, (j+1)*n)). */
  readonly sorted: Float64Array;
  /** sign(skewness) of each training column: −1, 0 or 1. */
  readonly skewSign: Float64Array;
}

/** How a feature's tail surprisals combine into its contribution (PyOD's ECOD or COPOD rule). */
export type TailRule = "ecod" | "copod";

export const ecdfStateSchema = z.object({ sorted: f64, skewSign: f64 });

/** Joins single-feature states (sorted columns and skew signs in feature order). */
export function mergeEcdfStates(parts: readonly EcdfState[]): EcdfState {
  return {
    sorted: concatF64(parts.map((p) => p.sorted)),
    skewSign: concatF64(parts.map((p) => p.skewSign)),
  };
}

export function checkEcdfState(s: EcdfState, d: number): string | undefined {
  if (s.skewSign.length !== d) return `skewSign has ${s.skewSign.length} entries for ${d} features`;
  if (s.sorted.length % d !== 0 || s.sorted.length === 0)
    return "sorted training columns are truncated";
  for (let k = 1; k < s.sorted.length; k++) {
    if (k % (s.sorted.length / d) !== 0 && !(s.sorted[k - 1] <= s.sorted[k]))
      return "training columns are not sorted";
  }
  return undefined;
}

/** −log(k / total) for k = 0..total; the last table is kept, as fits and scores reuse sizes. */
let lastTable: Float64Array | undefined;
function surprisalTable(total: number): Float64Array {
  if (lastTable !== undefined && lastTable.length === total + 1) return lastTable;
  const t = new Float64Array(total + 1);
  for (let k = 0; k <= total; k++) t[k] = -Math.log(k / total);
  lastTable = t;
  return t;
}

/**
 * One feature's contribution from its left and right surprisals: PyOD's U_skew picks the tail
 * the skewness points to (both when it is 0): U_l·(−sign(s − 1)) + U_r·sign(s + 1).
 */
function contribution(
  rule: TailRule,
  left: number,
  right: number,
  wLeft: number,
  wRight: number,
): number {
  const skewed = left * wLeft + right * wRight;
  if (rule === "ecod") return Math.max(Math.max(left, right), skewed);
  return Math.max(skewed, (left + right) / 2);
}

/** Learns the sorted columns and skewness signs, and returns the in-sample (training) scores. */
export function fitEcdf(
  X: Matrix,
  rule: TailRule,
): { state: EcdfState; trainingScores: Float64Array } {
  const { rows: n, cols: d, data } = X;
  const sorted = new Float64Array(n * d);
  const skewSign = new Float64Array(d);
  const scores = new Float64Array(n);
  const table = surprisalTable(n);
  const columns = transpose(data, n, d); // contiguous columns
  for (let j = 0; j < d; j++) {
    const col = columns.subarray(j * n, (j + 1) * n);
    const sk = skewness(col);
    const s = Number.isNaN(sk) ? 0 : Math.sign(sk);
    skewSign[j] = s;
    const wLeft = -Math.sign(s - 1);
    const wRight = Math.sign(s + 1);
    const base = j * n;
    const order = argsortFloat64(col, sorted.subarray(base, base + n));
    // Ties [lo, hi): each has hi values <= it and n − lo values >= it.
    let lo = 0;
    while (lo < n) {
      let hi = lo + 1;
      while (hi < n && sorted[base + hi] === sorted[base + lo]) hi++;
      const value = contribution(rule, table[hi], table[n - lo], wLeft, wRight);
      for (let k = lo; k < hi; k++) scores[order[k]] += value;
      lo = hi;
    }
  }
  return { state: { sorted, skewSign }, trainingScores: scores };
}

/** Scores new rows, each counted as if appended alone to the training data. */
export function ecdfScores(state: EcdfState, X: Matrix, rule: TailRule): Float64Array {
  const { rows: m, cols: d, data } = X;
  const n = state.sorted.length / d;
  const out = new Float64Array(m);
  const table = surprisalTable(n + 1);
  const columns = transpose(data, m, d);
  const sortedQueries = new Float64Array(m);
  // Merging costs O(n + m) per feature, binary search O(m log n): pick the cheaper.
  const merge = m * Math.log2(n + 1) > n + m;
  for (let j = 0; j < d; j++) {
    const train = state.sorted.subarray(j * n, (j + 1) * n);
    const s = state.skewSign[j];
    const wLeft = -Math.sign(s - 1);
    const wRight = Math.sign(s + 1);
    const col = columns.subarray(j * m, (j + 1) * m);
    if (merge) {
      const order = argsortFloat64(col, sortedQueries);
      let below = 0; // training values < v
      let upTo = 0; // training values <= v
      for (let k = 0; k < m; k++) {
        const i = order[k];
        const v = sortedQueries[k];
        while (below < n && train[below] < v) below++;
        if (upTo < below) upTo = below;
        while (upTo < n && train[upTo] <= v) upTo++;
        out[i] += contribution(rule, table[upTo + 1], table[n - below + 1], wLeft, wRight);
      }
    } else {
      for (let i = 0; i < m; i++) {
        const v = col[i];
        out[i] += contribution(
          rule,
          table[upperBound(train, v) + 1],
          table[n - lowerBound(train, v) + 1],
          wLeft,
          wRight,
        );
      }
    }
  }
  return out;
}
