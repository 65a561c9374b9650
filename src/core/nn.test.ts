import { test } from "node:test";
import assert from "node:assert/strict";
import { Random } from "./random.js";
import {
  activations,
  backward,
  forwardTrain,
  initNetwork,
  predictNetwork,
  trainingPass,
  type Activation,
  type LayerSpec,
  type Network,
} from "./nn.js";
import { adamDefaults, adamState, adamStep, bceLoss, mseLoss, trainNetwork } from "./train.js";
import { predictNetworkJs, trainNetworkJs } from "./nn-reference.js";

function layer(
  inputs: number,
  units: number,
  activation: Activation,
  extra: Partial<LayerSpec> = {},
): LayerSpec {
  return { inputs, units, activation, bias: true, batchNorm: false, dropout: 0, ...extra };
}

function randomData(rows: number, cols: number, seed: number): Float64Array {
  const rng = new Random(seed);
  return Float64Array.from({ length: rows * cols }, () => rng.normal());
}

/**
 * Compares backward's gradient with central finite differences of the loss, for every
 * parameter. Dropout masks are the same in every pass because each pass gets a generator with
 * the same seed.
 */
function checkGradients(net: Network, loss: "mse" | "bce", rows = 5): void {
  const inputs = net.layers[0].inputs;
  const outputs = net.layers[net.layers.length - 1].units;
  const X = randomData(rows, inputs, 11);
  const rng = new Random(12);
  const Y =
    loss === "mse"
      ? randomData(rows, outputs, 13)
      : Float64Array.from({ length: rows * outputs }, () => (rng.float() < 0.5 ? 1 : 0));
  const pass = trainingPass(net, rows);
  const lossAt = (grad?: Float64Array): number => {
    const out = forwardTrain(pass, X, rows, new Random(99), false);
    return loss === "mse"
      ? mseLoss(out, Y, rows * outputs, grad)
      : bceLoss(out, Y, rows * outputs, grad);
  };
  const g = new Float64Array(rows * outputs);
  lossAt(g);
  const analytic = backward(pass, g, loss === "bce").slice();
  const h = 1e-6;
  let worst = 0;
  for (let p = 0; p < net.params.length; p++) {
    const saved = net.params[p];
    net.params[p] = saved + h;
    const up = lossAt();
    net.params[p] = saved - h;
    const down = lossAt();
    net.params[p] = saved;
    const numeric = (up - down) / (2 * h);
    const err =
      Math.abs(numeric - analytic[p]) / Math.max(1e-4, Math.abs(numeric) + Math.abs(analytic[p]));
    if (err > worst) worst = err;
  }
  assert.ok(worst < 1e-5, `worst relative gradient error ${worst}`);
}

for (const activation of activations) {
  test(`gradients match finite differences: dense + ${activation}, MSE`, () => {
    const layers = [layer(4, 6, activation), layer(6, 3, "linear")];
    checkGradients(initNetwork(layers, "kaimingUniform", new Random(1)), "mse");
  });
}

test("gradients match finite differences: batch norm, dropout, no bias", () => {
  const layers = [
    layer(5, 7, "relu", { batchNorm: true, dropout: 0.3 }),
    layer(7, 4, "tanh", { batchNorm: true, bias: false }),
    layer(4, 5, "linear"),
  ];
  const net = initNetwork(layers, "kaimingUniform", new Random(2));
  // Non-trivial γ and β, so their gradients are tested away from the initial 1 and 0.
  const rng = new Random(3);
  for (let i = 0; i < net.params.length; i++) net.params[i] += 0.1 * rng.normal();
  checkGradients(net, "mse", 8);
});

test("gradients match finite differences: sigmoid output with binary cross-entropy", () => {
  const layers = [layer(3, 8, "relu"), layer(8, 4, "elu"), layer(4, 1, "sigmoid")];
  checkGradients(initNetwork(layers, "torchDefault", new Random(4)), "bce", 9);
});

