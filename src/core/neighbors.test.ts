import { test } from "node:test";
import assert from "node:assert/strict";
import { matrix, type Matrix } from "./matrix.js";
import { buildIndex, forgetKeptIndex, indexFor, kNearest } from "./neighbors.js";
import { withDb } from "../data/db.js";
import { readNumericCsv } from "../data/csv.js";
import { hasShared, oddsDatasets } from "../eval/reference.js";
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
  [10, "KD-tree with leaves of 128"],
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

/**
 * Same neighbours up to distance ties: distances agree to rounding, and every neighbour strictly
 * nearer than a query's k-th distance is the same row.
 */
function assertSameNeighbours(
  got: { distances: Float64Array; indices: Int32Array },
  expected: { distances: number[]; indices: number[] },
  k: number,
  queries: number,
): void {
  for (let q = 0; q < queries; q++) {
    const kth = expected.distances[q * k + k - 1];
    for (let c = 0; c < k; c++) {
      const e = expected.distances[q * k + c];
      assert.ok(Math.abs(got.distances[q * k + c] - e) <= 1e-12 * (1 + e), `query ${q}`);
      if (e < kth * (1 - 1e-12))
        assert.equal(got.indices[q * k + c], expected.indices[q * k + c], `query ${q}`);
    }
  }
}

test("KD-tree with many levels: same neighbours as computing every distance", () => {
  const rng = new Random(8);
  const R = randomMatrix(6000, 6, rng, false);
  const head = matrix(200, 6, R.data.subarray(0, 1200));
  const self = kNearest(R, 10);
  const expected = naive(R, 10);
  // The self-query of the first 200 rows, from the full answer.
  assertSameNeighbours(self, expected, 10, 200);
  assertSameNeighbours(kNearest(R, 10, head), naive(R, 10, head), 10, 200);
});

test("a self-query cut into parts gives the whole answer", () => {
  const rng = new Random(9);
  for (const cols of [5, 30]) {
    const R = randomMatrix(900, cols, rng, true);
    const whole = kNearest(R, 4);
    const index = buildIndex(R);
    const out = { distances: new Float64Array(900 * 4), indices: new Int32Array(900 * 4) };
    for (const [s, e] of [
      [0, 1],
      [1, 450],
      [450, 900],
    ])
      index.selfQuery(4, s, e, out);
    assert.deepEqual(Array.from(out.indices), Array.from(whole.indices));
    assert.deepEqual(Array.from(out.distances), Array.from(whole.distances));
  }
});

for (const [name, k] of [
  ["breastw", 20], // 9 features, many duplicated rows: the KD-tree
  ["ionosphere", 5], // 33 features: brute force
] as const) {
  test(`real data (${name}): same neighbours as computing every distance`, async (t) => {
    if (!hasShared()) return t.skip("shared data not available");
    const ds = oddsDatasets().find((d) => d.name === name)!;
    const { X } = await withDb((db) => readNumericCsv(db, ds.file, { label: "label" }));
    assertSameNeighbours(kNearest(X, k), naive(X, k), k, X.rows);
    const queries = matrix(50, X.cols, X.data.subarray(0, 50 * X.cols));
    assertSameNeighbours(kNearest(X, k, queries), naive(X, k, queries), k, 50);
  });
}

test("brute force stays exact on very large and very small values (single-precision filter)", () => {
  for (const scale of [1e25, 1e-25]) {
    const rng = new Random(12);
    const R = matrix(
      240,
      20,
      Float64Array.from({ length: 240 * 20 }, (_, i) => scale * ((i % 3) - 1 + rng.normal())),
    );
    assertSameNeighbours(kNearest(R, 5), naive(R, 5), 5, R.rows);
    const Q = matrix(
      30,
      20,
      R.data.slice(0, 600).map((v) => v * 1.5),
    );
    assertSameNeighbours(kNearest(R, 5, Q), naive(R, 5, Q), 5, 30);
  }
});

