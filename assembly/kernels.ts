// Numeric kernels compiled to WebAssembly with 128-bit SIMD (AssemblyScript, `npm run build`).
// V8 runs plain JavaScript loops one double at a time; these run two per instruction and keep
// the partial sums in registers, about 4× faster on dense products (see src/core/wasm.ts).
// All matrices are f64, row-major, at byte offsets into this module's memory.

// The dense network engine's kernels (src/core/nn.ts) live in their own file.
export * from "./nn";
export * from "./kmeans";
export * from "./rod";
import { expS, expV } from "./exp-parts";

// out (n × k) = A (n × d) · Bᵀ, with B stored as k × d. Blocks of 2 rows of A by 4 rows of B,
// each lane pair summing even and odd j separately, so results differ from a sequential dot
// product only by rounding.
export function multiplyABt(a: usize, n: i32, b: usize, k: i32, d: i32, out: usize): void {
  multiplyABtStrided(a, n, b, k, d, out, k);
}

// multiplyABt with row i of the result at out + i·stride doubles (stride ≥ k).
function multiplyABtStrided(a: usize, n: i32, b: usize, k: i32, d: i32, out: usize, stride: i32): void {
  const rowBytes = <usize>d << 3;
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const a0 = a + <usize>i * rowBytes;
    let c = 0;
    for (; c + 4 <= k; c += 4) {
      const b0 = b + <usize>c * rowBytes;
      block2x4(a0, a0 + rowBytes, b0, b0 + rowBytes, b0 + 2 * rowBytes, b0 + 3 * rowBytes, d, out + (<usize>(i * stride + c) << 3), <usize>stride << 3);
    }
    for (; c < k; c++) {
      const bc = b + <usize>c * rowBytes;
      store<f64>(out + (<usize>(i * stride + c) << 3), dot(a0, bc, d));
      store<f64>(out + (<usize>((i + 1) * stride + c) << 3), dot(a0 + rowBytes, bc, d));
    }
  }
  if (i < n) rowABt(a + <usize>i * rowBytes, b, k, d, out + (<usize>(i * stride) << 3));
}

// The products of one row at `a` with each of the k rows at `b`, as `dot` computes each, two rows
// of b at a time: a row's lane sums are kept apart as in `dot`, and the two rows' halves are then
// added lane-wise (a shuffle instead of two extracts), so every value has dot's bits. A lone row
// (the one-class SVM's kernel columns, one row against all) otherwise paid a call per value.
function rowABt(a: usize, b: usize, k: i32, d: i32, out: usize): void {
  const rowBytes = <usize>d << 3;
  const even = <usize>(d & ~1) << 3;
  const odd = (d & 1) != 0;
  const lastA = odd ? v128.load64_splat(a + even) : f64x2.splat(0);
  let c = 0;
  for (; c + 2 <= k; c += 2)
    v128.store(out + (<usize>c << 3), pairDots(a, b + <usize>c * rowBytes, rowBytes, even, odd, lastA));
  if (c < k) store<f64>(out + (<usize>c << 3), dot(a, b + <usize>c * rowBytes, d));
}

// @ts-ignore: decorator
@inline
function hsum(v: v128): f64 {
  return f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1);
}

// @ts-ignore: decorator
@inline
function block2x4(a0: usize, a1: usize, b0: usize, b1: usize, b2: usize, b3: usize, d: i32, out: usize, outRow: usize): void {
  let s00 = f64x2.splat(0), s01 = f64x2.splat(0), s02 = f64x2.splat(0), s03 = f64x2.splat(0);
  let s10 = f64x2.splat(0), s11 = f64x2.splat(0), s12 = f64x2.splat(0), s13 = f64x2.splat(0);
  const even = <usize>(d & ~1) << 3;
  for (let o: usize = 0; o < even; o += 16) {
    const x0 = v128.load(a0 + o);
    const x1 = v128.load(a1 + o);
    const y0 = v128.load(b0 + o);
    const y1 = v128.load(b1 + o);
    const y2 = v128.load(b2 + o);
    const y3 = v128.load(b3 + o);
    s00 = f64x2.add(s00, f64x2.mul(x0, y0));
    s01 = f64x2.add(s01, f64x2.mul(x0, y1));
    s02 = f64x2.add(s02, f64x2.mul(x0, y2));
    s03 = f64x2.add(s03, f64x2.mul(x0, y3));
    s10 = f64x2.add(s10, f64x2.mul(x1, y0));
    s11 = f64x2.add(s11, f64x2.mul(x1, y1));
    s12 = f64x2.add(s12, f64x2.mul(x1, y2));
    s13 = f64x2.add(s13, f64x2.mul(x1, y3));
  }
  let r00 = hsum(s00), r01 = hsum(s01), r02 = hsum(s02), r03 = hsum(s03);
  let r10 = hsum(s10), r11 = hsum(s11), r12 = hsum(s12), r13 = hsum(s13);
  if (d & 1) {
    const x0 = load<f64>(a0 + even);
    const x1 = load<f64>(a1 + even);
    const y0 = load<f64>(b0 + even);
    const y1 = load<f64>(b1 + even);
    const y2 = load<f64>(b2 + even);
    const y3 = load<f64>(b3 + even);
    r00 += x0 * y0; r01 += x0 * y1; r02 += x0 * y2; r03 += x0 * y3;
    r10 += x1 * y0; r11 += x1 * y1; r12 += x1 * y2; r13 += x1 * y3;
  }
  store<f64>(out, r00); store<f64>(out, r01, 8); store<f64>(out, r02, 16); store<f64>(out, r03, 24);
  const o1 = out + outRow;
  store<f64>(o1, r10); store<f64>(o1, r11, 8); store<f64>(o1, r12, 16); store<f64>(o1, r13, 24);
}

function dot(x: usize, y: usize, d: i32): f64 {
  let s = f64x2.splat(0);
  const even = <usize>(d & ~1) << 3;
  for (let o: usize = 0; o < even; o += 16) s = f64x2.add(s, f64x2.mul(v128.load(x + o), v128.load(y + o)));
  let r = hsum(s);
  if (d & 1) r += load<f64>(x + even) * load<f64>(y + even);
  return r;
}

// Stable argsort of n doubles at `values` by LSD radix sort on order-preserving 64-bit keys
// (negative numbers: all bits flipped; others: sign bit set), 11/11/10 bits per 32-bit half.
// Needs scratch of 24·n bytes at `scratch` and 8 KiB of counters at `counts`; writes the order
// (u32 indices) to `order` and the values in that order back over `values`. Passes where every
// key has the same digit are skipped.
export function argsortF64(values: usize, n: i32, order: usize, scratch: usize, counts: usize): void {
  const nn = <usize>n;
  let keys = scratch;
  let keys2 = scratch + (nn << 3);
  let idx2 = scratch + (nn << 4);
  let idx = order;
  for (let i: usize = 0; i < nn; i++) {
    const bits = load<u64>(values + (i << 3));
    const key = (bits >> 63) != 0 ? ~bits : bits | 0x8000000000000000;
    store<u64>(keys + (i << 3), key);
    store<u32>(idx + (i << 2), <u32>i);
  }
  for (let pass = 0; pass < 6; pass++) {
    const shift = <u64>(pass < 3 ? pass * 11 : 32 + (pass - 3) * 11);
    const width = pass == 2 || pass == 5 ? 10 : 11;
    const mask = (<u64>1 << <u64>width) - 1;
    memory.fill(counts, 0, 2048 << 2);
    for (let i: usize = 0; i < nn; i++) {
      const digit = <usize>((load<u64>(keys + (i << 3)) >> shift) & mask);
      store<u32>(counts + (digit << 2), load<u32>(counts + (digit << 2)) + 1);
    }
    const first = <usize>((load<u64>(keys) >> shift) & mask);
    if (load<u32>(counts + (first << 2)) == <u32>n) continue;
    let sum: u32 = 0;
    for (let d: usize = 0; d <= <usize>mask; d++) {
      const c = load<u32>(counts + (d << 2));
      store<u32>(counts + (d << 2), sum);
      sum += c;
    }
    for (let i: usize = 0; i < nn; i++) {
      const key = load<u64>(keys + (i << 3));
      const digit = <usize>((key >> shift) & mask);
      const pos = <usize>load<u32>(counts + (digit << 2));
      store<u32>(counts + (digit << 2), <u32>pos + 1);
      store<u64>(keys2 + (pos << 3), key);
      store<u32>(idx2 + (pos << 2), load<u32>(idx + (i << 2)));
    }
    const tk = keys; keys = keys2; keys2 = tk;
    const ti = idx; idx = idx2; idx2 = ti;
  }
  if (idx != order) memory.copy(order, idx, nn << 2);
  for (let i: usize = 0; i < nn; i++) {
    const key = load<u64>(keys + (i << 3));
    store<u64>(values + (i << 3), (key >> 63) != 0 ? key & 0x7fffffffffffffff : ~key);
  }
}

// ---- Exact k-nearest neighbours -------------------------------------------------------------
// Both searches keep, per query, the k best (squared distance, index) pairs sorted ascending,
// ties by index, in `topD` (f64 × k) and `topI` (i32 × k); a candidate equal to the worst in
// distance enters only with a smaller index, so results do not depend on visiting order.

// Squared Euclidean distance, two features per instruction (lanes sum even and odd features).
// @ts-ignore: decorator
@inline
function squaredDistance(x: usize, y: usize, d: i32): f64 {
  let s = f64x2.splat(0);
  const even = <usize>(d & ~1) << 3;
  for (let o: usize = 0; o < even; o += 16) {
    const e = f64x2.sub(v128.load(x + o), v128.load(y + o));
    s = f64x2.add(s, f64x2.mul(e, e));
  }
  let r = hsum(s);
  if (d & 1) {
    const e = load<f64>(x + even) - load<f64>(y + even);
    r += e * e;
  }
  return r;
}

// Inserts (d2, index) into a full-or-filling sorted top-k list of `size` entries; returns the new size.
// @ts-ignore: decorator
@inline
function offer(topD: usize, topI: usize, k: i32, size: i32, d2: f64, index: i32): i32 {
  if (size == k) {
    const wd = load<f64>(topD + (<usize>(k - 1) << 3));
    if (d2 > wd || (d2 == wd && index > load<i32>(topI + (<usize>(k - 1) << 2)))) return size;
  }
  let pos = size < k ? size : k - 1;
  const grown = size < k ? size + 1 : size;
  while (pos > 0) {
    const pd = load<f64>(topD + (<usize>(pos - 1) << 3));
    if (pd < d2 || (pd == d2 && load<i32>(topI + (<usize>(pos - 1) << 2)) < index)) break;
    store<f64>(topD + (<usize>pos << 3), pd);
    store<i32>(topI + (<usize>pos << 2), load<i32>(topI + (<usize>(pos - 1) << 2)));
    pos--;
  }
  store<f64>(topD + (<usize>pos << 3), d2);
  store<i32>(topI + (<usize>pos << 2), index);
  return grown;
}

const TWO_M23: f64 = 1.1920928955078125e-7;
const TWO_M40: f64 = 9.094947017729282e-13;
const TWO_M126: f64 = 1.1754943508222875e-38;
const TWO_M149: f64 = 1.401298464324817e-45;

function writeNeighbours(topD: usize, topI: usize, k: i32, outD: usize, outI: usize): void {
  for (let c = 0; c < k; c++) {
    store<f64>(outD + (<usize>c << 3), Math.sqrt(load<f64>(topD + (<usize>c << 3))));
    store<i32>(outI + (<usize>c << 2), load<i32>(topI + (<usize>c << 2)));
  }
}

