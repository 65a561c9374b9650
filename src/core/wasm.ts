/**
 * The WebAssembly SIMD kernels of `assembly/kernels.ts` (compiled to dist/kernels.wasm by
 * `npm run build`), behind plain typed-array functions. Matrix products copy their inputs into
 * the module's memory in bounded row chunks. Neighbour searches copy the whole reference set in
 * (n·d·8 bytes, plus about n·d·4 for the single-precision copy both searches filter on), so a
 * WebAssembly memory's 4 GiB bounds the reference set a search can take (about 50M rows × 10
 * features); queries go in chunks. Memory above 256 MiB is released after each call.
 */
import { readFileSync } from "node:fs";
import { setFlagsFromString } from "node:v8";
import { kernelExp } from "./kernel-exp.js";
import type { Matrix } from "./matrix.js";

// The WebAssembly global is part of every Node.js, but its types live in TypeScript's DOM library,
// which this project does not load; these are the few members used here.
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (
    module: object,
    imports: Record<string, Record<string, unknown>>,
  ) => { exports: unknown };
};

interface KernelExports {
  readonly memory: WasmMemory;
  multiplyABt(a: number, n: number, b: number, k: number, d: number, out: number): void;
  multiplyABtLower(a: number, n: number, b: number, k: number, d: number, out: number): void;
  multiplyAAt(a: number, n: number, d: number, out: number): void;
  sgdOcsvmEpoch(
    data: number,
    d: number,
    order: number,
    n: number,
    weights: number,
    state: number,
  ): number;
  rbfFromDots(
    dots: number,
    n: number,
    k: number,
    aSq: number,
    bSq: number,
    gamma: number,
    clip: number,
  ): void;
  argsortF64(values: number, n: number, order: number, scratch: number, counts: number): void;
  kdTreeGroupScratch(d: number, k: number): number;
  kdTreeSearchGroups(
    points: number,
    rowIndex: number,
    nodeStart: number,
    nodeEnd: number,
    nodeLeft: number,
    splitDim: number,
    splitValue: number,
    boxes: number,
    leafCodes: number,
    leafOffset: number,
    leafInverseStep: number,
    leafIdentical: number,
    centre: number,
    scale: number,
    radius: number,
    d: number,
    dPad: number,
    queries: number,
    groupEnd: number,
    groups: number,
    selfFirst: number,
    k: number,
    outD: number,
    outI: number,
    scratch: number,
  ): void;
  bruteForceSearch(
    ref: number,
    quantRef: number,
    refNorm: number,
    refInv: number,
    refL1: number,
    n: number,
    originalQueries: number,
    quantQueries: number,
    queryNorm: number,
    queryInv: number,
    queryL1: number,
    m: number,
    d: number,
    dPad: number,
    selfFirst: number,
    k: number,
    relative: number,
    absolute: number,
    outD: number,
    outI: number,
    dots: number,
    blockQ: number,
    blockR: number,
    topD: number,
    topI: number,
    sizes: number,
  ): void;
  wrapAroundSums(
    rows: number,
    m: number,
    ref: number,
    n: number,
    d: number,
    out: number,
    scratch: number,
  ): void;
  wrapAroundSelfSums(ref: number, n: number, d: number, out: number, scratch: number): void;
  lodaProject(
    columns: number,
    n: number,
    features: number,
    weights: number,
    used: number,
    out: number,
    range: number,
  ): void;
  lodaHistogram(
    values: number,
    n: number,
    lo: number,
    hi: number,
    bins: number,
    edges: number,
    counts: number,
    binOf: number,
  ): void;
  lodaAddSurprisal(
    values: number,
    n: number,
    edges: number,
    bins: number,
    surprisal: number,
    weight: number,
    binOf: number,
    out: number,
  ): void;
  sgdOcsvmFit(
    data: number,
    d: number,
    order: number,
    n: number,
    weights: number,
    state: number,
    seed: number,
    shuffle: number,
    maxIter: number,
    useTol: number,
    tol: number,
  ): number;
  nonzeroColumns(data: number, n: number, d: number, flags: number, scratch: number): number;
  keepColumns(data: number, n: number, d: number, columns: number, m: number): void;
  rowDots(data: number, n: number, d: number, w: number, out: number): void;
  ocsvmGramBlock(
    data: number,
    squares: number,
    n: number,
    d: number,
    gamma: number,
    r0: number,
    r1: number,
    tileRows: number,
    block: number,
    q: number,
  ): void;
  ocsvmSelectI(grad: number, status: number, active: number, result: number): number;
  ocsvmSelectJ(
    grad: number,
    status: number,
    row: number,
    active: number,
    inOrder: number,
    colI: number,
    gMax: number,
    result: number,
  ): number;
  ocsvmTrainingSums(
    lower: number,
    n: number,
    blockRows: number,
    alpha: number,
    vectors: number,
    vectorAlpha: number,
    count: number,
    out: number,
  ): void;
  ocsvmColumns(
    data: number,
    squares: number,
    n: number,
    d: number,
    gamma: number,
    c0: number,
    c1: number,
    tile: number,
    out: number,
  ): void;
  rbfWeightedSums(
    rows: number,
    n: number,
    vectors: number,
    m: number,
    d: number,
    rowSq: number,
    vecSq: number,
    gamma: number,
    clip: number,
    coef: number,
    tileVectors: number,
    tile: number,
    out: number,
  ): void;
  ocsvmStartGradient(
    columns: number,
    count: number,
    n: number,
    c0: number,
    alpha: number,
    status: number,
    grad: number,
    gradBound: number,
  ): void;
  ocsvmGradientStep(
    grad: number,
    colI: number,
    colJ: number,
    dI: number,
    dJ: number,
    split: number,
    active: number,
    row: number,
  ): void;
  ocsvmMoveBound(
    gradBound: number,
    n: number,
    colP: number,
    signP: number,
    colQ: number,
    signQ: number,
    both: number,
  ): void;
}

const WASM_FILE = new URL("../kernels.wasm", import.meta.url);
/** Doubles per chunk of rows copied in (64 MiB). */
const CHUNK_DOUBLES = 8 * 1024 * 1024;

let kernels: KernelExports | undefined;
let heapStart = 0;

let compiled: object | undefined;

/** The compiled kernel module (compiled once per process). */
function kernelModule(): object {
  if (compiled === undefined) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(WASM_FILE);
    } catch {
      throw new Error(`numeric kernels missing at ${WASM_FILE.pathname}: run npm run build`);
    }
    // V8 first runs WebAssembly through its baseline compiler and switches a function to
    // optimised code only on its next call; a kernel call that runs for seconds would stay on
    // the baseline code (2x slower, measured on the neighbour search). Compiling this small module
    // with the optimising compiler up front avoids that.
    setFlagsFromString("--no-liftoff");
    compiled = new WebAssembly.Module(bytes);
  }
  return compiled;
}

