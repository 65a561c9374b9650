/**
 * Eigendecomposition of a real symmetric matrix: Householder reduction to tridiagonal form,
 * then the implicit QL algorithm with Wilkinson-style shifts (Golub & Van Loan, "Matrix
 * Computations", §8.3; the EISPACK routines tred2/tql2). Flat row-major Float64Arrays
 * throughout, working on the transposed eigenvector matrix so that inner loops and rotations run
 * along contiguous rows.
 */

export interface SymmetricEigen {
  /** Eigenvalues, ascending. */
  readonly values: Float64Array;
  /** Eigenvectors as rows: vector k is vectors[k*n, (k+1)*n), unit length. */
  readonly vectors: Float64Array;
}

/** Eigenvalues and eigenvectors of the symmetric n × n matrix A (row-major; only read). */
export function symmetricEigen(A: Float64Array, n: number): SymmetricEigen {
  if (A.length !== n * n)
    throw new RangeError(`symmetricEigen: ${A.length} values for ${n} × ${n}`);
  if (n === 0) return { values: new Float64Array(0), vectors: new Float64Array(0) };
  const W = Float64Array.from(A); // A is symmetric, so this is also Aᵀ
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  tridiagonalise(W, n, d, e);
  diagonalise(W, n, d, e);
  // Sort ascending, moving the eigenvector rows along.
  const order = Array.from({ length: n }, (_, k) => k).sort((a, b) => d[a] - d[b]);
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  order.forEach((src, k) => {
    values[k] = d[src];
    vectors.set(W.subarray(src * n, (src + 1) * n), k * n);
  });
  return { values, vectors };
}

/**
 * Householder reduction of T (holding A) to tridiagonal form: on return d is the diagonal,
 * e[1..n−1] the subdiagonal, and T the transpose of the orthogonal matrix Q of the accumulated
 * reflections (row i of T is column i of Q). Working on the transpose keeps every inner loop on
 * contiguous memory in row-major storage.
 */
function tridiagonalise(T: Float64Array, n: number, d: Float64Array, e: Float64Array): void {
  for (let j = 0; j < n; j++) d[j] = T[j * n + n - 1];
  for (let i = n - 1; i > 0; i--) {
    // Reflect row i onto its subdiagonal element; d[0..i) holds row i's leading part.
    let scale = 0;
    let h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]);
    if (scale === 0) {
      e[i] = d[i - 1];
      for (let j = 0; j < i; j++) {
        d[j] = T[j * n + i - 1];
        T[j * n + i] = 0;
        T[i * n + j] = 0;
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k] /= scale;
        h += d[k] * d[k];
      }
      let f = d[i - 1];
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      // e = A·u over the leading block, using its lower triangle (row j of T from j on).
      for (let j = 0; j < i; j++) {
        f = d[j];
        T[i * n + j] = f;
        const row = j * n;
        g = e[j] + T[row + j] * f;
        for (let k = j + 1; k < i; k++) {
          g += T[row + k] * d[k];
          e[k] += T[row + k] * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j] /= h;
        f += e[j] * d[j];
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j] -= hh * d[j];
      // Rank-two update of the lower triangle: A − u·eᵀ − e·uᵀ.
      for (let j = 0; j < i; j++) {
        f = d[j];
        g = e[j];
        const row = j * n;
        for (let k = j; k < i; k++) T[row + k] -= f * e[k] + g * d[k];
        d[j] = T[row + i - 1];
        T[row + i] = 0;
      }
    }
    d[i] = h;
  }
  // Accumulate the reflections.
  for (let i = 0; i < n - 1; i++) {
    T[i * n + n - 1] = T[i * n + i];
    T[i * n + i] = 1;
    const h = d[i + 1];
    const next = (i + 1) * n;
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = T[next + k] / h;
      for (let j = 0; j <= i; j++) {
        const row = j * n;
        let g = 0;
        for (let k = 0; k <= i; k++) g += T[next + k] * T[row + k];
        for (let k = 0; k <= i; k++) T[row + k] -= g * d[k];
      }
    }
    for (let k = 0; k <= i; k++) T[next + k] = 0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = T[j * n + n - 1];
    T[j * n + n - 1] = 0;
  }
  T[(n - 1) * n + n - 1] = 1;
  e[0] = 0;
}

/**
 * Implicit QL on the tridiagonal (d, e), applying each rotation to the rows of W (the transposed
 * reflection matrix), so W's rows end as the eigenvectors and d as the eigenvalues.
 */
function diagonalise(W: Float64Array, n: number, d: Float64Array, e: Float64Array): void {
  for (let i = 1; i < n; i++) e[i - 1] = e[i];
  e[n - 1] = 0;
  let shiftSum = 0;
  let norm = 0;
  const eps = Number.EPSILON;
  for (let l = 0; l < n; l++) {
    norm = Math.max(norm, Math.abs(d[l]) + Math.abs(e[l]));
    // Find the first negligible subdiagonal element at or after l.
    let m = l;
    while (m < n && Math.abs(e[m]) > eps * norm) m++;
    if (m > l) {
      let iterations = 0;
      do {
        if (++iterations > 60) throw new Error("symmetricEigen: QL iteration did not converge");
        // Shift from the leading 2 × 2 block.
        let g = d[l];
        let p = (d[l + 1] - g) / (2 * e[l]);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l] / (p + r);
        d[l + 1] = e[l] * (p + r);
        const dl1 = d[l + 1];
        let h = g - d[l];
        for (let i = l + 2; i < n; i++) d[i] -= h;
        shiftSum += h;
        // Chase the bulge from m back to l with Givens rotations.
        p = d[m];
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1];
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i];
          h = c * p;
          r = Math.hypot(p, e[i]);
          e[i + 1] = s * r;
          s = e[i] / r;
          c = p / r;
          p = c * d[i] - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]);
          const ri = i * n;
          const rj = ri + n;
          for (let k = 0; k < n; k++) {
            const wi = W[ri + k];
            const wj = W[rj + k];
            W[rj + k] = s * wi + c * wj;
            W[ri + k] = c * wi - s * wj;
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]) > eps * norm);
    }
    d[l] += shiftSum;
    e[l] = 0;
  }
}
