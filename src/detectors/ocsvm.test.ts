import { test } from "node:test";
import assert from "node:assert/strict";
import { fromRows, matrix, type Matrix } from "../core/matrix.js";
import { Random } from "../core/random.js";
import {
  rowSquaredNorms,
  solveOneClassSvm,
  type OneClassSvmOptions,
} from "../core/one-class-svm.js";
import { OcsvmMemory } from "../core/wasm.js";
import { withDb } from "../data/db.js";
import { readNumericCsv } from "../data/csv.js";
import { runSeed } from "../eval/experiment.js";
import { hasShared, oddsDatasets, scoreFixtures } from "../eval/reference.js";
import { readSplits } from "../eval/splits.js";
import { fit, score } from "./model.js";
import { ocsvm, resolveGamma } from "./ocsvm.js";

const LIBSVM: OneClassSvmOptions = {
  nu: 0.5,
  gamma: 0.5,
  tol: 1e-3,
  shrinking: true,
  maxIter: null,
};

function gaussian(rows: number, cols: number, seed: number): Matrix {
  const rng = new Random(seed);
  return matrix(
    rows,
    cols,
    Float64Array.from({ length: rows * cols }, () => rng.normal()),
  );
}

interface State {
  supportVectors: Float64Array;
  coefficients: Float64Array;
  rho: number;
  gamma: number;
}

test("ocsvm defaults are PyOD's", () => {
  assert.deepEqual(ocsvm.params.parse({}), {
    contamination: 0.1,
    nu: 0.5,
    gamma: "auto",
    tol: 1e-3,
    shrinking: true,
    maxIter: null,
  });
});

test("ocsvm toy: two rows share the weight equally, and both lie on the boundary", () => {
  // ν·n = 1: the start puts α = (1, 0); one step moves half of it over (G_1 − G_2 over the
  // curvature 2 − 2K is −½), which is optimal. ρ = mean gradient = (1 + K) / 2 with K in single
  // precision as libsvm's cache holds it, so the training rows score 0 up to that rounding.
  const X = fromRows([
    [0, 0],
    [1, 1],
  ]);
  const gamma = 0.5;
  const K = Math.exp(-gamma * 2);
  const m = fit("ocsvm", X, { gamma });
  const s = m.state as State;
  assert.deepEqual(Array.from(s.coefficients), [0.5, 0.5]);
  assert.equal(s.rho, (1 + Math.fround(K)) / 2);
  for (const v of m.trainingScores) assert.ok(Math.abs(v) < 1e-7, `training score ${v}`);
  // Far from both rows the kernel vanishes and the score is ρ.
  const [far, middle] = score(
    m,
    fromRows([
      [40, -40],
      [0.5, 0.5],
    ]),
  );
  assert.equal(far, s.rho);
  assert.ok(Math.abs(middle - (s.rho - Math.exp(-gamma * 0.5))) < 1e-15);
});

test("ocsvm: the ν-property and the dual's constraints hold at the solution", () => {
  const X = gaussian(300, 3, 1);
  for (const nu of [0.1, 0.5, 0.9]) {
    const m = fit("ocsvm", X, { nu });
    const s = m.state as State;
    let sum = 0;
    let atBound = 0;
    for (const a of s.coefficients) {
      assert.ok(a > 0 && a <= 1);
      sum += a;
      if (a === 1) atBound++;
    }
    assert.ok(Math.abs(sum - nu * X.rows) < 1e-9, `Σα = ${sum}`);
    // Schölkopf et al. 2001, Prop. 4: margin errors ≤ ν·n ≤ support vectors.
    assert.ok(atBound <= nu * X.rows && nu * X.rows <= s.coefficients.length);
    let outside = 0;
    for (const v of m.trainingScores) if (v > 1e-6) outside++;
    assert.ok(outside <= nu * X.rows + 1, `${outside} rows outside for ν = ${nu}`);
  }
});

test("ocsvm: a cache of columns, however small, gives the same solution as the whole matrix", () => {
  // Cached columns are computed one at a time in one pass, eight rows per step with a tail; the
  // whole matrix in blocks. Odd and even feature counts, row counts off the multiple of eight.
  for (const [rows, cols, seed] of [
    [400, 4, 2],
    [203, 3, 3],
    [157, 1, 4],
  ] as const) {
    const X = gaussian(rows, cols, seed);
    const whole = solveOneClassSvm(X, LIBSVM);
    // Room for 2 columns (the least libsvm allows) and for 50: evictions all the way.
    for (const cacheBytes of [1, 50 * 8 * X.rows]) {
      const cached = solveOneClassSvm(X, { ...LIBSVM, cacheBytes });
      assert.deepEqual(Array.from(cached.alpha), Array.from(whole.alpha));
      assert.equal(cached.rho, whole.rho);
      assert.equal(cached.iterations, whole.iterations);
      assert.equal(cached.trainingDecision, undefined);
    }
    assert.ok(whole.iterations > 10, `${whole.iterations} iterations`);
  }
});

