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
 * would matter (a row and itself, duplicates) are measured exactly instead. Duplicated training
 * rows are kept once with a count, and the training scores use the kernel's symmetry (each
 * pair once), so fitting costs about half of scoring the training rows anew.
 */
import { Buffer } from "node:buffer";
import { z } from "zod";
import { baseParams, defineDetector, f64 } from "./contract.js";
import type { Matrix } from "../core/matrix.js";
import { multiplyABtView } from "../core/wasm.js";
import { squaredDistance } from "../core/linalg.js";

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
  /** The distinct training rows (row-major), each once: duplicates only add weight. */
  readonly rows: Float64Array;
  /** How many training rows each distinct row stands for. */
  readonly counts: Float64Array;
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
/** Rows per square block when the training rows are scored against themselves. */
const SELF_BLOCK = 512;
/**
 * Below this fraction of ‖q‖² + ‖r‖², a product-form squared distance is mostly rounding
 * (a few ulps of that sum); such pairs are measured exactly.
 */
const EXACT_BELOW = 1e-6;
/**
 * Terms this far (in log) below the largest so far are skipped: each is < e^−60 of the total,
 * so even 10^12 of them change the sum by < 1e-14 relative.
 */
const NEGLIGIBLE_LOG = 60;

/** The distinct rows of X in order of first appearance, their counts, and each row's distinct index. */
function distinctRows(X: Matrix): { rows: Float64Array; counts: Float64Array; of: Int32Array } {
  const { rows: n, cols: d, data } = X;
  const bytes = Buffer.from(data.buffer, data.byteOffset, n * d * 8);
  const index = new Map<string, number>();
  const of = new Int32Array(n);
  const firsts: number[] = [];
  for (let i = 0; i < n; i++) {
    const key = bytes.toString("latin1", i * d * 8, (i + 1) * d * 8);
    let u = index.get(key);
    if (u === undefined) {
      u = firsts.length;
      index.set(key, u);
      firsts.push(i);
    }
    of[i] = u;
  }
  const rows = new Float64Array(firsts.length * d);
  firsts.forEach((i, u) => rows.set(data.subarray(i * d, (i + 1) * d), u * d));
  const counts = new Float64Array(firsts.length);
  for (let i = 0; i < n; i++) counts[of[i]]++;
  return { rows, counts, of };
}

/** The training rows prepared for the product form: centred at their mean, with squared norms. */
interface Reference {
  readonly rows: Float64Array;
  readonly counts: Float64Array;
  readonly n: number;
  readonly d: number;
  readonly mean: Float64Array;
  readonly centred: Float64Array;
  readonly norms: Float64Array;
}

function reference(state: KdeState, d: number): Reference {
  const { rows, counts } = state;
  const n = counts.length;
  const mean = new Float64Array(d);
  let total = 0;
  for (let i = 0; i < n; i++) {
    total += counts[i];
    for (let j = 0; j < d; j++) mean[j] += counts[i] * rows[i * d + j];
  }
  for (let j = 0; j < d; j++) mean[j] /= total;
  const centred = centre(rows, n, d, mean);
  return { rows, counts, n, d, mean, centred, norms: squaredNorms(centred, n, d) };
}

/**
 * ‖a − b‖² from the product form (norms and dot product of the centred rows), or measured
 * exactly on the original rows where the product form would be mostly rounding.
 */
function pairSquaredDistance(
  normA: number,
  normB: number,
  dot: number,
  a: Float64Array,
  ai: number,
  b: Float64Array,
  bi: number,
  d: number,
): number {
  const scale = normA + normB;
  const d2 = scale - 2 * dot;
  return d2 > EXACT_BELOW * scale ? d2 : squaredDistance(a, ai, b, bi, d);
}

/** Log of the unnormalised kernel at squared distance d2: −r²/2h² (Gaussian) or −r/h. */
function logKernel(kernel: Kernel, d2: number, h: number): number {
  return kernel === "gaussian" ? (-0.5 * d2) / (h * h) : -Math.sqrt(d2) / h;
}

