/**
 * LODA, lightweight on-line detector of anomalies (Pevný 2016), as PyOD's LODA.
 *
 * `nRandomCuts` sparse random projections: each has standard normal weights on int(√d) random
 * features (the other d − int(√d) weights are zero). The training rows projected on it make an
 * equal-width histogram over their range (NumPy's `histogram`: left-closed bins, the last closed,
 * a constant projection spread over [v − 0.5, v + 0.5]); counts + 1e-12, normalised to sum 1.
 * `nBins: "auto"` picks each projection's bin count by Birgé & Rozenholc's penalised likelihood,
 * as PyOD's `get_optimal_n_bins` (its penalty subtracted once per bin, as PyOD sums it).
 *
 * A row scores the mean over projections of −log(probability of its bin), divided once more by
 * `nRandomCuts` (PyOD weighs each cut by 1/cuts and then divides the sum by cuts; the constant
 * factor changes no ranking). The bin is PyOD's lookup, `searchsorted(edges[:bins−1], value,
 * "left")`: the number of the first bins−1 edges strictly below the value. That is one bin to
 * the right of the histogram's own binning for values inside a bin (a value in [e0, e1) reads
 * bin 1 unless it equals e0), and values beyond the range read the end bins; we keep it, as
 * parity requires.
 */
import { z } from "zod";
import { baseParams, concatF64, defineDetector, f64, i32 } from "./contract.js";
import { Random } from "../core/random.js";
import type { Matrix } from "../core/matrix.js";

export const lodaParams = baseParams.extend({
  nBins: z
    .union([z.int().min(1), z.literal("auto")])
    .default(10)
    .describe(
      'Histogram bins per projection, or "auto" for Birgé & Rozenholc\'s choice per projection (PyOD: n_bins).',
    ),
  nRandomCuts: z
    .int()
    .min(1)
    .default(100)
    .describe(
      "Number of sparse random projections, each with its histogram (PyOD: n_random_cuts).",
    ),
  seed: z.int().default(0).describe("Random seed of the projections: same seed, same scores."),
});

interface LodaState {
  /** Features with a non-zero weight, int(√d) per projection, projection-major. */
  readonly features: Int32Array;
  /** Their weights, in the same layout. */
  readonly weights: Float64Array;
  /** Start of each projection's bins in `surprisal`, plus the total at the end. */
  readonly binStart: Int32Array;
  /** Bin edges: projection c's bins + 1 edges start at binStart[c] + c. */
  readonly edges: Float64Array;
  /** −log(bin probability) per bin. */
  readonly surprisal: Float64Array;
}

export const loda = defineDetector({
  name: "loda",
  summary:
    "LODA: mean surprisal of a row under histograms of many sparse random projections (fast, streaming-friendly).",
  reference: "Pevný 2016; PyOD LODA",
  deterministic: false,
  params: lodaParams,
  state: z.object({ features: i32, weights: f64, binStart: i32, edges: f64, surprisal: f64 }),
  checkState(s: LodaState, d: number) {
    const cuts = s.binStart.length - 1;
    if (cuts < 1) return "no projections";
    if (s.features.length !== s.weights.length || s.features.length % cuts !== 0)
      return "projection weights do not match";
    for (const f of s.features) if (!(f >= 0 && f < d)) return "projection feature out of range";
    const bins = s.binStart[cuts];
    if (s.surprisal.length !== bins || s.edges.length !== bins + cuts)
      return "histograms do not match";
    return undefined;
  },
  fit(X, p) {
    const { rows: n, cols: d } = X;
    const cuts = p.nRandomCuts;
    const used = Math.floor(Math.sqrt(d));
    const rng = new Random(p.seed);
    // As PyOD: all the weights first, then each projection's zeroed features.
    const dense = new Float64Array(cuts * d);
    for (let k = 0; k < dense.length; k++) dense[k] = rng.normal();
    const features = new Int32Array(cuts * used);
    const weights = new Float64Array(cuts * used);
    for (let c = 0; c < cuts; c++) {
      const zeroed = new Uint8Array(d);
      for (const f of rng.sample(d, d - used)) zeroed[f] = 1;
      let at = c * used;
      for (let f = 0; f < d; f++) {
        if (zeroed[f] === 1) continue;
        features[at] = f;
        weights[at] = dense[c * d + f];
        at++;
      }
    }
    const binStart = new Int32Array(cuts + 1);
    const edgeParts: Float64Array[] = [];
    const surprisalParts: Float64Array[] = [];
    const projected = new Float64Array(n);
    for (let c = 0; c < cuts; c++) {
      project(X, features, weights, c, used, projected);
      const bins = p.nBins === "auto" ? birgeRozenholcBins(projected) : p.nBins;
      const { counts, edges } = histogram(projected, bins);
      let total = 0;
      for (let b = 0; b < bins; b++) total += counts[b] + 1e-12;
      const surprisal = new Float64Array(bins);
      for (let b = 0; b < bins; b++) surprisal[b] = -Math.log((counts[b] + 1e-12) / total);
      binStart[c + 1] = binStart[c] + bins;
      edgeParts.push(edges);
      surprisalParts.push(surprisal);
    }
    return {
      state: {
        features,
        weights,
        binStart,
        edges: concatF64(edgeParts),
        surprisal: concatF64(surprisalParts),
      },
    };
  },
  score(state, X) {
    const { rows: n } = X;
    const cuts = state.binStart.length - 1;
    const used = state.features.length / cuts;
    const out = new Float64Array(n);
    const projected = new Float64Array(n);
    const weight = 1 / cuts;
    for (let c = 0; c < cuts; c++) {
      project(X, state.features, state.weights, c, used, projected);
      const first = state.binStart[c];
      const bins = state.binStart[c + 1] - first;
      const edgeAt = first + c;
      const lo = state.edges[edgeAt];
      const toBin = bins / (state.edges[edgeAt + bins] - lo);
      for (let i = 0; i < n; i++) {
        const bin = edgesBelow(state.edges, edgeAt, bins, toBin, projected[i]);
        out[i] += weight * state.surprisal[first + bin];
      }
    }
    for (let i = 0; i < n; i++) out[i] /= cuts;
    return out;
  },
});

