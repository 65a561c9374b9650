import { test } from "node:test";
import assert from "node:assert/strict";
import { fromRows, matrix } from "../core/matrix.js";
import { Random } from "../core/random.js";
import { fit, score } from "./model.js";
import { kde, logKernelNorm } from "./kde.js";

const LOG_2PI = Math.log(2 * Math.PI);

function close(actual: number, expected: number, rel = 1e-12): void {
  assert.ok(
    Math.abs(actual - expected) <= rel * Math.max(1, Math.abs(expected)),
    `${actual} vs ${expected}`,
  );
}

test("kde defaults are PyOD's", () => {
  assert.deepEqual(kde.params.parse({}), {
    contamination: 0.1,
    bandwidth: 1,
    kernel: "gaussian",
  });
});

test("kde toy: minus the log of the mean Gaussian kernel", () => {
  // Training {0, 1}: density(x) = (φ(x) + φ(x − 1)) / 2, φ the standard normal density.
  const phi = (x: number): number => Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
  const model = fit("kde", fromRows([[0], [1]]));
  const xs = [-2, 0, 0.5, 3];
  const got = score(model, matrix(4, 1, Float64Array.from(xs)));
  xs.forEach((x, i) => close(got[i], -Math.log((phi(x) + phi(x - 1)) / 2)));
  // Training rows count themselves.
  close(model.trainingScores[0], -Math.log((phi(0) + phi(1)) / 2));
});

test("kde: bandwidth scales the kernel and its normalisation", () => {
  const h = 2.5;
  const model = fit("kde", fromRows([[1, -1]]), { bandwidth: h });
  const [s] = score(model, fromRows([[4, 3]]));
  // 2-D Gaussian with sd h at distance 5: (2π h²)^{-1} e^{−25 / 2h²}
  close(s, LOG_2PI + 2 * Math.log(h) + 25 / (2 * h * h));
});

test("kde: exponential kernel normalisations are the closed forms", () => {
  const h = 0.7;
  // ∫ e^{−‖x‖/h} over ℝ^d: 2h (d = 1), 2π h² (d = 2), 8π h³ (d = 3).
  close(logKernelNorm("exponential", h, 1), -Math.log(2 * h));
  close(logKernelNorm("exponential", h, 2), -Math.log(2 * Math.PI * h * h));
  close(logKernelNorm("exponential", h, 3), -Math.log(8 * Math.PI * h ** 3));
  close(logKernelNorm("gaussian", h, 3), -1.5 * LOG_2PI - 3 * Math.log(h));
  const model = fit("kde", fromRows([[0], [2]]), { kernel: "exponential", bandwidth: h });
  const [s] = score(model, fromRows([[0.5]]));
  close(s, -Math.log((Math.exp(-0.5 / h) + Math.exp(-1.5 / h)) / (2 * 2 * h)));
});

test("kde: the density integrates to 1 (1-D and 2-D quadrature)", () => {
  for (const kernel of ["gaussian", "exponential"] as const) {
    const model = fit("kde", fromRows([[0], [0.3], [2]]), { kernel, bandwidth: 0.8 });
    const step = 0.01;
    const xs = Float64Array.from({ length: 4001 }, (_, i) => -20 + i * step);
    let mass = 0;
    for (const s of score(model, matrix(xs.length, 1, xs))) mass += Math.exp(-s) * step;
    close(mass, 1, 1e-4); // the exponential kernel's kink limits the quadrature
  }
  const model = fit("kde", fromRows([[0, 0]]), { bandwidth: 0.5 });
  const step = 0.02;
  const grid: number[] = [];
  for (let i = 0; i <= 400; i++)
    for (let j = 0; j <= 400; j++) grid.push(-4 + i * step, -4 + j * step);
  let mass = 0;
  for (const s of score(model, matrix(grid.length / 2, 2, Float64Array.from(grid)))) {
    mass += Math.exp(-s) * step * step;
  }
  close(mass, 1, 1e-4); // the exponential kernel's kink limits the quadrature
});

