/**
 * Dense kernels on row-major Float64Arrays. The products are register-blocked (4 rows of A by
 * 4 rows of B at a time: 16 independent sums, each loaded value used four times), which is
 * several times faster in V8 than the naive triple loop and keeps summation in index order
 * within each dot product.
 */

import { multiplyAAtWasm, multiplyABtLowerWasm, multiplyABtWasm } from "./wasm.js";

/**
 * Products with fewer than this many multiply-adds per row of A stay in JavaScript. The choice
 * depends on the shape of B only, never on the number of rows, so a row's result does not
 * depend on how many rows come with it (the kernels round differently).
 */
const WASM_MIN_ROW_WORK = 256;

/**
 * out (n × k) = A (n × d) · Bᵀ, with B given as k × d: out[i][c] = A_i · B_c. Large products run
 * on the WebAssembly SIMD kernel, small ones in JavaScript.
 */
export function multiplyABt(
  A: Float64Array,
  n: number,
  B: Float64Array,
  k: number,
  d: number,
  out = new Float64Array(n * k),
): Float64Array {
  if (k * d >= WASM_MIN_ROW_WORK) return multiplyABtWasm(A, n, B, k, d, out);
  return multiplyABtJs(A, n, B, k, d, out);
}

/**
 * A (n × d) · Aᵀ: multiplyABt(A, n, A, n, d)'s exact results, from half the products on the
 * kernel (the other half mirrored). For scatter matrices of centred rows.
 */
export function multiplyAAt(
  A: Float64Array,
  n: number,
  d: number,
  out = new Float64Array(n * n),
): Float64Array {
  if (n * d >= WASM_MIN_ROW_WORK) return multiplyAAtWasm(A, n, d, out);
  return multiplyABtJs(A, n, A, n, d, out);
}

/**
 * A (n × d) · Bᵀ for B (k × d) lower triangular (B[c][j] = 0 for j > c: an inverse Cholesky
 * factor): multiplyABt's exact results, the kernel skipping the zeros (about half the work).
 */
export function multiplyABtLower(
  A: Float64Array,
  n: number,
  B: Float64Array,
  k: number,
  d: number,
  out = new Float64Array(n * k),
): Float64Array {
  if (k * d >= WASM_MIN_ROW_WORK) return multiplyABtLowerWasm(A, n, B, k, d, out);
  return multiplyABtJs(A, n, B, k, d, out);
}

/** The JavaScript product (reference for the kernel's tests, and small sizes). */
export function multiplyABtJs(
  A: Float64Array,
  n: number,
  B: Float64Array,
  k: number,
  d: number,
  out = new Float64Array(n * k),
): Float64Array {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const a0 = i * d;
    const a1 = a0 + d;
    const a2 = a1 + d;
    const a3 = a2 + d;
    let c = 0;
    for (; c + 4 <= k; c += 4) {
      const b0 = c * d;
      const b1 = b0 + d;
      const b2 = b1 + d;
      const b3 = b2 + d;
      let s00 = 0,
        s01 = 0,
        s02 = 0,
        s03 = 0;
      let s10 = 0,
        s11 = 0,
        s12 = 0,
        s13 = 0;
      let s20 = 0,
        s21 = 0,
        s22 = 0,
        s23 = 0;
      let s30 = 0,
        s31 = 0,
        s32 = 0,
        s33 = 0;
      for (let j = 0; j < d; j++) {
        const x0 = A[a0 + j];
        const x1 = A[a1 + j];
        const x2 = A[a2 + j];
        const x3 = A[a3 + j];
        const y0 = B[b0 + j];
        const y1 = B[b1 + j];
        const y2 = B[b2 + j];
        const y3 = B[b3 + j];
        s00 += x0 * y0;
        s01 += x0 * y1;
        s02 += x0 * y2;
        s03 += x0 * y3;
        s10 += x1 * y0;
        s11 += x1 * y1;
        s12 += x1 * y2;
        s13 += x1 * y3;
        s20 += x2 * y0;
        s21 += x2 * y1;
        s22 += x2 * y2;
        s23 += x2 * y3;
        s30 += x3 * y0;
        s31 += x3 * y1;
        s32 += x3 * y2;
        s33 += x3 * y3;
      }
      const o0 = i * k + c;
      const o1 = o0 + k;
      const o2 = o1 + k;
      const o3 = o2 + k;
      out[o0] = s00;
      out[o0 + 1] = s01;
      out[o0 + 2] = s02;
      out[o0 + 3] = s03;
      out[o1] = s10;
      out[o1 + 1] = s11;
      out[o1 + 2] = s12;
      out[o1 + 3] = s13;
      out[o2] = s20;
      out[o2 + 1] = s21;
      out[o2 + 2] = s22;
      out[o2 + 3] = s23;
      out[o3] = s30;
      out[o3 + 1] = s31;
      out[o3 + 2] = s32;
      out[o3 + 3] = s33;
    }
    // The last columns one at a time, still four rows at once: independent sums the processor
    // overlaps, each in j order as dot() sums it (same bits).
    for (; c < k; c++) {
      const b = c * d;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let j = 0; j < d; j++) {
        const y = B[b + j];
        s0 += A[a0 + j] * y;
        s1 += A[a1 + j] * y;
        s2 += A[a2 + j] * y;
        s3 += A[a3 + j] * y;
      }
      out[i * k + c] = s0;
      out[(i + 1) * k + c] = s1;
      out[(i + 2) * k + c] = s2;
      out[(i + 3) * k + c] = s3;
    }
  }
  for (; i < n; i++) {
    for (let c = 0; c < k; c++) out[i * k + c] = dot(A, i * d, B, c * d, d);
  }
  return out;
}