/**
 * A new instance of the kernels with a memory of its own, for callers that keep state in kernel
 * memory across many calls (the network engine, core/nn-engine.ts): the shared instance below
 * lays out its memory afresh on every call.
 */
export function newKernelInstance(): unknown {
  return new WebAssembly.Instance(kernelModule(), {
    env: {
      abort: () => {
        throw new Error("wasm kernel aborted");
      },
    },
  }).exports;
}

function load(): KernelExports {
  if (kernels === undefined) {
    kernels = newKernelInstance() as KernelExports;
    heapStart = kernels.memory.buffer.byteLength;
  }
  return kernels;
}

function reserve(k: KernelExports, bytes: number): void {
  const needed = heapStart + bytes - k.memory.buffer.byteLength;
  if (needed > 0) k.memory.grow(Math.ceil(needed / 65536));
}

/** out (n × k) = A (n × d) · Bᵀ with B given as k × d, on the SIMD kernel. */
export function multiplyABtWasm(
  A: Float64Array,
  n: number,
  B: Float64Array,
  k: number,
  d: number,
  out: Float64Array,
): Float64Array {
  return chunkedABt(A, n, B, k, d, out, (w) => w.multiplyABt);
}

/**
 * out (n × k) = A (n × d) · Bᵀ for B (k × d) lower triangular (zero right of its diagonal), with
 * exactly multiplyABtWasm's results in about half the time (assembly/kernels.ts).
 */
export function multiplyABtLowerWasm(
  A: Float64Array,
  n: number,
  B: Float64Array,
  k: number,
  d: number,
  out: Float64Array,
): Float64Array {
  return chunkedABt(A, n, B, k, d, out, (w) => w.multiplyABtLower);
}

/**
 * A · Bᵀ by one of the kernel's row-product kernels: B copied in once, A's rows in chunks that
 * fit the kernel's memory. Past one chunk of B, the inner dimension is summed in parts
 * (multiplyInnerChunks), whose results are the general product's for either kernel.
 */
function chunkedABt(
  A: Float64Array,
  n: number,
  B: Float64Array,
  k: number,
  d: number,
  out: Float64Array,
  kernel: (w: KernelExports) => KernelExports["multiplyABt"],
): Float64Array {
  if (k * d > CHUNK_DOUBLES) return multiplyInnerChunks(A, n, B, k, d, out);
  const w = load();
  const product = kernel(w);
  const rowsPerChunk = Math.max(1, Math.min(n, Math.floor(CHUNK_DOUBLES / Math.max(1, d + k))));
  const bBytes = k * d * 8;
  reserve(w, bBytes + rowsPerChunk * (d + k) * 8);
  const bAt = heapStart;
  const aAt = bAt + bBytes;
  new Float64Array(w.memory.buffer, bAt, k * d).set(B.subarray(0, k * d));
  for (let start = 0; start < n; start += rowsPerChunk) {
    const rows = Math.min(rowsPerChunk, n - start);
    const outAt = aAt + rows * d * 8;
    new Float64Array(w.memory.buffer, aAt, rows * d).set(A.subarray(start * d, (start + rows) * d));
    product(aAt, rows, bAt, k, d, outAt);
    out.set(new Float64Array(w.memory.buffer, outAt, rows * k), start * k);
  }
  release();
  return out;
}

/**
 * out (n × n) = A (n × d) · Aᵀ, exactly multiplyABtWasm(A, n, A, n, d)'s results from half the
 * products (the rest mirrored). A is copied in whole (n·(n + d) doubles of kernel memory): for
 * scatter matrices, whose n (features) is small.
 */
export function multiplyAAtWasm(
  A: Float64Array,
  n: number,
  d: number,
  out: Float64Array,
): Float64Array {
  // Past one chunk, multiplyABtWasm sums the inner dimension in parts: its bits, its way.
  if (n * d > CHUNK_DOUBLES) return multiplyABtWasm(A, n, A, n, d, out);
  const w = load();
  reserve(w, (n * d + n * n) * 8);
  const aAt = heapStart;
  const outAt = aAt + n * d * 8;
  new Float64Array(w.memory.buffer, aAt, n * d).set(A.subarray(0, n * d));
  w.multiplyAAt(aAt, n, d, outAt);
  out.set(new Float64Array(w.memory.buffer, outAt, n * n));
  release();
  return out;
}

/**
 * RBF kernel values exp(−γ‖a_i − b_c‖²) of A's rows (n × d) against B's (k × d), with
 * ‖a − b‖² = ‖a‖² + ‖b‖² − 2a·b from the products on the SIMD kernel and the rows' squared norms
 * (given), clipped at 0 if `clip`; e^x as kernelExp (src/core/kernel-exp.ts), bit for bit. Row i
 * goes to out[outOffset + i·outStride ..] (default: n × k packed). A row's values do not depend
 * on the other rows, nor on how many there are.
 */
export function rbfKernelWasm(
  A: Float64Array,
  n: number,
  B: Float64Array,
  k: number,
  d: number,
  aSquares: Float64Array,
  bSquares: Float64Array,
  gamma: number,
  clip: boolean,
  out = new Float64Array(n * k),
  outStride = k,
  outOffset = 0,
): Float64Array {
  if (k * (d + 1) > CHUNK_DOUBLES) {
    // B does not fit a chunk: products in slices of the inner dimension, the exps here.
    const dots = multiplyABtWasm(A, n, B, k, d, new Float64Array(n * k));
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < k; c++) {
        let s = aSquares[i] + bSquares[c] - 2 * dots[i * k + c];
        if (clip) s = Math.max(s, 0);
        out[outOffset + i * outStride + c] = kernelExp(-gamma * s);
      }
    }
    return out;
  }
  const w = load();
  const rowsPerChunk = Math.max(1, Math.min(n, Math.floor(CHUNK_DOUBLES / Math.max(1, d + k + 1))));
  const bSqAt = heapStart;
  const bAt = bSqAt + k * 8;
  const aSqAt = bAt + k * d * 8;
  const aAt = aSqAt + rowsPerChunk * 8;
  reserve(w, (k + k * d + rowsPerChunk * (1 + d + k)) * 8);
  new Float64Array(w.memory.buffer, bSqAt, k).set(bSquares.subarray(0, k));
  new Float64Array(w.memory.buffer, bAt, k * d).set(B.subarray(0, k * d));
  for (let start = 0; start < n; start += rowsPerChunk) {
    const rows = Math.min(rowsPerChunk, n - start);
    const outAt = aAt + rows * d * 8;
    new Float64Array(w.memory.buffer, aSqAt, rows).set(aSquares.subarray(start, start + rows));
    new Float64Array(w.memory.buffer, aAt, rows * d).set(A.subarray(start * d, (start + rows) * d));
    w.multiplyABt(aAt, rows, bAt, k, d, outAt);
    w.rbfFromDots(outAt, rows, k, aSqAt, bSqAt, gamma, clip ? 1 : 0);
    const values = new Float64Array(w.memory.buffer, outAt, rows * k);
    if (outStride === k) out.set(values, outOffset + start * k);
    else {
      for (let i = 0; i < rows; i++) {
        out.set(values.subarray(i * k, (i + 1) * k), outOffset + (start + i) * outStride);
      }
    }
  }
  release();
  return out;
}