test("initialisations have the documented ranges", () => {
  const layers = [layer(24, 50, "relu")];
  const w = (init: "kaimingUniform" | "torchDefault" | "glorotUniform") =>
    initNetwork(layers, init, new Random(5)).params.subarray(0, 24 * 50);
  const maxAbs = (a: Float64Array) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  assert.ok(maxAbs(w("kaimingUniform")) <= 0.5 && maxAbs(w("kaimingUniform")) > 0.45);
  assert.ok(maxAbs(w("torchDefault")) <= 1 / Math.sqrt(24));
  assert.ok(maxAbs(w("glorotUniform")) <= Math.sqrt(6 / 74));
  const normal = initNetwork([layer(200, 100, "tanh", { bias: false })], "normal", new Random(6));
  const sd = Math.sqrt(normal.params.reduce((s, v) => s + v * v, 0) / normal.params.length);
  assert.ok(Math.abs(sd - 1) < 0.02, `sd ${sd}`);
});

test("Adam's first step moves each parameter by lr against its gradient's sign", () => {
  const params = Float64Array.of(1, -2, 3);
  const grads = Float64Array.of(0.5, -4, 1e-3);
  adamStep(params, grads, adamState(3), adamDefaults);
  const moved = [1 - params[0], -2 - params[1], 3 - params[2]];
  for (const [k, m] of moved.entries()) {
    assert.ok(Math.abs(Math.abs(m) - 1e-3) < 1e-8, `param ${k} moved ${m}`);
    assert.equal(Math.sign(m), Math.sign(grads[k]));
  }
});

test("inference uses batch norm's running statistics and no dropout", () => {
  const layers = [layer(3, 4, "linear", { batchNorm: true, dropout: 0.5 })];
  const net = initNetwork(layers, "kaimingUniform", new Random(7));
  const X = randomData(10, 3, 8);
  const a = predictNetwork(net, X, 10);
  const one = predictNetwork(net, X.subarray(3, 6), 1);
  assert.deepEqual(Array.from(one), Array.from(a.subarray(4, 8)));
  // Fresh running stats (mean 0, var 1): the output is the linear layer scaled by 1/√(1 + ε).
  const W = net.params.subarray(0, 12);
  const b = net.params.subarray(12, 16);
  let z = b[0];
  for (let j = 0; j < 3; j++) z += X[j] * W[j];
  assert.ok(Math.abs(a[0] - z / Math.sqrt(1 + 1e-5)) < 1e-12);
});

test("training is reproducible per seed and learns a non-linear target", () => {
  const n = 400;
  const X = randomData(n, 2, 20);
  // XOR of signs: no linear model separates it.
  const Y = new Float64Array(n);
  for (let i = 0; i < n; i++) Y[i] = X[2 * i] * X[2 * i + 1] > 0 ? 1 : 0;
  const run = (seed: number) => {
    const net = initNetwork(
      [layer(2, 16, "relu"), layer(16, 8, "relu"), layer(8, 1, "sigmoid")],
      "torchDefault",
      new Random(seed),
    );
    const report = trainNetwork(net, X, Y, n, {
      loss: "bce",
      epochs: 60,
      batchSize: 32,
      adam: { ...adamDefaults, lr: 0.01 },
      dropLast: false,
      seed,
    });
    return { net, report };
  };
  const a = run(1);
  const b = run(1);
  const c = run(2);
  assert.deepEqual(Array.from(a.net.params), Array.from(b.net.params));
  assert.notDeepEqual(Array.from(a.net.params), Array.from(c.net.params));
  assert.ok(a.report.losses[a.report.losses.length - 1] < 0.5 * a.report.losses[0]);
  const p = predictNetwork(a.net, X, n);
  let correct = 0;
  for (let i = 0; i < n; i++) if (p[i] > 0.5 === (Y[i] === 1)) correct++;
  assert.ok(correct / n > 0.9, `accuracy ${correct / n}`);
});

