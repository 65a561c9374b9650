/**
 * The FastMCD search (Rousseeuw & Van Driessen 1999) for the raw Minimum Covariance Determinant
 * estimate, with the structure and constants of scikit-learn 1.2's `fast_mcd`:
 *
 * - A C-step from a support (h rows): take their mean and covariance, keep the h rows nearest to
 *   that mean in Mahalanobis distance, and repeat while the log-determinant falls, at most a set
 *   number of times. A support with a singular covariance (log-determinant −∞) ends it at once.
 * - Up to 500 rows: 30 random h-subsets get two C-steps each; the 10 with the lowest
 *   determinants are run to convergence (at most 30 C-steps) and the lowest wins.
 * - More rows: a random shuffle is cut into ⌊n / 300⌋ subsets; in each, max(10, 500 / subsets)
 *   random starts get two C-steps and the 10 best are kept. All of these are then run to
 *   convergence on a random 1500 rows (or all, if fewer), keeping the best 10 (the best one if
 *   there are at most 1500 rows); with more than 1500 rows those 10 are run once more on all
 *   rows. Subset supports scale h in proportion, rounded up.
 * - A single feature: the exact shortest-half estimate (Rousseeuw & Leroy 1987, ch. 4).
 *
 * scikit-learn's details kept: after the last C-step the distances are those under the
 * previous covariance's precision from the new location; an increase of the determinant (which
 * rounding can cause) returns the previous estimate; determinants within NumPy's `allclose`
 * count as converged; ties in the determinant keep the earlier start. Ties in distance go to the
 * lower row index (NumPy's sort leaves them in an unspecified order).
 *
 * Precisions come from a Cholesky factor when the covariance is numerically positive definite
 * (src/core/cholesky.ts), and from the pseudo-inverse otherwise (scipy's `pinvh`, as
 * scikit-learn everywhere): the same quadratic forms up to rounding, at a fraction of the cost.
 * Estimates are cached by support, so C-steps that meet an already visited support (common
 * once starts converge) do not recompute it.
 */
import type { Matrix } from "./matrix.js";
import type { Random } from "./random.js";
import { multiplyAAt, multiplyABt, multiplyABtLower, weightedSquaredDistances } from "./linalg.js";
import { cholesky, choleskyLogDet, invertLower } from "./cholesky.js";
import { symmetricPseudoInverse } from "./pinvh.js";

export interface RawMcd {
  readonly location: Float64Array;
  readonly covariance: Float64Array;
  /** 1 for the rows of the raw support. */
  readonly support: Uint8Array;
  /** Squared Mahalanobis distances of all rows under the raw estimate. */
  readonly dist: Float64Array;
}

/** Below this many multiply-adds per row, distances skip the matrix product (as linalg.ts's cut). */
const SMALL_PRODUCT = 256;

/** scikit-learn's constants (sklearn/covariance/_robust_covariance.py, after the paper). */
const SUBSET_ROWS = 300;
const TOTAL_TRIALS = 500;
const BEST_PER_SUBSET = 10;
const MERGED_ROWS = 1500;
const SMALL_TRIALS = 30;
const SMALL_BEST = 10;
const FIRST_STEPS = 2;
const FINAL_STEPS = 30;

