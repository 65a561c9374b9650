import { test } from "node:test";
import assert from "node:assert/strict";
import { RodKernel } from "./rod-kernel.js";
import { quantile } from "./stats.js";
import { Random } from "./random.js";

/** Distance in units in the last place between two finite doubles of the same sign. */
function ulps(a: number, b: number): number {
  const view = new DataView(new ArrayBuffer(16));
  view.setFloat64(0, a);
  view.setFloat64(8, b);
  return Math.abs(Number(view.getBigInt64(0) - view.getBigInt64(8)));
}

/** Dense ranks, as rod.ts gives the kernel (equal values, equal ranks). */
function ranksOf(col: Float64Array): Int32Array {
  const values = [...new Set(col)].sort((a, b) => a - b);
  return Int32Array.from(col, (v) => values.indexOf(v));
}

test("rod kernel angles: arccos within 2 ulps of Math.acos over the whole range, NaN on the median", () => {
  // Rows at offset (cos t, sin t, 0) from the median (1, 0, 0): every cosine from 1 to −1,
  // both sides of ±1/2 where the arccosine changes method, and the exact ends.
  const ts = [0, Math.PI, Math.PI / 3, (2 * Math.PI) / 3, Math.PI / 2];
  for (let k = 0; k <= 2000; k++) ts.push((Math.PI * k) / 2000);
  const rng = new Random(3);
  for (let k = 0; k < 3000; k++) ts.push(rng.float() * Math.PI);
  const n = ts.length + 1;
  const xs = new Float64Array(n);
  const ys = new Float64Array(n);
  const zs = new Float64Array(n);
  ts.forEach((t, i) => {
    xs[i] = 1 + Math.cos(t);
    ys[i] = Math.sin(t);
  });
  xs[n - 1] = 1; // on the median
  const kernel = new RodKernel([xs, ys, zs]);
  kernel.angles(0, 1, 2, [1, 0, 0]);
  let worst = 0;
  for (let i = 0; i < n - 1; i++) {
    // The cosine as the kernel forms it: the same operations in the same order.
    const vx = xs[i] - 1;
    const norm = Math.sqrt(vx * vx + ys[i] * ys[i] + 0);
    assert.equal(kernel.offset[i], norm);
    const cos = Math.min(1, Math.max(-1, (vx * 1 + ys[i] * 0 + 0) / (norm * 1)));
    worst = Math.max(worst, ulps(kernel.angle[i], Math.acos(cos)));
  }
  assert.ok(worst <= 2, `${worst} ulps`);
  assert.ok(Number.isNaN(kernel.angle[n - 1]));
  assert.equal(kernel.offset[n - 1], 0);
  // A median at the origin has no direction: every angle is π/2.
  kernel.angles(0, 1, 2, [0, 0, 0]);
  assert.ok(kernel.angle.every((g) => g === Math.PI / 2));
});

test("rod kernel costs: v³·cos·sin² of the scaled angle within 1e-15 of Math's, 0 for NaN angles", () => {
  const rng = new Random(4);
  const n = 4001;
  const xs = Float64Array.from({ length: n }, () => rng.normal() * 3);
  const ys = Float64Array.from({ length: n }, () => rng.normal());
  const zs = Float64Array.from({ length: n }, () => rng.normal());
  xs[7] = 0.5;
  ys[7] = -0.25;
  zs[7] = 2; // the median itself: NaN angle, cost 0
  const kernel = new RodKernel([xs, ys, zs]);
  const m = [0.5, -0.25, 2];
  kernel.angles(0, 1, 2, m);
  // Scalers that stretch and shift angles outside [0, π] too (test rows can fall outside the
  // training range), through several quadrants of the sine and cosine.
  for (const s of [
    { acuteScale: 0.6, acuteShift: 0.001, obtuseScale: 0.39, obtuseShift: 0.96 },
    { acuteScale: 1, acuteShift: -3, obtuseScale: 2.5, obtuseShift: 1.2 },
  ]) {
    kernel.costs(s);
    for (let i = 0; i < n; i++) {
      const g = kernel.angle[i];
      if (Number.isNaN(g)) {
        assert.equal(kernel.cost[i], 0);
        continue;
      }
      const x =
        g <= Math.PI / 2 ? g * s.acuteScale + s.acuteShift : g * s.obtuseScale + s.obtuseShift;
      const v = kernel.offset[i];
      const expected = v * v * v * Math.cos(x) * Math.sin(x) ** 2;
      assert.ok(
        Math.abs(kernel.cost[i] - expected) <= 1e-15 * v * v * v + 1e-300,
        `row ${i}: ${kernel.cost[i]} vs ${expected}`,
      );
    }
  }
  assert.equal(kernel.cost[7], 0);
});