// out (n × k, i32) = A (n × dPad) · Bᵀ (B: k × dPad), 16-bit integers, dPad a multiple of 8:
// eight products per instruction (dot_i16x8_s multiplies eight pairs and adds neighbours into
// 32-bit lanes), exact because the caller's quantisation keeps every sum inside 32 bits.
function multiplyABtI16(a: usize, n: i32, b: usize, k: i32, dPad: i32, out: usize): void {
  const rowBytes = <usize>dPad << 1;
  for (let i = 0; i < n; i += 2) {
    const a0 = a + <usize>i * rowBytes;
    const a1 = i + 1 < n ? a0 + rowBytes : a0;
    for (let c = 0; c < k; c += 4) {
      const b0 = b + <usize>c * rowBytes;
      const b1 = c + 1 < k ? b0 + rowBytes : b0;
      const b2 = c + 2 < k ? b0 + 2 * rowBytes : b0;
      const b3 = c + 3 < k ? b0 + 3 * rowBytes : b0;
      let s00 = i32x4.splat(0), s01 = i32x4.splat(0), s02 = i32x4.splat(0), s03 = i32x4.splat(0);
      let s10 = i32x4.splat(0), s11 = i32x4.splat(0), s12 = i32x4.splat(0), s13 = i32x4.splat(0);
      for (let o: usize = 0; o < rowBytes; o += 16) {
        const x0 = v128.load(a0 + o);
        const x1 = v128.load(a1 + o);
        const y0 = v128.load(b0 + o);
        const y1 = v128.load(b1 + o);
        const y2 = v128.load(b2 + o);
        const y3 = v128.load(b3 + o);
        s00 = i32x4.add(s00, i32x4.dot_i16x8_s(x0, y0));
        s01 = i32x4.add(s01, i32x4.dot_i16x8_s(x0, y1));
        s02 = i32x4.add(s02, i32x4.dot_i16x8_s(x0, y2));
        s03 = i32x4.add(s03, i32x4.dot_i16x8_s(x0, y3));
        s10 = i32x4.add(s10, i32x4.dot_i16x8_s(x1, y0));
        s11 = i32x4.add(s11, i32x4.dot_i16x8_s(x1, y1));
        s12 = i32x4.add(s12, i32x4.dot_i16x8_s(x1, y2));
        s13 = i32x4.add(s13, i32x4.dot_i16x8_s(x1, y3));
      }
      const o0 = out + (<usize>(i * k + c) << 2);
      const o1 = o0 + (<usize>k << 2);
      if (c + 4 <= k) {
        v128.store(o0, sums4(s00, s01, s02, s03));
        if (i + 1 < n) v128.store(o1, sums4(s10, s11, s12, s13));
        continue;
      }
      store<i32>(o0, hsumI32(s00));
      if (c + 1 < k) store<i32>(o0, hsumI32(s01), 4);
      if (c + 2 < k) store<i32>(o0, hsumI32(s02), 8);
      if (i + 1 < n) {
        store<i32>(o1, hsumI32(s10));
        if (c + 1 < k) store<i32>(o1, hsumI32(s11), 4);
        if (c + 2 < k) store<i32>(o1, hsumI32(s12), 8);
      }
    }
  }
}

// The lane sums of a, b, c and d as one vector: two rounds of pairing lanes and adding, six
// shuffles instead of twelve extractions.
// @ts-ignore: decorator
@inline
function sums4(a: v128, b: v128, c: v128, d: v128): v128 {
  // (a0 + a2, b0 + b2, a1 + a3, b1 + b3), and the same for c and d.
  const ab = i32x4.add(
    i32x4.shuffle(a, b, 0, 4, 1, 5),
    i32x4.shuffle(a, b, 2, 6, 3, 7),
  );
  const cd = i32x4.add(
    i32x4.shuffle(c, d, 0, 4, 1, 5),
    i32x4.shuffle(c, d, 2, 6, 3, 7),
  );
  return i32x4.add(i32x4.shuffle(ab, cd, 0, 1, 4, 5), i32x4.shuffle(ab, cd, 2, 3, 6, 7));
}

// @ts-ignore: decorator
@inline
function hsumI32(v: v128): i32 {
  return i32x4.extract_lane(v, 0) + i32x4.extract_lane(v, 1) + i32x4.extract_lane(v, 2) + i32x4.extract_lane(v, 3);
}

