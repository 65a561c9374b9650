/**
 * k-means clustering with scikit-learn's KMeans semantics (as of 1.2, the version PyOD's
 * reference results used): greedy k-means++ seeding, Lloyd iterations until the labels stop
 * changing or the centres move less than `tol` × the mean feature variance, empty clusters
 * re-seeded at the rows farthest from their centres, and `nInit` restarts keeping the one with
 * the lowest inertia. Rows may carry weights, and a row of weight w counts as w copies of it
 * throughout (scikit-learn leaves weights out of the tolerance's variance; here it is the
 * weighted variance, so that collapsing duplicates into weights changes nothing).
 *
 * The work row by row runs on the WebAssembly kernel (src/core/kmeans-kernel.ts,
 * assembly/kmeans.ts), on data centred on its mean: the k-means++ candidates' distances and
 * potentials, and each Lloyd iteration's assignment, which skips the rows Hamerly's bounds
 * settle, and its running cluster sums. Distances are direct sums of squared differences, which
 * cannot cancel.
 *
 * Equal rows always share their distances, labels and bounds (all depend on a row's values
 * alone), so the seeding and the Lloyd iterations measure each distinct row once when rows
 * repeat; the draws, potentials and cluster sums still go over every row, in row order, so the
 * results are those of measuring every row, to the bit.
 */
import type { Matrix } from "./matrix.js";
import { squaredDistance } from "./linalg.js";
import { Random } from "./random.js";
import { distinctRowsUpTo, type DistinctRows } from "./distinct.js";
import { KMeansKernel } from "./kmeans-kernel.js";

export interface KMeansOptions {
  readonly nClusters: number;
  /** Seeds the k-means++ draws of every restart. */
  readonly seed?: number;
  /** Restarts from fresh seedings; the lowest inertia wins (scikit-learn 1.2: 10). */
  readonly nInit?: number;
  /** Initial centres (nClusters × cols) instead of k-means++; then one run (scikit-learn's init array). */
  readonly init?: Float64Array;
  /** Lloyd iterations per restart at most (scikit-learn: 300). */
  readonly maxIter?: number;
  /**
   * Convergence when the squared centre shifts sum to at most tol × the mean feature variance
   * (scikit-learn: 1e-4).
   */
  readonly tol?: number;
  /** Non-negative weight per row; every row weighs 1 when left out. */
  readonly sampleWeight?: Float64Array;
  /**
   * Called after every Lloyd iteration with its labels (assigned to the previous centres) and
   * the centres recomputed from them (copies in the data's coordinates); for tests and
   * diagnostics.
   */
  readonly onIteration?: (iteration: number, centres: Float64Array, labels: Int32Array) => void;
  /**
   * Measure each distinct row once when rows repeat (default true; the
   * results are identical either way, false is for tests).
   */
  readonly collapseDuplicates?: boolean;
}

export interface KMeansResult {
  /** Cluster centres, nClusters × cols, row-major. */
  readonly centres: Float64Array;
  /** The cluster of each row: its nearest centre (lowest index among equals). */
  readonly labels: Int32Array;
  /** Weighted sum of squared distances of the rows to their centres. */
  readonly inertia: number;
  /** Lloyd iterations run by the restart that won. */
  readonly nIter: number;
}

export function kMeans(X: Matrix, options: KMeansOptions): KMeansResult {
  const setup = prepare(X, options);
  let next = 0;
  return best(
    setup,
    runRestarts(setup, options, () => (next < setup.nInit ? next++ : undefined)),
  );
}

/**
 * How many independent restarts `kMeans` runs with these options: the pool can run them apart
 * (`kMeansRestarts`) and pick the same winner (`bestOfRestarts`).
 */
export function kMeansRestartCount(options: KMeansOptions): number {
  return options.init !== undefined ? 1 : (options.nInit ?? 10);
}

