import { test } from "node:test";
import assert from "node:assert/strict";
import { argsortFloat64 } from "./sort.js";
import { Random } from "./random.js";

function check(values: Float64Array): void {
  const order = argsortFloat64(values);
  // Reference: a comparator sort of (value, index); −0 and +0 are equal values whose relative
  // order is unspecified, so compare with zeros' signs erased.
  const reference = Array.from({ length: values.length }, (_, i) => i).sort((a, b) =>
    values[a] < values[b] ? -1 : values[a] > values[b] ? 1 : a - b,
  );
  const plain = (i: number): number => (values[i] === 0 ? 0 : values[i]);
  assert.deepEqual(Array.from(order, plain), reference.map(plain));
  for (let i = 1; i < order.length; i++) {
    if (values[order[i]] === values[order[i - 1]] && values[order[i]] !== 0)
      assert.ok(order[i - 1] < order[i], "stable");
  }
  assert.equal(order.length, values.length);
  assert.equal(new Set(order).size, values.length);
  for (let i = 1; i < order.length; i++) {
    const a = values[order[i - 1]];
    const b = values[order[i]];
    assert.ok(
      a < b || (a === b && order[i - 1] < order[i]) || (Object.is(a, -0) && b === 0),
      `${a} then ${b}`,
    );
  }
}

test("argsort orders negatives, zeros, ties and extremes, stably", () => {
  check(Float64Array.of(3, -1, 0, -0, 2, -1e300, 1e-300, -1e-300, Infinity, -Infinity, 3, 3));
  const rng = new Random(4);
  for (const n of [0, 1, 5, 64, 65, 1000, 50_000]) {
    check(
      Float64Array.from({ length: n }, () =>
        rng.float() < 0.3 ? Math.round(rng.normal() * 3) : rng.normal() * 1e6,
      ),
    );
  }
});

test("argsort on a subarray view reads the right values", () => {
  const base = Float64Array.of(9, 9, 3, 1, 2, 9);
  assert.deepEqual(Array.from(argsortFloat64(base.subarray(2, 5))), [1, 2, 0]);
});
