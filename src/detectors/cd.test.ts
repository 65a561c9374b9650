import { test } from "node:test";
import assert from "node:assert/strict";
import { fromRows, matrix, takeRows, type Matrix } from "../core/matrix.js";
import { applyScaler, fitStandardScaler } from "../core/stats.js";
import { Random } from "../core/random.js";
import { DataError } from "../core/errors.js";
import { fit, score } from "./model.js";
import { cd, pyodBatchScores } from "./cd.js";
import { runSeed } from "../eval/experiment.js";
import { replayedScores } from "../eval/pooled.js";
import { readSplits } from "../eval/splits.js";
import { hasShared, oddsDatasets, scoreFixtures } from "../eval/reference.js";
import { readNumericCsv } from "../data/csv.js";
import { withDb } from "../data/db.js";

/** Solves the small dense system A x = b by Gaussian elimination with partial pivoting. */
function solve(A: number[][], b: number[]): number[] {
  const n = b.length;
  const M = A.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r][c]) > Math.abs(M[p][c])) p = r;
    [M[c], M[p]] = [M[p], M[c]];
    for (let r = c + 1; r < n; r++) {
      const f = M[r][c] / M[c][c];
      for (let k = c; k <= n; k++) M[r][k] -= f * M[c][k];
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = M[r][n];
    for (let k = r + 1; k < n; k++) s -= M[r][k] * x[k];
    x[r] = s / M[r][r];
  }
  return x;
}

/**
 * PyOD's CD written out naively for full-rank data, per feature: normal equations with an
 * intercept for the residuals, (X₋ᵢᵀX₋ᵢ)⁻¹ without one for the leverage; each feature's
 * distances min–max scaled.
 */
function naiveScaledDistances(rows: number[][]): number[][] {
  const n = rows.length;
  const d = rows[0].length;
  const xtx = (A: number[][]): number[][] =>
    A[0].map((_, a) => A[0].map((_, b) => A.reduce((s, r) => s + r[a] * r[b], 0)));
  const out: number[][] = [];
  for (let i = 0; i < d; i++) {
    const y = rows.map((r) => r[i]);
    const others = rows.map((r) => r.filter((_, j) => j !== i));
    const withOne = others.map((r) => [1, ...r]);
    const beta = solve(
      xtx(withOne),
      withOne[0].map((_, a) => withOne.reduce((s, r, k) => s + r[a] * y[k], 0)),
    );
    const e = withOne.map((r, k) => y[k] - r.reduce((s, v, a) => s + v * beta[a], 0));
    const G = xtx(others);
    const h = others.map((r) => {
      const z = solve(G, r);
      return r.reduce((s, v, a) => s + v * z[a], 0);
    });
    const mse = e.reduce((s, v) => s + v * v, 0) / (n - (d - 1));
    const D = e.map((v, k) => ((v * v) / (mse * (1 - h[k])) / (d - 1)) * (h[k] / (1 - h[k])));
    const lo = Math.min(...D);
    const hi = Math.max(...D);
    out.push(D.map((v) => (v - lo) / (hi - lo)));
  }
  return out;
}

function naiveCooks(rows: number[][]): number[] {
  const per = naiveScaledDistances(rows);
  return rows.map((_, k) => per.reduce((s, f) => s + f[k], 0) / per.length);
}

function randomRows(n: number, d: number, seed: number): number[][] {
  const rng = new Random(seed);
  return Array.from({ length: n }, () => Array.from({ length: d }, () => rng.normal()));
}

test("cd defaults are PyOD's (contamination only)", () => {
  assert.deepEqual(cd.params.parse({}), { contamination: 0.1 });
});

test("cd training scores are PyOD's mean scaled Cook's distance, written out naively", () => {
  const rows = randomRows(12, 3, 1);
  rows[4][2] += 8; // one row far off the others
  const ours = fit("cd", fromRows(rows)).trainingScores;
  const expected = naiveCooks(rows);
  expected.forEach((v, k) => assert.ok(Math.abs(ours[k] - v) < 1e-12, `${k}: ${ours[k]} vs ${v}`));
  assert.equal(ours.indexOf(Math.max(...ours)), 4);
});

