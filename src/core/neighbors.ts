/**
 * Exact k-nearest-neighbour queries under the Euclidean distance.
 *
 * Low dimensions (≤ 16 features) use a KD-tree built on median splits of the widest feature,
 * with bounding boxes for pruning: boxes and leaf rows are rejected in single precision (a
 * scaled copy, four values per instruction) against a bound that allows for its rounding, and
 * the rows that pass are measured exactly in double precision; higher dimensions use blocked
 * brute force, where the squared distances of a block of queries to a block of reference rows
 * are estimated from one 16-bit integer matrix product (‖q‖² + ‖r‖² − 2 q·r on centred rows,
 * each quantised with its own power-of-two scale; eight products per instruction) and every row
 * that could be among the k nearest, allowing for the estimate's bounded error, is then measured
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
  kdTreeSearchWasm,
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
const LEAF_SIZE = 32;
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

export function buildIndex(reference: Matrix): NeighbourIndex {
  return reference.cols <= TREE_MAX_FEATURES ? new KdTree(reference) : new BruteForce(reference);
}

/** The k nearest reference rows of each query row (or of each reference row, itself excluded). */
export function kNearest(reference: Matrix, k: number, queries?: Matrix): Neighbours {
  checkK(reference.rows, k, queries === undefined);
  const index = buildIndex(reference);
  if (queries !== undefined) return index.search(k, queries);
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

  constructor(reference: Matrix) {
    const { rows: n, cols: d } = reference;
    this.rows = n;
    this.cols = d;
    // The rows are reordered in place as the tree splits them (a working copy), so every pass
    // over a node's rows reads contiguous memory; `order` remembers where each came from.
    const points = reference.data.slice(0, n * d);
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    // Median splits leave every leaf with more than LEAF_SIZE / 2 rows, so this many nodes suffice.
    const capacity = 2 * Math.ceil(n / Math.floor((LEAF_SIZE + 1) / 2)) + 1;
    const nodeStart = new Int32Array(capacity);
    const nodeEnd = new Int32Array(capacity);
    const nodeLeft = new Int32Array(capacity).fill(-1);
    const boxes = new Float64Array(capacity * 2 * d);
    const splitDim = new Int32Array(capacity);
    const splitValue = new Float64Array(capacity);
    let nodes = 0;
    const addNode = (s: number, e: number): number => {
      const node = nodes++;
      nodeStart[node] = s;
      nodeEnd[node] = e;
      const lo = node * 2 * d;
      const hi = lo + d;
      boxes.fill(Infinity, lo, hi);
      boxes.fill(-Infinity, hi, hi + d);
      for (let i = s; i < e; i++) {
        const base = i * d;
        for (let j = 0; j < d; j++) {
          const v = points[base + j];
          if (v < boxes[lo + j]) boxes[lo + j] = v;
          if (v > boxes[hi + j]) boxes[hi + j] = v;
        }
      }
      return node;
    };
    addNode(0, n);
    const stack: number[] = [0];
    while (stack.length > 0) {
      const node = stack.pop()!;
      const s = nodeStart[node];
      const e = nodeEnd[node];
      if (e - s <= LEAF_SIZE) continue;
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
      if (widest <= 0) continue; // all rows identical: keep as a leaf
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
      ...singlePrecision(points, d, boxes.subarray(0, nodes * 2 * d), nodeStart, nodeEnd, nodeLeft),
    };
  }

  search(k: number, queries: Matrix): Neighbours {
    checkK(this.rows, k, false);
    const m = queries.rows;
    const distances = new Float64Array(m * k);
    const indices = new Int32Array(m * k);
    // Queries are searched grouped by the leaf they fall in, so consecutive searches walk the
    // same nodes and rows while they are in cache (a large speed-up on big trees). The answer
    // of each query does not depend on the order.
    const byLeaf = this.leafOrder(queries);
    const d = queries.cols;
    const grouped = new Float64Array(m * d);
    for (let i = 0; i < m; i++)
      grouped.set(queries.data.subarray(byLeaf[i] * d, byLeaf[i] * d + d), i * d);
    kdTreeSearchWasm(this.flat, k, grouped, -1, m, (first, count, dist, idx) => {
      for (let i = 0; i < count; i++) {
        const row = byLeaf[first + i];
        distances.set(dist.subarray(i * k, i * k + k), row * k);
        indices.set(idx.subarray(i * k, i * k + k), row * k);
      }
    });
    return { k, distances, indices };
  }

  /** Query rows ordered by the leaf each falls in (counting sort on leaf ids). */
  private leafOrder(queries: Matrix): Int32Array {
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
    return order;
  }

  selfQuery(k: number, start: number, end: number, out: NeighbourBuffers): void {
    checkK(this.rows, k, true);
    const { rowIndex } = this.flat;
    kdTreeSearchWasm(this.flat, k, undefined, start, end - start, (first, count, dist, idx) => {
      for (let i = 0; i < count; i++) {
        const row = rowIndex[start + first + i];
        out.distances.set(dist.subarray(i * k, i * k + k), row * k);
        out.indices.set(idx.subarray(i * k, i * k + k), row * k);
      }
    });
  }
}

