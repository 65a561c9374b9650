import { test } from "node:test";
import assert from "node:assert/strict";
import { Random } from "./random.js";

test("same seed, same stream; different seeds differ", () => {
  const a = new Random(42);
  const b = new Random(42);
  const c = new Random(43);
  const xa = Array.from({ length: 5 }, () => a.uint32());
  assert.deepEqual(
    xa,
    Array.from({ length: 5 }, () => b.uint32()),
  );
  assert.notDeepEqual(
    xa,
    Array.from({ length: 5 }, () => c.uint32()),
  );
});

test("float is uniform in [0, 1)", () => {
  const r = new Random(1);
  let sum = 0;
  for (let i = 0; i < 100_000; i++) {
    const v = r.float();
    assert.ok(v >= 0 && v < 1);
    sum += v;
  }
  assert.ok(Math.abs(sum / 100_000 - 0.5) < 0.005);
});

test("int(n) covers [0, n) evenly", () => {
  const r = new Random(7);
  const counts = new Array<number>(6).fill(0);
  for (let i = 0; i < 60_000; i++) counts[r.int(6)]++;
  for (const c of counts) assert.ok(Math.abs(c - 10_000) < 400, `count ${c}`);
  assert.throws(() => r.int(0), RangeError);
});

test("sample draws distinct indices in both regimes", () => {
  const r = new Random(3);
  for (const [n, k] of [
    [1000, 10],
    [20, 15],
    [5, 5],
  ]) {
    const s = r.sample(n, k);
    assert.equal(s.length, k);
    assert.equal(new Set(s).size, k);
    for (const v of s) assert.ok(v >= 0 && v < n);
  }
  assert.throws(() => r.sample(3, 4), RangeError);
});

test("normal draws have mean 0 and variance 1", () => {
  const r = new Random(11);
  let s = 0;
  let s2 = 0;
  const n = 100_000;
  for (let i = 0; i < n; i++) {
    const v = r.normal();
    s += v;
    s2 += v * v;
  }
  assert.ok(Math.abs(s / n) < 0.02);
  assert.ok(Math.abs(s2 / n - 1) < 0.02);
});

test("fillUint32 continues the same stream as uint32", () => {
  const a = new Random(77);
  const b = new Random(77);
  a.uint32();
  b.uint32();
  const bulk = a.fillUint32(new Uint32Array(9));
  assert.deepEqual(
    Array.from(bulk),
    Array.from({ length: 9 }, () => b.uint32()),
  );
  assert.equal(a.uint32(), b.uint32());
});

test("fillNormal continues the same stream as normal, spare value included", () => {
  const a = new Random(78);
  const b = new Random(78);
  a.normal();
  b.normal();
  const bulk = a.fillNormal(new Float64Array(8), 1, 6);
  assert.deepEqual(Array.from(bulk), [0, ...Array.from({ length: 5 }, () => b.normal()), 0, 0]);
  assert.equal(a.normal(), b.normal());
  assert.equal(a.uint32(), b.uint32());
});
