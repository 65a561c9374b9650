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

export interface ForestState {
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
    // Training scores are the training rows scored by the forest: left to the model layer.
    return { state: growForest(X, p) };
  },
  score(state, X) {
    return scoreForest(state, X);
  },
});

export type IforestParams = z.output<typeof iforestParams>;

function resolveCount(value: number | "auto", n: number, what: string, auto: number): number {
  if (value === "auto") return auto;
  // JavaScript cannot tell 1 from 1.0: values up to 1 are fractions (1 = every row), as the
  // param's description says.
  if (value <= 1) return Math.max(1, Math.floor(value * n));
  if (!Number.isInteger(value))
    throw new ParamError(`iforest: ${what} must be a fraction in (0, 1] or a whole count`);
  return Math.min(value, n);
}

export function growForest(X: Matrix, p: IforestParams): ForestState {
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

/** Rows per block: a block's features (block × d doubles) stay in cache while every tree runs. */
const BLOCK = 1024;

/**
 * Scores rows tree by tree over blocks of rows. Traversal is branch-free and runs eight rows in
 * lockstep: leaves are made to loop onto themselves (threshold +∞, left child = itself), so
 * every row takes exactly the tree's depth in steps and the eight dependent chains of loads
 * overlap instead of waiting on each other.
 */
function scoreForest(s: ForestState, X: Matrix): Float64Array {
  const { rows: n, cols: d, data } = X;
  const nTrees = s.treeStart.length - 1;
  const nodes = s.feature.length;
  const feature = new Int32Array(nodes);
  const threshold = new Float64Array(nodes);
  const next = new Int32Array(nodes);
  const depthOf = new Int32Array(nodes);
  const treeDepth = new Int32Array(nTrees);
  for (let t = 0; t < nTrees; t++) {
    let deepest = 0;
    for (let k = s.treeStart[t]; k < s.treeStart[t + 1]; k++) {
      if (s.feature[k] >= 0) {
        feature[k] = s.feature[k];
        threshold[k] = s.threshold[k];
        next[k] = s.left[k];
        depthOf[s.left[k]] = depthOf[k] + 1;
        depthOf[s.left[k] + 1] = depthOf[k] + 1;
      } else {
        feature[k] = 0;
        threshold[k] = Infinity;
        next[k] = k;
        if (depthOf[k] > deepest) deepest = depthOf[k];
      }
    }
    treeDepth[t] = deepest;
  }
  const pathLength = s.pathLength;
  const total = new Float64Array(n);
  for (let start = 0; start < n; start += BLOCK) {
    const end = Math.min(n, start + BLOCK);
    const end8 = start + ((end - start) & ~7);
    for (let t = 0; t < nTrees; t++) {
      const root = s.treeStart[t];
      const depth = treeDepth[t];
      let i = start;
      for (; i < end8; i += 8) {
        const b0 = i * d;
        const b1 = b0 + d;
        const b2 = b1 + d;
        const b3 = b2 + d;
        const b4 = b3 + d;
        const b5 = b4 + d;
        const b6 = b5 + d;
        const b7 = b6 + d;
        let a0 = root;
        let a1 = root;
        let a2 = root;
        let a3 = root;
        let a4 = root;
        let a5 = root;
        let a6 = root;
        let a7 = root;
        for (let k = 0; k < depth; k++) {
          a0 = next[a0] + ((data[b0 + feature[a0]] > threshold[a0]) as unknown as number);
          a1 = next[a1] + ((data[b1 + feature[a1]] > threshold[a1]) as unknown as number);
          a2 = next[a2] + ((data[b2 + feature[a2]] > threshold[a2]) as unknown as number);
          a3 = next[a3] + ((data[b3 + feature[a3]] > threshold[a3]) as unknown as number);
          a4 = next[a4] + ((data[b4 + feature[a4]] > threshold[a4]) as unknown as number);
          a5 = next[a5] + ((data[b5 + feature[a5]] > threshold[a5]) as unknown as number);
          a6 = next[a6] + ((data[b6 + feature[a6]] > threshold[a6]) as unknown as number);
          a7 = next[a7] + ((data[b7 + feature[a7]] > threshold[a7]) as unknown as number);
        }
        total[i] += pathLength[a0];
        total[i + 1] += pathLength[a1];
        total[i + 2] += pathLength[a2];
        total[i + 3] += pathLength[a3];
        total[i + 4] += pathLength[a4];
        total[i + 5] += pathLength[a5];
        total[i + 6] += pathLength[a6];
        total[i + 7] += pathLength[a7];
      }
      for (; i < end; i++) {
        const base = i * d;
        let a = root;
        for (let k = 0; k < depth; k++)
          a = next[a] + ((data[base + feature[a]] > threshold[a]) as unknown as number);
        total[i] += pathLength[a];
      }
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
