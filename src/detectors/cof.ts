/**
 * Connectivity-based Outlier Factor (Tang, Chen, Fu & Cheung 2002), as PyOD's COF (method
 * "fast"; "memory" gives the same numbers).
 *
 * A row's chaining path is the row followed by its k nearest other rows in order of distance.
 * Each step's cost is the distance from that neighbour to the nearest row already on the path;
 * the average chaining distance weights the h-th cost (h = 1..k) by 2(k + 1 − h) / (k(k + 1)),
 * so early, close links count most. The score is the row's average chaining distance divided by
 * the mean of its neighbours' own. As PyOD, 0/0 becomes 0 and x/0 the largest double
 * (NumPy's nan_to_num), and k is capped at rows − 1.
 *
 * PyOD sorts each full row of an n × n distance matrix with NumPy's argsort (an unstable
 * introsort) to find the path. Here the k + 1 nearest come from the neighbour index and only the
 * distances among a row and its neighbours are measured (O(k²) per row, no n × n matrix), in
 * NumPy's arithmetic (src/core/replay-sort.ts), so near-ties order as PyOD's do. Where rows at
 * exactly equal distances are copies of one another, their order cannot matter: copies give the
 * same costs along the path and the same chaining distance (a row may even sort behind a copy
 * of itself in PyOD; its path holds the same rows). Only where equally distant rows differ, or
 * the k-th place may tie with rows further out, is NumPy's sort replayed on that row's full
 * distance row (O(n) for that row: 240 of 409 rows on breastw, 115 of 2263 on thyroid, none on
 * mnist or satellite), which is what makes those datasets match PyOD exactly. Above 20,000
 * training rows (REPLAY_MAX_ROWS) such ties keep index order instead, to stay fast.
 *
 * New rows: PyOD scores a batch among its own rows, as if it were a new training set. Here a new
 * row's path runs through its k nearest training rows, and its score divides its chaining
 * distance by those rows' chaining distances from the fit, so a row's score depends on the model
 * and that row alone.
 */
import { z } from "zod";
import { baseParams, defineDetector, f64 } from "./contract.js";
import { matrix, type Matrix } from "../core/matrix.js";
import { kNearest, neighbourSearchMinRows } from "../core/neighbors.js";
import { numpyArgsortHead, numpyDistance } from "../core/replay-sort.js";

export const cofParams = baseParams.extend({
  nNeighbors: z
    .int()
    .min(1)
    .default(20)
    .describe("Neighbours per row, k (PyOD: n_neighbors; capped at training rows − 1)."),
});

interface CofState {
  readonly train: Float64Array;
  /** Average chaining distance of each training row along its own path. */
  readonly chaining: Float64Array;
}

/**
 * Average chaining distance along one path: `first` (row fi of F) followed by rows `members` of
 * R. `nearest` (length k) is scratch space.
 */
function chainingDistance(
  F: Float64Array,
  fi: number,
  R: Float64Array,
  members: Int32Array,
  d: number,
  nearest: Float64Array,
): number {
  const k = members.length;
  // nearest[t]: distance from member t to the nearest row already on the path.
  for (let t = 0; t < k; t++) nearest[t] = numpyDistance(F, fi, R, members[t] * d, d);
  let sum = 0;
  for (let h = 0; h < k; h++) {
    // Member h joins with its final cost; later members may be nearer to it than to the rest.
    sum += (k - h) * nearest[h];
    const base = members[h] * d;
    for (let t = h + 1; t < k; t++) {
      const dist = numpyDistance(R, base, R, members[t] * d, d);
      if (dist < nearest[t]) nearest[t] = dist;
    }
  }
  return (2 / (k * (k + 1))) * sum;
}

function identicalRows(X: Float64Array, a: number, b: number, d: number): boolean {
  for (let j = 0; j < d; j++) if (X[a * d + j] !== X[b * d + j]) return false;
  return true;
}

/**
 * Above this many training rows, equally distant distinct rows keep the neighbour index's order
 * (by index) instead of replaying NumPy's sort, which costs O(n) per such row (one-off
 * measurement, smtp's 57k training rows: 6,548 rows to replay, 55 s on a loaded machine).
 * PyOD's own COF holds an n × n matrix there (3.2 GB at 20,000 rows), so there is nothing
 * practical to match.
 */
const REPLAY_MAX_ROWS = 20_000;

/** Relative slack between our neighbour distances and NumPy's (a few ulps; 1e-12 is ample). */
const ROUNDING_SLACK = 1e-12;

/**
 * Each training row's path as PyOD's argsort of its distance row orders it: (k + 1) rows per
 * row, usually the row itself first. Built from the neighbour index; only rows whose first k + 1
 * places hold equally distant rows that are not identical (so that NumPy's tie order matters),
 * or whose k-th place may tie with rows further out, replay the sort on their full distance row.
 */
