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

/**
 * `numbaArgsortTail` for values that are 0 except at a few positions: the same rows at positions
 * `from`..n−1, in about O(m log n) for m non-zero values instead of O(n).
 *
 * `rows` (ascending) and `values` (positive) list the non-zero entries of an array of length n
 * whose other entries are 0; `out` (length n − from) receives the row at each position from
 * `from` on. Needs at least n − from non-zero entries, so that the wanted positions hold none of
 * the zeros, whose order is then never needed; returns false (and fills nothing) otherwise.
 *
 * While a segment is long and its median-of-three pivot is 0, Numba's partition is predictable
 * from the non-zero positions alone: the left scan stops at every position (nothing is below
 * 0), the right scan stops at every zero, so the t-th position from the left is swapped with the
 * t-th zero from the right until they meet. Once the pivot would be non-zero, or the segment is
 * short, the segment is laid out densely and sorted as Numba would.
 */
export function numbaArgsortTailSparse(
  n: number,
  rows: Int32Array,
  values: Int32Array,
  from: number,
  out: Int32Array,
): boolean {
  const m = rows.length;
  if (m < n - from || m === 0) return false;
  // The non-zero entries, sorted by position; all of them lie in the segment [low, high].
  const e: Entries = {
    pos: Int32Array.from(rows),
    row: Int32Array.from(rows),
    val: Int32Array.from(values),
  };
  const target = new Int32Array(m);
  let low = 0;
  const high = n - 1;
  while (high - low >= NUMBA_SMALL) {
    const mid = (low + high) >> 1;
    // The median of three non-negative values is 0 unless two of them are non-zero.
    const nonZero =
      (valueAt(e, low) > 0 ? 1 : 0) +
      (valueAt(e, mid) > 0 ? 1 : 0) +
      (valueAt(e, high) > 0 ? 1 : 0);
    if (nonZero >= 2) break;
    // Numba's median-of-three swaps, then the pivot (a 0) goes to the end.
    if (valueAt(e, mid) < valueAt(e, low)) swapPositions(e, low, mid);
    if (valueAt(e, high) < valueAt(e, mid)) swapPositions(e, high, mid);
    if (valueAt(e, mid) < valueAt(e, low)) swapPositions(e, low, mid);
    swapPositions(e, high, mid);
    // Walk the zeros down from high − 1 (the right scan's stops) against the left scan, which
    // stops at every position: they meet where the t-th zero is at or left of low + t.
    const walk = new ZeroWalk(e.pos, low, high);
    let t = 0;
    for (;;) {
      if (walk.zero <= low + t) break;
      const run = walk.zero - walk.runEnd() + 1;
      const step = Math.ceil((walk.zero - low - t) / 2);
      if (step < run) {
        t += step;
        break;
      }
      t += run;
      walk.nextRun();
    }
    const meet = low + t;
    // Entries left of the meeting point are swapped with the t-th zero from the right.
    let moving = 0;
    while (moving < m && e.pos[moving] < meet) moving++;
    const zeros = new ZeroWalk(e.pos, low, high);
    let reached = 0;
    for (let c = 0; c < moving; c++) {
      const want = e.pos[c] - low;
      for (;;) {
        const run = zeros.zero - zeros.runEnd() + 1;
        if (want - reached < run) {
          zeros.zero -= want - reached;
          reached = want;
          break;
        }
        reached += run;
        zeros.nextRun();
      }
      target[c] = zeros.zero;
    }
    // Their targets descend as t grows: reverse them, then merge with the entries that stay.
    for (let c = 0; c < moving; c++) e.pos[c] = target[c];
    reverseEntries(e, moving);
    mergeEntries(e, moving);
    swapPositions(e, meet, high);
    low = meet + 1;
  }
  // Every position left of `low` holds a zero by now, so none of them is wanted.
  if (from < low) return false;
  // Lay the rest out densely and finish as Numba would.
  const length = high - low + 1;
  const localValues = new Int32Array(length);
  const localRows = new Int32Array(length).fill(-1);
  for (let c = 0; c < m; c++) {
    localValues[e.pos[c] - low] = e.val[c];
    localRows[e.pos[c] - low] = e.row[c];
  }
  const order = new Int32Array(length);
  for (let i = 0; i < length; i++) order[i] = i;
  numbaArgsortTail(localValues, order, from - low);
  for (let p = from; p <= high; p++) out[p - from] = localRows[order[p - low]];
  return true;
}