test("ocsvm: a column computed alone has the bits of the same column of the whole matrix", () => {
  // The cache's columns come from one fused pass (products of one row against all, eight rows
  // per step and a tail); the whole matrix from blocked products and a separate exp pass.
  for (const [rows, cols, seed] of [
    [37, 1, 11],
    [64, 2, 12],
    [45, 3, 13],
    [29, 6, 14],
    [50, 9, 15],
  ] as const) {
    const X = gaussian(rows, cols, seed);
    const squares = rowSquaredNorms(X);
    const gamma = 0.7 / cols;
    const whole = new OcsvmMemory(X, squares, {
      matrixColumns: rows,
      startColumns: 0,
      gramBlockRows: 16,
    });
    whole.buildGram(gamma, 8);
    const matrixBits = new Int32Array(Float32Array.from(whole.matrix).buffer);
    const alone = new OcsvmMemory(X, squares, { matrixColumns: 2, startColumns: 1 });
    for (let c = 0; c < rows; c++) {
      alone.computeColumns(gamma, c, c + 1, c % 2);
      const column = new Int32Array(
        Float32Array.from(alone.matrix.subarray((c % 2) * rows, ((c % 2) + 1) * rows)).buffer,
      );
      assert.deepEqual(
        column,
        matrixBits.subarray(c * rows, (c + 1) * rows),
        `${rows} × ${cols}, column ${c}`,
      );
    }
  }
});

test("ocsvm: training scores from the kernel matrix are the training rows' scores", () => {
  // Rows across several 256-row blocks, odd and even counts, narrow and wide: the decisions
  // come from the matrix's lower triangle, two rows at a time; scoring sums the support vectors'
  // kernel values afresh. Both are Σ α_s K(x_s, x) − ρ, in different orders.
  for (const [rows, cols, seed] of [
    [7, 2, 5],
    [257, 3, 6],
    [600, 11, 7],
    [1001, 36, 8],
  ] as const) {
    const X = gaussian(rows, cols, seed);
    const m = fit("ocsvm", X);
    const again = score(m, X);
    m.trainingScores.forEach((v, i) =>
      assert.ok(
        Math.abs(v - again[i]) <= 1e-12 * rows,
        `${rows} × ${cols}, row ${i}: ${v} vs ${again[i]}`,
      ),
    );
  }
});

test("ocsvm: without shrinking, the same optimum within the solver's tolerance", () => {
  const X = gaussian(300, 3, 3);
  const a = solveOneClassSvm(X, LIBSVM);
  const b = solveOneClassSvm(X, { ...LIBSVM, shrinking: false });
  assert.ok(Math.abs(a.rho - b.rho) < 1e-2 * Math.abs(a.rho), `${a.rho} vs ${b.rho}`);
  const m1 = fit("ocsvm", X);
  const m2 = fit("ocsvm", X, { shrinking: false });
  for (let i = 0; i < X.rows; i++)
    assert.ok(Math.abs(m1.trainingScores[i] - m2.trainingScores[i]) < 0.05);
});

test("ocsvm: maxIter stops the solver early and says so", () => {
  const X = gaussian(200, 3, 4);
  const capped = solveOneClassSvm(X, { ...LIBSVM, maxIter: 5 });
  assert.equal(capped.iterations, 5);
  assert.ok(capped.hitMaxIter);
  assert.ok(!solveOneClassSvm(X, LIBSVM).hitMaxIter);
});

test("ocsvm gamma: 'auto' = 1/features, 'scale' = 1/(features · variance), 1 on constant data", () => {
  const X = fromRows([
    [1, 3],
    [3, 5],
  ]);
  assert.equal(resolveGamma("auto", X), 0.5);
  // All four values: mean 3, variance (4 + 0 + 0 + 4) / 4 = 2.
  assert.equal(resolveGamma("scale", X), 1 / (2 * 2));
  assert.equal(resolveGamma("scale", matrix(3, 2, new Float64Array(6).fill(7))), 1);
  assert.equal(resolveGamma(0.25, X), 0.25);
  assert.throws(() => fit("ocsvm", X, { gamma: 0 }), /gamma/);
  assert.throws(() => fit("ocsvm", X, { nu: 0 }), /nu/);
  assert.throws(() => fit("ocsvm", X, { nu: 1.5 }), /nu/);
});

test("ocsvm: constant data and a single row (every kernel value 1)", () => {
  // All gradients equal ν·n at the start, which is already optimal: ρ = ν·n, every score 0.
  const m = fit("ocsvm", matrix(9, 2, new Float64Array(18).fill(3)));
  assert.equal((m.state as State).rho, 4.5);
  for (const v of m.trainingScores) assert.ok(v === 0, `${v}`);
  const one = fit("ocsvm", fromRows([[1, 2]]));
  assert.deepEqual(Array.from((one.state as State).coefficients), [0.5]);
  assert.ok(one.trainingScores[0] === 0);
});

// PyOD's seed-0 scores (libsvm via scikit-learn 1.2.1): same iterations, same solution.
for (const name of ["wbc", "glass", "pima"]) {
  test(`ocsvm matches PyOD's scores on ${name} (relative 1e-6)`, async (t) => {
    if (!hasShared()) return t.skip("shared data not available");
    const ds = oddsDatasets().find((d) => d.name === name)!;
    const fixture = scoreFixtures(name)?.ocsvm;
    if (fixture === undefined) return t.skip("no fixture");
    const data = await withDb((db) => readNumericCsv(db, ds.file, { label: "label" }));
    const [split] = await readSplits(ds.splits, data.X.rows, [0]);
    const run = runSeed(data.X, data.labels!, split, "ocsvm");
    for (const [ours, ref] of [
      [run.model.trainingScores, fixture.train_scores],
      [run.testScores, fixture.test_scores],
    ] as const) {
      assert.equal(ours.length, ref.length);
      ref.forEach((r, i) => {
        if (r === null) return;
        const err = Math.abs(ours[i] - r) / Math.max(Math.abs(r), 1e-12);
        assert.ok(err < 1e-6, `row ${i}: ${ours[i]} vs ${r}`);
      });
    }
  });
}