function dot(A: Float64Array, a: number, B: Float64Array, b: number, d: number): number {
  let s = 0;
  for (let j = 0; j < d; j++) s += A[a + j] * B[b + j];
  return s;
}

/** Squared Euclidean distance between the d values at a[aAt..] and b[bAt..], summed in order. */
export function squaredDistance(
  a: Float64Array,
  aAt: number,
  b: Float64Array,
  bAt: number,
  d: number,
): number {
  let s = 0;
  for (let j = 0; j < d; j++) {
    const diff = a[aAt + j] - b[bAt + j];
    s += diff * diff;
  }
  return s;
}

/** The transpose of a rows × cols row-major matrix. */
export function transpose(A: Float64Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  // Blocked so both the reads and the writes stay within a few cache lines at a time.
  const B = 32;
  for (let i0 = 0; i0 < rows; i0 += B) {
    const i1 = Math.min(rows, i0 + B);
    for (let j0 = 0; j0 < cols; j0 += B) {
      const j1 = Math.min(cols, j0 + B);
      for (let i = i0; i < i1; i++)
        for (let j = j0; j < j1; j++) out[j * rows + i] = A[i * cols + j];
    }
  }
  return out;
}

/**
 * out[i] = Σ_c weight_c (y_ic − shift_c)², summed in c order, four rows at a time: independent
 * sums that the processor overlaps (one row's sum waits on each addition in turn), each in the
 * same order as alone, so the same bits.
 */
export function weightedSquaredDistances(
  y: Float64Array,
  n: number,
  k: number,
  shift: Float64Array,
  weight: Float64Array,
  out: Float64Array,
): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const r0 = i * k;
    const r1 = r0 + k;
    const r2 = r1 + k;
    const r3 = r2 + k;
    let sum0 = 0;
    let sum1 = 0;
    let sum2 = 0;
    let sum3 = 0;
    for (let c = 0; c < k; c++) {
      const s = shift[c];
      const w = weight[c];
      const v0 = y[r0 + c] - s;
      const v1 = y[r1 + c] - s;
      const v2 = y[r2 + c] - s;
      const v3 = y[r3 + c] - s;
      sum0 += w * v0 * v0;
      sum1 += w * v1 * v1;
      sum2 += w * v2 * v2;
      sum3 += w * v3 * v3;
    }
    out[i] = sum0;
    out[i + 1] = sum1;
    out[i + 2] = sum2;
    out[i + 3] = sum3;
  }
  for (; i < n; i++) {
    const row = i * k;
    let sum = 0;
    for (let c = 0; c < k; c++) {
      const v = y[row + c] - shift[c];
      sum += weight[c] * v * v;
    }
    out[i] = sum;
  }
}
