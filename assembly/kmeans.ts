// Kernels of k-means (src/core/kmeans.ts, laid out by src/core/kmeans-kernel.ts): the k-means++
// candidates' distances and potentials, and a Lloyd iteration's assignment (Hamerly's bounds) and
// running cluster sums, on buffers that stay in this module's memory for a whole kMeans call.
// JavaScript only draws the random numbers, picks candidates and recomputes the k centres.
//
// Every distance is the direct Σ (x_j − c_j)², never ‖x‖² + ‖c‖² − 2 x·c: it cannot cancel, so
// a bound needs no allowance beyond a few ulps. It is always summed over j in order from +0, one
// sum per SIMD lane when two centres are measured at once (their columns side by side, from a
// transposed copy), so a row's distance to a centre is the same number wherever it is taken.
// Rows are f64, row-major; `inverse` (when non-zero) maps each row to its distinct point, whose
// distances stand for all its copies.

// Σ (a_j − b_j)² over d values, in order.
// @ts-ignore: decorator
@inline
function squaredDistanceAt(a: usize, b: usize, d: i32): f64 {
  let total: f64 = 0;
  const end = <usize>d << 3;
  for (let o: usize = 0; o < end; o += 8) {
    const diff = load<f64>(a + o) - load<f64>(b + o);
    total += diff * diff;
  }
  return total;
}

// The rows' count rounded up to even: transposed copies hold pairs of columns.
// @ts-ignore: decorator
@inline
function evenUp(count: i32): i32 {
  return (count + 1) & ~1;
}

// out (d × evenUp(count)) = the count rows (count × d) at rows, transposed; a padding column is
// +∞, which no distance beats.
function transposeRows(rows: usize, count: i32, d: i32, out: usize): void {
  const pad = evenUp(count);
  for (let j = 0; j < d; j++) {
    const line = out + (<usize>(j * pad) << 3);
    for (let c = 0; c < count; c++) store<f64>(line + (<usize>c << 3), load<f64>(rows + (<usize>(c * d + j) << 3)));
    if (pad > count) store<f64>(line + (<usize>count << 3), Infinity);
  }
}

// out[c] = squared distance of the row at x to column c of a transposed copy (d × pad, pad
// even), for every c < pad: each summed over j in order from +0 (squaredDistanceAt's bits), two
// columns per lane pair and eight at a time, so each x_j is loaded once per eight columns.
// @ts-ignore: decorator
@inline
function pointDistances(x: usize, columns: usize, pad: i32, d: i32, out: usize): void {
  const step = <usize>pad << 3;
  let c = 0;
  for (; c + 8 <= pad; c += 8) {
    let a0 = f64x2.splat(0), a1 = f64x2.splat(0), a2 = f64x2.splat(0), a3 = f64x2.splat(0);
    let at = columns + (<usize>c << 3);
    for (let j = 0; j < d; j++) {
      const xj = f64x2.splat(load<f64>(x + (<usize>j << 3)));
      const d0 = f64x2.sub(xj, v128.load(at));
      const d1 = f64x2.sub(xj, v128.load(at, 16));
      const d2 = f64x2.sub(xj, v128.load(at, 32));
      const d3 = f64x2.sub(xj, v128.load(at, 48));
      a0 = f64x2.add(a0, f64x2.mul(d0, d0));
      a1 = f64x2.add(a1, f64x2.mul(d1, d1));
      a2 = f64x2.add(a2, f64x2.mul(d2, d2));
      a3 = f64x2.add(a3, f64x2.mul(d3, d3));
      at += step;
    }
    const o = out + (<usize>c << 3);
    v128.store(o, a0);
    v128.store(o, a1, 16);
    v128.store(o, a2, 32);
    v128.store(o, a3, 48);
  }
  for (; c < pad; c += 2) {
    let acc = f64x2.splat(0);
    let at = columns + (<usize>c << 3);
    for (let j = 0; j < d; j++) {
      const diff = f64x2.sub(f64x2.splat(load<f64>(x + (<usize>j << 3))), v128.load(at));
      acc = f64x2.add(acc, f64x2.mul(diff, diff));
      at += step;
    }
    v128.store(out + (<usize>c << 3), acc);
  }
}

