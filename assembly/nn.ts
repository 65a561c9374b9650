// Kernels of the dense network engine (src/core/nn.ts, laid out by src/core/nn-engine.ts): a
// whole training step runs here, on buffers that stay in this module's memory, so JavaScript
// only sequences the calls. f64 throughout, two values per SIMD instruction (f32x4 with f64
// sums would spend on conversions what it gains on products). Every product sums over its inner
// index in order, the same way in the SIMD blocks and in the scalar tails, so a row's result
// never depends on the other rows of its batch.

import { expm1TaylorV, LN2_HI, LN2_LO, LOG2E, ROUNDER, ROUNDER_BITS } from "./exp-parts";

// Activation codes, as src/core/nn-engine.ts numbers them.
const LINEAR = 0;
const RELU = 1;
const TANH = 2;
const SIGMOID = 3;
const ELU = 4;

// C (m × n) = A · B, plus bias[j] on column j when bias ≠ 0. B is K × n, row-major. A's element
// (i, k) is at a + (i·aRow + k·aCol)·8, so A may be row-major (aRow = K, aCol = 1) or the
// transpose of a row-major K × m matrix (aRow = 1, aCol = m). Blocks of 2 rows × 8 columns keep
// eight sums in registers, each B vector loaded once for two rows (measured about 25% faster
// than 4 × 4 blocks here); narrower column blocks and a single-row pass take the edges.
export function nnMatMul(a: usize, aRow: i32, aCol: i32, m: i32, kk: i32, b: usize, n: i32, bias: usize, c: usize): void {
  const aRowB = <usize>aRow << 3;
  const aColB = <usize>aCol << 3;
  const bRowB = <usize>n << 3;
  const bEnd = <usize>kk * bRowB;
  let i = 0;
  for (; i + 2 <= m; i += 2) {
    const a0 = a + <usize>i * aRowB;
    const a1 = a0 + aRowB;
    const c0 = c + <usize>i * bRowB;
    const c1 = c0 + bRowB;
    let j = 0;
    for (; j + 8 <= n; j += 8) {
      let s00 = f64x2.splat(0), s01 = f64x2.splat(0), s02 = f64x2.splat(0), s03 = f64x2.splat(0);
      let s10 = f64x2.splat(0), s11 = f64x2.splat(0), s12 = f64x2.splat(0), s13 = f64x2.splat(0);
      let p0 = a0;
      let p1 = a1;
      let bk = b + (<usize>j << 3);
      const end = bk + bEnd;
      for (; bk < end; bk += bRowB) {
        const x0 = v128.load64_splat(p0);
        const x1 = v128.load64_splat(p1);
        let y = v128.load(bk);
        s00 = f64x2.add(s00, f64x2.mul(x0, y));
        s10 = f64x2.add(s10, f64x2.mul(x1, y));
        y = v128.load(bk, 16);
        s01 = f64x2.add(s01, f64x2.mul(x0, y));
        s11 = f64x2.add(s11, f64x2.mul(x1, y));
        y = v128.load(bk, 32);
        s02 = f64x2.add(s02, f64x2.mul(x0, y));
        s12 = f64x2.add(s12, f64x2.mul(x1, y));
        y = v128.load(bk, 48);
        s03 = f64x2.add(s03, f64x2.mul(x0, y));
        s13 = f64x2.add(s13, f64x2.mul(x1, y));
        p0 += aColB;
        p1 += aColB;
      }
      const o = <usize>j << 3;
      storePair(c0 + o, s00, bias, o);
      storePair(c0 + o + 16, s01, bias, o + 16);
      storePair(c0 + o + 32, s02, bias, o + 32);
      storePair(c0 + o + 48, s03, bias, o + 48);
      storePair(c1 + o, s10, bias, o);
      storePair(c1 + o + 16, s11, bias, o + 16);
      storePair(c1 + o + 32, s12, bias, o + 32);
      storePair(c1 + o + 48, s13, bias, o + 48);
    }
    for (; j + 2 <= n; j += 2) {
      let s0 = f64x2.splat(0), s1 = f64x2.splat(0);
      let p0 = a0;
      let p1 = a1;
      let bk = b + (<usize>j << 3);
      const end = bk + bEnd;
      for (; bk < end; bk += bRowB) {
        const y = v128.load(bk);
        s0 = f64x2.add(s0, f64x2.mul(v128.load64_splat(p0), y));
        s1 = f64x2.add(s1, f64x2.mul(v128.load64_splat(p1), y));
        p0 += aColB;
        p1 += aColB;
      }
      const o = <usize>j << 3;
      storePair(c0 + o, s0, bias, o);
      storePair(c1 + o, s1, bias, o);
    }
    if (j < n) {
      const bj = b + (<usize>j << 3);
      store<f64>(c0 + (<usize>j << 3), dotColumn(a0, aColB, bj, bRowB, bEnd, bias, j));
      store<f64>(c1 + (<usize>j << 3), dotColumn(a1, aColB, bj, bRowB, bEnd, bias, j));
    }
  }
  if (i < m) {
    const a0 = a + <usize>i * aRowB;
    const c0 = c + <usize>i * bRowB;
    let j = 0;
    for (; j + 2 <= n; j += 2) {
      let s = f64x2.splat(0);
      let p0 = a0;
      let bk = b + (<usize>j << 3);
      const end = bk + bEnd;
      for (; bk < end; bk += bRowB) {
        s = f64x2.add(s, f64x2.mul(v128.load64_splat(p0), v128.load(bk)));
        p0 += aColB;
      }
      storePair(c0 + (<usize>j << 3), s, bias, <usize>j << 3);
    }
    if (j < n) store<f64>(c0 + (<usize>j << 3), dotColumn(a0, aColB, b + (<usize>j << 3), bRowB, bEnd, bias, j));
  }
}

