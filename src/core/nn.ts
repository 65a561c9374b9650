/**
 * A small dense neural network engine: the networks of PyOD's AutoEncoder, DIF's random
 * representation nets and the BETH notebook's MLP, on Float64Arrays.
 *
 * A network is a stack of dense layers, each `linear → batch norm (optional) → activation →
 * dropout (optional)`, the order of PyOD's LinearBlock (torch_utility.py) and of a Keras
 * `Dense(activation)` followed by `Dropout`. Weights are stored as torch does (out × in,
 * row-major), so a layer's output is X · Wᵀ + b and the product runs on the SIMD kernel
 * (core/linalg.ts multiplyABt). Every parameter of the network lives in one flat Float64Array
 * (`params`, what the optimiser updates) and the batch-norm running statistics in another
 * (`buffers`), so a saved network is two arrays plus its spec.
 *
 * Training keeps every intermediate of a forward pass in preallocated buffers for the largest
 * batch (no allocation per step); `backward` walks them in reverse and accumulates gradients
 * into one array shaped like `params`.
 */
import { multiplyABt } from "./linalg.js";
import { ParamError, ShapeError } from "./errors.js";
import { Random } from "./random.js";

export type Activation = "relu" | "tanh" | "sigmoid" | "elu" | "linear";
export const activations = ["relu", "tanh", "sigmoid", "elu", "linear"] as const;

/**
 * Weight initialisations, each a framework's default for the networks we reproduce:
 * - `kaimingUniform`: U(±√(6 / fan_in)) weights, torch-default biases (PyOD's init_weights default);
 * - `torchDefault`: U(±1/√fan_in) weights and biases (torch nn.Linear's own reset_parameters);
 * - `glorotUniform`: U(±√(6 / (fan_in + fan_out))) weights, zero biases (Keras Dense default);
 * - `normal`: N(0, 1) weights, zero biases (PyOD DIF's random representation nets).
 */
export type Init = "kaimingUniform" | "torchDefault" | "glorotUniform" | "normal";

export interface LayerSpec {
  readonly inputs: number;
  readonly units: number;
  readonly activation: Activation;
  readonly bias: boolean;
  readonly batchNorm: boolean;
  /** Probability that a unit's output is zeroed while training (inverted dropout). */
  readonly dropout: number;
}

export interface Network {
  readonly layers: readonly LayerSpec[];
  /** Trainable parameters, layer by layer: W (units × inputs), b, then BN γ and β. */
  readonly params: Float64Array;
  /** Batch-norm running mean and variance, layer by layer (not trained by gradients). */
  readonly buffers: Float64Array;
}

/** Arrays that own their memory (what the kernel products write into). */
type F64 = Float64Array<ArrayBuffer>;

/** torch BatchNorm1d defaults. */
const BN_EPS = 1e-5;
const BN_MOMENTUM = 0.1;

interface LayerOffsets {
  readonly weight: number;
  readonly bias: number; // −1 without bias
  readonly gamma: number; // −1 without batch norm
  readonly beta: number;
  readonly runningMean: number; // into buffers
  readonly runningVar: number;
}

/** Where each layer's parameters start in `params` and `buffers`, and their totals. */
export function layout(layers: readonly LayerSpec[]): {
  offsets: LayerOffsets[];
  params: number;
  buffers: number;
} {
  let p = 0;
  let b = 0;
  const offsets: LayerOffsets[] = [];
  for (const l of layers) {
    const weight = p;
    p += l.units * l.inputs;
    const bias = l.bias ? p : -1;
    if (l.bias) p += l.units;
    const gamma = l.batchNorm ? p : -1;
    const beta = l.batchNorm ? p + l.units : -1;
    if (l.batchNorm) p += 2 * l.units;
    const runningMean = l.batchNorm ? b : -1;
    const runningVar = l.batchNorm ? b + l.units : -1;
    if (l.batchNorm) b += 2 * l.units;
    offsets.push({ weight, bias, gamma, beta, runningMean, runningVar });
  }
  return { offsets, params: p, buffers: b };
}

