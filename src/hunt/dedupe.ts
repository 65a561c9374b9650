/**
 * Scoring each distinct feature row once. Category-coded logs repeat the same feature rows
 * thousands of times (the DUNE CloudTrail file: 25,675 rows, 363 distinct), and a detector whose
 * definition can be written in terms of distinct rows and their multiplicities then costs what
 * the distinct content costs, with results identical to the naive path.
 *
 * Which detectors, and why (the rest run on all rows):
 * - knn (largest, mean, median): a training row's score is a summary of the distances to its k
 *   nearest *other* rows. Among all rows, a row with multiplicity m has m − 1 copies of itself at
 *   distance 0, then each other distinct row j at distance d_j, m_j times. So its k distances are
 *   the first k values of that multiset: the k nearest other *distinct* rows suffice (each holds
 *   at least one copy), and only distances enter the score, never which copy was taken. Exact.
 * - lof: its scores depend on *which* rows are the neighbours (their k-distances and densities)
 *   and on the order they are summed in. The neighbour lists are rebuilt per distinct row exactly
 *   as the search on all rows orders them, (distance, row index), copies of tied distinct rows
 *   interleaved by row index (neighboursDistinct), and lof's own fitFromNeighbours runs on them.
 * - not cof, sod, abod: they use the neighbours' coordinates and pairwise geometry beyond the
 *   lists (chaining distances, subspaces, angles between copies); not worked through yet.
 * - every other detector whose training scores are, by its definition, its `score` of the
 *   training rows and whose fit leaves them to `score` (iforest, inne, …): fitted on all rows
 *   (their fits draw random rows or iterate over rows: subsamples, EM, which would need weighted
 *   fits to match), but each distinct row is scored once and the score spread back, exact
 *   because `score` is pure (the worker's `fitDistinct` job; decided at run time, reported per
 *   detector). cblof's fit returns its training scores from its clustering's labels (one
 *   distance a row), which it keeps.
 * - not hbos, ecod, copod, loda, …: their training scores are in-sample (histograms, ECDFs,
 *   projections of the training data itself), computed by their fit on all rows.
 */
import { performance } from "node:perf_hooks";
import { matrix } from "../core/matrix.js";
import { expand, type DistinctRows } from "../core/distinct.js";
import { buildIndex, checkK, type Neighbours } from "../core/neighbors.js";
import { finishModel } from "../detectors/model.js";
import { kNearestAsync } from "../detectors/parallel.js";
import { summarise } from "../detectors/knn.js";
import { getDetector } from "../detectors/registry.js";
import type { FitReply } from "./pool.js";

export { distinctRows, expand, type DistinctRows } from "../core/distinct.js";

/**
 * Whether the hunt can score this panel entry on distinct rows, exactly. Not when the entry asks
 * for approximate neighbours: the distinct-row path searches exactly, and the user chose the
 * graph (for its speed on large data), so the entry runs as asked, on all rows.
 */
export function dedupes(detector: string, params: Readonly<Record<string, unknown>>): boolean {
  return (detector === "knn" || detector === "lof") && params.neighbours !== "approximate";
}

/**
 * Each input row's k nearest other input rows, in the order the neighbour search gives them on
 * all rows, (distance, row index), written once per distinct row as (distance, distinct row):
 * first min(m − 1, k) copies of the row itself at distance 0, then the other distinct rows by
 * distance. Where a group of distinct rows at one distance has more copies than places left,
 * the places go to the copies with the lowest input row indices, taken in index order, as the
 * search on all rows would take them; the result is the same for every copy of a distinct row,
 * because its own copies are all at distance 0 and never share a group with other rows.
 * Returns undefined if two distinct rows are at distance 0 (values so close that their squared
 * difference underflows), where that argument fails.
 */