// Stores two sums, plus the bias pair at byte offset o when there is a bias.
// @ts-ignore: decorator
@inline
function storePair(at: usize, s: v128, bias: usize, o: usize): void {
  v128.store(at, bias != 0 ? f64x2.add(s, v128.load(bias + o)) : s);
}

// Σ_k A(i, k)·B(k, j) in order (+ bias[j]): the scalar form of one lane of nnMatMul.
// @ts-ignore: decorator
@inline
function dotColumn(ai: usize, aColB: usize, bj: usize, bRowB: usize, bEnd: usize, bias: usize, j: i32): f64 {
  let s: f64 = 0;
  let p = ai;
  const end = bj + bEnd;
  for (let bk = bj; bk < end; bk += bRowB) {
    s += load<f64>(p) * load<f64>(bk);
    p += aColB;
  }
  if (bias != 0) s += load<f64>(bias + (<usize>j << 3));
  return s;
}

// out (cols × rows) = the transpose of a (rows × cols).
export function nnTranspose(a: usize, rows: i32, cols: i32, out: usize): void {
  for (let i = 0; i < rows; i++) {
    const row = a + (<usize>(i * cols) << 3);
    for (let j = 0; j < cols; j++) store<f64>(out + (<usize>(j * rows + i) << 3), load<f64>(row + (<usize>j << 3)));
  }
}

// ---- Activations ----------------------------------------------------------------------------

// tanh of two values: tanh|x| = E/(E + 2) with E = e^(2|x|) − 1, the sign put back after.
// E comes from 2|x| = m·ln2 + r (Cody–Waite, |r| ≤ ln2/2) as 2^m·expm1(r) + (2^m − 1): both
// parts exact scalings or exact integers, so E keeps its relative accuracy even for small x
// (m = 0 gives E = expm1(r) itself); expm1(r) = r·P(r) with P the degree-12 Taylor polynomial of
// (e^r − 1)/r, whose next term is below 4·10⁻¹⁸. 2|x| is capped at 40, where tanh is 1 in double
// precision. Tested against Math.tanh to a few ulps (src/core/nn-engine.test.ts).
const TANH_CAP: f64 = 40.0;

