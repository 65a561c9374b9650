import { test } from "node:test";
import assert from "node:assert/strict";
import { labelReport, rankingKey } from "./evaluate.js";

test("the ranking key orders by rank, then by score within a rank", () => {
  const key = rankingKey(Int32Array.from([2, 1, 2, 0]), Float64Array.from([0.5, 1, 0.9, 0.99]));
  const order = [0, 1, 2, 3].sort((a, b) => key[b] - key[a]);
  assert.deepEqual(order, [2, 0, 1, 3]);
});

test("a ranking that puts every anomaly first scores 1; per detector too", () => {
  const labels = Uint8Array.from([0, 1, 0, 1, 0]);
  const r = labelReport(
    "label",
    labels,
    Int32Array.from([0, 2, 0, 1, 0]),
    Float64Array.from([0.1, 0.9, 0.2, 0.8, 0.3]),
    ["a"],
    [Float64Array.from([1, 5, 2, 4, 3])],
  );
  assert.equal(r.positives, 2);
  assert.equal(r.rocAuc, 1);
  assert.equal(r.averagePrecision, 1);
  assert.equal(r.precisionAtN, 1);
  assert.equal(r.perDetector.a.rocAuc, 1);
});
