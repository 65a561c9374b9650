/**
 * Exact k-nearest-neighbour queries under the Euclidean distance.
 *
 * Low dimensions (≤ 16 features) use a KD-tree built on median splits of the widest feature,
 * with bounding boxes for pruning; higher dimensions use blocked brute force, where the squared
 * distances of a block of queries to a block of reference rows are estimated from one
 * single-precision matrix product (‖q‖² + ‖r‖² − 2 q·r on centred values) and every row that
 * could be among the k nearest, allowing for the estimate's bounded error, is then measured
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
  type BruteForceReference,
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
const TREE_MAX_FEATURES = 16;
const LEAF_SIZE = 24;
/**
 * Bound on the error of the single-precision filter ‖q‖² + ‖r‖² − 2 q·r relative to
 * ‖q‖² + ‖r‖²: rounding the centred rows to single precision moves a squared distance by at most
 * 4u(‖q‖² + ‖r‖²) and a d-term single-precision dot product errs by at most d·u·‖q‖‖r‖
 * (u = 2⁻²⁴); twice their sum is allowed.
 */
function filterSlack(d: number): number {
  return (d + 4) * 2 ** -23;
}
/**
 * Absolute allowance for values that fall below single precision's normal range (rows are scaled
 * so the largest reference value is about 1): their rounding error is absolute, under 2⁻¹⁴⁹ per
 * value, far below this.
 */
function absoluteSlack(d: number): number {
  return (d + 4) * 2 ** -100;
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
    const { rows: n, cols: d, data } = reference;
    this.rows = n;
    this.cols = d;
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    // Node arrays grow as the tree is built, then are frozen into typed arrays for the kernel.
    const start: number[] = [];
    const end: number[] = [];
    const left: number[] = [];
    const lower: number[] = [];
    const upper: number[] = [];
    const splitDim: number[] = [];
    const splitValue: number[] = [];
    const addNode = (s: number, e: number): number => {
      const node = start.length;
      splitDim.push(0);
      splitValue.push(0);
      start.push(s);
      end.push(e);
      left.push(-1);
      for (let j = 0; j < d; j++) {
        lower.push(Infinity);
        upper.push(-Infinity);
      }
      for (let i = s; i < e; i++) {
        const base = order[i] * d;
        for (let j = 0; j < d; j++) {
          const v = data[base + j];
          if (v < lower[node * d + j]) lower[node * d + j] = v;
          if (v > upper[node * d + j]) upper[node * d + j] = v;
        }
      }
      return node;
    };
    addNode(0, n);
    const stack: [number, number, number][] = [[0, 0, n]];
    while (stack.length > 0) {
      const [node, s, e] = stack.pop()!;
      if (e - s <= LEAF_SIZE) continue;
      // Split on the feature with the widest bounding box, at the median row.
      let dim = 0;
      let widest = -1;
      for (let j = 0; j < d; j++) {
        const w = upper[node * d + j] - lower[node * d + j];
        if (w > widest) {
          widest = w;
          dim = j;
        }
      }
      if (widest <= 0) continue; // all rows identical: keep as a leaf
      const mid = (s + e) >>> 1;
      selectByFeature(data, d, order, s, e - 1, mid, dim);
      const l = addNode(s, mid);
      addNode(mid, e);
      left[node] = l;
      splitDim[node] = dim;
      splitValue[node] = data[order[mid] * d + dim];
      stack.push([l, s, mid], [l + 1, mid, e]);
    }
    const points = new Float64Array(n * d);
    for (let i = 0; i < n; i++) points.set(data.subarray(order[i] * d, order[i] * d + d), i * d);
    this.flat = {
      d,
      points,
      rowIndex: order,
      nodeStart: Int32Array.from(start),
      nodeEnd: Int32Array.from(end),
      nodeLeft: Int32Array.from(left),
      lower: Float64Array.from(lower),
      upper: Float64Array.from(upper),
      splitDim: Int32Array.from(splitDim),
      splitValue: Float64Array.from(splitValue),
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

/** Quickselect on order[s..e] by feature `dim`, so order[mid] holds the median row. */
function selectByFeature(
  data: Float64Array,
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
    const pivot = data[order[(lo + hi) >>> 1] * d + dim];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (data[order[i] * d + dim] < pivot) i++;
      while (data[order[j] * d + dim] > pivot) j--;
      if (i <= j) {
        const t = order[i];
        order[i] = order[j];
        order[j] = t;
        i++;
        j--;
      }
    }
    if (mid <= j) hi = j;
    else if (mid >= i) lo = i;
    else return;
  }
}

