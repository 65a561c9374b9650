/**
 * L2-regularised logistic regression, scikit-learn LogisticRegression's objective:
 * minimise ½‖w‖² + C · Σᵢ sᵢ · logloss(yᵢ, σ(xᵢ·w + b)), the intercept b unpenalised, sᵢ = 1 or
 * the balanced class weight. Solved by Newton's method (the objective is strictly convex, so
 * a handful of steps reach scikit-learn's lbfgs optimum; the Hessian is (d + 1)², fine for the
 * tens of features of flow or event data). Features are standardised inside the model by
 * default, as the BETH notebook does before every model.
 */
import { z } from "zod";
import { applyScaler, fitStandardScaler } from "../core/stats.js";
import { defineClassifier, balancedWeights } from "./classifier.js";
import { cholesky, choleskySolve } from "../core/cholesky.js";
import { matrix } from "../core/matrix.js";

export const logisticParams = z.object({
  C: z.number().positive().default(1).describe("Inverse L2 strength (scikit-learn's C)."),
  classWeight: z
    .enum(["none", "balanced"])
    .default("none")
    .describe('"balanced" weighs each class by n / (2 · its count).'),
  maxIter: z.int().min(1).default(100).describe("Newton steps at most."),
  tol: z
    .number()
    .positive()
    .default(1e-8)
    .describe("Stop when the step's largest change is below."),
  standardize: z.boolean().default(true).describe("Standardise features with training moments."),
});

interface LogisticState {
  readonly mean: Float64Array;
  readonly scale: Float64Array;
  /** d weights, then the intercept. */
  readonly coef: Float64Array;
}

export const logistic = defineClassifier({
  name: "logistic",
  summary: "L2 logistic regression (linear baseline).",
  reference: "scikit-learn LogisticRegression (l2, C = 1) objective, Newton solver",
  params: logisticParams,
  fit(X, y, p): LogisticState {
    const { rows: n, cols: d } = X;
    const { mean, scale } = p.standardize
      ? fitStandardScaler(X)
      : { mean: new Float64Array(d), scale: new Float64Array(d).fill(1) };
    const Z = applyScaler({ mean, scale }, X).data;
    const s = p.classWeight === "balanced" ? balancedWeights(y) : new Float64Array(n).fill(1);
    const m = d + 1;
    const w = new Float64Array(m);
    const grad = new Float64Array(m);
    const H = new Float64Array(m * m);
    for (let iter = 0; iter < p.maxIter; iter++) {
      grad.fill(0);
      H.fill(0);
      for (let j = 0; j < d; j++) grad[j] = w[j];
      for (let j = 0; j < d; j++) H[j * m + j] = 1;
      for (let i = 0; i < n; i++) {
        const row = i * d;
        let t = w[d];
        for (let j = 0; j < d; j++) t += Z[row + j] * w[j];
        const pr = 1 / (1 + Math.exp(-t));
        const g = p.C * s[i] * (pr - y[i]);
        const h = p.C * s[i] * pr * (1 - pr);
        for (let j = 0; j < d; j++) {
          const zj = Z[row + j];
          grad[j] += g * zj;
          const hz = h * zj;
          for (let k = 0; k <= j; k++) H[j * m + k] += hz * Z[row + k];
          H[d * m + j] += hz;
        }
        grad[d] += g;
        H[d * m + d] += h;
      }
      // Symmetrise the lower triangle, then solve H · step = grad.
      for (let j = 0; j < m; j++) for (let k = 0; k < j; k++) H[k * m + j] = H[j * m + k];
      // A tiny ridge keeps the intercept's block positive definite when every pᵢ saturates.
      H[d * m + d] += 1e-12;
      const L = cholesky(H, m);
      if (L === undefined) break;
      const step = choleskySolve(L, m, grad.slice());
      // Backtracking line search: a full Newton step can overshoot where the sigmoids saturate.
      const before = objective(Z, y, s, w, n, d, p.C);
      const trial = new Float64Array(m);
      let t = 1;
      let after = Infinity;
      for (let halvings = 0; halvings < 30; halvings++, t /= 2) {
        for (let j = 0; j < m; j++) trial[j] = w[j] - t * step[j];
        after = objective(Z, y, s, trial, n, d, p.C);
        if (after <= before) break;
      }
      // No descent left at machine precision: the optimum is reached (or the step is rounding).
      if (!(after <= before)) break;
      let largest = 0;
      for (let j = 0; j < m; j++) {
        largest = Math.max(largest, Math.abs(w[j] - trial[j]));
        w[j] = trial[j];
      }
      if (largest < p.tol || before - after <= 1e-14 * Math.abs(before)) break;
    }
    return { mean, scale, coef: w };
  },
  predictProba(state, X) {
    const { rows: n, cols: d } = X;
    const Z = applyScaler(state, matrix(n, d, X.data)).data;
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let t = state.coef[d];
      for (let j = 0; j < d; j++) t += Z[i * d + j] * state.coef[j];
      out[i] = 1 / (1 + Math.exp(-t));
    }
    return out;
  },
});

/** ½‖w‖² + C Σ sᵢ logloss, with log(1 + eᵗ) computed without overflow. */
function objective(
  Z: Float64Array,
  y: Uint8Array,
  s: Float64Array,
  w: Float64Array,
  n: number,
  d: number,
  C: number,
): number {
  let penalty = 0;
  for (let j = 0; j < d; j++) penalty += w[j] * w[j];
  let loss = 0;
  for (let i = 0; i < n; i++) {
    let t = w[d];
    for (let j = 0; j < d; j++) t += Z[i * d + j] * w[j];
    // logloss = log(1 + e^t) − y·t
    const softplus = t > 0 ? t + Math.log1p(Math.exp(-t)) : Math.log1p(Math.exp(t));
    loss += s[i] * (softplus - y[i] * t);
  }
  return 0.5 * penalty + C * loss;
}