/** Non-zero entries of a mostly-zero array: position, row and value, sorted by position. */
interface Entries {
  readonly pos: Int32Array;
  readonly row: Int32Array;
  readonly val: Int32Array;
}

/** The entry at position p, or −1 where the array holds a 0. */
function entryAt(e: Entries, p: number): number {
  const { pos } = e;
  let a = 0;
  let b = pos.length;
  while (a < b) {
    const c = (a + b) >> 1;
    if (pos[c] < p) a = c + 1;
    else b = c;
  }
  return a < pos.length && pos[a] === p ? a : -1;
}

function valueAt(e: Entries, p: number): number {
  const c = entryAt(e, p);
  return c < 0 ? 0 : e.val[c];
}

/** Swaps the contents of positions a and b, keeping the entries sorted by position. */
function swapPositions(e: Entries, a: number, b: number): void {
  const ea = entryAt(e, a);
  const eb = entryAt(e, b);
  if (ea >= 0 && eb >= 0) {
    // Both positions hold entries: exchange their rows and values, positions stay sorted.
    exchange(e, ea, eb);
    const p = e.pos[ea];
    e.pos[ea] = e.pos[eb];
    e.pos[eb] = p;
  } else if (ea >= 0) relocate(e, ea, b);
  else if (eb >= 0) relocate(e, eb, a);
}

/** Moves entry c to position p, shifting the others to keep the order. */
function relocate(e: Entries, c: number, p: number): void {
  const { pos, row, val } = e;
  const r = row[c];
  const v = val[c];
  let j = c;
  while (j > 0 && pos[j - 1] > p) {
    pos[j] = pos[j - 1];
    row[j] = row[j - 1];
    val[j] = val[j - 1];
    j--;
  }
  while (j < pos.length - 1 && pos[j + 1] < p) {
    pos[j] = pos[j + 1];
    row[j] = row[j + 1];
    val[j] = val[j + 1];
    j++;
  }
  pos[j] = p;
  row[j] = r;
  val[j] = v;
}

/**
 * The zero positions of [low, high − 1] from the right, run by run between non-zero entries:
 * `zero` is the current zero (below `low` when none is left).
 */
class ZeroWalk {
  zero: number;
  private next: number;
  constructor(
    private readonly pos: Int32Array,
    private readonly low: number,
    high: number,
  ) {
    this.zero = high - 1;
    this.next = pos.length - 1;
    while (this.next >= 0 && pos[this.next] > this.zero) this.next--;
    this.skipEntries();
  }
  /** The lowest zero of the current run. */
  runEnd(): number {
    return this.next >= 0 ? this.pos[this.next] + 1 : this.low;
  }
  nextRun(): void {
    this.zero = this.runEnd() - 1;
    this.skipEntries();
  }
  private skipEntries(): void {
    while (this.next >= 0 && this.pos[this.next] === this.zero) {
      this.next--;
      this.zero--;
    }
  }
}

function reverseEntries(e: Entries, count: number): void {
  for (let a = 0, b = count - 1; a < b; a++, b--) exchange(e, a, b);
}

/** Exchanges entries a and b wholesale. */
function exchange(e: Entries, a: number, b: number): void {
  const { pos, row, val } = e;
  const p = pos[a];
  const r = row[a];
  const v = val[a];
  pos[a] = pos[b];
  row[a] = row[b];
  val[a] = val[b];
  pos[b] = p;
  row[b] = r;
  val[b] = v;
}

/** Merges the ascending runs [0, split) and [split, length) of the entries by position. */
function mergeEntries(e: Entries, split: number): void {
  const { pos, row, val } = e;
  const m = pos.length;
  if (split === 0 || split === m || pos[split - 1] <= pos[split]) return;
  const p = pos.slice(0, split);
  const r = row.slice(0, split);
  const v = val.slice(0, split);
  let a = 0;
  let b = split;
  for (let o = 0; o < m; o++) {
    const takeA = b >= m || (a < split && p[a] <= pos[b]);
    if (takeA) {
      pos[o] = p[a];
      row[o] = r[a];
      val[o] = v[a++];
    } else {
      pos[o] = pos[b];
      row[o] = row[b];
      val[o] = val[b++];
    }
  }
}
