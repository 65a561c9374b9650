import { test } from "node:test";
import assert from "node:assert/strict";
import { matrix } from "../core/matrix.js";
import { Random } from "../core/random.js";
import { fit, score } from "./model.js";
import { birgeRozenholcBins, histogram, loda } from "./loda.js";

interface LodaState {
  features: Int32Array;
  weights: Float64Array;
  binStart: Int32Array;
  edges: Float64Array;
  surprisal: Float64Array;
}

function gaussian(rows: number, cols: number, seed: number): Float64Array {
  const rng = new Random(seed);
  return Float64Array.from({ length: rows * cols }, () => rng.normal());
}

test("loda defaults are PyOD's", () => {
  assert.deepEqual(loda.params.parse({}), {
    contamination: 0.1,
    nBins: 10,
    nRandomCuts: 100,
    seed: 0,
  });
});

test("histogram is NumPy's: linspace edges, left-closed bins, constant input widened", () => {
  const a = histogram(Float64Array.of(0, 1, 2, 3), 3);
  assert.deepEqual(Array.from(a.counts), [1, 1, 2]);
  assert.deepEqual(Array.from(a.edges), [0, 1, 2, 3]);
  const c = histogram(Float64Array.of(5, 5, 5), 4);
  assert.deepEqual(Array.from(c.counts), [0, 0, 3, 0]);
  assert.deepEqual(Array.from(c.edges), [4.5, 4.75, 5, 5.25, 5.5]);
  // Edge 3 is 3 × 0.1 = 0.30000000000000004, so 0.3 falls in bin 2, as in NumPy; 0.7 in bin 6.
  const e = histogram(Float64Array.of(0, 0.1, 0.2, 0.3, 0.7, 1), 10);
  assert.deepEqual(Array.from(e.counts), [1, 1, 2, 0, 0, 0, 1, 0, 0, 1]);
});

test("Birgé–Rozenholc bin counts match PyOD's get_optimal_n_bins", () => {
  // Expected values from PyOD's function (NumPy), one-off.
  const x = Float64Array.from({ length: 100 }, (_, i) => (i % 7) ** 2 + Math.floor(i / 7) * 0.1);
  assert.equal(birgeRozenholcBins(x), 2);
  const y = Float64Array.from({ length: 100 }, (_, i) => (i < 50 ? 0 : i - 50));
  assert.equal(birgeRozenholcBins(y), 3);
  assert.equal(birgeRozenholcBins(Float64Array.of(1, 2, 3)), 1); // no candidate below √3
});

test("loda projections are sparse: int(√d) distinct features each, seeded", () => {
  const X = matrix(60, 10, gaussian(60, 10, 1));
  const m = fit("loda", X, { nRandomCuts: 20 });
  const s = m.state as LodaState;
  assert.equal(s.features.length, 20 * 3);
  for (let c = 0; c < 20; c++) {
    const f = Array.from(s.features.subarray(c * 3, c * 3 + 3));
    assert.equal(new Set(f).size, 3);
  }
  const other = fit("loda", X, { nRandomCuts: 20, seed: 1 });
  assert.notDeepEqual(Array.from(other.trainingScores), Array.from(m.trainingScores));
});

test("loda looks bins up as PyOD: searchsorted over the first bins − 1 edges", () => {
  // One feature, one projection: the projection is w·x. Rows 0..9 and a heavy value 0.
  const values = Float64Array.of(0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
  const m = fit("loda", matrix(values.length, 1, values), { nRandomCuts: 1 });
  const s = m.state as LodaState;
  const w = s.weights[0];
  const below = (v: number): number => s.edges.subarray(0, 9).filter((e) => e < v).length;
  // Surprisal / cuts / cuts, with one cut.
  const expect = (x: number): number => s.surprisal[below(w * x)];
  const probe = Float64Array.of(0, 0.5, 4.5, 9, 20, -20);
  const got = score(m, matrix(probe.length, 1, probe));
  probe.forEach((x, i) => assert.equal(got[i], expect(x), `x = ${x}`));
  // The minimum projection reads bin 0; a value inside the first bin reads bin 1 (PyOD's shift).
  const lowest = w > 0 ? 0 : 9;
  assert.equal(below(w * lowest), 0);
  assert.equal(below(w * (lowest + (w > 0 ? 0.1 : -0.1))), 1);
  // Bin probabilities: counts + 1e-12, normalised; the four zeros share one bin.
  const heavy = Math.min(...s.surprisal);
  assert.ok(Math.abs(heavy - -Math.log((4 + 1e-12) / (13 + 10e-12))) < 1e-12);
});

test('loda with nBins "auto" picks a bin count per projection', () => {
  const X = matrix(400, 4, gaussian(400, 4, 2));
  const m = fit("loda", X, { nBins: "auto", nRandomCuts: 5 });
  const s = m.state as LodaState;
  for (let c = 0; c < 5; c++) {
    const bins = s.binStart[c + 1] - s.binStart[c];
    assert.ok(bins >= 1 && bins < 20, `${bins} bins`);
  }
  assert.deepEqual(Array.from(score(m, X)), Array.from(m.trainingScores));
});

test("loda's kernel histograms are NumPy's: the JavaScript histogram of the same projections", () => {
  const X = matrix(300, 9, gaussian(300, 9, 5));
  const m = fit("loda", X, { nRandomCuts: 4, nBins: 7 });
  const s = m.state as LodaState;
  for (let c = 0; c < 4; c++) {
    const projected = new Float64Array(300);
    for (let i = 0; i < 300; i++) {
      let sum = 0;
      for (let u = c * 3; u < c * 3 + 3; u++) sum += s.weights[u] * X.data[i * 9 + s.features[u]];
      projected[i] = sum;
    }
    const { counts, edges } = histogram(projected, 7);
    assert.deepEqual(Array.from(s.edges.subarray(c * 8, c * 8 + 8)), Array.from(edges));
    const total = counts.reduce((a, b) => a + (b + 1e-12), 0);
    counts.forEach((k, b) =>
      assert.equal(s.surprisal[c * 7 + b], -Math.log((k + 1e-12) / total), `cut ${c} bin ${b}`),
    );
  }
});