/**
 * A · Bᵀ when B alone would not fit a chunk (long rows, e.g. XᵀX of a tall X): the inner
 * dimension is cut into slices whose products are added up. The cut depends on d and k only,
 * never on n, so a row's result does not depend on how many rows come with it.
 */
function multiplyInnerChunks(
  A: Float64Array,
  n: number,
  B: Float64Array,
  k: number,
  d: number,
  out: Float64Array,
): Float64Array {
  const width = Math.max(2, Math.floor(CHUNK_DOUBLES / Math.max(k, 1)) & ~1);
  out.fill(0, 0, n * k);
  const part = new Float64Array(n * k);
  for (let j0 = 0; j0 < d; j0 += width) {
    const w = Math.min(width, d - j0);
    const As = new Float64Array(n * w);
    for (let i = 0; i < n; i++) As.set(A.subarray(i * d + j0, i * d + j0 + w), i * w);
    const Bs = new Float64Array(k * w);
    for (let c = 0; c < k; c++) Bs.set(B.subarray(c * d + j0, c * d + j0 + w), c * w);
    multiplyABtWasm(As, n, Bs, k, w, part);
    for (let x = 0; x < n * k; x++) out[x] += part[x];
  }
  return out;
}

/** Above this, the kernel's memory is dropped after use, so a large product does not pin it. */
const KEEP_BYTES = 256 * 1024 * 1024;

function release(): void {
  if (kernels !== undefined && kernels.memory.buffer.byteLength > KEEP_BYTES) kernels = undefined;
}

/**
 * Stable ascending argsort of doubles (radix sort on the kernel; see argsortF64 there). With
 * `sortedOut`, the values in sorted order are written there too.
 */
export function argsortFloat64Wasm(values: Float64Array, sortedOut?: Float64Array): Uint32Array {
  const w = load();
  const n = values.length;
  const countsAt = heapStart;
  const valuesAt = countsAt + 2048 * 4;
  const orderAt = valuesAt + n * 8;
  const scratchAt = orderAt + n * 4 + ((n * 4) % 8);
  reserve(w, scratchAt - heapStart + n * 24);
  new Float64Array(w.memory.buffer, valuesAt, n).set(values);
  w.argsortF64(valuesAt, n, orderAt, scratchAt, countsAt);
  if (sortedOut !== undefined) sortedOut.set(new Float64Array(w.memory.buffer, valuesAt, n));
  const order = new Uint32Array(w.memory.buffer, orderAt, n).slice();
  release();
  return order;
}

/**
 * A · Bᵀ for a block small enough to sit in kernel memory whole, returned as a view of that
 * memory (no copy): valid only until the next kernel call. For loops that read each product once.
 */
export function multiplyABtView(
  A: Float64Array,
  n: number,
  B: Float64Array,
  k: number,
  d: number,
): Float64Array {
  const w = load();
  const aAt = heapStart;
  const bAt = aAt + n * d * 8;
  const outAt = bAt + k * d * 8;
  reserve(w, (n * d + k * d + n * k) * 8);
  new Float64Array(w.memory.buffer, aAt, n * d).set(A.subarray(0, n * d));
  new Float64Array(w.memory.buffer, bAt, k * d).set(B.subarray(0, k * d));
  w.multiplyABt(aAt, n, bAt, k, d, outAt);
  return new Float64Array(w.memory.buffer, outAt, n * k);
}

/** Bump allocation of 8-byte-aligned regions from the start of kernel memory. */
class Layout {
  private end: number;
  constructor(private readonly w: KernelExports) {
    this.end = heapStart;
  }
  /** Reserves `bytes` and returns their offset. */
  take(bytes: number): number {
    const at = this.end;
    this.end += Math.ceil(bytes / 8) * 8;
    return at;
  }
  f64(values: Float64Array): number {
    const at = this.take(values.byteLength);
    this.commit();
    new Float64Array(this.w.memory.buffer, at, values.length).set(values);
    return at;
  }
  f32(values: Float32Array): number {
    const at = this.take(values.byteLength);
    this.commit();
    new Float32Array(this.w.memory.buffer, at, values.length).set(values);
    return at;
  }
  i16(values: Int16Array): number {
    const at = this.take(values.byteLength);
    this.commit();
    new Int16Array(this.w.memory.buffer, at, values.length).set(values);
    return at;
  }
  i32(values: Int32Array): number {
    const at = this.take(values.byteLength);
    this.commit();
    new Int32Array(this.w.memory.buffer, at, values.length).set(values);
    return at;
  }
  /** Grows the memory to cover everything taken so far. */
  commit(): void {
    reserve(this.w, this.end - heapStart);
  }
}

/** A KD-tree as flat arrays (see kdTreeSearchGroups in assembly/kernels.ts for their meaning). */
export interface FlatKdTree {
  readonly d: number;
  /** The rows in tree order (double precision: the exact distances). */
  readonly points: Float64Array;
  readonly rowIndex: Int32Array;
  readonly nodeStart: Int32Array;
  readonly nodeEnd: Int32Array;
  readonly nodeLeft: Int32Array;
  /** Each inner node's split: its left child's rows have feature splitDim ≤ splitValue. */
  readonly splitDim: Int32Array;
  readonly splitValue: Float64Array;
  /** Rows are moved by `centre` and multiplied by `scale` for the single-precision filter. */
  readonly centre: Float64Array;
  readonly scale: number;
  /** Bound on the norm of every moved, scaled row. */
  readonly radius: number;
  /** Each node's bounding box of the scaled rows: paddedWidth(d) lower bounds, then upper. */
  readonly boxes: Float32Array;
  /**
   * Each leaf's scaled rows as integer codes on the leaf's grid (origin its box's lower corner),
   * in blocks of four rows, each feature pair's eight codes together.
   */
  readonly leafCodes: Int16Array;
  /** Where each leaf's codes start in leafCodes (−1 for inner nodes). */
  readonly leafOffset: Int32Array;
  /** Each leaf's grid step, inverted (a power of two; NaN: no grid, measure every row). */
  readonly leafInverseStep: Float32Array;
  /** 1 for a leaf of identical rows, in ascending original index (one distance for all). */
  readonly leafIdentical: Int32Array;
}

/** Queries per kernel call: bounds the output buffers in kernel memory. */
const QUERY_CHUNK = 2048;

/** Most queries a group of kdTreeSearchGroupsWasm may hold (GROUP in assembly/kernels.ts). */
export const KD_GROUP = 32;

