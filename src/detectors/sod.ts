/**
 * Subspace Outlier Degree (Kriegel, Kröger, Schubert & Zimek 2009), as PyOD's SOD.
 *
 * Each row gets a reference set: the `refSet` rows that share the most of its k nearest
 * neighbours (shared-nearest-neighbour similarity, each row's neighbours excluding itself). The
 * reference set spans a subspace: the features whose variance within the set is below
 * alpha × (their mean variance). The score is the row's root-mean-square distance from the set's
 * mean over those features (0 when there are none).
 *
 * Choosing the reference set among equal counts: counts are small integers, so ties are the
 * rule. PyOD ranks all n counts with Numba's unstable quicksort (median-of-three partitions,
 * insertion sort below 16 rows) and takes the top of the reversed order; src/core/replay-sort.ts
 * replays that sort from the rows with a non-zero count alone (most counts are 0, and a 0 pivot
 * moves rows predictably), which gives the same rows as sorting all n counts, and is what makes
 * the training scores PyOD's. Counts come from a reverse-neighbour index, O(k²) per row.
 *
 * k is capped at rows − 1 and the reference set at rows − 1 (PyOD raises instead). As PyOD, refSet
 * may not exceed nNeighbors.
 *
 * New rows: PyOD scores a batch among its own rows, as if it were a new training set. Here a new
 * row's reference set comes from the training rows: its k nearest training rows are compared
 * with each training row's k nearest (from the fit), the highest counts win, ties go to the
 * lower row index, and if fewer than refSet training rows share any neighbour the rest are the
 * row's nearest training rows. A row's score then depends on the model and that row alone.
 */
import { z } from "zod";
import { baseParams, defineDetector, f64, i32 } from "./contract.js";
import { matrix, type Matrix } from "../core/matrix.js";
import { kNearest, neighbourSearchMinRows } from "../core/neighbors.js";
import { ParamError } from "../core/errors.js";
import { numbaArgsortTail, numbaArgsortTailSparse } from "../core/replay-sort.js";

export const sodParams = baseParams.extend({
  nNeighbors: z
    .int()
    .min(1)
    .default(20)
    .describe("Neighbours per row for the shared-neighbour counts, k (PyOD: n_neighbors)."),
  refSet: z
    .int()
    .min(1)
    .default(10)
    .describe("Rows in each reference set (PyOD: ref_set; at most nNeighbors)."),
  alpha: z
    .number()
    .gt(0)
    .lt(1)
    .default(0.8)
    .describe(
      "A feature is in a row's subspace when its variance is below alpha × the mean variance (0.8: Kriegel et al. 2009).",
    ),
});

/** Below one non-zero count in this many, the sparse replay of Numba's sort is the faster. */
const SPARSE_SHARE = 32;

type SodParams = z.output<typeof sodParams>;

interface SodState {
  readonly train: Float64Array;
  /** Each training row's k nearest other training rows, row-major (k = length / rows). */
  readonly neighbours: Int32Array;
}

/** Rows that have each row among their neighbours, as compressed lists. */
interface ReverseNeighbours {
  readonly start: Int32Array;
  readonly rows: Int32Array;
}

function reverseNeighbours(neighbours: Int32Array, n: number, k: number): ReverseNeighbours {
  const start = new Int32Array(n + 1);
  for (let t = 0; t < neighbours.length; t++) start[neighbours[t] + 1]++;
  for (let o = 0; o < n; o++) start[o + 1] += start[o];
  const fill = start.slice(0, n);
  const rows = new Int32Array(neighbours.length);
  for (let j = 0; j < n; j++) {
    for (let c = 0; c < k; c++) rows[fill[neighbours[j * k + c]]++] = j;
  }
  return { start, rows };
}

/**
 * Adds 1 to counts[j] for every neighbour row j shares with `own` (j's neighbours per
 * `reverse`); returns how many entries of `touched` it filled (rows counted for the first time).
 */
function countShared(
  own: Int32Array,
  reverse: ReverseNeighbours,
  counts: Int32Array,
  touched: Int32Array,
): number {
  let size = 0;
  for (let c = 0; c < own.length; c++) {
    const o = own[c];
    for (let t = reverse.start[o]; t < reverse.start[o + 1]; t++) {
      const j = reverse.rows[t];
      if (counts[j]++ === 0) touched[size++] = j;
    }
  }
  return size;
}

/**
 * The SOD score of row `x` (at xi in xData) from its reference rows. `means` and `spread` are
 * scratch space of length d.
 */
function subspaceDistance(
  xData: Float64Array,
  xi: number,
  train: Float64Array,
  reference: Int32Array,
  d: number,
  alpha: number,
  means: Float64Array,
  spread: Float64Array,
): number {
  const r = reference.length;
  means.fill(0);
  for (let t = 0; t < r; t++) {
    const base = reference[t] * d;
    for (let j = 0; j < d; j++) means[j] += train[base + j];
  }
  for (let j = 0; j < d; j++) means[j] /= r;
  spread.fill(0);
  for (let t = 0; t < r; t++) {
    const base = reference[t] * d;
    for (let j = 0; j < d; j++) {
      const e = train[base + j] - means[j];
      spread[j] += e * e;
    }
  }
  let total = 0;
  for (let j = 0; j < d; j++) total += spread[j];
  // As PyOD: a feature is relevant when its variance is below alpha × (total variance) / d.
  const expected = (alpha * (total / r)) / d;
  let relevant = 0;
  let sum = 0;
  for (let j = 0; j < d; j++) {
    if (spread[j] / r < expected) {
      relevant++;
      const e = xData[xi + j] - means[j];
      sum += e * e;
    }
  }
  return relevant === 0 ? 0 : Math.sqrt(sum / relevant);
}

