import { test } from "node:test";
import assert from "node:assert/strict";
import { matrix, type Matrix } from "./matrix.js";
import { Random } from "./random.js";
import {
  bestOfRestarts,
  kMeans,
  kMeansPlusPlus,
  kMeansRestartCount,
  kMeansRestarts,
} from "./kmeans.js";

/** `perBlob` Gaussian rows (sd 0.5) around each centre. */
function blobs(centres: number[][], perBlob: number, seed: number): Matrix {
  const rng = new Random(seed);
  const d = centres[0].length;
  const data = new Float64Array(centres.length * perBlob * d);
  centres.forEach((c, b) => {
    for (let r = 0; r < perBlob; r++)
      for (let j = 0; j < d; j++) data[(b * perBlob + r) * d + j] = c[j] + 0.5 * rng.normal();
  });
  return matrix(centres.length * perBlob, d, data);
}

test("kMeans recovers well-separated clusters and their means", () => {
  const truth = [
    [0, 0],
    [10, 10],
    [-10, 10],
  ];
  const X = blobs(truth, 50, 3);
  const { labels, centres } = kMeans(X, { nClusters: 3, seed: 1 });
  const seen = new Set<number>();
  for (let b = 0; b < 3; b++) {
    const label = labels[b * 50];
    for (let r = 0; r < 50; r++) assert.equal(labels[b * 50 + r], label);
    seen.add(label);
    // The centre is the blob's mean, which lies within 0.3 of the true centre.
    for (let j = 0; j < 2; j++) {
      let m = 0;
      for (let r = 0; r < 50; r++) m += X.data[(b * 50 + r) * 2 + j] / 50;
      assert.ok(Math.abs(centres[label * 2 + j] - m) < 1e-9);
      assert.ok(Math.abs(m - truth[b][j]) < 0.3);
    }
  }
  assert.equal(seen.size, 3);
});

test("kMeans with one cluster: the centre is the mean, inertia the sum of squares", () => {
  const X = matrix(4, 1, Float64Array.of(1, 2, 3, 6));
  const r = kMeans(X, { nClusters: 1 });
  assert.ok(Math.abs(r.centres[0] - 3) < 1e-12);
  assert.ok(Math.abs(r.inertia - (4 + 1 + 0 + 9)) < 1e-12);
});

test("kMeans weights: a row of weight w counts as w copies", () => {
  const X = matrix(4, 1, Float64Array.of(0, 1, 10, 11));
  const r = kMeans(X, { nClusters: 2, sampleWeight: Float64Array.of(1, 3, 1, 1) });
  const sorted = Array.from(r.centres).sort((a, b) => a - b);
  assert.ok(Math.abs(sorted[0] - 0.75) < 1e-12); // (0 + 3·1) / 4
  assert.ok(Math.abs(sorted[1] - 10.5) < 1e-12);
  // 1·0.75² + 3·0.25² + 2·0.5²
  assert.ok(Math.abs(r.inertia - (0.5625 + 0.1875 + 0.5)) < 1e-12);
});

test("kMeans is reproducible by seed; seeds change the seeding", () => {
  const X = blobs([[0, 0, 0]], 300, 7); // one blob: no clustering is clearly right
  const a = kMeans(X, { nClusters: 8, seed: 5 });
  const b = kMeans(X, { nClusters: 8, seed: 5 });
  assert.deepEqual(Array.from(a.centres), Array.from(b.centres));
  assert.deepEqual(Array.from(a.labels), Array.from(b.labels));
  const w = new Float64Array(X.rows).fill(1);
  const s1 = kMeansPlusPlus(X, 8, w, new Random(1));
  const s2 = kMeansPlusPlus(X, 8, w, new Random(2));
  assert.notDeepEqual(Array.from(s1), Array.from(s2));
});

test("kMeans++ picks k distinct rows of the data when there are k distinct rows", () => {
  const X = matrix(6, 1, Float64Array.of(0, 0, 5, 5, 9, 9));
  const seeds = kMeansPlusPlus(X, 3, new Float64Array(6).fill(1), new Random(0));
  // A row already chosen has D² = 0 and cannot be drawn again while others remain.
  assert.deepEqual(
    Array.from(seeds).sort((a, b) => a - b),
    [0, 5, 9],
  );
});

