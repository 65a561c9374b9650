/**
 * Exact k-nearest-neighbour queries under the Euclidean distance.
 *
 * Low dimensions (≤ 16 features) use a KD-tree built on median splits of the widest feature,
 * with bounding boxes for pruning, searched by groups of nearby queries: boxes are rejected in
 * single precision and leaf rows on 16-bit integer codes (a grid per leaf, eight values per
 * instruction), each against a bound that allows for the rounding, and the rows that pass are
 * measured exactly in double precision; higher dimensions use blocked brute force, where the
 * squared distances of a block of queries to a block of reference rows are estimated from one
 * 16-bit integer matrix product (‖q‖² + ‖r‖² − 2 q·r on centred rows, each quantised with its
 * own power-of-two scale; eight products per instruction) and every row that could be among the
 * k nearest, allowing for the estimate's bounded error, is then measured
 * exactly in double precision, so neighbours and distances are exact. Both searches run on
 * the WebAssembly SIMD kernels (assembly/kernels.ts); the tree is built here.
 *
 * Neighbours are ordered by (distance, reference index), so ties resolve the same way every
 * time. A self-query (no `queries`) leaves each reference row out of its own neighbourhood, as
 * scikit-learn's `kneighbors()` without X does; duplicates of a row still count.
 *
 * A self-query can be cut into parts (`selfQuery` on an index), which the worker pool runs on
 * every core (src/detectors/parallel.ts); the parts write disjoint rows of one output.
 */
import type { Matrix } from "./matrix.js";
import {
  bruteForceSearchWasm,
  kdTreeSearchGroupsWasm,
  KD_GROUP,
  paddedWidth,
  quantiseRows,
  quantisedWidth,
  type BruteForceRows,
  type FlatKdTree,
} from "./wasm.js";

export interface Neighbours {
  /** Neighbours per query. */
  readonly k: number;
  /** Distances, query-major (query i's at [i*k, (i+1)*k)), ascending. */
  readonly distances: Float64Array;
  /** Reference row indices matching `distances`. */
  readonly indices: Int32Array;
}

/**
 * Up to this many features the KD-tree is used; above, its bounding boxes prune too little and
 * brute force on the matrix-product kernel is faster.
 */
export const TREE_MAX_FEATURES = 16;

/**
 * Most rows in a KD-tree leaf. With 8 features or more a query's k nearest span many small
 * leaves, and the walk costs more than the leaf scans, which the 16-bit codes make cheap: leaves
 * of 128 took 0.75–0.85 of the CPU of leaves of 32 (generated 200k–400k × 10 and 100k × 16, k 5
 * and 20). With fewer features larger leaves did not pay (smtp, 3 features: 1.2× the CPU at 128).
 */
function leafSize(d: number): number {
  return d >= 8 ? 128 : 32;
}
/** A searchable reference set. */
export interface NeighbourIndex {
  readonly rows: number;
  readonly cols: number;
  /** The k nearest reference rows of each query row. */
  search(k: number, queries: Matrix): Neighbours;
  /**
   * The k nearest other reference rows of reference rows in part [start, end) of the index's
   * own order (a tree keeps nearby rows together, so parts are cache-friendly), written to
   * `out` at the rows' original positions. Parts together cover 0..rows.
   */
  selfQuery(k: number, start: number, end: number, out: NeighbourBuffers): void;
}

/** Output arrays of a self-query (rows × k each), possibly in shared memory. */
export interface NeighbourBuffers {
  readonly distances: Float64Array;
  readonly indices: Int32Array;
}

/**
 * From how many rows a neighbour search pays for the worker pool (a warm pool costs a few
 * milliseconds per job): brute force costs about rows × features per query, so wide data pays
 * from a few hundred rows; the tree's queries are cheaper, so from a few thousand.
 */
export function neighbourSearchMinRows(cols: number): number {
  return cols > TREE_MAX_FEATURES ? 500 : 5_000;
}

