/**
 * Statistics with the exact semantics of the NumPy / SciPy / scikit-learn functions that parity
 * depends on. Each function says which one it matches.
 */
import { matrix, type Matrix } from "./matrix.js";

/** Arithmetic mean (NaN for an empty array). */
export function mean(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  return sum / values.length;
}

/** Variance with `ddof` delta degrees of freedom (NumPy's `var(ddof=...)`), two-pass. */
export function variance(values: ArrayLike<number>, ddof = 0): number {
  const n = values.length;
  const m = mean(values);
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const d = values[i] - m;
    ss += d * d;
  }
  return ss / (n - ddof);
}

export function std(values: ArrayLike<number>, ddof = 0): number {
  return Math.sqrt(variance(values, ddof));
}

/**
 * Quantile of already-sorted values with linear interpolation: NumPy's default
 * `quantile(a, q, method="linear")`, including its virtual-index and lerp rounding.
 */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  // NumPy's "linear" method: virtual index (n − 1)·q.
  const virtual = (n - 1) * q;
  const prev = Math.floor(virtual);
  const lo = Math.min(Math.max(prev, 0), n - 1);
  const hi = Math.min(Math.max(prev + 1, 0), n - 1);
  const t = virtual - prev;
  const a = sorted[lo];
  const b = sorted[hi];
  const diff = b - a;
  // NumPy's _lerp: a + diff*t, but b - diff*(1-t) when t >= 0.5 (keeps monotonicity at the ends).
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

/**
 * Quantile of unsorted values, as `quantileSorted` of the sorted values, in O(n): the two order
 * statistics the interpolation needs are found by selection instead of a full sort.
 */
export function quantile(values: ArrayLike<number>, q: number): number {
  const n = values.length;
  if (n === 0) return NaN;
  const work = Float64Array.from(values);
  const virtual = (n - 1) * q;
  const lo = Math.min(Math.max(Math.floor(virtual), 0), n - 1);
  const hi = Math.min(lo + 1, n - 1);
  const a = select(work, lo, 0, n - 1);
  // After selecting lo, everything right of it is >= it: the next order statistic is their minimum.
  let b = a;
  if (hi > lo) {
    b = Infinity;
    for (let i = lo + 1; i < n; i++) if (work[i] < b) b = work[i];
  }
  return interpolate(a, b, virtual - Math.floor(virtual));
}

/**
 * `quantile` of a multiset given as values and how many times each occurs: the same two order
 * statistics and the same interpolation, so the same number as `quantile` of the values repeated
 * (up to the sign of a zero, which either picks arbitrarily between −0 and 0).
 */
export function quantileCounted(
  values: ArrayLike<number>,
  counts: ArrayLike<number>,
  q: number,
): number {
  let n = 0;
  for (let k = 0; k < counts.length; k++) n += counts[k];
  if (n === 0) return NaN;
  const order = Int32Array.from({ length: values.length }, (_, k) => k).sort(
    (a, b) => values[a] - values[b],
  );
  const virtual = (n - 1) * q;
  const lo = Math.min(Math.max(Math.floor(virtual), 0), n - 1);
  const hi = Math.min(lo + 1, n - 1);
  // The values at 0-based positions lo and hi of the sorted multiset.
  let a = NaN;
  let b = NaN;
  let seen = 0;
  for (let k = 0; k < order.length && Number.isNaN(b); k++) {
    seen += counts[order[k]];
    if (Number.isNaN(a) && seen > lo) a = values[order[k]];
    if (seen > hi) b = values[order[k]];
  }
  return interpolate(a, b, virtual - Math.floor(virtual));
}

/** NumPy's lerp, as in quantileSorted. */
function interpolate(a: number, b: number, t: number): number {
  const diff = b - a;
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

/**
 * Rearranges `a[left..right]` so that a[k] holds the value it would have if sorted, with smaller
 * values before it and larger after (Hoare's selection with median-of-three pivots); returns a[k].
 */
function select(a: Float64Array, k: number, left: number, right: number): number {
  while (right > left) {
    const mid = (left + right) >>> 1;
    // median of three as the pivot, moved to a[left]
    if (a[mid] < a[left]) swap(a, mid, left);
    if (a[right] < a[left]) swap(a, right, left);
    if (a[right] < a[mid]) swap(a, right, mid);
    swap(a, mid, left);
    const pivot = a[left];
    let i = left + 1;
    let j = right;
    for (;;) {
      while (i <= j && a[i] < pivot) i++;
      while (i <= j && a[j] > pivot) j--;
      if (i >= j) break;
      swap(a, i, j);
      i++;
      j--;
    }
    swap(a, left, j);
    if (j === k) return a[k];
    if (j < k) left = j + 1;
    else right = j - 1;
  }
  return a[k];
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i];
  a[i] = a[j];
  a[j] = t;
}

/** NumPy's `percentile(a, p)`: `p` in [0, 100], linear interpolation. */
export function percentile(values: ArrayLike<number>, p: number): number {
  return quantile(values, p / 100);
}