test("cd leaves out features that are exact functions of the others", () => {
  const base = randomRows(15, 3, 2);
  // a, b, a + b, c: the first three have exact (zero-residual) regressions; only c is used,
  // and removing c leaves the predictors' column space that of (a, b).
  const dependent = base.map(([a, b, c]) => [a, b, a + b, c]);
  const ours = fit("cd", fromRows(dependent));
  assert.deepEqual(Array.from((ours.state as { used: Int32Array }).used), [0, 0, 0, 1]);
  // c's regression on (a, b, a + b) is its regression on (a, b), feature c of PyOD's on
  // [a, b, c] (the mse's degrees of freedom and p cancel in the scaling).
  const onlyC = naiveScaledDistances(base)[2];
  ours.trainingScores.forEach((v, k) => assert.ok(Math.abs(v - onlyC[k]) < 1e-10, `${k}`));
  // Every feature an exact function of the others: no distance anywhere, scores 0.
  const exact = fit("cd", fromRows(base.map(([a, b]) => [a, b, a - 2 * b])));
  assert.deepEqual(Array.from(exact.trainingScores), new Array(15).fill(0));
  assert.deepEqual(Array.from(score(exact, fromRows([[1, 2, 3]]))), [0]);
});

test("cd gives a row with leverage 1 the largest distance instead of dividing by zero", () => {
  const rows = randomRows(10, 2, 3).map(([a, b], k) => [a, b, k === 3 ? 5 : 0]);
  const m = fit("cd", fromRows(rows));
  for (const v of m.trainingScores) assert.ok(Number.isFinite(v));
  assert.equal(m.trainingScores.indexOf(Math.max(...m.trainingScores)), 3);
});

test("cd scores a new row as if added to the training rows: finite, far rows high", () => {
  const rows = randomRows(40, 3, 4);
  const m = fit("cd", fromRows(rows));
  const near = rows[0].map((v) => v * 0.5);
  const far = [rows[1][0], rows[1][1], rows[1][2] + 8];
  const [a, b] = score(m, fromRows([near, far]));
  assert.ok(Number.isFinite(a) && Number.isFinite(b));
  assert.ok(b > a && b > Math.max(...m.trainingScores), `${a} ${b}`);
});

test("cd's replay of PyOD's batch scoring gives the training scores on the training rows", () => {
  const X: Matrix = fromRows(randomRows(30, 4, 5));
  const m = fit("cd", X);
  const replay = pyodBatchScores(m.state as Parameters<typeof pyodBatchScores>[0], X);
  replay.forEach((v, k) => assert.ok(Math.abs(v - m.trainingScores[k]) < 1e-12, `${k}`));
});

test("cd needs two features", () => {
  assert.throws(
    () => fit("cd", matrix(5, 1, Float64Array.of(1, 2, 3, 4, 5))),
    (e: unknown) => e instanceof DataError && /at least 2 features/.test(e.message),
  );
});

test("cd matches PyOD's seed-0 scores on wbc", { skip: !hasShared() }, async () => {
  const ds = oddsDatasets().find((d) => d.name === "wbc")!;
  const data = await withDb((db) => readNumericCsv(db, ds.file, { label: "label" }));
  const [split] = await readSplits(ds.splits, data.X.rows, [0]);
  const run = runSeed(data.X, data.labels!, split, "cd");
  const fx = scoreFixtures("wbc")!.cd;
  const check = (ours: Float64Array, ref: (number | null)[]): void => {
    assert.equal(ours.length, ref.length);
    ref.forEach((r, i) => assert.ok(Math.abs(ours[i] - r!) <= 1e-6 * Math.abs(r!), `${i}`));
  };
  check(run.model.trainingScores, fx.train_scores);
  // PyOD's test scores depend on the batch; our replay of its scoring reproduces them.
  const scaler = fitStandardScaler(takeRows(data.X, split.train));
  const replay = replayedScores(
    "replay",
    "cd",
    {},
    applyScaler(scaler, takeRows(data.X, split.train)),
    applyScaler(scaler, takeRows(data.X, split.test)),
  );
  check(replay, fx.test_scores);
});

test("cd with more features than rows: every regression is exact, every score 0", () => {
  // PyOD: mse = 0 / 0 for every feature, NaN scores, which the reference protocol counts as 0.
  const m = fit("cd", fromRows(randomRows(4, 6, 6)));
  assert.deepEqual(Array.from(m.trainingScores), [0, 0, 0, 0]);
  assert.deepEqual(Array.from((m.state as { used: Int32Array }).used), [0, 0, 0, 0, 0, 0]);
});

test("cd with a duplicated column leaves out the pair and keeps the rest", () => {
  const rows = randomRows(20, 3, 7).map(([a, b, c]) => [a, b, c, a]);
  const m = fit("cd", fromRows(rows));
  assert.deepEqual(Array.from((m.state as { used: Int32Array }).used), [0, 1, 1, 0]);
  for (const v of m.trainingScores) assert.ok(Number.isFinite(v));
});
