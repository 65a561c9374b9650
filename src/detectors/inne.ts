/**
 * Isolation using Nearest-Neighbour Ensembles, iNNE (Bandaragoda et al. 2018), as PyOD's INNE.
 *
 * Each of `nEstimators` members draws `maxSamples` training rows without replacement as centres.
 * A centre's hypersphere reaches its nearest other centre (radius τ, kept squared as in PyOD),
 * and its isolation score is 1 − τ(nearest centre) / τ(centre) (both plus machine epsilon, so
 * coincident centres give 0): near 0 in dense regions, near 1 where a centre is far from its
 * neighbours. A row takes, in each member, the score of the smallest hypersphere that covers it
 * (squared distance ≤ τ; the lowest index among equal radii), or 1 if none does; its anomaly
 * score is the mean over the members, in [0, 1].
 *
 * Where PyOD gives NaN, ours stay finite: with a single centre per member (one training row)
 * the hypersphere covers everything and scores 0.
 */
import { z } from "zod";
import { baseParams, defineDetector, f64, i32 } from "./contract.js";
import { Random } from "../core/random.js";
import { multiplyABt, squaredDistance } from "../core/linalg.js";
import type { Matrix } from "../core/matrix.js";
import { ParamError } from "../core/errors.js";

/** NumPy's float64 machine epsilon, which PyOD adds to both radii of the ratio. */
const EPSILON = 2.220446049250313e-16;

export const inneParams = baseParams.extend({
  nEstimators: z
    .int()
    .min(1)
    .default(200)
    .describe("Ensemble members, each a set of hyperspheres (Bandaragoda et al. 2018: 200)."),
  maxSamples: z
    .union([z.literal("auto"), z.number().positive()])
    .default("auto")
    .describe(
      'Centres drawn per member: "auto" = min(8, rows) (PyOD), a fraction in (0, 1], or a count.',
    ),
  seed: z.int().default(0).describe("Random seed: same seed, same hyperspheres, same scores."),
});

interface InneState {
  /** Centres of every member, member-major: (nEstimators · ψ) × features. */
  readonly centres: Float64Array;
  /** Squared radius of each hypersphere (+∞ for a lone centre), ascending within a member. */
  readonly radius: Float64Array;
  /** Isolation score of each hypersphere. */
  readonly isolation: Float64Array;
  /** ψ, the centres per member. */
  readonly perMember: Int32Array;
}

export const inne = defineDetector({
  name: "inne",
  summary:
    "Isolation by nearest-neighbour hyperspheres of small random samples: local and global outliers.",
  reference: "Bandaragoda, Ting, Albrecht, Liu, Zhu & Wells 2018; PyOD INNE",
  deterministic: false,
  // Neighbour searches cost microseconds per row: the pool pays from a few thousand rows.
  parallelMinRows: 5_000,
  costlyScore: true,
  params: inneParams,
  state: z.object({ centres: f64, radius: f64, isolation: f64, perMember: i32 }),
  checkState(s: InneState, d: number) {
    const spheres = s.radius.length;
    if (s.perMember.length !== 1) return "centres per member missing";
    const psi = s.perMember[0];
    if (!(psi >= 1 && spheres % psi === 0 && spheres > 0))
      return "hyperspheres do not divide into members";
    if (s.isolation.length !== spheres || s.centres.length !== spheres * d)
      return "hypersphere arrays differ in length";
    for (let c = 0; c < spheres; c++) {
      if (c % psi !== 0 && !(s.radius[c] >= s.radius[c - 1]))
        return "hyperspheres are not ordered by radius";
    }
    return undefined;
  },
  fit(X, p) {
    return { state: buildSpheres(X, p.nEstimators, sampleSize(p.maxSamples, X.rows), p.seed) };
  },
  score(state, X) {
    return scoreRows(state, X);
  },
});

/** ψ as PyOD resolves max_samples ("auto" = min(8, n); counts capped at n; fractions of n). */
export function sampleSize(value: number | "auto", n: number): number {
  if (value === "auto") return Math.min(8, n);
  // JavaScript cannot tell 1 from 1.0: values up to 1 are fractions (1 = every row).
  if (value <= 1) return Math.max(1, Math.floor(value * n));
  if (!Number.isInteger(value))
    throw new ParamError("inne: maxSamples must be a fraction in (0, 1] or a whole count");
  return Math.min(value, n);
}

function buildSpheres(X: Matrix, members: number, psi: number, seed: number): InneState {
  const { rows: n, cols: d, data } = X;
  const spheres = members * psi;
  const centres = new Float64Array(spheres * d);
  const radius = new Float64Array(spheres);
  const isolation = new Float64Array(spheres);
  const nearest = new Int32Array(psi);
  const rng = new Random(seed);
  for (let m = 0; m < members; m++) {
    const first = m * psi;
    const rows = rng.sample(n, psi);
    for (let s = 0; s < psi; s++)
      centres.set(data.subarray(rows[s] * d, rows[s] * d + d), (first + s) * d);
    for (let s = 0; s < psi; s++) {
      let best = Infinity;
      let bestAt = s;
      for (let o = 0; o < psi; o++) {
        if (o === s) continue;
        const dist = squaredDistance(centres, (first + s) * d, centres, (first + o) * d, d);
        if (dist < best) {
          best = dist;
          bestAt = o;
        }
      }
      radius[first + s] = best;
      nearest[s] = bestAt;
    }
    for (let s = 0; s < psi; s++) {
      const own = radius[first + s];
      // A lone centre (ψ = 1) has no neighbour: its sphere covers everything and isolates nothing.
      isolation[first + s] =
        own === Infinity ? 0 : 1 - (radius[first + nearest[s]] + EPSILON) / (own + EPSILON);
    }
    smallestFirst(centres, radius, isolation, first, psi, d);
  }
  return { centres, radius, isolation, perMember: Int32Array.of(psi) };
}

