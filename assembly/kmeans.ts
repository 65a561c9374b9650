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

// out (d × pad) = the count rows (count × d) at rows, transposed; the padding columns (count to
// pad − 1) are +∞, which no distance beats.
function transposeRows(rows: usize, count: i32, d: i32, out: usize, pad: i32): void {
  for (let j = 0; j < d; j++) {
    const line = out + (<usize>(j * pad) << 3);
    for (let c = 0; c < count; c++) store<f64>(line + (<usize>c << 3), load<f64>(rows + (<usize>(c * d + j) << 3)));
    for (let c = count; c < pad; c++) store<f64>(line + (<usize>c << 3), Infinity);
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
  transposeRows(candidates, trials, d, scratch, pad);
  const distances = scratch + (<usize>(d * pad) << 3);
  // When points are rows, the potentials are summed in this pass, in row order, each pair of
  // trials in the two lanes (the sums of the passes below, to the bit, without reading the planes
  // back).
  const fused = inverse == 0;
  if (fused) for (let t = 0; t < pad; t++) store<f64>(potentials + (<usize>t << 3), 0);
  for (let p = 0; p < u; p++) {
    const x = points + <usize>p * rowBytes;
    const nearest = f64x2.splat(load<f64>(closest + (<usize>p << 3)));
    const w = f64x2.splat(fused ? load<f64>(weight + (<usize>p << 3)) : 0);
    const o = out + (<usize>p << 3);
    pointDistances(x, scratch, pad, d, distances);
    for (let t = 0; t < trials; t += 2) {
      // pmin(a, b) is b < a ? b : a: here "dist < nearest ? dist : nearest" in both lanes (one
      // instruction, where min's NaN and −0 rules take several).
      const m = f64x2.pmin(nearest, v128.load(distances + (<usize>t << 3)));
      store<f64>(o + <usize>t * planeBytes, f64x2.extract_lane(m, 0));
      if (t + 1 < trials) store<f64>(o + <usize>(t + 1) * planeBytes, f64x2.extract_lane(m, 1));
      if (fused) {
        const sum = potentials + (<usize>t << 3);
        v128.store(sum, f64x2.add(v128.load(sum), f64x2.mul(w, m)));
      }
    }
  }
  if (fused) return;
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

// The nearest centre of a point (lowest index among equals), its squared distance, and the
// squared distance to the second nearest (equal to the first on a tie): the results of
// nearestOfEight and nearestOfMany.
let nearestIndex: i32 = 0;
let nearestDist: f64 = 0;
let secondNearestDist: f64 = 0;

// The point at x against eight transposed centre columns (d × 8; padding columns +∞), its
// distances from pointDistances (written to `distances` and read straight back): each lane keeps
// its two smallest, merged across lanes at the end; the nearest index is the first column whose
// distance equals the least.
// @ts-ignore: decorator
@inline
function nearestOfEight(x: usize, columns: usize, d: i32, distances: usize): void {
  pointDistances(x, columns, 8, d, distances);
  const a0 = v128.load(distances);
  const a1 = v128.load(distances, 16);
  const a2 = v128.load(distances, 32);
  const a3 = v128.load(distances, 48);
  // Two smallest per lane: of each pair, then of the pairs.
  const low01 = f64x2.pmin(a0, a1);
  const high01 = f64x2.pmax(a0, a1);
  const low23 = f64x2.pmin(a2, a3);
  const high23 = f64x2.pmax(a2, a3);
  const low = f64x2.pmin(low01, low23);
  const next = f64x2.pmin(f64x2.pmax(low01, low23), f64x2.pmin(high01, high23));
  // Then across the lanes, against the lanes swapped (both lanes of each result alike): V8's x86
  // code for a select of two doubles is a compare and a branch (min and max add tests for NaN
  // and −0), which points near a boundary mispredict; the vector forms are single instructions.
  const lowSwapped = v128.shuffle<f64>(low, low, 1, 0);
  const m = f64x2.pmin(low, lowSwapped);
  const second = f64x2.pmin(
    f64x2.pmax(low, lowSwapped),
    f64x2.pmin(next, v128.shuffle<f64>(next, next, 1, 0)),
  );
  nearestDist = f64x2.extract_lane(m, 0);
  secondNearestDist = f64x2.extract_lane(second, 0);
  const mask =
    i64x2.bitmask(f64x2.eq(a0, m)) |
    (i64x2.bitmask(f64x2.eq(a1, m)) << 2) |
    (i64x2.bitmask(f64x2.eq(a2, m)) << 4) |
    (i64x2.bitmask(f64x2.eq(a3, m)) << 6);
  // A least distance always equals some lane; were all NaN, & 7 keeps the index a centre's.
  nearestIndex = ctz(mask) & 7;
}

// The same for any even number of columns (pad), through pointDistances.
// @ts-ignore: decorator
@inline
function nearestOfMany(x: usize, columns: usize, pad: i32, d: i32, distances: usize): void {
  // Lane 0 follows the even centres, lane 1 the odd ones: each keeps its nearest (the first
  // among equals, by the strict comparison) and its second nearest.
  let bestV = f64x2.splat(Infinity);
  let secondV = f64x2.splat(Infinity);
  let bestI = i64x2(0, 1);
  let index = i64x2(0, 1);
  pointDistances(x, columns, pad, d, distances);
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
  if (b1 < b0 || (b1 == b0 && i1 < i0)) {
    nearestIndex = i1;
    nearestDist = b1;
    secondNearestDist = min(b0, others);
  } else {
    nearestIndex = i0;
    nearestDist = b0;
    secondNearestDist = min(b1, others);
  }
}

// Bounds are trusted up to this relative margin (they carry the rounding of their updates): a
// point within it of a tie is measured rather than skipped.
const BOUND_MARGIN: f64 = 1 + 1e-10;
const SQUARED_MARGIN: f64 = BOUND_MARGIN * BOUND_MARGIN;

// One assignment of Hamerly (2010) over the u points: each keeps an upper bound on the distance
// to its centre and a lower bound on the distance to every other centre. A point whose upper
// bound is below max(lower bound, half the gap from its centre to the nearest other) keeps its
// centre; otherwise the distance to its own centre tightens the upper bound, and if that does not
// settle it either, it is measured against every centre: the nearest (lowest index among equals,
// so the labels are plain Lloyd's) gives the new label and upper bound, the second nearest the
// lower bound. Points whose label changed are flagged (changed, previous) and listed in
// changedList, in point order; returns how many. labels start at −1 (unassigned). scratch holds
// (d + 1) × max(8, evenUp(k)) doubles.
//
// The bounds are kept relative to how far the centres have moved since the restart began
// (drift[c] for centre c, and drift[k] the sum of each update's largest move, which bounds how
// much closer any other centre came): a point's upper bound is upper[i] + drift[its centre], its
// lower bound lower[i] − drift[k]. A centre's move (moved[c], zeroed here once added) is then one
// addition per centre, not two writes per point, and a settled point is only read. (Hamerly
// lowers a point's lower bound by the second largest move when its own centre moved most; one
// drift for all loses that, and so measures a few more points.) The sums lose a little precision
// as the drifts grow, which the absolute slack below covers; a looser bound measures a point it
// could have skipped, never the reverse.
//
// The work goes in three passes, each narrowing a list of pending points kept in point order:
// the bounds of every point; the distance to its own centre for those the bounds leave open; all
// k distances for those still open. The first two decide without a branch (compares combined as
// integers, the list always written and its length advanced by 0 or 1), since which points stay
// open is data-dependent. cblof on smtp (57k × 3 training rows, 8 clusters, ten restarts, about
// 220 Lloyd iterations), `node dist/bench/run.js --only cblof --single-thread`, fit: 0.34 s with
// one loop and Hamerly's per-point updates (13edbce, two runs), 0.19–0.21 s like this. Most of
// the gain was the branches: V8 compiles a scalar select, min or max of doubles to a compare and
// a branch (see nearestOfEight), and smtp's many points near a boundary mispredict it.
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
  drift: usize,
  changed: usize,
  previous: usize,
  changedList: usize,
  scratch: usize,
  pending: usize,
): i32 {
  const rowBytes = <usize>d << 3;
  // Up to eight centres (PyOD's default is eight) are padded to eight and merged by nearestOfEight.
  const pad = k <= 8 ? 8 : evenUp(k);
  transposeRows(centres, k, d, scratch, pad);
  const distances = scratch + (<usize>(d * pad) << 3);
  for (let c = 0; c < k; c++) {
    let nearest = Infinity;
    for (let o = 0; o < k; o++) {
      if (o == c) continue;
      nearest = min(nearest, squaredDistanceAt(centres + <usize>c * rowBytes, centres + <usize>o * rowBytes, d));
    }
    store<f64>(halfGap + (<usize>c << 3), Math.sqrt(nearest) / 2);
  }
  const othersAt = drift + (<usize>k << 3);
  let largest: f64 = 0;
  let mostDrift: f64 = 0;
  for (let c = 0; c < k; c++) {
    const at = drift + (<usize>c << 3);
    const m = load<f64>(moved + (<usize>c << 3));
    largest = max(largest, m);
    const total = load<f64>(at) + m;
    store<f64>(at, total);
    mostDrift = max(mostDrift, total);
    store<f64>(moved + (<usize>c << 3), 0);
  }
  const others = load<f64>(othersAt) + largest;
  store<f64>(othersAt, others);
  // Each bound is a stored value plus or minus a drift, each rounded: a few ulps of the largest
  // drift, far inside this.
  const slack = 1e-12 * (others + mostDrift);
  // Pass 1, every point: do the bounds settle it? The others go on to pass 2 (an unassigned
  // point, label −1, always).
  let open = 0;
  for (let i = 0; i < u; i++) {
    const at = <usize>i << 3;
    const a = load<i32>(labels + (<usize>i << 2));
    const own = <usize>select<i32>(a, 0, a >= 0) << 3;
    // Settled when the upper bound is below the half gap or the lower bound (less the slack):
    // two compares and an or, where a max of the two would be a branch (see nearestOfEight).
    const up = (load<f64>(upper + at) + load<f64>(drift + own)) * BOUND_MARGIN + slack;
    const settled =
      <i32>(up < load<f64>(halfGap + own)) | <i32>(up < load<f64>(lower + at) - others);
    store<i32>(pending + (<usize>open << 2), i);
    open += <i32>(a < 0) | (settled ^ 1);
  }
  // Pass 2: does the distance to its own centre settle it? Compared squared (limit ≥ 0 when it
  // can settle anything), so the square root is off the path to the next point.
  let left = 0;
  for (let r = 0; r < open; r++) {
    const i = load<i32>(pending + (<usize>r << 2));
    const at = <usize>i << 3;
    const a = load<i32>(labels + (<usize>i << 2));
    const own = select<i32>(a, 0, a >= 0);
    const ownAt = <usize>own << 3;
    const squared = squaredDistanceAt(points + <usize>i * rowBytes, centres + <usize>own * rowBytes, d);
    const gap = load<f64>(halfGap + ownAt) - slack;
    const low = load<f64>(lower + at) - others - slack;
    const margined = squared * SQUARED_MARGIN;
    const settled =
      (<i32>(gap > 0) & <i32>(margined < gap * gap)) | (<i32>(low > 0) & <i32>(margined < low * low));
    store<f64>(upper + at, Math.sqrt(squared) - load<f64>(drift + ownAt));
    store<i32>(pending + (<usize>left << 2), i);
    left += <i32>(a < 0) | (settled ^ 1);
  }
  // Pass 3: every centre.
  let count = 0;
  for (let r = 0; r < left; r++) {
    const i = load<i32>(pending + (<usize>r << 2));
    const x = points + <usize>i * rowBytes;
    const at = <usize>i << 3;
    const a = load<i32>(labels + (<usize>i << 2));
    if (pad == 8) nearestOfEight(x, scratch, d, distances);
    else nearestOfMany(x, scratch, pad, d, distances);
    const best = nearestIndex;
    store<f64>(upper + at, Math.sqrt(nearestDist) - load<f64>(drift + (<usize>best << 3)));
    store<f64>(lower + at, Math.sqrt(secondNearestDist) + others);
    if (best != a) {
      store<u8>(changed + <usize>i, 1);
      store<i32>(previous + (<usize>i << 2), a);
      store<i32>(changedList + (<usize>count << 2), i);
      store<i32>(labels + (<usize>i << 2), best);
      count++;
    }
  }
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
