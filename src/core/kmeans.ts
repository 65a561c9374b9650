/**
 * k-means clustering with scikit-learn's KMeans semantics (as of 1.2, the version PyOD's
 * reference results used): greedy k-means++ seeding, Lloyd iterations until the labels stop
 * changing or the centres move less than `tol` × the mean feature variance, empty clusters
 * re-seeded at the rows farthest from their centres, and `nInit` restarts keeping the one with
 * the lowest inertia. Rows may carry weights, and a row of weight w counts as w copies of it
 * throughout (scikit-learn leaves weights out of the tolerance's variance; here it is the
 * weighted variance, so that collapsing duplicates into weights changes nothing).
 *
 * Distances come from matrix products on the SIMD kernel, ‖x‖² + ‖c‖² − 2 x·c, on data centred
 * on its mean so the subtraction loses little precision: the seeding measures its candidates
 * against all rows at once; the Lloyd iterations skip the rows Hamerly's bounds settle and
 * measure the others in blocks, with bounds that allow for the products' rounding.
 *
 * Equal rows always share their distances, labels and bounds (all depend on a row's values
 * alone), so the seeding and the Lloyd iterations measure each distinct row once when rows
 * repeat; the draws, potentials and cluster sums still go over every row, in row order, so the
 * results are those of measuring every row, to the bit.
 */
import type { Matrix } from "./matrix.js";
import { multiplyABt, squaredDistance } from "./linalg.js";
import { Random } from "./random.js";
import { distinctRows } from "./distinct.js";

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
  return best(setup, runRestarts(setup, options, 0, setup.nInit));
}

/**
 * How many independent restarts `kMeans` runs with these options: the pool can run them apart
 * (`kMeansRestarts`) and pick the same winner (`bestOfRestarts`).
 */
export function kMeansRestartCount(options: KMeansOptions): number {
  return options.init !== undefined ? 1 : (options.nInit ?? 10);
}

/**
 * Restarts [first, first + count) of `kMeans(X, options)`, each exactly as that call runs it
 * (the random stream is advanced past the earlier restarts' draws); centres in the data's
 * coordinates.
 */
