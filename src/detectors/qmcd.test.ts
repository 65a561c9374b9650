import { test } from "node:test";
import assert from "node:assert/strict";
import { matrix } from "../core/matrix.js";
import { Random } from "../core/random.js";
import { DataError } from "../core/errors.js";
import { fit, score } from "./model.js";
import { qmcd } from "./qmcd.js";
import { runSeed } from "../eval/experiment.js";
import { readSplits } from "../eval/splits.js";
import { hasShared, oddsDatasets, scoreFixtures } from "../eval/reference.js";
import { readNumericCsv } from "../data/csv.js";
import { withDb } from "../data/db.js";

/** The wrap-around kernel factor of two scaled values. */
const factor = (a: number): number => 1.5 - a + a * a;

test("qmcd defaults are PyOD's (contamination only)", () => {
  assert.deepEqual(qmcd.params.parse({}), { contamination: 0.1 });
});

test("qmcd toy: wrap-around discrepancy, then PyOD's reflection of left-skewed scores", () => {
  // 0, 1, 0.5 scale to themselves. Under wrap-around, 0 and 1 are as close as a row to itself
  // (factor(1) = factor(0) = 1.5), so the middle row has the lowest kernel sum.
  const X = matrix(3, 1, Float64Array.of(0, 1, 0.5));
  const ends = -4 / 3 + (factor(0) + factor(1) + factor(0.5)) / 9;
  const middle = -4 / 3 + (factor(0.5) + factor(0.5) + factor(0)) / 9;
  // Raw scores [ends, ends, middle] with middle lowest: skewness < 0, so reflected.
  const around = ends + middle;
  const m = fit("qmcd", X);
  const expected = [around - ends, around - ends, around - middle];
  m.trainingScores.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-14, `${i}: ${v}`));
  // A new row is measured against the training rows with the training reflection.
  const [quarter] = score(m, matrix(1, 1, Float64Array.of(0.25)));
  const raw = -4 / 3 + (factor(0.25) + factor(0.75) + factor(0.25)) / 9;
  assert.ok(Math.abs(quarter - (around - raw)) < 1e-14, `${quarter}`);
});

test("qmcd training scores are the training rows scored as new rows", () => {
  const rng = new Random(3);
  const X = matrix(
    41,
    5,
    Float64Array.from({ length: 205 }, () => rng.normal()),
  );
  const m = fit("qmcd", X);
  const again = score(m, X);
  m.trainingScores.forEach((v, i) =>
    assert.ok(Math.abs(v - again[i]) <= 1e-12 * Math.abs(v), `${i}: ${v} vs ${again[i]}`),
  );
});

test("qmcd refuses more features than its products can hold", () => {
  assert.throws(
    () => fit("qmcd", matrix(2, 1751)),
    (e: unknown) => e instanceof DataError && /1751 features/.test(e.message),
  );
});

test("qmcd matches PyOD's seed-0 scores on vertebral", { skip: !hasShared() }, async () => {
  const ds = oddsDatasets().find((d) => d.name === "vertebral")!;
  const data = await withDb((db) => readNumericCsv(db, ds.file, { label: "label" }));
  const [split] = await readSplits(ds.splits, data.X.rows, [0]);
  const run = runSeed(data.X, data.labels!, split, "qmcd");
  const fx = scoreFixtures("vertebral")!.qmcd;
  const check = (ours: Float64Array, ref: (number | null)[]): void => {
    assert.equal(ours.length, ref.length);
    ref.forEach((r, i) => assert.ok(Math.abs(ours[i] - r!) <= 1e-9 * Math.abs(r!), `${i}`));
  };
  check(run.model.trainingScores, fx.train_scores);
  check(run.testScores, fx.test_scores);
});

test("qmcd: a constant column multiplies every kernel by 3/2, so scores move affinely", () => {
  const rng = new Random(5);
  const base = Float64Array.from({ length: 60 }, () => rng.normal());
  const withConstant = Float64Array.from({ length: 90 }, (_, k) =>
    k % 3 === 2 ? 7 : base[Math.floor(k / 3) * 2 + (k % 3)],
  );
  const a = fit("qmcd", matrix(30, 2, base)).trainingScores;
  const b = fit("qmcd", matrix(30, 3, withConstant)).trainingScores;
  // Its scaled values are all 0: each kernel × 1.5, the constant term −(4/3)^d one factor more,
  // and the reflection (decided by skewness and kurtosis, affine-invariant) the same.
  const shift = b[0] - 1.5 * a[0];
  b.forEach((v, i) => assert.ok(Math.abs(v - (1.5 * a[i] + shift)) < 1e-12, `${i}`));
});
