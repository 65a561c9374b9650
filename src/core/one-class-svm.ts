/**
 * The one-class SVM dual (Schölkopf et al. 2001) with an RBF kernel, solved the way libsvm
 * solves it (as of the copy inside scikit-learn 1.2, which PyOD's OCSVM runs), so that the same
 * data give the same support vectors, coefficients and offset:
 *
 *   minimise ½ αᵀQα  subject to  0 ≤ α_i ≤ 1,  Σ α_i = ν·n,   Q_ij = exp(−γ‖x_i − x_j‖²)
 *
 * by sequential minimal optimisation (Fan, Chen & Lin 2005): each iteration picks the most
 * violating variable i and, among the variables that can move the other way, the j whose
 * second-order step decreases the objective most ("WSS3"), moves the pair analytically within
 * the box, and updates the gradient. What has to be as in libsvm for the iterations to be the
 * same, because each choice depends on the previous ones:
 * - the start: α = 1 on the first ⌊ν·n⌋ rows, the remainder on the next, 0 after (ν·n summed
 *   row by row, as scikit-learn's copy does to allow row weights);
 * - kernel values held in single precision (libsvm's cache is `float`), computed as
 *   exp(−γ(‖x_i‖² + ‖x_j‖² − 2 x_i·x_j)); the diagonal is exactly 1;
 * - ties: the last index among equal gradients wins both selections (comparisons with ≥/≤);
 * - shrinking every min(n, 1000) iterations: bound variables that cannot move are set aside
 *   (swapped behind the active ones, which reorders the scan), the full gradient rebuilt from
 *   the free variables when the active set looks optimal (within 10 ε once, then at ε);
 * - stopping when max violation m(α) − M(α) < ε (libsvm's tol, 1e-3);
 * - ρ as the mean gradient over the free variables, or the midpoint of the bounds' gradients.
 * Sums run in the same order as libsvm's loops. The kernel columns come from a full
 * precomputed matrix or an LRU cache of columns; which one changes the speed, never the result.
 * The matrix or cache and the per-variable arrays live in kernel memory (OcsvmMemory), where the
 * loops over whole columns (the start's gradient, each step's gradient update, the upper-bound
 * part's updates) run on the SIMD kernel, two rows per instruction, with the same operations in
 * the same order per value.
 */
import type { Matrix } from "./matrix.js";
import { OcsvmMemory } from "./wasm.js";

/** libsvm's TAU: the curvature used when a pair's is not positive. */
const TAU = 1e-12;
/**
 * Above this many rows the kernel matrix is not precomputed whole (n² singles and n²/2 doubles:
 * 512 MiB at 8192 rows).
 */
const FULL_MATRIX_MAX_ROWS = 8192;
/** Memory for cached kernel columns when the matrix is not precomputed (bytes). */
const CACHE_BYTES = 512 * 1024 * 1024;
/** Rows per block when precomputing the matrix: bounds the temporary product to 2 MiB per 1k rows. */
const GRAM_BLOCK_ROWS = 256;
/**
 * Kernel values computed at once for the start's gradient when the matrix is not precomputed
 * (64 MiB as doubles), in at most 64 columns.
 */
const START_BATCH_VALUES = 8 * 1024 * 1024;
const START_BATCH_COLUMNS = 64;
/**
 * Rows of the other side per kernel call when precomputing the matrix: 512 rows of up to a few
 * hundred features stay in the processor's cache while the block's rows pass (measured: a
 * quarter off the product's time on 4561 × 100).
 */
const GRAM_TILE_ROWS = 512;

const LOWER = 0;
const UPPER = 1;
const FREE = 2;

export interface OneClassSvmOptions {
  /** ν in (0, 1]: bounds the share of margin errors from above and of support vectors from below. */
  readonly nu: number;
  /** RBF kernel width γ > 0. */
  readonly gamma: number;
  /** Stopping tolerance ε on the maximal violation (libsvm: 1e-3). */
  readonly tol: number;
  /** libsvm's shrinking heuristic (changes the iterations slightly, as in libsvm). */
  readonly shrinking: boolean;
  /** Iterations at most; null = until optimal (libsvm's −1). */
  readonly maxIter: number | null;
  /**
   * Bytes for a cache of kernel columns instead of the whole precomputed matrix (tests: the
   * result must not depend on it). Left out: the whole matrix up to 8192 rows, else 512 MiB.
   */
  readonly cacheBytes?: number;
}