/**
 * k nearest tree rows of each query row, on the kernel (see kdTreeSearchGroups in
 * assembly/kernels.ts), the queries in groups of nearby rows searched together: group g holds
 * queries [groupEnd[g − 1], groupEnd[g]) (the first from 0), at most KD_GROUP each; the last end
 * is the number of queries. With `selfFirst` ≥ 0 the queries are tree rows selfFirst,
 * selfFirst + 1, … (not copied) and each excludes itself. `onChunk` receives each chunk's
 * distances and indices (views into kernel memory, valid during the call).
 */
export function kdTreeSearchGroupsWasm(
  tree: FlatKdTree,
  k: number,
  queries: Float64Array | undefined,
  selfFirst: number,
  groupEnd: Int32Array,
  onChunk: (first: number, count: number, distances: Float64Array, indices: Int32Array) => void,
): void {
  const w = load();
  const { d } = tree;
  const m = groupEnd.length === 0 ? 0 : groupEnd[groupEnd.length - 1];
  const mem = new Layout(w);
  const dPad = paddedWidth(d);
  const points = mem.f64(tree.points);
  const rowIndex = mem.i32(tree.rowIndex);
  const nodeStart = mem.i32(tree.nodeStart);
  const nodeEnd = mem.i32(tree.nodeEnd);
  const nodeLeft = mem.i32(tree.nodeLeft);
  const splitDim = mem.i32(tree.splitDim);
  const splitValue = mem.f64(tree.splitValue);
  const boxes = mem.f32(tree.boxes);
  const leafCodes = mem.i16(tree.leafCodes);
  const leafOffset = mem.i32(tree.leafOffset);
  const leafInverseStep = mem.f32(tree.leafInverseStep);
  const leafIdentical = mem.i32(tree.leafIdentical);
  const centre = mem.f64(tree.centre);
  const scratch = mem.take(w.kdTreeGroupScratch(d, k) + 16);
  const chunk = Math.min(QUERY_CHUNK, m);
  const queryAt = queries === undefined ? 0 : mem.take(chunk * d * 8);
  const ends = mem.take((chunk + 1) * 4);
  const outD = mem.take(chunk * k * 8);
  const outI = mem.take(chunk * k * 4);
  mem.commit();
  let g = 0;
  for (let first = 0; first < m;) {
    // Whole groups, up to `chunk` queries.
    let last = g;
    while (last < groupEnd.length && groupEnd[last] - first <= chunk) last++;
    const count = groupEnd[last - 1] - first;
    const endsView = new Int32Array(w.memory.buffer, ends, last - g);
    for (let x = g; x < last; x++) endsView[x - g] = groupEnd[x] - first;
    let at: number;
    if (queries === undefined) {
      at = points + (selfFirst + first) * d * 8;
    } else {
      new Float64Array(w.memory.buffer, queryAt, count * d).set(
        queries.subarray(first * d, (first + count) * d),
      );
      at = queryAt;
    }
    w.kdTreeSearchGroups(
      points,
      rowIndex,
      nodeStart,
      nodeEnd,
      nodeLeft,
      splitDim,
      splitValue,
      boxes,
      leafCodes,
      leafOffset,
      leafInverseStep,
      leafIdentical,
      centre,
      tree.scale,
      tree.radius,
      d,
      dPad,
      at,
      ends,
      last - g,
      queries === undefined ? selfFirst + first : -1,
      k,
      outD,
      outI,
      (scratch + 15) & ~15,
    );
    onChunk(
      first,
      count,
      new Float64Array(w.memory.buffer, outD, count * k),
      new Int32Array(w.memory.buffer, outI, count * k),
    );
    first += count;
    g = last;
  }
  release();
}

/**
 * Rows as bruteForceSearchWasm filters them (see bruteForceSearch in assembly/kernels.ts),
 * prepared once per reference or query set by `quantiseRows`.
 */
export interface BruteForceRows {
  readonly d: number;
  readonly rows: number;
  /** The rows as given: exact distances are measured on these. */
  readonly original: Float64Array;
  /**
   * Each row minus the centre, times its own power of two, rounded: 16-bit integers, padded to
   * quantisedWidth(d) features.
   */
  readonly quantised: Int16Array;
  /** Per row: the inverse of its power of two (NaN for a row with a non-finite value). */
  readonly inverseScale: Float64Array;
  /** Per row: L1 norm and squared norm of the centred row before rounding. */
  readonly l1: Float64Array;
  readonly norms: Float64Array;
}

/** Features of a quantised row padded for the kernel (a multiple of 8). */
export function quantisedWidth(d: number): number {
  return (d + 7) & ~7;
}

/**
 * Bits of the quantised values: the largest b ≤ 14 with width · 4^b < 2^31, so a dot product of
 * two rows whose values are at most 2^b in size never leaves 32 bits.
 */
export function quantisedBits(width: number): number {
  let b = 14;
  while (b > 1 && width * 4 ** b >= 2 ** 31) b--;
  return b;
}

/**
 * The kernel's view of `data` (rows × d): each row minus `centre`, times the power of two that
 * brings its largest magnitude to at most 2^bits, rounded to integers. A row with a non-finite
 * value gets NaN norms and scale, so the filter never rejects it and it is always measured exactly.
 */
export function quantiseRows(data: Float64Array, d: number, centre: Float64Array): BruteForceRows {
  const rows = d > 0 ? data.length / d : 0;
  const width = quantisedWidth(d);
  const bits = quantisedBits(width);
  const quantised = new Int16Array(rows * width);
  const inverseScale = new Float64Array(rows);
  const l1 = new Float64Array(rows);
  const norms = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let largest = 0;
    let sumAbs = 0;
    let sumSquares = 0;
    for (let j = 0; j < d; j++) {
      const c = data[i * d + j] - centre[j];
      const a = Math.abs(c);
      if (a > largest) largest = a;
      sumAbs += a;
      sumSquares += c * c;
    }
    if (!Number.isFinite(sumAbs) || !Number.isFinite(sumSquares)) {
      inverseScale[i] = NaN;
      l1[i] = NaN;
      norms[i] = NaN;
      continue;
    }
    l1[i] = sumAbs;
    norms[i] = sumSquares;
    if (largest === 0) continue; // the centre itself: all zeros, exactly
    // 2^exponent ≥ largest, so every scaled value is at most 2^bits (capped where the row is so
    // small that the scale itself would overflow; its values then round to smaller integers).
    let exponent = Math.ceil(Math.log2(largest));
    while (2 ** exponent < largest) exponent++;
    const shift = Math.min(1023, bits - exponent);
    const scale = 2 ** shift;
    inverseScale[i] = 2 ** -shift;
    for (let j = 0; j < d; j++)
      quantised[i * width + j] = Math.round((data[i * d + j] - centre[j]) * scale);
  }
  return { d, rows, original: data, quantised, inverseScale, l1, norms };
}

/** Features of a single-precision row padded for the KD-tree kernel (a multiple of 4). */
export function paddedWidth(d: number): number {
  return (d + 3) & ~3;
}