/**
 * The last KD-tree built on this thread, kept so that searching the same rows again does not
 * build it again: a detector's fit builds the tree of its training rows and its score searches
 * them (on a pool worker the rows arrive as a new array in each job, so only their values can
 * tell), as PyOD's fitted model keeps its tree for scoring. Building always builds (a fit never
 * borrows an earlier fit's tree); one tree is kept at most, let go before the next is built, and
 * only up to TREE_KEEP_MAX_BYTES. Brute force is not kept: preparing its rows is cheap next to
 * its search.
 */
let keptTree: KdTree | undefined;

/** Trees larger than this are not kept after use (10 features: about 1.3 million rows). */
const TREE_KEEP_MAX_BYTES = 160 * 1024 * 1024;

/** A new index of the reference rows (a tree is kept for indexFor). */
export function buildIndex(reference: Matrix): NeighbourIndex {
  if (reference.cols > TREE_MAX_FEATURES) return new BruteForce(reference);
  keptTree = undefined;
  const tree = new KdTree(reference);
  if (tree.bytes <= TREE_KEEP_MAX_BYTES) keptTree = tree;
  return tree;
}

/** An index of the reference rows: the kept tree if it was built on exactly these, else a new one. */
export function indexFor(reference: Matrix): NeighbourIndex {
  if (keptTree !== undefined && keptTree.holds(reference)) return keptTree;
  return buildIndex(reference);
}

/** Lets the kept tree go (tests, and callers done with a large reference set). */
export function forgetKeptIndex(): void {
  keptTree = undefined;
}

/** The k nearest reference rows of each query row (or of each reference row, itself excluded). */
export function kNearest(reference: Matrix, k: number, queries?: Matrix): Neighbours {
  checkK(reference.rows, k, queries === undefined);
  if (queries !== undefined) return indexFor(reference).search(k, queries);
  const index = buildIndex(reference);
  const out = {
    distances: new Float64Array(reference.rows * k),
    indices: new Int32Array(reference.rows * k),
  };
  index.selfQuery(k, 0, reference.rows, out);
  return { k, ...out };
}

export function checkK(rows: number, k: number, self: boolean): void {
  const available = rows - (self ? 1 : 0);
  if (!(Number.isInteger(k) && k >= 1 && k <= available)) {
    throw new RangeError(`kNearest: ${k} neighbours asked of ${available} candidate rows`);
  }
}

class KdTree implements NeighbourIndex {
  readonly rows: number;
  readonly cols: number;
  private readonly flat: FlatKdTree;
  /** First tree row of every leaf, ascending (the leaves cover the rows in tree order). */
  private readonly leafStarts: Int32Array;

