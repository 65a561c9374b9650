/**
 * AutoEncoder outlier score (Aggarwal 2015, ch. 3), with PyOD 3.x AutoEncoder's defaults and
 * semantics (pyod/models/auto_encoder.py on base_dl.py).
 *
 * Standardise each feature with the training mean and population standard deviation
 * (PyOD: (x − μ)/(σ + 1e-8)), train a dense network d → h₁ → … → h_k → … → h₁ → d to
 * reproduce its input (MSE, Adam with L2 weight decay, shuffled mini-batches of which the last,
 * short one is dropped), and score a row by the Euclidean distance between its standardised
 * values and their reconstruction, with batch norm on running statistics and no dropout (torch's
 * eval mode), so a row's score does not depend on its batch. Each hidden block is
 * linear → batch norm → activation → dropout (PyOD's LinearBlock); the output layer is linear.
 *
 * `labelRule: "mad"` labels as the network-flows notebook does: a row is an outlier when the
 * modified z-score of its score, 0.6745 · |s − median| / MAD over the training scores
 * (Iglewicz & Hoaglin 1993), exceeds `madThreshold` (3.5 there).
 */
import { z } from "zod";
import { baseParams, defineDetector, f64 } from "./contract.js";
import {
  activations,
  initNetwork,
  layout,
  predictNetwork,
  type LayerSpec,
  type Network,
} from "../core/nn.js";
import { adamDefaults, trainNetwork } from "../core/train.js";
import { Random } from "../core/random.js";
import { TorchCpuGenerator, torchTrainingDraws } from "../core/replay-random.js";
import type { Matrix } from "../core/matrix.js";
import { ParamError } from "../core/errors.js";
import { percentile } from "../core/stats.js";

/** PyOD's TorchDataset: added to σ before dividing. */
const STD_EPS = 1e-8;
/** The modified z-score's constant: Φ⁻¹(0.75), so MAD/0.6745 estimates σ for normal data. */
const MAD_CONSTANT = 0.6745;

export const autoencoderParams = baseParams.extend({
  hiddenNeuronList: z
    .array(z.int().min(1))
    .min(1)
    .default([64, 32])
    .describe(
      "Encoder widths; the decoder mirrors them (PyOD: [64, 32] gives d → 64 → 32 → 64 → d).",
    ),
  hiddenActivationName: z
    .enum(activations)
    .default("relu")
    .describe("Activation of the hidden blocks."),
  batchNorm: z.boolean().default(true).describe("Batch normalisation in each hidden block."),
  dropoutRate: z
    .union([z.number().min(0).lt(1), z.array(z.number().min(0).lt(1))])
    .default(0.2)
    .describe(
      "Dropout after each hidden block, or one rate per hidden block in order (encoder, then decoder; 2·len(hiddenNeuronList) − 1 of them).",
    ),
  epochNum: z.int().min(1).default(10).describe("Training epochs."),
  batchSize: z.int().min(1).default(32).describe("Rows per training batch."),
  lr: z.number().positive().default(1e-3).describe("Adam learning rate."),
  weightDecay: z
    .number()
    .min(0)
    .default(1e-5)
    .describe("L2 penalty in Adam (PyOD's optimizer_params weight_decay)."),
  preprocessing: z
    .boolean()
    .default(true)
    .describe("Standardise features with the training mean and standard deviation first."),
  init: z
    .enum(["kaimingUniform", "torchDefault", "glorotUniform"])
    .default("kaimingUniform")
    .describe(
      "Weight initialisation: PyOD's kaiming_uniform, torch's nn.Linear default, or Keras' glorot_uniform.",
    ),
  labelRule: z
    .enum(["contamination", "mad"])
    .default("contamination")
    .describe(
      'Labelling: the contamination quantile of training scores, or "mad": modified z-score of the score above madThreshold.',
    ),
  madThreshold: z
    .number()
    .positive()
    .default(3.5)
    .describe('Modified z-score above which labelRule "mad" calls a row an outlier.'),
  seed: z.int().default(0).describe("Random seed: initial weights, batch order, dropout."),
  randomStream: z
    .enum(["anomalog", "torch"])
    .default("anomalog")
    .describe(
      "Where the random choices come from: our own generator, or torch's CPU generator seeded with `seed` as PyOD's random_state seeds it (PyOD's initial weights, batch order and dropout masks; init kaimingUniform or torchDefault).",
    ),
});