// @ts-ignore: decorator
@inline
function hsum4(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

// Blocked brute force for many features. Rows are filtered on a 16-bit copy: each row (minus the
// reference mean) times its own power of two 2^e (so its largest value is at most 2^bits),
// rounded to integers, padded to dPad (a multiple of 8) features, with the row's inverse scale
// 2^−e (`refInv`/`queryInv`) and the L1 norm and squared norm of the unrounded centred row
// (`refL1`/`refNorm`, double precision). The integer dot product q̃·r̃ is exact, and rounding moved
// each value by at most ½, so 2 q·r is within ‖q‖₁ 2^−e_r + ‖r‖₁ 2^−e_q + (d/2) 2^−e_q 2^−e_r of
// 2 q̃·r̃ 2^−e_q 2^−e_r: a row whose estimate ‖q‖² + ‖r‖² − 2 q·r minus that slack exceeds the
// current k-th squared distance (allowing `relative` of ‖q‖² + ‖r‖² and of that distance for
// double-precision rounding, and `absolute` for underflow) cannot be among the k nearest. Every
// other row is measured exactly in double precision on the original rows `ref`/`originalQueries`.
// `selfFirst` ≥ 0: query i is reference row selfFirst + i and excludes itself. Scratch: `dots` for
// blockQ × blockR i32 products, topD/topI for blockQ × k entries, sizes for blockQ i32.
export function bruteForceSearch(
  ref: usize, quantRef: usize, refNorm: usize, refInv: usize, refL1: usize, n: i32,
  originalQueries: usize, quantQueries: usize, queryNorm: usize, queryInv: usize, queryL1: usize,
  m: i32, d: i32, dPad: i32, selfFirst: i32, k: i32, relative: f64, absolute: f64,
  outD: usize, outI: usize,
  dots: usize, blockQ: i32, blockR: i32, topD: usize, topI: usize, sizes: usize,
): void {
  const rowBytes = <usize>d << 3;
  const quantBytes = <usize>dPad << 1;
  const kd = <usize>k << 3;
  const ki = <usize>k << 2;
  const halfD = <f64>d * 0.5;
  // The slack's own roundings (a few, each relative 2⁻⁵³) are covered by this factor.
  const slackMargin = 1 + TWO_M40;
  for (let q0 = 0; q0 < m; q0 += blockQ) {
    const qn = min(blockQ, m - q0);
    memory.fill(sizes, 0, <usize>qn << 2);
    for (let r0 = 0; r0 < n; r0 += blockR) {
      const rn = min(blockR, n - r0);
      multiplyABtI16(quantQueries + <usize>q0 * quantBytes, qn, quantRef + <usize>r0 * quantBytes, rn, dPad, dots);
      for (let i = 0; i < qn; i++) {
        const qi = q0 + i;
        const self = selfFirst >= 0 ? selfFirst + qi : -1;
        const qNorm = load<f64>(queryNorm + (<usize>qi << 3));
        const qInv = load<f64>(queryInv + (<usize>qi << 3));
        const qL1 = load<f64>(queryL1 + (<usize>qi << 3));
        const tD = topD + <usize>i * kd;
        const tI = topI + <usize>i * ki;
        let size = load<i32>(sizes + (<usize>i << 2));
        let worst = size == k ? load<f64>(tD + kd - 8) : Infinity;
        let reach = worst * (1 + relative) + absolute;
        const row = dots + (<usize>(i * rn) << 2);
        // Two candidates per instruction: most pairs are rejected here without a branch each.
        const qNorm2 = f64x2.splat(qNorm);
        const qInv2 = f64x2.splat(qInv);
        const qL12 = f64x2.splat(qL1);
        const halfD2 = f64x2.splat(halfD);
        const relative2 = f64x2.splat(relative);
        const margin2 = f64x2.splat(slackMargin);
        let reach2 = f64x2.splat(reach);
        let j = 0;
        for (; j + 2 <= rn; j += 2) {
          const at = <usize>(r0 + j) << 3;
          const rInv2 = v128.load(refInv + at);
          const dot2 = f64x2.convert_low_i32x4_s(v128.load64_zero(row + (<usize>j << 2)));
          const scale2 = f64x2.mul(qInv2, rInv2);
          const norms2 = f64x2.add(qNorm2, v128.load(refNorm + at));
          const approx2 = f64x2.sub(norms2, f64x2.mul(f64x2.add(dot2, dot2), scale2));
          const rounding2 = f64x2.add(
            f64x2.add(f64x2.mul(qL12, rInv2), f64x2.mul(v128.load(refL1 + at), qInv2)),
            f64x2.mul(halfD2, scale2),
          );
          const slack2 = f64x2.add(f64x2.mul(rounding2, margin2), f64x2.mul(relative2, norms2));
          // Both above their limit: skip. (A NaN estimate is never "above": it is measured.)
          if (i8x16.bitmask(f64x2.gt(f64x2.sub(approx2, slack2), reach2)) == 0xffff) continue;
          for (let c = 0; c < 2; c++) {
            const r = r0 + j + c;
            const dot = load<i32>(row + (<usize>(j + c) << 2));
            if (r == self || lowerBound(qNorm, qInv, qL1, refNorm, refInv, refL1, r, dot, halfD, relative, slackMargin) > reach) continue;
            const d2 = squaredDistance(originalQueries + <usize>qi * rowBytes, ref + <usize>r * rowBytes, d);
            size = offer(tD, tI, k, size, d2, r);
            if (size == k) {
              worst = load<f64>(tD + kd - 8);
              reach = worst * (1 + relative) + absolute;
              reach2 = f64x2.splat(reach);
            }
          }
        }
        for (; j < rn; j++) {
          const r = r0 + j;
          const dot = load<i32>(row + (<usize>j << 2));
          if (r == self || lowerBound(qNorm, qInv, qL1, refNorm, refInv, refL1, r, dot, halfD, relative, slackMargin) > reach) continue;
          const d2 = squaredDistance(originalQueries + <usize>qi * rowBytes, ref + <usize>r * rowBytes, d);
          size = offer(tD, tI, k, size, d2, r);
          if (size == k) {
            worst = load<f64>(tD + kd - 8);
            reach = worst * (1 + relative) + absolute;
          }
        }
        store<i32>(sizes + (<usize>i << 2), size);
      }
    }
    for (let i = 0; i < qn; i++) {
      writeNeighbours(topD + <usize>i * kd, topI + <usize>i * ki, k, outD + <usize>(q0 + i) * kd, outI + <usize>(q0 + i) * ki);
    }
  }
}

// The filter's lower bound on the squared distance from the query to reference row r, one pair
// at a time: the same operations in the same order as the two-lane version above.
// @ts-ignore: decorator
@inline
function lowerBound(
  qNorm: f64, qInv: f64, qL1: f64, refNorm: usize, refInv: usize, refL1: usize, r: i32, dot: i32,
  halfD: f64, relative: f64, slackMargin: f64,
): f64 {
  const at = <usize>r << 3;
  const rInv = load<f64>(refInv + at);
  const scale = qInv * rInv;
  const norms = qNorm + load<f64>(refNorm + at);
  const approx = norms - (<f64>dot + <f64>dot) * scale;
  const rounding = qL1 * rInv + load<f64>(refL1 + at) * qInv + halfD * scale;
  return approx - (rounding * slackMargin + relative * norms);
}

// ---- RBF kernel values ------------------------------------------------------------------------
// e^y by expV (two values) and expS (one), assembly/exp-parts.ts.

// In place over an n × k block of products at `dots` (row i of A with row c of B): the RBF
// kernel exp(−γ (aSq[i] + bSq[c] − 2·dot)), the squared distance clipped at 0 when `clip` ≠ 0.
export function rbfFromDots(dots: usize, n: i32, k: i32, aSq: usize, bSq: usize, gamma: f64, clip: i32): void {
  rbfFromDotsStrided(dots, n, k, aSq, bSq, gamma, clip, k);
}

// rbfFromDots on rows `stride` doubles apart (stride ≥ k).
function rbfFromDotsStrided(dots: usize, n: i32, k: i32, aSq: usize, bSq: usize, gamma: f64, clip: i32, stride: i32): void {
  const g = f64x2.splat(-gamma);
  const two = f64x2.splat(2);
  const zero = f64x2.splat(0);
  const pairs = k & ~1;
  const quads = k & ~3;
  const octets = k & ~7;
  for (let i = 0; i < n; i++) {
    const row = dots + ((<usize>i * <usize>stride) << 3);
    const ai = load<f64>(aSq + (<usize>i << 3));
    const av = f64x2.splat(ai);
    let c = 0;
    // Eight values per step: four independent exp chains for the processor to overlap. An exp is
    // a chain of 28 dependent multiplies and adds (Horner's order), so two chains left the
    // arithmetic units waiting on latency (measured on the one-class SVM's columns).
    for (; c < octets; c += 8) {
      const at = row + (<usize>c << 3);
      const sq = bSq + (<usize>c << 3);
      let s0 = f64x2.sub(f64x2.add(av, v128.load(sq)), f64x2.mul(two, v128.load(at)));
      let s1 = f64x2.sub(f64x2.add(av, v128.load(sq, 16)), f64x2.mul(two, v128.load(at, 16)));
      let s2 = f64x2.sub(f64x2.add(av, v128.load(sq, 32)), f64x2.mul(two, v128.load(at, 32)));
      let s3 = f64x2.sub(f64x2.add(av, v128.load(sq, 48)), f64x2.mul(two, v128.load(at, 48)));
      if (clip) {
        s0 = f64x2.pmax(s0, zero);
        s1 = f64x2.pmax(s1, zero);
        s2 = f64x2.pmax(s2, zero);
        s3 = f64x2.pmax(s3, zero);
      }
      const e0 = expV(f64x2.mul(g, s0));
      const e1 = expV(f64x2.mul(g, s1));
      const e2 = expV(f64x2.mul(g, s2));
      const e3 = expV(f64x2.mul(g, s3));
      v128.store(at, e0);
      v128.store(at, e1, 16);
      v128.store(at, e2, 32);
      v128.store(at, e3, 48);
    }
    for (; c < quads; c += 4) {
      const at = row + (<usize>c << 3);
      const sq = bSq + (<usize>c << 3);
      let s0 = f64x2.sub(f64x2.add(av, v128.load(sq)), f64x2.mul(two, v128.load(at)));
      let s1 = f64x2.sub(f64x2.add(av, v128.load(sq, 16)), f64x2.mul(two, v128.load(at, 16)));
      if (clip) {
        s0 = f64x2.pmax(s0, zero);
        s1 = f64x2.pmax(s1, zero);
      }
      const e0 = expV(f64x2.mul(g, s0));
      const e1 = expV(f64x2.mul(g, s1));
      v128.store(at, e0);
      v128.store(at, e1, 16);
    }
    for (; c < pairs; c += 2) {
      const at = row + (<usize>c << 3);
      let s = f64x2.sub(f64x2.add(av, v128.load(bSq + (<usize>c << 3))), f64x2.mul(two, v128.load(at)));
      if (clip) s = f64x2.pmax(s, zero);
      v128.store(at, expV(f64x2.mul(g, s)));
    }
    for (; c < k; c++) {
      const at = row + (<usize>c << 3);
      let s = ai + load<f64>(bSq + (<usize>c << 3)) - 2 * load<f64>(at);
      if (clip) s = max(s, 0);
      store<f64>(at, expS(-gamma * s));
    }
  }
}


// QMCD's wrap-around discrepancy kernel, Π_k (3/2 − |a| + a²) with a = x_k − y_k, summed over
// reference rows. Each row is compared with 4 reference rows at once, two features per lane
// pair: 8 independent product chains, so the multiplications' latency overlaps.

// @ts-ignore: decorator
@inline
function wrapFactor(x: v128, y: v128): v128 {
  const a = f64x2.sub(x, y);
  return f64x2.add(f64x2.sub(f64x2.splat(1.5), f64x2.abs(a)), f64x2.mul(a, a));
}

// @ts-ignore: decorator
@inline
function wrapFactorScalar(x: f64, y: f64): f64 {
  const a = x - y;
  return 1.5 - abs(a) + a * a;
}

function wrapKernel(x: usize, y: usize, d: i32): f64 {
  let p = f64x2.splat(1);
  const even = <usize>(d & ~1) << 3;
  for (let o: usize = 0; o < even; o += 16) p = f64x2.mul(p, wrapFactor(v128.load(x + o), v128.load(y + o)));
  let r = f64x2.extract_lane(p, 0) * f64x2.extract_lane(p, 1);
  if (d & 1) r *= wrapFactorScalar(load<f64>(x + even), load<f64>(y + even));
  return r;
}

// Kernels of row x with the 4 consecutive reference rows at y (row stride rowBytes), into out[0..3].
// @ts-ignore: decorator
@inline
function wrapKernel4(x: usize, y: usize, rowBytes: usize, d: i32, out: usize): void {
  let p0 = f64x2.splat(1), p1 = f64x2.splat(1), p2 = f64x2.splat(1), p3 = f64x2.splat(1);
  const y1 = y + rowBytes, y2 = y1 + rowBytes, y3 = y2 + rowBytes;
  const even = <usize>(d & ~1) << 3;
  for (let o: usize = 0; o < even; o += 16) {
    const v = v128.load(x + o);
    p0 = f64x2.mul(p0, wrapFactor(v, v128.load(y + o)));
    p1 = f64x2.mul(p1, wrapFactor(v, v128.load(y1 + o)));
    p2 = f64x2.mul(p2, wrapFactor(v, v128.load(y2 + o)));
    p3 = f64x2.mul(p3, wrapFactor(v, v128.load(y3 + o)));
  }
  let r0 = f64x2.extract_lane(p0, 0) * f64x2.extract_lane(p0, 1);
  let r1 = f64x2.extract_lane(p1, 0) * f64x2.extract_lane(p1, 1);
  let r2 = f64x2.extract_lane(p2, 0) * f64x2.extract_lane(p2, 1);
  let r3 = f64x2.extract_lane(p3, 0) * f64x2.extract_lane(p3, 1);
  if (d & 1) {
    const v = load<f64>(x + even);
    r0 *= wrapFactorScalar(v, load<f64>(y + even));
    r1 *= wrapFactorScalar(v, load<f64>(y1 + even));
    r2 *= wrapFactorScalar(v, load<f64>(y2 + even));
    r3 *= wrapFactorScalar(v, load<f64>(y3 + even));
  }
  store<f64>(out, r0);
  store<f64>(out, r1, 8);
  store<f64>(out, r2, 16);
  store<f64>(out, r3, 24);
}

// out[i] = Σ_j kernel(rows_i, ref_j) for m rows against n reference rows (d features each);
// scratch holds 4 doubles.
export function wrapAroundSums(rows: usize, m: i32, ref: usize, n: i32, d: i32, out: usize, scratch: usize): void {
  const rowBytes = <usize>d << 3;
  for (let i = 0; i < m; i++) {
    const x = rows + <usize>i * rowBytes;
    let sum: f64 = 0;
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      wrapKernel4(x, ref + <usize>j * rowBytes, rowBytes, d, scratch);
      sum += load<f64>(scratch) + load<f64>(scratch, 8) + load<f64>(scratch, 16) + load<f64>(scratch, 24);
    }
    for (; j < n; j++) sum += wrapKernel(x, ref + <usize>j * rowBytes, d);
    store<f64>(out + (<usize>i << 3), sum);
  }
}

// The same sums of the n reference rows against themselves, each pair's kernel computed once
// (it is symmetric) and added to both rows; out must hold each row's own kernel, (3/2)^d, on entry.
export function wrapAroundSelfSums(ref: usize, n: i32, d: i32, out: usize, scratch: usize): void {
  const rowBytes = <usize>d << 3;
  for (let i = 0; i < n; i++) {
    const x = ref + <usize>i * rowBytes;
    let own: f64 = 0;
    let j = i + 1;
    for (; j + 4 <= n; j += 4) {
      wrapKernel4(x, ref + <usize>j * rowBytes, rowBytes, d, scratch);
      const k0 = load<f64>(scratch), k1 = load<f64>(scratch, 8), k2 = load<f64>(scratch, 16), k3 = load<f64>(scratch, 24);
      own += k0 + k1 + k2 + k3;
      const at = out + (<usize>j << 3);
      store<f64>(at, load<f64>(at) + k0);
      store<f64>(at, load<f64>(at, 8) + k1, 8);
      store<f64>(at, load<f64>(at, 16) + k2, 16);
      store<f64>(at, load<f64>(at, 24) + k3, 24);
    }
    for (; j < n; j++) {
      const k = wrapKernel(x, ref + <usize>j * rowBytes, d);
      own += k;
      const at = out + (<usize>j << 3);
      store<f64>(at, load<f64>(at) + k);
    }
    const at = out + (<usize>i << 3);
    store<f64>(at, load<f64>(at) + own);
  }
}

// LODA (src/detectors/loda.ts). The data are stored column by column (feature j's n values at
// columns + j·n·8), so a projection on a few features reads a few contiguous columns.

