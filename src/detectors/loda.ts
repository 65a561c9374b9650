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
import { transpose } from "../core/linalg.js";

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
    // PyOD draws d weights per projection and zeroes a random d − int(√d) of them; drawing the
    // int(√d) kept features and their weights alone gives the same distribution.
    const features = new Int32Array(cuts * used);
    const weights = new Float64Array(cuts * used);
    for (let c = 0; c < cuts; c++) {
      const kept = rng.sample(d, used).sort();
      features.set(kept, c * used);
      for (let u = 0; u < used; u++) weights[c * used + u] = rng.normal();
    }
    const binStart = new Int32Array(cuts + 1);
    const edgeParts: Float64Array[] = [];
    const surprisalParts: Float64Array[] = [];
    const columns = transpose(X.data, n, d);
    const projected = new Float64Array(n);
    const trainingScores = new Float64Array(n);
    const binOf = new Int32Array(n);
    const weight = 1 / cuts;
    for (let c = 0; c < cuts; c++) {
      const range = project(columns, n, features, weights, c, used, projected);
      const bins = p.nBins === "auto" ? birgeRozenholcBins(projected) : p.nBins;
      const { counts, edges } = histogramOfRange(projected, bins, range.lo, range.hi, binOf);
      let total = 0;
      for (let b = 0; b < bins; b++) total += counts[b] + 1e-12;
      const surprisal = new Float64Array(bins);
      for (let b = 0; b < bins; b++) surprisal[b] = -Math.log((counts[b] + 1e-12) / total);
      // PyOD's lookup of a training value from its own bin b: the edges below it are edges
      // 0..b, or 0..b − 1 when it sits on edge b, capped at bins − 1.
      for (let i = 0; i < n; i++) {
        const b = binOf[i];
        const bin = projected[i] === edges[b] ? b : Math.min(b + 1, bins - 1);
        trainingScores[i] += weight * surprisal[bin];
      }
      binStart[c + 1] = binStart[c] + bins;
      edgeParts.push(edges);
      surprisalParts.push(surprisal);
    }
    for (let i = 0; i < n; i++) trainingScores[i] /= cuts;
    return {
      state: {
        features,
        weights,
        binStart,
        edges: concatF64(edgeParts),
        surprisal: concatF64(surprisalParts),
      },
      trainingScores,
    };
  },
  score(state, X) {
    const { rows: n, cols: d } = X;
    const cuts = state.binStart.length - 1;
    const used = state.features.length / cuts;
    const columns = transpose(X.data, n, d);
    const out = new Float64Array(n);
    const projected = new Float64Array(n);
    for (let c = 0; c < cuts; c++) {
      project(columns, n, state.features, state.weights, c, used, projected);
      const first = state.binStart[c];
      const bins = state.binStart[c + 1] - first;
      addSurprisal(state.edges, first + c, bins, state.surprisal, first, cuts, projected, out);
    }
    for (let i = 0; i < n; i++) out[i] /= cuts;
    return out;
  },
});

/**
 * Adds weight 1/cuts × the surprisal of each projected value's bin (PyOD's lookup, edgesBelow)
 * to out; the histogram's edges start at edges[edgeAt], its surprisals at surprisal[binAt].
 */
function addSurprisal(
  edges: Float64Array,
  edgeAt: number,
  bins: number,
  surprisal: Float64Array,
  binAt: number,
  cuts: number,
  projected: Float64Array,
  out: Float64Array,
): void {
  const weight = 1 / cuts;
  const toBin = bins / (edges[edgeAt + bins] - edges[edgeAt]);
  for (let i = 0; i < projected.length; i++) {
    const bin = edgesBelow(edges, edgeAt, bins, toBin, projected[i]);
    out[i] += weight * surprisal[binAt + bin];
  }
}

/**
 * Every row projected on projection c (its `used` features and weights), from the data stored
 * column by column, so that each feature's values are read in one contiguous pass. Returns the
 * projections' range.
 */
function project(
  columns: Float64Array,
  n: number,
  features: Int32Array,
  weights: Float64Array,
  c: number,
  used: number,
  out: Float64Array,
): { lo: number; hi: number } {
  out.fill(0);
  const last = (c + 1) * used - 1;
  for (let u = c * used; u < last; u++) {
    const w = weights[u];
    const at = features[u] * n;
    for (let i = 0; i < n; i++) out[i] += w * columns[at + i];
  }
  // The last feature's pass also finds the range.
  const w = weights[last];
  const at = features[last] * n;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = out[i] + w * columns[at + i];
    out[i] = v;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return { lo, hi };
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
  const x = (v - edges[from]) * toBin;
  let g: number;
  if (!(x > 0)) g = 0;
  else if (x >= last) g = last;
  else {
    g = x | 0; // the ceiling, by truncation of a positive value
    if (g < x) g++;
  }
  while (g > 0 && edges[from + g - 1] >= v) g--;
  while (g < last && edges[from + g] < v) g++;
  return g;
}

/**
 * NumPy's `histogram(values, bins)`: equal-width bins over [min, max] with edges from
 * `linspace` (edge i = min + i·step, the last exactly max); a value v counts in the bin with
 * edge_b <= v < edge_b+1, the last bin also taking max. A constant input spreads over
 * [v − 0.5, v + 0.5]. `binOf`, if given, receives each value's bin.
 */
export function histogram(
  values: Float64Array,
  bins: number,
  binOf?: Int32Array,
): { counts: Float64Array; edges: Float64Array } {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return histogramOfRange(values, bins, lo, hi, binOf);
}

/** `histogram` when the values' min and max are already known. */
function histogramOfRange(
  values: Float64Array,
  bins: number,
  min: number,
  max: number,
  binOf?: Int32Array,
): { counts: Float64Array; edges: Float64Array } {
  let lo = min;
  let hi = max;
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
    // (v − lo)·toBin is in [0, bins]: truncation is the floor.
    let b = ((v - lo) * toBin) | 0;
    if (b >= bins) b = bins - 1;
    if (v < edges[b]) b--;
    else if (b < bins - 1 && v >= edges[b + 1]) b++;
    counts[b]++;
    if (binOf !== undefined) binOf[i] = b;
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
