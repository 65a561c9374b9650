/**
 * Linear Method for Deviation-based outlier Detection (Arning, Agrawal & Raghavan 1996), as
 * PyOD's LMDD, which turns the method's exception set into scores.
 *
 * The rows are taken in a random order. D is the dissimilarity of a set of rows: the mean
 * absolute deviation ("aad") or the variance ("var") of all their values pooled (PyOD measures
 * the whole block of values, not feature by feature). Along the order, the row whose arrival
 * raises D the most (the first such) is the exception e, with that rise r_e; its score in this
 * order is r_e. Each later row k scores r_e + D(P ∪ {k}) − D(P ∪ {e, k}), P the rows before e,
 * when that is at least r_e (removing e still reduces D with k present), else 0. Rows scoring
 * above 0 are the exception set; its complement's size is the order's cardinality. Over `nIter`
 * orders, a row keeps its highest score (the first order reaching it) and that order's
 * cardinality; its outlier score is their product (PyOD's smoothing factor). PyOD also runs
 * the rows' own order first, but that pass only writes a cardinality that every later pass
 * overwrites or that multiplies a zero, so it is left out.
 *
 * New rows: PyOD's decision_function runs all of this on the new rows alone, so a row's score
 * depends on its batch. Here a new row x is scored in each training order as if it arrived
 * last: it is the exception when it raises D more than every training row did (score: its
 * rise), else it scores against that order's exception as any later row would; the cardinality
 * counts the training rows' exception set plus x. A row's score depends on the model and the row
 * alone, and is on the scale of the training scores. Parity replays PyOD's batch scoring.
 *
 * The orders come from our seeded generator (PyOD reseeds NumPy's per pass), so the same seed
 * number gives other orders than PyOD's. D over prefixes comes from a Fenwick tree over the
 * positions of the rows in the order, swept by value (O(n d log n) per order, where PyOD
 * recomputes each prefix from scratch, O(n² d)).
 */
import { z } from "zod";
import { baseParams, defineDetector, f64, i32 } from "./contract.js";
import type { Matrix } from "../core/matrix.js";
import { Random } from "../core/random.js";
import { lowerBound } from "../core/stats.js";

export const lmddParams = baseParams.extend({
  nIter: z
    .int()
    .min(1)
    .default(50)
    .describe("Random orders of the rows; more are more accurate and slower (PyOD: n_iter)."),
  disMeasure: z
    .enum(["aad", "var"])
    .default("aad")
    .describe(
      'Dissimilarity of a set of rows: "aad" mean absolute deviation or "var" variance of all their values (PyOD: dis_measure).',
    ),
  seed: z.int().default(0).describe("Random seed of the row orders: same seed, same scores."),
});

type Measure = z.output<typeof lmddParams>["disMeasure"];

interface LmddState {
  /** The training rows (n × d), against which new rows are scored. */
  readonly train: Float64Array;
  /** Seed of the orders (they are drawn again when scoring). */
  readonly orderSeed: number;
  /** Per order: the exception's position, its rise in D, and the training exception set's size. */
  readonly exceptionAt: Int32Array;
  readonly rise: Float64Array;
  readonly exceptions: Int32Array;
}

export const lmdd = defineDetector({
  name: "lmdd",
  summary:
    "Deviation-based: how much removing a row reduces the dissimilarity of the rows before it, over random orders.",
  reference: "Arning, Agrawal & Raghavan 1996; PyOD LMDD",
  deterministic: false,
  params: lmddParams,
  state: z.object({
    train: f64,
    orderSeed: z.int(),
    exceptionAt: i32,
    rise: f64,
    exceptions: i32,
  }),
  checkState(s: LmddState, d: number) {
    if (d === 0 || s.train.length % d !== 0) return "training rows do not match the features";
    const k = s.exceptionAt.length;
    if (s.rise.length !== k || s.exceptions.length !== k) return "per-order arrays differ";
    return undefined;
  },
  fit(X, p) {
    const { rows: n, cols: d } = X;
    const values = new SortedValues(X);
    const dis = new Float64Array(n);
    const card = new Float64Array(n);
    const exceptionAt = new Int32Array(p.nIter);
    const rise = new Float64Array(p.nIter);
    const exceptions = new Int32Array(p.nIter);
    const prefix = new Float64Array(n + 1);
    const res = new Float64Array(n);
    forEachOrder(n, p.seed, p.nIter, (order, t) => {
      prefixDissimilarities(p.disMeasure, values, X, order, prefix);
      // The first largest rise along the order (PyOD starts from the second row).
      let largest = -Infinity;
      let at = 0;
      for (let i = 1; i < n; i++) {
        const r = prefix[i + 1] - prefix[i];
        if (r > largest) {
          largest = r;
          at = i;
        }
      }
      res.fill(0);
      if (largest > 0) {
        res[at] = largest;
        const before = summary(p.disMeasure, values, X, order, at);
        const e = order[at];
        const both = new Float64Array(2 * d);
        both.set(X.data.subarray(e * d, e * d + d), 0);
        for (let k = at + 1; k < n; k++) {
          const row = X.data.subarray(order[k] * d, order[k] * d + d);
          both.set(row, d);
          const drop = before.with(row) - before.with(both);
          if (drop >= 0) res[k] = drop + largest;
        }
      }
      let positive = 0;
      for (let k = 0; k < n; k++) if (res[k] > 0) positive++;
      exceptionAt[t] = at;
      rise[t] = largest;
      exceptions[t] = positive;
      for (let k = 0; k < n; k++) {
        const i = order[k];
        if (res[k] > dis[i]) {
          dis[i] = res[k];
          card[i] = n - positive;
        }
      }
    });
    const trainingScores = new Float64Array(n);
    for (let i = 0; i < n; i++) trainingScores[i] = dis[i] * card[i];
    const state: LmddState = {
      train: Float64Array.from(X.data),
      orderSeed: p.seed,
      exceptionAt,
      rise,
      exceptions,
    };
    return { state, trainingScores };
  },
  score(state, X, p) {
    return scoreNewRows(state, X, p.disMeasure);
  },
});

