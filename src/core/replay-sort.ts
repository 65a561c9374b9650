/**
 * NumPy's and Numba's unstable argsorts and NumPy's Euclidean distance, replayed exactly.
 *
 * Some PyOD detectors pick neighbours or reference rows with `argsort` (kind "quicksort"), which
 * is not stable: among equal values the order it returns is an accident of its partitions. To
 * give the same scores we must make the same accident, so these functions follow the same
 * partition steps (NumPy 1.24's introsort; Numba's quicksort) and the same floating-point
 * summation (NumPy's pairwise sum), so that equal values come out equal and in the same order.
 *
 * Only part of the sorted order is ever needed (the first or the last few positions). Quicksort
 * segments are independent once partitioned, so segments that cannot reach the wanted positions
 * are skipped: the wanted positions hold exactly what the full sort would put there.
 */

/**
 * Euclidean distance between rows as NumPy/SciPy compute it (`scipy.spatial.distance_matrix`):
 * squared differences summed with NumPy's pairwise summation (blocks of 8 partial sums, halves
 * above 128 terms), then the square root. Bit-for-bit equal distances are what make ties.
 */
export function numpyDistance(
  a: Float64Array,
  ai: number,
  b: Float64Array,
  bi: number,
  d: number,
): number {
  return Math.sqrt(pairwiseSquares(a, ai, b, bi, d));
}

function pairwiseSquares(
  a: Float64Array,
  ai: number,
  b: Float64Array,
  bi: number,
  n: number,
): number {
  if (n < 8) {
    let s = 0;
    for (let j = 0; j < n; j++) {
      const e = b[bi + j] - a[ai + j];
      s += e * e;
    }
    return s;
  }
  if (n <= 128) {
    let r0 = sq(a, b, ai, bi);
    let r1 = sq(a, b, ai + 1, bi + 1);
    let r2 = sq(a, b, ai + 2, bi + 2);
    let r3 = sq(a, b, ai + 3, bi + 3);
    let r4 = sq(a, b, ai + 4, bi + 4);
    let r5 = sq(a, b, ai + 5, bi + 5);
    let r6 = sq(a, b, ai + 6, bi + 6);
    let r7 = sq(a, b, ai + 7, bi + 7);
    const blocks = n - (n % 8);
    let j = 8;
    for (; j < blocks; j += 8) {
      r0 += sq(a, b, ai + j, bi + j);
      r1 += sq(a, b, ai + j + 1, bi + j + 1);
      r2 += sq(a, b, ai + j + 2, bi + j + 2);
      r3 += sq(a, b, ai + j + 3, bi + j + 3);
      r4 += sq(a, b, ai + j + 4, bi + j + 4);
      r5 += sq(a, b, ai + j + 5, bi + j + 5);
      r6 += sq(a, b, ai + j + 6, bi + j + 6);
      r7 += sq(a, b, ai + j + 7, bi + j + 7);
    }
    let s = r0 + r1 + (r2 + r3) + (r4 + r5 + (r6 + r7));
    for (; j < n; j++) s += sq(a, b, ai + j, bi + j);
    return s;
  }
  let half = n >> 1;
  half -= half % 8;
  return (
    pairwiseSquares(a, ai, b, bi, half) + pairwiseSquares(a, ai + half, b, bi + half, n - half)
  );
}

function sq(a: Float64Array, b: Float64Array, i: number, j: number): number {
  const e = b[j] - a[i];
  return e * e;
}

/** NumPy's introsort leaves segments of at most this many + 1 values to insertion sort. */
const NUMPY_SMALL = 15;

/**
 * Arranges `order` (the identity permutation on entry, or any order NumPy would be handed) so
 * that its first `count` positions hold what NumPy 1.24's `argsort(values)` (kind "quicksort",
 * no SIMD path) puts there.
 */
export function numpyArgsortHead(values: Float64Array, order: Int32Array, count: number): void {
  const n = order.length;
  // Each stacked segment carries its remaining depth, as NumPy's; past it, heapsort takes over.
  const stack: number[] = [0, n - 1, 2 * (31 - Math.clz32(Math.max(n, 1)))];
  while (stack.length > 0) {
    let depth = stack.pop()!;
    let right = stack.pop()!;
    let left = stack.pop()!;
    if (depth < 0) {
      heapsortSegment(values, order, left, right);
      continue;
    }
    let needed = true;
    while (right - left > NUMPY_SMALL) {
      const pivotAt = numpyPartition(values, order, left, right);
      depth--;
      // NumPy stacks the larger side and carries on with the smaller one without a depth check.
      const leftSmaller = pivotAt - left < right - pivotAt;
      const [sl, sr, ll, lr] = leftSmaller
        ? [left, pivotAt - 1, pivotAt + 1, right]
        : [pivotAt + 1, right, left, pivotAt - 1];
      if (ll <= lr && ll < count) stack.push(ll, lr, depth);
      left = sl;
      right = sr;
      if (left >= count) {
        needed = false;
        break;
      }
    }
    if (needed) insertionSort(values, order, left, right);
  }
}

