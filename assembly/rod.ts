// ROD's loops over rows (src/detectors/rod.ts says what ROD computes; src/core/rod-kernel.ts lays
// out the memory): the distinct rows of a 3-feature subspace, their geometric median, each row's
// offset and angle to it, the rotation costs, and the squashed modified z-scores, two rows per
// instruction. Every subspace needs an arccosine, a sine, a cosine and an exponential per row,
// which JavaScript's Math computes one call at a time: here they are polynomials on vectors,
// within a few units in the last place of the exact values (src/core/rod-kernel.test.ts measures
// them against Math's).
import { expV } from "./exp-parts";

const RIGHT: f64 = 1.5707963267948966;
// π/2 and π as the double nearest plus the rest, for results near them.
const PIO2_HI: f64 = 1.5707963267948966;
const PIO2_LO: f64 = 6.123233995736766e-17;
const PI_HI: f64 = 3.141592653589793;
const PI_LO: f64 = 1.2246467991473532e-16;
// π/2 in three parts of 33, 33 and 53 bits: k·PIO2_1 and k·PIO2_2 are exact for |k| < 2^20, so
// x − k·π/2 keeps its precision for the arguments here (|x| < 10).
const PIO2_1: f64 = 1.5707963267341256;
const PIO2_2: f64 = 6.077100506303966e-11;
const PIO2_3: f64 = 2.0222662487959506e-21;
const TWO_OVER_PI: f64 = 0.6366197723675814;
// Adding 1.5·2^52 rounds to an integer, kept in the low bits (as in exp-parts.ts).
const ROUNDER: f64 = 6755399441055744.0;

// ---- vector functions ----------------------------------------------------------------------------

// (asin(√z)/√z − 1)/z on [0, 1/4], degree 12: interpolated at Chebyshev nodes in 60-digit
// arithmetic (mpmath). asin(x) = x + x·z·P(z) with z = x² is then within 6·10⁻¹⁸ of asin on
// [0, 1/2] before rounding.
// @ts-ignore: decorator
@inline
function asinTail(z: v128): v128 {
  let p = f64x2.splat(0.028757851367421566);
  p = f64x2.add(f64x2.mul(p, z), f64x2.splat(-0.014851887071247204));
  p = f64x2.add(f64x2.mul(p, z), f64x2.splat(0.01740087944269402));
  p = f64x2.add(f64x2.mul(p, z), f64x2.splat(0.005457506718640358));
  p = f64x2.add(f64x2.mul(p, z), f64x2.splat(0.01032281435018578));
  p = f64x2.add(f64x2.mul(p, z), f64x2.splat(0.011479177415184906));
  p = f64x2.add(f64x2.mul(p, z), f64x2.splat(0.013971212973552933));
  p = f64x2.add(f64x2.mul(p, z), f64x2.splat(0.017352392720869973));
  p = f64x2.add(f64x2.mul(p, z), f64x2.splat(0.02237217294214989));
  p = f64x2.add(f64x2.mul(p, z), f64x2.splat(0.030381944138531247));
  p = f64x2.add(f64x2.mul(p, z), f64x2.splat(0.04464285714635543));
  p = f64x2.add(f64x2.mul(p, z), f64x2.splat(0.07499999999998433));
  return f64x2.add(f64x2.mul(p, z), f64x2.splat(0.16666666666666669));
}

// arccos of values in [−1, 1]. Up to |c| = 1/2, π/2 − asin(c); beyond, from the half-angle
// identity acos(c) = 2·asin(√((1 − c)/2)) (and π minus that for negative c), whose argument is
// at most 1/2 again and is computed from 1 − |c| without cancellation.
// @ts-ignore: decorator
@inline
function acosV(c: v128): v128 {
  const half = f64x2.splat(0.5);
  const ac = f64x2.abs(c);
  const far = f64x2.gt(ac, half);
  const zFar = f64x2.mul(f64x2.sub(f64x2.splat(1), ac), half);
  const z = v128.bitselect(zFar, f64x2.mul(c, c), far);
  const x = v128.bitselect(f64x2.sqrt(zFar), c, far);
  const a = f64x2.add(x, f64x2.mul(f64x2.mul(x, z), asinTail(z)));
  const near = f64x2.sub(f64x2.splat(PIO2_HI), f64x2.sub(a, f64x2.splat(PIO2_LO)));
  const twice = f64x2.add(a, a);
  const negative = f64x2.sub(f64x2.splat(PI_HI), f64x2.sub(twice, f64x2.splat(PI_LO)));
  return v128.bitselect(v128.bitselect(negative, twice, f64x2.lt(c, f64x2.splat(0))), near, far);
}