class BruteForce implements NeighbourIndex {
  readonly rows: number;
  readonly cols: number;
  private readonly mean: Float64Array;
  private readonly scale: number;
  private readonly prepared: BruteForceReference;

  constructor(reference: Matrix) {
    this.rows = reference.rows;
    this.cols = reference.cols;
    // Distances do not change when both sets are shifted by the same vector. Shifting by the
    // reference mean keeps ‖q‖² + ‖r‖² − 2 q·r from losing its digits to large feature values
    // (epoch seconds, byte counts); candidates are then measured exactly on the original values.
    const { rows: n, cols: d, data } = reference;
    this.mean = new Float64Array(d);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) this.mean[j] += data[i * d + j];
    for (let j = 0; j < d; j++) this.mean[j] /= n;
    // Scale by a power of two (exact) so the largest centred value is about 1: single precision
    // then neither overflows (values beyond 3.4e38) nor loses relative precision to underflow.
    let largest = 0;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < d; j++)
        largest = Math.max(largest, Math.abs(data[i * d + j] - this.mean[j]));
    const exponent = largest > 0 && Number.isFinite(largest) ? Math.ceil(Math.log2(largest)) : 0;
    this.scale = 2 ** -Math.max(-500, Math.min(500, exponent));
    this.prepared = this.prepare(reference);
  }

  private prepare(X: Matrix): BruteForceReference {
    const { rows, cols: d, data } = X;
    const dPad = paddedWidth(d);
    const centred = new Float32Array(rows * dPad);
    const norms = new Float64Array(rows);
    for (let i = 0; i < rows; i++) {
      let s = 0;
      for (let j = 0; j < d; j++) {
        const v = Math.fround((data[i * d + j] - this.mean[j]) * this.scale);
        centred[i * dPad + j] = v;
        s += v * v;
      }
      norms[i] = s;
    }
    return { d, rows, original: data, centred, norms, scale: this.scale };
  }

  search(k: number, queries: Matrix): Neighbours {
    checkK(this.rows, k, false);
    const m = queries.rows;
    const distances = new Float64Array(m * k);
    const indices = new Int32Array(m * k);
    bruteForceSearchWasm(
      this.prepared,
      this.prepare(queries),
      k,
      -1,
      filterSlack(this.cols),
      absoluteSlack(this.cols),
      (first, count, dist, idx) => {
        distances.set(dist, first * k);
        indices.set(idx, first * k);
      },
    );
    return { k, distances, indices };
  }

  selfQuery(k: number, start: number, end: number, out: NeighbourBuffers): void {
    checkK(this.rows, k, true);
    const { d, original, centred, norms } = this.prepared;
    const dPad = paddedWidth(d);
    const part: BruteForceReference = {
      d,
      rows: end - start,
      original: original.subarray(start * d, end * d),
      centred: centred.subarray(start * dPad, end * dPad),
      norms: norms.subarray(start, end),
      scale: this.scale,
    };
    bruteForceSearchWasm(
      this.prepared,
      part,
      k,
      start,
      filterSlack(this.cols),
      absoluteSlack(this.cols),
      (first, count, dist, idx) => {
        out.distances.set(dist, (start + first) * k);
        out.indices.set(idx, (start + first) * k);
      },
    );
  }
}