// out[i] = Σ_u weights[u]·column(features[u])[i], summed over u in order (the same sum for every
// row, two rows per instruction); range[0], range[1] = min and max of out.
export function lodaProject(columns: usize, n: i32, features: usize, weights: usize, used: i32, out: usize, range: usize): void {
  const nn = <usize>n;
  const pairs = nn & ~(<usize>1);
  for (let o: usize = 0; o < nn << 3; o += 8) store<f64>(out + o, 0);
  for (let u = 0; u < used; u++) {
    const w = load<f64>(weights + (<usize>u << 3));
    const col = columns + ((<usize>load<i32>(features + (<usize>u << 2)) * nn) << 3);
    const wv = f64x2.splat(w);
    for (let o: usize = 0; o < pairs << 3; o += 16) v128.store(out + o, f64x2.add(v128.load(out + o), f64x2.mul(wv, v128.load(col + o))));
    if (nn & 1) {
      const o = pairs << 3;
      store<f64>(out + o, load<f64>(out + o) + w * load<f64>(col + o));
    }
  }
  let lo = Infinity;
  let hi = -Infinity;
  for (let o: usize = 0; o < nn << 3; o += 8) {
    const v = load<f64>(out + o);
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  store<f64>(range, lo);
  store<f64>(range, hi, 8);
}

// NumPy's histogram of the n values in [lo, hi] (hi > lo): edges b·step + lo, the last exactly
// hi, written to edges (bins + 1); counts per bin (f64) and each value's bin (i32 at binOf).
export function lodaHistogram(values: usize, n: i32, lo: f64, hi: f64, bins: i32, edges: usize, counts: usize, binOf: usize): void {
  const step = (hi - lo) / <f64>bins;
  for (let b = 0; b < bins; b++) {
    store<f64>(edges + (<usize>b << 3), <f64>b * step + lo);
    store<f64>(counts + (<usize>b << 3), 0);
  }
  store<f64>(edges + (<usize>bins << 3), hi);
  const toBin = <f64>bins / (hi - lo);
  for (let i = 0; i < n; i++) {
    const v = load<f64>(values + (<usize>i << 3));
    let b = <i32>((v - lo) * toBin);
    if (b >= bins) b = bins - 1;
    if (v < load<f64>(edges + (<usize>b << 3))) b--;
    else if (b < bins - 1 && v >= load<f64>(edges + (<usize>(b + 1) << 3))) b++;
    const c = counts + (<usize>b << 3);
    store<f64>(c, load<f64>(c) + 1);
    store<i32>(binOf + (<usize>i << 2), b);
  }
}

// PyOD's lookup of a value: how many of the first bins − 1 edges are strictly below it.
// @ts-ignore: decorator
@inline
function lodaEdgesBelow(edges: usize, bins: i32, toBin: f64, v: f64): i32 {
  const last = bins - 1;
  const x = (v - load<f64>(edges)) * toBin;
  let g: i32;
  if (!(x > 0)) g = 0;
  else if (x >= <f64>last) g = last;
  else {
    g = <i32>x;
    if (<f64>g < x) g++;
  }
  while (g > 0 && load<f64>(edges + (<usize>(g - 1) << 3)) >= v) g--;
  while (g < last && load<f64>(edges + (<usize>g << 3)) < v) g++;
  return g;
}

// out[i] += weight · surprisal[bin of values[i]], by PyOD's lookup; with binOf (non-zero) the
// values are the histogram's own and their lookup follows from their bins.
export function lodaAddSurprisal(values: usize, n: i32, edges: usize, bins: i32, surprisal: usize, weight: f64, binOf: usize, out: usize): void {
  const toBin = <f64>bins / (load<f64>(edges + (<usize>bins << 3)) - load<f64>(edges));
  for (let i = 0; i < n; i++) {
    const v = load<f64>(values + (<usize>i << 3));
    let bin: i32;
    if (binOf != 0) {
      const b = load<i32>(binOf + (<usize>i << 2));
      bin = v == load<f64>(edges + (<usize>b << 3)) ? b : min(b + 1, bins - 1);
    } else {
      bin = lodaEdgesBelow(edges, bins, toBin, v);
    }
    const o = out + (<usize>i << 3);
    store<f64>(o, load<f64>(o) + weight * load<f64>(surprisal + (<usize>bin << 3)));
  }
}

// ---- catspeed: products that skip exact zeros and mirrored halves (same bits as multiplyABt) ----

// out (n × k) = A (n × d) · Bᵀ for a lower-triangular B (k × d, zero right of its diagonal:
// B[c][j] = 0 for j > c), e.g. an inverse Cholesky factor. Gives multiplyABt's bits: column c's
// dot product stops at an even length past c (or at d), so each lane sums the same nonzero terms
// in the same order, and the terms left out are exact zeros (adding ±0 changes no nonzero sum; a
// zero sum may change sign, which squaring erases). About half the work of multiplyABt.
export function multiplyABtLower(a: usize, n: i32, b: usize, k: i32, d: i32, out: usize): void {
  const rowBytes = <usize>d << 3;
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const a0 = a + <usize>i * rowBytes;
    let c = 0;
    for (; c + 4 <= k; c += 4) {
      const b0 = b + <usize>c * rowBytes;
      // c is a multiple of 4, so c + 4 is even: lanes end where multiplyABt's would pass zeros.
      const length = min(d, c + 4);
      block2x4(a0, a0 + rowBytes, b0, b0 + rowBytes, b0 + 2 * rowBytes, b0 + 3 * rowBytes, length, out + (<usize>(i * k + c) << 3), <usize>k << 3);
    }
    for (; c < k; c++) {
      const bc = b + <usize>c * rowBytes;
      const length = min(d, (c + 2) & ~1);
      store<f64>(out + (<usize>(i * k + c) << 3), dot(a0, bc, length));
      store<f64>(out + (<usize>((i + 1) * k + c) << 3), dot(a0 + rowBytes, bc, length));
    }
  }
  for (; i < n; i++) {
    const ai = a + <usize>i * rowBytes;
    for (let c = 0; c < k; c++) {
      const length = min(d, (c + 2) & ~1);
      store<f64>(out + (<usize>(i * k + c) << 3), dot(ai, b + <usize>c * rowBytes, length));
    }
  }
}

// out (n × n) = A (n × d) · Aᵀ, symmetric: the blocks on and right of the diagonal as
// multiplyABt computes them, the rest mirrored (x·y and y·x round alike), so the same bits for
// about half the work.
export function multiplyAAt(a: usize, n: i32, d: i32, out: usize): void {
  const rowBytes = <usize>d << 3;
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const a0 = a + <usize>i * rowBytes;
    // Column blocks from the one holding i (4-aligned, as multiplyABt's) rightwards.
    let c = i & ~3;
    for (; c + 4 <= n; c += 4) {
      const b0 = a + <usize>c * rowBytes;
      block2x4(a0, a0 + rowBytes, b0, b0 + rowBytes, b0 + 2 * rowBytes, b0 + 3 * rowBytes, d, out + (<usize>(i * n + c) << 3), <usize>n << 3);
    }
    for (; c < n; c++) {
      const bc = a + <usize>c * rowBytes;
      store<f64>(out + (<usize>(i * n + c) << 3), dot(a0, bc, d));
      store<f64>(out + (<usize>((i + 1) * n + c) << 3), dot(a0 + rowBytes, bc, d));
    }
  }
  for (; i < n; i++) {
    const ai = a + <usize>i * rowBytes;
    for (let c = i; c < n; c++) store<f64>(out + (<usize>(i * n + c) << 3), dot(ai, a + <usize>c * rowBytes, d));
  }
  // Mirror: every entry left of the computed blocks from its transpose, which was computed.
  for (let r = 1; r < n; r++) {
    // The first column computed for row r: its pair's 4-aligned block, or r for an unpaired last row.
    const start = (n & 1) != 0 && r == n - 1 ? r : r & ~3;
    const rowOut = out + (<usize>(r * n) << 3);
    for (let c = 0; c < min(start, r); c++) store<f64>(rowOut + (<usize>c << 3), load<f64>(out + (<usize>(c * n + r) << 3)));
  }
}

// One epoch of SGDOneClassSVM's plain SGD with learning rate 'optimal' and no averaging
// (src/detectors/sgdocsvm.ts has the same loop in JavaScript for the other settings): rows in
// `order` (i32 row numbers), weights w = weights · scale, every floating-point operation as
// there, in the same order (wasm never fuses a multiply and an add). `state` holds f64
// [scale, intercept, t, alpha, optimalInit, fitIntercept (0/1)]; scale, intercept and t are
// updated. Returns the epoch's summed hinge loss. The dot products are one running sum each,
// as scikit-learn's; here without JavaScript's bounds checks.
export function sgdOcsvmEpoch(data: usize, d: i32, order: usize, n: i32, weights: usize, state: usize): f64 {
  let scale = load<f64>(state);
  let intercept = load<f64>(state, 8);
  let t = load<f64>(state, 16);
  const alpha = load<f64>(state, 24);
  const optimalInit = load<f64>(state, 32);
  const fitIntercept = load<f64>(state, 40) != 0;
  const rowBytes = <usize>d << 3;
  let sumLoss: f64 = 0;
  let dot: f64 = 0;
  const first = data + <usize>load<i32>(order) * rowBytes;
  for (let j = 0; j < d; j++) dot += load<f64>(weights + (<usize>j << 3)) * load<f64>(first + (<usize>j << 3));
  for (let k = 0; k < n; k++) {
    const at = data + <usize>load<i32>(order + (<usize>k << 2)) * rowBytes;
    const hasNext = k + 1 < n;
    const next = hasNext ? data + <usize>load<i32>(order + (<usize>(k + 1) << 2)) * rowBytes : 0;
    const margin = dot * scale + intercept;
    const eta = 1 / (alpha * (optimalInit + t - 1));
    const inside = margin <= 1;
    if (inside) sumLoss += 1 - margin;
    const update = inside ? eta : 0;
    const shrink = max<f64>(0, 1 - eta * alpha);
    scale *= shrink;
    if (scale < 1e-9) {
      for (let j = 0; j < d; j++) {
        const o = weights + (<usize>j << 3);
        store<f64>(o, load<f64>(o) * scale);
      }
      scale = 1;
    }
    let nextDot: f64 = 0;
    if (update != 0) {
      const step = update / scale;
      if (hasNext) {
        for (let j = 0; j < d; j++) {
          const o = weights + (<usize>j << 3);
          const w = load<f64>(o) + load<f64>(at + (<usize>j << 3)) * step;
          store<f64>(o, w);
          nextDot += w * load<f64>(next + (<usize>j << 3));
        }
      } else {
        for (let j = 0; j < d; j++) {
          const o = weights + (<usize>j << 3);
          store<f64>(o, load<f64>(o) + load<f64>(at + (<usize>j << 3)) * step);
        }
      }
    } else if (hasNext) {
      for (let j = 0; j < d; j++) nextDot += load<f64>(weights + (<usize>j << 3)) * load<f64>(next + (<usize>j << 3));
    }
    dot = nextDot;
    if (fitIntercept) {
      const interceptUpdate = update - 2 * eta * alpha;
      if (interceptUpdate != 0) intercept += interceptUpdate;
    }
    t += 1;
  }
  store<f64>(state, scale);
  store<f64>(state, intercept, 8);
  store<f64>(state, t, 16);
  return sumLoss;
}

// ---- cat4: sgdocsvm's zero columns and row dot products ----------------------------------------

// flags[j] (i32) = 1 where column j of the n × d rows at `data` holds a value other than ±0 (NaN
// counts), else 0. Returns how many columns are flagged. `scratch` holds d + 1 i64 lanes: two
// columns per instruction, their "not zero" masks gathered with an or (no branch per value).
export function nonzeroColumns(data: usize, n: i32, d: i32, flags: usize, scratch: usize): i32 {
  const pairs = d & ~1;
  memory.fill(scratch, 0, <usize>(pairs + 2) << 3);
  const rowBytes = <usize>d << 3;
  const zero = f64x2.splat(0);
  for (let i = 0; i < n; i++) {
    const row = data + <usize>i * rowBytes;
    let j = 0;
    for (; j < pairs; j += 2) {
      const o = <usize>j << 3;
      v128.store(scratch + o, v128.or(v128.load(scratch + o), f64x2.ne(v128.load(row + o), zero)));
    }
    if (j < d && load<f64>(row + (<usize>j << 3)) != 0) store<i64>(scratch + (<usize>j << 3), -1);
  }
  let count = 0;
  for (let j = 0; j < d; j++) {
    const flag = load<i64>(scratch + (<usize>j << 3)) != 0 ? 1 : 0;
    store<i32>(flags + (<usize>j << 2), flag);
    count += flag;
  }
  return count;
}

// Keeps the m columns listed (ascending i32 indices at `columns`) of the n × d rows at `data`, in
// place: the rows become n × m. Moving forwards never overwrites a value not yet moved.
export function keepColumns(data: usize, n: i32, d: i32, columns: usize, m: i32): void {
  let to = data;
  for (let i = 0; i < n; i++) {
    const row = data + <usize>i * (<usize>d << 3);
    for (let j = 0; j < m; j++) {
      store<f64>(to, load<f64>(row + (<usize>load<i32>(columns + (<usize>j << 2)) << 3)));
      to += 8;
    }
  }
}

