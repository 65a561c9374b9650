import { test } from "node:test";
import assert from "node:assert/strict";
import { multiplyAAt, multiplyABt, multiplyABtJs, multiplyABtLower, transpose } from "./linalg.js";
import { multiplyABtWasm } from "./wasm.js";
import { Random } from "./random.js";

test("multiplyABt equals the naive product for every blocking remainder", () => {
  const rng = new Random(8);
  for (const [n, k, d] of [
    [1, 1, 1],
    [4, 4, 3],
    [7, 5, 9],
    [13, 8, 2],
  ]) {
    const A = Float64Array.from({ length: n * d }, () => rng.normal());
    const B = Float64Array.from({ length: k * d }, () => rng.normal());
    const out = multiplyABt(A, n, B, k, d);
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < k; c++) {
        let s = 0;
        for (let j = 0; j < d; j++) s += A[i * d + j] * B[c * d + j];
        assert.ok(Math.abs(out[i * k + c] - s) < 1e-12);
      }
    }
  }
});

test("transpose", () => {
  assert.deepEqual(
    Array.from(transpose(Float64Array.of(1, 2, 3, 4, 5, 6), 2, 3)),
    [1, 4, 2, 5, 3, 6],
  );
});

test("the SIMD kernel equals the JavaScript product to rounding, odd sizes included", () => {
  const rng = new Random(21);
  for (const [n, k, d] of [
    [1, 1, 1],
    [3, 5, 7],
    [64, 33, 65],
    [301, 17, 12],
  ]) {
    const A = Float64Array.from({ length: n * d }, () => rng.normal());
    const B = Float64Array.from({ length: k * d }, () => rng.normal());
    const js = multiplyABtJs(A, n, B, k, d);
    const wasm = multiplyABtWasm(A, n, B, k, d, new Float64Array(n * k));
    js.forEach((v, i) =>
      assert.ok(Math.abs(v - wasm[i]) <= 1e-12 * (1 + Math.abs(v)), `${v} vs ${wasm[i]}`),
    );
    const big = multiplyABt(A, n, B, k, d);
    assert.equal(big.length, n * k);
  }
});

test("a row without a partner gets the bits its products have in a pair of rows", () => {
  // An odd row count leaves one row to the single-row path (two of B's rows per step, lanes
  // combined by a shuffle); a pair of rows goes through the 2 × 4 blocks and plain dots.
  const rng = new Random(34);
  for (const d of [1, 2, 3, 4, 5, 8, 13]) {
    for (const k of [1, 2, 3, 7, 8, 9]) {
      const A = Float64Array.from({ length: 3 * d }, () => rng.normal());
      const B = Float64Array.from({ length: k * d }, () => rng.normal());
      const odd = multiplyABtWasm(A, 3, B, k, d, new Float64Array(3 * k));
      const last = A.subarray(2 * d);
      const twice = new Float64Array(2 * d);
      twice.set(last);
      twice.set(last, d);
      const paired = multiplyABtWasm(twice, 2, B, k, d, new Float64Array(2 * k));
      assertSameBits(odd.subarray(2 * k), paired.subarray(0, k), `d ${d}, k ${k}`);
    }
  }
});

test("products with very long rows are cut along the inner dimension and still exact", () => {
  const rng = new Random(5);
  const d = 9_000_001; // k·d above one chunk of kernel memory
  const A = Float64Array.from({ length: d }, () => rng.normal());
  const B = Float64Array.from({ length: d }, () => rng.normal());
  const [wasm] = multiplyABtWasm(A, 1, B, 1, d, new Float64Array(1));
  let s = 0;
  for (let j = 0; j < d; j++) s += A[j] * B[j];
  assert.ok(Math.abs(wasm - s) < 1e-8 * Math.sqrt(d), `${wasm} vs ${s}`);
});

/** Same bits, except that a zero may differ in sign (adding an exact ±0 term). */
function assertSameBits(actual: Float64Array, expected: Float64Array, what: string): void {
  assert.equal(actual.length, expected.length);
  for (let x = 0; x < expected.length; x++) {
    if (actual[x] !== expected[x])
      assert.fail(`${what}: entry ${x}: ${actual[x]} vs ${expected[x]}`);
  }
}

test("multiplyAAt gives multiplyABt(A, A)'s exact bits, on the kernel and in JavaScript", () => {
  const rng = new Random(34);
  // n × d: below and above the kernel's cut, even and odd, every remainder of the 2 × 4 blocks.
  for (const [n, d] of [
    [1, 1],
    [2, 3],
    [3, 100],
    [5, 61],
    [6, 7],
    [7, 300],
    [9, 2],
    [21, 187],
    [36, 200],
    [37, 201],
  ]) {
    const A = Float64Array.from({ length: n * d }, () => rng.normal());
    assertSameBits(multiplyAAt(A, n, d), multiplyABt(A, n, A, n, d), `${n} × ${d}`);
  }
});

test("multiplyABtLower gives multiplyABt's exact bits for a lower-triangular B", () => {
  const rng = new Random(35);
  for (const [n, k] of [
    [1, 1],
    [3, 2],
    [5, 16],
    [7, 17],
    [10, 21],
    [4, 22],
    [33, 36],
    [9, 100],
    [3, 101],
  ]) {
    const d = k;
    const A = Float64Array.from({ length: n * d }, () => rng.normal());
    const B = new Float64Array(k * d);
    for (let c = 0; c < k; c++) for (let j = 0; j <= c; j++) B[c * d + j] = rng.normal();
    assertSameBits(multiplyABtLower(A, n, B, k, d), multiplyABt(A, n, B, k, d), `${n} × ${k}`);
  }
});

test("multiplyABtJs sums every entry in feature order, the same bits as a plain loop, in blocks and tails", () => {
  const rng = new Random(11);
  for (const [n, d] of [
    [9, 274],
    [6, 3],
    [1, 5],
  ]) {
    const A = Float64Array.from({ length: n * d }, () => rng.normal());
    for (let k = 1; k <= 7; k++) {
      const B = Float64Array.from({ length: k * d }, () => rng.normal());
      const out = multiplyABtJs(A, n, B, k, d);
      for (let i = 0; i < n; i++)
        for (let c = 0; c < k; c++) {
          let plain = 0;
          for (let j = 0; j < d; j++) plain += A[i * d + j] * B[c * d + j];
          assert.equal(out[i * k + c], plain, `n ${n} d ${d} k ${k} entry ${i},${c}`);
        }
    }
  }
});
