/**
 * Deep Isolation Forest (Xu, Pang, Wang & Shen 2023), with PyOD's DIF defaults and scoring
 * (pyod/models/dif.py).
 *
 * Features are min–max scaled with the training range. Each of `nEnsemble` members draws a
 * random, untrained network d → 500 → 100 → 20 (tanh, no biases, N(0, 1) weights), maps the rows
 * through it, standardises the 20 outputs and squashes them with tanh, and grows a small
 * isolation forest (`nEstimators` trees of `maxSamples` rows, core of iforest.ts) on that
 * representation. A row's score in a member is the forest's 2^(−mean path length / c(ψ))
 * times the mean over trees of its "deviation": the average |x_f − threshold| over the splits on
 * its path (PyOD's deviation-enhanced score); the members' scores are averaged.
 *
 * One deliberate difference: PyOD standardises a representation with the mean and standard
 * deviation of whatever batch it is scoring, so a test row's score depends on its batch. Here
 * every batch uses the training representation's mean and deviation, so a row's score is its
 * own; `pyodBatchScore` replays PyOD's way for parity checks only.
 */
import { z } from "zod";
import {
  baseParams,
  defineDetector,
  f64,
  i32,
  pieceRange,
  type FitResult,
  type PieceSource,
} from "./contract.js";
import { activations, initNetwork, predictNetwork, type LayerSpec } from "../core/nn.js";
import { tanhInPlace } from "../core/nn-engine.js";
import { Random } from "../core/random.js";
import { matrix, type Matrix } from "../core/matrix.js";
import { growForest, iforestParams, type ForestState } from "./iforest.js";

export const difParams = baseParams.extend({
  batchSize: z
    .int()
    .min(1)
    .default(1000)
    .describe(
      "PyOD's rows per representation batch; it bounds memory only, and the engine uses its own blocks (same results).",
    ),
  representationDim: z.int().min(1).default(20).describe("Width of each learned representation."),
  hiddenNeurons: z
    .array(z.int().min(1))
    .default([500, 100])
    .describe("Hidden widths of each random representation network."),
  hiddenActivation: z
    .enum(activations)
    .default("tanh")
    .describe("Activation of the hidden layers."),
  nEnsemble: z.int().min(1).default(50).describe("Representation networks (ensemble members)."),
  nEstimators: z.int().min(1).default(6).describe("Isolation trees per representation."),
  maxSamples: z.int().min(2).default(256).describe("Rows drawn to grow each tree."),
  seed: z.int().default(0).describe("Random seed: networks and forests."),
});

type DifParams = z.output<typeof difParams>;

/**
 * The scaler, the networks, and all members' trees as one iforest forest (ForestState), member m
 * owning trees [m·nEstimators, (m + 1)·nEstimators).
 */
interface DifState extends ForestState {
  /** Min–max scaler: per-feature minimum and 1/range (1 where the range is 0, as scikit-learn). */
  readonly featureMin: Float64Array;
  readonly featureScale: Float64Array;
  /** Each member's network parameters, one after another. */
  readonly netParams: Float64Array;
  /** Each member's training-representation mean and standard deviation (members × dim). */
  readonly repMean: Float64Array;
  readonly repScale: Float64Array;
}

function networkLayers(d: number, p: DifParams): LayerSpec[] {
  const widths = [...p.hiddenNeurons, p.representationDim];
  let inputs = d;
  return widths.map((units, k) => {
    const layer: LayerSpec = {
      inputs,
      units,
      activation: k === widths.length - 1 ? "linear" : p.hiddenActivation,
      bias: false,
      batchNorm: false,
      dropout: 0,
    };
    inputs = units;
    return layer;
  });
}

/**
 * From this many rows the pool fits and scores dif: a row costs about a millisecond of network
 * products (50 members of d·500 + 500·100 + 100·20 multiply–adds), and every fit draws the
 * networks' weights (a fixed cost), so even small inputs pay for the workers.
 */
const DIF_PARALLEL_MIN_ROWS = 100;

export const dif = defineDetector({
  name: "dif",
  summary:
    "Deep Isolation Forest: isolation forests on random non-linear representations (non-linear, axis-free).",
  reference: "Xu, Pang, Wang & Shen 2023; PyOD DIF defaults and deviation-enhanced scoring",
  deterministic: false,
  params: difParams,
  state: z.object({
    featureMin: f64,
    featureScale: f64,
    netParams: f64,
    repMean: f64,
    repScale: f64,
    treeStart: i32,
    feature: i32,
    threshold: f64,
    left: i32,
    pathLength: f64,
    normaliser: f64,
  }),
  checkState(s: DifState, d: number) {
    if (s.featureMin.length !== d || s.featureScale.length !== d)
      return "min–max scaler does not match the features";
    for (let k = 0; k < s.feature.length; k++) {
      if (s.feature[k] >= s.repMean.length || s.feature[k] < -1)
        return `node ${k} splits on a missing representation feature`;
    }
    return undefined;
  },
  // Members are independent once their seeds are drawn, so the pool fits them on every core
  // (parallel.ts): on arrhythmia the 50 take about 1.7 s on one thread, a third of it drawing
  // the networks' normal weights, the rest mostly network products.
  parallelMinRows: DIF_PARALLEL_MIN_ROWS,
  costlyScore: true,
  pieces: {
    count: (_X, p) => p.nEnsemble,
    run: (X, p, take) => fitMembers(X, p, take),
    finish: (X, p, results) => joinMembers(X, p, results as Member[]),
  },
  fit(X, p) {
    return joinMembers(X, p, fitMembers(X, p, pieceRange(0, p.nEnsemble)));
  },
  score(state, X, p) {
    return scoreMembers(state, X, p, false);
  },
  pyodBatchScore(state, X, p) {
    return scoreMembers(state, X, p, true);
  },
});

