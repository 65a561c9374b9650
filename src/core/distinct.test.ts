import { test } from "node:test";
import assert from "node:assert/strict";
import { matrix } from "./matrix.js";
import { distinctRows, distinctRowsUpTo, expand } from "./distinct.js";

// Six rows, four distinct: rows 0, 2 and 5 are one row; −0 and 0 differ only by sign.
const X = matrix(6, 2, Float64Array.of(1, 2, 3, 4, 1, 2, 0, 5, -0, 5, 1, 2));

test("distinctRows keeps first appearances in order, counts them and maps every row back", () => {
  const d = distinctRows(X);
  assert.deepEqual(Array.from(d.X.data), [1, 2, 3, 4, 0, 5]);
  assert.deepEqual(Array.from(d.counts), [3, 1, 2]);
  assert.deepEqual(Array.from(d.inverse), [0, 1, 0, 2, 2, 0]);
  assert.deepEqual(
    Array.from(expand(Float64Array.of(10, 20, 30), d.inverse)),
    [10, 20, 10, 30, 30, 10],
  );
  const signed = distinctRows(X, true);
  assert.equal(signed.X.rows, 4);
  assert.ok(Object.is(signed.X.data[6], -0));
});

test("distinctRowsUpTo gives distinctRows' answer up to its limit, and nothing past it", () => {
  assert.deepEqual(distinctRowsUpTo(X, 4, true), distinctRows(X, true));
  assert.deepEqual(distinctRowsUpTo(X, 3), distinctRows(X));
  assert.equal(distinctRowsUpTo(X, 3, true), undefined);
  assert.equal(distinctRowsUpTo(X, 2), undefined);
});