const BLOCK_Q = 64;
const BLOCK_R = 256;

/**
 * Bound on the double-precision rounding the filter allows for, relative to ‖q‖² + ‖r‖² and to
 * the k-th squared distance: the centring, the norms and the exact distance each err by at most
 * (d + 2)·2⁻⁵³ of them; this is several times that.
 */
function filterRelative(d: number): number {
  return (d + 32) * 2 ** -50;
}

/** Absolute allowance for squared distances in the subnormal range (rounding there is absolute). */
function filterAbsolute(d: number): number {
  return (d + 4) * 2 ** -1060;
}

/**
 * k nearest reference rows of each query row by blocked brute force on the kernel (see
 * bruteForceSearch in assembly/kernels.ts), both sets prepared by `quantiseRows` with the same
 * centre; `selfFirst` ≥ 0 makes query i reference row selfFirst + i, excluded.
 */
export function bruteForceSearchWasm(
  ref: BruteForceRows,
  queries: BruteForceRows,
  k: number,
  selfFirst: number,
  onChunk: (first: number, count: number, distances: Float64Array, indices: Int32Array) => void,
): void {
  const w = load();
  const { d } = ref;
  const m = queries.rows;
  const mem = new Layout(w);
  const width = quantisedWidth(d);
  const original = mem.f64(ref.original);
  const quantised = mem.i16(ref.quantised);
  const norms = mem.f64(ref.norms);
  const inverse = mem.f64(ref.inverseScale);
  const l1 = mem.f64(ref.l1);
  const dots = mem.take(BLOCK_Q * BLOCK_R * 4);
  const topD = mem.take(BLOCK_Q * k * 8);
  const topI = mem.take(BLOCK_Q * k * 4);
  const sizes = mem.take(BLOCK_Q * 4);
  const chunk = Math.min(QUERY_CHUNK, m);
  const qOriginal = mem.take(chunk * d * 8);
  const qQuantised = mem.take(chunk * width * 2);
  const qNorms = mem.take(chunk * 8);
  const qInverse = mem.take(chunk * 8);
  const qL1 = mem.take(chunk * 8);
  const outD = mem.take(chunk * k * 8);
  const outI = mem.take(chunk * k * 4);
  mem.commit();
  for (let first = 0; first < m; first += chunk) {
    const count = Math.min(chunk, m - first);
    const buf = w.memory.buffer;
    new Float64Array(buf, qOriginal, count * d).set(
      queries.original.subarray(first * d, (first + count) * d),
    );
    new Int16Array(buf, qQuantised, count * width).set(
      queries.quantised.subarray(first * width, (first + count) * width),
    );
    new Float64Array(buf, qNorms, count).set(queries.norms.subarray(first, first + count));
    new Float64Array(buf, qInverse, count).set(queries.inverseScale.subarray(first, first + count));
    new Float64Array(buf, qL1, count).set(queries.l1.subarray(first, first + count));
    w.bruteForceSearch(
      original,
      quantised,
      norms,
      inverse,
      l1,
      ref.rows,
      qOriginal,
      qQuantised,
      qNorms,
      qInverse,
      qL1,
      count,
      d,
      width,
      selfFirst >= 0 ? selfFirst + first : -1,
      k,
      filterRelative(d),
      filterAbsolute(d),
      outD,
      outI,
      dots,
      BLOCK_Q,
      BLOCK_R,
      topD,
      topI,
      sizes,
    );
    onChunk(
      first,
      count,
      new Float64Array(w.memory.buffer, outD, count * k),
      new Int32Array(w.memory.buffer, outI, count * k),
    );
  }
  release();
}

/**
 * QMCD's wrap-around kernel sums (assembly/kernels.ts): out[i] = Σ_j Π_k (3/2 − |a| + a²),
 * a = rows_ik − ref_jk, for m rows against n reference rows. The reference rows are copied in
 * whole, the rows in chunks.
 */
export function wrapAroundSumsWasm(
  rows: Float64Array,
  m: number,
  ref: Float64Array,
  n: number,
  d: number,
): Float64Array {
  const w = load();
  const out = new Float64Array(m);
  const rowsPerChunk = Math.max(1, Math.min(m, Math.floor(CHUNK_DOUBLES / Math.max(1, d + 1))));
  const layout = new Layout(w);
  const scratchAt = layout.take(32);
  const refAt = layout.f64(ref.subarray(0, n * d));
  const rowsAt = layout.take(rowsPerChunk * d * 8);
  const outAt = layout.take(rowsPerChunk * 8);
  layout.commit();
  for (let start = 0; start < m; start += rowsPerChunk) {
    const count = Math.min(rowsPerChunk, m - start);
    new Float64Array(w.memory.buffer, rowsAt, count * d).set(
      rows.subarray(start * d, (start + count) * d),
    );
    w.wrapAroundSums(rowsAt, count, refAt, n, d, outAt, scratchAt);
    out.set(new Float64Array(w.memory.buffer, outAt, count), start);
  }
  release();
  return out;
}

/**
 * The same sums of n reference rows against themselves, each pair computed once; `own` is a
 * row's kernel with itself, (3/2)^d.
 */
export function wrapAroundSelfSumsWasm(
  ref: Float64Array,
  n: number,
  d: number,
  own: number,
): Float64Array {
  const w = load();
  const layout = new Layout(w);
  const scratchAt = layout.take(32);
  const refAt = layout.f64(ref.subarray(0, n * d));
  const outAt = layout.f64(new Float64Array(n).fill(own));
  w.wrapAroundSelfSums(refAt, n, d, outAt, scratchAt);
  const out = new Float64Array(w.memory.buffer, outAt, n).slice();
  release();
  return out;
}

/**
 * LODA's kernels (assembly/kernels.ts) on one copy of the data in kernel memory, stored column
 * by column: project on a projection, bin the projections, add bin surprisals to each row's
 * score. Valid until `finish`; no other kernel may run in between (the calls are synchronous).
 */
export interface LodaSession {
  /** Projects every row on projection c; returns the projections' range. */
  project(c: number): { lo: number; hi: number };
  /** The last projection (a copy). */
  projected(): Float64Array;
  /** NumPy's histogram of the last projection over [lo, hi], hi > lo; remembers each row's bin. */
  histogram(lo: number, hi: number, bins: number): { counts: Float64Array; edges: Float64Array };
  /**
   * Adds weight × the surprisal of each row's bin under PyOD's lookup; `ownBins` when the
   * histogram was made from these very projections (its bins then give the lookup).
   */
  addSurprisal(
    edges: Float64Array,
    surprisal: Float64Array,
    weight: number,
    ownBins: boolean,
  ): void;
  /** The accumulated scores; releases the memory. */
  finish(): Float64Array;
}