/** One member's fit: its network, its training representation's moments, its forest and scores. */
interface Member {
  readonly netParams: Float64Array;
  readonly mean: Float64Array;
  readonly scale: Float64Array;
  readonly forest: ForestState;
  readonly trainingScores: Float64Array;
}

/**
 * Each member's seeds, drawn from one generator in member order: its network's generator and
 * its forest's seed (a fit on the pool draws the same, whichever members it runs).
 */
function memberSeeds(p: DifParams): { network: Random; forestSeed: number }[] {
  const rng = new Random(p.seed);
  return Array.from({ length: p.nEnsemble }, () => {
    const network = rng.fork();
    return { network, forestSeed: rng.uint32() };
  });
}

/** The members `take` hands out fitted on X, in the order taken. */
function fitMembers(X: Matrix, p: DifParams, take: PieceSource): Member[] {
  const { featureMin, featureScale } = fitMinMax(X);
  const scaled = applyMinMax(X, featureMin, featureScale);
  const layers = networkLayers(X.cols, p);
  const dim = p.representationDim;
  const seeds = memberSeeds(p);
  const members: Member[] = [];
  for (let at = take(); at !== undefined; at = take()) {
    const { network, forestSeed } = seeds[at];
    const net = initNetwork(layers, "normal", network);
    const rep = represent(net.params, layers, scaled, X.rows);
    const { mean, scale } = columnMoments(rep, X.rows, dim);
    squash(rep, mean, scale, dim);
    const R = matrix(X.rows, dim, rep);
    const forest = growForest(
      R,
      iforestParams.parse({
        nEstimators: p.nEstimators,
        maxSamples: Math.min(p.maxSamples, X.rows),
        seed: forestSeed,
      }),
    );
    // The training rows' representation is already at hand: score it here rather than mapping
    // the rows again (the same values score(state, X) gives).
    const trainingScores = deviationScores(forest, 0, p.nEstimators, R);
    members.push({ netParams: net.params, mean, scale, forest, trainingScores });
  }
  return members;
}

/** The fit from every member, in order (training scores averaged in member order). */
function joinMembers(X: Matrix, p: DifParams, members: readonly Member[]): FitResult<DifState> {
  const { featureMin, featureScale } = fitMinMax(X);
  const dim = p.representationDim;
  const perNet = members[0].netParams.length;
  const netParams = new Float64Array(p.nEnsemble * perNet);
  const repMean = new Float64Array(p.nEnsemble * dim);
  const repScale = new Float64Array(p.nEnsemble * dim);
  const trainingScores = new Float64Array(X.rows);
  members.forEach((m, k) => {
    netParams.set(m.netParams, k * perNet);
    repMean.set(m.mean, k * dim);
    repScale.set(m.scale, k * dim);
    for (let i = 0; i < X.rows; i++) trainingScores[i] += m.trainingScores[i] / p.nEnsemble;
  });
  const state: DifState = {
    featureMin,
    featureScale,
    netParams,
    repMean,
    repScale,
    ...joinForests(members.map((m) => m.forest)),
  };
  return { state, trainingScores };
}

/**
 * Average member score of X's rows. With `batchMoments` the representation is standardised with
 * the batch's own mean and deviation (PyOD's decision_function), else with the training ones.
 */
function scoreMembers(state: DifState, X: Matrix, p: DifParams, batchMoments: boolean) {
  const layers = networkLayers(X.cols, p);
  const scaled = applyMinMax(X, state.featureMin, state.featureScale);
  const dim = p.representationDim;
  const perNet = state.netParams.length / p.nEnsemble;
  const out = new Float64Array(X.rows);
  for (let m = 0; m < p.nEnsemble; m++) {
    const params = state.netParams.subarray(m * perNet, (m + 1) * perNet);
    const rep = represent(params, layers, scaled, X.rows);
    const moments = batchMoments
      ? columnMoments(rep, X.rows, dim)
      : {
          mean: state.repMean.subarray(m * dim, (m + 1) * dim),
          scale: state.repScale.subarray(m * dim, (m + 1) * dim),
        };
    squash(rep, moments.mean, moments.scale, dim);
    const s = deviationScores(state, m * p.nEstimators, p.nEstimators, matrix(X.rows, dim, rep));
    for (let i = 0; i < X.rows; i++) out[i] += s[i] / p.nEnsemble;
  }
  return out;
}

