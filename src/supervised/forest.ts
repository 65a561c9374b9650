/**
 * Random forest classifier (Breiman 2001) with scikit-learn RandomForestClassifier's defaults:
 * 100 trees, each on a bootstrap sample of the rows, splits by Gini impurity over √d features
 * drawn afresh at each node (more are tried if none of those splits the node), grown until leaves
 * are pure; a row's probability is the mean over trees of its leaf's share of class 1.
 *
 * One difference, for speed: a split's threshold is chosen among at most 255 quantile cut points
 * per feature (computed once on the training rows), as histogram-based tree learners do, rather
 * than between every pair of distinct values.
 */
import { z } from "zod";
import { defineClassifier } from "./classifier.js";
import { Random } from "../core/random.js";
import type { Matrix } from "../core/matrix.js";

const MAX_CUTS = 255;

export const forestParams = z.object({
  nEstimators: z.int().min(1).default(100).describe("Number of trees."),
  maxFeatures: z
    .union([z.literal("sqrt"), z.int().min(1)])
    .default("sqrt")
    .describe('Features drawn at each split: "sqrt" = ⌈√d⌉ or a count.'),
  maxDepth: z.int().min(1).nullable().default(null).describe("Deepest level; null = no limit."),
  minSamplesSplit: z.int().min(2).default(2).describe("Fewest rows a node needs to split."),
  seed: z.int().default(0).describe("Random seed: bootstrap samples and feature draws."),
});

type ForestParams = z.output<typeof forestParams>;

interface ForestState {
  readonly treeStart: Int32Array;
  /** Split feature per node, −1 at a leaf. */
  readonly feature: Int32Array;
  /** x ≤ threshold goes left (the left child is `left`, the right one `left + 1`). */
  readonly threshold: Float64Array;
  readonly left: Int32Array;
  /** At a leaf: its share of class 1. */
  readonly value: Float64Array;
}

export const forest = defineClassifier({
  name: "forest",
  summary: "Random forest of Gini trees (scikit-learn defaults, histogram split points).",
  reference: "Breiman 2001; scikit-learn RandomForestClassifier defaults",
  params: forestParams,
  fit(X, y, p) {
    return growForest(X, y, p);
  },
  predictProba(s: ForestState, X) {
    const { rows: n, cols: d, data } = X;
    const trees = s.treeStart.length - 1;
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let sum = 0;
      for (let t = 0; t < trees; t++) {
        let node = s.treeStart[t];
        while (s.feature[node] >= 0)
          node =
            data[i * d + s.feature[node]] <= s.threshold[node] ? s.left[node] : s.left[node] + 1;
        sum += s.value[node];
      }
      out[i] = sum / trees;
    }
    return out;
  },
});

/** Per feature, the cut points (ascending) and each row's bin: the number of cuts below it. */
function binFeatures(X: Matrix): { cuts: Float64Array[]; codes: Uint8Array } {
  const { rows: n, cols: d, data } = X;
  const codes = new Uint8Array(n * d);
  const cuts: Float64Array[] = [];
  const column = new Float64Array(n);
  for (let j = 0; j < d; j++) {
    for (let i = 0; i < n; i++) column[i] = data[i * d + j];
    const sorted = column.slice().sort();
    const distinct: number[] = [];
    for (let i = 0; i < n; i++)
      if (i === 0 || sorted[i] !== sorted[i - 1]) distinct.push(sorted[i]);
    let c: number[];
    if (distinct.length - 1 <= MAX_CUTS) {
      // Midpoints between neighbouring distinct values: exact CART thresholds.
      c = [];
      for (let k = 0; k + 1 < distinct.length; k++) c.push((distinct[k] + distinct[k + 1]) / 2);
    } else {
      const set = new Set<number>();
      for (let k = 1; k <= MAX_CUTS; k++) {
        const v = sorted[Math.min(n - 1, Math.floor((k * n) / (MAX_CUTS + 1)))];
        if (v < sorted[n - 1]) set.add(v);
      }
      c = [...set].sort((a, b) => a - b);
    }
    const cj = Float64Array.from(c);
    cuts.push(cj);
    for (let i = 0; i < n; i++) {
      // Binary search: number of cuts strictly below the value (x ≤ cut[b] ⟺ code ≤ b).
      const v = column[i];
      let lo = 0;
      let hi = cj.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cj[mid] < v) lo = mid + 1;
        else hi = mid;
      }
      codes[i * d + j] = lo;
    }
  }
  return { cuts, codes };
}