export type AutoencoderParams = z.output<typeof autoencoderParams>;

/**
 * The network-flows notebook's autoencoder configuration as params (hidden 12-6, ELU, no batch
 * norm, dropout [0.2, 0, 0], Glorot-uniform, 30 epochs, batch 4096); add `labelRule: "mad"` for
 * its MAD-score threshold.
 */
export const NETWORK_FLOWS_NOTEBOOK = {
  hiddenNeuronList: [12, 6],
  hiddenActivationName: "elu",
  batchNorm: false,
  dropoutRate: [0.2, 0, 0],
  init: "glorotUniform",
  epochNum: 30,
  batchSize: 4096,
} as const;

interface AutoencoderState {
  readonly scalerMean: Float64Array;
  readonly scalerScale: Float64Array;
  readonly params: Float64Array;
  readonly buffers: Float64Array;
}

/** The network's layers for d features: hidden blocks, then a linear output layer. */
export function autoencoderLayers(d: number, p: AutoencoderParams): LayerSpec[] {
  const widths = [...p.hiddenNeuronList, ...p.hiddenNeuronList.slice(0, -1).reverse()];
  const rates = Array.isArray(p.dropoutRate) ? p.dropoutRate : widths.map(() => p.dropoutRate);
  if (rates.length !== widths.length)
    throw new ParamError(
      `autoencoder: dropoutRate lists ${rates.length} rates for ${widths.length} hidden blocks`,
    );
  const layers: LayerSpec[] = [];
  let inputs = d;
  widths.forEach((units, k) => {
    layers.push({
      inputs,
      units,
      activation: p.hiddenActivationName,
      bias: true,
      batchNorm: p.batchNorm,
      dropout: rates[k] as number,
    });
    inputs = units;
  });
  layers.push({ inputs, units: d, activation: "linear", bias: true, batchNorm: false, dropout: 0 });
  return layers;
}

export const autoencoder = defineDetector({
  name: "autoencoder",
  summary:
    "Dense autoencoder: rows the network reconstructs badly are anomalous (non-linear structure).",
  reference: "Aggarwal 2015 ch. 3; PyOD AutoEncoder (3.x, torch) defaults and scoring",
  deterministic: false,
  params: autoencoderParams,
  state: z.object({ scalerMean: f64, scalerScale: f64, params: f64, buffers: f64 }),
  checkState(s: AutoencoderState, d: number) {
    if (s.scalerMean.length !== s.scalerScale.length)
      return "scaler mean and scale differ in length";
    if (s.scalerMean.length !== 0 && s.scalerMean.length !== d)
      return "scaler does not match the features";
    return undefined;
  },
  labelThreshold(p, trainingScores) {
    if (p.labelRule !== "mad") return undefined;
    const median = percentile(trainingScores, 50);
    const deviations = trainingScores.map((v) => Math.abs(v - median));
    const mad = percentile(deviations, 50);
    // MAD = 0 (over half the scores equal): every score above the median is an outlier.
    return median + (p.madThreshold * mad) / MAD_CONSTANT;
  },
  fit(X, p) {
    const layers = autoencoderLayers(X.cols, p);
    const { scalerMean, scalerScale } = p.preprocessing
      ? fitScaler(X)
      : { scalerMean: new Float64Array(0), scalerScale: new Float64Array(0) };
    const Z = standardise(X, scalerMean, scalerScale);
    const train = {
      loss: "mse",
      epochs: p.epochNum,
      batchSize: p.batchSize,
      adam: { ...adamDefaults, lr: p.lr, weightDecay: p.weightDecay },
      dropLast: true,
    } as const;
    let net: Network;
    if (p.randomStream === "torch") {
      // PyOD seeds torch's global generator once; the weights are drawn from it, then the
      // training loop's orders and masks.
      const generator = new TorchCpuGenerator(p.seed);
      net = torchInitialNetwork(layers, p.init, generator);
      trainNetwork(net, Z, Z, X.rows, {
        ...train,
        seed: 0,
        randomness: torchTrainingDraws(generator),
      });
    } else {
      const rng = new Random(p.seed);
      // PyOD's init_weights covers the hidden blocks; the output layer is a plain nn.Linear
      // with torch's own initialisation.
      const inits = layers.map((_, k) => (k < layers.length - 1 ? p.init : "torchDefault"));
      net = initNetwork(layers, p.init === "kaimingUniform" ? inits : p.init, rng.fork());
      trainNetwork(net, Z, Z, X.rows, { ...train, seed: rng.uint32() });
    }
    return { state: { scalerMean, scalerScale, params: net.params, buffers: net.buffers } };
  },
  score(state, X, p) {
    const layers = autoencoderLayers(X.cols, p);
    const Z = standardise(X, state.scalerMean, state.scalerScale);
    const out = predictNetwork({ layers, params: state.params, buffers: state.buffers }, Z, X.rows);
    const d = X.cols;
    const scores = new Float64Array(X.rows);
    for (let i = 0; i < X.rows; i++) {
      let ss = 0;
      for (let j = 0; j < d; j++) {
        const e = Z[i * d + j] - out[i * d + j];
        ss += e * e;
      }
      scores[i] = Math.sqrt(ss);
    }
    return scores;
  },
});