export function lodaSession(
  data: Float64Array,
  n: number,
  d: number,
  features: Int32Array,
  weights: Float64Array,
  used: number,
  maxBins: number,
): LodaSession {
  const w = load();
  const layout = new Layout(w);
  const columnsAt = layout.take(n * d * 8);
  const featuresAt = layout.i32(features);
  const weightsAt = layout.f64(weights);
  const projectedAt = layout.take(n * 8);
  const outAt = layout.take(n * 8);
  const binOfAt = layout.take(n * 4);
  const rangeAt = layout.take(16);
  const edgesAt = layout.take((maxBins + 1) * 8);
  const countsAt = layout.take(maxBins * 8);
  const surprisalAt = layout.take(maxBins * 8);
  layout.commit();
  // Column-major copy, in blocks so reads and writes stay within a few cache lines.
  const columns = new Float64Array(w.memory.buffer, columnsAt, n * d);
  const B = 32;
  for (let i0 = 0; i0 < n; i0 += B) {
    const i1 = Math.min(n, i0 + B);
    for (let j = 0; j < d; j++) for (let i = i0; i < i1; i++) columns[j * n + i] = data[i * d + j];
  }
  new Float64Array(w.memory.buffer, outAt, n).fill(0);
  let bins = 0;
  return {
    project(c) {
      w.lodaProject(
        columnsAt,
        n,
        featuresAt + c * used * 4,
        weightsAt + c * used * 8,
        used,
        projectedAt,
        rangeAt,
      );
      const range = new Float64Array(w.memory.buffer, rangeAt, 2);
      return { lo: range[0], hi: range[1] };
    },
    projected() {
      return new Float64Array(w.memory.buffer, projectedAt, n).slice();
    },
    histogram(lo, hi, count) {
      bins = count;
      w.lodaHistogram(projectedAt, n, lo, hi, count, edgesAt, countsAt, binOfAt);
      return {
        counts: new Float64Array(w.memory.buffer, countsAt, count).slice(),
        edges: new Float64Array(w.memory.buffer, edgesAt, count + 1).slice(),
      };
    },
    addSurprisal(edges, surprisal, weight, ownBins) {
      const count = surprisal.length;
      new Float64Array(w.memory.buffer, edgesAt, count + 1).set(edges);
      new Float64Array(w.memory.buffer, surprisalAt, count).set(surprisal);
      if (ownBins && count !== bins)
        throw new RangeError("lodaSession: bins differ from the histogram's");
      w.lodaAddSurprisal(
        projectedAt,
        n,
        edgesAt,
        count,
        surprisalAt,
        weight,
        ownBins ? binOfAt : 0,
        outAt,
      );
    },
    finish() {
      const out = new Float64Array(w.memory.buffer, outAt, n).slice();
      release();
      return out;
    },
  };
}

/** The settings of a fit on the kernel (sgdOcsvmFit in assembly/kernels.ts). */
export interface SgdOcsvmFitSettings {
  /** α = ν/2, and the 'optimal' schedule's t₀. */
  readonly alpha: number;
  readonly optimalInit: number;
  readonly fitIntercept: boolean;
  /** Shuffle before every epoch, with scikit-learn's seed for it. */
  readonly shuffle: boolean;
  readonly shuffleSeed: number;
  readonly maxIter: number;
  /** The stopping tolerance, or null never to stop early. */
  readonly tol: number | null;
}

/**
 * SGDOneClassSVM's fit with learning rate 'optimal' and no averaging on the kernel
 * (sgdOcsvmFit in assembly/kernels.ts: every epoch, its shuffle and the stopping rule, without
 * returning to JavaScript in between), over rows copied into kernel memory once. Valid until
 * `finish`; no other kernel may run in between (the calls are synchronous).
 *
 * Columns that are ±0 in every row are left out of kernel memory: their weights never move from
 * +0 (+0 plus ±0 is +0), and a product ±0 leaves a running sum that starts at +0 as it is (such a
 * sum is never −0), so the epochs give the full rows' exact bits with shorter dot products (a
 * quarter shorter on mnist, where 25 of 100 standardised columns are constant).
 */
export interface SgdOcsvmSession {
  /** The columns the kernel works on, ascending (all d when none is zero throughout). */
  readonly columns: Int32Array;
  /**
   * Runs the fit from w = 0 (one weight per kept column, written to `weights`) and `state`
   * ([scale, intercept, t], updated in place). Returns the epochs run, or −epoch (counted from
   * 1) if the weights or intercept stopped being finite at that epoch.
   */
  fit(settings: SgdOcsvmFitSettings, weights: Float64Array, state: Float64Array): number;
  /** Each row's x · coef (coef one per kept column), summed in column order (rowDots). */
  dots(coef: Float64Array): Float64Array;
  finish(): void;
}

export function sgdOcsvmSession(data: Float64Array, n: number, d: number): SgdOcsvmSession {
  const w = load();
  const layout = new Layout(w);
  const dataAt = layout.f64(data.subarray(0, n * d));
  const flagsAt = layout.take(d * 4);
  const orderAt = layout.take(n * 4);
  const weightsAt = layout.take(d * 8);
  const stateAt = layout.take(6 * 8);
  const outAt = layout.take(n * 8);
  const scratchAt = layout.take((d + 2) * 8);
  layout.commit();
  const kept = w.nonzeroColumns(dataAt, n, d, flagsAt, scratchAt);
  let columns = Int32Array.from({ length: d }, (_, j) => j);
  // With no column left the rows stay whole: a dot product of length 0 is no saving worth a case.
  if (kept > 0 && kept < d) {
    const flags = new Int32Array(w.memory.buffer, flagsAt, d);
    columns = columns.filter((j) => flags[j] === 1);
    new Int32Array(w.memory.buffer, flagsAt, kept).set(columns);
    w.keepColumns(dataAt, n, d, flagsAt, kept);
  }
  const m = columns.length;
  return {
    columns,
    fit(settings, weights, state) {
      const order = new Int32Array(w.memory.buffer, orderAt, n);
      for (let i = 0; i < n; i++) order[i] = i;
      new Float64Array(w.memory.buffer, weightsAt, m).fill(0);
      new Float64Array(w.memory.buffer, stateAt, 6).set([
        state[0],
        state[1],
        state[2],
        settings.alpha,
        settings.optimalInit,
        settings.fitIntercept ? 1 : 0,
      ]);
      const epochs = w.sgdOcsvmFit(
        dataAt,
        m,
        orderAt,
        n,
        weightsAt,
        stateAt,
        settings.shuffleSeed,
        settings.shuffle ? 1 : 0,
        settings.maxIter,
        settings.tol === null ? 0 : 1,
        settings.tol ?? 0,
      );
      weights.set(new Float64Array(w.memory.buffer, weightsAt, m));
      state.set(new Float64Array(w.memory.buffer, stateAt, 3));
      return epochs;
    },
    dots(coef) {
      new Float64Array(w.memory.buffer, weightsAt, m).set(coef);
      w.rowDots(dataAt, n, m, weightsAt, outAt);
      return new Float64Array(w.memory.buffer, outAt, n).slice();
    },
    finish() {
      release();
    },
  };
}

