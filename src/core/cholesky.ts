/**
 * Cholesky factorisation of symmetric positive definite matrices and what follows from it:
 * log-determinant, triangular solves and the inverse of the factor. Row-major Float64Arrays;
 * only the lower triangle of the input is read.
 *
 * A matrix counts as positive definite when every pivot exceeds `n · ε · max|A_ii|`, the scale
 * below which scipy's `pinvh` treats eigenvalues as zero (its default relative cutoff is
 * `max(shape) · ε`). The pivots are not the eigenvalues, but the smallest eigenvalue is at most
 * the smallest pivot, so a matrix refused here is never one that `pinvh` would invert whole.
 */
import { multiplyABt } from "./linalg.js";

/** Block size of the blocked factorisation and inverse; below two blocks, plain loops. */
const BLOCK = 32;

/**
 * The lower-triangular L with A = L·Lᵀ (n × n, row-major, upper triangle zero), or undefined
 * when A is not numerically positive definite (see the file header).
 *
 * From 64 rows on, by blocks of 32 columns (left-looking): each block column is first reduced by
 * the columns before it in one matrix product (the SIMD kernel, where nearly all the work is),
 * then factored and solved below its diagonal with plain loops.
 */
export function cholesky(A: Float64Array, n: number): Float64Array | undefined {
  if (A.length !== n * n) throw new RangeError(`cholesky: ${A.length} values for ${n} × ${n}`);
  let largest = 0;
  for (let i = 0; i < n; i++) largest = Math.max(largest, Math.abs(A[i * n + i]));
  const floor = n * Number.EPSILON * largest;
  const L = new Float64Array(n * n);
  for (let j0 = 0; j0 < n; j0 += n < 2 * BLOCK ? n : BLOCK) {
    const j1 = n < 2 * BLOCK ? n : Math.min(n, j0 + BLOCK);
    const b = j1 - j0;
    const m = n - j0;
    // The block column from row j0 down (m × b), less what the earlier columns explain.
    const panel = new Float64Array(m * b);
    for (let r = 0; r < m; r++) {
      const from = (j0 + r) * n + j0;
      for (let c = 0; c < b; c++) panel[r * b + c] = A[from + c];
    }
    if (j0 > 0) {
      const left = new Float64Array(m * j0);
      for (let r = 0; r < m; r++) left.set(L.subarray((j0 + r) * n, (j0 + r) * n + j0), r * j0);
      const explained = multiplyABt(left, m, left.subarray(0, b * j0), b, j0);
      for (let k = 0; k < m * b; k++) panel[k] -= explained[k];
    }
    // The diagonal block: L_ij = (A_ij − Σ_{k<j} L_ik L_jk) / L_jj, rows read contiguously.
    for (let i = 0; i < b; i++) {
      const ri = i * b;
      for (let j = 0; j < i; j++) {
        const rj = j * b;
        panel[ri + j] = (panel[ri + j] - dot(panel, ri, panel, rj, j)) / panel[rj + j];
      }
      const pivot = panel[ri + i] - dot(panel, ri, panel, ri, i);
      if (!(pivot > floor)) return undefined;
      panel[ri + i] = Math.sqrt(pivot);
    }
    // The rows below it: x · L_bbᵀ = row, by forward substitution.
    for (let r = b; r < m; r++) {
      const at = r * b;
      for (let c = 0; c < b; c++) {
        panel[at + c] = (panel[at + c] - dot(panel, at, panel, c * b, c)) / panel[c * b + c];
      }
    }
    for (let r = 0; r < m; r++) {
      const width = r < b ? r + 1 : b;
      const to = (j0 + r) * n + j0;
      for (let c = 0; c < width; c++) L[to + c] = panel[r * b + c];
    }
  }
  return L;
}

/** log det A from its Cholesky factor: 2 Σ log L_ii. */
export function choleskyLogDet(L: Float64Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.log(L[i * n + i]);
  return 2 * s;
}

/** Solves L·x = b in place (L lower triangular, n × n). */
export function solveLowerInPlace(L: Float64Array, n: number, b: Float64Array): Float64Array {
  for (let i = 0; i < n; i++) {
    let s = b[i];
    const ri = i * n;
    for (let k = 0; k < i; k++) s -= L[ri + k] * b[k];
    b[i] = s / L[ri + i];
  }
  return b;
}

/** Solves Lᵀ·x = b in place (L lower triangular, n × n). */
export function solveUpperTransposedInPlace(
  L: Float64Array,
  n: number,
  b: Float64Array,
): Float64Array {
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i];
    for (let k = i + 1; k < n; k++) s -= L[k * n + i] * b[k];
    b[i] = s / L[i * n + i];
  }
  return b;
}

