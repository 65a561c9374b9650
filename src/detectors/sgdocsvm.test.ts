import { test } from "node:test";
import assert from "node:assert/strict";
import { fromRows, matrix } from "../core/matrix.js";
import { Random } from "../core/random.js";
import { fit, score } from "./model.js";
import { sgdFit, sgdocsvm, sgdocsvmParams } from "./sgdocsvm.js";

interface State {
  coef: Float64Array;
  offset: number;
}

/** One SGD step of the one-class hinge objective on the plain (w, b), as the paper writes it. */
function step(w: number[], b: number, x: number[], t: number, nu = 0.5): [number[], number] {
  const alpha = nu / 2;
  const t0 = 1 / (Math.sqrt(1 / Math.sqrt(alpha)) * alpha);
  const eta = 1 / (alpha * (t0 + t - 1));
  const margin = w.reduce((s, wj, j) => s + wj * x[j], 0) + b;
  const inside = margin <= 1;
  return [
    w.map((wj, j) => wj * Math.max(0, 1 - eta * alpha) + (inside ? eta * x[j] : 0)),
    b + (inside ? eta : 0) - 2 * eta * alpha,
  ];
}

function close(a: number, b: number, tol = 1e-12): void {
  assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${a} vs ${b}`);
}

test("sgdocsvm defaults are scikit-learn's SGDOneClassSVM", () => {
  assert.deepEqual(sgdocsvm.params.parse({}), {
    contamination: 0.1,
    nu: 0.5,
    fitIntercept: true,
    maxIter: 1000,
    tol: 1e-3,
    shuffle: true,
    learningRate: "optimal",
    eta0: 0,
    powerT: 0.5,
    average: false,
    seed: 0,
  });
});

test("sgdocsvm toy: one step from w = 0, b = 1 (offset 0)", () => {
  // α = 0.25, t₀ = 1/(√2 α), η₁ = √2; the row lies on the margin (w·x + b = 1), so w = η x and
  // b = 1 + η − 2ηα.
  const m = fit("sgdocsvm", fromRows([[1]]), { maxIter: 1, tol: null });
  const s = m.state as State;
  const eta = Math.SQRT2;
  close(s.coef[0], eta);
  close(s.offset, 1 - (1 + eta - 2 * eta * 0.25));
  const [far] = score(m, fromRows([[3]]));
  close(far, s.offset - 3 * s.coef[0]);
});

test("sgdocsvm follows the SGD recurrence step by step, rows in order when not shuffled", () => {
  const rows = [
    [1, -2],
    [0.5, 0.25],
    [-1, 3],
  ];
  let w = [0, 0];
  let b = 1;
  let t = 1;
  for (let epoch = 0; epoch < 4; epoch++) for (const x of rows) [w, b] = step(w, b, x, t++);
  const s = fit("sgdocsvm", fromRows(rows), { maxIter: 4, tol: null, shuffle: false })
    .state as State;
  close(s.coef[0], w[0]);
  close(s.coef[1], w[1]);
  close(s.offset, 1 - b);
});

test("sgdocsvm averaging: the model is the mean of the iterates (ASGD)", () => {
  const rows = [[1], [2], [-0.5]];
  let w = [0];
  let b = 1;
  const iterates: [number, number][] = [];
  for (let t = 1; t <= 3; t++) {
    [w, b] = step(w, b, rows[t - 1], t);
    iterates.push([w[0], b]);
  }
  const s = fit("sgdocsvm", fromRows(rows), {
    maxIter: 1,
    tol: null,
    shuffle: false,
    average: true,
  }).state as State;
  close(s.coef[0], iterates.reduce((sum, [wi]) => sum + wi, 0) / 3);
  close(s.offset, 1 - iterates.reduce((sum, [, bi]) => sum + bi, 0) / 3);
  // Averaging from step 2 on: the mean of the last two iterates.
  const late = fit("sgdocsvm", fromRows(rows), {
    maxIter: 1,
    tol: null,
    shuffle: false,
    average: 2,
  }).state as State;
  close(late.coef[0], (iterates[1][0] + iterates[2][0]) / 2);
});

test("sgdocsvm: the seed picks the shuffle; same seed, same model", () => {
  const rng = new Random(3);
  const X = matrix(
    200,
    3,
    Float64Array.from({ length: 600 }, () => rng.normal() + 0.5),
  );
  const a = fit("sgdocsvm", X, { seed: 1 }).state as State;
  const b = fit("sgdocsvm", X, { seed: 1 }).state as State;
  const c = fit("sgdocsvm", X, { seed: 2 }).state as State;
  assert.deepEqual(Array.from(a.coef), Array.from(b.coef));
  assert.equal(a.offset, b.offset);
  assert.notDeepEqual(Array.from(a.coef), Array.from(c.coef));
  // Without shuffling the seed plays no part.
  const d = fit("sgdocsvm", X, { seed: 1, shuffle: false }).state as State;
  const e = fit("sgdocsvm", X, { seed: 9, shuffle: false }).state as State;
  assert.deepEqual(Array.from(d.coef), Array.from(e.coef));
});

test("sgdocsvm: learning rates other than 'optimal' need eta0; overflow is a clear error", () => {
  const X = fromRows([[1], [2]]);
  assert.throws(() => fit("sgdocsvm", X, { learningRate: "constant" }), /eta0 > 0/);
  const constant = fit("sgdocsvm", X, { learningRate: "constant", eta0: 0.1, maxIter: 3 });
  assert.ok(Number.isFinite((constant.state as State).offset));
  assert.throws(
    () => fit("sgdocsvm", fromRows([[1e300], [-1e300]]), { learningRate: "constant", eta0: 1e10 }),
    /overflowed/,
  );
});

test("sgdocsvm's epochs on the WebAssembly kernel give the JavaScript loop's exact weights", () => {
  const rng = new Random(41);
  // Narrow and wide rows, odd widths, a few rows, rows that leave the margin and rows inside it,
  // with and without the intercept, and different seeds (row orders).
  for (const [rows, cols, nu, fitIntercept, seed] of [
    [1, 1, 0.5, true, 0],
    [7, 3, 0.5, true, 1],
    [50, 9, 0.1, true, 2],
    [200, 33, 0.9, false, 3],
    [120, 274, 0.5, true, 4],
  ] as const) {
    const X = matrix(
      rows,
      cols,
      Float64Array.from({ length: rows * cols }, () => rng.normal() * 2 + 0.5),
    );
    const p = sgdocsvmParams.parse({ nu, fitIntercept, seed });
    const onKernel = sgdFit(X, p, true).state;
    const inJs = sgdFit(X, p, false).state;
    assert.equal(onKernel.offset, inJs.offset, `${rows} × ${cols}: offset`);
    assert.deepEqual(Array.from(onKernel.coef), Array.from(inJs.coef), `${rows} × ${cols}`);
    assert.ok(
      inJs.coef.some((v) => v !== 0),
      "the weights moved",
    );
  }
});

test("sgdocsvm: columns that are zero throughout leave the kernel's weights and scores unchanged", () => {
  const rng = new Random(43);
  // Columns of +0 and of −0 (left out on the kernel; the last one too, after the kernel's column
  // pairs), and columns with some zeros (kept).
  for (const [rows, cols, seed] of [
    [60, 8, 0],
    [300, 41, 1],
    [9, 274, 2],
  ] as const) {
    const data = Float64Array.from({ length: rows * cols }, () => rng.normal() * 2 + 0.5);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) {
        if (j % 4 === 1 || j === cols - 1) data[i * cols + j] = 0;
        else if (j % 7 === 3) data[i * cols + j] = -0;
        else if ((i + j) % 3 === 0) data[i * cols + j] = 0;
      }
    }
    const X = matrix(rows, cols, data);
    const p = sgdocsvmParams.parse({ seed });
    const onKernel = sgdFit(X, p, true);
    const inJs = sgdFit(X, p, false).state;
    assert.equal(onKernel.state.offset, inJs.offset, `${rows} × ${cols}: offset`);
    // Object.is per weight: the sign of a zero weight too.
    assert.deepEqual(Array.from(onKernel.state.coef), Array.from(inJs.coef), `${rows} × ${cols}`);
    // The training scores from kernel memory are score()'s, bit for bit, and those are a plain
    // running sum per row.
    const model = fit("sgdocsvm", X, { seed });
    const scored = score(model, X);
    assert.deepEqual(Array.from(onKernel.trainingScores!), Array.from(scored));
    assert.deepEqual(Array.from(model.trainingScores), Array.from(scored));
    const plain = Array.from({ length: rows }, (_, i) => {
      let sum = 0;
      for (let j = 0; j < cols; j++) sum += data[i * cols + j] * inJs.coef[j];
      return -(sum - inJs.offset);
    });
    assert.deepEqual(Array.from(scored), plain);
  }
});

test("sgdocsvm's kernel fit follows the JavaScript one in its settings and its overflow error", () => {
  const rng = new Random(44);
  const X = matrix(
    90,
    7,
    Float64Array.from({ length: 630 }, () => rng.normal() * 3 - 1),
  );
  // Without shuffling, without early stopping, and a few epochs only.
  for (const settings of [{ shuffle: false }, { tol: null, maxIter: 7 }, { maxIter: 2 }]) {
    const p = sgdocsvmParams.parse(settings);
    const onKernel = sgdFit(X, p, true).state;
    const inJs = sgdFit(X, p, false).state;
    assert.equal(onKernel.offset, inJs.offset, JSON.stringify(settings));
    assert.deepEqual(Array.from(onKernel.coef), Array.from(inJs.coef), JSON.stringify(settings));
  }
  // Rows near the largest double: both stop at the same epoch with the same error.
  const huge = fromRows([[1.7e308], [1.7e308], [1.7e308]]);
  const p = sgdocsvmParams.parse({});
  assert.throws(() => sgdFit(huge, p, false), /overflowed at epoch 1/);
  assert.throws(() => sgdFit(huge, p, true), /overflowed at epoch 1/);
});