/**
 * Reorders a member's spheres by radius, smallest first (equal radii keep their draw order), so
 * that the first sphere found to cover a row is the smallest that does, as PyOD's lowest
 * index among the smallest covering radii.
 */
function smallestFirst(
  centres: Float64Array,
  radius: Float64Array,
  isolation: Float64Array,
  first: number,
  psi: number,
  d: number,
): void {
  const order = Array.from({ length: psi }, (_, s) => first + s).sort(
    (a, b) => radius[a] - radius[b] || a - b,
  );
  const oldCentres = centres.slice(first * d, (first + psi) * d);
  const oldRadius = radius.slice(first, first + psi);
  const oldIsolation = isolation.slice(first, first + psi);
  order.forEach((from, s) => {
    const at = from - first;
    centres.set(oldCentres.subarray(at * d, at * d + d), (first + s) * d);
    radius[first + s] = oldRadius[at];
    isolation[first + s] = oldIsolation[at];
  });
}

/** Rows scored together: their products with every centre (BLOCK × spheres) stay a few MB. */
const BLOCK = 128;

/**
 * Squared distances come from one product per block of rows (‖x‖² + ‖c‖² − 2 x·c, on the SIMD
 * kernel); a distance within its rounding allowance of a radius is measured exactly, so
 * coverage is decided as if exactly (a row on a centre is covered by even a zero radius).
 */
function scoreRows(s: InneState, X: Matrix): Float64Array {
  if (X.cols <= DIRECT_MAX_FEATURES) return scoreRowsDirect(s, X);
  const { rows: n, cols: d, data } = X;
  const psi = s.perMember[0];
  const spheres = s.radius.length;
  const members = spheres / psi;
  const { centres, radius, isolation } = s;
  const centreNorms = new Float64Array(spheres);
  let largestNorm = 0;
  for (let c = 0; c < spheres; c++) {
    let norm = 0;
    for (let j = 0; j < d; j++) norm += centres[c * d + j] * centres[c * d + j];
    centreNorms[c] = norm;
    largestNorm = Math.max(largestNorm, norm);
  }
  const products = new Float64Array(Math.min(n, BLOCK) * spheres);
  const out = new Float64Array(n);
  for (let start = 0; start < n; start += BLOCK) {
    const rows = Math.min(BLOCK, n - start);
    multiplyABt(data.subarray(start * d, (start + rows) * d), rows, centres, spheres, d, products);
    for (let r = 0; r < rows; r++) {
      const i = start + r;
      let norm = 0;
      for (let j = 0; j < d; j++) norm += data[i * d + j] * data[i * d + j];
      // A product of d terms is off by at most about d ulps of ‖x‖² + ‖c‖² (Higham, ch. 3).
      const allowance = (d + 4) * 4.5e-16 * (norm + largestNorm);
      const base = r * spheres;
      let total = 0;
      for (let m = 0; m < members; m++) {
        let covered = false;
        let smallest = Infinity;
        let value = 1; // covered by no hypersphere
        for (let c = m * psi; c < (m + 1) * psi; c++) {
          const tau = radius[c];
          if (covered && !(tau < smallest)) continue;
          let dist = norm + centreNorms[c] - 2 * products[base + c];
          if (Math.abs(dist - tau) <= allowance)
            dist = squaredDistance(data, i * d, centres, c * d, d);
          if (dist <= tau) {
            covered = true;
            smallest = tau;
            value = isolation[c];
          }
        }
        total += value;
      }
      out[i] = total / members;
    }
  }
  return out;
}

/**
 * Up to this many features, distances are measured directly, sphere by sphere, and a member's
 * scan stops at the first covering sphere; that beats a full product with every centre when
 * rows are short.
 */
const DIRECT_MAX_FEATURES = 8;

function scoreRowsDirect(s: InneState, X: Matrix): Float64Array {
  const { rows: n, cols: d, data } = X;
  const psi = s.perMember[0];
  const spheres = s.radius.length;
  const members = spheres / psi;
  const { centres, radius, isolation } = s;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const row = i * d;
    let total = 0;
    for (let m = 0; m < members; m++) {
      let value = 1; // covered by no hypersphere
      const last = (m + 1) * psi;
      for (let c = m * psi; c < last; c++) {
        // The partial sum only grows: stop measuring once it passes the radius.
        const tau = radius[c];
        let dist = 0;
        for (let j = 0; j < d && dist <= tau; j++) {
          const diff = data[row + j] - centres[c * d + j];
          dist += diff * diff;
        }
        if (dist <= tau) {
          value = isolation[c];
          break;
        }
      }
      total += value;
    }
    out[i] = total / members;
  }
  return out;
}