// @ts-ignore: decorator
@inline
function tanhV(x: v128): v128 {
  const signBit = v128.and(x, f64x2.splat(-0.0));
  const y = f64x2.min(f64x2.add(f64x2.abs(x), f64x2.abs(x)), f64x2.splat(TANH_CAP));
  const t = f64x2.add(f64x2.mul(y, f64x2.splat(LOG2E)), f64x2.splat(ROUNDER));
  const m = f64x2.sub(t, f64x2.splat(ROUNDER));
  const r = f64x2.sub(f64x2.sub(y, f64x2.mul(m, f64x2.splat(LN2_HI))), f64x2.mul(m, f64x2.splat(LN2_LO)));
  const em1 = expm1TaylorV(r);
  const scale = i64x2.shl(i64x2.add(i64x2.sub(t, i64x2.splat(ROUNDER_BITS)), i64x2.splat(1023)), 52);
  const e = f64x2.add(f64x2.mul(scale, em1), f64x2.sub(scale, f64x2.splat(1.0)));
  const th = f64x2.div(e, f64x2.add(e, f64x2.splat(2.0)));
  return v128.or(th, signBit);
}

// tanh of v[0, n) in place, two at a time (an odd last value through a padded pair).
export function nnTanh(v: usize, n: i32): void {
  const pairs = <usize>(n & ~1) << 3;
  for (let o: usize = 0; o < pairs; o += 16) v128.store(v + o, tanhV(v128.load(v + o)));
  if (n & 1) store<f64>(v + pairs, f64x2.extract_lane(tanhV(f64x2.splat(load<f64>(v + pairs))), 0));
}

// Activation `kind` of v[0, n) in place.
export function nnActivate(kind: i32, v: usize, n: i32): void {
  const end = v + (<usize>n << 3);
  if (kind == RELU) {
    const zero = f64x2.splat(0);
    const pairs = v + (<usize>(n & ~1) << 3);
    let p = v;
    // pmax(0, x): x where x > 0, else 0 (NaN stays NaN, as `x < 0 ? 0 : x` leaves it).
    for (; p < pairs; p += 16) v128.store(p, v128.bitselect(zero, v128.load(p), f64x2.lt(v128.load(p), zero)));
    if (p < end && load<f64>(p) < 0) store<f64>(p, 0);
  } else if (kind == TANH) {
    nnTanh(v, n);
  } else if (kind == SIGMOID) {
    for (let p = v; p < end; p += 8) store<f64>(p, 1 / (1 + Math.exp(-load<f64>(p))));
  } else if (kind == ELU) {
    for (let p = v; p < end; p += 8) {
      const x = load<f64>(p);
      if (x < 0) store<f64>(p, Math.expm1(x));
    }
  }
}

// g ← g · mask (when mask ≠ 0: dropout's 0 or 1/keep) · f′, f′ read from the activation's
// output y (relu: 0 where y ≤ 0; tanh: 1 − y²; sigmoid: y(1 − y); elu: 1 above 0, y + 1 below).
// Two values per instruction; the odd last one goes through a pair whose second lane is unused.
export function nnActivationBackward(kind: i32, y: usize, g: usize, mask: usize, n: i32): void {
  const pairs = <usize>(n & ~1) << 3;
  let o: usize = 0;
  for (; o < pairs; o += 16) {
    let d = v128.load(g + o);
    if (mask != 0) d = f64x2.mul(d, v128.load(mask + o));
    v128.store(g + o, activationGrad(kind, v128.load(y + o), d));
  }
  if (n & 1) {
    let d = load<f64>(g + o);
    if (mask != 0) d *= load<f64>(mask + o);
    store<f64>(g + o, f64x2.extract_lane(activationGrad(kind, f64x2.splat(load<f64>(y + o)), f64x2.splat(d)), 0));
  }
}

// @ts-ignore: decorator
@inline
function activationGrad(kind: i32, y: v128, d: v128): v128 {
  const one = f64x2.splat(1);
  const zero = f64x2.splat(0);
  if (kind == RELU) return v128.bitselect(zero, d, f64x2.le(y, zero));
  if (kind == TANH) return f64x2.mul(d, f64x2.sub(one, f64x2.mul(y, y)));
  if (kind == SIGMOID) return f64x2.mul(d, f64x2.mul(y, f64x2.sub(one, y)));
  if (kind == ELU) return v128.bitselect(f64x2.mul(d, f64x2.add(y, one)), d, f64x2.lt(y, zero));
  return d;
}