test("early stopping keeps the weights of the best validation epoch", () => {
  const n = 200;
  const X = randomData(n, 3, 30);
  const Y = X.slice();
  const net = initNetwork(
    [layer(3, 2, "linear"), layer(2, 3, "linear")],
    "kaimingUniform",
    new Random(31),
  );
  const V = randomData(50, 3, 32);
  const report = trainNetwork(net, X, Y, n, {
    loss: "mse",
    epochs: 40,
    batchSize: 16,
    adam: adamDefaults,
    dropLast: true,
    seed: 3,
    validation: { X: V, Y: V, rows: 50 },
    patience: 2,
  });
  const best = Math.min(...report.validationLosses);
  assert.equal(report.validationLosses[report.bestEpoch], best);
  const now = mseLoss(predictNetwork(net, V, 50), V, 150);
  assert.ok(Math.abs(now - best) < 1e-12);
});

/** Largest |a − b| / max(|b|, 1e-3) over two arrays of the same length. */
function worstRelative(a: Float64Array, b: Float64Array): number {
  assert.equal(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++)
    worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(Math.abs(b[i]), 1e-3));
  return worst;
}

test("the WebAssembly engine trains as the JavaScript reference does, to rounding", () => {
  // Same init, batch order and dropout masks: only the order of rounding differs (products sum
  // in another order), so after 5 epochs the parameters agree to about 1e-10.
  const n = 300;
  const d = 7;
  const X = randomData(n, d, 40);
  const layers = [
    layer(d, 9, "relu", { batchNorm: true, dropout: 0.2 }),
    layer(9, 5, "tanh", { batchNorm: true, dropout: 0.2 }),
    layer(5, 9, "elu", { bias: false, dropout: 0.1 }),
    layer(9, d, "linear"),
  ];
  const options = {
    loss: "mse" as const,
    epochs: 5,
    batchSize: 32,
    adam: { ...adamDefaults, weightDecay: 1e-5 },
    dropLast: true,
    seed: 9,
  };
  const engine = initNetwork(layers, "kaimingUniform", new Random(41));
  const reference = initNetwork(layers, "kaimingUniform", new Random(41));
  const a = trainNetwork(engine, X, X, n, options);
  const b = trainNetworkJs(reference, X, X, n, options);
  assert.ok(worstRelative(engine.params, reference.params) < 1e-8);
  assert.ok(worstRelative(engine.buffers, reference.buffers) < 1e-8);
  assert.ok(worstRelative(Float64Array.from(a.losses), Float64Array.from(b.losses)) < 1e-10);
  const p = predictNetwork(engine, X, n);
  assert.ok(worstRelative(p, predictNetworkJs(engine, X, n)) < 1e-12);
});

test("the WebAssembly engine matches the reference on weighted cross-entropy with validation", () => {
  const n = 250;
  const X = randomData(n, 4, 50);
  const Y = Float64Array.from({ length: n }, (_, i) => (X[4 * i] + X[4 * i + 1] > 0.5 ? 1 : 0));
  const weights = Float64Array.from(Y, (y) => (y === 1 ? 3 : 0.6));
  const V = randomData(40, 4, 51);
  const VY = Float64Array.from({ length: 40 }, (_, i) => (V[4 * i] > 0 ? 1 : 0));
  const layers = [layer(4, 6, "relu"), layer(6, 1, "sigmoid")];
  const options = {
    loss: "bce" as const,
    epochs: 6,
    batchSize: 64,
    adam: adamDefaults,
    dropLast: false,
    seed: 3,
    validation: { X: V, Y: VY, rows: 40 },
    patience: 2,
    rowWeights: weights,
  };
  const engine = initNetwork(layers, "torchDefault", new Random(52));
  const reference = initNetwork(layers, "torchDefault", new Random(52));
  const a = trainNetwork(engine, X, Y, n, options);
  const b = trainNetworkJs(reference, X, Y, n, options);
  assert.equal(a.bestEpoch, b.bestEpoch);
  assert.ok(worstRelative(engine.params, reference.params) < 1e-10);
});
