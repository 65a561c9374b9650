/**
 * A hunt saved for reuse (`hunt --save model.json`, `anomalog score model.json NEWFILE`): the
 * fitted feature encoder, one fitted model per detector (each with its own contamination
 * threshold) and the hunt's contamination, as versioned JSON with typed arrays (serialize.ts).
 * Scoring new logs applies exactly these: the same encoding, the same thresholds, so a row of
 * the training file scores as it did in the hunt.
 */
import { readFile, rename, rm, writeFile } from "node:fs/promises";
import { performance } from "node:perf_hooks";
import { z } from "zod";
import type { Matrix } from "../core/matrix.js";
import { ModelFormatError } from "../core/errors.js";
import { loadModel, type Model } from "../detectors/model.js";
import { scoreAsync } from "../detectors/parallel.js";
import { decodeJson, encodeJson } from "../detectors/serialize.js";
import { checkFitted, type FittedFeatures } from "../features/pipeline.js";
import type { FitReply } from "./pool.js";

export const HUNT_MODEL_FORMAT = "anomalog-hunt-model";
export const HUNT_MODEL_VERSION = 1;

export interface HuntModel {
  readonly features: FittedFeatures;
  readonly contamination: number;
  readonly detectors: readonly Model[];
  /** Each detector's name in the hunt's outputs (`vote_<name>`: knn_mean for knn's mean variant). */
  readonly names: readonly string[];
}

/** Writes the model file (through a temporary name, so a failed write leaves no half file). */
export async function saveHuntModel(
  path: string,
  features: FittedFeatures,
  contamination: number,
  savedDetectors: readonly string[],
  names: readonly string[],
): Promise<void> {
  const text = encodeJson({
    format: HUNT_MODEL_FORMAT,
    version: HUNT_MODEL_VERSION,
    contamination,
    features,
    names,
    // Each detector model as saveModel wrote it (its own format and version inside).
    detectors: savedDetectors.map((s) => decodeJson(s)),
  });
  const tmp = `${path}.partial-${process.pid}`;
  try {
    await writeFile(tmp, text);
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

const envelope = z.object({
  format: z.literal(HUNT_MODEL_FORMAT),
  version: z.number(),
  contamination: z.number().gt(0).max(0.5),
  features: z.unknown(),
  detectors: z.array(z.unknown()).min(1),
  names: z.array(z.string().min(1)).optional(),
});

export async function loadHuntModel(path: string): Promise<HuntModel> {
  let raw: unknown;
  try {
    raw = decodeJson(await readFile(path, "utf8"));
  } catch (e) {
    throw new ModelFormatError(`${path}: not a readable model file (${(e as Error).message})`);
  }
  const env = envelope.safeParse(raw);
  if (!env.success) {
    const format = (raw as { format?: unknown } | null)?.format;
    throw new ModelFormatError(
      format !== HUNT_MODEL_FORMAT
        ? `${path}: not an anomalog hunt model (format field is ${JSON.stringify(format)}; write one with hunt --save)`
        : `${path}: corrupt hunt model: ${z.prettifyError(env.error).replace(/\n/g, "; ")}`,
    );
  }
  if (env.data.version !== HUNT_MODEL_VERSION)
    throw new ModelFormatError(
      `${path}: hunt model version ${env.data.version} is not supported (this anomalog reads version ${HUNT_MODEL_VERSION})`,
    );
  const features = checkFitted(env.data.features, path);
  const detectors = env.data.detectors.map((d) => loadModel(encodeJson(d), path));
  for (const d of detectors)
    if (d.nFeatures !== features.columns.length)
      throw new ModelFormatError(
        `${path}: ${d.detector} was fit on ${d.nFeatures} features but the encoder makes ${features.columns.length}`,
      );
  const names = env.data.names ?? detectors.map((d) => d.detector);
  if (names.length !== detectors.length || new Set(names).size !== names.length)
    throw new ModelFormatError(
      `${path}: corrupt hunt model: ${names.length} distinct names for ${detectors.length} detectors`,
    );
  return { features, contamination: env.data.contamination, detectors, names };
}

/** Scores X with every saved detector, in the shape the hunt's fits reply in. */
export async function scoreWithModel(model: HuntModel, X: Matrix): Promise<FitReply[]> {
  const replies: FitReply[] = [];
  for (const d of model.detectors) {
    const started = performance.now();
    try {
      const scores = await scoreAsync(d, X);
      replies.push({
        ok: true,
        trainingScores: scores,
        threshold: d.threshold,
        seconds: (performance.now() - started) / 1000,
      });
    } catch (e) {
      replies.push({ ok: false, error: (e as Error).message, errorName: (e as Error).name });
    }
  }
  return replies;
}