// out[i] = x_i · w for the n × d rows at `data`, each one running sum in feature order from +0:
// a plain loop's bits. Vectors hold two rows (one per lane), four vectors at once, so eight
// independent sums overlap instead of waiting on each other's additions.
export function rowDots(data: usize, n: i32, d: i32, w: usize, out: usize): void {
  const rowBytes = <usize>d << 3;
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const r0 = data + <usize>i * rowBytes;
    const r2 = r0 + 2 * rowBytes;
    const r4 = r0 + 4 * rowBytes;
    const r6 = r0 + 6 * rowBytes;
    let s01 = f64x2.splat(0);
    let s23 = f64x2.splat(0);
    let s45 = f64x2.splat(0);
    let s67 = f64x2.splat(0);
    for (let j = 0; j < d; j++) {
      const o = <usize>j << 3;
      const wj = v128.load64_splat(w + o);
      const x01 = v128.load64_lane(r0 + rowBytes + o, v128.load64_zero(r0 + o), 1);
      const x23 = v128.load64_lane(r2 + rowBytes + o, v128.load64_zero(r2 + o), 1);
      const x45 = v128.load64_lane(r4 + rowBytes + o, v128.load64_zero(r4 + o), 1);
      const x67 = v128.load64_lane(r6 + rowBytes + o, v128.load64_zero(r6 + o), 1);
      s01 = f64x2.add(s01, f64x2.mul(x01, wj));
      s23 = f64x2.add(s23, f64x2.mul(x23, wj));
      s45 = f64x2.add(s45, f64x2.mul(x45, wj));
      s67 = f64x2.add(s67, f64x2.mul(x67, wj));
    }
    const o = out + (<usize>i << 3);
    v128.store(o, s01);
    v128.store(o, s23, 16);
    v128.store(o, s45, 32);
    v128.store(o, s67, 48);
  }
  for (; i < n; i++) {
    const row = data + <usize>i * rowBytes;
    let s: f64 = 0;
    for (let j = 0; j < d; j++) s += load<f64>(row + (<usize>j << 3)) * load<f64>(w + (<usize>j << 3));
    store<f64>(out + (<usize>i << 3), s);
  }
}

// ---- cat4: the one-class SVM's kernel matrix built in kernel memory ---------------------------

// One block of rows of the one-class SVM's RBF kernel matrix (src/core/one-class-svm.ts): rows
// r0..r1 of the n × d rows at `data` (squared norms at `squares`) against rows 0..r1, as
// multiplyABt's products and rbfFromDots's values (unclipped) in tiles of `tileRows` rows,
// written in double precision to `block` ((r1 − r0) × r1, row-major, its diagonal exactly 1),
// and in single precision to the n × n matrix at `q`: row i up to its diagonal and, mirrored,
// column i above it. Each value is the one the same products and exps give anywhere else (a
// value depends on its two rows only).
export function ocsvmGramBlock(
  data: usize,
  squares: usize,
  n: i32,
  d: i32,
  gamma: f64,
  r0: i32,
  r1: i32,
  tileRows: i32,
  block: usize,
  q: usize,
): void {
  const rowBytes = <usize>d << 3;
  const rows = r1 - r0;
  const blockRow = <usize>r1 << 3;
  for (let c0 = 0; c0 < r1; c0 += tileRows) {
    const c1 = min(r1, c0 + tileRows);
    const at = block + (<usize>c0 << 3);
    multiplyABtStrided(data + <usize>r0 * rowBytes, rows, data + <usize>c0 * rowBytes, c1 - c0, d, at, r1);
    rbfFromDotsStrided(at, rows, c1 - c0, squares + (<usize>r0 << 3), squares + (<usize>c0 << 3), gamma, 0, r1);
  }
  // libsvm's diagonal is exp(−γ · 0) = 1 exactly: its ‖x‖² and x·x are the same sum.
  for (let i = r0; i < r1; i++) store<f64>(block + <usize>(i - r0) * blockRow + (<usize>i << 3), 1);
  const qRow = <usize>n << 2;
  for (let i = r0; i < r1; i++) {
    const from = block + <usize>(i - r0) * blockRow;
    const to = q + <usize>i * qRow;
    for (let j = 0; j <= i; j++) store<f32>(to + (<usize>j << 2), <f32>load<f64>(from + (<usize>j << 3)));
  }
  // Mirrored in tiles of 64 columns, so the strided writes stay within a few pages at a time.
  for (let j0 = 0; j0 < r1; j0 += 64) {
    const j1 = min(r1, j0 + 64);
    for (let i = max(r0, j0); i < r1; i++) {
      const from = block + <usize>(i - r0) * blockRow;
      const end = min(i, j1);
      for (let j = j0; j < end; j++) store<f32>(q + <usize>j * qRow + (<usize>i << 2), <f32>load<f64>(from + (<usize>j << 3)));
    }
  }
}

// The one-class SVM solver's loops over whole columns (src/core/one-class-svm.ts), two rows per
// instruction. Columns are n single-precision values (libsvm's cache type), each promoted
// exactly to double before use; every value sees the same operations in the same order as in
// the solver's plain loops, so the same bits.

// The gradient at the start: for each of the `count` columns at `columns` (one after another, n
// values each) in turn, grad[r] += α_c · Q_c[r] over all rows r, and gradBound[r] += Q_c[r] when
// column c is at its upper bound (status 1). α and status of column c at alpha[c0 + c] and
// status[c0 + c].
export function ocsvmStartGradient(columns: usize, count: i32, n: i32, c0: i32, alpha: usize, status: usize, grad: usize, gradBound: usize): void {
  const pairs = n & ~1;
  for (let c = 0; c < count; c++) {
    const col = columns + ((<usize>c * <usize>n) << 2);
    const a = load<f64>(alpha + (<usize>(c0 + c) << 3));
    const av = f64x2.splat(a);
    const upper = load<u8>(status + <usize>(c0 + c)) == 1;
    let r = 0;
    for (; r < pairs; r += 2) {
      const q = f64x2.promote_low_f32x4(v128.load64_zero(col + (<usize>r << 2)));
      const g = grad + (<usize>r << 3);
      v128.store(g, f64x2.add(v128.load(g), f64x2.mul(av, q)));
      if (upper) {
        const b = gradBound + (<usize>r << 3);
        v128.store(b, f64x2.add(v128.load(b), q));
      }
    }
    for (; r < n; r++) {
      const q = <f64>load<f32>(col + (<usize>r << 2));
      const g = grad + (<usize>r << 3);
      store<f64>(g, load<f64>(g) + a * q);
      if (upper) {
        const b = gradBound + (<usize>r << 3);
        store<f64>(b, load<f64>(b) + q);
      }
    }
  }
}

// One SMO step's gradient update over the active positions: grad[p] += Q_i[r]·dI + Q_j[r]·dJ
// with r = p below `split` (positions still holding their own rows) and r = row[p] from there
// to `active`. Q_i and Q_j are the columns at colI and colJ.
export function ocsvmGradientStep(grad: usize, colI: usize, colJ: usize, dI: f64, dJ: f64, split: i32, active: i32, row: usize): void {
  const di = f64x2.splat(dI);
  const dj = f64x2.splat(dJ);
  const pairs = split & ~1;
  let p = 0;
  for (; p < pairs; p += 2) {
    const qi = f64x2.promote_low_f32x4(v128.load64_zero(colI + (<usize>p << 2)));
    const qj = f64x2.promote_low_f32x4(v128.load64_zero(colJ + (<usize>p << 2)));
    const g = grad + (<usize>p << 3);
    v128.store(g, f64x2.add(v128.load(g), f64x2.add(f64x2.mul(qi, di), f64x2.mul(qj, dj))));
  }
  for (; p < split; p++) {
    const g = grad + (<usize>p << 3);
    store<f64>(g, load<f64>(g) + (<f64>load<f32>(colI + (<usize>p << 2)) * dI + <f64>load<f32>(colJ + (<usize>p << 2)) * dJ));
  }
  for (; p < active; p++) {
    const r = <usize>load<i32>(row + (<usize>p << 2)) << 2;
    const g = grad + (<usize>p << 3);
    store<f64>(g, load<f64>(g) + (<f64>load<f32>(colI + r) * dI + <f64>load<f32>(colJ + r) * dJ));
  }
}

// The upper-bound part of the gradient when variables enter (sign 1) or leave (−1) the upper
// bound: gradBound[r] = gradBound[r] + signP·Q_p[r], then + signQ·Q_q[r] when `both` (two
// roundings, in that order), over all n rows.
export function ocsvmMoveBound(gradBound: usize, n: i32, colP: usize, signP: f64, colQ: usize, signQ: f64, both: i32): void {
  const sp = f64x2.splat(signP);
  const sq = f64x2.splat(signQ);
  const pairs = n & ~1;
  let r = 0;
  if (both) {
    for (; r < pairs; r += 2) {
      const qp = f64x2.promote_low_f32x4(v128.load64_zero(colP + (<usize>r << 2)));
      const qq = f64x2.promote_low_f32x4(v128.load64_zero(colQ + (<usize>r << 2)));
      const b = gradBound + (<usize>r << 3);
      v128.store(b, f64x2.add(f64x2.add(v128.load(b), f64x2.mul(sp, qp)), f64x2.mul(sq, qq)));
    }
    for (; r < n; r++) {
      const b = gradBound + (<usize>r << 3);
      store<f64>(b, load<f64>(b) + signP * <f64>load<f32>(colP + (<usize>r << 2)) + signQ * <f64>load<f32>(colQ + (<usize>r << 2)));
    }
  } else {
    for (; r < pairs; r += 2) {
      const qp = f64x2.promote_low_f32x4(v128.load64_zero(colP + (<usize>r << 2)));
      const b = gradBound + (<usize>r << 3);
      v128.store(b, f64x2.add(v128.load(b), f64x2.mul(sp, qp)));
    }
    for (; r < n; r++) {
      const b = gradBound + (<usize>r << 3);
      store<f64>(b, load<f64>(b) + signP * <f64>load<f32>(colP + (<usize>r << 2)));
    }
  }
}

// Σ_s coef_s · exp(−γ‖x_i − v_s‖²) for the n rows at `rows` against the m vectors at `vectors`
// (d features; squared norms at rowSq and vecSq), each row's sum one running sum over s in
// order from +0: the one-class SVM's decision values without the offset. The kernel values are
// rbfFromDots's (clipped at 0 if `clip`), made for blocks of 256 rows against tiles of
// `tileVectors` vectors in `tile` (scratch of 256 · tileVectors doubles); the sums run two rows to
// a vector's lanes, four rows at once. Writes the n sums to `out`.
export function rbfWeightedSums(
  rows: usize,
  n: i32,
  vectors: usize,
  m: i32,
  d: i32,
  rowSq: usize,
  vecSq: usize,
  gamma: f64,
  clip: i32,
  coef: usize,
  tileVectors: i32,
  tile: usize,
  out: usize,
): void {
  const rowBytes = <usize>d << 3;
  memory.fill(out, 0, <usize>n << 3);
  for (let r0 = 0; r0 < n; r0 += 256) {
    const count = min(256, n - r0);
    for (let c0 = 0; c0 < m; c0 += tileVectors) {
      const k = min(tileVectors, m - c0);
      multiplyABt(rows + <usize>r0 * rowBytes, count, vectors + <usize>c0 * rowBytes, k, d, tile);
      rbfFromDots(tile, count, k, rowSq + (<usize>r0 << 3), vecSq + (<usize>c0 << 3), gamma, clip);
      const w = coef + (<usize>c0 << 3);
      const tileRow = <usize>k << 3;
      let i = 0;
      for (; i + 4 <= count; i += 4) {
        const o = out + (<usize>(r0 + i) << 3);
        let s01 = v128.load(o);
        let s23 = v128.load(o, 16);
        const t0 = tile + <usize>i * tileRow;
        for (let c = 0; c < k; c++) {
          const oc = <usize>c << 3;
          const wc = v128.load64_splat(w + oc);
          const v01 = v128.load64_lane(t0 + tileRow + oc, v128.load64_zero(t0 + oc), 1);
          const v23 = v128.load64_lane(t0 + 3 * tileRow + oc, v128.load64_zero(t0 + 2 * tileRow + oc), 1);
          s01 = f64x2.add(s01, f64x2.mul(wc, v01));
          s23 = f64x2.add(s23, f64x2.mul(wc, v23));
        }
        v128.store(o, s01);
        v128.store(o, s23, 16);
      }
      for (; i < count; i++) {
        const o = out + (<usize>(r0 + i) << 3);
        const t = tile + <usize>i * tileRow;
        let sum = load<f64>(o);
        for (let c = 0; c < k; c++) sum += load<f64>(w + (<usize>c << 3)) * load<f64>(t + (<usize>c << 3));
        store<f64>(o, sum);
      }
    }
  }
}

