import { test } from "node:test";
import assert from "node:assert/strict";
import { Arena, tanhInPlace } from "./nn-engine.js";
import { Random } from "./random.js";

/** Distance in units in the last place between two finite doubles of the same sign. */
function ulps(a: number, b: number): number {
  const view = new DataView(new ArrayBuffer(16));
  view.setFloat64(0, a);
  view.setFloat64(8, b);
  return Number(
    view.getBigInt64(0) > view.getBigInt64(8)
      ? view.getBigInt64(0) - view.getBigInt64(8)
      : view.getBigInt64(8) - view.getBigInt64(0),
  );
}

test("the kernel's tanh is within a few ulps of Math.tanh over the whole range", () => {
  const rng = new Random(1);
  const xs: number[] = [
    0, -0, 1e-300, -1e-300, 1e-9, 0.17, 0.3465, 0.35, 0.5, 1, 5, 19, 20, 25, 1e6,
  ];
  for (let i = 0; i < 20000; i++)
    xs.push((rng.float() - 0.5) * 2 * Math.pow(10, rng.uniform(-8, 1.5)));
  const values = Float64Array.from(xs);
  const got = tanhInPlace(values.slice());
  let worst = 0;
  for (let i = 0; i < values.length; i++) {
    const want = Math.tanh(values[i]);
    assert.ok(Object.is(Math.sign(got[i]), Math.sign(want)), `sign at ${values[i]}`);
    worst = Math.max(worst, ulps(got[i], want));
  }
  assert.ok(worst <= 4, `worst ${worst} ulps`);
  assert.deepEqual(Array.from(tanhInPlace(Float64Array.of(Infinity, -Infinity))), [1, -1]);
  assert.ok(Number.isNaN(tanhInPlace(Float64Array.of(NaN))[0]));
});

test("the kernel product equals the in-order sum for row-major and transposed operands", () => {
  const arena = new Arena();
  const rng = new Random(2);
  // Odd sizes exercise every tail of the 4 × 4 blocking.
  const m = 7;
  const K = 5;
  const n = 11;
  const aAt = arena.takeF64(m * K);
  const bAt = arena.takeF64(K * n);
  const biasAt = arena.takeF64(n);
  const cAt = arena.takeF64(m * n);
  arena.commit();
  const A = arena.f64(aAt, m * K);
  const B = arena.f64(bAt, K * n);
  const bias = arena.f64(biasAt, n);
  for (const v of [A, B, bias]) for (let i = 0; i < v.length; i++) v[i] = rng.normal();
  const expect = (aOf: (i: number, k: number) => number, withBias: boolean) => {
    const out = new Float64Array(m * n);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += aOf(i, k) * B[k * n + j];
        out[i * n + j] = withBias ? s + bias[j] : s;
      }
    }
    return Array.from(out);
  };
  arena.k.nnMatMul(aAt, K, 1, m, K, bAt, n, biasAt, cAt);
  assert.deepEqual(
    Array.from(arena.f64(cAt, m * n)),
    expect((i, k) => A[i * K + k], true),
  );
  // A read as the transpose of a K × m matrix.
  arena.k.nnMatMul(aAt, 1, m, m, K, bAt, n, 0, cAt);
  assert.deepEqual(
    Array.from(arena.f64(cAt, m * n)),
    expect((i, k) => A[k * m + i], false),
  );
});