/**
 * The single-precision copy the kernel filters on (see kdTreeSearch in assembly/kernels.ts): rows
 * moved by the centre of their bounding box and scaled by a power of two so the largest value is
 * about 1 (single precision then neither overflows nor loses the values to underflow); each
 * node's box from its double-precision box (rounding is monotone, so every rounded row stays in
 * its rounded box); each leaf's rows feature-major, padded to a multiple of 4 rows with +∞, so the
 * kernel measures four rows per instruction.
 */
function singlePrecision(
  points: Float64Array,
  d: number,
  boxes: Float64Array,
  nodeStart: Int32Array,
  nodeEnd: Int32Array,
  nodeLeft: Int32Array,
): Pick<FlatKdTree, "centre" | "scale" | "radius" | "boxes" | "leafPoints" | "leafOffset"> {
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
      boxes32[v * 2 * dPad + j] = scaled(boxes[v * 2 * d + j], j);
      boxes32[v * 2 * dPad + dPad + j] = scaled(boxes[v * 2 * d + d + j], j);
    }
  }
  const leafOffset = new Int32Array(nodes).fill(-1);
  let total = 0;
  for (let v = 0; v < nodes; v++) {
    if (nodeLeft[v] >= 0) continue;
    leafOffset[v] = total;
    total += ((nodeEnd[v] - nodeStart[v] + 3) & ~3) * d;
  }
  const leafPoints = new Float32Array(total).fill(Infinity);
  for (let v = 0; v < nodes; v++) {
    if (nodeLeft[v] >= 0) continue;
    const s = nodeStart[v];
    const count = nodeEnd[v] - s;
    const padded = (count + 3) & ~3;
    const at = leafOffset[v];
    for (let r = 0; r < count; r++)
      for (let j = 0; j < d; j++)
        leafPoints[at + j * padded + r] = scaled(points[(s + r) * d + j], j);
  }
  return { centre, scale, radius, boxes: boxes32, leafPoints, leafOffset };
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
  /** Distances do not change when both sets move by the same vector: the reference mean. */
  private readonly mean: Float64Array;
  private readonly prepared: BruteForceRows;

  constructor(reference: Matrix) {
    this.rows = reference.rows;
    this.cols = reference.cols;
    // Centring keeps ‖q‖² + ‖r‖² − 2 q·r from losing its digits to large feature values (epoch
    // seconds, byte counts); candidates are then measured exactly on the original values.
    const { rows: n, cols: d, data } = reference;
    this.mean = new Float64Array(d);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) this.mean[j] += data[i * d + j];
    for (let j = 0; j < d; j++) this.mean[j] /= n;
    this.prepared = quantiseRows(data.subarray(0, n * d), d, this.mean);
  }

  search(k: number, queries: Matrix): Neighbours {
    checkK(this.rows, k, false);
    const m = queries.rows;
    const distances = new Float64Array(m * k);
    const indices = new Int32Array(m * k);
    const prepared = quantiseRows(queries.data.subarray(0, m * queries.cols), this.cols, this.mean);
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
