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
import { lodaSession } from "../core/wasm.js";

/** Rows scored per pass (bounds the kernel's column-major copy: 64k rows × d doubles). */
const SCORE_CHUNK_ROWS = 65_536;

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
    const maxBins = p.nBins === "auto" ? Math.max(1, Math.floor(Math.sqrt(n))) : p.nBins;
    const session = lodaSession(X.data, n, d, features, weights, used, maxBins);
    const weight = 1 / cuts;
    for (let c = 0; c < cuts; c++) {
      let { lo, hi } = session.project(c);
      const bins = p.nBins === "auto" ? birgeRozenholcBins(session.projected()) : p.nBins;
      if (lo === hi) {
        lo -= 0.5;
        hi += 0.5;
      }
      const { counts, edges } = session.histogram(lo, hi, bins);
      let total = 0;
      for (let b = 0; b < bins; b++) total += counts[b] + 1e-12;
      const surprisal = new Float64Array(bins);
      for (let b = 0; b < bins; b++) surprisal[b] = -Math.log((counts[b] + 1e-12) / total);
      session.addSurprisal(edges, surprisal, weight, true);
      binStart[c + 1] = binStart[c] + bins;
      edgeParts.push(edges);
      surprisalParts.push(surprisal);
    }
    const trainingScores = session.finish();
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
    let maxBins = 1;
    for (let c = 0; c < cuts; c++)
      maxBins = Math.max(maxBins, state.binStart[c + 1] - state.binStart[c]);
    const out = new Float64Array(n);
    // Rows in chunks, so the column-major copy stays small; a row's score is its own.
    for (let start = 0; start < n; start += SCORE_CHUNK_ROWS) {
      const rows = Math.min(SCORE_CHUNK_ROWS, n - start);
      const chunk = X.data.subarray(start * d, (start + rows) * d);
      const session = lodaSession(chunk, rows, d, state.features, state.weights, used, maxBins);
      for (let c = 0; c < cuts; c++) {
        session.project(c);
        const first = state.binStart[c];
        const last = state.binStart[c + 1];
        session.addSurprisal(
          state.edges.subarray(first + c, last + c + 1),
          state.surprisal.subarray(first, last),
          1 / cuts,
          false,
        );
      }
      out.set(session.finish(), start);
    }
    for (let i = 0; i < n; i++) out[i] /= cuts;
    return out;
  },
});

/**
 * NumPy's `histogram(values, bins)`: equal-width bins over [min, max] with edges from
 * `linspace` (edge i = min + i·step, the last exactly max); a value v counts in the bin with
 * edge_b <= v < edge_b+1, the last bin also taking max. A constant input spreads over
 * [v − 0.5, v + 0.5]. `binOf`, if given, receives each value's bin.
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
    // (v − lo)·toBin is in [0, bins]: truncation is the floor.
    let b = ((v - lo) * toBin) | 0;
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