/**
 * Skewness as `scipy.stats.skew(a, bias=True)`: m3 / m2^1.5 with central moments.
 * SciPy returns NaN when the data are constant to within float resolution; so do we, and callers
 * decide what a constant column means for them.
 */
export function skewness(values: ArrayLike<number>): number {
  const n = values.length;
  const m = mean(values);
  let m2 = 0;
  let m3 = 0;
  for (let i = 0; i < n; i++) {
    const d = values[i] - m;
    const d2 = d * d;
    m2 += d2;
    m3 += d2 * d;
  }
  m2 /= n;
  m3 /= n;
  const resolution = 1e-15; // np.finfo(float64).resolution
  if (m2 <= (resolution * m) ** 2) return NaN;
  return m3 / m2 ** 1.5;
}

/**
 * Excess kurtosis as `scipy.stats.kurtosis(a, fisher=True, bias=True)`: m4 / m2² − 3 with
 * central moments; NaN when the data are constant to within float resolution (as skewness).
 */
export function kurtosis(values: ArrayLike<number>): number {
  const n = values.length;
  const m = mean(values);
  let m2 = 0;
  let m4 = 0;
  for (let i = 0; i < n; i++) {
    const d2 = (values[i] - m) ** 2;
    m2 += d2;
    m4 += d2 * d2;
  }
  m2 /= n;
  m4 /= n;
  const resolution = 1e-15; // np.finfo(float64).resolution
  if (m2 <= (resolution * m) ** 2) return NaN;
  return m4 / (m2 * m2) - 3;
}

/**
 * 1-based ranks with ties given their average rank (`scipy.stats.rankdata(method="average")`).
 * O(n log n) with a typed-array sort and binary searches, no comparator callbacks.
 */
export function rankAverage(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  const sorted = Float64Array.from(values).sort();
  const ranks = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    const lo = lowerBound(sorted, v);
    const hi = upperBound(sorted, v);
    // positions lo..hi-1 hold v; their 1-based ranks average to (lo + 1 + hi) / 2
    ranks[i] = (lo + 1 + hi) / 2;
  }
  return ranks;
}

/** First index whose value is >= v in a sorted array. */
export function lowerBound(sorted: ArrayLike<number>, v: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index whose value is > v in a sorted array (= count of values <= v). */
export function upperBound(sorted: ArrayLike<number>, v: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Per-column mean and scale of a fitted StandardScaler. */
export interface Scaler {
  readonly mean: Float64Array;
  readonly scale: Float64Array;
}

/**
 * scikit-learn's StandardScaler: mean and population standard deviation (ddof = 0) per column,
 * the variance with its correction term, and near-constant columns (var <= n·eps·var +
 * (n·mean·eps)², as `_is_constant_feature`) or zero scales given scale 1.
 */
export function fitStandardScaler(X: Matrix): Scaler {
  const { rows: n, cols: d, data } = X;
  const meanOut = new Float64Array(d);
  const scale = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) meanOut[j] += data[i * d + j];
  for (let j = 0; j < d; j++) meanOut[j] /= n;
  const sum = new Float64Array(d);
  const sumSq = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const t = data[i * d + j] - meanOut[j];
      sum[j] += t;
      sumSq[j] += t * t;
    }
  }
  const eps = Number.EPSILON;
  for (let j = 0; j < d; j++) {
    const v = (sumSq[j] - (sum[j] * sum[j]) / n) / n;
    const upper = n * eps * v + (n * meanOut[j] * eps) ** 2;
    const sd = Math.sqrt(v);
    scale[j] = v <= upper || sd < 10 * eps ? 1 : sd;
  }
  return { mean: meanOut, scale };
}

/** Applies a fitted StandardScaler, returning a new matrix. */
export function applyScaler(s: Scaler, X: Matrix): Matrix {
  const { rows: n, cols: d, data } = X;
  const out = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) out[i * d + j] = (data[i * d + j] - s.mean[j]) / s.scale[j];
  }
  return matrix(n, d, out);
}

/** The error function, accurate to about 1e-15 (series below 2.5, continued fraction above). */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax > 6) return Math.sign(x);
  let result: number;
  if (ax < 2.5) {
    // Maclaurin series: erf(x) = 2/sqrt(pi) * sum_n (-1)^n x^(2n+1) / (n! (2n+1))
    let term = ax;
    let sum = ax;
    const x2 = ax * ax;
    for (let n = 1; n < 200; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    result = (2 / Math.sqrt(Math.PI)) * sum;
  } else {
    // erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + 1/2/(x + 1/(x + 3/2/(x + ...)))), Lentz's method.
    const tiny = 1e-300;
    let f = ax;
    let c = ax;
    let dd = 0;
    for (let n = 1; n < 300; n++) {
      const an = n / 2;
      dd = ax + an * dd;
      dd = dd === 0 ? tiny : dd;
      c = ax + an / c;
      c = c === 0 ? tiny : c;
      dd = 1 / dd;
      const delta = c * dd;
      f *= delta;
      if (Math.abs(delta - 1) < 1e-16) break;
    }
    result = 1 - Math.exp(-ax * ax) / (Math.sqrt(Math.PI) * f);
  }
  return x < 0 ? -result : result;
}