test("kde: high dimensions do not underflow", () => {
  // 200 features, the query 40 from the only training row: the density e^{−800}(2π)^{−100}
  // underflows as a double, its log does not.
  const d = 200;
  const train = matrix(1, d, new Float64Array(d));
  const q = new Float64Array(d);
  q[0] = 40;
  const [s] = score(fit("kde", train), matrix(1, d, q));
  close(s, 0.5 * d * LOG_2PI + 800);
});

test("kde: duplicated training rows weigh as often as they occur", () => {
  const twice = fit("kde", fromRows([[0], [0], [1]]));
  const phi = (x: number): number => Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
  close(score(twice, fromRows([[0.4]]))[0], -Math.log((2 * phi(0.4) + phi(0.6)) / 3));
});

test("kde: large offsets lose no digits (a row at its own distance 0)", () => {
  const rng = new Random(2);
  const base = Float64Array.from({ length: 60 }, () => rng.normal());
  const shifted = base.map((v) => v + 1e9);
  const a = fit("kde", matrix(20, 3, base)).trainingScores;
  const b = fit("kde", matrix(20, 3, shifted)).trainingScores;
  // The shifted values themselves are rounded to ~1e-7, so the scores agree to that.
  for (let i = 0; i < a.length; i++) close(b[i], a[i], 1e-5);
  // A single training row is at distance exactly 0 from itself: density (2π)^{−3/2}.
  close(fit("kde", matrix(1, 3, shifted.slice(0, 3))).trainingScores[0], 1.5 * LOG_2PI, 1e-15);
});

test("kde: sums over several blocks of training rows match the direct sum", () => {
  const rng = new Random(5);
  const n = 2600; // more than one block of training rows
  const train = matrix(
    n,
    2,
    Float64Array.from({ length: 2 * n }, () => 3 * rng.normal()),
  );
  const queries = fromRows([
    [0, 0],
    [5, -4],
    [30, 30],
  ]);
  const got = score(fit("kde", train), queries);
  for (let q = 0; q < queries.rows; q++) {
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const dx = queries.data[2 * q] - train.data[2 * i];
      const dy = queries.data[2 * q + 1] - train.data[2 * i + 1];
      sum += Math.exp(-0.5 * (dx * dx + dy * dy) + 400); // scaled so the far query stays finite
    }
    close(got[q], -(Math.log(sum) - 400 - LOG_2PI - Math.log(n)));
  }
});

test("kde: constant data, a single row, and batch invariance", () => {
  const constant = fit("kde", matrix(5, 2, new Float64Array(10).fill(3)));
  for (const v of constant.trainingScores) close(v, LOG_2PI);
  const rng = new Random(9);
  const X = matrix(
    300,
    3,
    Float64Array.from({ length: 900 }, () => rng.normal()),
  );
  const model = fit("kde", X);
  const all = score(model, X);
  const part = score(model, matrix(4, 3, X.data.slice(270 * 3, 274 * 3)));
  assert.deepEqual(Array.from(part), Array.from(all.subarray(270, 274)));
});

test("kde: training scores (each pair once, duplicates merged) equal scoring the rows anew", () => {
  const rng = new Random(4);
  const n = 1100; // more than two square blocks
  const data = Float64Array.from({ length: 3 * n }, () => Math.round(4 * rng.normal()) / 2);
  const X = matrix(n, 3, data); // rounded values: many duplicated rows
  for (const kernel of ["gaussian", "exponential"] as const) {
    const model = fit("kde", X, { kernel, bandwidth: 0.7 });
    const again = score(model, X);
    model.trainingScores.forEach((v, i) => close(v, again[i], 1e-13));
  }
  const state = kde.fit(X, kde.params.parse({})).state;
  assert.ok(state.counts.length < n);
  assert.equal(
    state.counts.reduce((a, b) => a + b, 0),
    n,
  );
});