/**
 * The restarts of `kMeans(X, options)` that `take` hands out (their indices, one at a time, until
 * it returns undefined), each exactly as that call runs it (the random stream is advanced past
 * the earlier restarts' draws), in the order taken; centres in the data's coordinates. The rows
 * are prepared once for all of them.
 */
export function kMeansRestarts(
  X: Matrix,
  options: KMeansOptions,
  take: () => number | undefined,
): KMeansResult[] {
  const setup = prepare(X, options);
  return runRestarts(setup, options, take).map((r) => ({
    ...r,
    centres: withOffset(r.centres, setup.mean, setup.k, X.cols),
  }));
}

/** The restart `kMeans` keeps, from every restart's result in order (`kMeansRestarts`). */
export function bestOfRestarts(results: readonly KMeansResult[], nClusters: number): KMeansResult {
  let winner: KMeansResult | undefined;
  for (const result of results) if (replaces(result, winner, nClusters)) winner = result;
  if (winner === undefined) throw new RangeError("bestOfRestarts: no restarts");
  return winner;
}

/**
 * As scikit-learn: a restart replaces the best so far only if it is better and a different
 * partition (the same partition found again differs in rounding alone).
 */
function replaces(result: KMeansResult, best: KMeansResult | undefined, k: number): boolean {
  return (
    best === undefined ||
    (result.inertia < best.inertia && !sameClustering(result.labels, best.labels, k))
  );
}

interface Setup {
  readonly X: Matrix;
  readonly k: number;
  readonly nInit: number;
  readonly maxIter: number;
  readonly weight: Float64Array;
  readonly mean: Float64Array;
  /** The rows minus their mean, as every distance is measured (a view on the kernel's memory). */
  readonly data: Matrix;
  readonly tol: number;
  /** Running sums of the weights by row, for the first k-means++ draw. */
  readonly weightSums: Float64Array;
  readonly kernel: KMeansKernel;
}

function prepare(X: Matrix, options: KMeansOptions): Setup {
  const { rows: n, cols: d } = X;
  const k = options.nClusters;
  const nInit = kMeansRestartCount(options);
  const maxIter = options.maxIter ?? 300;
  if (!(Number.isInteger(k) && k >= 1 && k <= n)) {
    throw new RangeError(`kMeans: ${k} clusters asked of ${n} rows (need 1 <= k <= rows)`);
  }
  if (!(Number.isInteger(nInit) && nInit >= 1)) throw new RangeError("kMeans: nInit must be >= 1");
  const weight = options.sampleWeight ?? new Float64Array(n).fill(1);
  if (weight.length !== n) throw new RangeError(`kMeans: ${weight.length} weights for ${n} rows`);
  let totalWeight = 0;
  for (const w of weight) {
    if (!(w >= 0 && w < Infinity)) throw new RangeError("kMeans: weights must be finite and >= 0");
    totalWeight += w;
  }
  if (!(totalWeight > 0)) throw new RangeError("kMeans: the weights sum to 0");

  const mean = columnMeans(X, weight, totalWeight);
  const centred = centredRows(X, mean);
  const tol = (options.tol ?? 1e-4) * meanVariance(centred, n, d, weight, totalWeight);
  // Rows are compared as Lloyd sees them: centred.
  // Measuring distinct rows once pays when at most half the rows are distinct.
  const distinct =
    options.collapseDuplicates === false
      ? undefined
      : distinctRowsUpTo({ rows: n, cols: d, data: centred }, Math.floor(n / 2));
  const kernel = kernelFor(centred, n, d, k, weight, distinct);
  const weightSums = runningSums(weight);
  const data: Matrix = { rows: n, cols: d, data: kernel.data };
  return { X, k, nInit, maxIter, weight, mean, data, tol, weightSums, kernel };
}