// Columns c0..c1 of the one-class SVM's kernel matrix for the n × d rows at `data` (squared norms
// at `squares`): each column row c against every row, as multiplyABt's products and
// rbfFromDots's values (unclipped) in `tile` ((c1 − c0) × n doubles of scratch), the diagonal
// exactly 1, written in single precision to `out`, one column of n after another. The same
// values as ocsvmGramBlock's (a product and a sum of two squares do not depend on the order of
// their two rows).
export function ocsvmColumns(data: usize, squares: usize, n: i32, d: i32, gamma: f64, c0: i32, c1: i32, tile: usize, out: usize): void {
  const count = c1 - c0;
  if (count == 1) {
    ocsvmColumn(data, squares, n, d, gamma, c0, out);
    return;
  }
  multiplyABt(data + ((<usize>c0 * <usize>d) << 3), count, data, n, d, tile);
  rbfFromDots(tile, count, n, squares + (<usize>c0 << 3), squares, gamma, 0);
  for (let c = 0; c < count; c++) {
    const from = tile + ((<usize>c * <usize>n) << 3);
    const to = out + ((<usize>c * <usize>n) << 2);
    store<f64>(from + (<usize>(c0 + c) << 3), 1);
    for (let r = 0; r < n; r++) store<f32>(to + (<usize>r << 2), <f32>load<f64>(from + (<usize>r << 3)));
  }
}

// One column of ocsvmColumns (what the solver asks for at each cache miss), in one pass instead
// of a product pass, an exp pass and a conversion pass over a tile: the same operations on each
// value (rowABt's products, rbfFromDots's sum and exp, the diagonal 1, rounding to single).
function ocsvmColumn(data: usize, squares: usize, n: i32, d: i32, gamma: f64, c: i32, out: usize): void {
  const rowBytes = <usize>d << 3;
  const even = <usize>(d & ~1) << 3;
  const odd = (d & 1) != 0;
  const a = data + <usize>c * rowBytes;
  const lastA = odd ? v128.load64_splat(a + even) : f64x2.splat(0);
  const ai = load<f64>(squares + (<usize>c << 3));
  const av = f64x2.splat(ai);
  const g = f64x2.splat(-gamma);
  const two = f64x2.splat(2);
  let r = 0;
  // Eight rows per step: four exp chains in flight (see rbfFromDotsStrided).
  for (; r + 8 <= n; r += 8) {
    const b = data + <usize>r * rowBytes;
    const sq = squares + (<usize>r << 3);
    const s0 = f64x2.sub(f64x2.add(av, v128.load(sq)), f64x2.mul(two, pairDots(a, b, rowBytes, even, odd, lastA)));
    const s1 = f64x2.sub(f64x2.add(av, v128.load(sq, 16)), f64x2.mul(two, pairDots(a, b + 2 * rowBytes, rowBytes, even, odd, lastA)));
    const s2 = f64x2.sub(f64x2.add(av, v128.load(sq, 32)), f64x2.mul(two, pairDots(a, b + 4 * rowBytes, rowBytes, even, odd, lastA)));
    const s3 = f64x2.sub(f64x2.add(av, v128.load(sq, 48)), f64x2.mul(two, pairDots(a, b + 6 * rowBytes, rowBytes, even, odd, lastA)));
    const e0 = expV(f64x2.mul(g, s0));
    const e1 = expV(f64x2.mul(g, s1));
    const e2 = expV(f64x2.mul(g, s2));
    const e3 = expV(f64x2.mul(g, s3));
    const o = out + (<usize>r << 2);
    v128.store64_lane(o, f32x4.demote_f64x2_zero(e0), 0);
    v128.store64_lane(o, f32x4.demote_f64x2_zero(e1), 0, 8);
    v128.store64_lane(o, f32x4.demote_f64x2_zero(e2), 0, 16);
    v128.store64_lane(o, f32x4.demote_f64x2_zero(e3), 0, 24);
  }
  for (; r < n; r++) {
    const s = ai + load<f64>(squares + (<usize>r << 3)) - 2 * dot(a, data + <usize>r * rowBytes, d);
    store<f32>(out + (<usize>r << 2), <f32>expS(-gamma * s));
  }
  store<f32>(out + (<usize>c << 2), 1);
}

// The products of the row at `a` with the two rows at `b` and b + rowBytes, as `dot` computes
// each (rowABt says how).
// @ts-ignore: decorator
@inline
function pairDots(a: usize, b: usize, rowBytes: usize, even: usize, odd: bool, lastA: v128): v128 {
  const b1 = b + rowBytes;
  let s0 = f64x2.splat(0);
  let s1 = f64x2.splat(0);
  for (let o: usize = 0; o < even; o += 16) {
    const x = v128.load(a + o);
    s0 = f64x2.add(s0, f64x2.mul(x, v128.load(b + o)));
    s1 = f64x2.add(s1, f64x2.mul(x, v128.load(b1 + o)));
  }
  const r = f64x2.add(v128.shuffle<f64>(s0, s1, 0, 2), v128.shuffle<f64>(s0, s1, 1, 3));
  return odd ? f64x2.add(r, f64x2.mul(lastA, v128.load64_lane(b1 + even, v128.load64_zero(b + even), 1))) : r;
}

// The one-class SVM's training decision values without the offset, Σ_s α_s K(x_s, x_r) for every
// row r, from the double-precision lower triangle in blocks of `blockRows` rows at `lower` (block
// b: rows b·blockRows.. against rows 0.. up to the block's end; see ocsvmGramBlock): each value
// below the diagonal serves both of its rows. Row r's sum is, in this order, its running sum
// over the support vectors below it (α at `alpha`, by row; the support vectors' rows ascending at
// `vectors`, `count` of them, and their α at `vectorAlpha`), plus α_r (K(x_r, x_r) = 1), then
// α_i K(x_i, x_r) for each later support vector i in turn. Writes the sums to `out`. Two rows'
// running sums share a vector's lanes (the second row's extra term, its row above when that is a
// support vector, added after), and the later rows' terms go two rows per instruction.
export function ocsvmTrainingSums(lower: usize, n: i32, blockRows: i32, alpha: usize, vectors: usize, vectorAlpha: usize, count: i32, out: usize): void {
  memory.fill(out, 0, <usize>n << 3);
  let offset = lower;
  let before = 0; // support vectors below row i
  for (let r0 = 0; r0 < n; r0 += blockRows) {
    const r1 = min(n, r0 + blockRows);
    const rowBytes = <usize>r1 << 3;
    let i = r0;
    while (i < r1) {
      while (before < count && load<i32>(vectors + (<usize>before << 2)) < i) before++;
      const row = offset + <usize>(i - r0) * rowBytes;
      const paired = i + 1 < r1;
      let own0: f64 = 0;
      let own1: f64 = 0;
      if (paired) {
        let s = f64x2.splat(0);
        for (let t = 0; t < before; t++) {
          const j = <usize>load<i32>(vectors + (<usize>t << 2)) << 3;
          const v = v128.load64_lane(row + rowBytes + j, v128.load64_zero(row + j), 1);
          s = f64x2.add(s, f64x2.mul(v128.load64_splat(vectorAlpha + (<usize>t << 3)), v));
        }
        own0 = f64x2.extract_lane(s, 0);
        own1 = f64x2.extract_lane(s, 1);
        const ai = load<f64>(alpha + (<usize>i << 3));
        if (ai > 0) own1 += ai * load<f64>(row + rowBytes + (<usize>i << 3));
      } else {
        for (let t = 0; t < before; t++) {
          const j = <usize>load<i32>(vectors + (<usize>t << 2)) << 3;
          own0 += load<f64>(vectorAlpha + (<usize>t << 3)) * load<f64>(row + j);
        }
      }
      const rows = paired ? 2 : 1;
      for (let e = 0; e < rows; e++) {
        const r = i + e;
        const at = row + <usize>e * rowBytes;
        const ar = load<f64>(alpha + (<usize>r << 3));
        const o = out + (<usize>r << 3);
        store<f64>(o, load<f64>(o) + ((e == 0 ? own0 : own1) + ar));
        if (ar > 0) {
          const av = f64x2.splat(ar);
          const pairs = r & ~1;
          let j = 0;
          for (; j < pairs; j += 2) {
            const oj = out + (<usize>j << 3);
            v128.store(oj, f64x2.add(v128.load(oj), f64x2.mul(av, v128.load(at + (<usize>j << 3)))));
          }
          for (; j < r; j++) {
            const oj = out + (<usize>j << 3);
            store<f64>(oj, load<f64>(oj) + ar * load<f64>(at + (<usize>j << 3)));
          }
        }
      }
      i += rows;
    }
    offset += <usize>(r1 - r0) * rowBytes;
  }
}

// SGDOneClassSVM's whole fit with learning rate 'optimal' and no averaging (the defaults): up to
// maxIter epochs of sgdOcsvmEpoch over the rows in `order` (i32, updated in place), each
// shuffled first when `shuffle` is 1 by scikit-learn's Fisher–Yates pass with our_rand_r from
// `seed` (the same permutation applied every epoch, as src/core/replay-random.ts does), and
// the stopping rule of src/detectors/sgdocsvm.ts: after each epoch, non-finite weights or
// intercept end the fit (returns −epoch, counted from 1); an epoch whose summed loss exceeds the
// best minus tol·n (when `useTol` is 1) counts as stalled, and 5 stalled in a row end it.
// Returns the epochs run. `state` as sgdOcsvmEpoch's.
export function sgdOcsvmFit(data: usize, d: i32, order: usize, n: i32, weights: usize, state: usize, seed: u32, shuffle: i32, maxIter: i32, useTol: i32, tol: f64): i32 {
  let bestLoss = Infinity;
  let stalled = 0;
  const slack = tol * <f64>n;
  for (let epoch = 0; epoch < maxIter; epoch++) {
    if (shuffle) {
      let s = seed;
      for (let i = 0; i < n - 1; i++) {
        if (s == 0) s = 1;
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        const j = i + <i32>((s % 0x80000000) % <u32>(n - i));
        const a = order + (<usize>i << 2);
        const b = order + (<usize>j << 2);
        const held = load<i32>(a);
        store<i32>(a, load<i32>(b));
        store<i32>(b, held);
      }
    }
    const sumLoss = sgdOcsvmEpoch(data, d, order, n, weights, state);
    let finite = load<f64>(state, 8);
    finite -= finite; // 0 if finite, NaN if not
    for (let j = 0; j < d; j++) {
      const w = load<f64>(weights + (<usize>j << 3));
      finite += w - w;
    }
    if (finite != 0) return -(epoch + 1);
    stalled = useTol && sumLoss > bestLoss - slack ? stalled + 1 : 0;
    if (sumLoss < bestLoss) bestLoss = sumLoss;
    if (stalled >= 5) return epoch + 1;
  }
  return maxIter;
}