export interface OneClassSvmSolution {
  /** α of every training row (original order); the support vectors are the rows with α > 0. */
  readonly alpha: Float64Array;
  /** The offset: decision(x) = Σ α_i K(x_i, x) − ρ. */
  readonly rho: number;
  readonly iterations: number;
  /** Whether maxIter stopped the solver before the optimality test passed. */
  readonly hitMaxIter: boolean;
  /**
   * Σ α_i K(x_i, x_r) − ρ for each training row r (the decision values), when the kernel matrix
   * was precomputed in double precision; else undefined (score the rows instead).
   */
  readonly trainingDecision?: Float64Array;
}

/** Squared norms of the rows, each summed in feature order (libsvm's x_square). */
export function rowSquaredNorms(X: Matrix): Float64Array {
  const { rows: n, cols: d, data } = X;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    const at = i * d;
    for (let k = 0; k < d; k++) s += data[at + k] * data[at + k];
    out[i] = s;
  }
  return out;
}

/**
 * Kernel columns in single precision, as libsvm's cache holds them, each indexed by original
 * row: column c's value for row r is `slab[base(c) + r]`.
 */
interface KernelColumns {
  readonly slab: Float32Array;
  /** Base offset of column c in `slab`, computing it first if needed. */
  base(c: number): number;
  /**
   * Columns c0..c1 written to the memory's start buffer ((c1 − c0) × n, single precision)
   * without entering the cache: for the start's gradient, which reads half of all columns once,
   * in order.
   */
  columns?(c0: number, c1: number): void;
}

/**
 * The whole n × n kernel matrix (single precision) and its lower triangle (double, from which
 * the training decisions come without computing a kernel value again), from blocked products and
 * exps on the SIMD kernel, built in kernel memory (OcsvmMemory.buildGram): each block of rows
 * against the rows before it, converted to the matrix's rows and mirrored to its columns there,
 * so every value is computed once and nothing is copied back.
 */
function fullKernelMatrix(n: number, gamma: number, memory: OcsvmMemory): KernelColumns {
  memory.buildGram(gamma, GRAM_TILE_ROWS);
  return new WholeKernel(memory.matrix, n);
}

/**
 * The precomputed matrix. Classes rather than object literals of closures: a closure is a new
 * function at every fit, and V8 throws away the solver's optimised code whenever the function
 * it calls changes, so each fit would start over unoptimised.
 */
class WholeKernel implements KernelColumns {
  constructor(
    readonly slab: Float32Array,
    private readonly n: number,
  ) {}

  base(c: number): number {
    return c * this.n;
  }
}

/**
 * Columns a cache holds in `bytes`: at least two, since an iteration holds two at once (libsvm's
 * rule too).
 */
function cacheCapacity(n: number, bytes: number): number {
  return Math.max(2, Math.min(n, Math.floor(bytes / (4 * n))));
}

/**
 * Kernel columns computed on demand on the SIMD kernel (OcsvmMemory.computeColumns: the same
 * values as the whole matrix's, since products and sums are symmetric in their two rows) and
 * kept in a least-recently-used cache of `capacity` columns, the memory's matrix.
 */
class CachedKernel implements KernelColumns {
  readonly slab: Float32Array;
  private readonly slotOf: Int32Array;
  private readonly columnIn: Int32Array;
  private readonly lastUse: Float64Array;
  private clock = 0;
  private used = 0;

  constructor(
    private readonly n: number,
    private readonly gamma: number,
    private readonly memory: OcsvmMemory,
    private readonly capacity: number,
  ) {
    this.slab = memory.matrix;
    this.slotOf = new Int32Array(n).fill(-1);
    this.columnIn = new Int32Array(capacity).fill(-1);
    this.lastUse = new Float64Array(capacity);
  }

  /** Columns c0..c1 into the memory's start buffer, without entering the cache. */
  columns(c0: number, c1: number): void {
    this.memory.computeColumns(this.gamma, c0, c1);
  }

  base(c: number): number {
    let slot = this.slotOf[c];
    if (slot < 0) {
      if (this.used < this.capacity) slot = this.used++;
      else {
        slot = 0;
        for (let s = 1; s < this.capacity; s++) if (this.lastUse[s] < this.lastUse[slot]) slot = s;
        this.slotOf[this.columnIn[slot]] = -1;
      }
      this.slotOf[c] = slot;
      this.columnIn[slot] = c;
      this.memory.computeColumns(this.gamma, c, c + 1, slot);
    }
    this.lastUse[slot] = ++this.clock;
    return slot * this.n;
  }
}