/** Checks a stack of layer specs: positive widths that chain, dropout in [0, 1). */
export function validateLayers(layers: readonly LayerSpec[]): void {
  if (layers.length === 0) throw new ParamError("a network needs at least one layer");
  layers.forEach((l, k) => {
    if (!(Number.isInteger(l.inputs) && l.inputs >= 1 && Number.isInteger(l.units) && l.units >= 1))
      throw new ParamError(
        `layer ${k}: widths must be positive integers (${l.inputs} → ${l.units})`,
      );
    if (k > 0 && layers[k - 1].units !== l.inputs)
      throw new ParamError(
        `layer ${k} takes ${l.inputs} inputs but layer ${k - 1} gives ${layers[k - 1].units}`,
      );
    if (!(l.dropout >= 0 && l.dropout < 1))
      throw new ParamError(`layer ${k}: dropout must be in [0, 1), got ${l.dropout}`);
  });
}

/**
 * A new network with weights drawn from `rng` by `init` (one for all layers, or one per layer);
 * BN γ = 1, β = 0, running var = 1.
 */
export function initNetwork(
  layers: readonly LayerSpec[],
  init: Init | readonly Init[],
  rng: Random,
): Network {
  validateLayers(layers);
  const { offsets, params: nParams, buffers: nBuffers } = layout(layers);
  const params = new Float64Array(nParams);
  const buffers = new Float64Array(nBuffers);
  layers.forEach((l, k) => {
    const o = offsets[k];
    const fanIn = l.inputs;
    const nW = l.units * l.inputs;
    const kind: Init = typeof init === "string" ? init : init[k];
    if (kind === "normal") {
      for (let i = 0; i < nW; i++) params[o.weight + i] = rng.normal();
    } else {
      const bound =
        kind === "kaimingUniform"
          ? Math.sqrt(6 / fanIn)
          : kind === "torchDefault"
            ? 1 / Math.sqrt(fanIn)
            : Math.sqrt(6 / (fanIn + l.units));
      for (let i = 0; i < nW; i++) params[o.weight + i] = rng.uniform(-bound, bound);
    }
    if (o.bias >= 0 && (kind === "kaimingUniform" || kind === "torchDefault")) {
      const bound = 1 / Math.sqrt(fanIn);
      for (let i = 0; i < l.units; i++) params[o.bias + i] = rng.uniform(-bound, bound);
    }
    if (o.gamma >= 0) {
      params.fill(1, o.gamma, o.gamma + l.units);
      buffers.fill(1, o.runningVar, o.runningVar + l.units);
    }
  });
  return { layers, params, buffers };
}

/** Applies an activation in place to `v[0, length)`. */
function activate(kind: Activation, v: Float64Array, length: number): void {
  switch (kind) {
    case "relu":
      for (let i = 0; i < length; i++) if (v[i] < 0) v[i] = 0;
      return;
    case "tanh":
      for (let i = 0; i < length; i++) v[i] = Math.tanh(v[i]);
      return;
    case "sigmoid":
      for (let i = 0; i < length; i++) v[i] = 1 / (1 + Math.exp(-v[i]));
      return;
    case "elu":
      for (let i = 0; i < length; i++) if (v[i] < 0) v[i] = Math.expm1(v[i]);
      return;
    case "linear":
      return;
  }
}

/** g ← g · f′, with f′ read from the activation's output `y` (every kind here allows that). */
function activationBackward(kind: Activation, y: Float64Array, g: Float64Array, length: number) {
  switch (kind) {
    case "relu":
      for (let i = 0; i < length; i++) if (y[i] <= 0) g[i] = 0;
      return;
    case "tanh":
      for (let i = 0; i < length; i++) g[i] *= 1 - y[i] * y[i];
      return;
    case "sigmoid":
      for (let i = 0; i < length; i++) g[i] *= y[i] * (1 - y[i]);
      return;
    case "elu":
      // f′ = 1 above 0, eˣ = y + 1 below.
      for (let i = 0; i < length; i++) if (y[i] < 0) g[i] *= y[i] + 1;
      return;
    case "linear":
      return;
  }
}

/** Rows per block when running a trained network: bounds memory on large inputs. */
const INFER_BLOCK = 4096;

/**
 * The network's output for every row of X (n × inputs, row-major), in inference mode (batch
 * norm from running statistics, no dropout). Rows are independent: a row's output does not
 * depend on its batch.
 */
