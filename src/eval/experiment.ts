/**
 * The evaluation protocol of the PyOD reference (shared/reference/pyod/README.md): for each seed,
 * split rows into train and test, fit a StandardScaler on train (population std, zero std → 1),
 * fit the detector on the scaled train rows (its `seed` = the split seed unless given), score the
 * scaled test rows, and measure ROC AUC and average precision (non-finite scores counted as 0).
 */
import { performance } from "node:perf_hooks";
import { takeRows, type Matrix } from "../core/matrix.js";
import { applyScaler, fitStandardScaler } from "../core/stats.js";
import { getDetector } from "../detectors/registry.js";
import { fit, resolveParams, score, type Model } from "../detectors/model.js";
import { averagePrecision, rocAuc } from "./metrics.js";
import type { Split } from "./splits.js";

export interface SeedResult {
  readonly seed: number;
  readonly rocAuc: number;
  readonly averagePrecision: number;
  readonly fitSeconds: number;
  readonly scoreSeconds: number;
}

export interface EvalResult {
  readonly dataset: string;
  readonly detector: string;
  readonly params: Record<string, unknown>;
  readonly perSeed: SeedResult[];
  readonly mean: Omit<SeedResult, "seed">;
}

export interface SeedRun {
  readonly result: SeedResult;
  readonly model: Model;
  readonly testScores: Float64Array;
}

/** One seed of the protocol. `labels` are 0/1 for every row of X. */
export function runSeed(
  X: Matrix,
  labels: Uint8Array,
  split: Split,
  detector: string,
  params: Record<string, unknown> = {},
): SeedRun {
  const def = getDetector(detector);
  const seeded =
    "seed" in def.params.shape && params.seed === undefined
      ? { ...params, seed: split.seed }
      : params;
  const rawTrain = takeRows(X, split.train);
  const scaler = fitStandardScaler(rawTrain);
  const train = applyScaler(scaler, rawTrain);
  const test = applyScaler(scaler, takeRows(X, split.test));
  const t0 = performance.now();
  const model = fit(def, train, seeded);
  const t1 = performance.now();
  const testScores = score(model, test);
  const t2 = performance.now();
  const finite = testScores.map((s) => (Number.isFinite(s) ? s : 0));
  const testLabels = Uint8Array.from(split.test, (i) => labels[i]);
  return {
    model,
    testScores,
    result: {
      seed: split.seed,
      rocAuc: rocAuc(testLabels, finite),
      averagePrecision: averagePrecision(testLabels, finite),
      fitSeconds: (t1 - t0) / 1000,
      scoreSeconds: (t2 - t1) / 1000,
    },
  };
}

export function evaluate(
  dataset: string,
  X: Matrix,
  labels: Uint8Array,
  splits: readonly Split[],
  detector: string,
  params: Record<string, unknown> = {},
): EvalResult {
  const def = getDetector(detector);
  const perSeed = splits.map((split) => runSeed(X, labels, split, detector, params).result);
  // Report the params in full (defaults filled in); a seed that follows each split is left out.
  const resolved = resolveParams(def, params);
  if (params.seed === undefined) delete resolved.seed;
  const avg = (key: keyof Omit<SeedResult, "seed">): number =>
    perSeed.reduce((sum, r) => sum + r[key], 0) / perSeed.length;
  return {
    dataset,
    detector: def.name,
    params: resolved,
    perSeed,
    mean: {
      rocAuc: avg("rocAuc"),
      averagePrecision: avg("averagePrecision"),
      fitSeconds: avg("fitSeconds"),
      scoreSeconds: avg("scoreSeconds"),
    },
  };
}
