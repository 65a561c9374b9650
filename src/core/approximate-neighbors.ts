/**
 * Approximate k-nearest-neighbour queries under the Euclidean distance, for inputs too large for
 * the exact search (src/core/neighbors.ts): an HNSW graph (Malkov & Yashunin 2018) built by the
 * `usearch` package, whose candidates are then measured exactly.
 *
 * Same contract as the exact engine: `Neighbours` ordered by (distance, reference index), and a
 * self-query leaves each reference row out of its own neighbourhood, as scikit-learn's
 * `kneighbors()` without X does (duplicates of a row still count). What the graph decides is only
 * *which* rows are candidates: every candidate's distance is measured again in double precision
 * on the original values, summed in the exact engine's order (assembly/kernels.ts,
 * squaredDistance), so a returned neighbour's distance is the exact engine's, bit for bit, and the
 * only error is a true neighbour the graph missed (recall: README, `node dist/bench/recall.js`).
 *
 * Storage is single precision, for three reasons: usearch's JavaScript binding converts every
 * vector it is given to a Float32Array anyway (double storage would hold rounded values at twice
 * the memory), single-precision kernels handle twice the values per instruction, and the
 * rounding (relative 2⁻²⁴) only reorders candidates whose distances agree to 7 digits, far below
 * what the graph's own approximation misses. The rows are first centred on the reference mean
 * and scaled by a power of two (exact) so the largest value is about 1: single precision then
 * neither overflows nor loses the digits of large offsets such as epoch seconds. A query whose
 * scaled values do not fit in single precision, or for which the graph yields fewer than k
 * candidates, is answered by measuring every (distinct) reference row.
 *
 * Reproducible: the same rows give the same graph and the same answers. The graph is built on
 * one thread, in an order that depends only on the values (locality-order.ts), because
 * concurrent insertions make the graph depend on thread timing; usearch's random level draws
 * come from a default-seeded generator per insertion context, and a build on one thread uses one
 * context. Searching only reads the graph, so queries run on every core with answers identical
 * to one thread (tested). usearch picks its distance kernel for the CPU at run time (SIMD
 * width), so on another processor a near-tie in single precision may round the other way and a
 * few candidates differ.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import type { BatchMatches, Index as UsearchIndex, Matches } from "usearch";
import { ParamError, ShapeError } from "./errors.js";
import { distinctRows } from "./distinct.js";
import { localityOrder } from "./locality-order.js";
import { assertFinite, type Matrix } from "./matrix.js";
import type { Neighbours } from "./neighbors.js";

/** HNSW parameters (usearch's names in camelCase). */
export interface HnswOptions {
  /**
   * Links per node in each upper layer of the graph (HNSW's M; the bottom layer keeps twice as
   * many). More links: higher recall, more memory, slower insertion and search.
   */
  readonly connectivity: number;
  /** Candidates kept while linking a new row (HNSW's efConstruction): a better graph, slower build. */
  readonly expansionAdd: number;
  /**
   * Candidates kept while searching (HNSW's ef; never fewer than the neighbours asked for):
   * higher recall, slower queries.
   */
  readonly expansionSearch: number;
}

/**
 * Chosen on 100k generated rows × 10 (src/bench/generated.ts), one-off sweep of connectivity
 * 8–16, expansionAdd 32–64, expansionSearch 16–64 (single-thread CPU time, 20,000 queries): this
 * point kept recall@20 near 0.98 at about half the build time of connectivity 16 / expansionAdd
 * 64 (0.99); connectivity 8 / expansionAdd 32 built faster still but fell to 0.94. Measured
 * with the bench (README "Approximate neighbours"): recall@5 0.987 and recall@20 0.975 at 100k.
 */
export const HNSW_DEFAULTS: HnswOptions = {
  connectivity: 12,
  expansionAdd: 40,
  expansionSearch: 32,
};

/** Queries per native search call: bounds the result buffers (keys are 8 bytes each). */
const QUERY_CHUNK = 16_384;
/**
 * From this many queries, searches run on every core. Below it, starting threads costs more than
 * it saves, and the index is not worth copying (see enableSearchThreads).
 */
