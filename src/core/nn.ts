/**
 * A small dense neural network engine: the networks of PyOD's AutoEncoder, DIF's random
 * representation nets and the BETH notebook's MLP, on Float64Arrays.
 *
 * A network is a stack of dense layers, each `linear → batch norm (optional) → activation →
 * dropout (optional)`, the order of PyOD's LinearBlock (torch_utility.py) and of a Keras
 * `Dense(activation)` followed by `Dropout`. Weights are stored as torch does (out × in,
 * row-major), so a layer's output is X · Wᵀ + b. Every parameter of the network lives in one flat Float64Array
 * (`params`, what the optimiser updates) and the batch-norm running statistics in another
 * (`buffers`), so a saved network is two arrays plus its spec.
 *
 * The arithmetic runs in WebAssembly (assembly/nn.ts, laid out by core/nn-engine.ts): a training
 * pass holds the parameters, their gradient and every intermediate of a forward pass for the
 * largest batch in kernel memory, so a step allocates nothing and JavaScript only sequences the
 * kernels; `backward` walks the intermediates in reverse and writes the gradient into one array
 * shaped like `params`. core/nn-reference.ts is the same engine in plain JavaScript, kept as the
 * tests' reference.
 */
import { ACTIVATION_CODE, Arena, withSharedArena, type NnKernels } from "./nn-engine.js";
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

/** torch BatchNorm1d defaults. */
const BN_EPS = 1e-5;
const BN_MOMENTUM = 0.1;

export interface LayerOffsets {
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
      rng.fillNormal(params, o.weight, o.weight + nW);
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

/**
 * Doubles in one layer's output for a block of rows when running a trained network: 64 Ki
 * doubles (512 KiB) keep a block's activations in the L2 cache between the product that writes
 * them and the passes that read them (a 4096-row block of DIF's 500-wide layer, 16 MiB, made
 * those passes wait on memory).
 */
const INFER_BLOCK_DOUBLES = 65536;

/** Byte offset of parameter `index` in a params region at `at`. */
const f64At = (at: number, index: number): number => at + index * 8;

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
  const block = Math.max(16, Math.floor(INFER_BLOCK_DOUBLES / widest));
  const blockRows = Math.min(block, n);
  return withSharedArena((arena) => {
    const k = arena.k;
    const paramsAt = arena.takeF64(net.params.length);
    const buffersAt = arena.takeF64(net.buffers.length);
    const transposedAt = net.layers.map((l) => arena.takeF64(l.units * l.inputs));
    const inputAt = arena.takeF64(blockRows * first.inputs);
    const bufAt = [arena.takeF64(blockRows * widest), arena.takeF64(blockRows * widest)];
    const unitScratch = arena.takeF64(widest);
    arena.commit();
    arena.f64(paramsAt, net.params.length).set(net.params);
    arena.f64(buffersAt, net.buffers.length).set(net.buffers);
    net.layers.forEach((l, j) =>
      k.nnTranspose(f64At(paramsAt, offsets[j].weight), l.units, l.inputs, transposedAt[j]),
    );
    for (let start = 0; start < n; start += block) {
      const rows = Math.min(block, n - start);
      arena
        .f64(inputAt, rows * first.inputs)
        .set(X.subarray(start * first.inputs, (start + rows) * first.inputs));
      let input = inputAt;
      net.layers.forEach((l, j) => {
        const o = offsets[j];
        const z = bufAt[j % 2];
        const bias = o.bias >= 0 ? f64At(paramsAt, o.bias) : 0;
        k.nnMatMul(input, l.inputs, 1, rows, l.inputs, transposedAt[j], l.units, bias, z);
        if (o.gamma >= 0) {
          k.nnBatchNormInfer(
            z,
            rows,
            l.units,
            f64At(paramsAt, o.gamma),
            f64At(paramsAt, o.beta),
            f64At(buffersAt, o.runningMean),
            f64At(buffersAt, o.runningVar),
            BN_EPS,
            unitScratch,
          );
        }
        k.nnActivate(ACTIVATION_CODE[l.activation], z, rows * l.units);
        input = z;
      });
      out.set(arena.f64(input, rows * last.units), start * last.units);
    }
    return out;
  });
}

