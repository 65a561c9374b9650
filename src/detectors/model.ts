/**
 * Fitted models and the verbs on them: fit, score, predict, predictProba, save, load.
 * Contamination becomes a threshold here, in one place, with PyOD's rule.
 */
import { assertFinite, type Matrix } from "../core/matrix.js";
import { ModelFormatError, ParamError, ShapeError } from "../core/errors.js";
export { resolveParams } from "./contract.js";
import { erf, mean, percentile, std } from "../core/stats.js";
import { resolveParams, type AnyDetector } from "./contract.js";
import { getDetector } from "./registry.js";
import { decodeJson, encodeJson } from "./serialize.js";
import { z } from "zod";

export const MODEL_FORMAT = "anomalog-model";
export const MODEL_VERSION = 1;

export interface Model {
  readonly detector: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly nFeatures: number;
  readonly state: unknown;
  /** Scores of the training rows as the detector defines them (PyOD's `decision_scores_`). */
  readonly trainingScores: Float64Array;
  /**
   * Rows scoring above this are outliers: the (1 − contamination) percentile of training scores,
   * or the detector's own rule (`labelThreshold`).
   */
  readonly threshold: number;
}

/** Fits a detector by name on X. The detector is untouched; a new model is returned. */
export function fit(detector: string | AnyDetector, X: Matrix, rawParams: unknown = {}): Model {
  const { def, params } = prepareFit(detector, X, rawParams);
  const fitted = def.fit(X, params);
  const trainingScores = fitted.trainingScores ?? def.score(fitted.state, X, params);
  return finishModel(def.name, params, X.cols, fitted.state, trainingScores);
}

/** The detector and validated params of a fit, after checking the training data. */
export function prepareFit(
  detector: string | AnyDetector,
  X: Matrix,
  rawParams: unknown,
): { def: AnyDetector; params: Record<string, unknown> } {
  const def = typeof detector === "string" ? getDetector(detector) : detector;
  const params = resolveParams(def, rawParams);
  if (X.rows < 1) throw new ShapeError(`${def.name}: cannot fit on zero rows`);
  if (X.cols < 1) throw new ShapeError(`${def.name}: cannot fit on zero features`);
  assertFinite(X, "training data");
  return { def, params };
}

/**
 * A model from its parts: the threshold is the detector's own labelling rule where it has one,
 * else it follows from the training scores.
 */
export function finishModel(
  detector: string,
  params: Record<string, unknown>,
  nFeatures: number,
  state: unknown,
  trainingScores: Float64Array,
): Model {
  const threshold =
    getDetector(detector).labelThreshold?.(params, trainingScores) ??
    thresholdFromScores(trainingScores, params.contamination as number);
  return { detector, params, nFeatures, state, trainingScores, threshold };
}

/** PyOD's rule: the 100·(1 − contamination) percentile of training scores (linear). */
export function thresholdFromScores(scores: Float64Array, contamination: number): number {
  return percentile(scores, 100 * (1 - contamination));
}

/** Throws unless X can be scored by the model: the right width, finite values. */
export function checkScorable(model: Model, X: Matrix): void {
  if (X.cols !== model.nFeatures) {
    throw new ShapeError(
      `${model.detector} model was fit on ${model.nFeatures} features, got ${X.cols} ` +
        "(same columns, same order as in training? was the encoder refit?)",
    );
  }
  assertFinite(X, "data to score");
}

/** Outlier scores of new rows; higher = more anomalous. Pure and batch-invariant. */
export function score(model: Model, X: Matrix): Float64Array {
  const def = getDetector(model.detector);
  checkScorable(model, X);
  if (X.rows === 0) return new Float64Array(0);
  return def.score(model.state, X, model.params);
}

/** 1 where a score is above the model's threshold (PyOD's `predict`). */
export function labelsFromScores(scores: Float64Array, threshold: number): Uint8Array {
  const out = new Uint8Array(scores.length);
  for (let i = 0; i < scores.length; i++) out[i] = scores[i] > threshold ? 1 : 0;
  return out;
}

export function predict(model: Model, X: Matrix): Uint8Array {
  return labelsFromScores(score(model, X), model.threshold);
}

/** Training labels (PyOD's `labels_`): training scores above the threshold. */
export function trainingLabels(model: Model): Uint8Array {
  return labelsFromScores(model.trainingScores, model.threshold);
}