  constructor(reference: Matrix) {
    const { rows: n, cols: d } = reference;
    this.rows = n;
    this.cols = d;
    // The rows are reordered in place as the tree splits them (a working copy), so every pass
    // over a node's rows reads contiguous memory; `order` remembers where each came from.
    const points = reference.data.slice(0, n * d);
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    // Median splits leave every leaf with more than half the leaf size, so this many nodes suffice.
    const leafRows = leafSize(d);
    const capacity = 2 * Math.ceil(n / Math.floor((leafRows + 1) / 2)) + 1;
    const nodeStart = new Int32Array(capacity);
    const nodeEnd = new Int32Array(capacity);
    const nodeLeft = new Int32Array(capacity).fill(-1);
    const boxes = new Float64Array(capacity * 2 * d);
    const splitDim = new Int32Array(capacity);
    const splitValue = new Float64Array(capacity);
    const identical = new Int32Array(capacity);
    let nodes = 0;
    const addNode = (s: number, e: number): number => {
      const node = nodes++;
      nodeStart[node] = s;
      nodeEnd[node] = e;
      // One feature at a time, its bounds in locals (registers), rather than updating the box in
      // memory row by row. NaNs are skipped, as the comparisons are false.
      for (let j = 0; j < d; j++) {
        let min = Infinity;
        let max = -Infinity;
        for (let at = s * d + j, stop = e * d; at < stop; at += d) {
          const v = points[at];
          if (v < min) min = v;
          if (v > max) max = v;
        }
        boxes[node * 2 * d + j] = min;
        boxes[node * 2 * d + d + j] = max;
      }
      return node;
    };
    addNode(0, n);
    const stack: number[] = [0];
    while (stack.length > 0) {
      const node = stack.pop()!;
      const s = nodeStart[node];
      const e = nodeEnd[node];
      if (e - s <= leafRows) continue;
      // Split on the feature with the widest bounding box, at the median row.
      let dim = 0;
      let widest = -1;
      for (let j = 0; j < d; j++) {
        const w = boxes[node * 2 * d + d + j] - boxes[node * 2 * d + j];
        if (w > widest) {
          widest = w;
          dim = j;
        }
      }
      if (widest <= 0) {
        // All rows alike (NaNs aside): a leaf, whatever its size. If they are identical, their
        // `order` entries are sorted so the kernel offers them by original index (one distance
        // for all, and it stops at the first refused).
        if (identicalRows(points, d, s, e)) {
          identical[node] = 1;
          order.subarray(s, e).sort();
        }
        continue;
      }
      const mid = (s + e) >>> 1;
      selectByFeature(points, d, order, s, e - 1, mid, dim);
      const l = addNode(s, mid);
      addNode(mid, e);
      nodeLeft[node] = l;
      splitDim[node] = dim;
      splitValue[node] = points[mid * d + dim];
      stack.push(l, l + 1);
    }
    this.flat = {
      d,
      points,
      rowIndex: order,
      nodeStart: nodeStart.slice(0, nodes),
      nodeEnd: nodeEnd.slice(0, nodes),
      nodeLeft: nodeLeft.slice(0, nodes),
      splitDim: splitDim.slice(0, nodes),
      splitValue: splitValue.slice(0, nodes),
      leafIdentical: identical.slice(0, nodes),
      ...filterCopy(points, d, boxes.subarray(0, nodes * 2 * d), nodeStart, nodeEnd, nodeLeft),
    };
    const starts: number[] = [];
    for (let v = 0; v < nodes; v++) if (nodeLeft[v] < 0) starts.push(nodeStart[v]);
    this.leafStarts = Int32Array.from(starts).sort();
  }

  /** Bytes of the tree's arrays. */
  get bytes(): number {
    let total = this.leafStarts.byteLength;
    for (const v of Object.values(this.flat)) if (ArrayBuffer.isView(v)) total += v.byteLength;
    return total;
  }

  /**
   * Whether the tree was built on exactly these rows: the same shape and every value equal to
   * the tree's own copy (NaN to NaN), so a kept tree never answers for rows changed since.
   */
  holds(reference: Matrix): boolean {
    const { rows: n, cols: d, data } = reference;
    if (n !== this.rows || d !== this.cols) return false;
    const { points, rowIndex } = this.flat;
    for (let t = 0; t < n; t++) {
      const from = rowIndex[t] * d;
      for (let j = 0; j < d; j++) {
        const a = points[t * d + j];
        const b = data[from + j];
        if (a !== b && !(a !== a && b !== b)) return false;
      }
    }
    return true;
  }

  search(k: number, queries: Matrix): Neighbours {
    checkK(this.rows, k, false);
    const m = queries.rows;
    const distances = new Float64Array(m * k);
    const indices = new Int32Array(m * k);
    // Queries are searched in groups of the ones that fall in one leaf: the kernel walks the tree
    // once per group, and the nodes and rows it reads stay in cache (a large speed-up on big
    // trees). The answer of each query does not depend on its group or the order.
    const { order: byLeaf, groupEnd } = this.leafOrder(queries);
    const d = queries.cols;
    const grouped = new Float64Array(m * d);
    for (let i = 0; i < m; i++)
      grouped.set(queries.data.subarray(byLeaf[i] * d, byLeaf[i] * d + d), i * d);
    const write = (first: number, count: number, dist: Float64Array, idx: Int32Array): void =>
      scatterRows(byLeaf, first, count, k, dist, idx, distances, indices);
    kdTreeSearchGroupsWasm(this.flat, k, grouped, -1, groupEnd, write);
    return { k, distances, indices };
  }