/** Every row projected on projection c (its `used` features and weights). */
function project(
  X: Matrix,
  features: Int32Array,
  weights: Float64Array,
  c: number,
  used: number,
  out: Float64Array,
): void {
  const { rows: n, cols: d, data } = X;
  const at = c * used;
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let u = 0; u < used; u++) sum += weights[at + u] * data[i * d + features[at + u]];
    out[i] = sum;
  }
}

/**
 * PyOD's bin lookup, `searchsorted(edges[:bins − 1], v, "left")`: how many of a histogram's first
 * bins − 1 edges (at edges[from..]) are strictly below v. Guessed from v's position in the range
 * (`toBin` = bins / range), then moved to the exact edge.
 */
function edgesBelow(
  edges: Float64Array,
  from: number,
  bins: number,
  toBin: number,
  v: number,
): number {
  const last = bins - 1;
  let g = Math.ceil((v - edges[from]) * toBin);
  if (!(g > 0)) g = 0; // also NaN from a zero range
  if (g > last) g = last;
  while (g > 0 && edges[from + g - 1] >= v) g--;
  while (g < last && edges[from + g] < v) g++;
  return g;
}

/**
 * NumPy's `histogram(values, bins)`: equal-width bins over [min, max] with edges from
 * `linspace` (edge i = min + i·step, the last exactly max); a value v counts in the bin with
 * edge_b <= v < edge_b+1, the last bin also taking max. A constant input spreads over
 * [v − 0.5, v + 0.5].
 */
export function histogram(
  values: Float64Array,
  bins: number,
): { counts: Float64Array; edges: Float64Array } {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo === hi) {
    lo -= 0.5;
    hi += 0.5;
  }
  const edges = new Float64Array(bins + 1);
  const step = (hi - lo) / bins;
  for (let b = 0; b < bins; b++) edges[b] = b * step + lo;
  edges[bins] = hi;
  const counts = new Float64Array(bins);
  // NumPy's way: the bin from the value's position in the range, corrected against the edges.
  const toBin = bins / (hi - lo);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    let b = Math.floor((v - lo) * toBin);
    if (b >= bins) b = bins - 1;
    if (v < edges[b]) b--;
    else if (b < bins - 1 && v >= edges[b + 1]) b++;
    counts[b]++;
  }
  return { counts, edges };
}

/**
 * Birgé & Rozenholc's bin count as PyOD's `get_optimal_n_bins`: of b = 1 .. int(√n) − 1, the
 * first maximising Σ_bins [count·log(b·count/n + 1) − (b − 1 + log(b)^2.5)]. Fewer than 4 rows
 * leave no candidate (PyOD fails on the empty argmax): one bin.
 */
export function birgeRozenholcBins(values: Float64Array): number {
  const n = values.length;
  const upper = Math.floor(Math.sqrt(n));
  let best = 1;
  let bestValue = -Infinity;
  for (let b = 1; b < upper; b++) {
    const { counts } = histogram(values, b);
    const penalty = b - 1 + Math.pow(Math.log(b), 2.5);
    let value = 0;
    for (let k = 0; k < b; k++) value += counts[k] * Math.log((b * counts[k]) / n + 1) - penalty;
    if (value > bestValue) {
      bestValue = value;
      best = b;
    }
  }
  return best;
}