function growForest(X: Matrix, y: Uint8Array, p: ForestParams): ForestState {
  const { rows: n, cols: d } = X;
  const { cuts, codes } = binFeatures(X);
  const mtry =
    p.maxFeatures === "sqrt" ? Math.max(1, Math.ceil(Math.sqrt(d))) : Math.min(d, p.maxFeatures);
  const maxDepth = p.maxDepth ?? Infinity;
  const rng = new Random(p.seed);
  const feature: number[] = [];
  const threshold: number[] = [];
  const left: number[] = [];
  const value: number[] = [];
  const treeStart = new Int32Array(p.nEstimators + 1);
  const rows = new Int32Array(n);
  const features = Int32Array.from({ length: d }, (_, j) => j);
  const histTotal = new Float64Array(MAX_CUTS + 1);
  const histPos = new Float64Array(MAX_CUTS + 1);
  const stack: number[] = [];
  for (let t = 0; t < p.nEstimators; t++) {
    const treeRng = rng.fork();
    for (let k = 0; k < n; k++) rows[k] = treeRng.int(n);
    const root = feature.length;
    treeStart[t] = root;
    feature.push(-1);
    threshold.push(0);
    left.push(0);
    value.push(0);
    stack.push(root, 0, n, 0);
    while (stack.length > 0) {
      const depth = stack.pop()!;
      const end = stack.pop()!;
      const start = stack.pop()!;
      const node = stack.pop()!;
      const size = end - start;
      let pos = 0;
      for (let k = start; k < end; k++) pos += y[rows[k]];
      value[node] = pos / size;
      if (pos === 0 || pos === size || size < p.minSamplesSplit || depth >= maxDepth) continue;
      let bestScore = size - (pos * pos + (size - pos) * (size - pos)) / size - 1e-12;
      let bestFeature = -1;
      let bestBin = -1;
      // Draw features without replacement; past mtry, only until some split is found.
      let remaining = d;
      let tried = 0;
      while (remaining > 0 && (tried < mtry || bestFeature < 0)) {
        const r = treeRng.int(remaining);
        const f = features[r];
        features[r] = features[remaining - 1];
        features[remaining - 1] = f;
        remaining--;
        tried++;
        const nCuts = cuts[f].length;
        if (nCuts === 0) continue;
        histTotal.fill(0, 0, nCuts + 1);
        histPos.fill(0, 0, nCuts + 1);
        for (let k = start; k < end; k++) {
          const i = rows[k];
          const b = codes[i * d + f];
          histTotal[b]++;
          histPos[b] += y[i];
        }
        let nL = 0;
        let pL = 0;
        for (let b = 0; b < nCuts; b++) {
          nL += histTotal[b];
          pL += histPos[b];
          if (nL === 0) continue;
          const nR = size - nL;
          if (nR === 0) break;
          const pR = pos - pL;
          // n·Gini summed over both sides: n − (p² + (n − p)²)/n each.
          const score =
            nL -
            (pL * pL + (nL - pL) * (nL - pL)) / nL +
            nR -
            (pR * pR + (nR - pR) * (nR - pR)) / nR;
          if (score < bestScore) {
            bestScore = score;
            bestFeature = f;
            bestBin = b;
          }
        }
      }
      if (bestFeature < 0) continue;
      // Partition rows[start, end): bin ≤ bestBin to the front.
      let i = start;
      let j = end - 1;
      while (i <= j) {
        if (codes[rows[i] * d + bestFeature] <= bestBin) i++;
        else {
          const tmp = rows[i];
          rows[i] = rows[j];
          rows[j] = tmp;
          j--;
        }
      }
      const child = feature.length;
      feature[node] = bestFeature;
      threshold[node] = cuts[bestFeature][bestBin];
      left[node] = child;
      for (let c = 0; c < 2; c++) {
        feature.push(-1);
        threshold.push(0);
        left.push(0);
        value.push(0);
      }
      stack.push(child, start, i, depth + 1);
      stack.push(child + 1, i, end, depth + 1);
    }
  }
  treeStart[p.nEstimators] = feature.length;
  return {
    treeStart,
    feature: Int32Array.from(feature),
    threshold: Float64Array.from(threshold),
    left: Int32Array.from(left),
    value: Float64Array.from(value),
  };
}