test("kMeans handles more clusters than distinct rows", () => {
  const X = matrix(20, 2, new Float64Array(40));
  for (let i = 0; i < 20; i++) X.data[i * 2] = i % 3; // three distinct rows, repeated
  const r = kMeans(X, { nClusters: 5, seed: 3 });
  assert.equal(r.inertia, 0);
  for (const l of r.labels) assert.ok(l >= 0 && l < 5);
  for (const v of r.centres) assert.ok(Number.isFinite(v));
  // Every row sits on its centre.
  for (let i = 0; i < 20; i++) assert.equal(r.centres[r.labels[i] * 2], i % 3);
  assert.throws(() => kMeans(X, { nClusters: 21 }), /21 clusters asked of 20 rows/);
});

test("kMeans: inertia never increases across Lloyd iterations", () => {
  const rng = new Random(11);
  const X = matrix(
    600,
    2,
    Float64Array.from({ length: 1200 }, () => rng.float()),
  );
  const trace: number[] = [];
  const r = kMeans(X, {
    nClusters: 8,
    nInit: 1,
    seed: 2,
    onIteration: (_it, centres, labels) => trace.push(inertia(X, centres, labels)),
  });
  assert.ok(trace.length >= 3, `${trace.length} iterations`);
  for (let t = 1; t < trace.length; t++)
    assert.ok(
      trace[t] <= trace[t - 1] * (1 + 1e-12),
      `iteration ${t}: ${trace[t - 1]} -> ${trace[t]}`,
    );
  assert.ok(r.inertia <= trace[trace.length - 1] * (1 + 1e-12));
  assert.equal(r.nIter, trace.length);
});

test("kMeans keeps the best of its restarts", () => {
  const rng = new Random(4);
  const X = matrix(
    400,
    3,
    Float64Array.from({ length: 1200 }, () => rng.normal()),
  );
  const one = kMeans(X, { nClusters: 6, nInit: 1, seed: 9 });
  const ten = kMeans(X, { nClusters: 6, nInit: 10, seed: 9 });
  // The first restart of both draws from the same stream, so ten restarts can only do better.
  assert.ok(ten.inertia <= one.inertia);
});

test("kMeans from given centres runs Lloyd from them once", () => {
  const X = matrix(6, 1, Float64Array.of(0, 1, 2, 10, 11, 12));
  // From centres 0 and 1: {0} and {1, 2, 10, 11, 12} first, then {0, 1, 2} and {10, 11, 12}.
  const trace: number[][] = [];
  const r = kMeans(X, {
    nClusters: 2,
    init: Float64Array.of(0, 1),
    onIteration: (_it, centres) => trace.push(Array.from(centres)),
  });
  assert.equal(trace[0][0], 0);
  assert.ok(Math.abs(trace[0][1] - 36 / 5) < 1e-12);
  assert.deepEqual(Array.from(r.centres), [1, 11]);
  assert.deepEqual(Array.from(r.labels), [0, 0, 0, 1, 1, 1]);
  assert.throws(() => kMeans(X, { nClusters: 2, init: Float64Array.of(0) }), /init has 1 values/);
});

test("kMeans: weights are duplicates (same centres, inertia and iterations from the same start)", () => {
  const rng = new Random(21);
  const unique = matrix(
    60,
    2,
    Float64Array.from({ length: 120 }, () => rng.normal()),
  );
  const weight = Float64Array.from({ length: 60 }, () => 1 + rng.int(3));
  const copies: number[] = [];
  unique.data.forEach((_, x) => {
    if (x % 2 === 0)
      for (let c = 0; c < weight[x / 2]; c++) copies.push(unique.data[x], unique.data[x + 1]);
  });
  const expanded = matrix(copies.length / 2, 2, Float64Array.from(copies));
  const init = unique.data.slice(0, 8); // rows 0..3 as the four starting centres
  const a = kMeans(unique, { nClusters: 4, init, sampleWeight: weight });
  const b = kMeans(expanded, { nClusters: 4, init });
  assert.equal(a.nIter, b.nIter);
  a.centres.forEach((v, i) => assert.ok(Math.abs(v - b.centres[i]) < 1e-9));
  assert.ok(Math.abs(a.inertia - b.inertia) < 1e-9 * b.inertia);
  assert.throws(
    () => kMeans(unique, { nClusters: 2, sampleWeight: new Float64Array(60) }),
    /sum to 0/,
  );
});

