import { test } from "node:test";
import assert from "node:assert/strict";
import { assertFinite, matrix } from "./matrix.js";
import { DataError } from "./errors.js";

test("assertFinite passes finite data and names the first non-finite cell, wherever it is", () => {
  const rows = 5;
  const cols = 3; // 15 values: the four-wide fast pass and its remainder both covered
  assert.doesNotThrow(() =>
    assertFinite(
      matrix(
        rows,
        cols,
        Float64Array.from({ length: 15 }, (_, k) => k - 7.5),
      ),
    ),
  );
  for (const bad of [NaN, Infinity, -Infinity]) {
    for (const at of [0, 6, 13, 14]) {
      const data = Float64Array.from({ length: 15 }, (_, k) => k);
      data[at] = bad;
      if (at < 14) data[14] = NaN; // a later bad value must not be the one named
      assert.throws(
        () => assertFinite(matrix(rows, cols, data), "training data"),
        (e: unknown) =>
          e instanceof DataError &&
          e.message.includes(`(${bad}) at row ${Math.floor(at / cols)}, feature ${at % cols}`),
      );
    }
  }
});