const THREADED_MIN_QUERIES = 4_096;

type Usearch = typeof import("usearch");
let usearchModule: Usearch | undefined;

/** usearch's native binding, loaded on first use so exact-only runs never load it. */
function usearch(): Usearch {
  if (usearchModule === undefined) {
    try {
      usearchModule = createRequire(import.meta.url)("usearch") as Usearch;
    } catch (e) {
      throw new Error(
        `approximate neighbour search needs the usearch package with its prebuilt binary for ` +
          `${process.platform}-${process.arch} (npm ci installs it): ${(e as Error).message}`,
        { cause: e },
      );
    }
  }
  return usearchModule;
}

export function checkHnswOptions(options: HnswOptions): void {
  const { connectivity, expansionAdd, expansionSearch } = options;
  const bad = (name: string, v: number, min: number): string | undefined =>
    Number.isInteger(v) && v >= min ? undefined : `${name} must be an integer ≥ ${min}, got ${v}`;
  const problem =
    bad("connectivity", connectivity, 2) ??
    bad("expansionAdd", expansionAdd, 1) ??
    bad("expansionSearch", expansionSearch, 1);
  if (problem !== undefined) throw new ParamError(`approximate neighbours: ${problem}`);
}

function checkApproximateK(rows: number, k: number, self: boolean): void {
  const available = rows - (self ? 1 : 0);
  if (!(Number.isInteger(k) && k >= 1 && k <= available)) {
    throw new RangeError(
      `approximate neighbours: ${k} neighbours asked of ${available} candidate rows ` +
        `(k must be an integer from 1 to ${available})`,
    );
  }
}

/** An HNSW graph over a reference set. The reference rows must not change while it is used. */
export class ApproximateIndex {
  readonly rows: number;
  readonly cols: number;
  readonly options: HnswOptions;
  /**
   * The graph holds each distinct row once. Copies of one row are at distance 0 from each
   * other, and HNSW's neighbour selection links a new row to one of several copies only, so
   * copies in the graph would be unreachable (one-off on ODDS smtp, 57k training rows, many
   * repeated: recall@5 0.936, some k-th distances 50× the exact ones). Instead each distinct row
   * lists its copies (ascending row index), and a candidate stands for all of them.
   */
  private readonly distinct: Float64Array;
  private readonly copyStart: Int32Array;
  private readonly copies: Int32Array;
  private readonly mean: Float64Array;
  private readonly scale: number;
  /** Distinct rows in insertion order (nearby rows together) and their scaled copies. */
  private readonly order: Int32Array;
  private readonly stored: Float32Array;
  private graph: UsearchIndex;
  private threaded = false;
  private threadsTried = false;

  constructor(reference: Matrix, options: HnswOptions = HNSW_DEFAULTS) {
    checkHnswOptions(options);
    const { rows: n, cols: d } = reference;
    if (n < 1 || d < 1)
      throw new ShapeError(`approximate neighbours: cannot index ${n} rows × ${d} features`);
    assertFinite(reference, "approximate neighbour search: reference rows");
    this.rows = n;
    this.cols = d;
    this.options = options;
    const unique = distinctRows(reference);
    const u = unique.X.rows;
    const data = unique.X.data;
    this.distinct = data;
    this.copyStart = new Int32Array(u + 1);
    for (let i = 0; i < n; i++) this.copyStart[unique.inverse[i] + 1]++;
    for (let v = 0; v < u; v++) this.copyStart[v + 1] += this.copyStart[v];
    this.copies = new Int32Array(n);
    const fill = this.copyStart.slice(0, u);
    for (let i = 0; i < n; i++) this.copies[fill[unique.inverse[i]]++] = i;

    // Centre and scale by a power of two (distances keep their order; the scaling is exact), so
    // the largest scaled value is about 1, as the exact engine does for its single-precision filter.
    this.mean = new Float64Array(d);
    for (let v = 0; v < u; v++) for (let j = 0; j < d; j++) this.mean[j] += data[v * d + j];
    for (let j = 0; j < d; j++) this.mean[j] /= u;
    let largest = 0;
    for (let v = 0; v < u; v++)
      for (let j = 0; j < d; j++)
        largest = Math.max(largest, Math.abs(data[v * d + j] - this.mean[j]));
    const exponent = largest > 0 && Number.isFinite(largest) ? Math.ceil(Math.log2(largest)) : 0;
    this.scale = 2 ** -Math.max(-500, Math.min(500, exponent));

    this.order = localityOrder(data, u, d);
    this.stored = new Float32Array(u * d);
    const keys = new BigUint64Array(u);
    for (let p = 0; p < u; p++) {
      const v = this.order[p];
      keys[p] = BigInt(v);
      for (let j = 0; j < d; j++)
        this.stored[p * d + j] = (data[v * d + j] - this.mean[j]) * this.scale;
    }
    this.graph = this.emptyGraph();
    this.graph.add(keys, this.stored, 1); // one thread: see the module comment
  }