/** Solves the one-class SVM dual on the rows of X (see the file header). */
export function solveOneClassSvm(X: Matrix, options: OneClassSvmOptions): OneClassSvmSolution {
  const n = X.rows;
  const squares = rowSquaredNorms(X);
  const full = options.cacheBytes === undefined && n <= FULL_MATRIX_MAX_ROWS;
  let kernel: KernelColumns;
  let memory: OcsvmMemory;
  if (full) {
    memory = new OcsvmMemory(X, squares, {
      matrixColumns: n,
      startColumns: 0,
      gramBlockRows: GRAM_BLOCK_ROWS,
    });
    kernel = fullKernelMatrix(n, options.gamma, memory);
  } else {
    const capacity = cacheCapacity(n, options.cacheBytes ?? CACHE_BYTES);
    const batch = Math.max(1, Math.min(START_BATCH_COLUMNS, Math.floor(START_BATCH_VALUES / n)));
    memory = new OcsvmMemory(X, squares, { matrixColumns: capacity, startColumns: batch });
    kernel = new CachedKernel(n, options.gamma, memory, capacity);
  }
  const solver = new SmoSolver(n, kernel, memory, options.tol);
  solver.start(options.nu);
  const { iterations, hitMaxIter } = solver.run(options.shrinking, options.maxIter);
  const rho = solver.rho();
  const alpha = solver.alphaInOriginalOrder();
  // With the whole matrix, Σ_s α_s K(x_s, x_r) − ρ for every training row r from its
  // double-precision lower triangle, each value below the diagonal serving both of its rows.
  let trainingDecision: Float64Array | undefined;
  if (full) {
    trainingDecision = memory.trainingSums(alpha);
    for (let r = 0; r < n; r++) trainingDecision[r] -= rho;
  }
  return { alpha, rho, iterations, hitMaxIter, trainingDecision };
}

/**
 * SMO state by position: positions are rows in the order the shrinking has put them, the first
 * `active` being the ones still optimised; `row[p]` is the original row at position p.
 */
class SmoSolver {
  private readonly n: number;
  private readonly kernel: KernelColumns;
  private readonly memory: OcsvmMemory;
  private readonly eps: number;
  private readonly row: Int32Array;
  private readonly alpha: Float64Array;
  private readonly status: Uint8Array;
  /** Gradient of ½ αᵀQα: (Qα)_p. */
  private readonly grad: Float64Array;
  /**
   * The part of the gradient from variables at their upper bound (libsvm's G_bar), by original
   * row rather than position: each entry sees the same additions in the same order either way,
   * and its updates then read kernel columns straight through.
   */
  private readonly gradBound: Float64Array;
  private active: number;
  private unshrunk = false;
  /** Positions below this have never been swapped: row[p] = p there. */
  private inOrder: number;
  private pickedI = -1;
  private pickedJ = -1;

  /** The arrays are `memory`'s (zeroed), so that the kernel's loops work on them in place. */
  constructor(n: number, kernel: KernelColumns, memory: OcsvmMemory, eps: number) {
    this.n = n;
    this.kernel = kernel;
    this.memory = memory;
    this.eps = eps;
    this.row = memory.row;
    for (let i = 0; i < n; i++) this.row[i] = i;
    this.alpha = memory.alpha;
    this.status = memory.status;
    this.grad = memory.grad;
    this.gradBound = memory.gradBound;
    this.active = n;
    this.inOrder = n;
  }

  /** libsvm's feasible start for one-class, and the gradient at it. */
  start(nu: number): void {
    const { n, alpha } = this;
    // ν·n summed row by row (each row's weight C_i = 1 times ν), then spent from the top.
    let budget = 0;
    for (let i = 0; i < n; i++) budget += nu;
    for (let i = 0; i < n && budget > 0; i++) {
      alpha[i] = Math.min(1, budget);
      budget -= alpha[i];
    }
    for (let i = 0; i < n; i++) this.updateStatus(i);
    // The columns of the rows with α > 0 (the first ones), added in row order as libsvm does:
    // G += α_i Q_i, and Ḡ += Q_i for those at the upper bound. From the matrix, where the columns
    // lie one after another (column i is row i); else computed in batches into the memory's
    // start buffer, without entering the cache.
    let last = 0;
    while (last < n && this.status[last] !== LOWER) last++;
    if (this.kernel.columns === undefined) {
      this.memory.startGradient(0, last, this.kernel.base(0));
      return;
    }
    const buffer = this.memory.startBuffer;
    const batch = buffer.length / n;
    for (let c0 = 0; c0 < last; c0 += batch) {
      const c1 = Math.min(last, c0 + batch);
      this.kernel.columns(c0, c1);
      this.memory.startGradient(c0, c1 - c0);
    }
  }

