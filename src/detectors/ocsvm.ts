/**
 * One-class SVM (Schölkopf et al. 2001) with an RBF kernel, as PyOD's OCSVM: scikit-learn's
 * OneClassSVM (libsvm) with PyOD's defaults (ν = 0.5, γ = 'auto' = 1 / features, tol 1e-3,
 * shrinking). The dual is solved as libsvm solves it (src/core/one-class-svm.ts), so the support
 * vectors, their coefficients α and the offset ρ are libsvm's.
 *
 * Score = ρ − Σ_s α_s exp(−γ‖x − x_s‖²): PyOD's decision_function, the negated scikit-learn one,
 * so rows outside the learned support score above 0 and inside below.
 */
import { z } from "zod";
import { baseParams, defineDetector, f64 } from "./contract.js";
import type { Matrix } from "../core/matrix.js";
import { rbfWeightedSumsWasm } from "../core/wasm.js";
import { rowSquaredNorms, solveOneClassSvm } from "../core/one-class-svm.js";

export const ocsvmParams = baseParams.extend({
  nu: z
    .number()
    .gt(0)
    .max(1)
    .default(0.5)
    .describe(
      "Upper bound on the share of training rows outside the boundary, lower bound on the share of support vectors (PyOD: 0.5).",
    ),
  gamma: z
    .union([z.literal("auto"), z.literal("scale"), z.number().gt(0)])
    .default("auto")
    .describe(
      "RBF kernel width: 'auto' = 1 / features (PyOD's default), 'scale' = 1 / (features · variance of all values; 1 if 0), or a number.",
    ),
  tol: z
    .number()
    .gt(0)
    .default(1e-3)
    .describe("Stopping tolerance of the solver on the maximal KKT violation (libsvm: 1e-3)."),
  shrinking: z
    .boolean()
    .default(true)
    .describe("libsvm's shrinking heuristic: faster; the result moves within the tolerance."),
  maxIter: z
    .int()
    .min(1)
    .nullable()
    .default(null)
    .describe("Solver iterations at most; null runs until optimal (scikit-learn: -1)."),
});

interface OcsvmState {
  /** Support vectors, one per row (nSV × features), in training-row order. */
  readonly supportVectors: Float64Array;
  /** α of each support vector. */
  readonly coefficients: Float64Array;
  readonly rho: number;
  readonly gamma: number;
}

export const ocsvm = defineDetector({
  name: "ocsvm",
  summary:
    "One-class SVM with an RBF kernel: distance outside the smallest soft boundary around the data.",
  reference: "Schölkopf et al. 2001; PyOD OCSVM (scikit-learn OneClassSVM / libsvm, ν = 0.5)",
  deterministic: true,
  params: ocsvmParams,
  state: z.object({
    supportVectors: f64,
    coefficients: f64,
    rho: z.number(),
    gamma: z.number().gt(0),
  }),
  checkState(s: OcsvmState, d: number) {
    if (s.coefficients.length < 1) return "no support vectors";
    if (s.supportVectors.length !== s.coefficients.length * d)
      return "support vectors do not match the coefficients";
    return undefined;
  },
  // A row's score sums a kernel value per support vector (at least ν·n of them): thousands of
  // values a row from a few thousand training rows, so scoring pays for the pool and for
  // scoring repeated rows once. The solver itself runs on the calling thread.
  parallelMinRows: 5_000,
  costlyScore: true,
  fit(X, p) {
    const gamma = resolveGamma(p.gamma, X);
    const solution = solveOneClassSvm(X, {
      nu: p.nu,
      gamma,
      tol: p.tol,
      shrinking: p.shrinking,
      maxIter: p.maxIter,
    });
    const { alpha } = solution;
    const d = X.cols;
    let count = 0;
    for (const a of alpha) if (a > 0) count++;
    const supportVectors = new Float64Array(count * d);
    const coefficients = new Float64Array(count);
    let s = 0;
    for (let i = 0; i < X.rows; i++) {
      if (!(alpha[i] > 0)) continue;
      supportVectors.set(X.data.subarray(i * d, (i + 1) * d), s * d);
      coefficients[s++] = alpha[i];
    }
    const state: OcsvmState = { supportVectors, coefficients, rho: solution.rho, gamma };
    const decision = solution.trainingDecision;
    return { state, trainingScores: decision?.map((v) => -v) };
  },
  score(state, X) {
    return scoreRows(state, X);
  },
});

/** γ as scikit-learn resolves it: 'auto' = 1/d; 'scale' = 1/(d · Var(X)), or 1 if Var(X) = 0. */
export function resolveGamma(gamma: "auto" | "scale" | number, X: Matrix): number {
  if (typeof gamma === "number") return gamma;
  if (gamma === "auto") return 1 / X.cols;
  const { data } = X;
  let mean = 0;
  for (const v of data) mean += v;
  mean /= data.length;
  let variance = 0;
  for (const v of data) variance += (v - mean) * (v - mean);
  variance /= data.length;
  return variance !== 0 ? 1 / (X.cols * variance) : 1;
}

/**
 * ρ − Σ_s α_s exp(−γ‖x − x_s‖²), with ‖x − x_s‖² = ‖x‖² + ‖x_s‖² − 2 x·x_s from blocked products
 * (clipped at 0 against rounding) and the sum over support vectors in their order, as libsvm's,
 * all on the SIMD kernel (rbfWeightedSumsWasm).
 */
function scoreRows(s: OcsvmState, X: Matrix): Float64Array {
  const { rows: n, cols: d, data } = X;
  const m = s.coefficients.length;
  const svSquares = rowSquaredNorms({ data: s.supportVectors, rows: m, cols: d });
  const out = rbfWeightedSumsWasm(
    data,
    n,
    s.supportVectors,
    m,
    d,
    rowSquaredNorms(X),
    svSquares,
    s.gamma,
    true,
    s.coefficients,
  );
  for (let r = 0; r < n; r++) out[r] = -(out[r] - s.rho);
  return out;
}
