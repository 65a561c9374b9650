/**
 * PyOD's batch-dependent scoring of new rows, reproduced for verification only. anomalog's
 * detectors never do this (a row's score must not depend on its batch); parity uses it to show
 * that where our test-set ROC AUC differs from PyOD's, the difference is the batch and not the
 * detector.
 * - "pooled" (PyOD's ECOD, COPOD): refit on train + new rows together and read off the new
 *   rows' in-sample scores.
 * - "batch" (PyOD's COF, SOD): score the new rows among themselves only, as if they were the
 *   training set; the training data plays no part.
 * - "replay" (PyOD's CD, ROD): fit on the training rows, then score the new rows with the
 *   detector's own replay of PyOD's batch-dependent `decision_function` (`pyodBatchScore`).
 */
import { matrix, type Matrix } from "../core/matrix.js";
import { fit } from "../detectors/model.js";
import { getDetector } from "../detectors/registry.js";

export function replayedScores(
  mode: "pooled" | "batch" | "replay",
  detector: string,
  params: Record<string, unknown>,
  train: Matrix,
  test: Matrix,
): Float64Array {
  if (mode === "batch") return fit(detector, test, params).trainingScores;
  if (mode === "replay") {
    const def = getDetector(detector);
    if (def.pyodBatchScore === undefined)
      throw new Error(`${detector} has no replay of PyOD's batch scoring`);
    const model = fit(def, train, params);
    return def.pyodBatchScore(model.state, test, model.params);
  }
  const data = new Float64Array(train.data.length + test.data.length);
  data.set(train.data);
  data.set(test.data, train.data.length);
  const model = fit(detector, matrix(train.rows + test.rows, train.cols, data), params);
  return model.trainingScores.slice(train.rows);
}
