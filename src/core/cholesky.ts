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
      L[ri + j] = (A[ri + j] - dot(L, ri, L, rj, j)) / L[rj + j];
    }
    const pivot = A[ri + i] - dot(L, ri, L, ri, i);
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
