/**
 * Linear one-class SVM fitted by stochastic gradient descent, as scikit-learn's SGDOneClassSVM
 * with its defaults (PyOD's reference `sgdocsvm` is that estimator, random_state = seed).
 *
 * It minimises ν/2 ‖w‖² + (1/n) Σ max(0, 1 − (w·x_i + b)) − ν b over w and b = 1 − offset, the
 * one-class primal in scikit-learn's reparametrisation, one row at a time: for each row, with
 * step η (learning rate 'optimal': η_t = 1 / (α (t₀ + t − 1)), α = ν/2, t₀ from Bottou's
 * heuristic), shrink w by (1 − ηα), add η x if the row is inside the margin (w·x + b ≤ 1), and
 * move b by that step minus 2ηα. w is held as a vector times a scale, as scikit-learn does,
 * so the floating-point steps are the same. An epoch visits every row once; training stops
 * when the summed hinge loss of an epoch has not improved on the best by tol · n for 5 epochs
 * in a row, or after maxIter epochs.
 *
 * The row order is scikit-learn's: the same NumPy MT19937 draw of a shuffle seed from
 * random_state, and the same xorshift Fisher–Yates pass applied at every epoch
 * (src/core/replay-random.ts), so fits follow scikit-learn's step by step.
 *
 * Score = offset − w·x: the negated scikit-learn decision_function, higher = more anomalous.
 */
import { z } from "zod";
import { baseParams, defineDetector, f64 } from "./contract.js";
import type { Matrix } from "../core/matrix.js";
import { DataError, ParamError } from "../core/errors.js";
import { NumpyRandomState, shuffleAsScikitLearn } from "../core/replay-random.js";
import { rowDotsWasm, sgdOcsvmSession } from "../core/wasm.js";

export const sgdocsvmParams = baseParams.extend({
  nu: z
    .number()
    .gt(0)
    .max(1)
    .default(0.5)
    .describe("ν: weight of ‖w‖² (α = ν/2) and bound on the share of rows outside (sklearn: 0.5)."),
  fitIntercept: z
    .boolean()
    .default(true)
    .describe("Learn the offset; false keeps it at 0 (scikit-learn: fit_intercept)."),
  maxIter: z.int().min(1).default(1000).describe("Epochs (passes over the rows) at most."),
  tol: z
    .number()
    .nullable()
    .default(1e-3)
    .describe(
      "Stop when an epoch's summed loss exceeds the best minus tol · rows for 5 epochs running; null never stops early.",
    ),
  shuffle: z.boolean().default(true).describe("Shuffle the rows before every epoch."),
  learningRate: z
    .enum(["optimal", "constant", "invscaling", "adaptive"])
    .default("optimal")
    .describe(
      "Step size: 'optimal' 1/(α(t₀ + t)), 'constant' eta0, 'invscaling' eta0/t^powerT, 'adaptive' eta0 divided by 5 on stalls.",
    ),
  eta0: z
    .number()
    .min(0)
    .default(0)
    .describe("Initial step for 'constant', 'invscaling' and 'adaptive' (must then be > 0)."),
  powerT: z.number().default(0.5).describe("Exponent of the 'invscaling' step."),
  average: z
    .union([z.boolean(), z.int().min(1)])
    .default(false)
    .describe(
      "Average the weights over the steps (true: from the first; a number: from that step on).",
    ),
  seed: z
    .int()
    .default(0)
    .describe(
      "scikit-learn's random_state (NumPy RandomState, taken modulo 2^32): same seed, same shuffles.",
    ),
});

type SgdParams = z.output<typeof sgdocsvmParams>;

interface SgdocsvmState {
  /** w, one weight per feature. */
  readonly coef: Float64Array;
  /** scikit-learn's offset_: decision(x) = w·x − offset. */
  readonly offset: number;
}

/** scikit-learn's n_iter_no_change for SGD without early stopping. */
const EPOCHS_WITHOUT_IMPROVEMENT = 5;
/** WeightVector rescales its vector into the weights when the scale drops below this. */
const SCALE_FLOOR = 1e-9;