// @ts-ignore: decorator
@inline
function pointOf(inverse: usize, i: i32): i32 {
  return inverse == 0 ? i : load<i32>(inverse + (<usize>i << 2));
}

// cumulative[i] = Σ_{r ≤ i} weight[r] · closest[point of r], added in row order; returns the
// total (the k-means++ potential).
export function kmRunningPotential(weight: usize, closest: usize, inverse: usize, n: i32, cumulative: usize): f64 {
  let running: f64 = 0;
  for (let i = 0; i < n; i++) {
    const p = pointOf(inverse, i);
    running += load<f64>(weight + (<usize>i << 3)) * load<f64>(closest + (<usize>p << 3));
    store<f64>(cumulative + (<usize>i << 3), running);
  }
  return running;
}

// For each of `trials` candidate centres (trials × d at candidates) and each of the u points:
// out[t·u + p] = min(closest[p], D²(point p, candidate t)); then potentials[t] = Σ_i weight[i] ·
// out[t·u + point of i], added in row order. scratch holds d × evenUp(trials) + evenUp(trials)
// doubles.
export function kmCandidates(
  points: usize,
  u: i32,
  d: i32,
  candidates: usize,
  trials: i32,
  closest: usize,
  out: usize,
  weight: usize,
  inverse: usize,
  n: i32,
  potentials: usize,
  scratch: usize,
): void {
  const rowBytes = <usize>d << 3;
  const planeBytes = <usize>u << 3;
  const pad = evenUp(trials);
  transposeRows(candidates, trials, d, scratch);
  const distances = scratch + (<usize>(d * pad) << 3);
  for (let p = 0; p < u; p++) {
    const x = points + <usize>p * rowBytes;
    const nearest = f64x2.splat(load<f64>(closest + (<usize>p << 3)));
    const o = out + (<usize>p << 3);
    pointDistances(x, scratch, pad, d, distances);
    for (let t = 0; t < trials; t += 2) {
      // pmin(a, b) is b < a ? b : a: here "dist < nearest ? dist : nearest" in both lanes (one
      // instruction, where min's NaN and −0 rules take several).
      const m = f64x2.pmin(nearest, v128.load(distances + (<usize>t << 3)));
      store<f64>(o + <usize>t * planeBytes, f64x2.extract_lane(m, 0));
      if (t + 1 < trials) store<f64>(o + <usize>(t + 1) * planeBytes, f64x2.extract_lane(m, 1));
    }
  }
  // Two potentials per lane pair, each lane its own sum in row order.
  let t = 0;
  for (; t + 2 <= trials; t += 2) {
    const plane0 = out + <usize>t * planeBytes;
    const plane1 = plane0 + planeBytes;
    let sum = f64x2.splat(0);
    for (let i = 0; i < n; i++) {
      const p = <usize>pointOf(inverse, i) << 3;
      const pair = f64x2.replace_lane(f64x2.splat(load<f64>(plane0 + p)), 1, load<f64>(plane1 + p));
      sum = f64x2.add(sum, f64x2.mul(f64x2.splat(load<f64>(weight + (<usize>i << 3))), pair));
    }
    v128.store(potentials + (<usize>t << 3), sum);
  }
  for (; t < trials; t++) {
    const plane = out + <usize>t * planeBytes;
    let sum: f64 = 0;
    for (let i = 0; i < n; i++) {
      sum += load<f64>(weight + (<usize>i << 3)) * load<f64>(plane + (<usize>pointOf(inverse, i) << 3));
    }
    store<f64>(potentials + (<usize>t << 3), sum);
  }
}

// Bounds are trusted up to this relative margin (they carry the rounding of their updates): a
// point within it of a tie is measured rather than skipped.
const BOUND_MARGIN: f64 = 1 + 1e-10;

