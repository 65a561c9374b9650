import { test } from "node:test";
import assert from "node:assert/strict";
import { fromRows, matrix, type Matrix } from "../core/matrix.js";
import { Random } from "../core/random.js";
import { percentile } from "../core/stats.js";
import { fit, score } from "./model.js";
import { closePool, fitAsync, scoreAsync } from "./parallel.js";
import { fitRod, rod } from "./rod.js";
import { pieceRange } from "./contract.js";

interface RodState {
  medians: Float64Array;
  costMedian: Float64Array;
  costMad: Float64Array;
}

function gaussian(rows: number, cols: number, seed: number): Matrix {
  const rng = new Random(seed);
  return matrix(
    rows,
    cols,
    Float64Array.from({ length: rows * cols }, () => rng.normal()),
  );
}

test("rod defaults are PyOD's (contamination only)", () => {
  assert.deepEqual(rod.params.parse({}), { contamination: 0.1 });
});

test("rod toy in 3-D: median, angles at PyOD's range ends, costs and modified z-scores", () => {
  // A centre (1, 1, 1) and ±e_x, ±e_y around it: the geometric median is the centre. The offsets
  // ±e_x make angles acos(±1/√3) with (1, 1, 1), 0.9553 and 2.1863 rad, the largest of their
  // groups, so the scalers map them onto the range ends 0.955 and 2.186.
  const X = fromRows([
    [1, 1, 1],
    [2, 1, 1],
    [0, 1, 1],
    [1, 2, 1],
    [1, 0, 1],
  ]);
  const m = fit("rod", X);
  const s = m.state as RodState;
  assert.deepEqual(Array.from(s.medians), [1, 1, 1]);
  const cost = (g: number): number => Math.cos(g) * Math.sin(g) ** 2; // ‖v‖ = 1
  const acute = cost(0.955);
  const obtuse = cost(2.186);
  const costs = [0, acute, obtuse, acute, obtuse];
  const median = percentile(costs, 50);
  const mad = percentile(
    costs.map((c) => Math.abs(c - median)),
    50,
  );
  const expected = costs.map((c) => (0.6745 * Math.abs(c - median)) / mad);
  m.trainingScores.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-9, `${i}: ${v}`));
});

test("rod with more than 3 features: mean sigmoid of every robust-scaled 3-feature subspace", () => {
  const X = gaussian(40, 4, 1);
  const { rows: n, data } = X;
  // RobustScaler by hand, then each subspace through the 3-feature path (no scaling there).
  const scaled = new Float64Array(n * 4);
  for (let j = 0; j < 4; j++) {
    const col = Array.from({ length: n }, (_, i) => data[i * 4 + j]);
    const iqr = percentile(col, 75) - percentile(col, 25);
    for (let i = 0; i < n; i++) scaled[i * 4 + j] = (col[i] - percentile(col, 50)) / iqr;
  }
  const expected = new Float64Array(n);
  const triples = [
    [0, 1, 2],
    [0, 1, 3],
    [0, 2, 3],
    [1, 2, 3],
  ];
  for (const t of triples) {
    const sub = matrix(
      n,
      3,
      Float64Array.from({ length: n * 3 }, (_, k) => scaled[Math.floor(k / 3) * 4 + t[k % 3]]),
    );
    fit("rod", sub).trainingScores.forEach((z, i) => (expected[i] += 1 / (1 + Math.exp(-z)) / 4));
  }
  const ours = fit("rod", X).trainingScores;
  ours.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-12, `${i}`));
});

test("rod counts duplicated rows once in the geometric median (NumPy's unique)", () => {
  const X = gaussian(30, 3, 2);
  const copies = new Float64Array((30 + 20) * 3);
  copies.set(X.data);
  for (let k = 0; k < 20; k++) copies.set(X.data.subarray(0, 3), (30 + k) * 3);
  const a = fit("rod", X).state as RodState;
  const b = fit("rod", matrix(50, 3, copies)).state as RodState;
  assert.deepEqual(Array.from(b.medians), Array.from(a.medians));
});

test("rod pads fewer than 3 features with zero columns", () => {
  const X = gaussian(25, 2, 3);
  const padded = matrix(
    25,
    3,
    Float64Array.from({ length: 75 }, (_, k) =>
      k % 3 === 2 ? 0 : X.data[Math.floor(k / 3) * 2 + (k % 3)],
    ),
  );
  assert.deepEqual(
    Array.from(fit("rod", X).trainingScores),
    Array.from(fit("rod", padded).trainingScores),
  );
});

