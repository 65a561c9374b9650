/**
 * Angle-Based Outlier Detection (Kriegel, Schubert & Zimek 2008), fast variant, as PyOD's
 * ABOD(method="fast"): a row c looks at its k nearest training rows; for every pair (a, b) of
 * them it takes the weighted cosine ⟨a − c, b − c⟩ / (‖a − c‖² ‖b − c‖²), and the score is minus
 * the population variance of these values. A point inside the data sees its neighbours in all
 * directions (widely spread angles); an outlier sees them in a narrow cone (low variance).
 *
 * PyOD's details, kept: the neighbour query of a training row includes the row itself (it asks
 * the fitted index for the neighbours of the training rows *as new rows*), so a training row
 * uses k − 1 other rows plus itself; any pair member equal to c (itself, or a duplicate of it)
 * forms no angle and the pair is skipped. k is capped at training rows − 1, for new rows too.
 * Where no pair is left (every neighbour duplicates c, or fewer than two neighbours), PyOD's
 * variance of an empty list is NaN; ours is 0, the score PyOD's evaluation gives NaN (and the
 * score of a single angle, whose variance is 0), so rankings agree and every score is finite.
 */
import { z } from "zod";
import { baseParams, defineDetector, f64 } from "./contract.js";
import { matrix, type Matrix } from "../core/matrix.js";
import { kNearest, neighbourSearchMinRows } from "../core/neighbors.js";

export const abodParams = baseParams.extend({
  nNeighbors: z
    .int()
    .min(1)
    .default(5)
    .describe(
      "Neighbours per row, k, the row itself included for training rows (PyOD: n_neighbors; capped at training rows − 1).",
    ),
});

interface AbodState {
  /** The training rows (row-major): the neighbours every query draws its angles from. */
  readonly train: Float64Array;
}

/** Reusable buffers for the angle variance of one query. */
interface Scratch {
  /** Differences a − c of the usable neighbours, one row each. */
  readonly diffs: Float64Array;
  /** Their squared norms. */
  readonly norms: Float64Array;
  /** The weighted cosines of one query's pairs. */
  readonly cosines: Float64Array;
}

function scratch(k: number, d: number): Scratch {
  return {
    diffs: new Float64Array(k * d),
    norms: new Float64Array(k),
    cosines: new Float64Array((k * (k - 1)) / 2),
  };
}

/**
 * Minus the variance of the weighted cosines of the query at Q[qBase..] against its neighbours
 * `indices[from..from+k)` among the training rows.
 */
function angleScore(
  Q: Float64Array,
  qBase: number,
  train: Float64Array,
  indices: Int32Array,
  from: number,
  k: number,
  d: number,
  s: Scratch,
): number {
  const { diffs, norms, cosines } = s;
  // Neighbours equal to the query form no angle with it: drop them before pairing.
  let usable = 0;
  for (let c = 0; c < k; c++) {
    const rBase = indices[from + c] * d;
    const out = usable * d;
    let sum = 0;
    let same = true;
    for (let j = 0; j < d; j++) {
      const e = train[rBase + j] - Q[qBase + j];
      diffs[out + j] = e;
      sum += e * e;
      if (e !== 0) same = false;
    }
    if (same) continue;
    // PyOD squares the Euclidean norm, √s²: kept so rounding follows it as closely as cheaply.
    const norm = Math.sqrt(sum);
    norms[usable++] = norm * norm;
  }
  let count = 0;
  for (let a = 0; a < usable; a++) {
    for (let b = a + 1; b < usable; b++) {
      let dot = 0;
      for (let j = 0; j < d; j++) dot += diffs[a * d + j] * diffs[b * d + j];
      cosines[count++] = dot / norms[a] / norms[b];
    }
  }
  if (count === 0) return 0;
  let mean = 0;
  for (let i = 0; i < count; i++) mean += cosines[i];
  mean /= count;
  let variance = 0;
  for (let i = 0; i < count; i++) {
    const e = cosines[i] - mean;
    variance += e * e;
  }
  return 0 - variance / count; // +0, not −0, for a variance of 0
}

/** Angle scores of the rows of Q against their k nearest training rows. */
function angleScores(train: Matrix, Q: Matrix, k: number): Float64Array {
  const nn = kNearest(train, k, Q);
  const out = new Float64Array(Q.rows);
  const s = scratch(k, Q.cols);
  for (let i = 0; i < Q.rows; i++) {
    out[i] = angleScore(Q.data, i * Q.cols, train.data, nn.indices, i * k, k, Q.cols, s);
  }
  return out;
}

export const abod = defineDetector({
  name: "abod",
  summary: "Angle-Based Outlier Detection (fast): low variance of angles to the nearest rows.",
  reference: "Kriegel, Schubert & Zimek 2008; PyOD ABOD (method='fast')",
  deterministic: true,
  parallelMinRows: neighbourSearchMinRows,
  costlyScore: true,
  params: abodParams,
  state: z.object({ train: f64 }),
  checkState(s: AbodState, d: number) {
    return s.train.length % d === 0 && s.train.length > 0
      ? undefined
      : "training rows are truncated";
  },
  fit(X) {
    // PyOD queries the training rows as new rows (each is among its own k neighbours), so the
    // training scores are score(state, X), which the model layer computes (on every core for
    // large inputs). A single row has no neighbours (PyOD refuses to fit it) and scores 0.
    const state: AbodState = { train: X.data.slice() };
    return { state };
  },
  score(state, X, p) {
    const n = state.train.length / X.cols;
    if (n < 2) return new Float64Array(X.rows);
    return angleScores(matrix(n, X.cols, state.train), X, Math.min(p.nNeighbors, n - 1));
  },
});
