/**
 * Kernel density outlier score (Latecki, Lazarevic & Pokrajac 2007), as PyOD's KDE over
 * scikit-learn's KernelDensity with exact sums (atol = rtol = 0): a row's score is minus the log
 * of the kernel density estimate at it,
 *
 *   −log( (1/n) · Σ_i K_h(‖x − x_i‖) ),   K_h = C(h, d) · k(‖·‖ / h),
 *
 * over all n training rows. Training rows are scored the same way, each counting itself (PyOD
 * calls score_samples on the training set), so the training scores are score(state, X).
 * C(h, d) is the kernel's normalisation in d dimensions, so densities integrate to 1 as
 * scikit-learn's do. Euclidean distance.
 *
 * The sum runs in log space (log-sum-exp around the largest term): in 100+ dimensions every term
 * can underflow to 0 in double precision while the log density is an ordinary number.
 * Squared distances come from one matrix product per block of rows, ‖q‖² + ‖r‖² − 2 q·r on data
 * centred at the training mean (the SIMD kernel); pairs so close that this form's rounding
 * would matter (a row and itself, duplicates) are measured exactly instead.
 */
import { z } from "zod";
import { baseParams, defineDetector, f64 } from "./contract.js";
import type { Matrix } from "../core/matrix.js";
import { multiplyABtView } from "../core/wasm.js";

/**
 * Kernels with unbounded support only: tophat, epanechnikov, linear and cosine give a row beyond
 * every kernel's reach a density of 0 (an infinite score), and scikit-learn's cosine
 * normalisation is not the kernel's integral in even dimensions; they are left out.
 */
export const kdeParams = baseParams.extend({
  bandwidth: z
    .number()
    .gt(0)
    .default(1)
    .describe("Kernel bandwidth, h (PyOD/scikit-learn: bandwidth)."),
  kernel: z
    .enum(["gaussian", "exponential"])
    .default("gaussian")
    .describe("Kernel: gaussian exp(−r²/2h²) or exponential exp(−r/h), r the Euclidean distance."),
});

type Kernel = z.output<typeof kdeParams>["kernel"];

interface KdeState {
  /** The training rows (row-major): every row's density is a sum over all of them. */
  readonly train: Float64Array;
}

/** ln Γ(x) for x > 0 (Lanczos, g = 7, 9 terms: relative error ~1e-15). */
function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
    -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
    1.5056327351493116e-7,
  ];
  const y = x - 1;
  let a = c[0];
  const t = y + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (y + i);
  return 0.5 * Math.log(2 * Math.PI) + (y + 0.5) * Math.log(t) - t + Math.log(a);
}

/**
 * log C(h, d): minus the log of the integral of k(‖x‖ / h) over ℝ^d. Gaussian: (2π)^{d/2} h^d;
 * exponential: the unit sphere's area 2π^{d/2}/Γ(d/2) times Γ(d) h^d (the radial integral of
 * r^{d−1} e^{−r}).
 */
export function logKernelNorm(kernel: Kernel, h: number, d: number): number {
  const logH = d * Math.log(h);
  if (kernel === "gaussian") return -0.5 * d * Math.log(2 * Math.PI) - logH;
  const logSphere = Math.log(2) + 0.5 * d * Math.log(Math.PI) - logGamma(0.5 * d);
  return -(logSphere + logGamma(d)) - logH;
}

/** Rows per block of queries, and of training rows, in one matrix product. */
const QUERY_BLOCK = 256;
const REFERENCE_BLOCK = 2048;
/**
 * Below this fraction of ‖q‖² + ‖r‖², a product-form squared distance is mostly rounding
 * (a few ulps of that sum); such pairs are measured exactly.
 */
const EXACT_BELOW = 1e-6;
/**
 * Terms this far (in log) below the largest of their block are skipped: each is < e^−60 of the
 * total, so even 10^12 of them change the sum by < 1e-14 relative.
 */
const NEGLIGIBLE_LOG = 60;