// Inverted dropout of z[0, n) into out, the mask (0 or `scale`) into mask: one 32-bit draw
// (bits, ⌈n/2⌉ of them) serves two units, its low 16 bits the first, so read as little-endian
// 16-bit values the draws are one per unit in order; a unit is kept when its value is below
// keepBelow. Four units per step: their four 16-bit values widen to 32-bit lanes for the
// comparison, then to 64-bit lanes as masks of `scale`.
export function nnDropout(z: usize, n: i32, bits: usize, keepBelow: i32, scale: f64, mask: usize, out: usize): void {
  const limit = i32x4.splat(keepBelow);
  const s = f64x2.splat(scale);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const keep = i32x4.lt_s(i32x4.extend_low_i16x8_u(v128.load64_zero(bits + (<usize>i << 1))), limit);
    const m0 = v128.and(s, i64x2.extend_low_i32x4_s(keep));
    const m1 = v128.and(s, i64x2.extend_high_i32x4_s(keep));
    const o = <usize>i << 3;
    v128.store(mask + o, m0);
    v128.store(mask + o, m1, 16);
    v128.store(out + o, f64x2.mul(v128.load(z + o), m0));
    v128.store(out + o, f64x2.mul(v128.load(z + o, 16), m1), 16);
  }
  for (; i < n; i++) {
    const o = <usize>i << 3;
    const m: f64 = <i32>load<u16>(bits + (<usize>i << 1)) < keepBelow ? scale : 0;
    store<f64>(mask + o, m);
    store<f64>(out + o, load<f64>(z + o) * m);
  }
}

// ---- Batch normalisation (torch BatchNorm1d) -------------------------------------------------
// Loops run along a row, two units per instruction (each lane's arithmetic is the scalar one),
// an odd last unit alone.

// Training mode over `rows` rows of z (rows × units), in place: the batch's mean and biased
// variance (two passes), ĥ into hat, 1/σ into invStd, z ← γĥ + β; with `update`, the running
// mean and unbiased variance move by `momentum`. `mean` and `ss` are units-long scratch.
export function nnBatchNormTrain(
  z: usize, rows: i32, units: i32, gamma: usize, beta: usize, hat: usize, invStd: usize,
  mean: usize, ss: usize, runMean: usize, runVar: usize, eps: f64, momentum: f64, update: i32,
): void {
  const ub = <usize>units << 3;
  const pairs = <usize>(units & ~1) << 3;
  const odd = (units & 1) != 0;
  const m = <f64>rows;
  nnColumnSums(z, rows, units, mean);
  for (let u: usize = 0; u < ub; u += 8) store<f64>(mean + u, load<f64>(mean + u) / m);
  memory.fill(ss, 0, ub);
  for (let i = 0; i < rows; i++) {
    const row = z + <usize>i * ub;
    let u: usize = 0;
    for (; u < pairs; u += 16) {
      const c = f64x2.sub(v128.load(row + u), v128.load(mean + u));
      v128.store(ss + u, f64x2.add(v128.load(ss + u), f64x2.mul(c, c)));
    }
    if (odd) {
      const c = load<f64>(row + u) - load<f64>(mean + u);
      store<f64>(ss + u, load<f64>(ss + u) + c * c);
    }
  }
  for (let u: usize = 0; u < ub; u += 8) store<f64>(invStd + u, 1 / Math.sqrt(load<f64>(ss + u) / m + eps));
  for (let i = 0; i < rows; i++) {
    const row = z + <usize>i * ub;
    const hrow = hat + <usize>i * ub;
    let u: usize = 0;
    for (; u < pairs; u += 16) {
      const h = f64x2.mul(f64x2.sub(v128.load(row + u), v128.load(mean + u)), v128.load(invStd + u));
      v128.store(hrow + u, h);
      v128.store(row + u, f64x2.add(f64x2.mul(h, v128.load(gamma + u)), v128.load(beta + u)));
    }
    if (odd) {
      const h = (load<f64>(row + u) - load<f64>(mean + u)) * load<f64>(invStd + u);
      store<f64>(hrow + u, h);
      store<f64>(row + u, h * load<f64>(gamma + u) + load<f64>(beta + u));
    }
  }
  if (update != 0) {
    for (let u: usize = 0; u < ub; u += 8) {
      const unbiased = rows > 1 ? load<f64>(ss + u) / <f64>(rows - 1) : load<f64>(ss + u) / m;
      store<f64>(runMean + u, (1 - momentum) * load<f64>(runMean + u) + momentum * load<f64>(mean + u));
      store<f64>(runVar + u, (1 - momentum) * load<f64>(runVar + u) + momentum * unbiased);
    }
  }
}