/** Raw FastMCD location, covariance, support and distances of X with supports of h rows. */
export function fastMcd(X: Matrix, h: number, rng: Random): RawMcd {
  const { rows: n, cols: p } = X;
  if (p === 1) return shortestHalf(X, h);
  let best: Candidate;
  let rowsOf: Int32Array | undefined; // the merged rows, when the result is on them
  if (n > 500) {
    const subsets = Math.floor(n / SUBSET_ROWS);
    const subsetRows = Math.floor(n / subsets);
    const shuffled = rng.shuffle(identity(n));
    const hSubset = Math.ceil(subsetRows * (h / n));
    const trials = Math.max(10, Math.floor(TOTAL_TRIALS / subsets));
    const starts: Estimate[] = [];
    for (let s = 0; s < subsets; s++) {
      const data = new SearchData(
        gather(X, shuffled.subarray(s * subsetRows, (s + 1) * subsetRows)),
      );
      const found = selectCandidates(data, hSubset, trials, BEST_PER_SUBSET, FIRST_STEPS, rng);
      for (const c of found) starts.push(c.estimate);
    }
    const mergedRows = Math.min(MERGED_ROWS, n);
    const hMerged = Math.ceil(mergedRows * (h / n));
    const keep = n > MERGED_ROWS ? 10 : 1;
    const selection = rng.sample(n, mergedRows);
    const merged = new SearchData(gather(X, selection));
    const onMerged = selectCandidates(merged, hMerged, starts, keep, FINAL_STEPS, rng);
    if (n < MERGED_ROWS) {
      best = onMerged[0];
      rowsOf = selection;
    } else {
      const full = new SearchData(X);
      const starts2 = onMerged.map((c) => c.estimate);
      best = selectCandidates(full, h, starts2, 1, FINAL_STEPS, rng)[0];
    }
  } else {
    const data = new SearchData(X);
    const first = selectCandidates(data, h, SMALL_TRIALS, SMALL_BEST, FIRST_STEPS, rng);
    const starts = first.map((c) => c.estimate);
    best = selectCandidates(data, h, starts, 1, FINAL_STEPS, rng)[0];
  }
  const support = new Uint8Array(n);
  let dist = best.dist();
  if (rowsOf === undefined) {
    for (const i of best.estimate.support) support[i] = 1;
  } else {
    // Back from merged-row positions to rows (the merged rows are all rows here).
    dist = new Float64Array(n);
    for (const i of best.estimate.support) support[rowsOf[i]] = 1;
    const onRows = best.dist();
    for (let r = 0; r < rowsOf.length; r++) dist[rowsOf[r]] = onRows[r];
  }
  return {
    location: best.estimate.location,
    covariance: best.estimate.covariance,
    support,
    dist,
  };
}

/**
 * Σ_k s_k (f_k · (x − location))² for every row: squared Mahalanobis distances when the factor
 * rows f_k (k × d) factor a precision matrix (signs s_k, all +1 when left out).
 */
export function quadraticForms(
  X: Matrix,
  location: Float64Array,
  factor: Float64Array,
  signs?: Float64Array,
): Float64Array {
  const { rows: n, cols: d, data } = X;
  const out = new Float64Array(n);
  const k = d === 0 ? 0 : factor.length / d;
  if (k === 0) return out;
  const centred = new Float64Array(n * d);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < d; j++) centred[i * d + j] = data[i * d + j] - location[j];
  const y = multiplyABt(centred, n, factor, k, d);
  for (let i = 0; i < n; i++) {
    let s = 0;
    if (signs === undefined) {
      for (let c = 0; c < k; c++) s += y[i * k + c] * y[i * k + c];
    } else {
      for (let c = 0; c < k; c++) s += signs[c] * y[i * k + c] * y[i * k + c];
    }
    out[i] = s;
  }
  return out;
}

/**
 * The h smallest values' indices, in increasing index order (ties at the h-th value go to the
 * lower indices), in linear time.
 */
export function smallestRows(values: Float64Array, h: number): Int32Array {
  const n = values.length;
  if (h >= n) return identity(n);
  const threshold = nthSmallest(Float64Array.from(values), h - 1);
  let below = 0;
  for (let i = 0; i < n; i++) if (values[i] < threshold) below++;
  let ties = h - below;
  const out = new Int32Array(h);
  let filled = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v < threshold || (v === threshold && ties-- > 0)) out[filled++] = i;
  }
  return out;
}