function trainingPaths(X: Matrix, k: number): Int32Array {
  const { rows: n, cols: d, data } = X;
  const fetched = Math.min(k + 1, n - 1);
  const nn = kNearest(X, fetched);
  const paths = new Int32Array(n * (k + 1));
  const dist = new Float64Array(fetched);
  const byDist = new Int32Array(fetched);
  const row = new Float64Array(n);
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const candidates = nn.indices.subarray(i * fetched, (i + 1) * fetched);
    // Re-measure as NumPy does and order by that, so near-ties fall NumPy's way.
    for (let c = 0; c < fetched; c++) {
      dist[c] = numpyDistance(data, i * d, data, candidates[c] * d, d);
      let p = c;
      while (p > 0 && dist[byDist[p - 1]] > dist[c]) {
        byDist[p] = byDist[p - 1];
        p--;
      }
      byDist[p] = c;
    }
    let ambiguous = false;
    const last = dist[byDist[k - 1]];
    if (fetched > k && last > 0) {
      // Rows not fetched are at least this far (by our measure); NumPy's may differ by ulps.
      const beyond = nn.distances[i * fetched + fetched - 1] * (1 - ROUNDING_SLACK);
      ambiguous = !(last < beyond);
    }
    // Equal distances among the first k + 1 places (the row itself is at 0) must be copies.
    let previous = i;
    let previousDist = 0;
    for (let c = 0; c < k && !ambiguous; c++) {
      const j = candidates[byDist[c]];
      if (dist[byDist[c]] === previousDist && !identicalRows(data, previous, j, d)) {
        ambiguous = true;
      }
      previous = j;
      previousDist = dist[byDist[c]];
    }
    const path = paths.subarray(i * (k + 1), (i + 1) * (k + 1));
    if (!ambiguous || n > REPLAY_MAX_ROWS) {
      path[0] = i;
      for (let c = 0; c < k; c++) path[c + 1] = candidates[byDist[c]];
      continue;
    }
    // A copy of an earlier row has that row's distance row, so NumPy sorts it the same way.
    const first = candidates[byDist[0]];
    if (dist[byDist[0]] === 0 && first < i && identicalRows(data, first, i, d)) {
      path.set(paths.subarray(first * (k + 1), (first + 1) * (k + 1)));
      continue;
    }
    for (let j = 0; j < n; j++) {
      row[j] = numpyDistance(data, i * d, data, j * d, d);
      order[j] = j;
    }
    numpyArgsortHead(row, order, k + 1);
    path.set(order.subarray(0, k + 1));
  }
  return paths;
}

/** NumPy's nan_to_num: NaN → 0, ±∞ → ± the largest double. */
function finite(v: number): number {
  if (Number.isNaN(v)) return 0;
  if (v === Infinity) return Number.MAX_VALUE;
  if (v === -Infinity) return -Number.MAX_VALUE;
  return v;
}

/** COF: own chaining distance over the mean of the neighbours' (k per row in `neighbours`). */
function factor(own: number, neighbours: Int32Array, trainChaining: Float64Array): number {
  let sum = 0;
  for (let c = 0; c < neighbours.length; c++) sum += trainChaining[neighbours[c]];
  return finite((own * neighbours.length) / sum);
}

export const cof = defineDetector({
  name: "cof",
  summary:
    "Connectivity-based Outlier Factor: chaining distance relative to the neighbours' (low-density patterns).",
  reference: "Tang, Chen, Fu & Cheung 2002; PyOD COF",
  deterministic: true,
  parallelMinRows: neighbourSearchMinRows,
  costlyScore: true,
  params: cofParams,
  state: z.object({ train: f64, chaining: f64 }),
  checkState(s: CofState, d: number) {
    const n = s.train.length / d;
    if (!Number.isInteger(n) || n < 1) return "training rows are truncated";
    if (s.chaining.length !== n) return "chaining distances do not match the training rows";
    return undefined;
  },
  fit(X: Matrix, p) {
    const { rows: n, cols: d, data } = X;
    // One row has no path: its chaining distance is 0, and 0/0 is 0 after nan_to_num.
    if (n < 2) {
      return {
        state: { train: data.slice(), chaining: new Float64Array(n) },
        trainingScores: new Float64Array(n),
      };
    }
    const k = Math.min(p.nNeighbors, n - 1);
    const paths = trainingPaths(X, k);
    const nearest = new Float64Array(k);
    const chaining = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const path = paths.subarray(i * (k + 1), (i + 1) * (k + 1));
      chaining[i] = chainingDistance(data, path[0] * d, data, path.subarray(1), d, nearest);
    }
    const scores = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      scores[i] = factor(chaining[i], paths.subarray(i * (k + 1) + 1, (i + 1) * (k + 1)), chaining);
    }
    const state: CofState = { train: data.slice(), chaining };
    return { state, trainingScores: scores };
  },
  score(state, X, p) {
    const { cols: d } = X;
    const n = state.chaining.length;
    // The same k as the training scores (at least 1), so the scores share one scale.
    const k = Math.min(Math.max(1, Math.min(p.nNeighbors, n - 1)), n);
    const nn = kNearest(matrix(n, d, state.train), k, X);
    const nearest = new Float64Array(k);
    const out = new Float64Array(X.rows);
    for (let i = 0; i < X.rows; i++) {
      const members = nn.indices.subarray(i * k, (i + 1) * k);
      const own = chainingDistance(X.data, i * d, state.train, members, d, nearest);
      out[i] = factor(own, members, state.chaining);
    }
    return out;
  },
});