// ---- KD-tree search, queries in groups ------------------------------------------------------
// The tree's rows are `points` (n × d, in tree order) with original indices `rowIndex`; node i
// covers tree rows [nodeStart[i], nodeEnd[i]), its children are nodeLeft[i] and nodeLeft[i] + 1
// (−1 for a leaf), split at splitValue[i] on feature splitDim[i].
//
// Most of a search is spent rejecting boxes and rows that are too far, so that is done on cheap
// approximations, and only the rows that pass are measured exactly in double precision on
// `points`, as squaredDistance always has: results are exact and the same as brute force's.
// - Boxes: in single precision, on rows moved by `centre` and scaled by `scale` (a power of two,
//   so the largest value is about 1: no overflow, and underflow only far below the values); each
//   node's box at `boxes` (dPad lower bounds, then dPad upper, rounded outwards, so every scaled
//   row lies in its box). A box is rejected only when its single-precision distance exceeds the
//   query's `limit`, an upper bound on the single-precision distance of any row that could still
//   be among the k nearest, allowing for the rounding of the rows, the query and the arithmetic
//   (see boxLimit; the bound holds for any order of summation).
// - Leaf rows: as integer codes on the leaf's own grid (origin its box's lower corner L, step s a
//   power of two; see filterCopy in src/core/neighbors.ts), at leafCodes + 2·leafOffset[i] bytes,
//   in blocks of four rows where each feature pair's eight codes are together, so one
//   instruction takes a pair of features of four rows and i32x4.dot_i16x8_s squares and adds
//   them: twice the rows per instruction of single precision, in half the memory. The query is
//   coded on the same grid, rounded and clamped to [−4096, 8191] (a leaf's codes are in
//   [0, 4000]). A row's code is within 1/2 + 2⁻¹⁰ of (x − L)/s and the query's within 1/2 of
//   (q − L)/s plus its single-precision rounding (`slack`, see leafLimit), and clamping only
//   brings the query's codes closer to the rows', so the code distance is at most the scaled
//   distance / s + slack / s + √d·(1 + 2⁻⁹): a row whose code distance exceeds that for the k-th
//   distance cannot be among the k nearest. A leaf whose step is NaN has no grid: every row of
//   it is measured.
// - A leaf of identical rows (leafIdentical[i] ≠ 0; any size) is measured once, its rows offered
//   in ascending original index until one is refused.
//
// Queries come in groups of up to GROUP rows that lie close together (the rows of one leaf), and
// the tree is walked once per group instead of once per query. Each query keeps its own k best
// and its own limit, and a node is searched for exactly the queries whose box distance is within
// their limit (a bit mask per stack entry): every query visits the boxes and rows it would visit
// alone, in the group's order (nearest child to the group's mean first). Box distances are
// computed four queries per instruction (the group's queries feature-major), and a leaf's rows are
// scanned for each query of the group that reaches it while they are in cache (on 100k generated
// rows × 10, k = 20: 96 stack entries per query instead of 1,083 for a walk of its own).
//
// Queries are rows at `queries`; group g holds queries [groupEnd[g − 1], groupEnd[g]) (the first
// from 0). `selfFirst` ≥ 0 means query i is tree row selfFirst + i and excludes itself. `radius`
// bounds the norm of every scaled row. Writes distances (not squared) and original indices,
// query-major, k per query. `scratch` is kdTreeGroupScratch(d, k) bytes, 16-byte aligned.
const GROUP = 32;
const GROUP_STACK = 256;

// Bytes of scratch kdTreeSearchGroups needs for d features and k neighbours (16-byte aligned parts).
export function kdTreeGroupScratch(d: i32, k: i32): i32 {
  const dPad = (d + 3) & ~3;
  return align16(GROUP * k * 8) + align16(GROUP * k * 4) + GROUP * (4 + 8 + 8 + 8 + 8 + 4) + align16(d * GROUP * 4) + GROUP * dPad * 4 + 32 + GROUP_STACK * 8 + align16(d * 8);
}

// @ts-ignore: decorator
@inline
function align16(bytes: i32): i32 {
  return (bytes + 15) & ~15;
}

export function kdTreeSearchGroups(
  points: usize, rowIndex: usize, nodeStart: usize, nodeEnd: usize, nodeLeft: usize,
  splitDim: usize, splitValue: usize, boxes: usize, leafCodes: usize, leafOffset: usize,
  leafInverseStep: usize, leafIdentical: usize, centre: usize, scale: f64, radius: f64, d: i32, dPad: i32,
  queries: usize, groupEnd: usize, groups: i32, selfFirst: i32, k: i32, outD: usize, outI: usize,
  scratch: usize,
): void {
  const rowBytes = <usize>d << 3;
  const boxBytes = <usize>dPad << 3;
  const padBytes = <usize>dPad << 2;
  const pairs = (d + 1) >> 1;
  const blockBytes = <usize>pairs << 4;
  // Relative error of a single-precision squared distance of d terms (one rounding for each
  // difference, square and addition: under (d + 2)·2⁻²⁴, doubled for margin), and the absolute
  // error subnormal values may add (a few 2⁻¹⁴⁹ per operation; 2⁻¹²⁶ per term is ample).
  const relative = <f64>(d + 2) * TWO_M23;
  const absolute = <f64>(d + 2) * TWO_M126;
  // The codes' own rounding: half a step for the query, half a step and 2⁻¹⁰ for a row, per feature.
  const codeRounding = Math.sqrt(<f64>d) * (1 + TWO_M9);
  // Scratch: per query its k best, their count, the k-th squared distance, its scaled reach (see
  // reachOf), its single-precision rounding allowances for boxes (`shift`) and codes (`slack`)
  // and its box limit; the queries feature-major (GROUP lanes per feature) and row by row
  // (dPad floats each), both scaled, single precision; a query's codes on the current leaf; the
  // stack of (node, mask); the group's mean (double) to order children.
  const topDs = scratch;
  const topIs = topDs + <usize>align16(GROUP * k * 8);
  const sizes = topIs + <usize>align16(GROUP * k * 4);
  const worsts = sizes + GROUP * 4;
  const reaches = worsts + GROUP * 8;
  const shifts = reaches + GROUP * 8;
  const slacks = shifts + GROUP * 8;
  const limits = slacks + GROUP * 8;
  const lanes = limits + GROUP * 4;
  const rows32 = lanes + <usize>align16(d * GROUP * 4);
  const codes = rows32 + <usize>(GROUP * dPad * 4);
  const stackNode = codes + 32;
  const stackMask = stackNode + GROUP_STACK * 4;
  const mean = stackMask + GROUP_STACK * 4;
  let first = 0;
  for (let g = 0; g < groups; g++) {
    const end = load<i32>(groupEnd + (<usize>g << 2));
    const count = end - first;
    for (let j = 0; j < d; j++) store<f64>(mean + (<usize>j << 3), 0);
    for (let a = 0; a < GROUP; a++) {
      const q = queries + <usize>(first + a) * rowBytes;
      let norm: f64 = 0;
      for (let j = 0; j < dPad; j++) {
        let v: f64 = 0;
        if (a < count && j < d) {
          const x = load<f64>(q + (<usize>j << 3));
          v = (x - load<f64>(centre + (<usize>j << 3))) * scale;
          norm += v * v;
          store<f64>(mean + (<usize>j << 3), load<f64>(mean + (<usize>j << 3)) + x / count);
        }
        if (j < d) store<f32>(lanes + (<usize>(j * GROUP + a) << 2), <f32>v);
        store<f32>(rows32 + (<usize>(a * dPad + j) << 2), <f32>v);
      }
      // Rounding to single precision moves the scaled query and each row by at most 2⁻²⁴ of
      // their norms (plus 2⁻¹⁴⁹ per subnormal feature; 2⁻²³ allows for the double-precision
      // scaling before), so their single-precision distance is within `shift` of the exact one.
      const size = Math.sqrt(norm) * (1 + TWO_M40);
      store<f64>(shifts + (<usize>a << 3), (size + radius) * TWO_M23 + <f64>d * TWO_M149);
      // A code of the query is taken from its single-precision value minus L, one more rounding
      // of at most 2⁻²⁴ of |q − L| ≤ |q| + √d·radius (L is within the rows' range).
      store<f64>(slacks + (<usize>a << 3), (size + Math.sqrt(<f64>d) * radius) * TWO_M22 + <f64>d * TWO_M140);
      store<i32>(sizes + (<usize>a << 2), 0);
      store<f64>(worsts + (<usize>a << 3), Infinity);
      store<f64>(reaches + (<usize>a << 3), Infinity);
      store<f32>(limits + (<usize>a << 2), a < count ? f32(Infinity) : f32(-Infinity));
    }
    const chunks = (count + 3) >> 2;
    store<i32>(stackNode, 0);
    store<i32>(stackMask, count == GROUP ? -1 : (1 << count) - 1);
    let sp = 1;
    while (sp > 0) {
      sp--;
      const node = load<i32>(stackNode + (<usize>sp << 2));
      let mask = load<i32>(stackMask + (<usize>sp << 2));
      const box = boxes + <usize>node * boxBytes;
      // Keep the queries whose single-precision box distance is within their limit (a NaN
      // distance is never "too far").
      let within = 0;
      for (let c = 0; c < chunks; c++) {
        if (((mask >>> (c << 2)) & 15) == 0) continue;
        const lane = lanes + (<usize>c << 4);
        let acc = boxTerm(lane, box, padBytes, 0);
        for (let j = 1; j < d; j++) acc = f32x4.add(acc, boxTerm(lane, box, padBytes, j));
        const far = f32x4.gt(acc, v128.load(limits + (<usize>c << 4)));
        within |= (i32x4.bitmask(far) ^ 15) << (c << 2);
      }
      mask &= within;
      if (mask == 0) continue;
      const left = load<i32>(nodeLeft + (<usize>node << 2));
      if (left >= 0) {
        // The child on the group's side of the split on top, so it is searched first.
        const goRight = load<f64>(mean + (<usize>load<i32>(splitDim + (<usize>node << 2)) << 3)) > load<f64>(splitValue + (<usize>node << 3));
        store<i32>(stackNode + (<usize>sp << 2), goRight ? left : left + 1);
        store<i32>(stackMask + (<usize>sp << 2), mask);
        sp++;
        store<i32>(stackNode + (<usize>sp << 2), goRight ? left + 1 : left);
        store<i32>(stackMask + (<usize>sp << 2), mask);
        sp++;
        continue;
      }
      const firstRow = load<i32>(nodeStart + (<usize>node << 2));
      const rows = load<i32>(nodeEnd + (<usize>node << 2)) - firstRow;
      const leaf = leafCodes + (<usize>load<i32>(leafOffset + (<usize>node << 2)) << 1);
      const inverseStep = load<f32>(leafInverseStep + (<usize>node << 2));
      const stepInverse = f32x4.splat(inverseStep);
      const identical = load<i32>(leafIdentical + (<usize>node << 2)) != 0;
      while (mask != 0) {
        const a = ctz<i32>(mask);
        mask &= mask - 1;
        const q = queries + <usize>(first + a) * rowBytes;
        const topD = topDs + <usize>(a * k) * 8;
        const topI = topIs + <usize>(a * k) * 4;
        const self = selfFirst >= 0 ? selfFirst + first + a : -1;
        if (identical) {
          // Rows all equal, in ascending original index: one distance, and once a row is refused
          // (the list full of nearer rows, or as near with smaller indices) so is every later one.
          // Many copies of a row cost k offers per query instead of one per copy.
          let size = load<i32>(sizes + (<usize>a << 2));
          let worst = load<f64>(worsts + (<usize>a << 3));
          const d2 = squaredDistance(points + <usize>firstRow * rowBytes, q, d);
          for (let i = firstRow; i < firstRow + rows; i++) {
            if (i == self) continue;
            const index = load<i32>(rowIndex + (<usize>i << 2));
            if (size == k && (d2 > worst || (d2 == worst && index > load<i32>(topI + (<usize>(k - 1) << 2))))) break;
            size = offer(topD, topI, k, size, d2, index);
            if (size == k) {
              worst = load<f64>(topD + (<usize>(k - 1) << 3));
              const reach = reachOf(worst, scale);
              store<f64>(reaches + (<usize>a << 3), reach);
              store<f32>(limits + (<usize>a << 2), boxLimit(reach, load<f64>(shifts + (<usize>a << 3)), relative, absolute));
            }
          }
          store<i32>(sizes + (<usize>a << 2), size);
          store<f64>(worsts + (<usize>a << 3), worst);
          continue;
        }
        // The query's codes on this leaf's grid, eight to a vector (the padding features are 0
        // in the query and L, so their codes are 0, as the rows').
        const row32 = rows32 + <usize>(a * dPad) * 4;
        for (let j = 0; j < dPad; j += 8) {
          const low = queryCodes(row32 + (<usize>j << 2), box + (<usize>j << 2), stepInverse);
          const high = j + 4 < dPad ? queryCodes(row32 + (<usize>j << 2) + 16, box + (<usize>j << 2) + 16, stepInverse) : i32x4.splat(0);
          v128.store(codes + (<usize>j << 1), i16x8.narrow_i32x4_s(low, high));
        }
        let size = load<i32>(sizes + (<usize>a << 2));
        let worst = load<f64>(worsts + (<usize>a << 3));
        const slack = load<f64>(slacks + (<usize>a << 3));
        let limit = i32x4.splat(leafLimit(load<f64>(reaches + (<usize>a << 3)), slack, inverseStep, codeRounding));
        // The query's codes of each feature pair, repeated for four rows (pairs past d are 0).
        const c0 = v128.load32_splat(codes), c1 = v128.load32_splat(codes, 4);
        const c2 = v128.load32_splat(codes, 8), c3 = v128.load32_splat(codes, 12);
        const c4 = v128.load32_splat(codes, 16), c5 = v128.load32_splat(codes, 20);
        const c6 = v128.load32_splat(codes, 24), c7 = v128.load32_splat(codes, 28);
        for (let r = 0; r < rows; r += 4) {
          const block = leaf + (<usize>(r >> 2)) * blockBytes;
          // Unrolled over the pairs (a loop costs more than its body here; the tests on `pairs`
          // are always predicted).
          let sums = squaredCodes(block, c0);
          if (pairs > 1) sums = i32x4.add(sums, squaredCodes(block + 16, c1));
          if (pairs > 2) sums = i32x4.add(sums, squaredCodes(block + 32, c2));
          if (pairs > 3) sums = i32x4.add(sums, squaredCodes(block + 48, c3));
          if (pairs > 4) sums = i32x4.add(sums, squaredCodes(block + 64, c4));
          if (pairs > 5) sums = i32x4.add(sums, squaredCodes(block + 80, c5));
          if (pairs > 6) sums = i32x4.add(sums, squaredCodes(block + 96, c6));
          if (pairs > 7) sums = i32x4.add(sums, squaredCodes(block + 112, c7));
          const far = i32x4.gt_s(sums, limit);
          // Most blocks of four are all too far: one test rejects them.
          if (i32x4.all_true(far)) continue;
          // The rows of the block that pass (not the padding past the leaf's end), in order.
          let pass = ~i32x4.bitmask(far) & 15;
          if (r + 4 > rows) pass &= (1 << (rows - r)) - 1;
          let offered = false;
          while (pass != 0) {
            const c = ctz<i32>(pass);
            pass &= pass - 1;
            const i = firstRow + r + c;
            if (i == self) continue;
            const d2 = squaredDistance(points + <usize>i * rowBytes, q, d);
            if (d2 > worst) continue;
            size = offer(topD, topI, k, size, d2, load<i32>(rowIndex + (<usize>i << 2)));
            if (size == k) {
              worst = load<f64>(topD + (<usize>(k - 1) << 3));
              offered = true;
            }
          }
          // The limits follow the k-th distance once per block (a square root and two
          // roundings), not once per row taken: within a block `worst` alone decides.
          if (offered) {
            const reach = reachOf(worst, scale);
            store<f64>(reaches + (<usize>a << 3), reach);
            store<f32>(limits + (<usize>a << 2), boxLimit(reach, load<f64>(shifts + (<usize>a << 3)), relative, absolute));
            limit = i32x4.splat(leafLimit(reach, slack, inverseStep, codeRounding));
          }
        }
        store<i32>(sizes + (<usize>a << 2), size);
        store<f64>(worsts + (<usize>a << 3), worst);
      }
    }
    for (let a = 0; a < count; a++) {
      const at = <usize>(first + a) * <usize>k;
      writeNeighbours(topDs + <usize>(a * k) * 8, topIs + <usize>(a * k) * 4, k, outD + (at << 3), outI + (at << 2));
    }
    first = end;
  }
}