export async function neighboursDistinct(
  d: DistinctRows,
  k: number,
): Promise<Neighbours | undefined> {
  const u = d.X.rows;
  const total = d.inverse.length;
  // Each distinct row's input rows, ascending (CSR over d.inverse).
  const start = new Int32Array(u + 1);
  for (let i = 0; i < total; i++) start[d.inverse[i] + 1]++;
  for (let j = 0; j < u; j++) start[j + 1] += start[j];
  const copies = new Int32Array(total);
  const fill = start.slice(0, u);
  for (let i = 0; i < total; i++) copies[fill[d.inverse[i]]++] = i;

  const distances = new Float64Array(u * k);
  const indices = new Int32Array(u * k);
  const q = Math.min(k, u - 1);
  const nn = q > 0 ? await kNearestAsync(d.X, q) : undefined;
  const index = q > 0 ? buildIndex(d.X) : undefined;
  for (let i = 0; i < u; i++) {
    const base = i * k;
    let filled = 0;
    for (; filled < Math.min(d.counts[i] - 1, k); filled++) {
      distances[base + filled] = 0;
      indices[base + filled] = i;
    }
    if (filled === k) continue;
    // The other distinct rows in distance order, enough of them to close the last group.
    let dist = nn!.distances.subarray(i * q, (i + 1) * q);
    let idx = nn!.indices.subarray(i * q, (i + 1) * q);
    for (let want = q; ;) {
      let needed = k - filled;
      let c = 0;
      while (c < dist.length && needed > 0) {
        let e = c;
        let groupCopies = 0;
        while (e < dist.length && dist[e] === dist[c]) groupCopies += d.counts[idx[e++]];
        if (e === dist.length && dist.length < u - 1 && groupCopies >= needed) break; // may go on
        needed -= Math.min(groupCopies, needed);
        c = e;
      }
      if (needed === 0 || dist.length >= u - 1) break;
      want = Math.min(u - 1, want * 2);
      const one = index!.search(
        want + 1,
        matrix(1, d.X.cols, d.X.data.subarray(i * d.X.cols, (i + 1) * d.X.cols)),
      );
      const keep = [...one.indices.keys()].filter((c2) => one.indices[c2] !== i).slice(0, want);
      dist = Float64Array.from(keep, (c2) => one.distances[c2]);
      idx = Int32Array.from(keep, (c2) => one.indices[c2]);
    }
    if (dist.length > 0 && dist[0] === 0) return undefined;
    for (let c = 0; c < dist.length && filled < k;) {
      let e = c;
      while (e < dist.length && dist[e] === dist[c]) e++;
      // Merge the group's copies by input row index; each place goes to the lowest next copy.
      const heads = Array.from({ length: e - c }, (_, g) => start[idx[c + g]]);
      while (filled < k) {
        let best = -1;
        for (let g = 0; g < heads.length; g++) {
          const j = idx[c + g];
          if (heads[g] < start[j + 1] && (best < 0 || copies[heads[g]] < copies[heads[best]]))
            best = g;
        }
        if (best < 0) break;
        heads[best]++;
        distances[base + filled] = dist[c];
        indices[base + filled] = idx[c + best];
        filled++;
      }
      c = e;
    }
  }
  return { k, distances, indices };
}

/**
 * kNN training scores of every input row (PyOD's `decision_scores_`: each row's own copy left
 * out) from the distinct rows and their multiplicities; identical to fitting knn on all rows.
 */
export async function knnTrainingScoresDistinct(
  d: DistinctRows,
  nNeighbors: number,
  method: "largest" | "mean" | "median",
): Promise<Float64Array> {
  const total = d.inverse.length;
  const u = d.X.rows;
  const k = total < 2 ? 0 : Math.min(nNeighbors, total - 1); // as the knn detector
  if (k === 0) return new Float64Array(total);
  const q = Math.min(k, u - 1);
  let nn: Neighbours | undefined;
  if (q > 0) {
    checkK(u, q, true);
    nn = await kNearestAsync(d.X, q);
  }
  // Only distances enter a kNN score, so which copies fill a tied group does not matter.
  const distances = new Float64Array(u * k);
  for (let i = 0; i < u; i++) {
    let filled = 0;
    const base = i * k;
    const selfCopies = Math.min(d.counts[i] - 1, k);
    for (; filled < selfCopies; filled++) distances[base + filled] = 0;
    for (let c = 0; c < q && filled < k; c++) {
      const j = nn!.indices[i * q + c];
      const dist = nn!.distances[i * q + c];
      for (let m = 0; m < d.counts[j] && filled < k; m++) distances[base + filled++] = dist;
    }
  }
  return expand(summarise({ k, distances, indices: new Int32Array(u * k) }, method), d.inverse);
}

/**
 * LOF training scores of every input row from the distinct rows: the lof detector's own
 * `fitFromNeighbours` on the distinct rows with neighbour lists that hold each row's k
 * neighbours as on all rows (neighboursDistinct), so every k-distance, density and factor is
 * computed from the same numbers in the same order. Undefined where that does not hold.
 */
export async function lofTrainingScoresDistinct(
  d: DistinctRows,
  params: Record<string, unknown>,
): Promise<Float64Array | undefined> {
  const total = d.inverse.length;
  const def = getDetector("lof");
  const k = def.selfNeighbours!(total, params);
  if (k === 0 || d.X.rows < 2) return undefined;
  const nn = await neighboursDistinct(d, k);
  if (nn === undefined) return undefined;
  const fitted = def.fitFromNeighbours!(d.X, params, nn);
  return expand(fitted.trainingScores!, d.inverse);
}

/**
 * A panel entry's fit on distinct rows, answered as the pool answers a fit; undefined where the
 * distinct-row path declines (the fit then runs on all rows).
 */
export async function fitDistinct(
  d: DistinctRows,
  detector: string,
  params: Record<string, unknown>,
): Promise<FitReply | undefined> {
  const t0 = performance.now();
  try {
    let scores: Float64Array | undefined;
    if (detector === "knn")
      scores = await knnTrainingScoresDistinct(
        d,
        params.nNeighbors as number,
        params.method as "largest" | "mean" | "median",
      );
    else if (detector === "lof") scores = await lofTrainingScoresDistinct(d, params);
    else throw new Error(`${detector} has no distinct-row path`);
    if (scores === undefined) return undefined;
    // The threshold as the model layer sets it (the state is not needed for it).
    const model = finishModel(detector, params, d.X.cols, undefined, scores);
    return {
      ok: true,
      trainingScores: scores,
      threshold: model.threshold,
      seconds: (performance.now() - t0) / 1000,
    };
  } catch (e) {
    return { ok: false, error: (e as Error).message, errorName: (e as Error).name };
  }
}