  private updateStatus(p: number): void {
    const a = this.alpha[p];
    this.status[p] = a >= 1 ? UPPER : a <= 0 ? LOWER : FREE;
  }

  run(shrinking: boolean, maxIter: number | null): { iterations: number; hitMaxIter: boolean } {
    const { alpha, grad, status, row } = this;
    const K = this.kernel.slab;
    let iter = 0;
    let counter = Math.min(this.n, 1000) + 1;
    for (;;) {
      if (maxIter !== null && iter >= maxIter) return { iterations: iter, hitMaxIter: true };
      if (--counter === 0) {
        counter = Math.min(this.n, 1000);
        if (shrinking) this.shrink();
      }
      if (this.selectWorkingSet()) {
        // Optimal on the active set: check again on all variables with the full gradient.
        this.reconstructGradient();
        this.active = this.n;
        if (this.selectWorkingSet()) break;
        counter = 1; // shrink at the next iteration
      }
      iter++;
      const i = this.pickedI;
      const j = this.pickedJ;
      const baseI = this.kernel.base(row[i]);
      const baseJ = this.kernel.base(row[j]);
      const oldI = alpha[i];
      const oldJ = alpha[j];
      let curvature = 1 + 1 - 2 * K[baseI + row[j]];
      if (curvature <= 0) curvature = TAU;
      const delta = (grad[i] - grad[j]) / curvature;
      const sum = oldI + oldJ;
      alpha[i] -= delta;
      alpha[j] += delta;
      // Back into the box along the line α_i + α_j = sum, as libsvm clips (both bounds 1).
      if (sum > 1) {
        if (alpha[i] > 1) {
          alpha[i] = 1;
          alpha[j] = sum - 1;
        }
      } else if (alpha[j] < 0) {
        alpha[j] = 0;
        alpha[i] = sum;
      }
      if (sum > 1) {
        if (alpha[j] > 1) {
          alpha[j] = 1;
          alpha[i] = sum - 1;
        }
      } else if (alpha[i] < 0) {
        alpha[i] = 0;
        alpha[j] = sum;
      }
      const dI = alpha[i] - oldI;
      const dJ = alpha[j] - oldJ;
      const active = this.active;
      // G_k += Q_ik ΔI + Q_jk ΔJ over the active positions; those before `inOrder` still hold
      // their own rows, so the kernel reads them without a lookup through `row`.
      this.memory.gradientStep(baseI, baseJ, dI, dJ, Math.min(active, this.inOrder), active);
      const wasUpperI = status[i] === UPPER;
      const wasUpperJ = status[j] === UPPER;
      this.updateStatus(i);
      this.updateStatus(j);
      const signI = wasUpperI === (status[i] === UPPER) ? 0 : wasUpperI ? -1 : 1;
      const signJ = wasUpperJ === (status[j] === UPPER) ? 0 : wasUpperJ ? -1 : 1;
      if (signI !== 0 && signJ !== 0) this.moveBoundParts(i, signI, j, signJ);
      else if (signI !== 0) this.moveBoundPart(i, signI);
      else if (signJ !== 0) this.moveBoundPart(j, signJ);
    }
    return { iterations: iter, hitMaxIter: false };
  }

  /**
   * Both moves in one pass: each entry still takes p's column, then q's, as two separate
   * roundings (adding −1 · b is subtracting b exactly).
   */
  private moveBoundParts(p: number, signP: number, q: number, signQ: number): void {
    const baseP = this.kernel.base(this.row[p]);
    const baseQ = this.kernel.base(this.row[q]);
    this.memory.moveBound(baseP, signP, baseQ, signQ);
  }

  /** Adds (sign 1) or removes (−1) position p's column to the upper-bound gradient part. */
  private moveBoundPart(p: number, sign: number): void {
    this.memory.moveBound(this.kernel.base(this.row[p]), sign);
  }