/** The k-th smallest value (0-based) of a, reordering a (quickselect, median-of-three pivots). */
function nthSmallest(a: Float64Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (hi > lo) {
    const mid = (lo + hi) >> 1;
    // Median of three as the pivot.
    if (a[mid] < a[lo]) swap(a, mid, lo);
    if (a[hi] < a[lo]) swap(a, hi, lo);
    if (a[hi] < a[mid]) swap(a, hi, mid);
    const pivot = a[mid];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        swap(a, i, j);
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k];
  }
  return a[k];
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i];
  a[i] = a[j];
  a[j] = t;
}

function identity(n: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  return out;
}

function gather(X: Matrix, rows: Int32Array): Matrix {
  const d = X.cols;
  const out = new Float64Array(rows.length * d);
  for (let r = 0; r < rows.length; r++)
    out.set(X.data.subarray(rows[r] * d, rows[r] * d + d), r * d);
  return { rows: rows.length, cols: d, data: out };
}

/** A precision as a quadratic form: Σ_k s_k (f_k · x)² (signs all +1 when left out). */
interface Precision {
  readonly factor: Float64Array;
  readonly signs?: Float64Array;
}

/** The mean and covariance of a support, its log-determinant, and (on demand) its precision. */
class Estimate {
  private precision: Precision | undefined;
  /** Distances of the owner's rows under this estimate, and the h nearest (memoised). */
  ownDist: Float64Array | undefined;
  nearest: Int32Array | undefined;
  constructor(
    /** The search data whose rows the support indexes. */
    readonly owner: SearchData,
    readonly support: Int32Array,
    readonly location: Float64Array,
    readonly covariance: Float64Array,
    /** The Cholesky factor, absent when the covariance is singular. */
    private readonly factor: Float64Array | undefined,
    readonly logDet: number,
    /** Σ (x − c) and Σ (x − c)(x − c)ᵀ over the support, c the owner's centre. */
    readonly sum: Float64Array,
    readonly scatter: Float64Array,
  ) {}

  /** scikit-learn's `pinvh(covariance)`, from the Cholesky factor when there is one. */
  precisionOf(): Precision {
    if (this.precision === undefined) {
      const p = this.location.length;
      if (this.factor !== undefined) this.precision = { factor: invertLower(this.factor, p) };
      else {
        const pinv = symmetricPseudoInverse(this.covariance, p);
        this.precision = { factor: pinv.factor, signs: pinv.signs };
      }
    }
    return this.precision;
  }
}

/**
 * The rows a search runs on, and the estimates of supports already visited on them, with their
 * distances and nearest rows: C-steps from different starts often meet on the same supports.
 */