/** Where one layer's training intermediates sit in kernel memory (byte offsets; 0 = none). */
interface LayerBuffers {
  /** Output of the activation (rows × units); the pre-activation is overwritten in place. */
  readonly activated: number;
  /** After dropout (rows × units), or 0 without dropout. */
  readonly dropped: number;
  readonly mask: number;
  /** 32-bit draws for the dropout mask, two units per draw. */
  readonly bits: number;
  /** Batch norm's ĥ (rows × units) and 1/σ (units), or 0. */
  readonly normalised: number;
  readonly invStd: number;
  /** Wᵀ (inputs × units), refreshed before each forward product. */
  readonly transposed: number;
}

/**
 * The buffers of training steps on batches of up to `maxRows` rows, in the kernel memory of
 * `arena`: the network's parameters and running statistics as they train (`params`, `buffers`),
 * their gradient (`grads`), the batch (`input`), dL/d(output) (`outputGrad`) and each layer's
 * intermediates. Views stay valid for the pass's life.
 */
export interface TrainingPass {
  readonly net: Network;
  readonly maxRows: number;
  rows: number;
  readonly arena: Arena;
  readonly params: Float64Array<ArrayBuffer>;
  readonly buffers: Float64Array<ArrayBuffer>;
  readonly grads: Float64Array<ArrayBuffer>;
  readonly input: Float64Array<ArrayBuffer>;
  readonly outputGrad: Float64Array<ArrayBuffer>;
  readonly at: {
    readonly params: number;
    readonly buffers: number;
    readonly grads: number;
    readonly input: number;
    readonly outputGrad: number;
    readonly scratch: readonly [number, number];
    readonly unitSums: readonly [number, number];
    readonly layers: readonly LayerBuffers[];
  };
  readonly offsets: readonly LayerOffsets[];
  /** Views of each dropout layer's draws (empty without dropout). */
  readonly bits: readonly Uint32Array[];
}

/**
 * A training pass for `net` on batches of up to `maxRows` rows, its parameters and running
 * statistics copied into kernel memory. `arena` may hold regions the caller took first (the
 * training data); the pass takes its own and commits it.
 */
export function trainingPass(net: Network, maxRows: number, arena = new Arena()): TrainingPass {
  const { offsets } = layout(net.layers);
  const widest = Math.max(net.layers[0].inputs, ...net.layers.map((l) => l.units));
  const inputs = net.layers[0].inputs;
  const outputs = net.layers[net.layers.length - 1].units;
  const paramsAt = arena.takeF64(net.params.length);
  const buffersAt = arena.takeF64(net.buffers.length);
  const gradsAt = arena.takeF64(net.params.length);
  const inputAt = arena.takeF64(maxRows * inputs);
  const outputGradAt = arena.takeF64(maxRows * outputs);
  const scratch: [number, number] = [
    arena.takeF64(maxRows * widest),
    arena.takeF64(maxRows * widest),
  ];
  const unitSums: [number, number] = [arena.takeF64(widest), arena.takeF64(widest)];
  const layers = net.layers.map((l): LayerBuffers => {
    const size = maxRows * l.units;
    const dropout = l.dropout > 0;
    return {
      activated: arena.takeF64(size),
      dropped: dropout ? arena.takeF64(size) : 0,
      mask: dropout ? arena.takeF64(size) : 0,
      bits: dropout ? arena.take(Math.ceil(size / 2) * 4) : 0,
      normalised: l.batchNorm ? arena.takeF64(size) : 0,
      invStd: l.batchNorm ? arena.takeF64(l.units) : 0,
      transposed: arena.takeF64(l.units * l.inputs),
    };
  });
  arena.commit();
  const params = arena.f64(paramsAt, net.params.length);
  const buffers = arena.f64(buffersAt, net.buffers.length);
  params.set(net.params);
  buffers.set(net.buffers);
  return {
    net,
    maxRows,
    rows: 0,
    arena,
    params,
    buffers,
    grads: arena.f64(gradsAt, net.params.length),
    input: arena.f64(inputAt, maxRows * inputs),
    outputGrad: arena.f64(outputGradAt, maxRows * outputs),
    at: {
      params: paramsAt,
      buffers: buffersAt,
      grads: gradsAt,
      input: inputAt,
      outputGrad: outputGradAt,
      scratch,
      unitSums,
      layers,
    },
    offsets,
    bits: net.layers.map((l, j) =>
      l.dropout > 0
        ? arena.u32(layers[j].bits, Math.ceil((maxRows * l.units) / 2))
        : new Uint32Array(0),
    ),
  };
}