  /**
   * WSS3 of Fan, Chen & Lin (2005) for one class (every label +1): i maximises −G over variables
   * below their upper bound; j, among variables above their lower bound with G_j > −G_i,
   * maximises the decrease (G_i − G_j)² / (Q_ii + Q_jj − 2Q_ij). Returns true when optimal.
   */
  private selectWorkingSet(): boolean {
    const { memory, active } = this;
    const i = memory.selectI(active);
    const gMax = memory.selected;
    const baseI = i >= 0 ? this.kernel.base(this.row[i]) : 0;
    const j = memory.selectJ(active, this.inOrder, baseI, gMax);
    const gMax2 = memory.selected;
    if (gMax + gMax2 < this.eps || j === -1) return true;
    this.pickedI = i;
    this.pickedJ = j;
    return false;
  }

  /** A bound variable that cannot improve the objective while the others stay as they are. */
  private canShrink(p: number, gMax1: number, gMax2: number): boolean {
    const s = this.status[p];
    if (s === UPPER) return -this.grad[p] > gMax1;
    if (s === LOWER) return this.grad[p] > gMax2;
    return false;
  }

  private shrink(): void {
    const { grad, status } = this;
    let gMax1 = -Infinity; // max −G over variables below the upper bound
    let gMax2 = -Infinity; // max G over variables above the lower bound
    for (let p = 0; p < this.active; p++) {
      if (status[p] !== UPPER && -grad[p] >= gMax1) gMax1 = -grad[p];
      if (status[p] !== LOWER && grad[p] >= gMax2) gMax2 = grad[p];
    }
    if (!this.unshrunk && gMax1 + gMax2 <= this.eps * 10) {
      // Close to optimal: bring every variable back once, with its true gradient.
      this.unshrunk = true;
      this.reconstructGradient();
      this.active = this.n;
    }
    for (let p = 0; p < this.active; p++) {
      if (!this.canShrink(p, gMax1, gMax2)) continue;
      this.active--;
      while (this.active > p) {
        if (!this.canShrink(this.active, gMax1, gMax2)) {
          this.swap(p, this.active);
          break;
        }
        this.active--;
      }
    }
  }

  private swap(p: number, q: number): void {
    this.inOrder = Math.min(this.inOrder, p, q);
    const swapIn = (a: Float64Array | Int32Array | Uint8Array): void => {
      const t = a[p];
      a[p] = a[q];
      a[q] = t;
    };
    swapIn(this.row);
    swapIn(this.alpha);
    swapIn(this.status);
    swapIn(this.grad);
  }

  /**
   * The gradient of the inactive variables, from the upper-bound part plus the free variables'
   * columns (added in position order, as libsvm does on either of its two loop orders).
   */
  private reconstructGradient(): void {
    const { n, active, grad, gradBound, alpha, status, row } = this;
    if (active === n) return;
    const K = this.kernel.slab;
    for (let q = active; q < n; q++) grad[q] = gradBound[row[q]];
    let free = 0;
    for (let p = 0; p < active; p++) if (status[p] === FREE) free++;
    if (free * n > 2 * active * (n - active)) {
      // Fewer inactive columns to fetch than free ones.
      for (let q = active; q < n; q++) {
        const base = this.kernel.base(row[q]);
        let g = grad[q];
        for (let p = 0; p < active; p++) {
          if (status[p] === FREE) g += alpha[p] * K[base + row[p]];
        }
        grad[q] = g;
      }
    } else {
      for (let p = 0; p < active; p++) {
        if (status[p] !== FREE) continue;
        const base = this.kernel.base(row[p]);
        const a = alpha[p];
        for (let q = active; q < n; q++) grad[q] += a * K[base + row[q]];
      }
    }
  }

  /** libsvm's ρ: mean gradient of the free variables, else the middle of the bounds' range. */
  rho(): number {
    const { grad, status, active } = this;
    let upper = Infinity;
    let lower = -Infinity;
    let free = 0;
    let sumFree = 0;
    for (let p = 0; p < active; p++) {
      const g = grad[p];
      if (status[p] === UPPER) lower = Math.max(lower, g);
      else if (status[p] === LOWER) upper = Math.min(upper, g);
      else {
        free++;
        sumFree += g;
      }
    }
    return free > 0 ? sumFree / free : (upper + lower) / 2;
  }

  alphaInOriginalOrder(): Float64Array {
    const out = new Float64Array(this.n);
    for (let p = 0; p < this.n; p++) out[this.row[p]] = this.alpha[p];
    return out;
  }
}