export const sgdocsvm = defineDetector({
  name: "sgdocsvm",
  summary:
    "Linear one-class SVM by stochastic gradient descent: how far a row falls on the origin's side of a hyperplane.",
  reference: "Schölkopf et al. 2001; scikit-learn SGDOneClassSVM (PyOD reference 'sgdocsvm')",
  deterministic: false,
  params: sgdocsvmParams,
  state: z.object({ coef: f64, offset: z.number() }),
  checkState(s: SgdocsvmState, d: number) {
    return s.coef.length === d ? undefined : "weights do not match the features";
  },
  fit(X, p) {
    if (p.learningRate !== "optimal" && !(p.eta0 > 0)) {
      throw new ParamError(
        `sgdocsvm: learningRate '${p.learningRate}' needs eta0 > 0, got ${p.eta0}`,
      );
    }
    return sgdFit(X, p);
  },
  score(state, X) {
    const { rows: n, cols: d, data } = X;
    const { coef, offset } = state;
    // X · coef summed in feature order per row, as scikit-learn's: a running sum per row, which
    // the kernel keeps (rows side by side in its lanes, not terms).
    const out = rowDotsWasm(data, n, d, coef);
    for (let i = 0; i < n; i++) out[i] = -(out[i] - offset);
    return out;
  },
});

/**
 * The fit; `onKernel` false runs every epoch in JavaScript, which the tests compare with the
 * kernel's bit for bit. The defaults (learning rate 'optimal', no averaging) run on the
 * WebAssembly kernel: the same operations in the same order, without bounds checks or a return
 * to JavaScript between epochs; there the training rows' scores come from the rows already in
 * kernel memory (the same bits as `score`), otherwise they are left to `score`.
 */
export function sgdFit(
  X: Matrix,
  p: SgdParams,
  onKernel = true,
): { state: SgdocsvmState; trainingScores?: Float64Array } {
  const average = p.average === true ? 1 : p.average === false ? 0 : p.average;
  if (onKernel && p.learningRate === "optimal" && average === 0) return fitOnKernel(X, p);
  return { state: fitInJs(X, p, average) };
}

/**
 * α = ν/2; t₀ of the 'optimal' schedule (Bottou's heuristic: the first step is
 * η₀ = typw / max(1, −dloss(−typw)) = typw for the hinge loss, so that t₀ = 1 / (η₀ α)); and the
 * one draw scikit-learn takes from random_state, the seed of every epoch's shuffle.
 */
function schedule(p: SgdParams): { alpha: number; optimalInit: number; shuffleSeed: number } {
  const alpha = p.nu / 2;
  const typw = Math.sqrt(1 / Math.sqrt(alpha));
  const optimalInit = p.learningRate === "optimal" ? 1 / (typw * alpha) : 0;
  const shuffleSeed = new NumpyRandomState(p.seed).randint(0, 0x7fffffff);
  return { alpha, optimalInit, shuffleSeed };
}

function overflowError(epoch: number): DataError {
  return new DataError(
    `sgdocsvm: the weights overflowed at epoch ${epoch}; standardise the features first`,
  );
}

/** The defaults' fit on the kernel (sgdOcsvmSession), and the training rows' scores. */
function fitOnKernel(
  X: Matrix,
  p: SgdParams,
): { state: SgdocsvmState; trainingScores: Float64Array } {
  const { rows: n, cols: d, data } = X;
  const { alpha, optimalInit, shuffleSeed } = schedule(p);
  const session = sgdOcsvmSession(data, n, d);
  try {
    // One weight per column the kernel kept (the others stay +0; see sgdOcsvmSession).
    const kept = new Float64Array(session.columns.length);
    // w = weights · scale (scikit-learn's WeightVector), b = 1 − offset with offset starting at 0.
    const state = Float64Array.of(1, 1, 1); // scale, intercept, t
    const epochs = session.fit(
      {
        alpha,
        optimalInit,
        fitIntercept: p.fitIntercept,
        shuffle: p.shuffle,
        shuffleSeed,
        maxIter: p.maxIter,
        tol: p.tol,
      },
      kept,
      state,
    );
    if (epochs < 0) throw overflowError(-epochs);
    const [scale, intercept] = state;
    const coef = new Float64Array(d);
    session.columns.forEach((column, j) => (coef[column] = kept[j]));
    foldScale(coef, scale, new Float64Array(0), 0, 1);
    const offset = 1 - intercept;
    const trainingScores = session.dots(Float64Array.from(session.columns, (c) => coef[c]));
    for (let i = 0; i < n; i++) trainingScores[i] = -(trainingScores[i] - offset);
    return { state: { coef, offset }, trainingScores };
  } finally {
    session.finish();
  }
}

