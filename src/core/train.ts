/**
 * Training a network (core/nn.ts) by mini-batch Adam: losses, the optimiser, and the epoch loop
 * with shuffling, an optional validation split and early stopping.
 *
 * Semantics follow torch, because the models we reproduce are torch models: MSELoss and
 * BCELoss average over every element; Adam (Kingma & Ba 2015) with bias correction and
 * `weight_decay` added to the gradient as an L2 term (torch.optim.Adam, not AdamW); a
 * DataLoader with `shuffle=True` draws a new permutation each epoch.
 */
import {
  backwardStep,
  dropoutDrawsFrom,
  forwardStep,
  predictNetwork,
  trainingPass,
  type DropoutDraws,
  type Network,
  type TrainingPass,
} from "./nn.js";
import { Arena, type NnKernels } from "./nn-engine.js";
import { ParamError } from "./errors.js";
import { Random } from "./random.js";

export type Loss = "mse" | "bce";

/**
 * Mean squared error over all `length` elements; writes dL/d(output) into `grad`.
 */
export function mseLoss(
  output: Float64Array,
  target: Float64Array,
  length: number,
  grad?: Float64Array,
): number {
  let sum = 0;
  const f = 2 / length;
  for (let i = 0; i < length; i++) {
    const e = output[i] - target[i];
    sum += e * e;
    if (grad !== undefined) grad[i] = f * e;
  }
  return sum / length;
}

/**
 * Binary cross-entropy of probabilities `p` (a sigmoid's outputs) against 0/1 targets, averaged
 * over `length` elements, with torch's clamp of each log at −100. Writes dL/d(the sigmoid's
 * input) = (p − y)/length into `grad`: fusing the two derivatives avoids dividing by p(1 − p),
 * which is zero when the sigmoid saturates. Optional per-element weights (class weights).
 */
export function bceLoss(
  p: Float64Array,
  target: Float64Array,
  length: number,
  grad?: Float64Array,
  weights?: Float64Array,
): number {
  let sum = 0;
  for (let i = 0; i < length; i++) {
    const y = target[i];
    const w = weights === undefined ? 1 : weights[i];
    const logP = Math.max(Math.log(p[i]), -100);
    const logQ = Math.max(Math.log(1 - p[i]), -100);
    sum -= w * (y * logP + (1 - y) * logQ);
    if (grad !== undefined) grad[i] = (w * (p[i] - y)) / length;
  }
  return sum / length;
}

export interface AdamOptions {
  readonly lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  /** L2 penalty added to the gradient (torch Adam's weight_decay). */
  readonly weightDecay: number;
}

export const adamDefaults: AdamOptions = {
  lr: 1e-3,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  weightDecay: 0,
};

export interface AdamState {
  readonly m: Float64Array;
  readonly v: Float64Array;
  step: number;
}

export function adamState(size: number): AdamState {
  return { m: new Float64Array(size), v: new Float64Array(size), step: 0 };
}

/** One Adam update of `params` from `grads`, in place. */
export function adamStep(
  params: Float64Array,
  grads: Float64Array,
  s: AdamState,
  o: AdamOptions,
): void {
  s.step++;
  const c1 = 1 - Math.pow(o.beta1, s.step);
  const c2 = 1 - Math.pow(o.beta2, s.step);
  const stepSize = o.lr / c1;
  const sqrtC2 = Math.sqrt(c2);
  const { m, v } = s;
  const b1 = o.beta1;
  const b2 = o.beta2;
  const wd = o.weightDecay;
  for (let i = 0; i < params.length; i++) {
    const g = grads[i] + wd * params[i];
    m[i] = b1 * m[i] + (1 - b1) * g;
    v[i] = b2 * v[i] + (1 - b2) * g * g;
    // torch: p −= lr/c1 · m / (√v/√c2 + eps)
    params[i] -= (stepSize * m[i]) / (Math.sqrt(v[i]) / sqrtC2 + o.eps);
  }
}

/** Every random choice of a training run: each epoch's batch order and the dropout masks. */
export interface TrainingRandomness extends DropoutDraws {
  /** Rearranges `order` (a permutation of the row indices) into the next epoch's order. */
  epochOrder(order: Int32Array): void;
}

/** A run's random choices from our own generator: the order reshuffled in place each epoch. */
export function seededRandomness(seed: number): TrainingRandomness {
  const rng = new Random(seed);
  return { ...dropoutDrawsFrom(rng), epochOrder: (order) => void rng.shuffle(order) };
}

export interface TrainOptions {
  readonly loss: Loss;
  readonly epochs: number;
  readonly batchSize: number;
  readonly adam: AdamOptions;
  /** Drop the last, short batch of each epoch (PyOD's DataLoader does). */
  readonly dropLast: boolean;
  readonly seed: number;
  /** Where the random choices come from instead of `seed` (replaying another library's run). */
  readonly randomness?: TrainingRandomness;
  /** Rows held out to watch the loss; training stops after `patience` epochs without a gain. */
  readonly validation?: {
    readonly X: Float64Array;
    readonly Y: Float64Array;
    readonly rows: number;
  };
  readonly patience?: number;
  /** Per-row weights of the loss (class weights), same order as the training rows. */
  readonly rowWeights?: Float64Array;
}

export interface TrainReport {
  /** Mean training loss of each epoch run. */
  readonly losses: number[];
  /** Validation loss after each epoch (empty without validation). */
  readonly validationLosses: number[];
  /** Epoch (0-based) whose weights the network ends with. */
  readonly bestEpoch: number;
}