// sin r and cos r for |r| ≤ π/4 by their Taylor polynomials to r¹⁷ and r¹⁶ (the next terms are
// below 10⁻¹⁹ and 3·10⁻¹⁸).
// @ts-ignore: decorator
@inline
function sinSmall(r: v128, r2: v128): v128 {
  let p = f64x2.splat(2.8114572543455206e-15);
  p = f64x2.add(f64x2.mul(p, r2), f64x2.splat(-7.647163731819816e-13));
  p = f64x2.add(f64x2.mul(p, r2), f64x2.splat(1.6059043836821613e-10));
  p = f64x2.add(f64x2.mul(p, r2), f64x2.splat(-2.505210838544172e-8));
  p = f64x2.add(f64x2.mul(p, r2), f64x2.splat(2.7557319223985893e-6));
  p = f64x2.add(f64x2.mul(p, r2), f64x2.splat(-0.0001984126984126984));
  p = f64x2.add(f64x2.mul(p, r2), f64x2.splat(0.008333333333333333));
  p = f64x2.add(f64x2.mul(p, r2), f64x2.splat(-0.16666666666666666));
  return f64x2.add(r, f64x2.mul(f64x2.mul(r, r2), p));
}

// @ts-ignore: decorator
@inline
function cosSmall(r2: v128): v128 {
  let p = f64x2.splat(4.779477332387385e-14);
  p = f64x2.add(f64x2.mul(p, r2), f64x2.splat(-1.1470745597729725e-11));
  p = f64x2.add(f64x2.mul(p, r2), f64x2.splat(2.08767569878681e-9));
  p = f64x2.add(f64x2.mul(p, r2), f64x2.splat(-2.755731922398589e-7));
  p = f64x2.add(f64x2.mul(p, r2), f64x2.splat(2.48015873015873e-5));
  p = f64x2.add(f64x2.mul(p, r2), f64x2.splat(-0.001388888888888889));
  p = f64x2.add(f64x2.mul(p, r2), f64x2.splat(0.041666666666666664));
  p = f64x2.add(f64x2.mul(p, r2), f64x2.splat(-0.5));
  return f64x2.add(f64x2.splat(1), f64x2.mul(r2, p));
}

// The rotation cost v³·cos(x)·sin²(x) of the scaled angle x (|x| < 10) at offset v: x = k·π/2 + r
// with |r| ≤ π/4, and sin x, cos x are ±sin r or ±cos r by k mod 4.
// @ts-ignore: decorator
@inline
function rotationCost(x: v128, v: v128): v128 {
  const t = f64x2.add(f64x2.mul(x, f64x2.splat(TWO_OVER_PI)), f64x2.splat(ROUNDER));
  const k = f64x2.sub(t, f64x2.splat(ROUNDER));
  const r = f64x2.sub(
    f64x2.sub(f64x2.sub(x, f64x2.mul(k, f64x2.splat(PIO2_1))), f64x2.mul(k, f64x2.splat(PIO2_2))),
    f64x2.mul(k, f64x2.splat(PIO2_3)),
  );
  const r2 = f64x2.mul(r, r);
  const s = sinSmall(r, r2);
  const c = cosSmall(r2);
  // k's low bits are t's: odd k swaps sine and cosine; bit 1 of k (of k + 1) negates the sine
  // (the cosine), moved into the sign bit.
  const one = i64x2.splat(1);
  const swap = i64x2.eq(v128.and(t, one), one);
  const sinX = v128.xor(v128.bitselect(c, s, swap), i64x2.shl(v128.and(t, i64x2.splat(2)), 62));
  const cosX = v128.xor(
    v128.bitselect(s, c, swap),
    i64x2.shl(v128.and(i64x2.add(t, one), i64x2.splat(2)), 62),
  );
  return f64x2.mul(f64x2.mul(f64x2.mul(f64x2.mul(v, v), v), cosX), f64x2.mul(sinX, sinX));
}