/** Byte offset of layer k's output as the next layer sees it (after dropout, if any). */
function layerOutputAt(pass: TrainingPass, k: number): number {
  const b = pass.at.layers[k];
  return b.dropped !== 0 ? b.dropped : b.activated;
}

/**
 * Where a training step's dropout decisions come from. The kernel keeps a unit when its 16 bits
 * are below ⌊keep · 2¹⁶⌋, so a source writes ⌈units/2⌉ words, two units to a word (the lower
 * half first): uniform bits for our own generator, or bits that encode another library's
 * decisions (core/replay-random.ts).
 */
export interface DropoutDraws {
  dropoutBits(out: Uint32Array, units: number, keep: number): void;
}

/** Dropout bits straight from our generator: one 32-bit draw serves two units. */
export function dropoutDrawsFrom(rng: Random): DropoutDraws {
  return {
    dropoutBits(out: Uint32Array, units: number): void {
      rng.fillUint32(out, Math.ceil(units / 2));
    },
  };
}

/**
 * Forward pass in training mode on `rows` rows of `X`: batch norm from the batch's own mean and
 * (biased) variance, updating the running statistics as torch does (unbiased variance, momentum
 * 0.1); dropout masks drawn from `rng`. Runs on the network's current parameters (copied in);
 * returns the network's output (a view into the pass, valid until its next step).
 */
export function forwardTrain(
  pass: TrainingPass,
  X: Float64Array,
  rows: number,
  rng: Random,
  updateRunningStats = true,
): Float64Array {
  if (rows > pass.maxRows) throw new ShapeError(`batch of ${rows} rows > ${pass.maxRows}`);
  pass.params.set(pass.net.params);
  pass.buffers.set(pass.net.buffers);
  pass.input.set(X.subarray(0, rows * pass.net.layers[0].inputs));
  const outAt = forwardStep(pass, rows, dropoutDrawsFrom(rng), updateRunningStats);
  if (updateRunningStats) pass.net.buffers.set(pass.buffers);
  return pass.arena.f64(outAt, rows * pass.net.layers[pass.net.layers.length - 1].units);
}

/**
 * forwardTrain on the batch already in `pass.input` and the parameters already in `pass.params`
 * (the training loop's form: nothing copied or allocated). Returns the byte offset of the
 * output (rows × outputs) in kernel memory.
 */