/** Solves A·x = b for A = L·Lᵀ, returning a new vector. */
export function choleskySolve(L: Float64Array, n: number, b: Float64Array): Float64Array {
  return solveUpperTransposedInPlace(L, n, solveLowerInPlace(L, n, Float64Array.from(b)));
}

/**
 * L⁻¹, lower triangular (n × n, row-major). With W = L⁻¹, xᵀA⁻¹x = ‖W·x‖², so squared
 * Mahalanobis distances of many rows come from one matrix product.
 *
 * From 64 rows on, by blocks of 32 rows: row block I of W left of its diagonal block is
 * −L_II⁻¹ · (L_I,<I · W_<I,<I), two matrix products on the SIMD kernel; the diagonal blocks
 * L_II⁻¹ come from plain forward substitution.
 */
export function invertLower(L: Float64Array, n: number): Float64Array {
  if (n < 2 * BLOCK) return invertLowerPlain(L, n);
  const W = new Float64Array(n * n);
  // Wᵀ as filled so far: its rows are W's columns, what the products read.
  const WT = new Float64Array(n * n);
  for (let i0 = 0; i0 < n; i0 += BLOCK) {
    const i1 = Math.min(n, i0 + BLOCK);
    const b = i1 - i0;
    const diagonal = new Float64Array(b * b);
    for (let r = 0; r < b; r++) {
      for (let c = 0; c <= r; c++) diagonal[r * b + c] = L[(i0 + r) * n + i0 + c];
    }
    const inverse = invertLowerPlain(diagonal, b);
    if (i0 > 0) {
      // T = L_I,<I · W_<I,<I (b × i0), from rows of L and rows of Wᵀ.
      const rowsOfL = new Float64Array(b * i0);
      for (let r = 0; r < b; r++) rowsOfL.set(L.subarray((i0 + r) * n, (i0 + r) * n + i0), r * i0);
      const columnsOfW = new Float64Array(i0 * i0);
      for (let c = 0; c < i0; c++) columnsOfW.set(WT.subarray(c * n, c * n + i0), c * i0);
      const T = multiplyABt(rowsOfL, b, columnsOfW, i0, i0);
      // W_I,<I = −L_II⁻¹ · T: rows of L_II⁻¹ against rows of Tᵀ.
      const Tt = new Float64Array(i0 * b);
      for (let r = 0; r < b; r++) for (let c = 0; c < i0; c++) Tt[c * b + r] = T[r * i0 + c];
      const block = multiplyABt(inverse, b, Tt, i0, b);
      for (let r = 0; r < b; r++) {
        for (let c = 0; c < i0; c++) {
          const v = -block[r * i0 + c];
          W[(i0 + r) * n + c] = v;
          WT[c * n + i0 + r] = v;
        }
      }
    }
    for (let r = 0; r < b; r++) {
      for (let c = 0; c <= r; c++) {
        const v = inverse[r * b + c];
        W[(i0 + r) * n + i0 + c] = v;
        WT[(i0 + c) * n + i0 + r] = v;
      }
    }
  }
  return W;
}

function invertLowerPlain(L: Float64Array, n: number): Float64Array {
  // Column j of L⁻¹ solves L·w = e_j by forward substitution (zero above row j); the columns are
  // built as contiguous rows of the transpose, so every inner loop reads memory in order.
  const T = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    const w = j * n;
    T[w + j] = 1 / L[j * n + j];
    for (let i = j + 1; i < n; i++) {
      const ri = i * n;
      T[w + i] = -dot(L, ri + j, T, w + j, i - j) / L[ri + i];
    }
  }
  const W = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) W[i * n + j] = T[j * n + i];
  return W;
}

/**
 * Σ a[aAt + k]·b[bAt + k] for k < length, in four interleaved partial sums: the factorisations'
 * inner loops are dot products, and one running sum would wait on each addition in turn.
 */
function dot(a: Float64Array, aAt: number, b: Float64Array, bAt: number, length: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let k = 0;
  for (; k + 4 <= length; k += 4) {
    s0 += a[aAt + k] * b[bAt + k];
    s1 += a[aAt + k + 1] * b[bAt + k + 1];
    s2 += a[aAt + k + 2] * b[bAt + k + 2];
    s3 += a[aAt + k + 3] * b[bAt + k + 3];
  }
  for (; k < length; k++) s0 += a[aAt + k] * b[bAt + k];
  return s0 + s1 + (s2 + s3);
}
