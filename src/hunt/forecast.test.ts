import { test } from "node:test";
import assert from "node:assert/strict";
import { matrix } from "../core/matrix.js";
import { Random } from "../core/random.js";
import { forecastFits, forecastSamples, parseBudget, powerLawForecast } from "./forecast.js";

test("a power law through the sample times predicts the full size exactly", () => {
  const t = (n: number): number => 2e-7 * n ** 1.5;
  const f = powerLawForecast(
    [1000, 3000, 7000].map((rows) => ({ rows, seconds: t(rows) })),
    1_000_000,
  );
  assert.ok(Math.abs(f.b - 1.5) < 1e-6); // 1e-9 s is added against log 0
  assert.ok(Math.abs(f.predictedSeconds! / t(1_000_000) - 1) < 1e-5);
});

test("times are made non-decreasing and a negative exponent is clamped to 0", () => {
  const f = powerLawForecast(
    [
      { rows: 1000, seconds: 0.3 },
      { rows: 3000, seconds: 0.1 },
      { rows: 7000, seconds: 0.2 },
    ],
    100_000,
  );
  assert.deepEqual(
    f.points.map((p) => p.seconds),
    [0.3, 0.3, 0.3],
  );
  assert.equal(f.b, 0);
  assert.ok(Math.abs(f.predictedSeconds! - 0.3) < 1e-6);
});

test("one sample size: time taken as linear in rows", () => {
  const f = powerLawForecast([{ rows: 1000, seconds: 0.5 }], 4000);
  assert.equal(f.predictedSeconds, 2);
});

test("samples: the notebook's sizes from a 10% sample of at least 1,000 rows, same seed same rows", () => {
  const rng = new Random(1);
  const X = matrix(
    50_000,
    2,
    Float64Array.from({ length: 100_000 }, () => rng.float()),
  );
  const s = forecastSamples(X);
  assert.deepEqual(
    s.map((reps) => [reps.length, reps[0].rows]),
    [
      [3, 1000],
      [3, 3000],
      [3, 5000], // capped at the 10% sample
    ],
  );
  assert.deepEqual(forecastSamples(X)[1][2].data, s[1][2].data);
});

test("forecastFits times each detector on the samples; a failing detector gets no forecast", async () => {
  const rng = new Random(2);
  const X = matrix(
    20_000,
    3,
    Float64Array.from({ length: 60_000 }, () => rng.normal()),
  );
  const samples = forecastSamples(X, { sizes: [200, 600], repeats: 2 });
  const [hbos, pca] = await forecastFits(
    samples,
    [
      { detector: "hbos", params: {} },
      { detector: "pca", params: { nComponents: 9 } },
    ],
    X.rows,
  );
  assert.ok(hbos.predictedSeconds! > 0 && Number.isFinite(hbos.predictedSeconds));
  assert.deepEqual(
    hbos.points.map((p) => p.rows),
    [200, 600],
  );
  assert.equal(pca.predictedSeconds, null);
  assert.match(pca.error!, /nComponents=9 exceeds/);
});

test("budgets: seconds, minutes, hours, none", () => {
  assert.equal(parseBudget("60s"), 60);
  assert.equal(parseBudget("90"), 90);
  assert.equal(parseBudget("2m"), 120);
  assert.equal(parseBudget("1.5h"), 5400);
  assert.equal(parseBudget("none"), null);
  assert.throws(() => parseBudget("soon"), /not a time budget/);
  assert.throws(() => parseBudget("0s"), /not a time budget/);
});