/** A kernel session holding the rows (and their distinct points, when given). */
function kernelFor(
  rows: Float64Array,
  n: number,
  d: number,
  k: number,
  weight: Float64Array,
  distinct: DistinctRows | undefined,
): KMeansKernel {
  const kernel = new KMeansKernel({
    n,
    u: distinct?.X.rows ?? n,
    d,
    k,
    trials: seedingTrials(k),
    hasInverse: distinct !== undefined,
  });
  kernel.data.set(rows);
  kernel.weight.set(weight);
  if (distinct !== undefined) {
    kernel.points.set(distinct.X.data);
    kernel.inverse!.set(distinct.inverse);
  }
  return kernel;
}

/** out[i] = values[0] + … + values[i], added in order. */
function runningSums(values: Float64Array): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = (i > 0 ? out[i - 1] : 0) + values[i];
  return out;
}

/** Candidates per k-means++ draw after the first (scikit-learn: 2 + ⌊ln k⌋). */
function seedingTrials(k: number): number {
  return 2 + Math.floor(Math.log(k));
}

/** The k-means++ draws of one restart: one for the first centre, the trials for each other. */
function drawsPerRestart(k: number): number {
  return 1 + (k - 1) * seedingTrials(k);
}

/** The restarts `take` hands out, in the order taken; centres in centred coordinates. */
function runRestarts(
  setup: Setup,
  options: KMeansOptions,
  take: () => number | undefined,
): KMeansResult[] {
  const { X, k, mean } = setup;
  const results: KMeansResult[] = [];
  for (let run = take(); run !== undefined; run = take()) {
    const initial =
      options.init !== undefined
        ? centredCopy(options.init, mean, k, X.cols)
        : seedCentres(setup.kernel, setup.weightSums, restartRandom(options.seed ?? 0, run, k));
    results.push(lloyd(setup, initial, options.onIteration));
  }
  return results;
}

/**
 * The random stream of restart `run`: each restart's seeding takes a fixed number of draws (two
 * 32-bit values each), so the earlier restarts' are skipped and this one draws what it would in
 * one long run.
 */
function restartRandom(seed: number, run: number, k: number): Random {
  const rng = new Random(seed);
  for (let skip = 2 * run * drawsPerRestart(k); skip > 0; skip--) rng.uint32();
  return rng;
}

/** The winning restart, its centres moved back to the data's coordinates. */
function best(setup: Setup, results: KMeansResult[]): KMeansResult {
  let winner: KMeansResult | undefined;
  for (const result of results) if (replaces(result, winner, setup.k)) winner = result;
  const centres = winner!.centres;
  const d = setup.X.cols;
  for (let c = 0; c < setup.k; c++) for (let j = 0; j < d; j++) centres[c * d + j] += setup.mean[j];
  return winner!;
}

/**
 * Greedy k-means++ (Arthur & Vassilvitskii 2007, as scikit-learn implements it): the first
 * centre is a row drawn by weight; each next one is the best of 2 + ⌊ln k⌋ candidates drawn
 * with probability ∝ weight × D² (D = distance to the nearest centre so far), best meaning the
 * lowest resulting potential Σ weight × D². Returns the k centres (rows of X).
 */
export function kMeansPlusPlus(
  X: Matrix,
  k: number,
  weight: Float64Array,
  rng: Random,
): Float64Array {
  const kernel = kernelFor(X.data, X.rows, X.cols, k, weight, undefined);
  return seedCentres(kernel, runningSums(weight), rng);
}

/**
 * k-means++ on the kernel's rows. A point's distances depend on its values alone, so they are
 * measured once per point, while the draws and potentials still go row by row, in row order.
 */
