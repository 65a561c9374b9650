/**
 * Consensus of a panel: votes summed into a rank, scores combined four ways, and how much the
 * detectors agree.
 *
 * Every combination works on rank-normalised scores (average rank / rows, src/ensemble/combine.ts)
 * rather than PyOD's z-scores, so one heavy-tailed detector cannot dominate a maximum and the
 * four combined scores share one scale, (0, 1]. AOM and MOA (Aggarwal & Sathe 2015) split the
 * detectors into buckets with a seeded shuffle: AOM = mean over buckets of each bucket's
 * maximum, MOA = maximum over buckets of each bucket's mean.
 */
import { Random } from "../core/random.js";
import { rankNormalise, voteRank } from "../ensemble/combine.js";

export interface Consensus {
  /** Votes per row (number of detectors flagging it). */
  readonly rank: Int32Array;
  /** Mean of rank-normalised scores: the hunt's `score`. */
  readonly mean: Float64Array;
  readonly max: Float64Array;
  readonly aom: Float64Array;
  readonly moa: Float64Array;
  /** agreement.votes[a][b]: Pearson correlation of detectors a and b's 0/1 votes (null if one is constant). */
  readonly agreement: {
    readonly votes: (number | null)[][];
    /** Spearman correlation of the scores (Pearson of average ranks). */
    readonly scores: (number | null)[][];
  };
  /** The AOM/MOA buckets, as indices into the detector list. */
  readonly buckets: number[][];
}

export interface ConsensusOptions {
  /** Buckets for AOM and MOA (PyOD's default is 5); capped at the number of detectors. */
  readonly buckets?: number;
  readonly seed?: number;
}

export function consensus(
  votes: readonly Uint8Array[],
  scores: readonly Float64Array[],
  rows: number,
  options: ConsensusOptions = {},
): Consensus {
  const k = scores.length;
  const normalised = scores.map((s) => rankNormalise(s));
  const rank = voteRank(votes, rows);
  const mean = new Float64Array(rows);
  const max = new Float64Array(rows);
  for (const s of normalised) {
    for (let i = 0; i < rows; i++) {
      mean[i] += s[i];
      if (s[i] > max[i]) max[i] = s[i];
    }
  }
  for (let i = 0; i < rows; i++) mean[i] /= k;

  const buckets = makeBuckets(k, options.buckets ?? 5, options.seed ?? 0);
  const aom = new Float64Array(rows);
  const moa = new Float64Array(rows);
  const bucketMax = new Float64Array(rows);
  const bucketMean = new Float64Array(rows);
  for (const bucket of buckets) {
    bucketMax.fill(0);
    bucketMean.fill(0);
    for (const d of bucket) {
      const s = normalised[d];
      for (let i = 0; i < rows; i++) {
        bucketMean[i] += s[i];
        if (s[i] > bucketMax[i]) bucketMax[i] = s[i];
      }
    }
    for (let i = 0; i < rows; i++) {
      aom[i] += bucketMax[i] / buckets.length;
      const m = bucketMean[i] / bucket.length;
      if (m > moa[i]) moa[i] = m;
    }
  }

  return {
    rank,
    mean,
    max,
    aom,
    moa,
    agreement: {
      votes: correlationMatrix(votes, rows),
      scores: correlationMatrix(normalised, rows),
    },
    buckets,
  };
}

/** k detectors shuffled (seeded) and dealt into min(b, k) buckets whose sizes differ by at most one. */
export function makeBuckets(k: number, b: number, seed: number): number[][] {
  const order = Array.from({ length: k }, (_, i) => i);
  const rng = new Random(seed);
  for (let i = k - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  const count = Math.max(1, Math.min(b, k));
  const buckets: number[][] = Array.from({ length: count }, () => []);
  order.forEach((d, i) => buckets[i % count].push(d));
  return buckets.filter((bucket) => bucket.length > 0);
}

/** Pearson correlations of every pair of series; null where a series is constant. */
export function correlationMatrix(
  series: readonly (Uint8Array | Float64Array)[],
  rows: number,
): (number | null)[][] {
  const k = series.length;
  const means = series.map((s) => {
    let sum = 0;
    for (let i = 0; i < rows; i++) sum += s[i];
    return sum / rows;
  });
  const norms = series.map((s, a) => {
    let ss = 0;
    for (let i = 0; i < rows; i++) ss += (s[i] - means[a]) ** 2;
    return Math.sqrt(ss);
  });
  const out: (number | null)[][] = Array.from({ length: k }, () => new Array(k).fill(null));
  for (let a = 0; a < k; a++) {
    for (let b = a; b < k; b++) {
      if (norms[a] === 0 || norms[b] === 0) continue;
      const sa = series[a];
      const sb = series[b];
      let dot = 0;
      for (let i = 0; i < rows; i++) dot += (sa[i] - means[a]) * (sb[i] - means[b]);
      const r = Math.max(-1, Math.min(1, dot / (norms[a] * norms[b])));
      out[a][b] = r;
      out[b][a] = r;
    }
  }
  return out;
}