/** Calls `visit` with each of `nIter` orders: one shuffle after another of the same array, as PyOD. */
function forEachOrder(
  n: number,
  seed: number,
  nIter: number,
  visit: (order: Int32Array, t: number) => void,
): void {
  const rng = new Random(seed);
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let t = 0; t < nIter; t++) visit(rng.shuffle(order), t);
}

function scoreNewRows(s: LmddState, X: Matrix, measure: Measure): Float64Array {
  const { rows: m, cols: d, data } = X;
  const n = s.train.length / d;
  const train: Matrix = { rows: n, cols: d, data: s.train };
  const values = new SortedValues(train);
  const everyone = summary(measure, values, train, identity(n), n);
  const whole = everyone.with(new Float64Array(0));
  // Each row's rise in D when it arrives after all training rows: the same in every order.
  const ownRise = new Float64Array(m);
  for (let i = 0; i < m; i++) ownRise[i] = everyone.with(data.subarray(i * d, i * d + d)) - whole;
  const dis = new Float64Array(m);
  const card = new Float64Array(m);
  const both = new Float64Array(2 * d);
  const row = new Float64Array(d);
  forEachOrder(n, s.orderSeed, s.exceptionAt.length, (order, t) => {
    const at = s.exceptionAt[t];
    const largest = s.rise[t];
    const before = largest > 0 ? summary(measure, values, train, order, at) : undefined;
    const e = order[at];
    both.set(s.train.subarray(e * d, e * d + d), 0);
    for (let i = 0; i < m; i++) {
      let res = 0;
      let positive: number;
      if (ownRise[i] > largest) {
        // x, last, raises D the most: it is the exception, and no row comes after it.
        res = ownRise[i] > 0 ? ownRise[i] : 0;
        positive = res > 0 ? 1 : 0;
      } else {
        if (before !== undefined) {
          for (let j = 0; j < d; j++) row[j] = data[i * d + j];
          both.set(row, d);
          const drop = before.with(row) - before.with(both);
          if (drop >= 0) res = drop + largest;
        }
        positive = s.exceptions[t] + (res > 0 ? 1 : 0);
      }
      if (res > dis[i]) {
        dis[i] = res;
        card[i] = n + 1 - positive;
      }
    }
  });
  const out = new Float64Array(m);
  for (let i = 0; i < m; i++) out[i] = dis[i] * card[i];
  return out;
}

function identity(n: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  return out;
}

/** All values of a matrix in increasing order, with the row of each. */
class SortedValues {
  readonly sorted: Float64Array;
  /** The row of each sorted value. */
  readonly rowOf: Int32Array;
  /** Mean of all values: variances are summed about it, so large offsets cancel no digits. */
  readonly centre: number;
  constructor(X: Matrix) {
    const N = X.data.length;
    let total = 0;
    for (const v of X.data) total += v;
    this.centre = N > 0 ? total / N : 0;
    const source = new Int32Array(N);
    for (let k = 0; k < N; k++) source[k] = k;
    source.sort((a, b) => X.data[a] - X.data[b] || a - b);
    this.sorted = new Float64Array(N);
    this.rowOf = new Int32Array(N);
    const d = X.cols;
    for (let r = 0; r < N; r++) {
      this.sorted[r] = X.data[source[r]];
      this.rowOf[r] = Math.floor(source[r] / d);
    }
  }
}

