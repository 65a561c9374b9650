/**
 * Isolation Forest (Liu, Ting & Zhou 2008), with scikit-learn's tree semantics as PyOD uses them.
 *
 * Each tree grows on `maxSamples` rows drawn without replacement, splitting a node on a random
 * non-constant feature at a threshold uniform in its range (x <= threshold goes left), up to
 * depth ceil(log2(maxSamples)). A row's path length in a tree is its leaf's depth plus c(size of
 * the leaf), the expected path length of an unbuilt subtree; the score is
 * 2^(−mean path length / c(maxSamples)), in (0, 1], higher = more anomalous. PyOD's
 * decision_function is this score shifted by a constant, so ranks and ROC AUC are the same.
 */
import { z } from "zod";
import { baseParams, defineDetector, f64, i32 } from "./contract.js";
import { Random } from "../core/random.js";
import type { Matrix } from "../core/matrix.js";
import { ParamError } from "../core/errors.js";

const EULER_GAMMA = 0.5772156649015329;
/** scikit-learn's FEATURE_THRESHOLD: a feature whose range in a node is below this is constant. */
const CONSTANT_RANGE = 1e-7;

export const iforestParams = baseParams.extend({
  nEstimators: z
    .int()
    .min(1)
    .default(100)
    .describe("Number of isolation trees (Liu et al. 2008: 100)."),
  maxSamples: z
    .union([z.literal("auto"), z.number().positive()])
    .default("auto")
    .describe(
      'Rows drawn to grow each tree: "auto" = min(256, rows) (Liu et al. 2008), a fraction in (0, 1], or a count.',
    ),
  maxFeatures: z
    .number()
    .positive()
    .default(1)
    .describe("Features each tree may split on: a fraction in (0, 1] or a count."),
  bootstrap: z.boolean().default(false).describe("Draw each tree's rows with replacement."),
  seed: z.int().default(0).describe("Random seed: same seed, same trees, same scores."),
});

interface ForestState {
  /** Start of each tree's nodes in the node arrays, plus the total at the end. */
  readonly treeStart: Int32Array;
  /** Split feature per node, −1 at a leaf. */
  readonly feature: Int32Array;
  readonly threshold: Float64Array;
  /** Index of the left child (the right child is the next node); unused at leaves. */
  readonly left: Int32Array;
  /** At a leaf: depth + c(leaf size). */
  readonly pathLength: Float64Array;
  /** c(maxSamples), the normaliser of the mean path length. */
  readonly normaliser: Float64Array;
}

/** Average path length of an unsuccessful BST search among n points (Liu et al. 2008, eq. 1). */
export function averagePathLength(n: number): number {
  if (n <= 1) return 0;
  if (n === 2) return 1;
  return 2 * (Math.log(n - 1) + EULER_GAMMA) - (2 * (n - 1)) / n;
}

export const iforest = defineDetector({
  name: "iforest",
  summary:
    "Isolation Forest: rows isolated by few random splits are anomalous (fast, global outliers).",
  reference: "Liu, Ting & Zhou 2008; scikit-learn IsolationForest as wrapped by PyOD IForest",
  deterministic: false,
  params: iforestParams,
  state: z.object({
    treeStart: i32,
    feature: i32,
    threshold: f64,
    left: i32,
    pathLength: f64,
    normaliser: f64,
  }),
  checkState(s: ForestState, d: number) {
    const nodes = s.feature.length;
    if (s.threshold.length !== nodes || s.left.length !== nodes || s.pathLength.length !== nodes) {
      return "node arrays differ in length";
    }
    if (s.treeStart.length < 2 || s.treeStart[s.treeStart.length - 1] !== nodes)
      return "tree offsets are inconsistent";
    for (let k = 0; k < nodes; k++) {
      const f = s.feature[k];
      if (f >= d || f < -1) return `node ${k} splits on feature ${f} of ${d}`;
      if (f >= 0 && !(s.left[k] > k && s.left[k] + 1 < nodes))
        return `node ${k} has a bad child index`;
    }
    if (s.normaliser.length !== 1) return "normaliser missing";
    return undefined;
  },
  fit(X, p) {
    const state = growForest(X, p);
    return { state, trainingScores: scoreForest(state, X) };
  },
  score(state, X) {
    return scoreForest(state, X);
  },
});

type IforestParams = z.output<typeof iforestParams>;

function resolveCount(value: number | "auto", n: number, what: string, auto: number): number {
  if (value === "auto") return auto;
  if (value <= 1 && !Number.isInteger(value)) return Math.max(1, Math.floor(value * n));
  if (value === 1) return 1;
  if (!Number.isInteger(value))
    throw new ParamError(`iforest: ${what} must be a fraction in (0, 1] or a whole count`);
  return Math.min(value, n);
}