  /** Whether searches now run on every core (from the first batch of THREADED_MIN_QUERIES). */
  get searchesOnEveryCore(): boolean {
    return this.threaded;
  }

  /** How many distinct rows the graph holds. */
  get distinctRows(): number {
    return this.order.length;
  }

  private emptyGraph(): UsearchIndex {
    const { Index, MetricKind, ScalarKind } = usearch();
    return new Index({
      dimensions: this.cols,
      metric: MetricKind.L2sq,
      quantization: ScalarKind.F32,
      connectivity: this.options.connectivity,
      expansion_add: this.options.expansionAdd,
      expansion_search: this.options.expansionSearch,
      multi: false,
    });
  }

  /**
   * Lets searches run on every core. usearch sizes an index's per-thread search state when rows
   * are added, to the threads of that call (one here), and again when an index is loaded from a
   * file, to the machine's threads; a saved and reloaded copy is the same graph (tested: same
   * answers) with room for every core. If the copy fails (no writable temporary directory),
   * searches stay on one thread, with the same answers.
   */
  private enableSearchThreads(): void {
    this.threadsTried = true;
    if (availableParallelism() < 2) return;
    let dir: string | undefined;
    try {
      dir = mkdtempSync(join(tmpdir(), "anomalog-hnsw-"));
      const file = join(dir, "graph.usearch");
      this.graph.save(file);
      const copy = this.emptyGraph();
      copy.load(file);
      this.graph = copy;
      this.threaded = true;
    } catch {
      // one thread it is
    } finally {
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    }
  }

  /** The k nearest reference rows of each query row. */
  search(k: number, queries: Matrix): Neighbours {
    checkApproximateK(this.rows, k, false);
    if (queries.cols !== this.cols) {
      throw new ShapeError(
        `approximate neighbours: the index has ${this.cols} features, the queries ${queries.cols}`,
      );
    }
    assertFinite(queries, "approximate neighbour search: queries");
    const m = queries.rows;
    const d = this.cols;
    // Queries in locality order too: consecutive searches then walk the same part of the graph.
    const order = localityOrder(queries.data, m, d);
    const scaled = new Float32Array(m * d);
    const unscalable = new Uint8Array(m);
    for (let p = 0; p < m; p++) {
      const row = order[p];
      for (let j = 0; j < d; j++) {
        const v = Math.fround((queries.data[row * d + j] - this.mean[j]) * this.scale);
        if (!Number.isFinite(v)) unscalable[p] = 1;
        scaled[p * d + j] = v;
      }
      if (unscalable[p] === 1) scaled.fill(0, p * d, p * d + d); // answered by a scan instead
    }
    const out = { k, distances: new Float64Array(m * k), indices: new Int32Array(m * k) };
    const one = new Int32Array(1);
    this.answer(scaled, queries.data, order, k, false, unscalable, out, (p) => {
      one[0] = order[p];
      return one;
    });
    return out;
  }