export function kMeansRestarts(
  X: Matrix,
  options: KMeansOptions,
  first: number,
  count: number,
): KMeansResult[] {
  const setup = prepare(X, options);
  return runRestarts(setup, options, first, count).map((r) => ({
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
  /** The rows minus their mean, as every distance is measured. */
  readonly data: Matrix;
  readonly tol: number;
  readonly rowNorms: Float64Array;
  readonly points: Points;
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
  const centred = new Float64Array(n * d);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < d; j++) centred[i * d + j] = X.data[i * d + j] - mean[j];
  const data: Matrix = { rows: n, cols: d, data: centred };
  const tol = (options.tol ?? 1e-4) * meanVariance(centred, n, d, weight, totalWeight);
  const rowNorms = squaredRowNorms(data);
  // Rows are compared as Lloyd sees them: centred.
  const distinct = options.collapseDuplicates === false ? undefined : distinctRows(data);
  const points: Points =
    distinct !== undefined && distinct.X.rows <= n / 2
      ? {
          X: distinct.X,
          norms: squaredRowNorms(distinct.X),
          inverse: distinct.inverse,
        }
      : { X: data, norms: rowNorms };
  return { X, k, nInit, maxIter, weight, mean, data, tol, rowNorms, points };
}

/** The k-means++ draws of one restart: one for the first centre, the trials for each other. */
function drawsPerRestart(k: number): number {
  return 1 + (k - 1) * (2 + Math.floor(Math.log(k)));
}

/** Restarts [first, first + count), centres in centred coordinates. */
function runRestarts(
  setup: Setup,
  options: KMeansOptions,
  first: number,
  count: number,
): KMeansResult[] {
  const { X, k, data, weight, rowNorms, points, mean } = setup;
  const rng = new Random(options.seed ?? 0);
  // Each restart's seeding takes a fixed number of draws (two 32-bit values each): skip the
  // earlier restarts' so this one draws what it would in one long run.
  if (options.init === undefined)
    for (let skip = 2 * first * drawsPerRestart(k); skip > 0; skip--) rng.uint32();
  const state = new LloydState(X.rows, points.X.rows, k, X.cols, points.norms);
  const results: KMeansResult[] = [];
  for (let run = first; run < first + count; run++) {
    const initial =
      options.init !== undefined
        ? centredCopy(options.init, mean, k, X.cols)
        : kMeansPlusPlus(data, k, weight, rng, rowNorms, points);
    results.push(
      lloyd(
        data,
        points,
        weight,
        initial,
        setup.maxIter,
        setup.tol,
        state,
        mean,
        options.onIteration,
      ),
    );
  }
  return results;
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

/** Weighted sum of squared Euclidean distances of rows to their labelled centres. */
export function inertia(
  X: Matrix,
  centres: Float64Array,
  labels: Int32Array,
  sampleWeight?: Float64Array,
): number {
  const { rows: n, cols: d, data } = X;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const c = labels[i] * d;
    let s = 0;
    for (let j = 0; j < d; j++) {
      const diff = data[i * d + j] - centres[c + j];
      s += diff * diff;
    }
    total += (sampleWeight === undefined ? 1 : sampleWeight[i]) * s;
  }
  return total;
}

/**
 * Greedy k-means++ (Arthur & Vassilvitskii 2007, as scikit-learn implements it): the first
 * centre is a row drawn by weight; each next one is the best of 2 + ⌊ln k⌋ candidates drawn
 * with probability ∝ weight × D² (D = distance to the nearest centre so far), best meaning the
 * lowest resulting potential Σ weight × D². The candidates' distances to all rows come from one
 * product, ‖x‖² + ‖c‖² − 2 x·c (clipped at 0), as in scikit-learn.
 */
export function kMeansPlusPlus(
  X: Matrix,
  k: number,
  weight: Float64Array,
  rng: Random,
  rowNorms: Float64Array = squaredRowNorms(X),
  points?: Points,
): Float64Array {
  const { rows: n, cols: d, data } = X;
  // A row's distances depend on its values alone: measured once per point (each distinct row,
  // when given), while the draws and potentials still go row by row, in row order.
  const P = points?.X ?? X;
  const pointNorms = points?.norms ?? rowNorms;
  const inverse = points?.inverse;
  const u = P.rows;
  const centres = new Float64Array(k * d);
  const trials = 2 + Math.floor(Math.log(k));
  const cumulative = new Float64Array(n);
  const candidates = new Float64Array(trials * d);
  const candidateNorms = new Float64Array(trials);
  const products = new Float64Array(u * trials);

  for (let i = 0; i < n; i++) cumulative[i] = (i > 0 ? cumulative[i - 1] : 0) + weight[i];
  const first = searchLeft(cumulative, rng.float() * cumulative[n - 1]);
  centres.set(data.subarray(first * d, first * d + d), 0);
  multiplyABt(P.data, u, centres, 1, d, products);
  const closest = new Float64Array(u);
  for (let p = 0; p < u; p++)
    closest[p] = Math.max(0, pointNorms[p] + rowNorms[first] - 2 * products[p]);
  let potential = 0;
  for (let i = 0; i < n; i++)
    potential += weight[i] * closest[inverse === undefined ? i : inverse[i]];

  const rowsOf = new Int32Array(trials);
  // Each candidate's D² per point, candidate-major.
  const candidateClosest = new Float64Array(trials * u);
  const candidatePotential = new Float64Array(trials);
  for (let c = 1; c < k; c++) {
    let running = 0;
    for (let i = 0; i < n; i++) {
      running += weight[i] * closest[inverse === undefined ? i : inverse[i]];
      cumulative[i] = running;
    }
    for (let t = 0; t < trials; t++) {
      const row = searchLeft(cumulative, rng.float() * potential);
      rowsOf[t] = row;
      candidates.set(data.subarray(row * d, row * d + d), t * d);
      candidateNorms[t] = rowNorms[row];
    }
    multiplyABt(P.data, u, candidates, trials, d, products);
    for (let p = 0; p < u; p++) {
      const nearest = closest[p];
      for (let t = 0; t < trials; t++) {
        const dist = pointNorms[p] + candidateNorms[t] - 2 * products[p * trials + t];
        candidateClosest[t * u + p] = dist < nearest ? (dist > 0 ? dist : 0) : nearest;
      }
    }
    candidatePotential.fill(0);
    for (let i = 0; i < n; i++) {
      const p = inverse === undefined ? i : inverse[i];
      const w = weight[i];
      for (let t = 0; t < trials; t++) candidatePotential[t] += w * candidateClosest[t * u + p];
    }
    let best = 0;
    for (let t = 1; t < trials; t++) if (candidatePotential[t] < candidatePotential[best]) best = t;
    centres.set(candidates.subarray(best * d, best * d + d), c * d);
    closest.set(candidateClosest.subarray(best * u, best * u + u));
    potential = candidatePotential[best];
  }
  return centres;
}

/** ‖x‖² of every row. */
export function squaredRowNorms(X: Matrix): Float64Array {
  const { rows: n, cols: d, data } = X;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += data[i * d + j] * data[i * d + j];
    out[i] = s;
  }
  return out;
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

/** The rows measured: every row, or each distinct row once (`inverse`: row → point). */
export interface Points {
  readonly X: Matrix;
  /** ‖x‖² of each point. */
  readonly norms: Float64Array;
  readonly inverse?: Int32Array;
}

/**
 * A restart's running state: labels, Hamerly's bounds, and per-cluster sums of the rows as
 * labelled. Allocated once and reused by every restart. Labels and bounds are kept per measured
 * point, the sums over every row.
 */
class LloydState {
  /** Each point's cluster, and each row's (its point's). */
  readonly labels: Int32Array;
  readonly rowLabels: Int32Array;
  /** Points whose cluster changed in the last assignment, and their cluster before it. */
  readonly changed: Uint8Array;
  readonly previous: Int32Array;
  /** The changed points, in the order measured, and how many. */
  readonly changedList: Int32Array;
  changedCount = 0;
  /** Upper bound on each point's distance to its centre. */
  readonly upper: Float64Array;
  /** Lower bound on each point's distance to any other centre. */
  readonly lower: Float64Array;
  /** Half the distance from each centre to its nearest other centre. */
  readonly halfGap: Float64Array;
  /** Distance each centre moved in the last update, not yet applied to the bounds. */
  readonly moved: Float64Array;
  /** Weighted sums, weights and counts of each cluster's rows, kept up to date row by row. */
  readonly sums: Float64Array;
  readonly weightOf: Float64Array;
  readonly countOf: Int32Array;
  /** ‖x‖² of every point and ‖c‖² of every centre, for distances from products. */
  readonly rowNorms: Float64Array;
  readonly centreNorms: Float64Array;
  /** Rows waiting to be measured, their values gathered, and their products with the centres. */
  readonly pending: Int32Array;
  readonly block: Float64Array;
  readonly products: Float64Array<ArrayBuffer>;
  constructor(rows: number, n: number, k: number, d: number, rowNorms: Float64Array) {
    this.rowNorms = rowNorms;
    this.centreNorms = new Float64Array(k);
    this.pending = new Int32Array(BLOCK);
    this.block = new Float64Array(BLOCK * d);
    this.products = new Float64Array(BLOCK * k);
    this.labels = new Int32Array(n);
    this.rowLabels = new Int32Array(rows);
    this.changed = new Uint8Array(n);
    this.previous = new Int32Array(n);
    this.changedList = new Int32Array(n);
    this.upper = new Float64Array(n);
    this.lower = new Float64Array(n);
    this.halfGap = new Float64Array(k);
    this.moved = new Float64Array(k);
    this.sums = new Float64Array(k * d);
    this.weightOf = new Float64Array(k);
    this.countOf = new Int32Array(k);
  }

  reset(): void {
    this.labels.fill(-1);
    this.rowLabels.fill(-1);
    this.changed.fill(0);
    this.changedCount = 0;
    this.moved.fill(0);
    this.sums.fill(0);
    this.weightOf.fill(0);
    this.countOf.fill(0);
  }
}

/**
 * One restart: Lloyd iterations from the given centres (centred coordinates).
 *
 * The assignment step is Hamerly's (2010): each row keeps an upper bound on the distance to its
 * centre and a lower bound on the distance to every other centre, both moved by how far the
 * centres moved. A row whose upper bound is below its lower bound (or below half the distance
 * from its centre to the nearest other centre) cannot change cluster and is skipped, which
 * after the first iterations is most rows. The labels are those of plain Lloyd: each row's
 * nearest centre, the lowest index among equals (skipping is strict, so ties are always
 * measured). The cluster sums follow the rows that change cluster, so an iteration costs one
 * pass over the rows plus the measured ones.
 */
function lloyd(
  X: Matrix,
  points: Points,
  weight: Float64Array,
  initial: Float64Array,
  maxIter: number,
  tol: number,
  state: LloydState,
  offset: Float64Array,
  onIteration: KMeansOptions["onIteration"],
): KMeansResult {
  const d = X.cols;
  const k = initial.length / d;
  let centres = initial;
  let next: Float64Array = new Float64Array(k * d);
  const sums = new Float64Array(k * d);
  const clusterWeight = new Float64Array(k);
  const shift = new Float64Array(k);
  state.reset();
  let converged = false;
  let iterations = 0;
  while (iterations < maxIter) {
    iterations++;
    const changed = assign(points.X, centres, k, state);
    applyChanges(X, weight, state, points);
    // Empty clusters are re-seeded on copies: the moved row keeps its label, as in
    // scikit-learn, so the running sums stay those of the labels.
    sums.set(state.sums);
    clusterWeight.set(state.weightOf);
    relocateEmptyClusters(X, weight, centres, state.rowLabels, sums, clusterWeight);
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
      shift[c] = moved;
      totalShift += moved;
      state.moved[c] = Math.sqrt(moved);
    }
    [centres, next] = [next, centres];
    if (onIteration !== undefined)
      onIteration(iterations, withOffset(centres, offset, k, d), state.rowLabels);
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
  if (!converged) {
    assign(points.X, centres, k, state);
    applyChanges(X, weight, state, points);
  }
  const labels = state.rowLabels.slice();
  return { centres, labels, inertia: inertia(X, centres, labels, weight), nIter: iterations };
}

/**
 * Bounds are trusted up to this relative margin: they carry rounding from their updates, and a
 * row within it of a tie is measured rather than skipped.
 */
const BOUND_MARGIN = 1 + 1e-10;

/** Rows measured together in one product with the centres. */
const BLOCK = 256;

/**
 * Labels every point with its nearest centre, measuring only points whose bounds allow a change;
 * updates the bounds and marks the points that changed cluster. Returns how many did.
 */
function assign(X: Matrix, centres: Float64Array, k: number, state: LloydState): number {
  const { rows: n, cols: d, data } = X;
  const { labels, upper, lower, halfGap, moved, pending, centreNorms } = state;
  for (let c = 0; c < k; c++) {
    let nearest = Infinity;
    for (let o = 0; o < k; o++) {
      if (o !== c) nearest = Math.min(nearest, squaredDistance(centres, c * d, centres, o * d, d));
    }
    halfGap[c] = Math.sqrt(nearest) / 2;
    let norm = 0;
    for (let j = 0; j < d; j++) norm += centres[c * d + j] * centres[c * d + j];
    centreNorms[c] = norm;
  }
  // Every other centre came at most this much closer: the largest move, or the second largest
  // for rows of the centre that moved most.
  let largest = 0;
  let second = 0;
  let largestAt = -1;
  for (let c = 0; c < k; c++) {
    if (moved[c] > largest) {
      second = largest;
      largest = moved[c];
      largestAt = c;
    } else if (moved[c] > second) second = moved[c];
  }
  let changed = 0;
  let waiting = 0;
  for (let i = 0; i < n; i++) {
    const a = labels[i];
    if (a >= 0) {
      upper[i] += moved[a];
      lower[i] -= a === largestAt ? second : largest;
      const limit = Math.max(halfGap[a], lower[i]);
      if (upper[i] * BOUND_MARGIN < limit) continue;
      upper[i] = Math.sqrt(squaredDistance(data, i * d, centres, a * d, d));
      if (upper[i] * BOUND_MARGIN < limit) continue;
    }
    pending[waiting++] = i;
    if (waiting === BLOCK) {
      changed += measure(X, centres, k, state, waiting);
      waiting = 0;
    }
  }
  if (waiting > 0) changed += measure(X, centres, k, state, waiting);
  moved.fill(0);
  return changed;
}

/**
 * Measures the pending rows against every centre with one product (‖x‖² + ‖c‖² − 2 x·c): the
 * nearest centre (lowest index among equals), the exact distance to it as the upper bound, and
 * the second smallest value less its rounding allowance as the lower bound.
 */
function measure(
  X: Matrix,
  centres: Float64Array,
  k: number,
  state: LloydState,
  count: number,
): number {
  const { cols: d, data } = X;
  const { pending, block, products, rowNorms, centreNorms, labels, upper, lower } = state;
  for (let r = 0; r < count; r++) {
    const row = pending[r] * d;
    for (let j = 0; j < d; j++) block[r * d + j] = data[row + j];
  }
  multiplyABt(block, count, centres, k, d, products);
  let largestNorm = 0;
  for (let c = 0; c < k; c++) largestNorm = Math.max(largestNorm, centreNorms[c]);
  let changed = 0;
  for (let r = 0; r < count; r++) {
    const i = pending[r];
    const norm = rowNorms[i];
    let best = 0;
    let bestDist = Infinity;
    let secondDist = Infinity;
    for (let c = 0; c < k; c++) {
      const dist = norm + centreNorms[c] - 2 * products[r * k + c];
      if (dist < bestDist) {
        secondDist = bestDist;
        bestDist = dist;
        best = c;
      } else if (dist < secondDist) secondDist = dist;
    }
    // A product of d terms is off by at most about d ulps of ‖x‖² + ‖c‖² (Higham, ch. 3).
    const allowance = (d + 4) * 4.5e-16 * (norm + largestNorm);
    upper[i] = Math.sqrt(squaredDistance(data, i * d, centres, best * d, d));
    lower[i] = Math.sqrt(Math.max(0, secondDist - allowance));
    const a = labels[i];
    if (best !== a) {
      state.changed[i] = 1;
      state.previous[i] = a;
      state.changedList[state.changedCount++] = i;
      labels[i] = best;
      changed++;
    }
  }
  return changed;
}

/**
 * Moves every row whose point changed cluster into its new cluster's running sums, in row order
 * (the order the sums were always added in, so they round alike), and clears the marks.
 */
function applyChanges(X: Matrix, weight: Float64Array, state: LloydState, points: Points): void {
  const { cols: d, data } = X;
  const { changed, changedList, previous, labels, rowLabels } = state;
  const count = state.changedCount;
  if (count === 0) return;
  const inverse = points.inverse;
  for (let i = 0; i < X.rows; i++) {
    const p = inverse === undefined ? i : inverse[i];
    if (changed[p] === 0) continue;
    moveRow(state, data, i * d, d, weight[i], previous[p], labels[p]);
    rowLabels[i] = labels[p];
  }
  for (let c = 0; c < count; c++) changed[changedList[c]] = 0;
  state.changedCount = 0;
}

/** Moves a row's weight from cluster `from` (−1: none) to cluster `to` in the running sums. */
function moveRow(
  state: LloydState,
  data: Float64Array,
  row: number,
  d: number,
  w: number,
  from: number,
  to: number,
): void {
  const { sums, weightOf, countOf } = state;
  if (from >= 0) {
    weightOf[from] -= w;
    for (let j = 0; j < d; j++) sums[from * d + j] -= w * data[row + j];
    if (--countOf[from] === 0) {
      // Empty exactly, whatever the rounding of the removals.
      weightOf[from] = 0;
      sums.fill(0, from * d, from * d + d);
    }
  }
  weightOf[to] += w;
  countOf[to]++;
  for (let j = 0; j < d; j++) sums[to * d + j] += w * data[row + j];
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