test("rod kernel scores: the modified z-score through nan_to_num and a sigmoid, as Math has them", () => {
  const rng = new Random(5);
  const n = 1003;
  const cost = Float64Array.from({ length: n }, () => rng.normal() * 10);
  cost[0] = 1; // deviation 0 from the median 1
  const kernel = new RodKernel([cost, cost, cost]);
  kernel.cost.set(cost);
  kernel.deviations(1);
  for (let i = 0; i < n; i++) assert.equal(kernel.deviation[i], Math.abs(cost[i] - 1));
  for (const [mad, squash] of [
    [2.5, true],
    [2.5, false],
    [0, true], // 0/0 → NaN → 0 → 1/2; x/0 → ∞ → the largest double → 1
    [1e-300, true],
  ] as const) {
    kernel.clearTotal();
    kernel.addScores(mad, squash);
    kernel.addScores(mad, squash); // adds
    for (let i = 0; i < n; i++) {
      let z = (0.6745 * kernel.deviation[i]) / mad;
      if (Number.isNaN(z)) z = 0;
      else if (z === Infinity) z = Number.MAX_VALUE;
      const one = squash ? 1 / (1 + Math.exp(-z)) : z;
      const expected = one + one;
      assert.ok(
        ulps(kernel.total[i], expected) <= 2,
        `mad ${mad} row ${i}: ${kernel.total[i]} vs ${expected}`,
      );
    }
  }
});

test("rod kernel medians are NumPy's (quantile 0.5) to the bit, duplicates and both parities", () => {
  const rng = new Random(6);
  for (const n of [1, 2, 3, 4, 5, 8, 9, 100, 271, 272]) {
    for (let rep = 0; rep < 20; rep++) {
      // Few levels: many ties, which a selection must handle on both sides of the pivot.
      const levels = rep % 2 === 0 ? 3 : 1000;
      const values = Float64Array.from({ length: n }, () => Math.floor(rng.float() * levels) / 7);
      const kernel = new RodKernel([values, values, values]);
      kernel.cost.set(values);
      kernel.deviation.set(values.map((v) => -v));
      assert.equal(kernel.medianOf("cost"), quantile(values, 0.5), `n ${n}`);
      assert.equal(kernel.medianOf("deviation"), quantile(kernel.deviation, 0.5), `n ${n}`);
      assert.deepEqual(kernel.cost, values); // selection works on a copy
    }
  }
});

/**
 * The geometric median as rod.ts computed it in JavaScript (one point at a time), for reference:
 * Vardi & Zhang's modified Weiszfeld iteration from the mean of the distinct points.
 */
function referenceMedian(points: number[][]): number[] {
  const m = points.length;
  let g = [0, 1, 2].map((j) => points.reduce((s, p) => s + p[j], 0) / m);
  for (let step = 0; step < 100_000; step++) {
    let inverseSum = 0;
    let atEstimate = 0;
    const t = [0, 0, 0];
    for (const p of points) {
      const dist = Math.hypot(p[0] - g[0], p[1] - g[1], p[2] - g[2]);
      if (dist === 0) {
        atEstimate++;
        continue;
      }
      inverseSum += 1 / dist;
      for (let j = 0; j < 3; j++) t[j] += p[j] / dist;
    }
    if (atEstimate === m) break;
    for (let j = 0; j < 3; j++) t[j] /= inverseSum;
    let next = t;
    if (atEstimate > 0) {
      const r = Math.hypot(...t.map((v, j) => (v - g[j]) * inverseSum));
      const rInv = r === 0 ? 0 : atEstimate / r;
      next = t.map((v, j) => Math.max(0, 1 - rInv) * v + Math.min(1, rInv) * g[j]);
    }
    const moved = Math.hypot(...g.map((v, j) => v - next[j]));
    g = next;
    if (moved < 1e-5) break;
  }
  return g;
}

test("rod kernel geometric median: the distinct rows' Weiszfeld median, a data point at the estimate included", () => {
  const rng = new Random(7);
  for (const [n, levels] of [
    [1, 5],
    [2, 5],
    [9, 3],
    [40, 2],
    [301, 1000],
    [300, 4],
  ]) {
    const cols = [0, 1, 2].map(() =>
      Float64Array.from({ length: n }, () => Math.floor(rng.float() * levels) - levels / 3),
    );
    const kernel = new RodKernel(cols, cols.map(ranksOf));
    const got = kernel.median(0, 1, 2, 1e-5, 100_000);
    const distinct = new Map<string, number[]>();
    for (let i = 0; i < n; i++) {
      const p = cols.map((c) => c[i]);
      distinct.set(p.join(","), distinct.get(p.join(",")) ?? p);
    }
    const expected = referenceMedian([...distinct.values()]);
    for (let j = 0; j < 3; j++)
      assert.ok(Math.abs(got[j] - expected[j]) <= 1e-9, `n ${n}: ${got[j]} vs ${expected[j]}`);
  }
  // Five points, one of them the mean: the iteration starts on a data point.
  const xs = Float64Array.of(0, 1, -1, 0, 0);
  const ys = Float64Array.of(0, 0, 0, 1, -1);
  const zs = new Float64Array(5);
  const kernel = new RodKernel([xs, ys, zs], [xs, ys, zs].map(ranksOf));
  assert.deepEqual(Array.from(kernel.median(0, 1, 2, 1e-5, 100_000)), [0, 0, 0]);
});
