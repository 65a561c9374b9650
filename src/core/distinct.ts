/**
 * The distinct rows of a matrix and how many times each occurs: category-coded logs repeat the
 * same feature rows thousands of times, and work that depends on a row's values alone can be done
 * once per distinct row (src/hunt/dedupe.ts, src/core/kmeans.ts).
 */
import { matrix, type Matrix } from "./matrix.js";

export interface DistinctRows {
  /** Each distinct row once, in order of first appearance. */
  readonly X: Matrix;
  /** How many input rows equal each distinct row. */
  readonly counts: Int32Array;
  /** For each input row, the index of its distinct row. */
  readonly inverse: Int32Array;
}

/**
 * The distinct rows of X (equal as numbers: 0 and −0 are one value, unless `signedZeros`, which
 * keeps rows that differ only in a zero's sign apart: then a distinct row is every one of its
 * rows to the bit), by hashing each row's bits into an open-addressing table of typed arrays (no
 * per-row objects).
 */
export function distinctRows(X: Matrix, signedZeros = false): DistinctRows {
  const { found, firstRow, counts, inverse } = hashRows(X, signedZeros);
  return {
    X: copyRows(X, firstRow, found),
    counts: counts.slice(0, found),
    inverse,
  };
}

/**
 * distinctRows, or undefined when more than `most` rows are distinct: callers that only use the
 * distinct rows when rows repeat enough pay otherwise only for hashing rows until the limit is
 * passed, not for the rest nor for a copy of nearly every row (80 MB at a million rows of ten
 * features).
 */
export function distinctRowsUpTo(
  X: Matrix,
  most: number,
  signedZeros = false,
): DistinctRows | undefined {
  const hashed = hashRows(X, signedZeros, most);
  if (hashed === undefined) return undefined;
  const { found, firstRow, counts, inverse } = hashed;
  return { X: copyRows(X, firstRow, found), counts: counts.slice(0, found), inverse };
}

interface HashedRows {
  readonly found: number;
  readonly firstRow: Int32Array;
  readonly counts: Int32Array;
  readonly inverse: Int32Array;
}

/**
 * The hashing of distinctRows: how many distinct rows, the first input row and the count of
 * each, and each input row's distinct row; undefined as soon as more than `most` rows are
 * distinct (the rest are not hashed).
 */
function hashRows(X: Matrix, signedZeros: boolean): HashedRows;
function hashRows(X: Matrix, signedZeros: boolean, most: number): HashedRows | undefined;
function hashRows(X: Matrix, signedZeros: boolean, most = Infinity): HashedRows | undefined {
  const zero = signedZeros ? -0 : 0; // x + −0 is x for every x, so −0 stays −0
  const { rows, cols, data } = X;
  const bits = new Uint32Array(2);
  const f = new Float64Array(bits.buffer);
  let size = 16;
  while (size < rows * 2) size *= 2;
  const table = new Int32Array(size).fill(-1); // slot -> first input row of a distinct row
  const slotDistinct = new Int32Array(size);
  const inverse = new Int32Array(rows);
  // The first input row of each distinct row, and its count (at most `rows` distinct rows).
  const firstRow = new Int32Array(rows);
  const counts = new Int32Array(rows);
  let found = 0;
  for (let i = 0; i < rows; i++) {
    const base = i * cols;
    let h = 0x811c9dc5;
    for (let j = 0; j < cols; j++) {
      f[0] = data[base + j] + zero; // −0 + 0 = +0 (one value); −0 + −0 = −0 (signed zeros)
      h = Math.imul(h ^ bits[0], 0x01000193);
      h = Math.imul(h ^ bits[1], 0x01000193);
    }
    // Mixed before the low bits pick a slot (MurmurHash3's fmix32): small whole numbers have
    // all-zero low words and low bits in the high word, so unmixed rows crowd a few slots.
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    h ^= h >>> 16;
    let slot = (h >>> 0) & (size - 1);
    for (;;) {
      const r = table[slot];
      if (r < 0) {
        table[slot] = i;
        slotDistinct[slot] = found;
        inverse[i] = found;
        firstRow[found] = i;
        counts[found++] = 1;
        if (found > most) return undefined;
        break;
      }
      let same = true;
      for (let j = 0; j < cols && same; j++) {
        const a = data[r * cols + j];
        const b = data[base + j];
        same = a === b && (!signedZeros || a !== 0 || 1 / a === 1 / b);
      }
      if (same) {
        const d = slotDistinct[slot];
        inverse[i] = d;
        counts[d]++;
        break;
      }
      slot = (slot + 1) & (size - 1);
    }
  }
  return { found, firstRow, counts, inverse };
}

/** Rows firstRow[0 .. count) of X, element by element (a view per row costs more than its copy). */
function copyRows(X: Matrix, firstRow: Int32Array, count: number): Matrix {
  const { cols, data } = X;
  const out = new Float64Array(count * cols);
  for (let r = 0; r < count; r++)
    for (let j = 0, from = firstRow[r] * cols; j < cols; j++) out[r * cols + j] = data[from + j];
  return matrix(count, cols, out);
}

/** Per-distinct-row values spread back to every input row (`inverse` of distinctRows). */
export function expand(values: Float64Array, inverse: Int32Array): Float64Array {
  const out = new Float64Array(inverse.length);
  for (let i = 0; i < inverse.length; i++) out[i] = values[inverse[i]];
  return out;
}