// Inference mode, in place: z ← (z − running mean)·(1/√(running var + eps))·γ + β; `inv` is
// units-long scratch for the 1/√ terms.
export function nnBatchNormInfer(z: usize, rows: i32, units: i32, gamma: usize, beta: usize, runMean: usize, runVar: usize, eps: f64, inv: usize): void {
  const ub = <usize>units << 3;
  const pairs = <usize>(units & ~1) << 3;
  for (let u: usize = 0; u < ub; u += 8) store<f64>(inv + u, 1 / Math.sqrt(load<f64>(runVar + u) + eps));
  for (let i = 0; i < rows; i++) {
    const row = z + <usize>i * ub;
    let u: usize = 0;
    for (; u < pairs; u += 16) {
      const h = f64x2.mul(f64x2.sub(v128.load(row + u), v128.load(runMean + u)), v128.load(inv + u));
      v128.store(row + u, f64x2.add(f64x2.mul(h, v128.load(gamma + u)), v128.load(beta + u)));
    }
    if (units & 1) {
      store<f64>(row + u, (load<f64>(row + u) - load<f64>(runMean + u)) * load<f64>(inv + u) * load<f64>(gamma + u) + load<f64>(beta + u));
    }
  }
}

// Backward through training-mode batch norm, g (rows × units) in place from dL/dy to dL/dz:
// with ĥ = (z − μ)/σ and y = γĥ + β over m rows, dz = γ/(mσ)·(m·dy − Σdy − ĥ·Σ(dy·ĥ)).
// Writes dL/dγ = Σ(dy·ĥ) and dL/dβ = Σdy; `scale` is units-long scratch for γ/(mσ).
export function nnBatchNormBackward(g: usize, hat: usize, invStd: usize, gamma: usize, rows: i32, units: i32, dGamma: usize, dBeta: usize, scale: usize): void {
  const ub = <usize>units << 3;
  const pairs = <usize>(units & ~1) << 3;
  const odd = (units & 1) != 0;
  memory.fill(dGamma, 0, ub);
  nnColumnSums(g, rows, units, dBeta);
  for (let i = 0; i < rows; i++) {
    const grow = g + <usize>i * ub;
    const hrow = hat + <usize>i * ub;
    let u: usize = 0;
    for (; u < pairs; u += 16) {
      v128.store(dGamma + u, f64x2.add(v128.load(dGamma + u), f64x2.mul(v128.load(grow + u), v128.load(hrow + u))));
    }
    if (odd) store<f64>(dGamma + u, load<f64>(dGamma + u) + load<f64>(grow + u) * load<f64>(hrow + u));
  }
  const m = <f64>rows;
  for (let u: usize = 0; u < ub; u += 8) store<f64>(scale + u, (load<f64>(gamma + u) * load<f64>(invStd + u)) / m);
  const mv = f64x2.splat(m);
  for (let i = 0; i < rows; i++) {
    const grow = g + <usize>i * ub;
    const hrow = hat + <usize>i * ub;
    let u: usize = 0;
    for (; u < pairs; u += 16) {
      const inner = f64x2.sub(f64x2.sub(f64x2.mul(mv, v128.load(grow + u)), v128.load(dBeta + u)), f64x2.mul(v128.load(hrow + u), v128.load(dGamma + u)));
      v128.store(grow + u, f64x2.mul(v128.load(scale + u), inner));
    }
    if (odd) {
      store<f64>(grow + u, load<f64>(scale + u) * (m * load<f64>(grow + u) - load<f64>(dBeta + u) - load<f64>(hrow + u) * load<f64>(dGamma + u)));
    }
  }
}

// out[u] = Σ_i g[i][u] over rows, in row order (a bias's gradient, a column mean's sum).
export function nnColumnSums(g: usize, rows: i32, units: i32, out: usize): void {
  const ub = <usize>units << 3;
  const pairs = <usize>(units & ~1) << 3;
  memory.fill(out, 0, ub);
  for (let i = 0; i < rows; i++) {
    const row = g + <usize>i * ub;
    let u: usize = 0;
    for (; u < pairs; u += 16) v128.store(out + u, f64x2.add(v128.load(out + u), v128.load(row + u)));
    if (units & 1) store<f64>(out + u, load<f64>(out + u) + load<f64>(row + u));
  }
}

