import { test } from "node:test";
import assert from "node:assert/strict";
import { matrix, type Matrix } from "./matrix.js";
import { kNearest } from "./neighbors.js";
import { Random } from "./random.js";

/** Reference answer: every distance computed, sorted by (distance, index). */
function naive(R: Matrix, k: number, Q?: Matrix): { distances: number[]; indices: number[] } {
  const self = Q === undefined;
  const queries = Q ?? R;
  const distances: number[] = [];
  const indices: number[] = [];
  for (let i = 0; i < queries.rows; i++) {
    const all: [number, number][] = [];
    for (let r = 0; r < R.rows; r++) {
      if (self && r === i) continue;
      let s = 0;
      for (let j = 0; j < R.cols; j++)
        s += (queries.data[i * R.cols + j] - R.data[r * R.cols + j]) ** 2;
      all.push([Math.sqrt(s), r]);
    }
    all.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    for (const [dist, r] of all.slice(0, k)) {
      distances.push(dist);
      indices.push(r);
    }
  }
  return { distances, indices };
}

function randomMatrix(rows: number, cols: number, rng: Random, duplicates: boolean): Matrix {
  const data = new Float64Array(rows * cols);
  for (let i = 0; i < data.length; i++)
    data[i] = duplicates ? Math.round(rng.normal() * 2) : rng.normal();
  return matrix(rows, cols, data);
}

for (const [cols, label] of [
  [3, "KD-tree"],
  [24, "brute force"],
]) {
  test(`${label}: same neighbours as computing every distance (random and tied data)`, () => {
    const rng = new Random(cols as number);
    for (const duplicates of [false, true]) {
      const R = randomMatrix(700, cols as number, rng, duplicates);
      const Q = randomMatrix(50, cols as number, rng, duplicates);
      for (const k of [1, 7]) {
        const self = kNearest(R, k);
        const expected = naive(R, k);
        assert.deepEqual(Array.from(self.indices), expected.indices);
        self.distances.forEach((v, i) =>
          assert.ok(Math.abs(v - expected.distances[i]) <= 1e-12 * (1 + v)),
        );
        const other = kNearest(R, k, Q);
        const expectedOther = naive(R, k, Q);
        other.distances.forEach((v, i) =>
          assert.ok(Math.abs(v - expectedOther.distances[i]) <= 1e-12 * (1 + v)),
        );
        if (!duplicates) assert.deepEqual(Array.from(other.indices), expectedOther.indices);
      }
    }
  });
}

test("kNearest refuses more neighbours than candidates", () => {
  const R = matrix(3, 2, Float64Array.of(0, 0, 1, 1, 2, 2));
  assert.throws(() => kNearest(R, 3), /3 neighbours asked of 2/);
  assert.equal(kNearest(R, 2).k, 2);
});

test("duplicates are each other's nearest neighbours; ties go to the lower index", () => {
  // Rows 0 and 1 coincide; row 2 is equally far from both and takes row 0.
  const R = matrix(4, 2, Float64Array.of(1, 1, 1, 1, 5, 5, 9, 9));
  const nn = kNearest(R, 1);
  assert.deepEqual(Array.from(nn.indices), [1, 0, 0, 2]);
  assert.deepEqual(Array.from(nn.distances.subarray(0, 2)), [0, 0]);
});

test("brute force stays exact on large feature values (epoch seconds)", () => {
  const rng = new Random(3);
  const R = matrix(
    300,
    20,
    Float64Array.from({ length: 6000 }, () => 1.7e9 + rng.int(100)),
  );
  const got = kNearest(R, 5);
  const expected = naive(R, 5);
  assert.deepEqual(Array.from(got.indices), expected.indices);
  got.distances.forEach((v, i) => assert.equal(v, expected.distances[i]));
});