/**
 * D of every prefix of the rows in `order`: out[i] = D(first i rows), i = 1..n.
 */
function prefixDissimilarities(
  measure: Measure,
  values: SortedValues,
  X: Matrix,
  order: Int32Array,
  out: Float64Array,
): void {
  const { rows: n, cols: d, data } = X;
  if (measure === "var") {
    const c = values.centre;
    let sum = 0;
    let squares = 0;
    for (let i = 0; i < n; i++) {
      const base = order[i] * d;
      for (let j = 0; j < d; j++) {
        const v = data[base + j] - c;
        sum += v;
        squares += v * v;
      }
      const N = (i + 1) * d;
      out[i + 1] = variance(sum, squares, N);
    }
    return;
  }
  // Each prefix's mean m_i from running totals; then Σ|v − m_i| splits at m_i into the count and
  // sum of the prefix's values below it: a sweep over all values in increasing order adds each
  // to a Fenwick tree over its row's position, answering prefix i when the sweep reaches m_i.
  const totals = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) {
    const base = order[i] * d;
    let t = 0;
    for (let j = 0; j < d; j++) t += data[base + j];
    totals[i + 1] = totals[i] + t;
  }
  const reach = new Int32Array(n + 1);
  for (let i = 1; i <= n; i++) reach[i] = lowerBound(values.sorted, totals[i] / (i * d));
  const queries = Int32Array.from({ length: n }, (_, k) => k + 1).sort(
    (a, b) => reach[a] - reach[b],
  );
  const position = new Int32Array(n);
  for (let i = 0; i < n; i++) position[order[i]] = i;
  const counts = new Int32Array(n + 1);
  const sums = new Float64Array(n + 1);
  let swept = 0;
  for (const i of queries) {
    for (; swept < reach[i]; swept++) {
      const v = values.sorted[swept];
      for (let f = position[values.rowOf[swept]] + 1; f <= n; f += f & -f) {
        counts[f]++;
        sums[f] += v;
      }
    }
    let below = 0;
    let belowSum = 0;
    for (let f = i; f > 0; f -= f & -f) {
      below += counts[f];
      belowSum += sums[f];
    }
    const N = i * d;
    const total = totals[i];
    const mean = total / N;
    const deviation = mean * below - belowSum + (total - belowSum) - mean * (N - below);
    out[i] = deviation / N;
  }
}

/** Population variance from the sum and sum of squares of N values. */
function variance(sum: number, squares: number, N: number): number {
  const mean = sum / N;
  return Math.max(0, squares / N - mean * mean);
}

/** D of a fixed set of rows joined by a few extra values. */
interface SetSummary {
  with(extra: Float64Array): number;
}

/** A summary of the first `count` rows of `order`. */
function summary(
  measure: Measure,
  values: SortedValues,
  X: Matrix,
  order: Int32Array,
  count: number,
): SetSummary {
  const { cols: d, data } = X;
  if (measure === "var") {
    const c = values.centre;
    let sum = 0;
    let squares = 0;
    for (let i = 0; i < count; i++) {
      const base = order[i] * d;
      for (let j = 0; j < d; j++) {
        const v = data[base + j] - c;
        sum += v;
        squares += v * v;
      }
    }
    return {
      with(extra) {
        let s = sum;
        let q = squares;
        for (let k = 0; k < extra.length; k++) {
          const v = extra[k] - c;
          s += v;
          q += v * v;
        }
        return variance(s, q, count * d + extra.length);
      },
    };
  }
  // The set's values in increasing order, with running sums, from the global order.
  const member = new Uint8Array(X.rows);
  for (let i = 0; i < count; i++) member[order[i]] = 1;
  const size = count * d;
  const sorted = new Float64Array(size);
  const running = new Float64Array(size + 1);
  let filled = 0;
  for (let r = 0; r < values.sorted.length; r++) {
    if (member[values.rowOf[r]] === 1) {
      sorted[filled] = values.sorted[r];
      running[filled + 1] = running[filled] + sorted[filled];
      filled++;
    }
  }
  const total = running[size];
  return {
    with(extra) {
      let sum = total;
      for (let k = 0; k < extra.length; k++) sum += extra[k];
      const N = size + extra.length;
      const mean = sum / N;
      const below = lowerBound(sorted, mean);
      const belowSum = running[below];
      let deviation = mean * below - belowSum + (total - belowSum) - mean * (size - below);
      for (let k = 0; k < extra.length; k++) deviation += Math.abs(extra[k] - mean);
      return deviation / N;
    },
  };
}