function numpyPartition(values: Float64Array, order: Int32Array, pl: number, pr: number): number {
  const pm = pl + ((pr - pl) >> 1);
  if (values[order[pm]] < values[order[pl]]) swap(order, pm, pl);
  if (values[order[pr]] < values[order[pm]]) swap(order, pr, pm);
  if (values[order[pm]] < values[order[pl]]) swap(order, pm, pl);
  const pivot = values[order[pm]];
  // The pivot waits next to the end; the ends themselves bound the scans (median of three).
  let pi = pl;
  let pj = pr - 1;
  swap(order, pm, pj);
  for (;;) {
    do pi++;
    while (values[order[pi]] < pivot);
    do pj--;
    while (pivot < values[order[pj]]);
    if (pi >= pj) break;
    swap(order, pi, pj);
  }
  swap(order, pi, pr - 1);
  return pi;
}

/** NumPy's heapsort of order[left..right] (1-based heap over the segment). */
function heapsortSegment(values: Float64Array, order: Int32Array, left: number, right: number) {
  const at = left - 1; // heap position h lives at order[at + h]
  let n = right - left + 1;
  const siftDown = (start: number, size: number, held: number): void => {
    let i = start;
    let j = start * 2;
    while (j <= size) {
      if (j < size && values[order[at + j]] < values[order[at + j + 1]]) j++;
      if (!(values[held] < values[order[at + j]])) break;
      order[at + i] = order[at + j];
      i = j;
      j += j;
    }
    order[at + i] = held;
  };
  for (let l = n >> 1; l > 0; l--) siftDown(l, n, order[at + l]);
  while (n > 1) {
    const held = order[at + n];
    order[at + n] = order[at + 1];
    n--;
    siftDown(1, n, held);
  }
}

function insertionSort(values: Float64Array, order: Int32Array, left: number, right: number) {
  for (let i = left + 1; i <= right; i++) {
    const row = order[i];
    const v = values[row];
    let j = i;
    while (j > left && v < values[order[j - 1]]) {
      order[j] = order[j - 1];
      j--;
    }
    order[j] = row;
  }
}

function swap(order: Int32Array, a: number, b: number): void {
  const t = order[a];
  order[a] = order[b];
  order[b] = t;
}

/** Numba's quicksort leaves segments of fewer than this many + 1 values to insertion sort. */
const NUMBA_SMALL = 15;

/**
 * Arranges `order` (the identity permutation on entry) so that positions from `from` to the end
 * hold what Numba's `np.argsort(values)` (kind "quicksort") puts there.
 */
export function numbaArgsortTail(values: Int32Array, order: Int32Array, from: number): void {
  const stack: number[] = [0, order.length - 1];
  while (stack.length > 0) {
    const high = stack.pop()!;
    let low = stack.pop()!;
    while (high - low >= NUMBA_SMALL) {
      const pivotAt = numbaPartition(values, order, low, high);
      // Every segment kept here reaches `from` or beyond, so its right part always matters
      // (and an empty right part ends the segment: the insertion sort below is then a no-op).
      if (pivotAt - 1 >= from && pivotAt - 1 >= low) stack.push(low, pivotAt - 1);
      low = pivotAt + 1;
    }
    insertionSortInt(values, order, low, high);
  }
}

function numbaPartition(values: Int32Array, order: Int32Array, low: number, high: number): number {
  const mid = (low + high) >> 1;
  if (values[order[mid]] < values[order[low]]) swap(order, low, mid);
  if (values[order[high]] < values[order[mid]]) swap(order, high, mid);
  if (values[order[mid]] < values[order[low]]) swap(order, low, mid);
  const pivot = values[order[mid]];
  swap(order, high, mid);
  let i = low;
  let j = high - 1;
  for (;;) {
    while (i < high && values[order[i]] < pivot) i++;
    while (j >= low && pivot < values[order[j]]) j--;
    if (i >= j) break;
    swap(order, i, j);
    i++;
    j--;
  }
  swap(order, i, high);
  return i;
}

function insertionSortInt(values: Int32Array, order: Int32Array, left: number, right: number) {
  for (let i = left + 1; i <= right; i++) {
    const row = order[i];
    const v = values[row];
    let j = i;
    while (j > left && v < values[order[j - 1]]) {
      order[j] = order[j - 1];
      j--;
    }
    order[j] = row;
  }
}
