import { test } from "node:test";
import assert from "node:assert/strict";
import { matrix, type Matrix } from "../core/matrix.js";
import { Random } from "../core/random.js";
import { numpyArgsortHead, numpyDistance } from "../core/replay-sort.js";
import { fit, score } from "./model.js";
import { cof } from "./cof.js";

const near = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b));

test("cof defaults are PyOD's", () => {
  assert.deepEqual(cof.params.parse({}), { contamination: 0.1, nNeighbors: 20 });
});

test("cof toy: chaining distances and factors by hand", () => {
  // Rows 0, 1, 3 with k = 2; weights 2/3 and 1/3 for the first and second link.
  // 0: path 0→1→3, costs 1, 2 → 4/3.  1: path 1→0→3, costs 1, 2 → 4/3.  3: path 3→1→0,
  // costs 2, 1 → 5/3.  COF = own · k / (sum of the neighbours' own).
  const model = fit("cof", matrix(3, 1, Float64Array.of(0, 1, 3)), { nNeighbors: 2 });
  const expected = [8 / 9, 8 / 9, 5 / 4];
  model.trainingScores.forEach((v, i) => assert.ok(near(v, expected[i]), `${i}: ${v}`));
  // A new row at 10 chains through 3 (cost 7) then 1 (cost 2, from 3): 16/3, over 5/3 + 4/3.
  const [far] = score(model, matrix(1, 1, Float64Array.of(10)));
  assert.ok(near(far, 32 / 9), `${far}`);
});

test("cof follows nan_to_num: 0/0 is 0 and x/0 the largest double", () => {
  // Three copies of 0 chain at no cost; the row at 5 chains at 10/3 over neighbours at 0.
  const model = fit("cof", matrix(4, 1, Float64Array.of(0, 0, 0, 5)), { nNeighbors: 2 });
  assert.deepEqual(Array.from(model.trainingScores), [0, 0, 0, Number.MAX_VALUE]);
  const constant = fit("cof", matrix(30, 2, new Float64Array(60).fill(4)));
  for (const v of constant.trainingScores) assert.equal(v, 0);
});

test("cof caps k at the other training rows", () => {
  const model = fit("cof", matrix(3, 2, Float64Array.of(0, 0, 1, 0, 0, 2)));
  assert.equal(model.trainingScores.length, 3);
  for (const v of model.trainingScores) assert.ok(Number.isFinite(v) && v > 0);
});

/** PyOD's definition, directly: sort each full distance row as NumPy does, walk the path. */
function cofByFullSort(X: Matrix, k: number): Float64Array {
  const { rows: n, cols: d, data } = X;
  const paths: Int32Array[] = [];
  const chaining = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const row = new Float64Array(n);
    for (let j = 0; j < n; j++) row[j] = numpyDistance(data, i * d, data, j * d, d);
    const order = Int32Array.from({ length: n }, (_, j) => j);
    numpyArgsortHead(row, order, n);
    const path = order.slice(0, k + 1);
    paths.push(path);
    let sum = 0;
    for (let h = 0; h < k; h++) {
      let cost = Infinity;
      for (let t = 0; t <= h; t++) {
        cost = Math.min(cost, numpyDistance(data, path[h + 1] * d, data, path[t] * d, d));
      }
      sum += ((2 * (k - h)) / (k * (k + 1))) * cost;
    }
    chaining[i] = sum;
  }
  return Float64Array.from(paths, (path, i) => {
    let s = 0;
    for (let c = 1; c <= k; c++) s += chaining[path[c]];
    return (chaining[i] * k) / s;
  });
}

test("cof on tie-heavy data equals sorting every full distance row as NumPy does", () => {
  // Small integers in 3 features: many rows at equal distances, many exact copies.
  const rng = new Random(3);
  const n = 120;
  const X = matrix(
    n,
    3,
    Float64Array.from({ length: n * 3 }, () => rng.int(4)),
  );
  const ours = fit("cof", X, { nNeighbors: 20 }).trainingScores;
  const direct = cofByFullSort(X, 20);
  direct.forEach((v, i) => {
    const expected = Number.isNaN(v) ? 0 : v === Infinity ? Number.MAX_VALUE : v;
    assert.ok(near(ours[i], expected), `row ${i}: ${ours[i]} vs ${expected}`);
  });
});

test("cof scores a new row against the training rows only", () => {
  const rng = new Random(1);
  const X = matrix(
    60,
    2,
    Float64Array.from({ length: 120 }, () => rng.normal()),
  );
  const model = fit("cof", X, { nNeighbors: 5 });
  const rows = Float64Array.of(0.1, 0.2, 6, 6, -0.3, 0.4);
  const together = score(model, matrix(3, 2, rows));
  for (let i = 0; i < 3; i++) {
    const alone = score(model, matrix(1, 2, rows.slice(2 * i, 2 * i + 2)));
    assert.equal(alone[0], together[i]);
  }
  assert.ok(together[1] > together[0] && together[1] > together[2]);
});
