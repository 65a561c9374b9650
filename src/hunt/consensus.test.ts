import { test } from "node:test";
import assert from "node:assert/strict";
import { consensus, correlationMatrix, makeBuckets } from "./consensus.js";

const f = (...v: number[]): Float64Array => Float64Array.from(v);
const u = (...v: number[]): Uint8Array => Uint8Array.from(v);

test("rank sums votes; mean and max combine rank-normalised scores", () => {
  // Detector a ranks rows 0<1<2<3, detector b the reverse; raw scales differ wildly.
  const c = consensus(
    [u(0, 0, 0, 1), u(1, 0, 0, 1)],
    [f(1, 2, 3, 4), f(4000, 3000, 2000, 1000)],
    4,
  );
  assert.deepEqual(Array.from(c.rank), [1, 0, 0, 2]);
  // Rank-normalised: a = [.25, .5, .75, 1], b = [1, .75, .5, .25].
  assert.deepEqual(Array.from(c.mean), [0.625, 0.625, 0.625, 0.625]);
  assert.deepEqual(Array.from(c.max), [1, 0.75, 0.75, 1]);
});

test("AOM and MOA: one bucket gives max and mean; one detector per bucket gives mean and max", () => {
  const scores = [f(1, 2, 3, 4, 5), f(5, 1, 4, 2, 3), f(2, 2, 9, 1, 0)];
  const votes = scores.map(() => u(0, 0, 0, 0, 0));
  const one = consensus(votes, scores, 5, { buckets: 1 });
  assert.deepEqual(Array.from(one.aom), Array.from(one.max));
  one.mean.forEach((m, i) => assert.ok(Math.abs(one.moa[i] - m) < 1e-12));
  const each = consensus(votes, scores, 5, { buckets: 3 });
  each.mean.forEach((m, i) => assert.ok(Math.abs(each.aom[i] - m) < 1e-12));
  assert.deepEqual(Array.from(each.moa), Array.from(each.max));
});

test("buckets: every detector exactly once, sizes within one, same seed same buckets", () => {
  const b = makeBuckets(13, 5, 7);
  assert.equal(b.length, 5);
  assert.deepEqual(
    b
      .flat()
      .sort((x, y) => x - y)
      .join(),
    Array.from({ length: 13 }, (_, i) => i).join(),
  );
  const sizes = b.map((x) => x.length);
  assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1);
  assert.deepEqual(makeBuckets(13, 5, 7), b);
  assert.equal(makeBuckets(2, 5, 0).length, 2);
});

test("agreement: Pearson of votes and Spearman of scores; null for a constant detector", () => {
  const votes = [u(1, 0, 0, 1), u(1, 0, 0, 1), u(0, 1, 1, 0), u(0, 0, 0, 0)];
  const scores = [f(1, 2, 3, 4), f(10, 20, 30, 40), f(4, 3, 2, 1), f(1, 4, 9, 16)];
  const c = consensus(votes, scores, 4);
  assert.equal(c.agreement.votes[0][1], 1);
  assert.equal(c.agreement.votes[0][2], -1);
  assert.equal(c.agreement.votes[0][3], null);
  // Spearman sees only order: a monotone transform agrees fully, a reversal is −1.
  assert.ok(Math.abs(c.agreement.scores[0][3]! - 1) < 1e-12);
  assert.ok(Math.abs(c.agreement.scores[0][2]! + 1) < 1e-12);
  // Pearson on a known pair: x = [1,2,3], y = [1,3,2] → 0.5.
  assert.ok(Math.abs(correlationMatrix([f(1, 2, 3), f(1, 3, 2)], 3)[0][1]! - 0.5) < 1e-12);
});
