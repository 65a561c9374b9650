import { test } from "node:test";
import assert from "node:assert/strict";
import { kernelExp } from "./kernel-exp.js";
import { multiplyABtWasm, rbfKernelWasm } from "./wasm.js";
import { Random } from "./random.js";

/** Distance in units in the last place between two positive doubles. */
function ulps(a: number, b: number): number {
  const view = new DataView(new ArrayBuffer(16));
  view.setFloat64(0, a);
  view.setFloat64(8, b);
  return Number(view.getBigInt64(0) - view.getBigInt64(8));
}

test("kernelExp is within 2 ulps of Math.exp down to −708, 0 below", () => {
  const rng = new Random(1);
  let worst = 0;
  for (let k = 0; k < 200_000; k++) {
    const x = k % 2 === 0 ? -rng.float() * 708 : -rng.float() * 5;
    worst = Math.max(worst, Math.abs(ulps(kernelExp(x), Math.exp(x))));
  }
  assert.ok(worst <= 2, `${worst} ulps`);
  for (const x of [0, -0, 1e-300, -1e-300, 1e-9, 0.5, 1, 3]) {
    assert.ok(Math.abs(ulps(kernelExp(x), Math.exp(x))) <= 2, `x = ${x}`);
  }
  assert.equal(kernelExp(0), 1);
  assert.equal(kernelExp(-709), 0);
  assert.equal(kernelExp(-Infinity), 0);
});

test("the SIMD RBF kernel gives kernelExp's bits, in pairs, fours and odd tails alike", () => {
  const rng = new Random(2);
  for (const [n, k, d] of [
    [3, 7, 5],
    [5, 4, 2],
    [2, 1, 3],
    [4, 10, 33],
  ]) {
    const A = Float64Array.from({ length: n * d }, () => rng.normal());
    const B = Float64Array.from({ length: k * d }, () => rng.normal());
    const sq = (M: Float64Array, rows: number): Float64Array =>
      Float64Array.from({ length: rows }, (_, i) => {
        let s = 0;
        for (let j = 0; j < d; j++) s += M[i * d + j] ** 2;
        return s;
      });
    const aSq = sq(A, n);
    const bSq = sq(B, k);
    const dots = multiplyABtWasm(A, n, B, k, d, new Float64Array(n * k));
    for (const clip of [false, true]) {
      const got = rbfKernelWasm(A, n, B, k, d, aSq, bSq, 0.3, clip);
      for (let i = 0; i < n; i++) {
        for (let c = 0; c < k; c++) {
          let s = aSq[i] + bSq[c] - 2 * dots[i * k + c];
          if (clip) s = Math.max(s, 0);
          assert.equal(got[i * k + c], kernelExp(-0.3 * s), `row ${i}, column ${c}`);
          let direct = 0;
          for (let j = 0; j < d; j++) direct += (A[i * d + j] - B[c * d + j]) ** 2;
          assert.ok(Math.abs(got[i * k + c] - Math.exp(-0.3 * direct)) <= 1e-13);
        }
      }
      // A row's values do not depend on its batch.
      const alone = rbfKernelWasm(
        A.subarray(d, 2 * d),
        1,
        B,
        k,
        d,
        aSq.subarray(1, 2),
        bSq,
        0.3,
        clip,
      );
      assert.deepEqual(Array.from(alone), Array.from(got.subarray(k, 2 * k)));
    }
  }
});
