import { test, after } from "node:test";
import assert from "node:assert/strict";
import { matrix } from "../core/matrix.js";
import { Random } from "../core/random.js";
import { fit, score } from "./model.js";
import { closePool, fitAsync, forgetKeptIndexes, scoreAsync } from "./parallel.js";
import { buildIndex, indexFor } from "../core/neighbors.js";
import { distinctRows } from "../core/distinct.js";
import { listDetectors } from "./registry.js";

after(() => closePool());

const rng = new Random(17);
const X = matrix(
  3001,
  5,
  Float64Array.from({ length: 3001 * 5 }, () => rng.normal()),
);

for (const def of listDetectors()) {
  test(`${def.name}: scoring on worker threads gives exactly the single-thread scores`, async () => {
    const sync = fit(def, X);
    const parallel = await fitAsync(def, X, {}, { minRows: 1 });
    assert.deepEqual(Array.from(parallel.trainingScores), Array.from(sync.trainingScores));
    assert.equal(parallel.threshold, sync.threshold);
    const viaPool = await scoreAsync(sync, X, { minRows: 1 });
    assert.deepEqual(Array.from(viaPool), Array.from(score(sync, X)));
  });
}

// Wide data: brute-force neighbour searches, which take the pool from a few hundred rows
// (neighbourSearchMinRows), with the self-query cut into parts.
const wide = matrix(
  701,
  24,
  Float64Array.from({ length: 701 * 24 }, () => rng.normal()),
);
for (const name of ["knn", "lof", "cof", "abod", "sod"]) {
  test(`${name} on 24 features: the pool's fit and scores are exactly the single thread's`, async () => {
    const sync = fit(name, wide);
    const parallel = await fitAsync(name, wide);
    assert.deepEqual(Array.from(parallel.trainingScores), Array.from(sync.trainingScores));
    assert.deepEqual(Array.from(await scoreAsync(sync, wide)), Array.from(score(sync, wide)));
  });
}

test("scoreAsync refuses the wrong width like score", async () => {
  const model = fit("hbos", X);
  await assert.rejects(scoreAsync(model, matrix(2, 4), { minRows: 1 }), /fit on 5 features, got 4/);
});

test("overlapping parallel calls each get their own results", async () => {
  const forest = fit("iforest", X);
  const histogram = fit("hbos", X);
  const [a, b] = await Promise.all([
    scoreAsync(forest, X, { minRows: 1 }),
    scoreAsync(histogram, X, { minRows: 1 }),
  ]);
  assert.deepEqual(Array.from(a), Array.from(score(forest, X)));
  assert.deepEqual(Array.from(b), Array.from(score(histogram, X)));
  const few = matrix(3, 5, X.data.slice(0, 15));
  assert.deepEqual(
    Array.from(await scoreAsync(histogram, few, { minRows: 1 })),
    Array.from(score(histogram, few)),
  );
});

test("scoreAsync on repeated rows (each distinct row scored once) gives score's numbers", async () => {
  const gen = new Random(29);
  // 6,000 rows of 3 features (the tree's pool size), most repeated, some differing only in a
  // zero's sign.
  const rows = 6000;
  const data = Float64Array.from({ length: rows * 3 }, (_, i) =>
    i % 3 === 2 ? (gen.float() < 0.5 ? -0 : 0) : Math.round(gen.normal() * 4),
  );
  const R = matrix(rows, 3, data);
  // The input takes the distinct-row path: under 95% of its rows are distinct, and some rows
  // differ from another only in a zero's sign.
  assert.ok(distinctRows(R, true).X.rows < 0.95 * rows);
  assert.ok(distinctRows(R, true).X.rows > distinctRows(R).X.rows);
  const train = matrix(2000, 3, data.slice(0, 6000));
  for (const name of ["knn", "lof"]) {
    const model = fit(name, train);
    assert.deepEqual(Array.from(await scoreAsync(model, R)), Array.from(score(model, R)), name);
  }
});

test("forgetKeptIndexes lets this thread's kept tree go and reaches every worker", async () => {
  const R = matrix(
    500,
    3,
    Float64Array.from({ length: 1500 }, (_, i) => Math.sin(i)),
  );
  const tree = buildIndex(R);
  assert.equal(indexFor(R), tree);
  await scoreAsync(fit("hbos", X), X, { minRows: 1 }); // the pool is up
  await forgetKeptIndexes();
  assert.notEqual(indexFor(R), tree);
});