test("brute force stays exact where its 16-bit filter is coarse", () => {
  const rng = new Random(21);
  // Near-ties: every reference row at distance 1 ± 1e-9 from the query, far below the filter's
  // quantisation error (about 2⁻¹² of a row's largest value): only the allowance for that error
  // keeps the true nearest from being rejected.
  const d = 40;
  const ties = new Float64Array(300 * d);
  for (let i = 0; i < 300; i++) {
    let norm = 0;
    for (let j = 0; j < d; j++) norm += (ties[i * d + j] = rng.normal()) ** 2;
    const radius = (1 + 1e-9 * ((i * 7919) % 300)) / Math.sqrt(norm);
    for (let j = 0; j < d; j++) ties[i * d + j] *= radius;
  }
  const R = matrix(300, d, ties);
  const origin = matrix(1, d, new Float64Array(d));
  assertSameNeighbours(kNearest(R, 7, origin), naive(R, 7, origin), 7, 1);
  // Rows of very different sizes (each has its own scale), queries far outside the reference
  // rows' range, and rows whose values all have the largest magnitude (the largest integer
  // products: a 32-bit overflow would show here).
  const mixed = new Float64Array(400 * 24);
  for (let i = 0; i < 400; i++) {
    const size = 10 ** ((i % 9) - 4);
    for (let j = 0; j < 24; j++)
      mixed[i * 24 + j] = i % 10 === 0 ? size * (j % 2 ? 1 : -1) : size * rng.normal();
  }
  const M = matrix(400, 24, mixed);
  assertSameNeighbours(kNearest(M, 6), naive(M, 6), 6, 400);
  const far = matrix(
    40,
    24,
    mixed.slice(0, 40 * 24).map((v, i) => (i % 24 === 3 ? v * 1e6 : v)),
  );
  assertSameNeighbours(kNearest(M, 6, far), naive(M, 6, far), 6, 40);
  // A row with a non-finite value is never filtered out (it is measured, and sorts last).
  const withInf = M.data.slice();
  withInf[5 * 24 + 2] = Infinity;
  const Minf = matrix(400, 24, withInf);
  const q = matrix(3, 24, M.data.slice(0, 72));
  assertSameNeighbours(kNearest(Minf, 6, q), naive(Minf, 6, q), 6, 3);
});

test("KD-tree stays exact on very large, very small and offset values (single-precision filter)", () => {
  // The tree rejects rows in single precision on scaled values; these would overflow, underflow
  // or lose every digit there if the scaling or the error allowance were wrong.
  const rng = new Random(13);
  const d = 5;
  const rows = 700;
  for (const [scale, offset] of [
    [1e150, 0],
    [1e25, 0],
    [1e-25, 0],
    [1e-150, 0],
    [1, 1.7e9], // epoch seconds: a large offset, small differences
    [1e-3, 1],
    // Odd rows on the other side: two tight clusters far apart, their rows a few single-precision
    // steps apart once scaled (without the error allowance, thousands of neighbours are lost).
    [1e-2, -1e6 / 3],
  ]) {
    const R = matrix(
      rows,
      d,
      Float64Array.from(
        { length: rows * d },
        (_, i) =>
          (offset < 0 && Math.floor(i / d) % 2 === 1 ? -offset : offset) +
          scale * (1 + (i % d)) * rng.normal(),
      ),
    );
    assertSameNeighbours(kNearest(R, 6), naive(R, 6), 6, R.rows);
    const Q = matrix(
      40,
      d,
      R.data.slice(0, 40 * d).map((v) => v + scale * 0.25),
    );
    assertSameNeighbours(kNearest(R, 6, Q), naive(R, 6, Q), 6, 40);
  }
});

test("KD-tree: a query's neighbours do not depend on the queries searched with it", () => {
  // Queries are searched in groups of up to 32 that fall in one leaf; 100 copies of one row fill
  // several groups of one leaf, and 60 identical reference rows make a leaf larger than a group.
  const rng = new Random(14);
  const d = 4;
  const R = randomMatrix(3000, d, rng, false);
  for (let i = 0; i < 60; i++) R.data.set([0.5, -0.25, 1, 0], (100 + i) * d);
  const Q = randomMatrix(160, d, rng, false);
  for (let i = 0; i < 100; i++) Q.data.set(R.data.subarray(7 * d, 8 * d), i * d);
  Q.data.set([0.5, -0.25, 1, 0], 150 * d);
  const index = buildIndex(R);
  const together = index.search(9, Q);
  for (let i = 0; i < Q.rows; i++) {
    const alone = index.search(9, matrix(1, d, Q.data.slice(i * d, i * d + d)));
    assert.deepEqual(
      Array.from(alone.indices),
      Array.from(together.indices.subarray(i * 9, i * 9 + 9)),
    );
    assert.deepEqual(
      Array.from(alone.distances),
      Array.from(together.distances.subarray(i * 9, i * 9 + 9)),
    );
  }
  assertSameNeighbours(together, naive(R, 9, Q), 9, Q.rows);
  assertSameNeighbours(kNearest(R, 9), naive(R, 9), 9, R.rows);
});

test("KD-tree stays exact for queries far outside the data (leaf codes clamped)", () => {
  // Leaf rows are filtered on integer codes on a grid of each leaf's own; a query's codes are
  // clamped to a range a few leaf widths around the leaf, which must keep them a lower bound.
  const rng = new Random(15);
  const d = 3;
  const R = randomMatrix(900, d, rng, false);
  for (const spread of [1e6, 30, 3]) {
    const Q = matrix(
      40,
      d,
      Float64Array.from({ length: 40 * d }, (_, i) => (i % 3 === 0 ? spread : 1) * rng.normal()),
    );
    assertSameNeighbours(kNearest(R, 5, Q), naive(R, 5, Q), 5, Q.rows);
  }
});