// ---- per-subspace loops ----------------------------------------------------------------------------

// Copies the distinct rows of the subspace (columns xs, ys, zs; their values' dense ranks rx, ry,
// rz, which tell rows apart) to px, py, pz in the order of their first rows, and returns how
// many there are. `table` holds mask + 1 slots (a power of two above 2n) for open addressing.
export function rodDistinct(
  xs: usize, ys: usize, zs: usize, rx: usize, ry: usize, rz: usize, n: i32,
  table: usize, mask: i32, px: usize, py: usize, pz: usize,
): i32 {
  memory.fill(table, 0, (<usize>mask + 1) << 2);
  let m = 0;
  for (let i = 0; i < n; i++) {
    const at = <usize>i << 2;
    const a = load<i32>(rx + at);
    const b = load<i32>(ry + at);
    const c = load<i32>(rz + at);
    let h = (a * <i32>0x9e3779b1) ^ ((b + 0x7f4a7c15) * <i32>0x85ebca77);
    h = (h ^ (h >>> 15) ^ (c * <i32>0xc2b2ae3d)) * 0x27d4eb2f;
    let slot = (h ^ (h >>> 16)) & mask;
    for (;;) {
      const held = load<i32>(table + (<usize>slot << 2));
      if (held == 0) {
        store<i32>(table + (<usize>slot << 2), i + 1);
        const to = <usize>m << 3;
        const from = <usize>i << 3;
        store<f64>(px + to, load<f64>(xs + from));
        store<f64>(py + to, load<f64>(ys + from));
        store<f64>(pz + to, load<f64>(zs + from));
        m++;
        break;
      }
      const j = <usize>(held - 1) << 2;
      if (load<i32>(rx + j) == a && load<i32>(ry + j) == b && load<i32>(rz + j) == c) break;
      slot = (slot + 1) & mask;
    }
  }
  return m;
}