class SearchData {
  private readonly cache = new Map<string, Estimate>();
  /** Entries kept at most: about 32 MB of covariances, factors and distances. */
  private readonly capacity: number;
  /** Products of the rows with a precision factor (n × at most p), reused by every call. */
  private readonly products: Float64Array<ArrayBuffer>;
  /** The rows' mean: moments are summed about it, so that few digits cancel. */
  private readonly centre: Float64Array;
  constructor(readonly X: Matrix) {
    this.capacity = Math.max(4, Math.floor(4e6 / (4 * X.cols * X.cols + 2 * X.rows)));
    this.products = new Float64Array(X.rows * X.cols);
    const { rows: n, cols: p, data } = X;
    this.centre = new Float64Array(p);
    for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) this.centre[j] += data[i * p + j];
    for (let j = 0; j < p; j++) this.centre[j] /= n;
  }

  /**
   * Squared Mahalanobis distances of the rows from `location`: Σ_k s_k (f_k·x − f_k·μ)², the
   * products of all rows in one call and without centring them first (the search only ranks
   * rows; the detector's final scores centre first, as scikit-learn).
   */
  distances(location: Float64Array, precision: Precision): Float64Array {
    const { rows: n, cols: p, data } = this.X;
    const { factor, signs } = precision;
    const k = factor.length / p;
    const shift = new Float64Array(k);
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let j = 0; j < p; j++) s += factor[c * p + j] * location[j];
      shift[c] = s;
    }
    const out = new Float64Array(n);
    const weight = signs ?? new Float64Array(k).fill(1);
    if (k * p < SMALL_PRODUCT) {
      // Few features: row by row, reading only the lower triangle of a Cholesky inverse.
      if (signs === undefined) {
        // Four rows at a time: independent sums that the processor overlaps, each summed in the
        // same order as one row alone (same bits).
        let i = 0;
        for (; i + 4 <= n; i += 4) {
          const b0 = i * p;
          const b1 = b0 + p;
          const b2 = b1 + p;
          const b3 = b2 + p;
          let sum0 = 0;
          let sum1 = 0;
          let sum2 = 0;
          let sum3 = 0;
          for (let c = 0; c < k; c++) {
            const at = c * p;
            const start = -shift[c];
            let v0 = start;
            let v1 = start;
            let v2 = start;
            let v3 = start;
            for (let j = 0; j <= c; j++) {
              const f = factor[at + j];
              v0 += f * data[b0 + j];
              v1 += f * data[b1 + j];
              v2 += f * data[b2 + j];
              v3 += f * data[b3 + j];
            }
            sum0 += v0 * v0;
            sum1 += v1 * v1;
            sum2 += v2 * v2;
            sum3 += v3 * v3;
          }
          out[i] = sum0;
          out[i + 1] = sum1;
          out[i + 2] = sum2;
          out[i + 3] = sum3;
        }
        for (; i < n; i++) {
          const base = i * p;
          let sum = 0;
          for (let c = 0; c < k; c++) {
            const at = c * p;
            let v = -shift[c];
            for (let j = 0; j <= c; j++) v += factor[at + j] * data[base + j];
            sum += v * v;
          }
          out[i] = sum;
        }
      } else {
        for (let i = 0; i < n; i++) {
          const base = i * p;
          let sum = 0;
          for (let c = 0; c < k; c++) {
            const at = c * p;
            let v = -shift[c];
            for (let j = 0; j < p; j++) v += factor[at + j] * data[base + j];
            sum += weight[c] * v * v;
          }
          out[i] = sum;
        }
      }
      return out;
    }
    // A Cholesky inverse is lower triangular: the product skips its zeros (same bits).
    const products = this.products.subarray(0, n * k);
    const y =
      signs === undefined
        ? multiplyABtLower(data, n, factor, k, p, products)
        : multiplyABt(data, n, factor, k, p, products);
    weightedSquaredDistances(y, n, k, shift, weight, out);
    return out;
  }

  /**
   * The estimate of a support. Given the estimate it came from, when fewer than half the rows
   * changed, the support's moments are those of `from` updated by the rows that left and came
   * (C-steps near convergence swap a few rows), else they are summed afresh.
   */
  estimateOf(support: Int32Array, from?: Estimate): Estimate {
    let h1 = 0x811c9dc5;
    let h2 = support.length;
    for (const i of support) {
      h1 = Math.imul(h1 ^ i, 0x01000193);
      h2 = Math.imul(h2 + i, 0x9e3779b1) ^ (h2 >>> 15);
    }
    const key = `${support.length}:${h1}:${h2}`;
    const hit = this.cache.get(key);
    if (hit !== undefined && sameRows(hit.support, support)) return hit;
    const p = this.X.cols;
    const h = support.length;
    let sum: Float64Array | undefined;
    let scatter: Float64Array | undefined;
    if (from !== undefined && from.owner === this && from.support.length === h) {
      const { came, left } = changedRows(from.support, support);
      if (2 * (came.length + left.length) < h) {
        sum = Float64Array.from(from.sum);
        scatter = Float64Array.from(from.scatter);
        this.addMoments(came, 1, sum, scatter);
        this.addMoments(left, -1, sum, scatter);
      }
    }
    if (sum === undefined || scatter === undefined) {
      sum = new Float64Array(p);
      scatter = new Float64Array(p * p);
      this.addMoments(support, 1, sum, scatter);
    }
    // Mean and covariance from the moments about the centre: μ = c + s / h, Σ = S / h − m mᵀ.
    const location = new Float64Array(p);
    const relative = new Float64Array(p);
    for (let j = 0; j < p; j++) {
      relative[j] = sum[j] / h;
      location[j] = this.centre[j] + relative[j];
    }
    const covariance = new Float64Array(p * p);
    for (let a = 0; a < p; a++) {
      for (let b = a; b < p; b++) {
        const v = scatter[a * p + b] / h - relative[a] * relative[b];
        covariance[a * p + b] = v;
        covariance[b * p + a] = v;
      }
    }
    const L = cholesky(covariance, p);
    const logDet = L === undefined ? -Infinity : choleskyLogDet(L, p);
    const e = new Estimate(this, support, location, covariance, L, logDet, sum, scatter);
    if (this.cache.size >= this.capacity) this.cache.clear();
    this.cache.set(key, e);
    return e;
  }

  /** Adds sign × the moments of the given rows (about the centre) to sum and scatter. */
  private addMoments(rows: Int32Array, sign: number, sum: Float64Array, scatter: Float64Array) {
    const m = rows.length;
    if (m === 0) return;
    const { cols: p, data } = this.X;
    // The rows centred, feature-major (p × m), so the scatter is one product.
    const block = new Float64Array(p * m);
    for (let r = 0; r < m; r++) {
      const at = rows[r] * p;
      for (let j = 0; j < p; j++) {
        const v = data[at + j] - this.centre[j];
        block[j * m + r] = v;
        sum[j] += sign * v;
      }
    }
    const product = multiplyAAt(block, p, m);
    for (let k = 0; k < p * p; k++) scatter[k] += sign * product[k];
  }

  /** Distances of these rows from e's location under e's precision. */
  distancesUnder(e: Estimate): Float64Array {
    if (e.owner !== this) return this.distances(e.location, e.precisionOf());
    e.ownDist ??= this.distances(e.location, e.precisionOf());
    return e.ownDist;
  }

  /** The h rows nearest under e (a C-step's new support). */
  nearestUnder(e: Estimate, h: number): Int32Array {
    if (e.owner !== this) return smallestRows(this.distancesUnder(e), h);
    e.nearest ??= smallestRows(this.distancesUnder(e), h);
    return e.nearest;
  }
}

