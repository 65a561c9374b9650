import { test } from "node:test";
import assert from "node:assert/strict";
import { Random } from "./random.js";
import {
  numbaArgsortTail,
  numbaArgsortTailSparse,
  numpyArgsortHead,
  numpyDistance,
} from "./replay-sort.js";

const identity = (n: number): Int32Array => Int32Array.from({ length: n }, (_, i) => i);

test("numpyDistance sums squares pairwise, as NumPy: in blocks of 8, not one after another", () => {
  // Squares 1e16 and eight 1s. One after another each 1 is rounded away (1e16 + 1 → 1e16);
  // NumPy adds the first eight in eight partial sums, ((1e16 + 1) + (1 + 1)) + ((1 + 1) + (1 + 1))
  // = 1e16 + 6, then the ninth: 1e16 + 7 is a tie between neighbours 1e16 + 6 and 1e16 + 8
  // and goes to the even one.
  const a = new Float64Array(9);
  const b = Float64Array.of(1e8, 1, 1, 1, 1, 1, 1, 1, 1);
  assert.equal(numpyDistance(a, 0, b, 0, 9), Math.sqrt(1e16 + 8));
  assert.notEqual(Math.sqrt(1e16 + 8), 1e8);
  // Below 8 terms NumPy adds in order.
  assert.equal(numpyDistance(a, 0, Float64Array.of(3, 4), 0, 2), 5);
});

test("numpyDistance agrees with the plain formula to rounding, at any width", () => {
  const rng = new Random(2);
  for (const d of [1, 7, 8, 9, 64, 130, 300]) {
    const a = Float64Array.from({ length: d }, () => rng.normal());
    const b = Float64Array.from({ length: d }, () => rng.normal());
    let s = 0;
    for (let j = 0; j < d; j++) s += (a[j] - b[j]) ** 2;
    const plain = Math.sqrt(s);
    assert.ok(Math.abs(numpyDistance(a, 0, b, 0, d) - plain) <= 1e-14 * plain, `d = ${d}`);
  }
});

test("numpyArgsortHead: 17 equal values in the order NumPy's partition leaves them", () => {
  // Worked by hand from NumPy's introsort: the median-of-three pivot (position 8) is parked at
  // 15, the scans swap 1↔14, 2↔13, …, 7↔8, the pivot returns to 8, and both halves (≤ 16
  // values) are insertion-sorted, which keeps equal values where they are.
  const order = identity(17);
  numpyArgsortHead(new Float64Array(17), order, 17);
  assert.deepEqual(Array.from(order), [0, 14, 13, 12, 11, 10, 9, 15, 8, 6, 5, 4, 3, 2, 1, 7, 16]);
  // Up to 16 values it is an insertion sort, hence stable.
  const small = identity(16);
  numpyArgsortHead(Float64Array.of(2, 1, 2, 1, 0, 2, 1, 0, 0, 2, 1, 1, 0, 2, 2, 1), small, 16);
  assert.deepEqual(Array.from(small), [4, 7, 8, 12, 1, 3, 6, 10, 11, 15, 0, 2, 5, 9, 13, 14]);
});

test("numpyArgsortHead sorts, and its head is the full sort's head", () => {
  const rng = new Random(4);
  for (const n of [1, 2, 40, 500, 3000]) {
    const values = Float64Array.from({ length: n }, () => rng.int(7));
    const full = identity(n);
    numpyArgsortHead(values, full, n);
    for (let i = 1; i < n; i++) assert.ok(values[full[i - 1]] <= values[full[i]]);
    for (const count of [1, 5, 21]) {
      const head = identity(n);
      numpyArgsortHead(values, head, count);
      const m = Math.min(count, n);
      assert.deepEqual(Array.from(head.subarray(0, m)), Array.from(full.subarray(0, m)));
    }
  }
});

test("numbaArgsortTail: 16 equal values in the order Numba's partition leaves them", () => {
  // Worked by hand from Numba's quicksort: the pivot (position 7) is parked at the end, the
  // scans swap 0↔14, 1↔13, …, 6↔8, the pivot returns to 7; both halves are insertion-sorted.
  const order = identity(16);
  numbaArgsortTail(new Int32Array(16), order, 0);
  assert.deepEqual(Array.from(order), [14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 15]);
  const tail = identity(16);
  numbaArgsortTail(new Int32Array(16), tail, 12);
  assert.deepEqual(Array.from(tail.subarray(12)), [2, 1, 0, 15]);
});

test("numbaArgsortTail sorts, and its tail is the full sort's tail", () => {
  const rng = new Random(5);
  for (const n of [1, 2, 40, 500, 3000]) {
    const values = Int32Array.from({ length: n }, () => rng.int(5));
    const full = identity(n);
    numbaArgsortTail(values, full, 0);
    for (let i = 1; i < n; i++) assert.ok(values[full[i - 1]] <= values[full[i]]);
    for (const from of [n - 1, n - 11, n - 30]) {
      if (from < 0) continue;
      const tail = identity(n);
      numbaArgsortTail(values, tail, from);
      assert.deepEqual(Array.from(tail.subarray(from)), Array.from(full.subarray(from)));
    }
  }
});

test("numbaArgsortTailSparse gives the dense replay's tail, in a fraction of the work", () => {
  const rng = new Random(6);
  for (let trial = 0; trial < 300; trial++) {
    const n = 20 + rng.int(3000);
    const m = 1 + rng.int(Math.min(n, trial % 3 === 0 ? n : 200));
    const values = new Int32Array(n);
    for (let c = 0; c < m; c++) values[rng.int(n)] = 1 + rng.int(trial % 2 === 0 ? 3 : 20);
    const rows = Int32Array.from(values.keys()).filter((j) => values[j] > 0);
    const from = n - 1 - rng.int(Math.min(rows.length, 12));
    const dense = identity(n);
    numbaArgsortTail(values, dense, from);
    const out = new Int32Array(n - from);
    const done = numbaArgsortTailSparse(
      n,
      rows,
      Int32Array.from(rows, (j) => values[j]),
      from,
      out,
    );
    assert.ok(done, `trial ${trial}`);
    assert.deepEqual(Array.from(out), Array.from(dense.subarray(from)), `trial ${trial}`);
  }
  const none = new Int32Array(3);
  assert.equal(numbaArgsortTailSparse(50, Int32Array.of(4), Int32Array.of(1), 47, none), false);
});
