/**
 * Worker thread of the scoring pool: scores rows [start, end) of a shared matrix with a
 * detector's pure `score` and writes them into the shared output.
 */
import { parentPort } from "node:worker_threads";
import { matrix } from "../core/matrix.js";
import { getDetector } from "./registry.js";

export interface ScoreJob {
  readonly detector: string;
  readonly params: Record<string, unknown>;
  readonly state: unknown;
  readonly data: Float64Array;
  readonly cols: number;
  readonly start: number;
  readonly end: number;
  readonly out: Float64Array;
}

export type ScoreReply = { ok: true } | { ok: false; error: string };

parentPort?.on("message", (job: ScoreJob) => {
  try {
    const rows = job.end - job.start;
    const X = matrix(rows, job.cols, job.data.subarray(job.start * job.cols, job.end * job.cols));
    const scores = getDetector(job.detector).score(job.state, X, job.params);
    job.out.set(scores, job.start);
    parentPort!.postMessage({ ok: true } satisfies ScoreReply);
  } catch (e) {
    parentPort!.postMessage({ ok: false, error: (e as Error).message } satisfies ScoreReply);
  }
});
