import { test } from "node:test";
import assert from "node:assert/strict";
import { fromRows, matrix, type Matrix } from "../core/matrix.js";
import { Random } from "../core/random.js";
import { fit, score } from "./model.js";
import { lmdd } from "./lmdd.js";

test("lmdd defaults are PyOD's", () => {
  assert.deepEqual(lmdd.params.parse({}), {
    contamination: 0.1,
    nIter: 50,
    disMeasure: "aad",
    seed: 0,
  });
});

/** D of a set of rows: all their values pooled, as PyOD's `_aad` and `np.var`. */
function dissimilarity(rows: number[][], measure: "aad" | "var"): number {
  const v = rows.flat();
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const dev = v.map((x) => (measure === "aad" ? Math.abs(x - mean) : (x - mean) ** 2));
  return dev.reduce((a, b) => a + b, 0) / v.length;
}

/** PyOD's LMDD written plainly (every D from scratch), over the same orders as ours. */
function bruteForce(X: number[][], seed: number, nIter: number, measure: "aad" | "var") {
  const n = X.length;
  const dis = new Array<number>(n).fill(0);
  const card = new Array<number>(n).fill(0);
  const rng = new Random(seed);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  for (let t = 0; t < nIter; t++) {
    rng.shuffle(order);
    const S = Array.from(order, (i) => X[i]);
    const res = new Array<number>(n).fill(0);
    let largest = -Infinity;
    let at = 0;
    for (let i = 1; i < n; i++) {
      const rise =
        dissimilarity(S.slice(0, i + 1), measure) - dissimilarity(S.slice(0, i), measure);
      if (rise > largest) [largest, at] = [rise, i];
    }
    if (largest > 0) {
      res[at] = largest;
      for (let k = at + 1; k < n; k++) {
        const drop =
          dissimilarity([...S.slice(0, at), S[k]], measure) -
          dissimilarity([...S.slice(0, at + 1), S[k]], measure);
        if (drop >= 0) res[k] = drop + largest;
      }
    }
    const cardinality = n - res.filter((r) => r > 0).length;
    res.forEach((r, k) => {
      if (r > dis[order[k]]) [dis[order[k]], card[order[k]]] = [r, cardinality];
    });
  }
  return dis.map((v, i) => v * card[i]);
}

function randomRows(n: number, d: number, seed: number): number[][] {
  const rng = new Random(seed);
  const rows = Array.from({ length: n }, () => Array.from({ length: d }, () => rng.normal()));
  rows[3] = rows[3].map((v) => v + 6); // a planted outlier
  return rows;
}

test("lmdd training scores equal PyOD's algorithm computed plainly, aad and var", () => {
  for (const measure of ["aad", "var"] as const) {
    for (const [n, d, seed] of [
      [30, 3, 1],
      [17, 1, 2],
      [40, 5, 3],
    ]) {
      const rows = randomRows(n, d, seed);
      const expected = bruteForce(rows, seed, 7, measure);
      const got = fit("lmdd", fromRows(rows), { nIter: 7, seed, disMeasure: measure });
      expected.forEach((v, i) =>
        assert.ok(
          Math.abs(got.trainingScores[i] - v) <= 1e-10 * Math.max(1, Math.abs(v)),
          `${measure} n=${n} row ${i}: ${got.trainingScores[i]} vs ${v}`,
        ),
      );
      assert.ok(expected.some((v) => v > 0));
    }
  }
});

test("lmdd: a new row far from all is every order's exception: n × (D(train ∪ x) − D(train))", () => {
  const rows = randomRows(25, 2, 4);
  const far = [40, -40];
  const model = fit("lmdd", fromRows(rows), { nIter: 5 });
  const [s] = score(model, fromRows([far]));
  const rise = dissimilarity([...rows, far], "aad") - dissimilarity(rows, "aad");
  // The exception set is {x} alone, so the cardinality is the 25 training rows.
  assert.ok(Math.abs(s - 25 * rise) < 1e-12 * 25 * rise, `${s} vs ${25 * rise}`);
  // Nearer rows score lower.
  const [near, middle] = score(
    model,
    fromRows([
      [0, 0],
      [4, -4],
    ]),
  );
  assert.ok(near < middle && middle < s, `${near} ${middle} ${s}`);
});

test("lmdd: constant data, one row and one feature still score", () => {
  const constant = fit("lmdd", matrix(12, 2, new Float64Array(24).fill(3)));
  assert.deepEqual(Array.from(constant.trainingScores), new Array(12).fill(0));
  const one = fit("lmdd", fromRows([[1, 2]]));
  const [s] = score(one, fromRows([[5, 5]]));
  assert.ok(Number.isFinite(s) && s > 0);
  const X: Matrix = fromRows(randomRows(20, 1, 9));
  for (const v of fit("lmdd", X).trainingScores) assert.ok(Number.isFinite(v) && v >= 0);
});