/** Every setting's fit in JavaScript (the reference for the kernel's). */
function fitInJs(X: Matrix, p: SgdParams, average: number): SgdocsvmState {
  const { rows: n, cols: d, data } = X;
  const { alpha, optimalInit, shuffleSeed } = schedule(p);
  const tol = p.tol ?? -Infinity;

  // w = weights · scale (scikit-learn's WeightVector), b = 1 − offset with offset starting at 0.
  const weights = new Float64Array(d);
  let scale = 1;
  let intercept = 1;
  const averaged = new Float64Array(average > 0 ? d : 0);
  let averageA = 0;
  let averageB = 1;
  let averageIntercept = 0;
  // Folds the scale into the weights (and the averaging terms into the average), as
  // WeightVector.reset_wscale does; the caller then resets scale, averageA and averageB.
  const fold = (): void => {
    foldScale(weights, scale, averaged, averageA, averageB);
    scale = 1;
    averageA = 0;
    averageB = 1;
  };

  let eta = p.eta0;
  const order = Int32Array.from({ length: n }, (_, i) => i);
  let t = 1;
  let bestLoss = Infinity;
  let stalled = 0;
  for (let epoch = 0; epoch < p.maxIter; epoch++) {
    let sumLoss = 0;
    if (p.shuffle) shuffleAsScikitLearn(order, shuffleSeed);
    // w·x of the epoch's first row; each later row's is summed while the step before it
    // updates w (each weight is final once added to, and the sum runs in feature order).
    let dot = 0;
    const first = order[0] * d;
    for (let j = 0; j < d; j++) dot += weights[j] * data[first + j];
    for (let k = 0; k < n; k++) {
      const at = order[k] * d;
      const next = k + 1 < n ? order[k + 1] * d : -1;
      const margin = dot * scale + intercept;
      if (p.learningRate === "optimal") eta = 1 / (alpha * (optimalInit + t - 1));
      else if (p.learningRate === "invscaling") eta = p.eta0 / Math.pow(t, p.powerT);
      // Hinge loss with target 1: 1 − margin inside the margin, its slope −1 there.
      const inside = margin <= 1;
      if (inside) sumLoss += 1 - margin;
      const update = inside ? eta : 0;
      const shrink = Math.max(0, 1 - eta * alpha);
      scale *= shrink;
      if (scale < SCALE_FLOOR) fold();
      let nextDot = 0;
      if (update !== 0) {
        const step = update / scale;
        if (next >= 0) {
          for (let j = 0; j < d; j++) {
            const w = weights[j] + data[at + j] * step;
            weights[j] = w;
            nextDot += w * data[next + j];
          }
        } else for (let j = 0; j < d; j++) weights[j] += data[at + j] * step;
      } else if (next >= 0) {
        for (let j = 0; j < d; j++) nextDot += weights[j] * data[next + j];
      }
      dot = nextDot;
      if (p.fitIntercept) {
        const interceptUpdate = update - 2 * eta * alpha;
        if (interceptUpdate !== 0) intercept += interceptUpdate;
      }
      if (average > 0 && average <= t) {
        const steps = t - average + 1;
        const mu = 1 / steps;
        const factor = -update / scale;
        for (let j = 0; j < d; j++) averaged[j] += averageA * data[at + j] * factor;
        if (steps > 1) averageB /= 1 - mu;
        averageA += mu * averageB * scale;
        averageIntercept += (intercept - averageIntercept) / steps;
      }
      t++;
    }
    if (!Number.isFinite(intercept) || !allFinite(weights)) throw overflowError(epoch + 1);
    stalled = tol > -Infinity && sumLoss > bestLoss - tol * n ? stalled + 1 : 0;
    if (sumLoss < bestLoss) bestLoss = sumLoss;
    if (stalled >= EPOCHS_WITHOUT_IMPROVEMENT) {
      if (p.learningRate === "adaptive" && eta > 1e-6) {
        eta /= 5;
        stalled = 0;
      } else break;
    }
  }
  fold();
  // scikit-learn reports the averaged model once averaging has covered at least one step.
  if (average > 0 && average <= t - 1) return { coef: averaged, offset: 1 - averageIntercept };
  return { coef: weights, offset: 1 - intercept };
}

function foldScale(
  weights: Float64Array,
  scale: number,
  averaged: Float64Array,
  averageA: number,
  averageB: number,
): void {
  const d = weights.length;
  if (averaged.length > 0) {
    for (let j = 0; j < d; j++) averaged[j] += averageA * weights[j];
    for (let j = 0; j < d; j++) averaged[j] *= 1 / averageB;
  }
  for (let j = 0; j < d; j++) weights[j] *= scale;
}

function allFinite(values: Float64Array): boolean {
  for (const v of values) if (!Number.isFinite(v)) return false;
  return true;
}
