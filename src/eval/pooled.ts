/**
 * PyOD's batch-dependent scoring for ECOD and COPOD, reproduced for verification only: PyOD
 * scores new rows by refitting on train + new rows together and reading off the new rows'
 * in-sample scores. anomalog's ecod/copod never do this (a row's score must not depend on its
 * batch); parity uses it to show that where our test-set ROC AUC differs from PyOD's, the
 * difference is the pooling and not the detector.
 */
import { matrix, type Matrix } from "../core/matrix.js";
import { fit } from "../detectors/model.js";

export function pooledScores(
  detector: "ecod" | "copod",
  train: Matrix,
  test: Matrix,
): Float64Array {
  const data = new Float64Array(train.data.length + test.data.length);
  data.set(train.data);
  data.set(test.data, train.data.length);
  const model = fit(detector, matrix(train.rows + test.rows, train.cols, data));
  return model.trainingScores.slice(train.rows);
}