/**
 * The network's outputs for every row. Rows are independent, so the engine's own blocking
 * replaces PyOD's batches of `batchSize` (which bound memory only) with the same results.
 */
function represent(params: Float64Array, layers: LayerSpec[], X: Float64Array, n: number) {
  return predictNetwork({ layers, params, buffers: new Float64Array(0) }, X, n);
}

/** Column mean and population standard deviation (1 where it is 0, as scikit-learn). */
function columnMoments(R: Float64Array, n: number, dim: number) {
  const mean = new Float64Array(dim);
  const scale = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) mean[j] += R[i * dim + j];
  for (let j = 0; j < dim; j++) mean[j] /= n;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < dim; j++) {
      const c = R[i * dim + j] - mean[j];
      scale[j] += c * c;
    }
  }
  for (let j = 0; j < dim; j++) {
    const sd = Math.sqrt(scale[j] / n);
    scale[j] = sd > 0 ? sd : 1;
  }
  return { mean, scale };
}

/** In place: tanh((r − mean)/scale), tanh on the engine's SIMD kernel. */
function squash(R: Float64Array, mean: Float64Array, scale: Float64Array, dim: number): void {
  for (let k = 0; k < R.length; k++) {
    const j = k % dim;
    R[k] = (R[k] - mean[j]) / scale[j];
  }
  tanhInPlace(R);
}

/**
 * PyOD's deviation-enhanced isolation score over trees [first, first + count) of `forest`:
 * 2^(−Σ path length / (count · c(ψ))) × the mean over trees of the row's average
 * |x_f − threshold| along its path. A tree that is a lone leaf adds nothing to either (PyOD
 * skips it but still divides by the tree count).
 */
function deviationScores(
  forest: ForestState,
  first: number,
  count: number,
  R: Matrix,
): Float64Array {
  const { rows: n, cols: dim, data } = R;
  const depthSum = new Float64Array(n);
  const deviationSum = new Float64Array(n);
  for (let t = first; t < first + count; t++) {
    const root = forest.treeStart[t];
    if (forest.treeStart[t + 1] - root === 1) continue;
    for (let i = 0; i < n; i++) {
      const base = i * dim;
      let node = root;
      let sum = 0;
      let nonZero = 0;
      while (forest.feature[node] >= 0) {
        const v = data[base + forest.feature[node]];
        const gap = Math.abs(v - forest.threshold[node]);
        sum += gap;
        if (gap !== 0) nonZero++;
        node = v <= forest.threshold[node] ? forest.left[node] : forest.left[node] + 1;
      }
      depthSum[i] += forest.pathLength[node];
      // 1e-6: PyOD's guard against a path with no split.
      deviationSum[i] += sum / (nonZero + 1e-6);
    }
  }
  const c = forest.normaliser[0];
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const isolation = c > 0 ? Math.pow(2, -depthSum[i] / (count * c)) : 1;
    out[i] = (isolation * deviationSum[i]) / count;
  }
  return out;
}

function fitMinMax(X: Matrix): { featureMin: Float64Array; featureScale: Float64Array } {
  const { rows: n, cols: d, data } = X;
  const lo = new Float64Array(d).fill(Infinity);
  const hi = new Float64Array(d).fill(-Infinity);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const v = data[i * d + j];
      if (v < lo[j]) lo[j] = v;
      if (v > hi[j]) hi[j] = v;
    }
  }
  const scale = new Float64Array(d);
  for (let j = 0; j < d; j++) scale[j] = hi[j] > lo[j] ? 1 / (hi[j] - lo[j]) : 1;
  return { featureMin: lo, featureScale: scale };
}

function applyMinMax(X: Matrix, lo: Float64Array, scale: Float64Array): Float64Array {
  const { rows: n, cols: d, data } = X;
  const out = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) out[i * d + j] = (data[i * d + j] - lo[j]) * scale[j];
  }
  return out;
}

/** One forest state holding every member's trees in order (child indices shifted). */
function joinForests(forests: readonly ForestState[]): ForestState {
  const trees = forests.reduce((s, f) => s + f.treeStart.length - 1, 0);
  const nodes = forests.reduce((s, f) => s + f.feature.length, 0);
  const out = {
    treeStart: new Int32Array(trees + 1),
    feature: new Int32Array(nodes),
    threshold: new Float64Array(nodes),
    left: new Int32Array(nodes),
    pathLength: new Float64Array(nodes),
    normaliser: Float64Array.of(forests.length > 0 ? forests[0].normaliser[0] : 0),
  };
  let tree = 0;
  let offset = 0;
  for (const f of forests) {
    const t = f.treeStart.length - 1;
    for (let k = 0; k < t; k++) out.treeStart[tree + k] = f.treeStart[k] + offset;
    out.feature.set(f.feature, offset);
    out.threshold.set(f.threshold, offset);
    for (let k = 0; k < f.left.length; k++) out.left[offset + k] = f.left[k] + offset;
    out.pathLength.set(f.pathLength, offset);
    tree += t;
    offset += f.feature.length;
  }
  out.treeStart[tree] = offset;
  return out;
}