/** The rows in `to` and not in `from` (came) and the reverse (left); both sorted ascending. */
function changedRows(from: Int32Array, to: Int32Array): { came: Int32Array; left: Int32Array } {
  const came: number[] = [];
  const left: number[] = [];
  let a = 0;
  let b = 0;
  while (a < from.length || b < to.length) {
    if (b >= to.length || (a < from.length && from[a] < to[b])) left.push(from[a++]);
    else if (a >= from.length || to[b] < from[a]) came.push(to[b++]);
    else {
      a++;
      b++;
    }
  }
  return { came: Int32Array.from(came), left: Int32Array.from(left) };
}

function sameRows(a: Int32Array, b: Int32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

interface Candidate {
  readonly estimate: Estimate;
  /** The distances that go with it, computed on demand (only the last stage's are used). */
  readonly dist: () => Float64Array;
}

/** NumPy's `allclose` for two scalars (rtol 1e-5, atol 1e-8; infinities equal only to themselves). */
function allClose(a: number, b: number): boolean {
  if (a === b) return true;
  if (!Number.isFinite(a) || !Number.isFinite(b)) return false;
  return Math.abs(a - b) <= 1e-8 + 1e-5 * Math.abs(b);
}

/** One C-step run from a random h-subset, or from a given estimate's nearest h rows. */
function cStep(
  data: SearchData,
  h: number,
  steps: number,
  rng: Random,
  start?: Estimate,
): Candidate {
  let dist: Float64Array = new Float64Array(0);
  let current: Estimate;
  if (start === undefined) current = data.estimateOf(rng.sample(data.X.rows, h).sort());
  else {
    dist = data.distancesUnder(start);
    current = data.estimateOf(
      start.owner === data ? data.nearestUnder(start, h) : smallestRows(dist, h),
    );
  }
  // The estimate whose precision chose the rows last (scikit-learn's `precision`).
  let chooser: Estimate | undefined = current.logDet === -Infinity ? current : undefined;
  let previous = current;
  let previousDet = Infinity;
  let remaining = steps;
  while (current.logDet < previousDet && remaining > 0 && current.logDet > -Infinity) {
    previous = current;
    previousDet = current.logDet;
    chooser = current;
    dist = data.distancesUnder(current);
    current = data.estimateOf(data.nearestUnder(current, h), current);
    remaining--;
  }
  const previousDist = dist;
  const det = current.logDet;
  if (remaining !== 0 && !allClose(det, previousDet) && det > previousDet) {
    return { estimate: previous, dist: () => previousDist };
  }
  // As scikit-learn: the new location, measured with the precision last used to choose rows.
  const last = current;
  const by = chooser!;
  return {
    estimate: current,
    dist: () =>
      by === last ? data.distancesUnder(last) : data.distances(last.location, by.precisionOf()),
  };
}

/**
 * Runs C-steps from `starts` random subsets or from the given estimates, and returns the `keep`
 * results with the lowest log-determinants (the earlier start first among equals).
 */
function selectCandidates(
  data: SearchData,
  h: number,
  starts: number | readonly Estimate[],
  keep: number,
  steps: number,
  rng: Random,
): Candidate[] {
  const found: Candidate[] = [];
  if (typeof starts === "number") {
    for (let t = 0; t < starts; t++) found.push(cStep(data, h, steps, rng));
  } else {
    for (const s of starts) found.push(cStep(data, h, steps, rng, s));
  }
  const order = found.map((_, i) => i);
  order.sort((a, b) => {
    const da = found[a].estimate.logDet;
    const db = found[b].estimate.logDet;
    return da < db ? -1 : da > db ? 1 : a - b;
  });
  return order.slice(0, keep).map((i) => found[i]);
}

/**
 * The single-feature case (scikit-learn's exact method): the location is the midpoint of the
 * shortest interval holding h + 1 sorted values (averaged over equally short ones), the support
 * the h rows nearest to it, the covariance their variance.
 */
function shortestHalf(X: Matrix, h: number): RawMcd {
  const n = X.rows;
  const x = X.data;
  let location: number;
  let support: Int32Array;
  if (h < n) {
    const sorted = Float64Array.from(x).sort();
    let shortest = Infinity;
    for (let s = 0; s < n - h; s++) shortest = Math.min(shortest, sorted[s + h] - sorted[s]);
    let sum = 0;
    let count = 0;
    for (let s = 0; s < n - h; s++) {
      if (sorted[s + h] - sorted[s] === shortest) {
        sum += sorted[s + h] + sorted[s];
        count++;
      }
    }
    location = 0.5 * (sum / count);
    const deviation = x.map((v) => Math.abs(v - location));
    support = smallestRows(deviation, h);
  } else {
    let sum = 0;
    for (const v of x) sum += v;
    location = sum / n;
    support = identity(n);
  }
  let mean = 0;
  for (const i of support) mean += x[i];
  mean /= support.length;
  let variance = 0;
  for (const i of support) variance += (x[i] - mean) ** 2;
  variance /= support.length;
  const precision = variance !== 0 ? 1 / variance : 0; // pinvh of a 1 × 1 matrix
  const dist = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const c = x[i] - location;
    dist[i] = c * precision * c;
  }
  const mask = new Uint8Array(n);
  for (const i of support) mask[i] = 1;
  return {
    location: Float64Array.of(location),
    covariance: Float64Array.of(variance),
    support: mask,
    dist,
  };
}
