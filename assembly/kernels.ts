// Numeric kernels compiled to WebAssembly with 128-bit SIMD (AssemblyScript, `npm run build`).
// V8 runs plain JavaScript loops one double at a time; these run two per instruction and keep
// the partial sums in registers, about 4× faster on dense products (see src/core/wasm.ts).
// All matrices are f64, row-major, at byte offsets into this module's memory.

// out (n × k) = A (n × d) · Bᵀ, with B stored as k × d. Blocks of 2 rows of A by 4 rows of B,
// each lane pair summing even and odd j separately, so results differ from a sequential dot
// product only by rounding.
export function multiplyABt(a: usize, n: i32, b: usize, k: i32, d: i32, out: usize): void {
  const rowBytes = <usize>d << 3;
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const a0 = a + <usize>i * rowBytes;
    let c = 0;
    for (; c + 4 <= k; c += 4) {
      const b0 = b + <usize>c * rowBytes;
      block2x4(a0, a0 + rowBytes, b0, b0 + rowBytes, b0 + 2 * rowBytes, b0 + 3 * rowBytes, d, out + (<usize>(i * k + c) << 3), <usize>k << 3);
    }
    for (; c < k; c++) {
      const bc = b + <usize>c * rowBytes;
      store<f64>(out + (<usize>(i * k + c) << 3), dot(a0, bc, d));
      store<f64>(out + (<usize>((i + 1) * k + c) << 3), dot(a0 + rowBytes, bc, d));
    }
  }
  for (; i < n; i++) {
    const ai = a + <usize>i * rowBytes;
    for (let c = 0; c < k; c++) store<f64>(out + (<usize>(i * k + c) << 3), dot(ai, b + <usize>c * rowBytes, d));
  }
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
