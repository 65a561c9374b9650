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
