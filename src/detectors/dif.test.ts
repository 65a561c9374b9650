import { test } from "node:test";
import assert from "node:assert/strict";
import { matrix } from "../core/matrix.js";
import { Random } from "../core/random.js";
import { fit, score } from "./model.js";
import { dif } from "./dif.js";
import { pieceRange } from "./contract.js";
import { closePool, fitAsync, scoreAsync } from "./parallel.js";

test("dif defaults are PyOD's DIF", () => {
  const p = dif.params.parse({});
  assert.equal(p.batchSize, 1000);
  assert.equal(p.representationDim, 20);
  assert.deepEqual(p.hiddenNeurons, [500, 100]);
  assert.equal(p.hiddenActivation, "tanh");
  assert.equal(p.nEnsemble, 50);
  assert.equal(p.nEstimators, 6);
  assert.equal(p.maxSamples, 256);
});

function ring(seed: number, n: number) {
  // Points on a noisy circle: the centre is far from every point yet inside the data's range,
  // which axis-parallel splits on the raw features isolate poorly.
  const rng = new Random(seed);
  const data = new Float64Array(n * 2);
  for (let i = 0; i < n; i++) {
    const a = 2 * Math.PI * rng.float();
    data[2 * i] = Math.cos(a) + 0.05 * rng.normal();
    data[2 * i + 1] = Math.sin(a) + 0.05 * rng.normal();
  }
  return matrix(n, 2, data);
}

test("dif: far rows score above the data; training scores equal scoring the rows again", () => {
  const X = ring(1, 300);
  const model = fit("dif", X, { nEnsemble: 10 });
  const s = score(model, matrix(2, 2, Float64Array.of(3, 3, 1, 0)));
  assert.ok(s[0] > s[1], `far ${s[0]} vs on-ring ${s[1]}`);
  const again = score(model, X);
  for (let i = 0; i < X.rows; i++) assert.ok(Math.abs(again[i] - model.trainingScores[i]) < 1e-12);
});

test("dif: one seed gives identical scores, another seed different ones", () => {
  const X = ring(2, 200);
  const a = fit("dif", X, { nEnsemble: 4, seed: 5 });
  const b = fit("dif", X, { nEnsemble: 4, seed: 5 });
  const c = fit("dif", X, { nEnsemble: 4, seed: 6 });
  assert.deepEqual(Array.from(a.trainingScores), Array.from(b.trainingScores));
  assert.notDeepEqual(Array.from(a.trainingScores), Array.from(c.trainingScores));
});

test("dif: PyOD's batch standardisation (replay) differs from ours only by the batch moments", () => {
  const X = ring(3, 200);
  const model = fit("dif", X, { nEnsemble: 3 });
  const p = model.params as Parameters<typeof dif.score>[2];
  // On the training rows themselves the batch's moments are the training moments.
  const replay = dif.pyodBatchScore!(model.state as never, X, p);
  for (let i = 0; i < X.rows; i++) assert.ok(Math.abs(replay[i] - model.trainingScores[i]) < 1e-9);
});

test("dif: more features than rows, and fewer rows than maxSamples", () => {
  const rng = new Random(9);
  const X = matrix(
    12,
    30,
    Float64Array.from({ length: 360 }, () => rng.normal()),
  );
  const model = fit("dif", X, { nEnsemble: 3 });
  for (const v of model.trainingScores) assert.ok(Number.isFinite(v) && v >= 0);
});

test("dif's members: fitted in any split, on the pool or not, they give the one fit", async () => {
  const X = ring(3, 160);
  const p = dif.params.parse({ nEnsemble: 5, hiddenNeurons: [40, 10], seed: 2 });
  const whole = dif.fit(X, p);
  const pieces = dif.pieces!;
  assert.equal(pieces.count(X, p), 5);
  const joined = pieces.finish(X, p, [
    ...pieces.run(X, p, pieceRange(0, 2)),
    ...pieces.run(X, p, pieceRange(2, 3)),
  ]);
  assert.deepEqual(Array.from(joined.trainingScores!), Array.from(whole.trainingScores!));
  assert.deepEqual(joined.state, whole.state);
  // 160 rows take the pool (parallelMinRows): members fitted apart, rows scored apart.
  const model = fit("dif", X, p);
  const pooled = await fitAsync("dif", X, p);
  assert.deepEqual(Array.from(pooled.trainingScores), Array.from(model.trainingScores));
  assert.deepEqual(pooled.state, model.state);
  assert.deepEqual(Array.from(await scoreAsync(model, X)), Array.from(score(model, X)));
  await closePool();
});
