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

/**
 * The lower-triangular L with A = L·Lᵀ (n × n, row-major, upper triangle zero), or undefined
 * when A is not numerically positive definite (see the file header).
 */
export function cholesky(A: Float64Array, n: number): Float64Array | undefined {
  if (A.length !== n * n) throw new RangeError(`cholesky: ${A.length} values for ${n} × ${n}`);
  let largest = 0;
  for (let i = 0; i < n; i++) largest = Math.max(largest, Math.abs(A[i * n + i]));
  const floor = n * Number.EPSILON * largest;
  const L = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    // Row i left of the diagonal: L_ij = (A_ij − Σ_{k<j} L_ik L_jk) / L_jj, rows read contiguously.
    for (let j = 0; j < i; j++) {
      const rj = j * n;
      let s = A[ri + j];
      for (let k = 0; k < j; k++) s -= L[ri + k] * L[rj + k];
      L[ri + j] = s / L[rj + j];
    }
    let pivot = A[ri + i];
    for (let k = 0; k < i; k++) pivot -= L[ri + k] * L[ri + k];
    if (!(pivot > floor)) return undefined;
    L[ri + i] = Math.sqrt(pivot);
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
 */
export function invertLower(L: Float64Array, n: number): Float64Array {
  // Column j of L⁻¹ solves L·w = e_j by forward substitution (zero above row j); the columns are
  // built as contiguous rows of the transpose, so every inner loop reads memory in order.
  const T = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    const w = j * n;
    T[w + j] = 1 / L[j * n + j];
    for (let i = j + 1; i < n; i++) {
      const ri = i * n;
      let s = 0;
      for (let k = j; k < i; k++) s += L[ri + k] * T[w + k];
      T[w + i] = -s / L[ri + i];
    }
  }
  const W = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) W[i * n + j] = T[j * n + i];
  return W;
}
