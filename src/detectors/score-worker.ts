/**
 * Worker thread of the parallel pool. Two jobs:
 * - `score`: rows [start, end) of a shared matrix through a detector's pure `score`, written
 *   into a shared output;
 * - `fitFeatures`: single-feature fits of a separable detector for features [start, end),
 *   returning each feature's state and training-score contribution.
 */
import { parentPort } from "node:worker_threads";
import { matrix } from "../core/matrix.js";
import { getDetector } from "./registry.js";

export interface ScoreJob {
  readonly kind: "score";
  readonly detector: string;
  readonly params: Record<string, unknown>;
  readonly state: unknown;
  readonly data: Float64Array;
  readonly cols: number;
  readonly start: number;
  readonly end: number;
  readonly out: Float64Array;
}

export interface FitFeaturesJob {
  readonly kind: "fitFeatures";
  readonly detector: string;
  readonly params: Record<string, unknown>;
  readonly data: Float64Array;
  readonly rows: number;
  readonly cols: number;
  readonly start: number;
  readonly end: number;
}

export type PoolJob = ScoreJob | FitFeaturesJob;

export type PoolReply =
  { ok: true; states?: unknown[]; contributions?: Float64Array[] } | { ok: false; error: string };

function run(job: PoolJob): PoolReply {
  const def = getDetector(job.detector);
  if (job.kind === "score") {
    const X = matrix(
      job.end - job.start,
      job.cols,
      job.data.subarray(job.start * job.cols, job.end * job.cols),
    );
    job.out.set(def.score(job.state, X, job.params), job.start);
    return { ok: true };
  }
  const states: unknown[] = [];
  const contributions: Float64Array[] = [];
  // Gather this job's columns in one pass over the rows (sequential reads), feature-major.
  const width = job.end - job.start;
  const columns = new Float64Array(job.rows * width);
  for (let i = 0; i < job.rows; i++) {
    const row = i * job.cols + job.start;
    for (let j = 0; j < width; j++) columns[j * job.rows + i] = job.data[row + j];
  }
  for (let j = job.start; j < job.end; j++) {
    const column = columns.subarray((j - job.start) * job.rows, (j - job.start + 1) * job.rows);
    const fitted = def.fit(matrix(job.rows, 1, column), job.params);
    states.push(fitted.state);
    contributions.push(
      fitted.trainingScores ?? def.score(fitted.state, matrix(job.rows, 1, column), job.params),
    );
  }
  return { ok: true, states, contributions };
}

parentPort?.on("message", ({ id, job }: { id: number; job: PoolJob }) => {
  let reply: PoolReply;
  try {
    reply = run(job);
  } catch (e) {
    reply = { ok: false, error: (e as Error).message };
  }
  const transfer =
    reply.ok && reply.contributions ? reply.contributions.map((c) => c.buffer as ArrayBuffer) : [];
  parentPort!.postMessage({ id, reply }, transfer);
});