export function predictNetwork(net: Network, X: Float64Array, n: number): Float64Array {
  const first = net.layers[0];
  const last = net.layers[net.layers.length - 1];
  if (X.length !== n * first.inputs)
    throw new ShapeError(`network takes ${first.inputs} features, got ${X.length / n}`);
  const out = new Float64Array(n * last.units);
  const { offsets } = layout(net.layers);
  const widest = Math.max(...net.layers.map((l) => l.units));
  const blockRows = Math.min(INFER_BLOCK, n);
  const bufA = new Float64Array(blockRows * widest);
  const bufB = new Float64Array(blockRows * widest);
  for (let start = 0; start < n; start += INFER_BLOCK) {
    const rows = Math.min(INFER_BLOCK, n - start);
    let input = X.subarray(start * first.inputs, (start + rows) * first.inputs);
    let target = bufA;
    net.layers.forEach((l, k) => {
      const o = offsets[k];
      const z = target.subarray(0, rows * l.units);
      linearForward(net.params, o, l, input, rows, z);
      if (o.gamma >= 0) {
        for (let i = 0; i < rows; i++) {
          const row = i * l.units;
          for (let u = 0; u < l.units; u++) {
            const inv = 1 / Math.sqrt(net.buffers[o.runningVar + u] + BN_EPS);
            z[row + u] =
              (z[row + u] - net.buffers[o.runningMean + u]) * inv * net.params[o.gamma + u] +
              net.params[o.beta + u];
          }
        }
      }
      activate(l.activation, z, z.length);
      input = z;
      target = target === bufA ? bufB : bufA;
    });
    out.set(input, start * last.units);
  }
  return out;
}

/** z = input · Wᵀ + b for `rows` rows. */
function linearForward(
  params: Float64Array,
  o: LayerOffsets,
  l: LayerSpec,
  input: Float64Array,
  rows: number,
  z: F64,
): void {
  const W = params.subarray(o.weight, o.weight + l.units * l.inputs);
  multiplyABt(input, rows, W, l.units, l.inputs, z);
  if (o.bias >= 0) {
    for (let i = 0; i < rows; i++) {
      const row = i * l.units;
      for (let u = 0; u < l.units; u++) z[row + u] += params[o.bias + u];
    }
  }
}

/**
 * The buffers of one training step, sized for `maxRows` rows: each layer's output before and
 * after dropout, its normalised pre-activation and 1/σ for batch norm, its dropout mask, and
 * scratch for the backward pass.
 */
export interface TrainingPass {
  readonly net: Network;
  readonly maxRows: number;
  rows: number;
  /** The batch fed to the last forward pass (a view; not copied). */
  input: Float64Array;
  readonly activated: F64[];
  readonly outputs: F64[];
  readonly normalised: F64[];
  readonly invStd: F64[];
  readonly masks: F64[];
  readonly grads: F64;
  readonly offsets: readonly LayerOffsets[];
  readonly scratchA: F64;
  readonly scratchB: F64;
  readonly transposeIn: F64;
  readonly transposeGrad: F64;
  readonly transposeW: F64;
  /** Per-unit sums of batch norm's passes. */
  readonly unitSumA: F64;
  readonly unitSumB: F64;
  readonly unitSumC: F64;
}

export function trainingPass(net: Network, maxRows: number): TrainingPass {
  const { offsets } = layout(net.layers);
  const widest = Math.max(net.layers[0].inputs, ...net.layers.map((l) => l.units));
  const largestW = Math.max(...net.layers.map((l) => l.units * l.inputs));
  return {
    net,
    maxRows,
    rows: 0,
    input: new Float64Array(0),
    activated: net.layers.map((l) => new Float64Array(maxRows * l.units)),
    outputs: net.layers.map((l) =>
      l.dropout > 0 ? new Float64Array(maxRows * l.units) : new Float64Array(0),
    ),
    normalised: net.layers.map((l) =>
      l.batchNorm ? new Float64Array(maxRows * l.units) : new Float64Array(0),
    ),
    invStd: net.layers.map((l) => new Float64Array(l.batchNorm ? l.units : 0)),
    masks: net.layers.map((l) =>
      l.dropout > 0 ? new Float64Array(maxRows * l.units) : new Float64Array(0),
    ),
    grads: new Float64Array(net.params.length),
    offsets,
    scratchA: new Float64Array(maxRows * widest),
    scratchB: new Float64Array(maxRows * widest),
    transposeIn: new Float64Array(maxRows * widest),
    transposeGrad: new Float64Array(maxRows * widest),
    transposeW: new Float64Array(largestW),
    unitSumA: new Float64Array(widest),
    unitSumB: new Float64Array(widest),
    unitSumC: new Float64Array(widest),
  };
}