test("KD-tree: many copies of a row give the copies of smallest index, in order", () => {
  // More than a leaf's worth of identical rows make one leaf; its rows are offered by original
  // index and the scan stops at the first refused, so this must still match every distance.
  const rng = new Random(16);
  const d = 3;
  const rows = 3000;
  const R = matrix(
    rows,
    d,
    Float64Array.from({ length: rows * d }, (_, i) => {
      const r = Math.floor(i / d);
      const copy = r % 2 === 0 ? [1, 2, 3] : r % 5 === 1 ? [1, 2, 4] : undefined;
      return copy !== undefined ? copy[i % d] : rng.int(11) - 5;
    }),
  );
  const Q = matrix(4, d, Float64Array.of(1, 2, 3, 1, 2, 3.5, 1, 2, 4, 0, 0, 0));
  for (const k of [1, 7, 40]) {
    const self = kNearest(R, k);
    const expected = naive(R, k);
    assert.deepEqual(Array.from(self.indices), expected.indices);
    assert.deepEqual(Array.from(self.distances), expected.distances);
    const other = kNearest(R, k, Q);
    const expectedOther = naive(R, k, Q);
    assert.deepEqual(Array.from(other.indices), expectedOther.indices);
    assert.deepEqual(Array.from(other.distances), expectedOther.distances);
  }
});

test("a kept tree answers only for the rows it was built on", () => {
  const rng = new Random(11);
  const R = randomMatrix(3_000, 4, rng, true);
  const Q = randomMatrix(200, 4, rng, false);
  forgetKeptIndex();
  const built = buildIndex(R);
  // The same values in a new array (as a pool worker receives them) find the kept tree.
  const copy = matrix(R.rows, R.cols, R.data.slice());
  assert.equal(indexFor(copy), built);
  assert.deepEqual(kNearest(copy, 5, Q), built.search(5, Q));
  // Building always builds: a fit never borrows an earlier fit's tree.
  assert.notEqual(buildIndex(copy), built);
  // One value changed (or the shape) and the kept tree no longer answers; the answer is the
  // changed rows' own.
  const changed = matrix(R.rows, R.cols, R.data.slice());
  changed.data[1234 * 4 + 2] += 1e-9;
  const kept = indexFor(copy);
  assert.notEqual(indexFor(changed), kept);
  const ref = naive(changed, 5, Q);
  const got = kNearest(changed, 5, Q);
  assert.deepEqual(Array.from(got.indices), ref.indices);
  assert.notEqual(indexFor(matrix(R.rows / 2, R.cols * 2, R.data)), indexFor(R));
  forgetKeptIndex();
});

test("a kept tree is told apart from rows that differ only in a NaN", () => {
  const data = new Float64Array(40 * 2);
  for (let i = 0; i < data.length; i++) data[i] = i % 7;
  const withNaN = data.slice();
  withNaN[13] = NaN;
  const tree = buildIndex(matrix(40, 2, withNaN));
  assert.equal(indexFor(matrix(40, 2, withNaN.slice())), tree);
  assert.notEqual(indexFor(matrix(40, 2, data)), tree);
  forgetKeptIndex();
});

test("brute force leaves out constant features, and searches them for queries that leave them", () => {
  const rng = new Random(31);
  const cols = 30;
  // Features 0-5 all zero, 6 all 2.5, the rest vary; then a query set that holds the constants
  // and one that leaves two of them.
  const R = randomMatrix(600, cols, rng, false);
  const Q = randomMatrix(40, cols, rng, false);
  for (const M of [R, Q])
    for (let i = 0; i < M.rows; i++) {
      for (let j = 0; j < 6; j++) M.data[i * cols + j] = 0;
      M.data[i * cols + 6] = 2.5;
    }
  const off = matrix(Q.rows, cols, Q.data.slice());
  off.data[3 * cols + 2] = 1;
  off.data[17 * cols + 6] = -1;
  for (const k of [1, 9]) {
    assertSameNeighbours(kNearest(R, k), naive(R, k), k, R.rows);
    assertSameNeighbours(kNearest(R, k, Q), naive(R, k, Q), k, Q.rows);
    assertSameNeighbours(kNearest(R, k, off), naive(R, k, off), k, off.rows);
  }
  // Every feature constant: every row at distance 0, neighbours by index.
  const flat = matrix(50, cols, new Float64Array(50 * cols).fill(1));
  assert.deepEqual(Array.from(kNearest(flat, 3).indices.subarray(0, 6)), [1, 2, 3, 0, 2, 3]);
});