// The geometric median of the m points at px, py, pz by Vardi & Zhang's modified Weiszfeld
// iteration from their mean (rod.ts says how), until a step moves less than `tolerance` or after
// `maxSteps` steps; writes it to out[0..2].
export function rodMedian(px: usize, py: usize, pz: usize, m: i32, tolerance: f64, maxSteps: i32, out: usize): void {
  const pairs = m & ~1;
  let gx: f64 = 0;
  let gy: f64 = 0;
  let gz: f64 = 0;
  for (let k = 0; k < m; k++) {
    const at = <usize>k << 3;
    gx += load<f64>(px + at);
    gy += load<f64>(py + at);
    gz += load<f64>(pz + at);
  }
  gx /= m;
  gy /= m;
  gz /= m;
  const zero = f64x2.splat(0);
  const one = f64x2.splat(1);
  for (let step = 0; step < maxSteps; step++) {
    // T = (Σ p/D) / Σ 1/D over the points not at the estimate: a point at it has D = 0, whose
    // weight 1/0 is masked to 0 and which is counted instead.
    const cx = f64x2.splat(gx);
    const cy = f64x2.splat(gy);
    const cz = f64x2.splat(gz);
    let inverse = zero;
    let sx = zero;
    let sy = zero;
    let sz = zero;
    let at = zero;
    for (let k = 0; k < pairs; k += 2) {
      const o = <usize>k << 3;
      const x = v128.load(px + o);
      const y = v128.load(py + o);
      const z = v128.load(pz + o);
      const dx = f64x2.sub(x, cx);
      const dy = f64x2.sub(y, cy);
      const dz = f64x2.sub(z, cz);
      const dist = f64x2.sqrt(f64x2.add(f64x2.add(f64x2.mul(dx, dx), f64x2.mul(dy, dy)), f64x2.mul(dz, dz)));
      const on = f64x2.eq(dist, zero);
      const w = v128.andnot(f64x2.div(one, dist), on);
      inverse = f64x2.add(inverse, w);
      sx = f64x2.add(sx, f64x2.mul(w, x));
      sy = f64x2.add(sy, f64x2.mul(w, y));
      sz = f64x2.add(sz, f64x2.mul(w, z));
      at = f64x2.add(at, v128.and(on, one));
    }
    let inverseSum = f64x2.extract_lane(inverse, 0) + f64x2.extract_lane(inverse, 1);
    let tx = f64x2.extract_lane(sx, 0) + f64x2.extract_lane(sx, 1);
    let ty = f64x2.extract_lane(sy, 0) + f64x2.extract_lane(sy, 1);
    let tz = f64x2.extract_lane(sz, 0) + f64x2.extract_lane(sz, 1);
    let atEstimate = f64x2.extract_lane(at, 0) + f64x2.extract_lane(at, 1);
    if (pairs < m) {
      const o = <usize>pairs << 3;
      const x = load<f64>(px + o);
      const y = load<f64>(py + o);
      const z = load<f64>(pz + o);
      const dist = sqrt((x - gx) * (x - gx) + (y - gy) * (y - gy) + (z - gz) * (z - gz));
      if (dist == 0) atEstimate += 1;
      else {
        const w = 1 / dist;
        inverseSum += w;
        tx += w * x;
        ty += w * y;
        tz += w * z;
      }
    }
    if (atEstimate == <f64>m) break;
    tx /= inverseSum;
    ty /= inverseSum;
    tz /= inverseSum;
    let nx = tx;
    let ny = ty;
    let nz = tz;
    if (atEstimate > 0) {
      const rx = (tx - gx) * inverseSum;
      const ry = (ty - gy) * inverseSum;
      const rz = (tz - gz) * inverseSum;
      const r = sqrt(rx * rx + ry * ry + rz * rz);
      const rInv = r == 0 ? 0 : atEstimate / r;
      const keep = max(0, 1 - rInv);
      const stay = min(1, rInv);
      nx = keep * tx + stay * gx;
      ny = keep * ty + stay * gy;
      nz = keep * tz + stay * gz;
    }
    const moved = sqrt((gx - nx) * (gx - nx) + (gy - ny) * (gy - ny) + (gz - nz) * (gz - nz));
    gx = nx;
    gy = ny;
    gz = nz;
    if (moved < tolerance) break;
  }
  store<f64>(out, gx);
  store<f64>(out, gy, 8);
  store<f64>(out, gz, 16);
}

// Each of the n rows' distance to the median (mx, my, mz) to `offset` and its angle to the
// median's direction to `angle`: NaN for a row on the median, π/2 for every row when the median
// is the origin (no direction). n is a multiple of 4 (the caller pads the rows): two pairs of
// rows per step, two independent chains of square roots, division and polynomial, so that one's
// latency hides the other's.
export function rodAngles(
  xs: usize, ys: usize, zs: usize, n: i32, mx: f64, my: f64, mz: f64, offset: usize, angle: usize,
): void {
  const medianNorm = sqrt(mx * mx + my * my + mz * mz);
  const c = f64x2.splat(mx);
  const d = f64x2.splat(my);
  const e = f64x2.splat(mz);
  if (medianNorm == 0) {
    const right = f64x2.splat(RIGHT);
    for (let i = 0; i < n; i += 2) {
      const o = <usize>i << 3;
      v128.store(offset + o, rowOffset(v128.load(xs + o), v128.load(ys + o), v128.load(zs + o), c, d, e));
      v128.store(angle + o, right);
    }
    return;
  }
  const norm = f64x2.splat(medianNorm);
  for (let i = 0; i < n; i += 4) {
    const o = <usize>i << 3;
    anglePair(xs + o, ys + o, zs + o, c, d, e, norm, offset + o, angle + o);
    anglePair(xs + o + 16, ys + o + 16, zs + o + 16, c, d, e, norm, offset + o + 16, angle + o + 16);
  }
}