test("rod scores new rows with the training MAD; the PyOD replay uses the batch's own", () => {
  const X = gaussian(60, 5, 4);
  const m = fit("rod", X);
  // Training rows scored again, alone or together, give the training scores.
  const again = score(m, X);
  again.forEach((v, i) => assert.ok(Math.abs(v - m.trainingScores[i]) < 1e-12, `${i}`));
  const replay = rod.pyodBatchScore!(m.state as never, X, m.params as never);
  replay.forEach((v, i) => assert.ok(Math.abs(v - m.trainingScores[i]) < 1e-12, `${i}`));
  // A batch of 5 rows: ours are the same rows' scores; PyOD's MAD of the 5 rows changes them.
  const five = matrix(5, 5, X.data.slice(0, 25));
  assert.deepEqual(Array.from(score(m, five)), Array.from(again.subarray(0, 5)));
  const replayFive = rod.pyodBatchScore!(m.state as never, five, m.params as never);
  assert.notDeepEqual(Array.from(replayFive), Array.from(again.subarray(0, 5)));
});

test("rod with 3 features and a zero MAD applies nan_to_num: finite scores, deviants on top", () => {
  // Six identical rows and one apart: every cost but one equals the median, so MAD = 0.
  const X = fromRows([...Array.from({ length: 6 }, () => [1, 2, 3]), [4, 4, 4]]);
  const m = fit("rod", X);
  for (const v of m.trainingScores) assert.ok(Number.isFinite(v));
  assert.equal(m.trainingScores[6], Number.MAX_VALUE);
  assert.equal(m.trainingScores[0], 0);
});

test("rod with more features than rows and duplicated columns: finite scores", () => {
  const X = gaussian(5, 6, 8);
  const dup = matrix(
    5,
    7,
    Float64Array.from({ length: 35 }, (_, k) => X.data[Math.floor(k / 7) * 6 + Math.min(k % 7, 5)]),
  );
  for (const M of [X, dup]) {
    const m = fit("rod", M);
    for (const v of m.trainingScores) assert.ok(Number.isFinite(v) && v >= 0 && v <= 1);
  }
});

test("rod treats −0 as 0 when finding distinct rows (same median, same scores)", () => {
  const rows = [
    [0, 1, 2],
    [-0, 1, 2],
    [3, 0, 1],
    [3, -0, 1],
    [1, 1, 1],
    [2, 5, 0],
  ];
  const positive = fit(rod, fromRows(rows.map((r) => r.map((v) => v + 0))));
  const signed = fit(rod, fromRows(rows));
  assert.deepEqual(signed.trainingScores, positive.trainingScores);
  assert.deepEqual((signed.state as RodState).medians, (positive.state as RodState).medians);
});

test("rod on repeated rows: computed once per distinct row, identical to every row's", () => {
  const rng = new Random(4);
  for (const [n, d, distinct] of [
    [2000, 5, 80],
    [1500, 3, 30],
    [900, 2, 12],
    [1200, 6, 500],
  ]) {
    const pool = Float64Array.from({ length: distinct * d }, () => Math.floor(rng.float() * 9));
    const data = new Float64Array(n * d);
    for (let i = 0; i < n; i++) {
      const r = Math.floor(rng.float() ** 2 * distinct);
      data.set(pool.subarray(r * d, (r + 1) * d), i * d);
    }
    const once = fitRod(matrix(n, d, data));
    const every = fitRod(matrix(n, d, data), false);
    assert.deepEqual(once.trainingScores, every.trainingScores);
    assert.deepEqual(once.state, every.state);
  }
});

test("rod's subspace runs: fitted in any split, on the pool or not, they give the one fit", async () => {
  // 12 features: 220 subspaces in 16 runs of 13–14.
  const X = gaussian(150, 12, 9);
  const whole = fitRod(X);
  const pieces = rod.pieces!;
  assert.equal(pieces.count(X, rod.params.parse({})), 16);
  const p = rod.params.parse({});
  const split = [...pieces.run(X, p, pieceRange(0, 3)), ...pieces.run(X, p, pieceRange(3, 13))];
  const joined = pieces.finish(X, p, split);
  assert.deepEqual(Array.from(joined.trainingScores!), Array.from(whole.trainingScores));
  assert.deepEqual(joined.state, whole.state);
  // Scoring sums the runs as fit does: the training rows score as in fit, to the bit.
  const model = fit("rod", X);
  assert.deepEqual(Array.from(score(model, X)), Array.from(model.trainingScores));
  // 150 rows of 12 features take the pool (parallelMinRows), which fits runs apart.
  const pooled = await fitAsync("rod", X);
  assert.deepEqual(Array.from(pooled.trainingScores), Array.from(model.trainingScores));
  assert.deepEqual(Array.from(await scoreAsync(model, X)), Array.from(score(model, X)));
  await closePool();
});