/** A layer's output as the next layer sees it (after dropout where there is dropout). */
function layerOutput(pass: TrainingPass, k: number): Float64Array {
  const l = pass.net.layers[k];
  return (l.dropout > 0 ? pass.outputs[k] : pass.activated[k]).subarray(0, pass.rows * l.units);
}

/**
 * Forward pass in training mode on `rows` rows of `X`: batch norm from the batch's own mean and
 * (biased) variance, updating the running statistics as torch does (unbiased variance, momentum
 * 0.1); dropout masks drawn from `rng`. Returns the network's output (a view into the pass).
 */
export function forwardTrain(
  pass: TrainingPass,
  X: Float64Array,
  rows: number,
  rng: Random,
  updateRunningStats = true,
): Float64Array {
  if (rows > pass.maxRows) throw new ShapeError(`batch of ${rows} rows > ${pass.maxRows}`);
  const { net, offsets } = pass;
  pass.rows = rows;
  pass.input = X.subarray(0, rows * net.layers[0].inputs);
  let input = pass.input;
  net.layers.forEach((l, k) => {
    const o = offsets[k];
    const z = pass.activated[k].subarray(0, rows * l.units);
    linearForward(net.params, o, l, input, rows, z);
    if (l.batchNorm) batchNormForward(pass, k, z, rows, updateRunningStats);
    activate(l.activation, z, z.length);
    if (l.dropout > 0) {
      const keep = 1 - l.dropout;
      const scale = 1 / keep;
      // One 32-bit draw serves two units, 16 bits each: a unit is kept with probability
      // ⌊keep · 2¹⁶⌋ / 2¹⁶ (within 2⁻¹⁶ of keep), half the generator calls of one draw per unit.
      const keepBelow = Math.floor(keep * 0x1_0000);
      const mask = pass.masks[k];
      const out = pass.outputs[k];
      const size = z.length;
      for (let i = 0; i < size; i += 2) {
        const bits = rng.uint32();
        const m0 = (bits & 0xffff) < keepBelow ? scale : 0;
        mask[i] = m0;
        out[i] = z[i] * m0;
        if (i + 1 < size) {
          const m1 = bits >>> 16 < keepBelow ? scale : 0;
          mask[i + 1] = m1;
          out[i + 1] = z[i + 1] * m1;
        }
      }
    }
    input = layerOutput(pass, k);
  });
  return input;
}

function batchNormForward(
  pass: TrainingPass,
  k: number,
  z: Float64Array,
  rows: number,
  updateRunningStats: boolean,
): void {
  const { net } = pass;
  const l = net.layers[k];
  const o = pass.offsets[k];
  const units = l.units;
  const hat = pass.normalised[k];
  const invStd = pass.invStd[k];
  const mu = pass.unitSumA;
  const ss = pass.unitSumB;
  mu.fill(0, 0, units);
  ss.fill(0, 0, units);
  // Row-major sweeps (unit-strided memory), two passes for a stable variance.
  for (let i = 0; i < rows; i++) {
    const row = i * units;
    for (let u = 0; u < units; u++) mu[u] += z[row + u];
  }
  for (let u = 0; u < units; u++) mu[u] /= rows;
  for (let i = 0; i < rows; i++) {
    const row = i * units;
    for (let u = 0; u < units; u++) {
      const c = z[row + u] - mu[u];
      ss[u] += c * c;
    }
  }
  for (let u = 0; u < units; u++) invStd[u] = 1 / Math.sqrt(ss[u] / rows + BN_EPS);
  const params = net.params;
  const gamma = o.gamma;
  const beta = o.beta;
  for (let i = 0; i < rows; i++) {
    const row = i * units;
    for (let u = 0; u < units; u++) {
      const h = (z[row + u] - mu[u]) * invStd[u];
      hat[row + u] = h;
      z[row + u] = h * params[gamma + u] + params[beta + u];
    }
  }
  if (updateRunningStats) {
    const b = net.buffers;
    for (let u = 0; u < units; u++) {
      const unbiased = rows > 1 ? ss[u] / (rows - 1) : ss[u] / rows;
      b[o.runningMean + u] = (1 - BN_MOMENTUM) * b[o.runningMean + u] + BN_MOMENTUM * mu[u];
      b[o.runningVar + u] = (1 - BN_MOMENTUM) * b[o.runningVar + u] + BN_MOMENTUM * unbiased;
    }
  }
}