/**
 * Trains `net` in place to map rows of X (n × inputs) to rows of Y (n × outputs). Each epoch
 * shuffles the rows with the seeded generator, so one seed gives one result.
 *
 * The data, the optimiser state and the training pass live in one kernel instance's memory for
 * the whole run (core/nn-engine.ts): a step gathers its batch, runs forward, loss, backward and
 * Adam as kernel calls, and nothing is allocated or copied per step. `net` gets the trained
 * parameters at the end.
 */
export function trainNetwork(
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
  const randomness = o.randomness ?? seededRandomness(o.seed);
  const hasBatchNorm = net.layers.some((l) => l.batchNorm);
  // A training set smaller than one batch is one batch (torch with drop_last would not train).
  const batchSize = Math.min(o.batchSize, n);
  // An autoencoder's targets are its inputs: one copy serves both.
  const sameTargets = Y === X;
  const arena = new Arena();
  const at = {
    X: arena.takeF64(n * inputs),
    Y: sameTargets ? 0 : arena.takeF64(n * outputs),
    weights: o.rowWeights === undefined ? 0 : arena.takeF64(n),
    order: arena.take(n * 4),
    batchY: sameTargets ? 0 : arena.takeF64(batchSize * outputs),
    batchW: o.rowWeights === undefined ? 0 : arena.takeF64(batchSize * outputs),
    m: arena.takeF64(net.params.length),
    v: arena.takeF64(net.params.length),
  };
  const pass = trainingPass(net, batchSize, arena);
  const k = arena.k;
  arena.f64(at.X, n * inputs).set(X.subarray(0, n * inputs));
  if (!sameTargets) arena.f64(at.Y, n * outputs).set(Y.subarray(0, n * outputs));
  const order = arena.i32(at.order, n);
  for (let i = 0; i < n; i++) order[i] = i;
  const batchW = at.batchW === 0 ? undefined : arena.f64(at.batchW, batchSize * outputs);
  const adam = { step: 0 };
  const losses: number[] = [];
  const validationLosses: number[] = [];
  let best = Infinity;
  let bestEpoch = -1;
  let bestParams: Float64Array | undefined;
  let bestBuffers: Float64Array | undefined;
  const fullBatches = Math.floor(n / batchSize);
  const batches = o.dropLast ? fullBatches : Math.ceil(n / batchSize);
  const trained: Network = { layers: net.layers, params: pass.params, buffers: pass.buffers };
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    randomness.epochOrder(order);
    let lossSum = 0;
    let counted = 0;
    for (let b = 0; b < batches; b++) {
      const start = b * batchSize;
      const rows = Math.min(batchSize, n - start);
      // Batch norm cannot normalise a single row (torch refuses it).
      if (hasBatchNorm && rows < 2) continue;
      k.nnGather(at.X, inputs, at.order, start, rows, pass.at.input);
      const targets = sameTargets ? pass.at.input : at.batchY;
      if (!sameTargets) k.nnGather(at.Y, outputs, at.order, start, rows, at.batchY);
      if (batchW !== undefined && o.rowWeights !== undefined) {
        for (let r = 0; r < rows; r++)
          batchW.fill(o.rowWeights[order[start + r]], r * outputs, (r + 1) * outputs);
      }
      const out = forwardStep(pass, rows, randomness, true);
      const length = rows * outputs;
      const loss =
        o.loss === "mse"
          ? k.nnMse(out, targets, length, pass.at.outputGrad)
          : k.nnBce(out, targets, at.batchW, length, pass.at.outputGrad);
      lossSum += loss;
      counted++;
      backwardStep(pass, o.loss === "bce");
      adamKernelStep(k, pass, at.m, at.v, adam, o.adam);
    }
    losses.push(counted > 0 ? lossSum / counted : NaN);
    if (o.validation !== undefined && o.validation.rows > 0) {
      const v = o.validation;
      const pred = predictNetwork(trained, v.X, v.rows);
      const loss =
        o.loss === "mse"
          ? mseLoss(pred, v.Y, v.rows * outputs)
          : bceLoss(pred, v.Y, v.rows * outputs);
      validationLosses.push(loss);
      if (loss < best) {
        best = loss;
        bestEpoch = epoch;
        bestParams = pass.params.slice();
        bestBuffers = pass.buffers.slice();
      } else if (o.patience !== undefined && epoch - bestEpoch >= o.patience) break;
    } else bestEpoch = epoch;
  }
  net.params.set(bestParams ?? pass.params);
  net.buffers.set(bestBuffers ?? pass.buffers);
  return { losses, validationLosses, bestEpoch };
}

/** adamStep on the kernel, over the pass's parameters and gradient. */
function adamKernelStep(
  k: NnKernels,
  pass: TrainingPass,
  mAt: number,
  vAt: number,
  s: { step: number },
  o: AdamOptions,
): void {
  s.step++;
  const c1 = 1 - Math.pow(o.beta1, s.step);
  const c2 = 1 - Math.pow(o.beta2, s.step);
  k.nnAdam(
    pass.at.params,
    pass.at.grads,
    mAt,
    vAt,
    pass.params.length,
    o.lr / c1,
    o.beta1,
    o.beta2,
    o.eps,
    o.weightDecay,
    Math.sqrt(c2),
  );
}