  /** The k nearest other reference rows of every reference row (self-query). */
  selfQuery(k: number): Neighbours {
    checkApproximateK(this.rows, k, true);
    const n = this.rows;
    const out = { k, distances: new Float64Array(n * k), indices: new Int32Array(n * k) };
    // One search per distinct row answers all its copies (each leaving itself out).
    const { copies, copyStart, order } = this;
    this.answer(
      this.stored,
      this.distinct,
      order,
      k,
      true,
      new Uint8Array(order.length),
      out,
      (p) => copies.subarray(copyStart[order[p]], copyStart[order[p] + 1]),
    );
    return out;
  }

  /**
   * Answers scaled queries (row-major; query p's original values are row `valuesRow[p]` of
   * `values`), writing the answer of each output row `outputs(p)` at that row. `self`: the
   * queries are the distinct reference rows and each output row leaves itself out.
   */
  private answer(
    scaled: Float32Array,
    values: Float64Array,
    valuesRow: Int32Array,
    k: number,
    self: boolean,
    scanOnly: Uint8Array,
    out: { distances: Float64Array; indices: Int32Array },
    outputs: (p: number) => Int32Array,
  ): void {
    const d = this.cols;
    const count = valuesRow.length;
    const u = this.order.length;
    // Every candidate the search kept (its list of expansionSearch), not only the k best by
    // single-precision distance: measuring them all exactly costs little next to the search, and
    // settles ties and near-ties at the k-th place as the exact engine does. At least k distinct
    // rows (each stands for one row or more; a self-query also finds its own).
    const wanted = Math.min(u, Math.max(k + (self ? 1 : 0), this.options.expansionSearch));
    if (count >= THREADED_MIN_QUERIES && !this.threadsTried) this.enableSearchThreads();
    const threads = this.threaded ? 0 : 1; // 0: usearch uses every core
    const candD = new Float64Array(wanted + 1);
    const candV = new Int32Array(wanted + 1);
    const topD = new Float64Array(k);
    const topI = new Int32Array(k);
    for (let first = 0; first < count; first += QUERY_CHUNK) {
      const m = Math.min(QUERY_CHUNK, count - first);
      const found = this.candidates(
        scaled.subarray(first * d, (first + m) * d),
        m,
        wanted,
        threads,
      );
      for (let q = 0; q < m; q++) {
        const p = first + q;
        const at = valuesRow[p] * d;
        // Each candidate measured once, exactly; in a self-query the query's own distinct row
        // (its other copies, at distance 0) is always a candidate, found by the graph or not.
        let size = 0;
        if (self) {
          candV[size] = valuesRow[p];
          candD[size++] = 0;
        }
        if (scanOnly[p] === 0) {
          for (let c = 0; c < found.counts[q]; c++) {
            const v = Number(found.keys[q * wanted + c]);
            if (self && v === valuesRow[p]) continue;
            candV[size] = v;
            candD[size++] = squaredDistance(values, at, this.distinct, v * d, d);
          }
        }
        for (const row of outputs(p)) {
          const skip = self ? row : -1;
          let filled = 0;
          if (scanOnly[p] === 0)
            for (let c = 0; c < size; c++)
              filled = this.offerCopies(candV[c], candD[c], skip, k, filled, topD, topI);
          if (filled < k) {
            // Too few candidates from the graph: measure every distinct row.
            filled = 0;
            for (let v = 0; v < u; v++) {
              const d2 = squaredDistance(values, at, this.distinct, v * d, d);
              filled = this.offerCopies(v, d2, skip, k, filled, topD, topI);
            }
          }
          for (let c = 0; c < k; c++) {
            out.distances[row * k + c] = Math.sqrt(topD[c]);
            out.indices[row * k + c] = topI[c];
          }
        }
      }
    }
  }

  /**
   * Offers the copies of distinct row v, all at squared distance d2, in ascending row order
   * (except `skip`) until the list takes no more; returns the list's new size.
   */
  private offerCopies(
    v: number,
    d2: number,
    skip: number,
    k: number,
    size: number,
    topD: Float64Array,
    topI: Int32Array,
  ): number {
    for (let c = this.copyStart[v]; c < this.copyStart[v + 1]; c++) {
      const row = this.copies[c];
      if (row === skip) continue;
      // Later copies have higher indices at the same distance: none would be taken either.
      if (size === k && (d2 > topD[k - 1] || (d2 === topD[k - 1] && row > topI[k - 1]))) break;
      size = offer(topD, topI, k, size, d2, row);
    }
    return size;
  }

