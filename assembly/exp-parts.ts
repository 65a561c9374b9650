// The pieces of e^r shared by the exp kernels (kernels.ts: RBF values) and tanh (nn.ts): the
// Cody–Waite reduction constants, and r·P(r) with P the degree-12 Taylor polynomial of
// (e^r − 1)/r for |r| ≤ ln2/2, whose next term is below 4·10⁻¹⁸. One copy, so both kernels round
// the same way.
export const LOG2E: f64 = 1.4426950408889634;
export const LN2_HI: f64 = 6.9314718036912381649e-1;
export const LN2_LO: f64 = 1.9082149292705877e-10;
// Adding 1.5·2^52 rounds a double below 2^51 to an integer (ties to even), kept in the low bits.
export const ROUNDER: f64 = 6755399441055744.0;
export const ROUNDER_BITS: i64 = 0x4338000000000000;

// e^r − 1 of two values, as r·P(r).
// @ts-ignore: decorator
@inline
export function expm1TaylorV(r: v128): v128 {
  let p = f64x2.splat(1.0 / 6227020800.0);
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0 / 479001600.0));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0 / 39916800.0));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0 / 3628800.0));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0 / 362880.0));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0 / 40320.0));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0 / 5040.0));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0 / 720.0));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0 / 120.0));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0 / 24.0));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0 / 6.0));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(0.5));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0));
  return f64x2.mul(p, r);
}

// e^y for the kernels (RBF values, ROD's sigmoid) as src/core/kernel-exp.ts computes it (that
// file says why and how well), two values per instruction: y = (m + r/ln2)·ln2 with m an integer
// and |r| ≤ ln2/2 (Cody–Waite, ln2 in two parts), e^r by its degree-13 Taylor polynomial, 2^m
// written into the exponent bits; 0 below y = −708. The scalar version takes the same steps, so
// each value is the same either way.
export const EXP_LOW: f64 = -708.0;
export const EXP_HIGH: f64 = 709.0;

// @ts-ignore: decorator
@inline
function taylorV(r: v128): v128 {
  return f64x2.add(expm1TaylorV(r), f64x2.splat(1.0));
}

// @ts-ignore: decorator
@inline
export function expV(y: v128): v128 {
  const under = f64x2.lt(y, f64x2.splat(EXP_LOW));
  const yc = f64x2.pmin(f64x2.pmax(y, f64x2.splat(EXP_LOW)), f64x2.splat(EXP_HIGH));
  const t = f64x2.add(f64x2.mul(yc, f64x2.splat(LOG2E)), f64x2.splat(ROUNDER));
  const m = f64x2.sub(t, f64x2.splat(ROUNDER));
  const r = f64x2.sub(f64x2.sub(yc, f64x2.mul(m, f64x2.splat(LN2_HI))), f64x2.mul(m, f64x2.splat(LN2_LO)));
  const scale = i64x2.shl(i64x2.add(i64x2.sub(t, i64x2.splat(ROUNDER_BITS)), i64x2.splat(1023)), 52);
  return v128.andnot(f64x2.mul(taylorV(r), scale), under);
}

export function expS(y: f64): f64 {
  if (y < EXP_LOW) return 0;
  const yc = min(y, EXP_HIGH);
  const t = yc * LOG2E + ROUNDER;
  const m = t - ROUNDER;
  const r = yc - m * LN2_HI - m * LN2_LO;
  let p: f64 = 1.0 / 6227020800.0;
  p = p * r + 1.0 / 479001600.0;
  p = p * r + 1.0 / 39916800.0;
  p = p * r + 1.0 / 3628800.0;
  p = p * r + 1.0 / 362880.0;
  p = p * r + 1.0 / 40320.0;
  p = p * r + 1.0 / 5040.0;
  p = p * r + 1.0 / 720.0;
  p = p * r + 1.0 / 120.0;
  p = p * r + 1.0 / 24.0;
  p = p * r + 1.0 / 6.0;
  p = p * r + 0.5;
  p = p * r + 1.0;
  p = p * r + 1.0;
  return p * reinterpret<f64>((reinterpret<i64>(t) - ROUNDER_BITS + 1023) << 52);
}