/**
 * X · w for the n × d rows of X, each row one running sum in feature order (the bits of a plain
 * loop, and of multiplyABtJs with one column), eight rows at a time on the SIMD kernel. Rows go
 * in chunks that fit the kernel's memory.
 */
export function rowDotsWasm(X: Float64Array, n: number, d: number, w: Float64Array): Float64Array {
  const out = new Float64Array(n);
  const k = load();
  const rowsPerChunk = Math.max(1, Math.min(n, Math.floor(CHUNK_DOUBLES / Math.max(1, d + 1))));
  reserve(k, (d + rowsPerChunk * (d + 1)) * 8);
  const wAt = heapStart;
  const outAt = wAt + d * 8;
  const dataAt = outAt + rowsPerChunk * 8;
  new Float64Array(k.memory.buffer, wAt, d).set(w.subarray(0, d));
  for (let start = 0; start < n; start += rowsPerChunk) {
    const rows = Math.min(rowsPerChunk, n - start);
    new Float64Array(k.memory.buffer, dataAt, rows * d).set(
      X.subarray(start * d, (start + rows) * d),
    );
    k.rowDots(dataAt, rows, d, wAt, outAt);
    out.set(new Float64Array(k.memory.buffer, outAt, rows), start);
  }
  release();
  return out;
}

/** The kernel instance reserved for the one-class SVM's solver (see OcsvmMemory). */
let solverInstance: { k: KernelExports; start: number } | undefined;

/** What an OcsvmMemory holds besides the per-variable arrays (all counts, not bytes). */
export interface OcsvmMemoryLayout {
  /** Columns of n values in `matrix`: n for the whole matrix, fewer for a cache. */
  readonly matrixColumns: number;
  /** Columns of n values in `startBuffer` (and as many of double scratch to compute them). */
  readonly startColumns: number;
  /** With the whole matrix: rows per block of its lower triangle (buildGram). */
  readonly gramBlockRows?: number;
}

/**
 * The one-class SVM solver's data (src/core/one-class-svm.ts) in a kernel instance of its own,
 * so that its loops over whole columns run on the SIMD kernel without copying anything in or
 * out: the rows and their squared norms (copied in once); the kernel matrix (all n × n values,
 * or a cache of columns), in single precision as libsvm holds it; a buffer of columns for the
 * start's gradient; and per variable α, status (0 lower bound, 1 upper, 2 free), the gradient
 * and its upper-bound part and the row at each position. No other kernel call touches that
 * memory, and it never grows while a solve runs, so the views stay valid until the next
 * OcsvmMemory is made (the solver, synchronous, is done with them by then). The instance is kept
 * for the next solve unless its memory is over 256 MiB: a fresh WebAssembly memory per fit,
 * mapped and zeroed anew, costs more than the whole fit on small sets.
 */
export class OcsvmMemory {
  private readonly k: KernelExports;
  private readonly n: number;
  private readonly d: number;
  readonly matrix: Float32Array;
  readonly startBuffer: Float32Array;
  readonly alpha: Float64Array;
  readonly grad: Float64Array;
  readonly gradBound: Float64Array;
  readonly row: Int32Array;
  readonly status: Uint8Array;
  private readonly selectedView: Float64Array;
  private readonly at: Record<
    | "grad"
    | "gradBound"
    | "alpha"
    | "row"
    | "status"
    | "data"
    | "squares"
    | "start"
    | "tile"
    | "lower"
    | "byRow"
    | "vectors"
    | "vectorAlpha"
    | "sums"
    | "selected"
    | "matrix",
    number
  >;

  constructor(
    X: Matrix,
    squares: Float64Array,
    private readonly layout: OcsvmMemoryLayout,
  ) {
    const { rows: n, cols: d } = X;
    this.n = n;
    this.d = d;
    if (solverInstance === undefined) {
      const k = newKernelInstance() as KernelExports;
      solverInstance = { k, start: k.memory.buffer.byteLength };
    }
    const { k, start } = solverInstance;
    this.k = k;
    let end = start;
    const take = (bytes: number): number => {
      const at = end;
      end += Math.ceil(bytes / 16) * 16;
      return at;
    };
    this.at = {
      grad: take(n * 8),
      gradBound: take(n * 8),
      alpha: take(n * 8),
      row: take(n * 4),
      status: take(n),
      data: take(n * d * 8),
      squares: take(n * 8),
      start: take(layout.startColumns * n * 4),
      tile: take(layout.startColumns * n * 8),
      lower: take(lowerTriangleValues(n, layout.gramBlockRows) * 8),
      // For the training decisions from the lower triangle (trainingSums).
      byRow: take(layout.gramBlockRows === undefined ? 0 : n * 8),
      vectors: take(layout.gramBlockRows === undefined ? 0 : n * 4),
      vectorAlpha: take(layout.gramBlockRows === undefined ? 0 : n * 8),
      sums: take(layout.gramBlockRows === undefined ? 0 : n * 8),
      selected: take(8),
      matrix: take(layout.matrixColumns * n * 4),
    };
    if (end > k.memory.buffer.byteLength) {
      k.memory.grow(Math.ceil((end - k.memory.buffer.byteLength) / 65536));
    }
    if (k.memory.buffer.byteLength > KEEP_BYTES) solverInstance = undefined;
    const buffer = k.memory.buffer;
    this.grad = new Float64Array(buffer, this.at.grad, n).fill(0);
    this.gradBound = new Float64Array(buffer, this.at.gradBound, n).fill(0);
    this.alpha = new Float64Array(buffer, this.at.alpha, n).fill(0);
    this.row = new Int32Array(buffer, this.at.row, n);
    this.status = new Uint8Array(buffer, this.at.status, n).fill(0);
    this.startBuffer = new Float32Array(buffer, this.at.start, layout.startColumns * n);
    this.matrix = new Float32Array(buffer, this.at.matrix, layout.matrixColumns * n);
    this.selectedView = new Float64Array(buffer, this.at.selected, 1);
    new Float64Array(buffer, this.at.data, n * d).set(X.data.subarray(0, n * d));
    new Float64Array(buffer, this.at.squares, n).set(squares.subarray(0, n));
  }

  /**
   * Fills `matrix` (laid out with n columns and gramBlockRows) with the RBF kernel of the rows
   * by ocsvmGramBlock, block by block, and keeps its lower triangle in double precision for
   * trainingSums.
   */
  buildGram(gamma: number, tileRows: number): void {
    const { k, n, d, at } = this;
    const blockRows = this.layout.gramBlockRows!;
    let offset = at.lower;
    for (let r0 = 0; r0 < n; r0 += blockRows) {
      const r1 = Math.min(n, r0 + blockRows);
      k.ocsvmGramBlock(at.data, at.squares, n, d, gamma, r0, r1, tileRows, offset, at.matrix);
      offset += (r1 - r0) * r1 * 8;
    }
  }