  /** The graph's candidates for m scaled queries: keys (m × wanted) and how many each has. */
  private candidates(
    rows: Float32Array,
    m: number,
    wanted: number,
    threads: number,
  ): { keys: BigUint64Array; counts: Int32Array } {
    // usearch answers a single query with unpadded Matches, several with padded BatchMatches.
    const result = this.graph.search(rows, wanted, threads) as unknown as Matches | BatchMatches;
    const counts = new Int32Array(m);
    if (m === 1) {
      const keys = new BigUint64Array(wanted);
      keys.set(result.keys);
      counts[0] = result.keys.length;
      return { keys, counts };
    }
    const batch = result as BatchMatches;
    for (let q = 0; q < m; q++) counts[q] = Number(batch.counts[q]);
    return { keys: batch.keys, counts };
  }
}

/**
 * Squared Euclidean distance summed as the exact engine's kernel sums it (assembly/kernels.ts,
 * squaredDistance: even and odd features in two running sums, added, then an odd last feature),
 * so the same pair of rows gets the same bits from both engines.
 */
function squaredDistance(
  a: Float64Array,
  ai: number,
  b: Float64Array,
  bi: number,
  d: number,
): number {
  let even = 0;
  let odd = 0;
  const pairs = d & ~1;
  for (let j = 0; j < pairs; j += 2) {
    const e0 = a[ai + j] - b[bi + j];
    const e1 = a[ai + j + 1] - b[bi + j + 1];
    even += e0 * e0;
    odd += e1 * e1;
  }
  let s = even + odd;
  if (d & 1) {
    const e = a[ai + pairs] - b[bi + pairs];
    s += e * e;
  }
  return s;
}

/**
 * Inserts (d2, index) into the sorted list of the best `size` (at most k) candidates, ordered by
 * (squared distance, index) as the exact engine orders them; returns the new size.
 */
function offer(
  topD: Float64Array,
  topI: Int32Array,
  k: number,
  size: number,
  d2: number,
  index: number,
): number {
  if (size === k && (d2 > topD[k - 1] || (d2 === topD[k - 1] && index > topI[k - 1]))) return size;
  let at = size === k ? k - 1 : size;
  while (at > 0 && (topD[at - 1] > d2 || (topD[at - 1] === d2 && topI[at - 1] > index))) {
    topD[at] = topD[at - 1];
    topI[at] = topI[at - 1];
    at--;
  }
  topD[at] = d2;
  topI[at] = index;
  return size === k ? k : size + 1;
}

/**
 * Indexes built per reference array, so a model's fit and its later scoring share one graph.
 * Weak keys: an index lives as long as its rows do.
 */
const built = new WeakMap<Float64Array, ApproximateIndex>();

function sameOptions(a: HnswOptions, b: HnswOptions): boolean {
  return (
    a.connectivity === b.connectivity &&
    a.expansionAdd === b.expansionAdd &&
    a.expansionSearch === b.expansionSearch
  );
}

/** The index of these reference rows, built once per rows array and options. */
export function approximateIndex(
  reference: Matrix,
  options: HnswOptions = HNSW_DEFAULTS,
): ApproximateIndex {
  const cached = built.get(reference.data);
  if (
    cached !== undefined &&
    cached.rows === reference.rows &&
    cached.cols === reference.cols &&
    sameOptions(cached.options, options)
  )
    return cached;
  const index = new ApproximateIndex(reference, options);
  built.set(reference.data, index);
  return index;
}

/**
 * As `kNearest` (src/core/neighbors.ts), approximately: the k nearest reference rows of each
 * query row, or of each reference row with itself left out.
 */
export function kNearestApproximate(
  reference: Matrix,
  k: number,
  queries?: Matrix,
  options: HnswOptions = HNSW_DEFAULTS,
): Neighbours {
  checkApproximateK(reference.rows, k, queries === undefined);
  const index = approximateIndex(reference, options);
  return queries === undefined ? index.selfQuery(k) : index.search(k, queries);
}