export function forwardStep(
  pass: TrainingPass,
  rows: number,
  draws: DropoutDraws,
  updateRunningStats: boolean,
): number {
  const { net, offsets, at } = pass;
  const k = pass.arena.k;
  pass.rows = rows;
  let input = at.input;
  for (let j = 0; j < net.layers.length; j++) {
    const l = net.layers[j];
    const o = offsets[j];
    const b = at.layers[j];
    const size = rows * l.units;
    const bias = o.bias >= 0 ? f64At(at.params, o.bias) : 0;
    k.nnTranspose(f64At(at.params, o.weight), l.units, l.inputs, b.transposed);
    k.nnMatMul(input, l.inputs, 1, rows, l.inputs, b.transposed, l.units, bias, b.activated);
    if (l.batchNorm) batchNormForward(k, pass, j, rows, updateRunningStats);
    k.nnActivate(ACTIVATION_CODE[l.activation], b.activated, size);
    if (l.dropout > 0) {
      const keep = 1 - l.dropout;
      // 16 bits per unit: with uniform bits a unit is kept with probability ⌊keep · 2¹⁶⌋ / 2¹⁶
      // (within 2⁻¹⁶ of keep), half the generator calls of one draw per unit.
      draws.dropoutBits(pass.bits[j], size, keep);
      k.nnDropout(
        b.activated,
        size,
        b.bits,
        Math.floor(keep * 0x1_0000),
        1 / keep,
        b.mask,
        b.dropped,
      );
    }
    input = layerOutputAt(pass, j);
  }
  return input;
}

function batchNormForward(
  k: NnKernels,
  pass: TrainingPass,
  j: number,
  rows: number,
  updateRunningStats: boolean,
): void {
  const l = pass.net.layers[j];
  const o = pass.offsets[j];
  const b = pass.at.layers[j];
  const { params, buffers, unitSums } = pass.at;
  k.nnBatchNormTrain(
    b.activated,
    rows,
    l.units,
    f64At(params, o.gamma),
    f64At(params, o.beta),
    b.normalised,
    b.invStd,
    unitSums[0],
    unitSums[1],
    f64At(buffers, o.runningMean),
    f64At(buffers, o.runningVar),
    BN_EPS,
    BN_MOMENTUM,
    updateRunningStats ? 1 : 0,
  );
}

/**
 * Backward pass from dL/d(output of the last layer) — or, with `atPreActivation`, from
 * dL/d(the last layer's input to its activation), for losses fused with their activation
 * (sigmoid + binary cross-entropy). Returns dL/d(params) (`pass.grads`, a view).
 */
export function backward(
  pass: TrainingPass,
  outputGrad: Float64Array,
  atPreActivation = false,
): Float64Array {
  const last = pass.net.layers[pass.net.layers.length - 1];
  pass.outputGrad.set(outputGrad.subarray(0, pass.rows * last.units));
  return backwardStep(pass, atPreActivation);
}

/** backward from dL/d(output) already in `pass.outputGrad` (consumed as scratch). */
export function backwardStep(pass: TrainingPass, atPreActivation: boolean): Float64Array {
  const { net, offsets, rows, at } = pass;
  const k = pass.arena.k;
  let g = at.outputGrad;
  let next = 0; // which scratch buffer takes the next input gradient (never the one g is in)
  for (let j = net.layers.length - 1; j >= 0; j--) {
    const l = net.layers[j];
    const o = offsets[j];
    const b = at.layers[j];
    const units = l.units;
    if (!(j === net.layers.length - 1 && atPreActivation))
      k.nnActivationBackward(ACTIVATION_CODE[l.activation], b.activated, g, b.mask, rows * units);
    if (l.batchNorm) {
      k.nnBatchNormBackward(
        g,
        b.normalised,
        b.invStd,
        f64At(at.params, o.gamma),
        rows,
        units,
        f64At(at.grads, o.gamma),
        f64At(at.grads, o.beta),
        at.unitSums[0],
      );
    }
    if (o.bias >= 0) k.nnColumnSums(g, rows, units, f64At(at.grads, o.bias));
    const input = j === 0 ? at.input : layerOutputAt(pass, j - 1);
    // dW (units × inputs) = gᵀ · input.
    k.nnMatMul(g, 1, units, units, rows, input, l.inputs, 0, f64At(at.grads, o.weight));
    if (j > 0) {
      // d(input) (rows × inputs) = g · W.
      const dInput = at.scratch[next];
      next = 1 - next;
      k.nnMatMul(g, units, 1, rows, units, f64At(at.params, o.weight), l.inputs, 0, dInput);
      g = dInput;
    }
  }
  return pass.grads;
}