// One assignment of Hamerly (2010) over the u points: each keeps an upper bound on the distance
// to its centre and a lower bound on the distance to every other centre, moved by how far the
// centres moved (moved[c], zeroed here once applied). A point whose upper bound is below
// max(lower bound, half the gap from its centre to the nearest other) keeps its centre; the
// others are measured against every centre: the nearest (lowest index among equals, so the labels
// are plain Lloyd's) gives the new label and upper bound, the second nearest the lower bound.
// Points whose label changed are flagged (changed, previous) and listed in changedList, in
// point order; returns how many. labels start at −1 (unassigned). scratch holds
// (d + 1) × evenUp(k) doubles.
export function kmAssign(
  points: usize,
  u: i32,
  d: i32,
  centres: usize,
  k: i32,
  labels: usize,
  upper: usize,
  lower: usize,
  halfGap: usize,
  moved: usize,
  changed: usize,
  previous: usize,
  changedList: usize,
  scratch: usize,
): i32 {
  const rowBytes = <usize>d << 3;
  const pad = evenUp(k);
  transposeRows(centres, k, d, scratch);
  const distances = scratch + (<usize>(d * pad) << 3);
  for (let c = 0; c < k; c++) {
    let nearest = Infinity;
    for (let o = 0; o < k; o++) {
      if (o == c) continue;
      nearest = min(nearest, squaredDistanceAt(centres + <usize>c * rowBytes, centres + <usize>o * rowBytes, d));
    }
    store<f64>(halfGap + (<usize>c << 3), Math.sqrt(nearest) / 2);
  }
  // Every other centre came at most this much closer: the largest move, or the second largest
  // for points of the centre that moved most.
  let largest: f64 = 0;
  let second: f64 = 0;
  let largestAt = -1;
  for (let c = 0; c < k; c++) {
    const m = load<f64>(moved + (<usize>c << 3));
    if (m > largest) {
      second = largest;
      largest = m;
      largestAt = c;
    } else if (m > second) second = m;
  }
  let count = 0;
  for (let i = 0; i < u; i++) {
    const x = points + <usize>i * rowBytes;
    const at = <usize>i << 3;
    const a = load<i32>(labels + (<usize>i << 2));
    if (a >= 0) {
      const up = load<f64>(upper + at) + load<f64>(moved + (<usize>a << 3));
      const low = load<f64>(lower + at) - (a == largestAt ? second : largest);
      store<f64>(lower + at, low);
      const limit = max(load<f64>(halfGap + (<usize>a << 3)), low);
      if (up * BOUND_MARGIN < limit) {
        store<f64>(upper + at, up);
        continue;
      }
      const tight = Math.sqrt(squaredDistanceAt(x, centres + <usize>a * rowBytes, d));
      store<f64>(upper + at, tight);
      if (tight * BOUND_MARGIN < limit) continue;
    }
    // Lane 0 follows the even centres, lane 1 the odd ones: each keeps its nearest (the first
    // among equals, by the strict comparison) and its second nearest.
    let bestV = f64x2.splat(Infinity);
    let secondV = f64x2.splat(Infinity);
    let bestI = i64x2(0, 1);
    let index = i64x2(0, 1);
    pointDistances(x, scratch, pad, d, distances);
    for (let c = 0; c < pad; c += 2) {
      const dist = v128.load(distances + (<usize>c << 3));
      const closer = f64x2.lt(dist, bestV);
      secondV = v128.bitselect(bestV, f64x2.pmin(secondV, dist), closer);
      bestV = v128.bitselect(dist, bestV, closer);
      bestI = v128.bitselect(index, bestI, closer);
      index = i64x2.add(index, i64x2.splat(2));
    }
    const b0 = f64x2.extract_lane(bestV, 0);
    const b1 = f64x2.extract_lane(bestV, 1);
    const i0 = <i32>i64x2.extract_lane(bestI, 0);
    const i1 = <i32>i64x2.extract_lane(bestI, 1);
    const others = min(f64x2.extract_lane(secondV, 0), f64x2.extract_lane(secondV, 1));
    let best: i32;
    let bestDist: f64;
    let secondDist: f64;
    if (b1 < b0 || (b1 == b0 && i1 < i0)) {
      best = i1;
      bestDist = b1;
      secondDist = min(b0, others);
    } else {
      best = i0;
      bestDist = b0;
      secondDist = min(b1, others);
    }
    store<f64>(upper + at, Math.sqrt(bestDist));
    store<f64>(lower + at, Math.sqrt(secondDist));
    if (best != a) {
      store<u8>(changed + <usize>i, 1);
      store<i32>(previous + (<usize>i << 2), a);
      store<i32>(changedList + (<usize>count << 2), i);
      store<i32>(labels + (<usize>i << 2), best);
      count++;
    }
  }
  for (let c = 0; c < k; c++) store<f64>(moved + (<usize>c << 3), 0);
  return count;
}