test("kMeans measuring each distinct row once gives what measuring every row gives, to the bit", () => {
  const rng = new Random(11);
  // k·d below and above the product's WebAssembly threshold; weights; more clusters than
  // distinct rows (empty clusters re-seeded); coded data with -0 and 0 and skewed repeats.
  const cases = [
    { n: 3000, d: 5, k: 8, distinct: 60, weights: false },
    { n: 2000, d: 40, k: 8, distinct: 150, weights: false },
    { n: 1500, d: 3, k: 6, distinct: 40, weights: true },
    { n: 400, d: 2, k: 12, distinct: 9, weights: false },
  ];
  for (const c of cases) {
    const pool = Float64Array.from({ length: c.distinct * c.d }, () =>
      rng.float() < 0.1 ? -0 : Math.floor(rng.float() * 30) - 5,
    );
    const data = new Float64Array(c.n * c.d);
    for (let i = 0; i < c.n; i++) {
      const r = Math.floor(rng.float() ** 2 * c.distinct);
      data.set(pool.subarray(r * c.d, (r + 1) * c.d), i * c.d);
    }
    const X = matrix(c.n, c.d, data);
    const sampleWeight = c.weights
      ? Float64Array.from({ length: c.n }, () => 0.5 + rng.float())
      : undefined;
    for (const seed of [0, 3]) {
      const options = { nClusters: c.k, nInit: 3, seed, sampleWeight };
      const iterations: Int32Array[] = [];
      const once = kMeans(X, { ...options, onIteration: (_, __, l) => iterations.push(l.slice()) });
      const every = kMeans(X, { ...options, collapseDuplicates: false });
      assert.deepEqual(once.labels, every.labels);
      assert.deepEqual(once.centres, every.centres);
      assert.equal(once.inertia, every.inertia);
      assert.equal(once.nIter, every.nIter);
      assert.ok(iterations.length > 0);
    }
  }
});

