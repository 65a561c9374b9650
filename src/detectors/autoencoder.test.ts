import { test } from "node:test";
import assert from "node:assert/strict";
import { matrix } from "../core/matrix.js";
import { Random } from "../core/random.js";
import { fit, predict, score } from "./model.js";
import { layout } from "../core/nn.js";
import { TorchCpuGenerator } from "../core/replay-random.js";
import {
  autoencoder,
  autoencoderLayers,
  NETWORK_FLOWS_NOTEBOOK,
  torchInitialNetwork,
} from "./autoencoder.js";
import * as torchRun from "./autoencoder-torch.fixture.js";

test("autoencoder defaults are PyOD 3.x AutoEncoder's", () => {
  const p = autoencoder.params.parse({});
  assert.deepEqual(p.hiddenNeuronList, [64, 32]);
  assert.equal(p.hiddenActivationName, "relu");
  assert.equal(p.batchNorm, true);
  assert.equal(p.dropoutRate, 0.2);
  assert.equal(p.epochNum, 10);
  assert.equal(p.batchSize, 32);
  assert.equal(p.lr, 1e-3);
  assert.equal(p.weightDecay, 1e-5);
  assert.equal(p.preprocessing, true);
  // d → 64 → 32 → 64 → d, the output layer linear without batch norm or dropout.
  const layers = autoencoderLayers(7, p);
  assert.deepEqual(
    layers.map((l) => [l.inputs, l.units]),
    [
      [7, 64],
      [64, 32],
      [32, 64],
      [64, 7],
    ],
  );
  assert.deepEqual(
    layers.map((l) => [l.activation, l.batchNorm, l.dropout]),
    [
      ["relu", true, 0.2],
      ["relu", true, 0.2],
      ["relu", true, 0.2],
      ["linear", false, 0],
    ],
  );
});

/** Rows on a 2-dimensional plane inside 6 dimensions, plus off-plane outliers. */
function planeData(seed: number, n: number, outliers: number) {
  const rng = new Random(seed);
  const d = 6;
  const data = new Float64Array((n + outliers) * d);
  for (let i = 0; i < n + outliers; i++) {
    const a = rng.normal();
    const b = rng.normal();
    for (let j = 0; j < d; j++) data[i * d + j] = (j % 2 === 0 ? a : b) * (1 + j / 3);
    if (i >= n) for (let j = 0; j < d; j++) data[i * d + j] += (j % 3 === 1 ? 3 : -3) * rng.float();
  }
  return matrix(n + outliers, d, data);
}

test("autoencoder: off-structure rows reconstruct worse than rows of the learnt structure", () => {
  const X = planeData(3, 500, 0);
  const model = fit("autoencoder", X, { epochNum: 30, seed: 1 });
  const probe = planeData(4, 50, 10);
  const s = score(model, probe);
  const inlier = s.subarray(0, 50).reduce((a, b) => a + b, 0) / 50;
  const outlier = s.subarray(50).reduce((a, b) => a + b, 0) / 10;
  assert.ok(outlier > 2 * inlier, `outliers ${outlier} vs inliers ${inlier}`);
});

test("autoencoder: one seed gives identical scores, another seed different ones", () => {
  const X = planeData(5, 120, 5);
  const a = fit("autoencoder", X, { seed: 3 });
  const b = fit("autoencoder", X, { seed: 3 });
  const c = fit("autoencoder", X, { seed: 4 });
  assert.deepEqual(Array.from(a.trainingScores), Array.from(b.trainingScores));
  assert.notDeepEqual(Array.from(a.trainingScores), Array.from(c.trainingScores));
});

test("autoencoder: the network-flows notebook's configuration is expressible", () => {
  const X = planeData(6, 300, 6);
  const params = { ...NETWORK_FLOWS_NOTEBOOK, labelRule: "mad" };
  const layers = autoencoderLayers(6, autoencoder.params.parse(params));
  assert.deepEqual(
    layers.map((l) => l.dropout),
    [0.2, 0, 0, 0],
  );
  const model = fit("autoencoder", X, params);
  assert.ok(Number.isFinite(model.threshold));
  assert.throws(() => fit("autoencoder", X, { ...params, dropoutRate: [0.2] }), /3 hidden blocks/);
});