  /**
   * Query rows ordered by the leaf each falls in (counting sort on leaf ids), and the ends of
   * groups of at most KD_GROUP queries of one leaf in that order.
   */
  private leafOrder(queries: Matrix): { order: Int32Array; groupEnd: Int32Array } {
    const { nodeLeft, splitDim, splitValue } = this.flat;
    const { rows: m, cols: d, data } = queries;
    const leafOf = new Int32Array(m);
    const counts = new Int32Array(nodeLeft.length + 1);
    for (let i = 0; i < m; i++) {
      let node = 0;
      while (nodeLeft[node] >= 0) {
        node = nodeLeft[node] + (data[i * d + splitDim[node]] <= splitValue[node] ? 0 : 1);
      }
      leafOf[i] = node;
      counts[node + 1]++;
    }
    for (let c = 1; c < counts.length; c++) counts[c] += counts[c - 1];
    const order = new Int32Array(m);
    for (let i = 0; i < m; i++) order[counts[leafOf[i]]++] = i;
    const ends: number[] = [];
    for (let i = 0, run = 0; i < m; i++) {
      run++;
      if (i + 1 === m || leafOf[order[i + 1]] !== leafOf[order[i]] || run === KD_GROUP) {
        ends.push(i + 1);
        run = 0;
      }
    }
    return { order, groupEnd: Int32Array.from(ends) };
  }

  selfQuery(k: number, start: number, end: number, out: NeighbourBuffers): void {
    checkK(this.rows, k, true);
    const { rowIndex } = this.flat;
    const write = (first: number, count: number, dist: Float64Array, idx: Int32Array): void =>
      scatterRows(rowIndex, start + first, count, k, dist, idx, out.distances, out.indices);
    kdTreeSearchGroupsWasm(this.flat, k, undefined, start, this.leafGroups(start, end), write);
  }

  /**
   * Ends (relative to `start`) of groups of tree rows [start, end) that share a leaf, at most
   * KD_GROUP rows each: the rows of one leaf are close, so they are searched together.
   */
  private leafGroups(start: number, end: number): Int32Array {
    const { leafStarts } = this;
    const ends: number[] = [];
    // The first leaf that starts after `start`.
    let lo = 0;
    let hi = leafStarts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (leafStarts[mid] <= start) lo = mid + 1;
      else hi = mid;
    }
    let next = lo;
    for (let at = start; at < end;) {
      const leafEnd = next < leafStarts.length ? leafStarts[next] : end;
      const stop = Math.min(end, leafEnd, at + KD_GROUP);
      ends.push(stop - start);
      at = stop;
      if (at === leafEnd) next++;
    }
    return Int32Array.from(ends);
  }
}

/**
 * Copies `count` queries' neighbours (k each, from a kernel chunk) to the output rows
 * `rowOf[first + i]`: element by element, as a k-long copy is too short to pay for the two views
 * and calls of `set` (they were a tenth of a self-query's time on smtp).
 */
function scatterRows(
  rowOf: Int32Array,
  first: number,
  count: number,
  k: number,
  dist: Float64Array,
  idx: Int32Array,
  distances: Float64Array,
  indices: Int32Array,
): void {
  for (let i = 0; i < count; i++) {
    const to = rowOf[first + i] * k;
    for (let c = 0, from = i * k; c < k; c++, from++) {
      distances[to + c] = dist[from];
      indices[to + c] = idx[from];
    }
  }
}