  /**
   * Σ_s α_s K(x_s, x_r) for every row r (α by row), from the lower triangle buildGram made
   * (ocsvmTrainingSums).
   */
  trainingSums(alphaByRow: Float64Array): Float64Array {
    const { k, n, at } = this;
    const buffer = k.memory.buffer;
    new Float64Array(buffer, at.byRow, n).set(alphaByRow);
    const vectors = new Int32Array(buffer, at.vectors, n);
    const vectorAlpha = new Float64Array(buffer, at.vectorAlpha, n);
    let count = 0;
    for (let r = 0; r < n; r++) {
      if (alphaByRow[r] > 0) {
        vectors[count] = r;
        vectorAlpha[count++] = alphaByRow[r];
      }
    }
    k.ocsvmTrainingSums(
      at.lower,
      n,
      this.layout.gramBlockRows!,
      at.byRow,
      at.vectors,
      at.vectorAlpha,
      count,
      at.sums,
    );
    return new Float64Array(buffer, at.sums, n).slice();
  }

  /**
   * Columns c0..c1 (at most startColumns) by ocsvmColumns, into `startBuffer` or, with `slot`,
   * into `matrix` from column slot on.
   */
  computeColumns(gamma: number, c0: number, c1: number, slot?: number): void {
    const { k, n, d, at } = this;
    const out = slot === undefined ? at.start : at.matrix + slot * n * 4;
    k.ocsvmColumns(at.data, at.squares, n, d, gamma, c0, c1, at.tile, out);
  }

  /**
   * ocsvmStartGradient over `count` columns for variables c0.. : those in `startBuffer`, or with
   * `matrixBase` the ones in `matrix` from that value index on.
   */
  startGradient(c0: number, count: number, matrixBase?: number): void {
    const { at } = this;
    const columns = matrixBase === undefined ? at.start : at.matrix + matrixBase * 4;
    this.k.ocsvmStartGradient(
      columns,
      count,
      this.n,
      c0,
      at.alpha,
      at.status,
      at.grad,
      at.gradBound,
    );
  }

  /**
   * The first pick of the working-set selection (ocsvmSelectI over the active positions), or
   * −1; its −gradient is then `selected`.
   */
  selectI(active: number): number {
    const { at } = this;
    return this.k.ocsvmSelectI(at.grad, at.status, active, at.selected);
  }

  /**
   * The second pick (ocsvmSelectJ) given the first's column at value index baseI of `matrix`
   * and its −gradient, or −1; the largest gradient of the positions above their lower bound is
   * then `selected`.
   */
  selectJ(active: number, inOrder: number, baseI: number, gMax: number): number {
    const { at } = this;
    const colI = at.matrix + baseI * 4;
    return this.k.ocsvmSelectJ(
      at.grad,
      at.status,
      at.row,
      active,
      inOrder,
      colI,
      gMax,
      at.selected,
    );
  }

  /** The value the last selection wrote (see selectI and selectJ). */
  get selected(): number {
    return this.selectedView[0];
  }

  /** ocsvmGradientStep with the columns starting at value indices baseI and baseJ of `matrix`. */
  gradientStep(
    baseI: number,
    baseJ: number,
    dI: number,
    dJ: number,
    split: number,
    active: number,
  ): void {
    const { at } = this;
    const m = at.matrix;
    this.k.ocsvmGradientStep(at.grad, m + baseI * 4, m + baseJ * 4, dI, dJ, split, active, at.row);
  }

  /** ocsvmMoveBound with columns at value indices of `matrix`; `baseQ` undefined: one move. */
  moveBound(baseP: number, signP: number, baseQ?: number, signQ = 0): void {
    const m = this.at.matrix;
    this.k.ocsvmMoveBound(
      this.at.gradBound,
      this.n,
      m + baseP * 4,
      signP,
      m + (baseQ ?? baseP) * 4,
      signQ,
      baseQ === undefined ? 0 : 1,
    );
  }
}

/** Values in the lower triangle's blocks of `blockRows` rows (0 without blocks). */
function lowerTriangleValues(n: number, blockRows: number | undefined): number {
  if (blockRows === undefined) return 0;
  let values = 0;
  for (let r0 = 0; r0 < n; r0 += blockRows) {
    const r1 = Math.min(n, r0 + blockRows);
    values += (r1 - r0) * r1;
  }
  return values;
}

/** Vectors per tile of rbfWeightedSums: 256 rows' kernel values against them take 1 MiB. */
const WEIGHTED_TILE_VECTORS = 512;

/**
 * Σ_s coef_s · exp(−γ‖x_i − v_s‖²) for each of the n rows of X (d features) against the m
 * vectors V, each a running sum over s in order (rbfWeightedSums in assembly/kernels.ts: the
 * kernel values are rbfKernelWasm's, clipped at 0 if `clip`, and never leave kernel memory).
 * Squared norms given. Rows go in chunks that fit the kernel's memory.
 */
export function rbfWeightedSumsWasm(
  X: Float64Array,
  n: number,
  V: Float64Array,
  m: number,
  d: number,
  xSquares: Float64Array,
  vSquares: Float64Array,
  gamma: number,
  clip: boolean,
  coef: Float64Array,
): Float64Array {
  const out = new Float64Array(n);
  const k = load();
  const rowsPerChunk = Math.max(1, Math.min(n, Math.floor(CHUNK_DOUBLES / Math.max(1, d + 2))));
  const layout = new Layout(k);
  const vAt = layout.take(m * d * 8);
  const vSqAt = layout.take(m * 8);
  const coefAt = layout.take(m * 8);
  const tileAt = layout.take(256 * WEIGHTED_TILE_VECTORS * 8);
  const rowsAt = layout.take(rowsPerChunk * d * 8);
  const rowSqAt = layout.take(rowsPerChunk * 8);
  const outAt = layout.take(rowsPerChunk * 8);
  layout.commit();
  new Float64Array(k.memory.buffer, vAt, m * d).set(V.subarray(0, m * d));
  new Float64Array(k.memory.buffer, vSqAt, m).set(vSquares.subarray(0, m));
  new Float64Array(k.memory.buffer, coefAt, m).set(coef.subarray(0, m));
  for (let start = 0; start < n; start += rowsPerChunk) {
    const rows = Math.min(rowsPerChunk, n - start);
    new Float64Array(k.memory.buffer, rowsAt, rows * d).set(
      X.subarray(start * d, (start + rows) * d),
    );
    new Float64Array(k.memory.buffer, rowSqAt, rows).set(xSquares.subarray(start, start + rows));
    k.rbfWeightedSums(
      rowsAt,
      rows,
      vAt,
      m,
      d,
      rowSqAt,
      vSqAt,
      gamma,
      clip ? 1 : 0,
      coefAt,
      WEIGHTED_TILE_VECTORS,
      tileAt,
      outAt,
    );
    out.set(new Float64Array(k.memory.buffer, outAt, rows), start);
  }
  release();
  return out;
}
