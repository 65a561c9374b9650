import { test } from "node:test";
import assert from "node:assert/strict";
import { chi2Isf, chi2Sf, gammaP, gammaQ, logGamma } from "./special.js";

const close = (a: number, b: number, rel = 1e-13) =>
  assert.ok(Math.abs(a - b) <= rel * Math.abs(b), `${a} vs ${b}`);

test("logGamma at integers and halves", () => {
  assert.ok(Math.abs(logGamma(1)) < 1e-15 && Math.abs(logGamma(2)) < 1e-15);
  close(logGamma(5), Math.log(24));
  close(logGamma(0.5), 0.5 * Math.log(Math.PI));
  close(logGamma(10.5), Math.log((Math.sqrt(Math.PI) * 654729075) / 1024));
  close(logGamma(171), 706.5730622457874);
});

test("incomplete gamma: P + Q = 1, and closed forms for a = 1 (P = 1 − e^−x)", () => {
  for (const x of [0.1, 1, 3, 20]) {
    close(gammaP(1, x), 1 - Math.exp(-x), 1e-14);
    close(gammaQ(1, x), Math.exp(-x), 1e-14);
    for (const a of [0.5, 2.5, 40]) close(gammaP(a, x) + gammaQ(a, x), 1, 1e-14);
  }
  assert.equal(gammaP(3, 0), 0);
});

test("chi2 with 2 degrees of freedom has sf e^(−x/2), so isf(p) = −2 ln p", () => {
  close(chi2Sf(3, 2), Math.exp(-1.5));
  close(chi2Isf(0.5, 2), 2 * Math.LN2);
  close(chi2Isf(0.025, 2), -2 * Math.log(0.025));
});

test("chi2 with 1 degree of freedom: isf(p) is the squared normal quantile", () => {
  // The normal 0.75 and 0.9875 quantiles (two-sided 0.5 and 0.025).
  close(chi2Isf(0.5, 1), 0.6744897501960817 ** 2, 1e-12);
  close(chi2Isf(0.025, 1), 2.241402727604947 ** 2, 1e-12);
});

test("chi2Isf inverts chi2Sf for many degrees of freedom", () => {
  for (const k of [3, 9, 21, 100, 274, 5000]) {
    for (const p of [0.5, 0.025, 1e-8]) close(chi2Sf(chi2Isf(p, k), k), p, 1e-11);
  }
  assert.throws(() => chi2Isf(0, 3), RangeError);
  assert.throws(() => chi2Isf(0.5, 0), RangeError);
});