// Moves every row whose point changed cluster (changed[point] = 1) from its previous cluster's
// running sums into its new one's, in row order (the order the sums were always added in, so
// they round alike whether rows are measured one by one or as distinct points), copies the
// point's label to the row, then clears the flags of the `count` points in changedList. sums is
// k × d, weightOf and countOf (f64, i32) per cluster; a cluster whose count drops to zero is
// set to exact zeros, whatever the rounding of its removals.
export function kmApplyChanges(
  data: usize,
  n: i32,
  d: i32,
  weight: usize,
  inverse: usize,
  changed: usize,
  previous: usize,
  labels: usize,
  rowLabels: usize,
  sums: usize,
  weightOf: usize,
  countOf: usize,
  changedList: usize,
  count: i32,
): void {
  if (count == 0) return;
  const rowBytes = <usize>d << 3;
  // Without distinct points the changed list is the changed rows, in row order (kmAssign lists
  // them as it goes): visit only those.
  const rows = inverse == 0 ? count : n;
  for (let r = 0; r < rows; r++) {
    const i = inverse == 0 ? load<i32>(changedList + (<usize>r << 2)) : r;
    const p = pointOf(inverse, i);
    if (load<u8>(changed + <usize>p) == 0) continue;
    const w = load<f64>(weight + (<usize>i << 3));
    const x = data + <usize>i * rowBytes;
    const from = load<i32>(previous + (<usize>p << 2));
    const to = load<i32>(labels + (<usize>p << 2));
    if (from >= 0) {
      const fw = weightOf + (<usize>from << 3);
      store<f64>(fw, load<f64>(fw) - w);
      const fs = sums + <usize>from * rowBytes;
      for (let j = 0; j < d; j++) {
        const s = fs + (<usize>j << 3);
        store<f64>(s, load<f64>(s) - w * load<f64>(x + (<usize>j << 3)));
      }
      const fc = countOf + (<usize>from << 2);
      const left = load<i32>(fc) - 1;
      store<i32>(fc, left);
      if (left == 0) {
        store<f64>(fw, 0);
        for (let j = 0; j < d; j++) store<f64>(fs + (<usize>j << 3), 0);
      }
    }
    const tw = weightOf + (<usize>to << 3);
    store<f64>(tw, load<f64>(tw) + w);
    const tc = countOf + (<usize>to << 2);
    store<i32>(tc, load<i32>(tc) + 1);
    const ts = sums + <usize>to * rowBytes;
    for (let j = 0; j < d; j++) {
      const s = ts + (<usize>j << 3);
      store<f64>(s, load<f64>(s) + w * load<f64>(x + (<usize>j << 3)));
    }
    store<i32>(rowLabels + (<usize>i << 2), to);
  }
  for (let c = 0; c < count; c++) store<u8>(changed + <usize>load<i32>(changedList + (<usize>c << 2)), 0);
}

// Σ_i weight[i] · D²(row i, centre of its label), added in row order.
export function kmInertia(data: usize, n: i32, d: i32, centres: usize, labels: usize, weight: usize): f64 {
  const rowBytes = <usize>d << 3;
  let total: f64 = 0;
  for (let i = 0; i < n; i++) {
    const c = load<i32>(labels + (<usize>i << 2));
    total += load<f64>(weight + (<usize>i << 3)) * squaredDistanceAt(data + <usize>i * rowBytes, centres + <usize>c * rowBytes, d);
  }
  return total;
}
