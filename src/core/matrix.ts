import { DataError, ShapeError } from "./errors.js";

/** A dense row-major matrix of doubles: element (i, j) is `data[i * cols + j]`. */
export interface Matrix {
  readonly data: Float64Array;
  readonly rows: number;
  readonly cols: number;
}

export function matrix(rows: number, cols: number, data?: Float64Array): Matrix {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0) {
    throw new ShapeError(`matrix shape must be non-negative integers, got ${rows} × ${cols}`);
  }
  const values = data ?? new Float64Array(rows * cols);
  if (values.length !== rows * cols) {
    throw new ShapeError(
      `matrix ${rows} × ${cols} needs ${rows * cols} values, got ${values.length}`,
    );
  }
  // Shapes are stored as small integers: a row count that arrives as a double (DuckDB's counts
  // do) would otherwise turn every matrix's `rows` into a boxed double for the rest of the
  // process, and code optimised for small integers is thrown away (deoptimised) the first time
  // it meets one (measured: cd's first fits on breastw 20-45 ms instead of 0.5 ms).
  return { data: values, rows: smallInteger(rows), cols: smallInteger(cols) };
}

/** n itself, as a small integer (V8's Smi) when it fits one. */
function smallInteger(n: number): number {
  return n < 0x40000000 ? n | 0 : n;
}

/** Builds a matrix from nested arrays (tests and small inputs; not for hot paths). */
export function fromRows(rows: readonly (readonly number[])[]): Matrix {
  const cols = rows.length > 0 ? rows[0].length : 0;
  const out = new Float64Array(rows.length * cols);
  rows.forEach((row, i) => {
    if (row.length !== cols) {
      throw new ShapeError(`row ${i} has ${row.length} values, expected ${cols}`);
    }
    out.set(row, i * cols);
  });
  return matrix(rows.length, cols, out);
}

/** A new matrix holding the given rows of X, in the given order. */
export function takeRows(X: Matrix, indices: ArrayLike<number>): Matrix {
  const { cols } = X;
  const out = new Float64Array(indices.length * cols);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k];
    if (!(i >= 0 && i < X.rows))
      throw new ShapeError(`row index ${i} out of range 0..${X.rows - 1}`);
    out.set(X.data.subarray(i * cols, (i + 1) * cols), k * cols);
  }
  return matrix(indices.length, cols, out);
}

/** Throws unless every value is finite, naming the first bad cell. */
export function assertFinite(X: Matrix, what = "input"): void {
  const { data, cols } = X;
  // Fast pass without a branch per value: v·0 is 0 for a finite v and NaN for ±∞ or NaN, so the
  // sums stay 0 unless some value is not finite (several sums so they run side by side).
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let k = 0;
  for (; k + 4 <= data.length; k += 4) {
    s0 += data[k] * 0;
    s1 += data[k + 1] * 0;
    s2 += data[k + 2] * 0;
    s3 += data[k + 3] * 0;
  }
  for (; k < data.length; k++) s0 += data[k] * 0;
  if (s0 + s1 + s2 + s3 === 0) return;
  for (let k = 0; k < data.length; k++) {
    if (!Number.isFinite(data[k])) {
      const i = Math.floor(k / cols);
      throw new DataError(
        `${what} has a non-finite value (${data[k]}) at row ${i}, feature ${k - i * cols}; ` +
          "impute or drop it before fitting or scoring",
      );
    }
  }
}