/**
 * What the kernel filters on before measuring rows exactly (see kdTreeSearchGroups in
 * assembly/kernels.ts). Rows are moved by the centre of their bounding box and scaled by a power
 * of two so the largest value is about 1 (single precision then neither overflows nor loses the
 * values to underflow). Each node's box in single precision, rounded outwards, so every scaled row
 * lies in its node's box. Each leaf's rows as 12-bit integer codes on a grid of its own: origin
 * its box's lower corner, step the smallest power of two at least 1/4000 of the box's widest side
 * (and at least 2⁻⁴⁰), so codes are in [0, 4000] and each is within half a step of its value (and
 * the scaling's rounding, far smaller); stored two features of four rows per 16 bytes (the
 * kernel measures four rows in pairs of features per instruction), the rows padded to a multiple
 * of 4 with codes far from any query. A leaf with a value that is not finite gets no grid (step
 * NaN): its rows are always measured exactly.
 */
function filterCopy(
  points: Float64Array,
  d: number,
  boxes: Float64Array,
  nodeStart: Int32Array,
  nodeEnd: Int32Array,
  nodeLeft: Int32Array,
): Pick<
  FlatKdTree,
  "centre" | "scale" | "radius" | "boxes" | "leafCodes" | "leafOffset" | "leafInverseStep"
> {
  const nodes = boxes.length / (2 * d);
  const n = points.length / d;
  const dPad = paddedWidth(d);
  const centre = new Float64Array(d);
  let largest = 0;
  for (let j = 0; j < d; j++) {
    const lo = boxes[j];
    const hi = boxes[d + j];
    centre[j] = n > 0 ? lo / 2 + hi / 2 : 0; // halves first: no overflow near ±1.8e308
    largest = Math.max(largest, hi - centre[j], centre[j] - lo);
  }
  const exponent = largest > 0 && Number.isFinite(largest) ? Math.ceil(Math.log2(largest)) : 0;
  const scale = 2 ** -Math.max(-500, Math.min(500, exponent));
  const scaled = (v: number, j: number): number => (v - centre[j]) * scale;
  let radius = 0;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += scaled(points[i * d + j], j) ** 2;
    radius = Math.max(radius, s);
  }
  // A NaN row makes the bound NaN, and the kernel then prunes nothing: slow but still exact.
  radius = Number.isNaN(radius) ? Infinity : Math.sqrt(radius) * (1 + 2 ** -40);
  const boxes32 = new Float32Array(nodes * 2 * dPad);
  for (let v = 0; v < nodes; v++) {
    for (let j = 0; j < d; j++) {
      boxes32[v * 2 * dPad + j] = roundDown32(scaled(boxes[v * 2 * d + j], j));
      boxes32[v * 2 * dPad + dPad + j] = roundUp32(scaled(boxes[v * 2 * d + d + j], j));
    }
  }
  const pairs = (d + 1) >> 1;
  const leafOffset = new Int32Array(nodes).fill(-1);
  let total = 0;
  for (let v = 0; v < nodes; v++) {
    if (nodeLeft[v] >= 0) continue;
    leafOffset[v] = total;
    total += Math.ceil((nodeEnd[v] - nodeStart[v]) / 4) * pairs * 8;
  }
  const leafCodes = new Int16Array(total);
  const leafInverseStep = new Float32Array(nodes);
  for (let v = 0; v < nodes; v++) {
    if (nodeLeft[v] >= 0) continue;
    const first = nodeStart[v];
    const count = nodeEnd[v] - first;
    const lower = v * 2 * dPad;
    let widest = 0;
    for (let r = 0; r < count; r++)
      for (let j = 0; j < d; j++) {
        const x = scaled(points[(first + r) * d + j], j);
        // A NaN or infinite value makes the width NaN or infinite.
        widest = Math.max(widest, Number.isFinite(x) ? x - boxes32[lower + j] : NaN);
      }
    if (!Number.isFinite(widest)) {
      leafInverseStep[v] = NaN;
      continue;
    }
    // 2⁻⁴⁰ at least: the rounding of the scaled values (2⁻⁵³ of about 1) stays far below a step.
    const stepExponent = Math.max(-40, widest > 0 ? Math.ceil(Math.log2(widest / 4000)) : -40);
    const step = 2 ** stepExponent;
    leafInverseStep[v] = 2 ** -stepExponent;
    const at = leafOffset[v];
    for (let r = 0; r < Math.ceil(count / 4) * 4; r++) {
      // Row r of its block of four: feature j at [block][pair j >> 1][row r % 4][j & 1].
      const base = at + (r >> 2) * pairs * 8 + (r & 3) * 2;
      for (let j = 0; j < 2 * pairs; j++) {
        let code = 0;
        if (r >= count) code = j === 0 ? FAR_CODE : 0;
        else if (j < d)
          code = Math.round((scaled(points[(first + r) * d + j], j) - boxes32[lower + j]) / step);
        leafCodes[base + (j >> 1) * 8 + (j & 1)] = code;
      }
    }
  }
  return { centre, scale, radius, boxes: boxes32, leafCodes, leafOffset, leafInverseStep };
}

