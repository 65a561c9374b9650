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
 * candidates, is answered by an exact scan of every reference row.
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
 * Chosen on 100k generated rows × 10 (src/bench/run.ts `generated`), one-off sweep of
 * connectivity 8–16, expansionAdd 32–64, expansionSearch 16–64: this point gave recall@5 ≈ 0.99
 * and recall@20 ≈ 0.98 at about half the build time of connectivity 16 / expansionAdd 64
 * (recall@20 0.99). Measured figures: README "Approximate neighbours", bench/results/recall-*.
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
  private readonly reference: Float64Array;
  private readonly mean: Float64Array;
  private readonly scale: number;
  /** Reference rows in insertion order (nearby rows together) and their scaled copies. */
  private readonly order: Int32Array;
  private readonly stored: Float32Array;
  private graph: UsearchIndex;
  private threaded = false;
  private threadsTried = false;

  constructor(reference: Matrix, options: HnswOptions = HNSW_DEFAULTS) {
    checkHnswOptions(options);
    const { rows: n, cols: d, data } = reference;
    if (n < 1 || d < 1)
      throw new ShapeError(`approximate neighbours: cannot index ${n} rows × ${d} features`);
    assertFinite(reference, "approximate neighbour search: reference rows");
    this.rows = n;
    this.cols = d;
    this.options = options;
    this.reference = data;
    // Centre and scale by a power of two (distances keep their order; the scaling is exact), so
    // the largest scaled value is about 1, as the exact engine does for its single-precision filter.
    this.mean = new Float64Array(d);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) this.mean[j] += data[i * d + j];
    for (let j = 0; j < d; j++) this.mean[j] /= n;
    let largest = 0;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < d; j++)
        largest = Math.max(largest, Math.abs(data[i * d + j] - this.mean[j]));
    const exponent = largest > 0 && Number.isFinite(largest) ? Math.ceil(Math.log2(largest)) : 0;
    this.scale = 2 ** -Math.max(-500, Math.min(500, exponent));

    this.order = localityOrder(data, n, d);
    this.stored = new Float32Array(n * d);
    const keys = new BigUint64Array(n);
    for (let p = 0; p < n; p++) {
      const row = this.order[p];
      keys[p] = BigInt(row);
      for (let j = 0; j < d; j++)
        this.stored[p * d + j] = (data[row * d + j] - this.mean[j]) * this.scale;
    }
    this.graph = this.emptyGraph();
    this.graph.add(keys, this.stored, 1); // one thread: see the module comment
  }

  /** Whether searches now run on every core (from the first batch of THREADED_MIN_QUERIES). */
  get searchesOnEveryCore(): boolean {
    return this.threaded;
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
    this.answer(scaled, order, queries.data, false, k, unscalable, out);
    return out;
  }

  /** The k nearest other reference rows of every reference row (self-query). */
  selfQuery(k: number): Neighbours {
    checkApproximateK(this.rows, k, true);
    const n = this.rows;
    const out = { k, distances: new Float64Array(n * k), indices: new Int32Array(n * k) };
    this.answer(this.stored, this.order, this.reference, true, k, new Uint8Array(n), out);
    return out;
  }

  /**
   * Answers scaled queries (row-major, query p being original row `rowOf[p]` of `originals`),
   * writing each answer at its original row. `leaveOut`: the queries are the reference rows and
   * each leaves itself out.
   */
  private answer(
    scaled: Float32Array,
    rowOf: Int32Array,
    originals: Float64Array,
    leaveOut: boolean,
    k: number,
    scanOnly: Uint8Array,
    out: { distances: Float64Array; indices: Int32Array },
  ): void {
    const d = this.cols;
    const count = rowOf.length;
    const wanted = k + (leaveOut ? 1 : 0);
    if (count >= THREADED_MIN_QUERIES && !this.threadsTried) this.enableSearchThreads();
    const threads = this.threaded ? 0 : 1; // 0: usearch uses every core
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
        const row = rowOf[p];
        const skip = leaveOut ? row : -1;
        let size = 0;
        if (scanOnly[p] === 0) {
          const base = q * wanted;
          for (let c = 0; c < found.counts[q]; c++) {
            const r = Number(found.keys[base + c]);
            if (r === skip) continue;
            const d2 = squaredDistance(originals, row * d, this.reference, r * d, d);
            size = offer(topD, topI, k, size, d2, r);
          }
        }
        if (size < k) this.scan(originals, row * d, skip, k, topD, topI); // fills all k
        for (let c = 0; c < k; c++) {
          out.distances[row * k + c] = Math.sqrt(topD[c]);
          out.indices[row * k + c] = topI[c];
        }
      }
    }
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

  /** Exact answer by measuring every reference row, into the k places of topD / topI. */
  private scan(
    originals: Float64Array,
    at: number,
    skip: number,
    k: number,
    topD: Float64Array,
    topI: Int32Array,
  ): number {
    const d = this.cols;
    let size = 0;
    for (let r = 0; r < this.rows; r++) {
      if (r === skip) continue;
      size = offer(
        topD,
        topI,
        k,
        size,
        squaredDistance(originals, at, this.reference, r * d, d),
        r,
      );
    }
    return size;
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