function growForest(X: Matrix, p: IforestParams): ForestState {
  const { rows: n, cols: d, data } = X;
  const psi = resolveCount(p.maxSamples, n, "maxSamples", Math.min(256, n));
  const nFeatures = p.maxFeatures === 1 ? d : resolveCount(p.maxFeatures, d, "maxFeatures", d);
  const maxDepth = Math.ceil(Math.log2(Math.max(psi, 2)));
  const maxNodes = 2 * psi - 1;
  const rng = new Random(p.seed);

  const trees: {
    feature: Int32Array;
    threshold: Float64Array;
    left: Int32Array;
    pathLength: Float64Array;
  }[] = [];
  const samples = new Int32Array(psi);
  const stackStart = new Int32Array(maxNodes);
  const stackEnd = new Int32Array(maxNodes);
  const stackDepth = new Int32Array(maxNodes);
  const stackNode = new Int32Array(maxNodes);
  const allFeatures = new Int32Array(d);
  for (let j = 0; j < d; j++) allFeatures[j] = j;
  const candidates = new Int32Array(d);

  for (let t = 0; t < p.nEstimators; t++) {
    const treeRng = rng.fork();
    if (p.bootstrap) for (let k = 0; k < psi; k++) samples[k] = treeRng.int(n);
    else samples.set(treeRng.sample(n, psi));
    const treeFeatures = nFeatures === d ? allFeatures : treeRng.sample(d, nFeatures);

    const feature = new Int32Array(maxNodes).fill(-1);
    const threshold = new Float64Array(maxNodes);
    const left = new Int32Array(maxNodes);
    const pathLength = new Float64Array(maxNodes);
    let nodeCount = 1;
    stackStart[0] = 0;
    stackEnd[0] = psi;
    stackDepth[0] = 0;
    stackNode[0] = 0;
    let top = 1;
    while (top > 0) {
      top--;
      const start = stackStart[top];
      const end = stackEnd[top];
      const depth = stackDepth[top];
      const node = stackNode[top];
      const size = end - start;
      let split = -1;
      let lo = 0;
      let hi = 0;
      if (depth < maxDepth && size > 1) {
        // Draw features until one is not constant in this node (scikit-learn's random splitter).
        candidates.set(treeFeatures);
        let remaining = treeFeatures.length;
        while (remaining > 0) {
          const r = treeRng.int(remaining);
          const f = candidates[r];
          lo = Infinity;
          hi = -Infinity;
          for (let k = start; k < end; k++) {
            const v = data[samples[k] * d + f];
            if (v < lo) lo = v;
            if (v > hi) hi = v;
          }
          if (hi > lo + CONSTANT_RANGE) {
            split = f;
            break;
          }
          candidates[r] = candidates[remaining - 1];
          candidates[remaining - 1] = f;
          remaining--;
        }
      }
      if (split < 0) {
        pathLength[node] = depth + averagePathLength(size);
        continue;
      }
      let thr = treeRng.uniform(lo, hi);
      if (thr >= hi) thr = lo;
      // Partition samples[start, end): x <= thr to the front.
      let i = start;
      let j = end - 1;
      while (i <= j) {
        if (data[samples[i] * d + split] <= thr) i++;
        else {
          const tmp = samples[i];
          samples[i] = samples[j];
          samples[j] = tmp;
          j--;
        }
      }
      const leftChild = nodeCount;
      nodeCount += 2;
      feature[node] = split;
      threshold[node] = thr;
      left[node] = leftChild;
      stackStart[top] = i;
      stackEnd[top] = end;
      stackDepth[top] = depth + 1;
      stackNode[top] = leftChild + 1;
      top++;
      stackStart[top] = start;
      stackEnd[top] = i;
      stackDepth[top] = depth + 1;
      stackNode[top] = leftChild;
      top++;
    }
    trees.push({
      feature: feature.slice(0, nodeCount),
      threshold: threshold.slice(0, nodeCount),
      left: left.slice(0, nodeCount),
      pathLength: pathLength.slice(0, nodeCount),
    });
  }

  const treeStart = new Int32Array(trees.length + 1);
  for (let t = 0; t < trees.length; t++) treeStart[t + 1] = treeStart[t] + trees[t].feature.length;
  const total = treeStart[trees.length];
  const state = {
    treeStart,
    feature: new Int32Array(total),
    threshold: new Float64Array(total),
    left: new Int32Array(total),
    pathLength: new Float64Array(total),
    normaliser: Float64Array.of(averagePathLength(psi)),
  };
  trees.forEach((tree, t) => {
    const offset = treeStart[t];
    state.feature.set(tree.feature, offset);
    state.threshold.set(tree.threshold, offset);
    for (let k = 0; k < tree.left.length; k++) state.left[offset + k] = tree.left[k] + offset;
    state.pathLength.set(tree.pathLength, offset);
  });
  return state;
}

function scoreForest(s: ForestState, X: Matrix): Float64Array {
  const { rows: n, cols: d, data } = X;
  const nTrees = s.treeStart.length - 1;
  const total = new Float64Array(n);
  const { feature, threshold, left, pathLength } = s;
  // Tree-major: one tree's nodes stay in cache while all rows pass through it.
  for (let t = 0; t < nTrees; t++) {
    const root = s.treeStart[t];
    for (let i = 0; i < n; i++) {
      const base = i * d;
      let node = root;
      let f = feature[node];
      while (f >= 0) {
        node = data[base + f] <= threshold[node] ? left[node] : left[node] + 1;
        f = feature[node];
      }
      total[i] += pathLength[node];
    }
  }
  const c = s.normaliser[0];
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    // ψ = 1 gives c = 0; scikit-learn then uses exponent 1 (score 0.5).
    out[i] = c > 0 ? Math.pow(2, -total[i] / nTrees / c) : 0.5;
  }
  return out;
}