test("kMeans restarts run apart (as the pool does) pick the same clustering, to the bit", () => {
  const rng = new Random(31);
  // Overlapping clusters, so restarts end in different partitions with different inertias.
  const X = matrix(
    900,
    3,
    Float64Array.from({ length: 2700 }, (_, i) => rng.normal() + (Math.floor(i / 3) % 5)),
  );
  const options = { nClusters: 7, nInit: 10, seed: 4 };
  const whole = kMeans(X, options);
  assert.equal(kMeansRestartCount(options), 10);
  // Restarts taken out of order and in two calls, as two pool workers might take them.
  const taking = (pieces: number[]) => () => pieces.shift();
  const firstCall = [7, 2, 9, 0];
  const secondCall = [5, 1, 8, 3, 6, 4];
  const taken = [
    ...kMeansRestarts(X, options, taking([...firstCall])),
    ...kMeansRestarts(X, options, taking([...secondCall])),
  ];
  const parts: typeof taken = [];
  [...firstCall, ...secondCall].forEach((piece, at) => (parts[piece] = taken[at]));
  // Every restart started past the first (the random stream skipped ahead) is the one a single
  // run makes.
  const oneRun = kMeansRestarts(X, options, taking([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
  parts.forEach((r, i) => {
    assert.equal(r.inertia, oneRun[i].inertia);
    assert.deepEqual(Array.from(r.labels), Array.from(oneRun[i].labels));
  });
  const inertias = new Set(parts.map((r) => r.inertia));
  assert.ok(inertias.size > 1, "the restarts should differ for this test to mean something");
  const apart = bestOfRestarts(parts, 7);
  assert.deepEqual(Array.from(apart.labels), Array.from(whole.labels));
  assert.deepEqual(Array.from(apart.centres), Array.from(whole.centres));
  assert.equal(apart.inertia, whole.inertia);
  assert.equal(apart.nIter, whole.nIter);
});

test("kMeans labels each row with its nearest centre, the lowest index among equals", () => {
  // One centre, odd and even counts, fewer and more than the kernel's block of eight; 1 to 10
  // features. The first iteration's labels are the nearest of the given centres.
  const rng = new Random(8);
  for (const k of [1, 3, 8, 9, 13]) {
    for (const d of [1, 3, 10]) {
      const n = 300;
      const X = matrix(
        n,
        d,
        Float64Array.from({ length: n * d }, () => rng.normal()),
      );
      const init = X.data.slice(0, k * d);
      let first: Int32Array | undefined;
      kMeans(X, {
        nClusters: k,
        init,
        onIteration: (it, _, labels) => {
          if (it === 1) first = labels.slice();
        },
      });
      for (let i = 0; i < n; i++) {
        let nearest = 0;
        let nearestDist = Infinity;
        for (let c = 0; c < k; c++) {
          let s = 0;
          for (let j = 0; j < d; j++) s += (X.data[i * d + j] - init[c * d + j]) ** 2;
          if (s < nearestDist) [nearest, nearestDist] = [c, s];
        }
        assert.equal(first![i], nearest, `k ${k}, d ${d}, row ${i}`);
      }
    }
  }
  // Rows halfway between two centres go to the lower index, whichever of the kernel's two lanes
  // holds it (centres 0 and 2 share one, 1 the other). The rows' mean is 0, so centring them
  // keeps the ties exact.
  const X = matrix(5, 1, Float64Array.of(0, 0, 5, 2, -7));
  let labels: Int32Array | undefined;
  kMeans(X, {
    nClusters: 3,
    init: Float64Array.of(-1, 1, 3),
    onIteration: (it, _, l) => {
      if (it === 1) labels = l.slice();
    },
  });
  assert.deepEqual(Array.from(labels!), [0, 0, 2, 1, 0]);
});

test("kMeans: every iteration labels each row with a nearest centre of the previous iteration", () => {
  // The assignment skips rows whose bounds settle them; a skip is only right if no other centre
  // is nearer. Lattice rows (many equal distances) and overlapping blobs, over enough
  // iterations that the centres' accumulated moves grow large next to the final gaps.
  const rng = new Random(21);
  for (const [n, d, k, lattice] of [
    [3000, 1, 2, true],
    [3000, 3, 5, true],
    [3000, 3, 8, false],
    [2000, 6, 8, true],
    [2000, 2, 11, false],
  ] as const) {
    const X = matrix(
      n,
      d,
      Float64Array.from({ length: n * d }, (_, at) =>
        lattice
          ? Math.floor(rng.float() * (d === 1 ? 40 : 5))
          : rng.normal() + (Math.floor(at / d) % 3) * 0.7,
      ),
    );
    // Starting bunched in a corner, the centres travel far before they settle.
    const init = Float64Array.from({ length: k * d }, () => rng.normal() * 0.1 - 2);
    let previous: Float64Array = init;
    let iterations = 0;
    let checkedMoves = 0;
    kMeans(X, {
      nClusters: k,
      init,
      tol: 0,
      onIteration: (_it, centres, labels) => {
        iterations++;
        for (let i = 0; i < n; i++) {
          let least = Infinity;
          for (let c = 0; c < k; c++) least = Math.min(least, rowToCentre(X, i, previous, c));
          const own = rowToCentre(X, i, previous, labels[i]);
          // Centres come back in the data's coordinates (moved back from centred ones), so a
          // true tie may differ in the last bits.
          assert.ok(
            own <= least * (1 + 1e-12) + 1e-12,
            `n ${n} d ${d} k ${k}, iteration ${iterations}, row ${i}: ${own} > ${least}`,
          );
          if (own > 0) checkedMoves++;
        }
        previous = centres;
      },
    });
    assert.ok(iterations >= 4, `n ${n} d ${d} k ${k}: ${iterations} iterations`);
    assert.ok(checkedMoves > 0);
  }
});

function rowToCentre(X: Matrix, i: number, centres: Float64Array, c: number): number {
  let s = 0;
  for (let j = 0; j < X.cols; j++) s += (X.data[i * X.cols + j] - centres[c * X.cols + j]) ** 2;
  return s;
}

/** Weighted sum of squared Euclidean distances of rows to their labelled centres. */
function inertia(
  X: Matrix,
  centres: Float64Array,
  labels: Int32Array,
  sampleWeight?: Float64Array,
): number {
  const { rows: n, cols: d, data } = X;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const c = labels[i] * d;
    let s = 0;
    for (let j = 0; j < d; j++) {
      const diff = data[i * d + j] - centres[c + j];
      s += diff * diff;
    }
    total += (sampleWeight === undefined ? 1 : sampleWeight[i]) * s;
  }
  return total;
}