/** Whether rows [s, e) are all equal to row s (a NaN makes them not; 0 and −0 count as equal). */
function identicalRows(points: Float64Array, d: number, s: number, e: number): boolean {
  for (let i = s + 1; i < e; i++)
    for (let j = 0; j < d; j++) if (!(points[i * d + j] === points[s * d + j])) return false;
  return true;
}

/** Code of a padding row's first feature: far below every query code (−4096 at least). */
const FAR_CODE = -8192;

const bits32 = new Float32Array(1);
const int32 = new Int32Array(bits32.buffer);

/** The largest single-precision number at most v. */
function roundDown32(v: number): number {
  const r = Math.fround(v);
  return r > v ? nextFloat32(r, -1) : r;
}

/** The smallest single-precision number at least v. */
function roundUp32(v: number): number {
  const r = Math.fround(v);
  return r < v ? nextFloat32(r, 1) : r;
}

/** The single-precision neighbour of finite r in the direction of `sign`. */
function nextFloat32(r: number, sign: 1 | -1): number {
  if (r === 0) return sign * 2 ** -149;
  bits32[0] = r;
  int32[0] += r > 0 === sign > 0 ? 1 : -1;
  return bits32[0];
}

/**
 * Quickselect on rows s..e of `points` (row-major, d features) by feature `dim`, swapping whole
 * rows and their `order` entries, so row mid ends up the median.
 */
function selectByFeature(
  points: Float64Array,
  d: number,
  order: Int32Array,
  s: number,
  e: number,
  mid: number,
  dim: number,
): void {
  let lo = s;
  let hi = e;
  while (hi > lo) {
    const pivot = points[((lo + hi) >>> 1) * d + dim];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (points[i * d + dim] < pivot) i++;
      while (points[j * d + dim] > pivot) j--;
      if (i <= j) {
        swapRows(points, d, order, i, j);
        i++;
        j--;
      }
    }
    if (mid <= j) hi = j;
    else if (mid >= i) lo = i;
    else return;
  }
}

function swapRows(points: Float64Array, d: number, order: Int32Array, a: number, b: number): void {
  const t = order[a];
  order[a] = order[b];
  order[b] = t;
  for (let j = 0, x = a * d, y = b * d; j < d; j++, x++, y++) {
    const v = points[x];
    points[x] = points[y];
    points[y] = v;
  }
}

class BruteForce implements NeighbourIndex {
  readonly rows: number;
  readonly cols: number;
  /**
   * The features searched: all but those constant over the reference rows, which add exactly 0
   * to every reference row's distance from a query with the same value there (mnist has 25
   * all-zero features of 100, arrhythmia 27 of 274). Undefined when every feature is kept.
   */
  private readonly kept: Int32Array | undefined;
  /** Each feature's constant value, or NaN where it varies. */
  private readonly constant: Float64Array;
  /** Distances do not change when both sets move by the same vector: the reference mean. */
  private readonly mean: Float64Array;
  private readonly prepared: BruteForceRows;
  /**
   * The search for the last queries that left some constant (their features kept), with those
   * features' indices as its key: built when first needed.
   */
  private offConstant: { key: string; index: BruteForce } | undefined;