// @ts-ignore: decorator
@inline
function rowOffset(x: v128, y: v128, z: v128, mx: v128, my: v128, mz: v128): v128 {
  const vx = f64x2.sub(x, mx);
  const vy = f64x2.sub(y, my);
  const vz = f64x2.sub(z, mz);
  return f64x2.sqrt(f64x2.add(f64x2.add(f64x2.mul(vx, vx), f64x2.mul(vy, vy)), f64x2.mul(vz, vz)));
}

// Two rows of rodAngles.
// @ts-ignore: decorator
@inline
function anglePair(
  xs: usize, ys: usize, zs: usize, mx: v128, my: v128, mz: v128, norm: v128, offset: usize, angle: usize,
): void {
  const vx = f64x2.sub(v128.load(xs), mx);
  const vy = f64x2.sub(v128.load(ys), my);
  const vz = f64x2.sub(v128.load(zs), mz);
  const length = f64x2.sqrt(f64x2.add(f64x2.add(f64x2.mul(vx, vx), f64x2.mul(vy, vy)), f64x2.mul(vz, vz)));
  v128.store(offset, length);
  const denominator = f64x2.mul(length, norm);
  const dot = f64x2.add(f64x2.add(f64x2.mul(vx, mx), f64x2.mul(vy, my)), f64x2.mul(vz, mz));
  const cos = f64x2.pmin(f64x2.pmax(f64x2.div(dot, denominator), f64x2.splat(-1)), f64x2.splat(1));
  v128.store(angle, v128.bitselect(acosV(cos), f64x2.splat(NaN), f64x2.gt(denominator, f64x2.splat(0))));
}

// Rotation costs of the n rows from their angles and offsets: the angle scaled by a1·g + b1 up to
// π/2 and a2·g + b2 above, 0 where the angle is NaN. n a multiple of 4, two chains, as above.
export function rodCosts(angle: usize, offset: usize, n: i32, a1: f64, b1: f64, a2: f64, b2: f64, cost: usize): void {
  const scale1 = f64x2.splat(a1);
  const shift1 = f64x2.splat(b1);
  const scale2 = f64x2.splat(a2);
  const shift2 = f64x2.splat(b2);
  for (let i = 0; i < n; i += 4) {
    const o = <usize>i << 3;
    costPair(angle + o, offset + o, scale1, shift1, scale2, shift2, cost + o);
    costPair(angle + o + 16, offset + o + 16, scale1, shift1, scale2, shift2, cost + o + 16);
  }
}

// Two rows of rodCosts.
// @ts-ignore: decorator
@inline
function costPair(angle: usize, offset: usize, scale1: v128, shift1: v128, scale2: v128, shift2: v128, cost: usize): void {
  const g = v128.load(angle);
  const scaled = v128.bitselect(
    f64x2.add(f64x2.mul(g, scale1), shift1),
    f64x2.add(f64x2.mul(g, scale2), shift2),
    f64x2.le(g, f64x2.splat(RIGHT)),
  );
  // A NaN angle fails both comparisons: its cost is masked to 0.
  v128.store(cost, v128.andnot(rotationCost(scaled, v128.load(offset)), f64x2.ne(g, g)));
}

// |cost − median| of the n rows to `deviation` (n a multiple of 4).
export function rodDeviations(cost: usize, n: i32, median: f64, deviation: usize): void {
  const m = f64x2.splat(median);
  for (let i = 0; i < n; i += 2) {
    const o = <usize>i << 3;
    v128.store(deviation + o, f64x2.abs(f64x2.sub(v128.load(cost + o), m)));
  }
}

// Adds each row's modified z-score 0.6745·deviation / mad to `total` (0.6745 ≈ Φ⁻¹(3/4):
// Iglewicz & Hoaglin's factor, PyOD's constant), after NumPy's nan_to_num (NaN → 0, ∞ → the
// largest double) and, when `squash`, a sigmoid. n a multiple of 4, two chains, as above.
export function rodAddScores(deviation: usize, n: i32, mad: f64, squash: i32, total: usize): void {
  const madV = f64x2.splat(mad);
  for (let i = 0; i < n; i += 4) {
    const o = <usize>i << 3;
    scorePair(deviation + o, madV, squash, total + o);
    scorePair(deviation + o + 16, madV, squash, total + o + 16);
  }
}