const TWO_M9: f64 = 0.001953125;
const TWO_M22: f64 = 2.384185791015625e-7;
const TWO_M140: f64 = 7.174648137343064e-43;

// An upper bound on the scaled exact distance √worst·scale (the margin covers its roundings).
// @ts-ignore: decorator
@inline
function reachOf(worst: f64, scale: f64): f64 {
  return Math.sqrt(worst) * scale * (1 + TWO_M40);
}

// The largest single-precision box distance a row within `reach` (scaled) of the query can have:
// rounding rows and query moves their distance at most `shift`, and the single-precision sum at
// most `relative` of itself plus `absolute`. The margin (1 + 2⁻⁴⁰) covers this function's own
// roundings; the result is rounded up to single precision.
function boxLimit(reach: f64, shift: f64, relative: f64, absolute: f64): f32 {
  const r = reach + shift;
  const t = (r * r * (1 + relative) + absolute) * (1 + TWO_M40);
  let t32 = <f32>t;
  if (<f64>t32 < t) t32 = reinterpret<f32>(reinterpret<i32>(t32) + 1);
  return t32;
}

// The largest squared code distance a row within `reach` (scaled) of the query can have on a
// leaf grid of step 1 / inverseStep: (reach + slack)·inverseStep + codeRounding, squared, with a
// margin for this function's roundings; 2³¹ − 1 (no row rejected) when that is out of range or
// NaN (no grid, a NaN query or an infinite reach).
// @ts-ignore: decorator
@inline
function leafLimit(reach: f64, slack: f64, inverseStep: f32, codeRounding: f64): i32 {
  const u = (reach + slack) * <f64>inverseStep + codeRounding;
  const t = u * u * (1 + TWO_M40) + 1;
  return t < 2147483647 ? <i32>t : 2147483647;
}

// Squared single-precision distances of four queries' feature j (at lane + j·GROUP floats) to
// the box's interval of that feature. pmax, not max: WebAssembly's max must order NaNs and signed
// zeros, which x86 does in eight instructions instead of one (pmax keeps its first operand on
// NaN, so a NaN query prunes nothing).
// @ts-ignore: decorator
@inline
function boxTerm(lane: usize, box: usize, padBytes: usize, j: i32): v128 {
  const v = v128.load(lane + (<usize>(j * GROUP) << 2));
  const below = f32x4.sub(v128.load32_splat(box + (<usize>j << 2)), v);
  const above = f32x4.sub(v, v128.load32_splat(box + padBytes + (<usize>j << 2)));
  const e = f32x4.pmax(f32x4.pmax(below, above), f32x4.splat(0));
  return f32x4.mul(e, e);
}

// Squared code distances of four rows (one feature pair of a block, at p) to the query's codes
// of that pair (repeated four times in q): each lane the sum of the pair's two squares.
// @ts-ignore: decorator
@inline
function squaredCodes(p: usize, q: v128): v128 {
  const e = i16x8.sub(v128.load(p), q);
  return i32x4.dot_i16x8_s(e, e);
}

// Four features of a query (single precision, scaled, at q) as codes on the grid with lower
// corner `lower` and inverse step `inverseStep` (splatted): (q − L)·inverseStep rounded to the
// nearest integer, clamped to [−4096, 8191] (NaN becomes 0).
// @ts-ignore: decorator
@inline
function queryCodes(q: usize, lower: usize, inverseStep: v128): v128 {
  const t = f32x4.nearest(f32x4.mul(f32x4.sub(v128.load(q), v128.load(lower)), inverseStep));
  return i32x4.trunc_sat_f32x4_s(f32x4.pmin(f32x4.pmax(t, f32x4.splat(-4096)), f32x4.splat(8191)));
}

// The one-class SVM's working-set selection (WSS3, src/core/one-class-svm.ts), in two halves
// because the column of the first pick may have to be computed in between. Statuses: 0 lower
// bound, 1 upper, 2 free. The same comparisons as there, so the same picks (ties: the last index).

// The position i < active not at its upper bound with the largest −grad (ties: the last); −1 if
// none. Writes −grad[i] (or −∞) to `result`.
export function ocsvmSelectI(grad: usize, status: usize, active: i32, result: usize): i32 {
  let gMax = -Infinity;
  let i = -1;
  for (let t = 0; t < active; t++) {
    const g = -load<f64>(grad + (<usize>t << 3));
    if (load<u8>(status + <usize>t) != 1 && g >= gMax) {
      gMax = g;
      i = t;
    }
  }
  store<f64>(result, gMax);
  return i;
}

// Among positions t < active above their lower bound, the j with gMax + grad[j] > 0 that
// minimises −(gMax + grad[j])² / (2 − 2·Q_i[row(j)]) (a curvature ≤ 0 taken as 1e-12; ties: the
// last), where row(t) = t below `inOrder`, else row[t], and Q_i is the column at colI; −1 if none.
// Writes the largest such grad (or −∞) to `result`.
export function ocsvmSelectJ(grad: usize, status: usize, row: usize, active: i32, inOrder: i32, colI: usize, gMax: f64, result: usize): i32 {
  let gMax2 = -Infinity;
  let j = -1;
  let best = Infinity;
  for (let t = 0; t < active; t++) {
    if (load<u8>(status + <usize>t) == 0) continue;
    const g = load<f64>(grad + (<usize>t << 3));
    if (g >= gMax2) gMax2 = g;
    const gap = gMax + g;
    if (gap > 0) {
      const r = t < inOrder ? t : load<i32>(row + (<usize>t << 2));
      const curvature = 1.0 + 1.0 - 2.0 * <f64>load<f32>(colI + (<usize>r << 2));
      const decrease = -(gap * gap) / (curvature > 0 ? curvature : 1e-12);
      if (decrease <= best) {
        j = t;
        best = decrease;
      }
    }
  }
  store<f64>(result, gMax2);
  return j;
}