function seedCentres(kernel: KMeansKernel, weightSums: Float64Array, rng: Random): Float64Array {
  const { n, d, k, trials } = kernel.shape;
  const { data, closest, candidates, candidateClosest, potentials, cumulative } = kernel;
  const u = kernel.shape.u;
  const centres = new Float64Array(k * d);
  const first = searchLeft(weightSums, rng.float() * weightSums[n - 1]);
  centres.set(data.subarray(first * d, first * d + d), 0);
  // The first centre is a lone candidate measured against points no centre is near yet.
  closest.fill(Infinity);
  candidates.set(centres.subarray(0, d));
  kernel.measureCandidates(1);
  closest.set(candidateClosest.subarray(0, u));
  for (let c = 1; c < k; c++) {
    // Σ weight × D² in row order: the potential of the centres so far, and its running sums
    // for the draws.
    const potential = kernel.runningPotential();
    for (let t = 0; t < trials; t++) {
      const row = searchLeft(cumulative, rng.float() * potential);
      candidates.set(data.subarray(row * d, row * d + d), t * d);
    }
    kernel.measureCandidates(trials);
    let best = 0;
    for (let t = 1; t < trials; t++) if (potentials[t] < potentials[best]) best = t;
    centres.set(candidates.subarray(best * d, best * d + d), c * d);
    closest.set(candidateClosest.subarray(best * u, best * u + u));
  }
  return centres;
}

/** First index whose cumulative sum reaches `target` (NumPy searchsorted, side left), clipped. */
function searchLeft(cumulative: Float64Array, target: number): number {
  let lo = 0;
  let hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cumulative[mid] < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * One restart: Lloyd iterations from the given centres (centred coordinates).
 *
 * The assignment step is Hamerly's (2010), on the kernel (kmAssign in assembly/kmeans.ts): each
 * point keeps an upper bound on the distance to its centre and a lower bound on the distance to
 * every other centre, both moved by how far the centres moved, and a point whose bounds show it
 * cannot change cluster is skipped, which after the first iterations is most points. The labels
 * are those of plain Lloyd: each row's nearest centre, the lowest index among equals (skipping is
 * strict, so ties are always measured). The cluster sums follow the rows that change cluster,
 * so an iteration costs one pass over the rows plus the measured ones.
 */
function lloyd(
  setup: Setup,
  initial: Float64Array,
  onIteration: KMeansOptions["onIteration"],
): KMeansResult {
  const { kernel, data: X, weight, maxIter, tol, mean: offset } = setup;
  const d = X.cols;
  const k = initial.length / d;
  let current: 0 | 1 = 0;
  kernel.centres[current].set(initial);
  const sums = new Float64Array(k * d);
  const clusterWeight = new Float64Array(k);
  kernel.resetLloyd();
  let converged = false;
  let iterations = 0;
  while (iterations < maxIter) {
    iterations++;
    const centres = kernel.centres[current];
    const changed = kernel.assign(current);
    // Empty clusters are re-seeded on copies: the moved row keeps its label, as in
    // scikit-learn, so the running sums stay those of the labels.
    sums.set(kernel.sums);
    clusterWeight.set(kernel.weightOf);
    relocateEmptyClusters(X, weight, centres, kernel.rowLabels, sums, clusterWeight);
    const next = kernel.centres[1 - current];
    let totalShift = 0;
    for (let c = 0; c < k; c++) {
      const base = c * d;
      let moved = 0;
      for (let j = 0; j < d; j++) {
        // A cluster left weightless (only zero-weight rows) keeps its centre.
        const v = clusterWeight[c] > 0 ? sums[base + j] / clusterWeight[c] : centres[base + j];
        next[base + j] = v;
        const diff = v - centres[base + j];
        moved += diff * diff;
      }
      totalShift += moved;
      kernel.moved[c] = Math.sqrt(moved);
    }
    current = current === 0 ? 1 : 0;
    if (onIteration !== undefined)
      onIteration(iterations, withOffset(next, offset, k, d), kernel.rowLabels);
    // No row changed cluster: the labels equal the previous iteration's (the first iteration
    // changes every row from unlabelled).
    if (changed === 0) {
      converged = true;
      break;
    }
    if (totalShift <= tol) break;
  }
  // Stopped on the shift (or the iteration cap): label the rows by the final centres, so labels
  // and centres agree.
  if (!converged) kernel.assign(current);
  return {
    centres: kernel.centres[current].slice(),
    labels: kernel.rowLabels.slice(),
    inertia: kernel.inertia(current),
    nIter: iterations,
  };
}