  /** `keep` (features) forces features to be searched even where they are constant. */
  constructor(
    private readonly reference: Matrix,
    keep?: ReadonlySet<number>,
  ) {
    this.rows = reference.rows;
    this.cols = reference.cols;
    const { rows: n, cols: d, data } = reference;
    this.constant = new Float64Array(d).fill(NaN);
    for (let j = 0; j < d && n > 0; j++) {
      if (keep?.has(j)) continue;
      const v = data[j];
      let i = 1;
      while (i < n && data[i * d + j] === v) i++;
      if (i === n && Number.isFinite(v)) this.constant[j] = v;
    }
    const keptColumns: number[] = [];
    for (let j = 0; j < d; j++) if (Number.isNaN(this.constant[j])) keptColumns.push(j);
    this.kept =
      keptColumns.length < d && keptColumns.length > 0 ? Int32Array.from(keptColumns) : undefined;
    if (this.kept === undefined) this.constant.fill(NaN);
    const rows = this.kept === undefined ? data.subarray(0, n * d) : columns(data, d, this.kept);
    const width = this.kept?.length ?? d;
    // Centring keeps ‖q‖² + ‖r‖² − 2 q·r from losing its digits to large feature values (epoch
    // seconds, byte counts); candidates are then measured exactly on the original values.
    this.mean = new Float64Array(width);
    for (let i = 0; i < n; i++) for (let j = 0; j < width; j++) this.mean[j] += rows[i * width + j];
    for (let j = 0; j < width; j++) this.mean[j] /= n;
    this.prepared = quantiseRows(rows, width, this.mean);
  }

  search(k: number, queries: Matrix): Neighbours {
    checkK(this.rows, k, false);
    const m = queries.rows;
    const d = this.cols;
    let rows = queries.data.subarray(0, m * d);
    if (this.kept !== undefined) {
      // A left-out feature's terms are 0 only for queries that hold its constant: the features
      // some query leaves are searched too, in an index of their own (mnist's test rows leave
      // 3 of the training rows' 25 all-zero features).
      const off = new Set<number>();
      for (let i = 0; i < m; i++)
        for (let j = 0; j < d; j++) {
          const c = this.constant[j];
          if (!Number.isNaN(c) && rows[i * d + j] !== c) off.add(j);
        }
      if (off.size > 0) {
        const key = [...off].sort((a, b) => a - b).join(",");
        if (this.offConstant?.key !== key)
          this.offConstant = { key, index: new BruteForce(this.reference, off) };
        return this.offConstant.index.search(k, queries);
      }
      rows = columns(rows, d, this.kept);
    }
    const distances = new Float64Array(m * k);
    const indices = new Int32Array(m * k);
    const prepared = quantiseRows(rows, this.prepared.d, this.mean);
    bruteForceSearchWasm(this.prepared, prepared, k, -1, (first, count, dist, idx) => {
      distances.set(dist, first * k);
      indices.set(idx, first * k);
    });
    return { k, distances, indices };
  }

  selfQuery(k: number, start: number, end: number, out: NeighbourBuffers): void {
    checkK(this.rows, k, true);
    const { d, original, quantised, inverseScale, l1, norms } = this.prepared;
    const width = quantisedWidth(d);
    const part: BruteForceRows = {
      d,
      rows: end - start,
      original: original.subarray(start * d, end * d),
      quantised: quantised.subarray(start * width, end * width),
      inverseScale: inverseScale.subarray(start, end),
      l1: l1.subarray(start, end),
      norms: norms.subarray(start, end),
    };
    bruteForceSearchWasm(this.prepared, part, k, start, (first, count, dist, idx) => {
      out.distances.set(dist, (start + first) * k);
      out.indices.set(idx, (start + first) * k);
    });
  }
}

/** The given columns of row-major rows (d features), in that order. */
function columns(data: Float64Array, d: number, kept: Int32Array): Float64Array {
  const n = data.length / d;
  const w = kept.length;
  const out = new Float64Array(n * w);
  for (let i = 0; i < n; i++) for (let c = 0; c < w; c++) out[i * w + c] = data[i * d + kept[c]];
  return out;
}