// ---- Batches, losses, optimiser --------------------------------------------------------------

// out (rows × cols) = the rows order[start], …, order[start + rows − 1] of x (· × cols).
export function nnGather(x: usize, cols: i32, order: usize, start: i32, rows: i32, out: usize): void {
  const rb = <usize>cols << 3;
  for (let r = 0; r < rows; r++) {
    const i = <usize>load<i32>(order + (<usize>(start + r) << 2));
    memory.copy(out + <usize>r * rb, x + i * rb, rb);
  }
}

// Mean squared error over n elements; dL/d(output) = 2(out − target)/n into grad.
export function nnMse(out: usize, target: usize, n: i32, grad: usize): f64 {
  let sum: f64 = 0;
  const f = 2 / <f64>n;
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 3;
    const e = load<f64>(out + o) - load<f64>(target + o);
    sum += e * e;
    store<f64>(grad + o, f * e);
  }
  return sum / <f64>n;
}

// Binary cross-entropy of probabilities p against 0/1 targets over n elements, each log clamped
// at −100 (torch), optional per-element weights (weights ≠ 0); dL/d(the sigmoid's input) =
// w(p − y)/n into grad.
export function nnBce(p: usize, target: usize, weights: usize, n: i32, grad: usize): f64 {
  let sum: f64 = 0;
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 3;
    const y = load<f64>(target + o);
    const w: f64 = weights == 0 ? 1 : load<f64>(weights + o);
    const pi = load<f64>(p + o);
    const logP = max(Math.log(pi), -100.0);
    const logQ = max(Math.log(1 - pi), -100.0);
    sum -= w * (y * logP + (1 - y) * logQ);
    store<f64>(grad + o, (w * (pi - y)) / <f64>n);
  }
  return sum / <f64>n;
}

// One Adam step (torch.optim.Adam, weight decay as an L2 term added to the gradient) over n
// parameters: p −= stepSize·m / (√v/√c2 + eps), stepSize = lr/c1. Two parameters per
// instruction (each lane's arithmetic is the scalar one), the odd last one alone.
export function nnAdam(params: usize, grads: usize, m: usize, v: usize, n: i32, stepSize: f64, beta1: f64, beta2: f64, eps: f64, weightDecay: f64, sqrtC2: f64): void {
  const b1 = f64x2.splat(beta1);
  const b2 = f64x2.splat(beta2);
  const c1 = f64x2.splat(1 - beta1);
  const c2 = f64x2.splat(1 - beta2);
  const wd = f64x2.splat(weightDecay);
  const step = f64x2.splat(stepSize);
  const root = f64x2.splat(sqrtC2);
  const e = f64x2.splat(eps);
  const pairs = <usize>(n & ~1) << 3;
  let o: usize = 0;
  for (; o < pairs; o += 16) {
    const p = v128.load(params + o);
    const g = f64x2.add(v128.load(grads + o), f64x2.mul(wd, p));
    const mi = f64x2.add(f64x2.mul(b1, v128.load(m + o)), f64x2.mul(c1, g));
    const vi = f64x2.add(f64x2.mul(b2, v128.load(v + o)), f64x2.mul(f64x2.mul(c2, g), g));
    v128.store(m + o, mi);
    v128.store(v + o, vi);
    v128.store(params + o, f64x2.sub(p, f64x2.div(f64x2.mul(step, mi), f64x2.add(f64x2.div(f64x2.sqrt(vi), root), e))));
  }
  if (n & 1) {
    const p = load<f64>(params + o);
    const g = load<f64>(grads + o) + weightDecay * p;
    const mi = beta1 * load<f64>(m + o) + (1 - beta1) * g;
    const vi = beta2 * load<f64>(v + o) + (1 - beta2) * g * g;
    store<f64>(m + o, mi);
    store<f64>(v + o, vi);
    store<f64>(params + o, p - (stepSize * mi) / (Math.sqrt(vi) / sqrtC2 + eps));
  }
}
