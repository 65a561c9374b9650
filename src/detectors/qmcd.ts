/**
 * Quasi-Monte Carlo discrepancy (Fang, Lin, Winker & Zhang 2000/2001, wrap-around L2
 * discrepancy), as PyOD's QMCD.
 *
 * The training data are min–max scaled to [0, 1] (scikit-learn's MinMaxScaler: a constant
 * column keeps scale 1). A row x scores by its wrap-around discrepancy against the n scaled
 * training rows: −(4/3)^d + (1/n²)·Σ_j Π_k (3/2 − a + a²) with a = |x_k − t_jk|. The kernel is
 * largest for rows close to many training rows, so the raw value is a density, not an
 * outlyingness; PyOD decides the direction from the shape of the training scores: when their
 * skewness is negative, or non-negative with negative excess kurtosis (SciPy's biased
 * estimators), every score is reflected as max + min − score, with the training max and min.
 * A training row counts itself (PyOD scores the training rows against themselves), so training
 * and new-row scores are the same function.
 *
 * Cost: n² · d / 2 kernel factors to fit (each pair once), n · d per scored row, on the SIMD
 * kernel (assembly/kernels.ts); the model keeps the scaled training rows. Products over more than MAX_FEATURES features would overflow doubles (each factor is up
 * to 3/2), where PyOD returns inf − inf = NaN; ours refuse such data with a clear error.
 */
import { z } from "zod";
import { baseParams, defineDetector, f64 } from "./contract.js";
import type { Matrix } from "../core/matrix.js";
import { DataError } from "../core/errors.js";
import { kurtosis, skewness } from "../core/stats.js";
import { wrapAroundSelfSumsWasm, wrapAroundSumsWasm } from "../core/wasm.js";

/** 1.5^1750 is about 1e308, the largest double. */
const MAX_FEATURES = 1750;

export const qmcdParams = baseParams;

interface QmcdState {
  /** Per feature: scaled = value · scale + offset (scikit-learn's MinMaxScaler `scale_`, `min_`). */
  readonly scale: Float64Array;
  readonly offset: Float64Array;
  /** The scaled training rows, row-major. */
  readonly reference: Float64Array;
  /** Whether scores are reflected (PyOD's `_is_flipped`), and the training max + min it uses. */
  readonly flipped: boolean;
  readonly reflectAround: number;
}

export const qmcd = defineDetector({
  name: "qmcd",
  summary:
    "Quasi-Monte Carlo discrepancy: how a row's wrap-around discrepancy against the training rows departs from the rest.",
  reference: "Fang et al. 2001 (wrap-around discrepancy); PyOD QMCD",
  deterministic: true,
  params: qmcdParams,
  state: z.object({
    scale: f64,
    offset: f64,
    reference: f64,
    flipped: z.boolean(),
    reflectAround: z.number(),
  }),
  checkState(s: QmcdState, d: number) {
    if (s.scale.length !== d || s.offset.length !== d) return "scaler does not match the features";
    if (s.reference.length === 0 || s.reference.length % d !== 0)
      return "reference rows do not match the features";
    return undefined;
  },
  fit(X) {
    const { rows: n, cols: d } = X;
    if (d > MAX_FEATURES) {
      throw new DataError(
        `qmcd: ${d} features; its kernel products overflow above ${MAX_FEATURES} (reduce the features first)`,
      );
    }
    const { scale, offset } = fitMinMax(X);
    const reference = applyMinMax(X, scale, offset);
    // A row's kernel with itself: every factor is 3/2.
    let own = 1;
    for (let k = 0; k < d; k++) own *= 1.5;
    const raw = discrepancyFromSums(wrapAroundSelfSumsWasm(reference, n, d, own), n, d);
    const flip = shouldFlip(raw);
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of raw) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    const state: QmcdState = {
      scale,
      offset,
      reference,
      flipped: flip,
      reflectAround: hi + lo,
    };
    return { state, trainingScores: flip ? raw.map((v) => hi + lo - v) : raw };
  },
  score(state, X) {
    const d = X.cols;
    const n = state.reference.length / d;
    const rows = applyMinMax(X, state.scale, state.offset);
    const sums = wrapAroundSumsWasm(rows, X.rows, state.reference, n, d);
    const out = discrepancyFromSums(sums, n, d);
    if (state.flipped) for (let i = 0; i < out.length; i++) out[i] = state.reflectAround - out[i];
    return out;
  },
});

/** PyOD's rule: reflect when the training scores lean left, or are light-tailed and not. */
function shouldFlip(scores: Float64Array): boolean {
  const skew = skewness(scores);
  const kurt = kurtosis(scores);
  // NaN (constant scores) compares false both ways, as in NumPy: no reflection.
  return skew < 0 || (skew >= 0 && kurt < 0);
}

/** scikit-learn's MinMaxScaler to [0, 1]: a zero range counts as 1. */
function fitMinMax(X: Matrix): { scale: Float64Array; offset: Float64Array } {
  const { rows: n, cols: d, data } = X;
  const lo = new Float64Array(d).fill(Infinity);
  const hi = new Float64Array(d).fill(-Infinity);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < d; k++) {
      const v = data[i * d + k];
      if (v < lo[k]) lo[k] = v;
      if (v > hi[k]) hi[k] = v;
    }
  }
  const scale = new Float64Array(d);
  const offset = new Float64Array(d);
  for (let k = 0; k < d; k++) {
    const range = hi[k] - lo[k];
    scale[k] = 1 / (range === 0 ? 1 : range);
    offset[k] = -lo[k] * scale[k];
  }
  return { scale, offset };
}

function applyMinMax(X: Matrix, scale: Float64Array, offset: Float64Array): Float64Array {
  const { rows: n, cols: d, data } = X;
  const out = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < d; k++) out[i * d + k] = data[i * d + k] * scale[k] + offset[k];
  }
  return out;
}

/** −(4/3)^d + (1/n²)·sum, PyOD's discrepancy from a row's kernel sum. */
function discrepancyFromSums(sums: Float64Array, n: number, d: number): Float64Array {
  const base = -Math.pow(4 / 3, d);
  const weight = 1 / (n * n);
  for (let i = 0; i < sums.length; i++) sums[i] = base + weight * sums[i];
  return sums;
}
