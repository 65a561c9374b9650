/**
 * The network engine in plain JavaScript, as it was before the training step moved into
 * WebAssembly (core/nn.ts on assembly/nn.ts): the same layers, masks, batch order and update
 * rule, one double at a time. Kept as the reference the engine is tested against (nn.test.ts);
 * nothing in the product runs it.
 */
import { multiplyABtJs } from "./linalg.js";
import { ShapeError, ParamError } from "./errors.js";
import { Random } from "./random.js";
import { layout, type Activation, type LayerOffsets, type LayerSpec, type Network } from "./nn.js";
import {
  adamState,
  adamStep,
  bceLoss,
  mseLoss,
  type TrainOptions,
  type TrainReport,
} from "./train.js";

/** Arrays that own their memory (what the kernel products write into). */
type F64 = Float64Array<ArrayBuffer>;

/** torch BatchNorm1d defaults. */
const BN_EPS = 1e-5;
const BN_MOMENTUM = 0.1;

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
export function predictNetworkJs(net: Network, X: Float64Array, n: number): Float64Array {
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
  multiplyABtJs(input, rows, W, l.units, l.inputs, z);
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
export interface TrainingPassJs {
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

export function trainingPassJs(net: Network, maxRows: number): TrainingPassJs {
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
function layerOutput(pass: TrainingPassJs, k: number): Float64Array {
  const l = pass.net.layers[k];
  return (l.dropout > 0 ? pass.outputs[k] : pass.activated[k]).subarray(0, pass.rows * l.units);
}

/**
 * Forward pass in training mode on `rows` rows of `X`: batch norm from the batch's own mean and
 * (biased) variance, updating the running statistics as torch does (unbiased variance, momentum
 * 0.1); dropout masks drawn from `rng`. Returns the network's output (a view into the pass).
 */
export function forwardTrainJs(
  pass: TrainingPassJs,
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
  pass: TrainingPassJs,
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
export function backwardJs(
  pass: TrainingPassJs,
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
    multiplyABtJs(
      gT,
      units,
      inT,
      inputs,
      rows,
      grads.subarray(o.weight, o.weight + units * inputs),
    );
    if (k > 0) {
      // d(input) (rows × inputs) = g · W = g · (Wᵀ)ᵀ.
      const W = net.params.subarray(o.weight, o.weight + units * inputs);
      const WT = transposeInto(W, units, inputs, pass.transposeW);
      const dInput = (useA ? pass.scratchA : pass.scratchB).subarray(0, rows * inputs);
      useA = !useA;
      multiplyABtJs(g, rows, WT, inputs, units, dInput);
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

export function trainNetworkJs(
  net: Network,
  X: Float64Array,
  Y: Float64Array,
  n: number,
  o: TrainOptions,
): TrainReport {
  const inputs = net.layers[0].inputs;
  const last = net.layers[net.layers.length - 1];
  const outputs = last.units;
  if (o.loss === "bce" && last.activation !== "sigmoid")
    throw new ParamError("binary cross-entropy needs a sigmoid output layer");
  if (!(Number.isInteger(o.batchSize) && o.batchSize >= 1))
    throw new ParamError(`batchSize must be a positive integer, got ${o.batchSize}`);
  const rng = new Random(o.seed);
  const hasBatchNorm = net.layers.some((l) => l.batchNorm);
  // A training set smaller than one batch is one batch (torch with drop_last would not train).
  const batchSize = Math.min(o.batchSize, n);
  const pass = trainingPassJs(net, batchSize);
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const bx = new Float64Array(batchSize * inputs);
  const by = new Float64Array(batchSize * outputs);
  const bw = o.rowWeights === undefined ? undefined : new Float64Array(batchSize * outputs);
  const grad = new Float64Array(batchSize * outputs);
  const adam = adamState(net.params.length);
  const losses: number[] = [];
  const validationLosses: number[] = [];
  let best = Infinity;
  let bestEpoch = -1;
  let bestParams: Float64Array | undefined;
  let bestBuffers: Float64Array | undefined;
  const fullBatches = Math.floor(n / batchSize);
  const batches = o.dropLast ? fullBatches : Math.ceil(n / batchSize);
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    rng.shuffle(order);
    let lossSum = 0;
    let counted = 0;
    for (let b = 0; b < batches; b++) {
      const start = b * batchSize;
      const rows = Math.min(batchSize, n - start);
      // Batch norm cannot normalise a single row (torch refuses it).
      if (hasBatchNorm && rows < 2) continue;
      for (let r = 0; r < rows; r++) {
        const i = order[start + r];
        // Plain loops: a subarray per row would allocate two objects per row per epoch.
        for (let j = 0; j < inputs; j++) bx[r * inputs + j] = X[i * inputs + j];
        for (let j = 0; j < outputs; j++) by[r * outputs + j] = Y[i * outputs + j];
        if (bw !== undefined && o.rowWeights !== undefined)
          bw.fill(o.rowWeights[i], r * outputs, (r + 1) * outputs);
      }
      const out = forwardTrainJs(pass, bx, rows, rng);
      const length = rows * outputs;
      const loss =
        o.loss === "mse" ? mseLoss(out, by, length, grad) : bceLoss(out, by, length, grad, bw);
      lossSum += loss;
      counted++;
      backwardJs(pass, grad, o.loss === "bce");
      adamStep(net.params, pass.grads, adam, o.adam);
    }
    losses.push(counted > 0 ? lossSum / counted : NaN);
    if (o.validation !== undefined && o.validation.rows > 0) {
      const v = o.validation;
      const pred = predictNetworkJs(net, v.X, v.rows);
      const loss =
        o.loss === "mse"
          ? mseLoss(pred, v.Y, v.rows * outputs)
          : bceLoss(pred, v.Y, v.rows * outputs);
      validationLosses.push(loss);
      if (loss < best) {
        best = loss;
        bestEpoch = epoch;
        bestParams = net.params.slice();
        bestBuffers = net.buffers.slice();
      } else if (o.patience !== undefined && epoch - bestEpoch >= o.patience) break;
    } else bestEpoch = epoch;
  }
  if (bestParams !== undefined && bestBuffers !== undefined) {
    net.params.set(bestParams);
    net.buffers.set(bestBuffers);
  }
  return { losses, validationLosses, bestEpoch };
}