/**
 * Backward pass from dL/d(output of the last layer) — or, with `atPreActivation`, from
 * dL/d(the last layer's input to its activation), for losses fused with their activation
 * (sigmoid + binary cross-entropy). Overwrites `pass.grads` with dL/d(params).
 * `outputGrad` is consumed (used as scratch).
 */
export function backward(
  pass: TrainingPass,
  outputGrad: Float64Array,
  atPreActivation = false,
): Float64Array {
  const { net, offsets, rows, grads } = pass;
  grads.fill(0);
  let g = outputGrad;
  let useA = true; // which scratch buffer takes the next input gradient (never the one g is in)
  for (let k = net.layers.length - 1; k >= 0; k--) {
    const l = net.layers[k];
    const o = offsets[k];
    const units = l.units;
    const size = rows * units;
    const last = k === net.layers.length - 1;
    if (!(last && atPreActivation)) {
      if (l.dropout > 0) {
        const mask = pass.masks[k];
        for (let i = 0; i < size; i++) g[i] *= mask[i];
      }
      activationBackward(l.activation, pass.activated[k], g, size);
    }
    if (l.batchNorm) {
      // With ĥ = (z − μ)/σ and y = γĥ + β over a batch of m rows:
      // dz = γ/(mσ) · (m·dy − Σdy − ĥ·Σ(dy·ĥ)).
      const hat = pass.normalised[k];
      const invStd = pass.invStd[k];
      const sumG = pass.unitSumA;
      const sumGH = pass.unitSumB;
      sumG.fill(0, 0, units);
      sumGH.fill(0, 0, units);
      for (let i = 0; i < rows; i++) {
        const row = i * units;
        for (let u = 0; u < units; u++) {
          sumG[u] += g[row + u];
          sumGH[u] += g[row + u] * hat[row + u];
        }
      }
      const f = pass.unitSumC;
      for (let u = 0; u < units; u++) {
        grads[o.gamma + u] = sumGH[u];
        grads[o.beta + u] = sumG[u];
        f[u] = (net.params[o.gamma + u] * invStd[u]) / rows;
      }
      for (let i = 0; i < rows; i++) {
        const row = i * units;
        for (let u = 0; u < units; u++) {
          const at = row + u;
          g[at] = f[u] * (rows * g[at] - sumG[u] - hat[at] * sumGH[u]);
        }
      }
    }
    if (o.bias >= 0) {
      for (let i = 0; i < rows; i++) {
        const row = i * units;
        for (let u = 0; u < units; u++) grads[o.bias + u] += g[row + u];
      }
    }
    const input = k === 0 ? pass.input : layerOutput(pass, k - 1);
    const inputs = l.inputs;
    // dW (units × inputs) = gᵀ · input, as (gᵀ) · (inputᵀ)ᵀ on the kernel.
    const gT = transposeInto(g, rows, units, pass.transposeGrad);
    const inT = transposeInto(input, rows, inputs, pass.transposeIn);
    multiplyABt(gT, units, inT, inputs, rows, grads.subarray(o.weight, o.weight + units * inputs));
    if (k > 0) {
      // d(input) (rows × inputs) = g · W = g · (Wᵀ)ᵀ.
      const W = net.params.subarray(o.weight, o.weight + units * inputs);
      const WT = transposeInto(W, units, inputs, pass.transposeW);
      const dInput = (useA ? pass.scratchA : pass.scratchB).subarray(0, rows * inputs);
      useA = !useA;
      multiplyABt(g, rows, WT, inputs, units, dInput);
      g = dInput;
    }
  }
  return grads;
}

/** Writes the transpose of A (rows × cols) into `out` and returns the filled view. */
function transposeInto(A: Float64Array, rows: number, cols: number, out: F64): F64 {
  for (let i = 0; i < rows; i++) {
    const row = i * cols;
    for (let j = 0; j < cols; j++) out[j * rows + i] = A[row + j];
  }
  return out.subarray(0, rows * cols);
}