// Two rows of rodAddScores.
// @ts-ignore: decorator
@inline
function scorePair(deviation: usize, mad: v128, squash: i32, total: usize): void {
  const one = f64x2.splat(1);
  let z = f64x2.div(f64x2.mul(f64x2.splat(0.6745), v128.load(deviation)), mad);
  z = v128.andnot(z, f64x2.ne(z, z));
  z = v128.bitselect(f64x2.splat(F64.MAX_VALUE), z, f64x2.eq(z, f64x2.splat(Infinity)));
  const add = squash ? f64x2.div(one, f64x2.add(one, expV(f64x2.neg(z)))) : z;
  v128.store(total, f64x2.add(v128.load(total), add));
}

// The median of the n values at `values` as NumPy's quantile(values, 0.5) (linear
// interpolation: the middle value, or b − (b − a)/2 for the middle two a ≤ b), found by selection
// in `scratch` (room for n values; `values` is left as it is). The costs and deviations it is
// taken of are finite.
export function rodMedianOf(values: usize, n: i32, scratch: usize): f64 {
  if (n == 0) return NaN;
  memory.copy(scratch, values, <usize>n << 3);
  const middle = (n - 1) >> 1;
  const a = selectRank(scratch, middle, n);
  // NumPy interpolates with weight 0 here, a + (b − a)·0: the same as a + 0, which turns −0 to 0.
  if (n & 1) return a + 0.0;
  // Selection left everything after the middle at least as large: the next value is their least.
  let b = Infinity;
  for (let i = middle + 1; i < n; i++) {
    const v = load<f64>(scratch + (<usize>i << 3));
    if (v < b) b = v;
  }
  return b - (b - a) * 0.5;
}

// Moves the values at `a` (n of them) so that position k holds the value it would in sorted
// order, none larger before it and none smaller after, and returns it: Hoare's partitioning
// around a median of three, narrowed to the side holding k.
function selectRank(a: usize, k: i32, n: i32): f64 {
  let left = 0;
  let right = n - 1;
  while (right > left) {
    if (right == left + 1) {
      // Two left: order them (the three below would not be three different places).
      const pl = a + (<usize>left << 3);
      const x = load<f64>(pl);
      const y = load<f64>(pl, 8);
      if (y < x) {
        store<f64>(pl, y);
        store<f64>(pl, x, 8);
      }
      break;
    }
    const mid = (left + right) >>> 1;
    const pl = a + (<usize>left << 3);
    const pm = a + (<usize>mid << 3);
    const pr = a + (<usize>right << 3);
    let x = load<f64>(pl);
    let y = load<f64>(pm);
    let z = load<f64>(pr);
    // Sort the three, then park the pivot (their median) at `left`.
    if (y < x) { const t = x; x = y; y = t; }
    if (z < x) { const t = x; x = z; z = t; }
    if (z < y) { const t = y; y = z; z = t; }
    store<f64>(pl, y);
    store<f64>(pm, x);
    store<f64>(pr, z);
    const pivot = y;
    let i = left + 1;
    let j = right;
    for (;;) {
      while (i <= j && load<f64>(a + (<usize>i << 3)) < pivot) i++;
      while (i <= j && load<f64>(a + (<usize>j << 3)) > pivot) j--;
      if (i >= j) break;
      const pi = a + (<usize>i << 3);
      const pj = a + (<usize>j << 3);
      const t = load<f64>(pi);
      store<f64>(pi, load<f64>(pj));
      store<f64>(pj, t);
      i++;
      j--;
    }
    const pj = a + (<usize>j << 3);
    store<f64>(pl, load<f64>(pj));
    store<f64>(pj, pivot);
    if (j == k) return pivot;
    if (j < k) left = j + 1;
    else right = j - 1;
  }
  return load<f64>(a + (<usize>k << 3));
}