/** log Σ_i count_i · k(‖x − x_i‖ / h) for each row x of X, as a log-sum-exp. */
function logKernelSums(ref: Reference, X: Matrix, kernel: Kernel, h: number): Float64Array {
  const { n, d, counts, norms } = ref;
  const m = X.rows;
  const out = new Float64Array(m);
  // Running log-sum-exp per query: the sum is runSum · e^{runMax}.
  const runMax = new Float64Array(QUERY_BLOCK);
  const runSum = new Float64Array(QUERY_BLOCK);
  for (let q0 = 0; q0 < m; q0 += QUERY_BLOCK) {
    const qn = Math.min(QUERY_BLOCK, m - q0);
    const Q = centre(X.data.subarray(q0 * d, (q0 + qn) * d), qn, d, ref.mean);
    const qNorm = squaredNorms(Q, qn, d);
    runMax.fill(-Infinity);
    runSum.fill(0);
    for (let r0 = 0; r0 < n; r0 += REFERENCE_BLOCK) {
      const rn = Math.min(REFERENCE_BLOCK, n - r0);
      const dots = multiplyABtView(Q, qn, ref.centred.subarray(r0 * d, (r0 + rn) * d), rn, d);
      for (let i = 0; i < qn; i++) {
        let max = runMax[i];
        let sum = runSum[i];
        for (let j = 0; j < rn; j++) {
          const d2 = pairSquaredDistance(
            qNorm[i],
            norms[r0 + j],
            dots[i * rn + j],
            X.data,
            (q0 + i) * d,
            ref.rows,
            (r0 + j) * d,
            d,
          );
          const v = logKernel(kernel, d2, h);
          if (v > max) {
            // A new largest term: rescale the sum so far to it.
            sum = sum * Math.exp(max - v) + counts[r0 + j];
            max = v;
          } else if (v > max - NEGLIGIBLE_LOG) {
            sum += counts[r0 + j] * Math.exp(v - max);
          }
        }
        runMax[i] = max;
        runSum[i] = sum;
      }
    }
    for (let i = 0; i < qn; i++) out[q0 + i] = runMax[i] + Math.log(runSum[i]);
  }
  return out;
}

/**
 * The same sums for the training rows themselves, using the symmetry of the kernel: each pair
 * is computed once and added to both rows. Each row's largest term is its own, k(0) = 1, so the
 * sums are at least 1 and need no rescaling (terms that underflow are below 1e-308 of them).
 */
function logSelfSums(ref: Reference, kernel: Kernel, h: number): Float64Array {
  const { n, d, counts, norms, centred, rows } = ref;
  // A row and its duplicates, at distance 0.
  const sums = counts.slice();
  for (let i0 = 0; i0 < n; i0 += SELF_BLOCK) {
    const iN = Math.min(SELF_BLOCK, n - i0);
    const A = centred.subarray(i0 * d, (i0 + iN) * d);
    for (let j0 = i0; j0 < n; j0 += SELF_BLOCK) {
      const jN = Math.min(SELF_BLOCK, n - j0);
      const dots = multiplyABtView(A, iN, centred.subarray(j0 * d, (j0 + jN) * d), jN, d);
      for (let i = 0; i < iN; i++) {
        const a = i0 + i;
        let rowSum = 0;
        for (let j = j0 === i0 ? i + 1 : 0; j < jN; j++) {
          const b = j0 + j;
          const d2 = pairSquaredDistance(
            norms[a],
            norms[b],
            dots[i * jN + j],
            rows,
            a * d,
            rows,
            b * d,
            d,
          );
          const e = Math.exp(logKernel(kernel, d2, h));
          rowSum += counts[b] * e;
          sums[b] += counts[a] * e;
        }
        sums[a] += rowSum;
      }
    }
  }
  for (let i = 0; i < n; i++) sums[i] = Math.log(sums[i]);
  return sums;
}

function centre(data: Float64Array, rows: number, d: number, mean: Float64Array): Float64Array {
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

export const kde = defineDetector({
  name: "kde",
  summary: "Kernel density estimate: minus the log density at a row, from all training rows.",
  reference: "Latecki, Lazarevic & Pokrajac 2007; PyOD KDE (scikit-learn KernelDensity, exact)",
  deterministic: true,
  // Neighbour searches cost microseconds per row: the pool pays from a few thousand rows.
  parallelMinRows: 5_000,
  costlyScore: true,
  params: kdeParams,
  state: z.object({ rows: f64, counts: f64 }),
  checkState(s: KdeState, d: number) {
    if (s.counts.length < 1 || s.rows.length !== s.counts.length * d)
      return "training rows are truncated";
    return s.counts.every((c) => Number.isInteger(c) && c >= 1)
      ? undefined
      : "row counts must be positive integers";
  },
  fit(X, p) {
    const { rows, counts, of } = distinctRows(X);
    const state: KdeState = { rows, counts };
    const sums = logSelfSums(reference(state, X.cols), p.kernel, p.bandwidth);
    const logNorm = logKernelNorm(p.kernel, p.bandwidth, X.cols) - Math.log(X.rows);
    // Each training row counts itself, as PyOD's score_samples on the training set.
    const trainingScores = Float64Array.from(of, (u) => -(sums[u] + logNorm));
    return { state, trainingScores };
  },
  score(state, X, p) {
    const d = X.cols;
    let n = 0;
    for (const c of state.counts) n += c;
    const sums = logKernelSums(reference(state, d), X, p.kernel, p.bandwidth);
    const logNorm = logKernelNorm(p.kernel, p.bandwidth, d) - Math.log(n);
    for (let i = 0; i < sums.length; i++) sums[i] = -(sums[i] + logNorm);
    return sums;
  },
});