/** Σ over training rows of log-kernel terms, as log-sum-exp, for each row of X. */
function logKernelSums(train: Matrix, X: Matrix, kernel: Kernel, h: number): Float64Array {
  const { rows: n, cols: d } = train;
  const m = X.rows;
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += train.data[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= n;
  const R = centred(train.data, n, d, mean);
  const rNorm = squaredNorms(R, n, d);
  const out = new Float64Array(m);
  // Running log-sum-exp per query: the sum is runSum · e^{runMax}.
  const runMax = new Float64Array(QUERY_BLOCK);
  const runSum = new Float64Array(QUERY_BLOCK);
  const logs = new Float64Array(REFERENCE_BLOCK);
  const gaussian = kernel === "gaussian";
  const halfInvH2 = 0.5 / (h * h);
  for (let q0 = 0; q0 < m; q0 += QUERY_BLOCK) {
    const qn = Math.min(QUERY_BLOCK, m - q0);
    const Q = centred(X.data.subarray(q0 * d, (q0 + qn) * d), qn, d, mean);
    const qNorm = squaredNorms(Q, qn, d);
    runMax.fill(-Infinity);
    runSum.fill(0);
    for (let r0 = 0; r0 < n; r0 += REFERENCE_BLOCK) {
      const rn = Math.min(REFERENCE_BLOCK, n - r0);
      const dots = multiplyABtView(Q, qn, R.subarray(r0 * d, (r0 + rn) * d), rn, d);
      for (let i = 0; i < qn; i++) {
        let blockMax = -Infinity;
        for (let j = 0; j < rn; j++) {
          const scale = qNorm[i] + rNorm[r0 + j];
          let d2 = scale - 2 * dots[i * rn + j];
          if (d2 <= EXACT_BELOW * scale) {
            d2 = squaredDistance(X.data, (q0 + i) * d, train.data, (r0 + j) * d, d);
          }
          // −r²/2h², as scikit-learn computes it from the distance r; exponential: −r/h.
          const v = gaussian ? -d2 * halfInvH2 : -Math.sqrt(d2) / h;
          logs[j] = v;
          if (v > blockMax) blockMax = v;
        }
        const floor = blockMax - NEGLIGIBLE_LOG;
        let blockSum = 0;
        for (let j = 0; j < rn; j++) if (logs[j] > floor) blockSum += Math.exp(logs[j] - blockMax);
        if (blockMax > runMax[i]) {
          runSum[i] = runSum[i] * Math.exp(runMax[i] - blockMax) + blockSum;
          runMax[i] = blockMax;
        } else {
          runSum[i] += blockSum * Math.exp(blockMax - runMax[i]);
        }
      }
    }
    for (let i = 0; i < qn; i++) out[q0 + i] = runMax[i] + Math.log(runSum[i]);
  }
  return out;
}

function centred(data: Float64Array, rows: number, d: number, mean: Float64Array): Float64Array {
  const out = new Float64Array(rows * d);
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < d; j++) out[i * d + j] = data[i * d + j] - mean[j];
  return out;
}

function squaredNorms(A: Float64Array, rows: number, d: number): Float64Array {
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += A[i * d + j] * A[i * d + j];
    out[i] = s;
  }
  return out;
}

function squaredDistance(
  a: Float64Array,
  ai: number,
  b: Float64Array,
  bi: number,
  d: number,
): number {
  let s = 0;
  for (let j = 0; j < d; j++) {
    const e = a[ai + j] - b[bi + j];
    s += e * e;
  }
  return s;
}

export const kde = defineDetector({
  name: "kde",
  summary: "Kernel density estimate: minus the log density at a row, from all training rows.",
  reference: "Latecki, Lazarevic & Pokrajac 2007; PyOD KDE (scikit-learn KernelDensity, exact)",
  deterministic: true,
  params: kdeParams,
  state: z.object({ train: f64 }),
  checkState(s: KdeState, d: number) {
    return s.train.length % d === 0 && s.train.length > 0
      ? undefined
      : "training rows are truncated";
  },
  // Training scores are the training rows scored as new rows (each counts itself), so the model
  // layer computes them with score(), on several threads where it can.
  fit(X) {
    return { state: { train: X.data.slice() } satisfies KdeState };
  },
  score(state, X, p) {
    const d = X.cols;
    const n = state.train.length / d;
    const sums = logKernelSums({ data: state.train, rows: n, cols: d }, X, p.kernel, p.bandwidth);
    const logNorm = logKernelNorm(p.kernel, p.bandwidth, d) - Math.log(n);
    for (let i = 0; i < sums.length; i++) sums[i] = -(sums[i] + logNorm);
    return sums;
  },
});