function sizes(n: number, p: SodParams): { k: number; r: number } {
  if (p.refSet > p.nNeighbors) {
    throw new ParamError(
      `sod: refSet (${p.refSet}) must not exceed nNeighbors (${p.nNeighbors}), as in PyOD`,
    );
  }
  // At least 1 so that a one-row model can still score new rows.
  return {
    k: Math.max(1, Math.min(p.nNeighbors, n - 1)),
    r: Math.max(1, Math.min(p.refSet, n - 1)),
  };
}

export const sod = defineDetector({
  name: "sod",
  summary:
    "Subspace Outlier Degree: deviation from shared-neighbour references in their low-variance features.",
  reference: "Kriegel, Kröger, Schubert & Zimek 2009; PyOD SOD",
  deterministic: true,
  parallelMinRows: neighbourSearchMinRows,
  costlyScore: true,
  params: sodParams,
  state: z.object({ train: f64, neighbours: i32 }),
  checkState(s: SodState, d: number) {
    const n = s.train.length / d;
    if (!Number.isInteger(n) || n < 1) return "training rows are truncated";
    if (s.neighbours.length % n !== 0) return "neighbour lists do not match the training rows";
    for (const j of s.neighbours) if (!(j >= 0 && j < n)) return "neighbour index out of range";
    return undefined;
  },
  fit(X: Matrix, p) {
    const { rows: n, cols: d } = X;
    const { k, r } = sizes(n, p);
    if (n < 2) {
      // No other rows to share neighbours with: nothing to deviate from.
      return {
        state: { train: X.data.slice(), neighbours: new Int32Array(0) },
        trainingScores: new Float64Array(n),
      };
    }
    const { indices } = kNearest(X, k);
    const reverse = reverseNeighbours(indices, n, k);
    const counts = new Int32Array(n);
    const touched = new Int32Array(n);
    const order = new Int32Array(n);
    const reference = new Int32Array(r);
    const means = new Float64Array(d);
    const spread = new Float64Array(d);
    const scores = new Float64Array(n);
    const top = new Int32Array(r + 1);
    for (let i = 0; i < n; i++) {
      let size = countShared(indices.subarray(i * k, i * k + k), reverse, counts, touched);
      // PyOD puts the row itself above every count, so it sorts last and is then skipped.
      if (counts[i] === 0) touched[size++] = i;
      counts[i] = k + 1;
      const rows = touched.subarray(0, size).sort();
      const values = Int32Array.from(rows, (j) => counts[j]);
      // The sparse replay pays off when most counts are 0; it cannot be used when fewer rows
      // share a neighbour than the set needs (zeros then fill it, in the order Numba leaves them).
      if (size * SPARSE_SHARE > n || !numbaArgsortTailSparse(n, rows, values, n - 1 - r, top)) {
        for (let j = 0; j < n; j++) order[j] = j;
        numbaArgsortTail(counts, order, n - 1 - r);
        top.set(order.subarray(n - 1 - r));
      }
      for (let t = 0; t < size; t++) counts[touched[t]] = 0;
      // PyOD reverses the ascending order and takes positions 1..r.
      for (let t = 0; t < r; t++) reference[t] = top[r - 1 - t];
      scores[i] = subspaceDistance(X.data, i * d, X.data, reference, d, p.alpha, means, spread);
    }
    return { state: { train: X.data.slice(), neighbours: indices }, trainingScores: scores };
  },
  score(state, X, p) {
    const { cols: d } = X;
    const n = state.train.length / d;
    const { k, r } = sizes(n, p);
    const trainK = state.neighbours.length / n;
    const reverse = reverseNeighbours(state.neighbours, n, trainK);
    const nn = kNearest(matrix(n, d, state.train), Math.min(k, n), X);
    const counts = new Int32Array(n);
    const touched = new Int32Array(n);
    const reference = new Int32Array(r);
    const means = new Float64Array(d);
    const spread = new Float64Array(d);
    const out = new Float64Array(X.rows);
    for (let i = 0; i < X.rows; i++) {
      const own = nn.indices.subarray(i * nn.k, (i + 1) * nn.k);
      const size = countShared(own, reverse, counts, touched);
      const chosen = topByCount(counts, touched.subarray(0, size), reference);
      // Too few rows share a neighbour: complete the set with the row's nearest training rows.
      let filled = chosen;
      for (let c = 0; c < own.length && filled < r; c++) {
        if (counts[own[c]] === 0) reference[filled++] = own[c];
      }
      for (let t = 0; t < size; t++) counts[touched[t]] = 0;
      out[i] = subspaceDistance(
        X.data,
        i * d,
        state.train,
        reference.subarray(0, filled),
        d,
        p.alpha,
        means,
        spread,
      );
    }
    return out;
  },
});

/**
 * Fills `out` with the candidates of highest count (ties: lower row index first), at most
 * out.length of them; returns how many.
 */
function topByCount(counts: Int32Array, candidates: Int32Array, out: Int32Array): number {
  let size = 0;
  for (let c = 0; c < candidates.length; c++) {
    const j = candidates[c];
    const cj = counts[j];
    if (size === out.length) {
      const last = out[size - 1];
      if (cj < counts[last] || (cj === counts[last] && j > last)) continue;
    }
    let pos = size < out.length ? size++ : size - 1;
    while (pos > 0) {
      const prev = out[pos - 1];
      if (cj < counts[prev] || (cj === counts[prev] && j > prev)) break;
      out[pos] = prev;
      pos--;
    }
    out[pos] = j;
  }
  return size;
}