function withOffset(
  centres: Float64Array,
  offset: Float64Array,
  k: number,
  d: number,
): Float64Array {
  const out = new Float64Array(k * d);
  for (let c = 0; c < k; c++)
    for (let j = 0; j < d; j++) out[c * d + j] = centres[c * d + j] + offset[j];
  return out;
}

/**
 * Empty clusters take the rows farthest from their current centres (the farthest row goes to
 * the first empty cluster, and so on), as scikit-learn does: each such row moves its weight
 * from its own cluster's sum to the empty one, which is centred on it.
 */
function relocateEmptyClusters(
  X: Matrix,
  weight: Float64Array,
  centres: Float64Array,
  labels: Int32Array,
  sums: Float64Array,
  clusterWeight: Float64Array,
): void {
  const { rows: n, cols: d, data } = X;
  const k = clusterWeight.length;
  const empty: number[] = [];
  for (let c = 0; c < k; c++) if (clusterWeight[c] === 0) empty.push(c);
  if (empty.length === 0) return;
  // The farthest rows, farthest first (lower index first among equals).
  const m = empty.length;
  const farRow = new Int32Array(m).fill(-1);
  const farDist = new Float64Array(m).fill(-Infinity);
  for (let i = 0; i < n; i++) {
    const dist = squaredDistance(data, i * d, centres, labels[i] * d, d);
    if (dist <= farDist[m - 1]) continue;
    let p = m - 1;
    while (p > 0 && farDist[p - 1] < dist) {
      farDist[p] = farDist[p - 1];
      farRow[p] = farRow[p - 1];
      p--;
    }
    farDist[p] = dist;
    farRow[p] = i;
  }
  for (let e = 0; e < m; e++) {
    const row = farRow[e];
    const target = empty[e];
    const from = labels[row];
    const w = weight[row];
    for (let j = 0; j < d; j++) {
      const v = data[row * d + j] * w;
      sums[from * d + j] -= v;
      sums[target * d + j] = v;
    }
    clusterWeight[target] = w;
    clusterWeight[from] -= w;
  }
}

/** Whether two labellings are the same partition up to renaming the clusters. */
function sameClustering(a: Int32Array, b: Int32Array, k: number): boolean {
  const map = new Int32Array(k).fill(-1);
  for (let i = 0; i < a.length; i++) {
    const m = map[a[i]];
    if (m === -1) map[a[i]] = b[i];
    else if (m !== b[i]) return false;
  }
  return true;
}

function centredCopy(centres: Float64Array, mean: Float64Array, k: number, d: number) {
  if (centres.length !== k * d)
    throw new RangeError(`kMeans: init has ${centres.length} values, expected ${k} × ${d}`);
  const out = new Float64Array(k * d);
  for (let c = 0; c < k; c++)
    for (let j = 0; j < d; j++) out[c * d + j] = centres[c * d + j] - mean[j];
  return out;
}

/** Weighted mean of each column. */
function columnMeans(X: Matrix, weight: Float64Array, totalWeight: number): Float64Array {
  const { rows: n, cols: d, data } = X;
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += weight[i] * data[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= totalWeight;
  return mean;
}

/** The rows minus `mean`. */
function centredRows(X: Matrix, mean: Float64Array): Float64Array {
  const { rows: n, cols: d, data } = X;
  const centred = new Float64Array(n * d);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < d; j++) centred[i * d + j] = data[i * d + j] - mean[j];
  return centred;
}

/** Mean over features of the weighted (population) variance of data centred on its mean. */
function meanVariance(
  centred: Float64Array,
  n: number,
  d: number,
  weight: Float64Array,
  totalWeight: number,
): number {
  let total = 0;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < d; j++) total += weight[i] * centred[i * d + j] * centred[i * d + j];
  return total / (totalWeight * d);
}