/**
 * PyOD's AutoEncoderModel as torch initialises it from `generator`, in construction order: each
 * hidden block's nn.Linear draws torch's default weights (kaiming_uniform with a = √5, i.e.
 * bound 1/√fan_in) and bias (bound 1/√fan_in), then PyOD's LinearBlock draws the weights again
 * with kaiming_uniform (a = 0, bound √(6/fan_in)); the output nn.Linear keeps torch's defaults.
 * Batch norm starts at γ = 1, β = 0, running variance 1. Values are float32, as torch holds them.
 */
export function torchInitialNetwork(
  layers: readonly LayerSpec[],
  init: AutoencoderParams["init"],
  generator: TorchCpuGenerator,
): Network {
  if (init === "glorotUniform")
    throw new ParamError(
      "autoencoder: randomStream \"torch\" replays torch's initialisation (init kaimingUniform or torchDefault), not Keras' glorotUniform",
    );
  // initNetwork lays the network out and sets batch norm's starting values; every weight and
  // bias it draws is overwritten below.
  const net = initNetwork(layers, "torchDefault", new Random(0));
  const { offsets } = layout(layers);
  const fill = (from: number, count: number, bound: number): void => {
    for (let i = 0; i < count; i++) net.params[from + i] = generator.uniformFloat32(-bound, bound);
  };
  layers.forEach((l, k) => {
    const o = offsets[k];
    const weights = l.units * l.inputs;
    fill(o.weight, weights, kaimingBound(l.inputs, Math.sqrt(5)));
    if (o.bias >= 0) fill(o.bias, l.units, 1 / Math.sqrt(l.inputs));
    if (init === "kaimingUniform" && k < layers.length - 1)
      fill(o.weight, weights, kaimingBound(l.inputs, 0));
  });
  return net;
}

/** torch's kaiming_uniform_ bound for fan_in and leaky-ReLU slope a: √3 · √(2/(1 + a²))/√fan_in. */
function kaimingBound(fanIn: number, a: number): number {
  const gain = Math.sqrt(2 / (1 + a * a));
  return Math.sqrt(3) * (gain / Math.sqrt(fanIn));
}

/** Training mean and population standard deviation per feature. */
function fitScaler(X: Matrix): { scalerMean: Float64Array; scalerScale: Float64Array } {
  const { rows: n, cols: d, data } = X;
  const mean = new Float64Array(d);
  const scale = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += data[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= n;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const c = data[i * d + j] - mean[j];
      scale[j] += c * c;
    }
  }
  for (let j = 0; j < d; j++) scale[j] = Math.sqrt(scale[j] / n) + STD_EPS;
  return { scalerMean: mean, scalerScale: scale };
}

/** (x − mean)/scale per feature, or X's values as they are when there is no scaler. */
function standardise(X: Matrix, mean: Float64Array, scale: Float64Array): Float64Array {
  if (mean.length === 0) return X.data;
  const { rows: n, cols: d, data } = X;
  const out = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) out[i * d + j] = (data[i * d + j] - mean[j]) / scale[j];
  }
  return out;
}