test("autoencoder: MAD rule labels rows whose modified z-score exceeds the threshold", () => {
  const X = planeData(7, 300, 0);
  const model = fit("autoencoder", X, { labelRule: "mad", madThreshold: 3.5 });
  const s = model.trainingScores;
  const sorted = Array.from(s).sort((a, b) => a - b);
  const median = (v: number[]) => (v[(v.length - 1) >> 1] + v[v.length >> 1]) / 2;
  const m = median(sorted);
  const mad = median(sorted.map((v) => Math.abs(v - m)).sort((a, b) => a - b));
  const labels = predict(model, X);
  s.forEach((v, i) => assert.equal(labels[i], (0.6745 * (v - m)) / mad > 3.5 ? 1 : 0));
});

test("autoencoder: more features than rows still fits (documented: no error)", () => {
  const rng = new Random(8);
  const X = matrix(
    10,
    40,
    Float64Array.from({ length: 400 }, () => rng.normal()),
  );
  const model = fit("autoencoder", X);
  for (const v of model.trainingScores) assert.ok(Number.isFinite(v));
});

/** The fixture's configuration: PyOD's AutoEncoder with smaller layers, recorded from torch. */
const torchConfig = {
  hiddenNeuronList: torchRun.hiddenNeuronList,
  epochNum: torchRun.epochNum,
  batchSize: torchRun.batchSize,
  dropoutRate: torchRun.dropoutRate,
  seed: torchRun.seed,
};
const torchData = matrix(
  torchRun.data.length / torchRun.features,
  torchRun.features,
  Float64Array.from(torchRun.data),
);

test('autoencoder randomStream "torch": the initial network is the one torch draws for the seed', () => {
  const layers = autoencoderLayers(torchRun.features, autoencoder.params.parse(torchConfig));
  const net = torchInitialNetwork(layers, "kaimingUniform", new TorchCpuGenerator(torchRun.seed));
  // Exact: the same float32 values, drawn in torch's order.
  assert.deepEqual(Array.from(net.params), torchRun.initialParams);
  assert.throws(
    () => torchInitialNetwork(layers, "glorotUniform", new TorchCpuGenerator(0)),
    /glorotUniform/,
  );
});

test('autoencoder randomStream "torch": training takes torch\'s batches and dropout masks', () => {
  const layers = autoencoderLayers(torchRun.features, autoencoder.params.parse(torchConfig));
  const { offsets } = layout(layers);
  // A bias followed by batch norm has a zero gradient but for rounding noise, which Adam
  // normalises into steps of up to lr: torch's and ours walk apart by ~1e-3 there without
  // changing any output. Every other parameter must follow torch's float32 run.
  const preNormBias = new Set<number>();
  layers.forEach((l, k) => {
    if (l.batchNorm) for (let u = 0; u < l.units; u++) preNormBias.add(offsets[k].bias + u);
  });
  const gap = (stream: "torch" | "anomalog"): { params: number; scores: number } => {
    const model = fit("autoencoder", torchData, { ...torchConfig, randomStream: stream });
    const trained = (model.state as { params: Float64Array }).params;
    let paramGap = 0;
    trained.forEach((v, i) => {
      if (!preNormBias.has(i))
        paramGap = Math.max(paramGap, Math.abs(v - torchRun.trainedParams[i]));
    });
    const scores = score(model, torchData);
    let scoreGap = 0;
    scores.forEach((v, i) => {
      scoreGap = Math.max(scoreGap, Math.abs(v - torchRun.scores[i]) / torchRun.scores[i]);
    });
    return { params: paramGap, scores: scoreGap };
  };
  const replayed = gap("torch");
  assert.ok(replayed.params < 1e-5, `parameters off torch's by ${replayed.params}`);
  // The running means absorb the pre-norm biases' walk: scores agree to a few 1e-4.
  assert.ok(replayed.scores < 2e-3, `scores off torch's by ${replayed.scores}`);
  // Our own stream trains another network: the check above tells the two apart.
  const own = gap("anomalog");
  assert.ok(own.params > 0.1 && own.scores > 0.05, JSON.stringify(own));
});