export type ProbaMethod = "linear" | "unify";

/**
 * Outlier probability of each row, as PyOD's `predict_proba(X, method)[:, 1]`:
 * `linear` min–max scales by the training scores' range; `unify` (Kriegel et al. 2011) is
 * erf((s − mean) / (std·√2)) with the training scores' mean and population std. Both clipped to [0, 1].
 */
export function predictProba(
  model: Model,
  X: Matrix,
  method: ProbaMethod = "linear",
): Float64Array {
  return probaFromScores(model.trainingScores, score(model, X), method);
}

export function probaFromScores(
  train: Float64Array,
  scores: Float64Array,
  method: ProbaMethod,
): Float64Array {
  const out = new Float64Array(scores.length);
  if (method === "linear") {
    let lo = Infinity;
    let hi = -Infinity;
    for (const s of train) {
      if (s < lo) lo = s;
      if (s > hi) hi = s;
    }
    // scikit-learn's MinMaxScaler treats a zero range as 1.
    const range = hi - lo === 0 ? 1 : hi - lo;
    for (let i = 0; i < scores.length; i++) out[i] = clip01((scores[i] - lo) / range);
  } else if (method === "unify") {
    const m = mean(train);
    const sd = std(train);
    for (let i = 0; i < scores.length; i++)
      out[i] = clip01(erf((scores[i] - m) / (sd * Math.SQRT2)));
  } else {
    throw new ParamError(`unknown probability method "${String(method)}" (use linear or unify)`);
  }
  return out;
}

function clip01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

const envelope = z.object({
  format: z.literal(MODEL_FORMAT),
  version: z.number(),
  detector: z.string(),
  params: z.record(z.string(), z.unknown()),
  nFeatures: z.int().min(1),
  threshold: z.number(),
  trainingScores: z.instanceof(Float64Array),
  state: z.unknown(),
});

/** A model as versioned JSON text: `{format, version, detector, params, nFeatures, threshold, trainingScores, state}`. */
export function saveModel(model: Model): string {
  return encodeJson({
    format: MODEL_FORMAT,
    version: MODEL_VERSION,
    detector: model.detector,
    params: model.params,
    nFeatures: model.nFeatures,
    threshold: model.threshold,
    trainingScores: model.trainingScores,
    state: model.state,
  });
}

/** Reads a saved model, validating every part; a corrupt file is a ModelFormatError. */
export function loadModel(text: string, source = "model"): Model {
  let raw: unknown;
  try {
    raw = decodeJson(text);
  } catch (e) {
    throw new ModelFormatError(`${source}: not a readable model file (${(e as Error).message})`);
  }
  const env = envelope.safeParse(raw);
  if (!env.success) {
    const rawFormat = (raw as { format?: unknown } | null)?.format;
    if (rawFormat !== MODEL_FORMAT) {
      throw new ModelFormatError(
        `${source}: not an anomalog model (format field is ${JSON.stringify(rawFormat)})`,
      );
    }
    throw new ModelFormatError(
      `${source}: corrupt model: ${z.prettifyError(env.error).replace(/\n/g, "; ")}`,
    );
  }
  const m = env.data;
  if (m.version !== MODEL_VERSION) {
    throw new ModelFormatError(
      `${source}: model format version ${m.version} is not supported (this anomalog reads version ${MODEL_VERSION})`,
    );
  }
  let def: AnyDetector;
  try {
    def = getDetector(m.detector);
  } catch {
    throw new ModelFormatError(`${source}: unknown detector "${m.detector}"`);
  }
  let params: Record<string, unknown>;
  try {
    params = resolveParams(def, m.params);
  } catch (e) {
    throw new ModelFormatError(`${source}: ${(e as Error).message}`);
  }
  const state = def.state.safeParse(m.state);
  if (!state.success) {
    throw new ModelFormatError(
      `${source}: corrupt ${def.name} state: ${z.prettifyError(state.error).replace(/\n/g, "; ")}`,
    );
  }
  const problem = def.checkState?.(state.data, m.nFeatures);
  if (problem !== undefined)
    throw new ModelFormatError(`${source}: corrupt ${def.name} state: ${problem}`);
  return {
    detector: def.name,
    params,
    nFeatures: m.nFeatures,
    state: state.data,
    trainingScores: m.trainingScores,
    threshold: m.threshold,
  };
}
