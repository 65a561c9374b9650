/**
 * Worker thread: fits one detector on a matrix shared with the main thread (SharedArrayBuffer,
 * no copy) and sends back the training scores, threshold and saved model.
 */
import { parentPort } from "node:worker_threads";
import { performance } from "node:perf_hooks";
import { matrix } from "../core/matrix.js";
import { fit, saveModel } from "../detectors/model.js";

export interface FitRequest {
  readonly detector: string;
  readonly params: Record<string, unknown>;
  readonly buffer: SharedArrayBuffer;
  readonly rows: number;
  readonly cols: number;
  readonly keepModel: boolean;
}

export type FitReply =
  | { ok: true; trainingScores: Float64Array; threshold: number; seconds: number; model?: string }
  | { ok: false; error: string; errorName: string };

parentPort?.on("message", (req: FitRequest) => {
  try {
    const X = matrix(req.rows, req.cols, new Float64Array(req.buffer, 0, req.rows * req.cols));
    const t0 = performance.now();
    const model = fit(req.detector, X, req.params);
    const seconds = (performance.now() - t0) / 1000;
    const reply: FitReply = {
      ok: true,
      trainingScores: model.trainingScores,
      threshold: model.threshold,
      seconds,
      model: req.keepModel ? saveModel(model) : undefined,
    };
    parentPort!.postMessage(reply, [model.trainingScores.buffer as ArrayBuffer]);
  } catch (e) {
    const err = e as Error;
    const reply: FitReply = { ok: false, error: err.message, errorName: err.name };
    parentPort!.postMessage(reply);
  }
});
