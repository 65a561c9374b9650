/**
 * Worker thread of the parallel pool. Jobs:
 * - `fit`: one detector fitted on a whole shared matrix (the hunt runs its panel this way);
 * - `fitDistinct`: the same, with training scores computed once per distinct row where the
 *   detector defines them as scores of the training rows (the hunt's dedupe);
 * - `score`: rows [start, end) of a shared matrix through a detector's pure `score`, written
 *   into a shared output;
 * - `fitFeatures`: single-feature fits of a separable detector for features [start, end),
 *   returning each feature's state and training-score contribution;
 * - `fitPieces`: pieces of a fit made of independent pieces (a definition's `pieces`: k-means
 *   restarts), taken one at a time from a counter the workers share, their results sent back;
 * - `neighbours`: part [start, end) of a self-query of a shared matrix (every row's k nearest
 *   other rows), written into shared outputs. Each worker builds the same index (deterministic),
 *   so the parts fit together exactly;
 * - `forget`: the worker's kept KD-tree let go (the bench times every fit from no tree).
 */
import { parentPort } from "node:worker_threads";
import { matrix } from "../core/matrix.js";
import { expand } from "../core/distinct.js";
import { performance } from "node:perf_hooks";
import { buildIndex, forgetKeptIndex } from "../core/neighbors.js";
import { getDetector } from "./registry.js";
import { finishModel, fit, prepareFit, saveModel } from "./model.js";

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

/** Fits features [start, end) one at a time. */
export interface FitRangeJob {
  readonly kind: "fitFeatures";
  readonly detector: string;
  readonly params: Record<string, unknown>;
  readonly data: Float64Array;
  readonly rows: number;
  readonly cols: number;
  readonly start: number;
  readonly end: number;
}

/**
 * Runs pieces of a fit (a definition's `pieces`) until none are left: every worker takes the
 * next piece index from the shared counter `next[0]` as it finishes one, so the threads stay
 * busy to the end whatever each piece costs.
 */
export interface FitPiecesJob {
  readonly kind: "fitPieces";
  readonly detector: string;
  readonly params: Record<string, unknown>;
  readonly data: Float64Array;
  readonly rows: number;
  readonly cols: number;
  /** Pieces [0, count) are to be run. */
  readonly count: number;
  readonly next: Int32Array;
}

export interface FitJob {
  readonly kind: "fit";
  readonly detector: string;
  readonly params: Record<string, unknown>;
  readonly data: Float64Array;
  readonly rows: number;
  readonly cols: number;
  /** Send back the saved model too. */
  readonly keepModel: boolean;
}

export interface NeighboursJob {
  readonly kind: "neighbours";
  readonly data: Float64Array;
  readonly rows: number;
  readonly cols: number;
  readonly k: number;
  readonly start: number;
  readonly end: number;
  readonly distances: Float64Array;
  readonly indices: Int32Array;
}

/**
 * A fit on all rows whose training scores, where the detector defines them as scores of the
 * training rows (no in-sample `trainingScores`), are computed once per distinct row and spread
 * back: `score` is pure, so this equals scoring every row.
 */
export interface FitDistinctJob {
  readonly kind: "fitDistinct";
  readonly detector: string;
  readonly params: Record<string, unknown>;
  readonly data: Float64Array;
  readonly rows: number;
  readonly cols: number;
  /** The distinct rows (row-major) and each input row's distinct row. */
  readonly distinct: Float64Array;
  readonly inverse: Int32Array;
}

/** Lets the worker's kept KD-tree go (core/neighbors.ts), so its next search builds afresh. */
export interface ForgetJob {
  readonly kind: "forget";
}

export type PoolJob =
  ScoreJob | FitRangeJob | FitPiecesJob | FitJob | NeighboursJob | FitDistinctJob | ForgetJob;

export type PoolReply =
  | {
      ok: true;
      states?: unknown[];
      contributions?: Float64Array[];
      trainingScores?: Float64Array;
      threshold?: number;
      seconds?: number;
      model?: string;
      /** fitDistinct: whether the training scores came from the distinct rows. */
      scoredDistinct?: boolean;
      /** fitPieces: the results of the pieces this worker ran, and those pieces' indices. */
      pieces?: unknown[];
      pieceIndices?: number[];
    }
  | { ok: false; error: string; errorName?: string };

function run(job: PoolJob): PoolReply {
  if (job.kind === "fit") {
    const t0 = performance.now();
    const model = fit(job.detector, matrix(job.rows, job.cols, job.data), job.params);
    return {
      ok: true,
      trainingScores: model.trainingScores,
      threshold: model.threshold,
      seconds: (performance.now() - t0) / 1000,
      model: job.keepModel ? saveModel(model) : undefined,
    };
  }
  if (job.kind === "fitDistinct") {
    const t0 = performance.now();
    const X = matrix(job.rows, job.cols, job.data);
    const { def, params } = prepareFit(job.detector, X, job.params);
    const fitted = def.fit(X, params);
    let trainingScores = fitted.trainingScores;
    const scoredDistinct = trainingScores === undefined;
    if (trainingScores === undefined) {
      const once = def.score(
        fitted.state,
        matrix(job.distinct.length / job.cols, job.cols, job.distinct),
        params,
      );
      trainingScores = expand(once, job.inverse);
    }
    const model = finishModel(def.name, params, job.cols, fitted.state, trainingScores);
    return {
      ok: true,
      trainingScores,
      threshold: model.threshold,
      seconds: (performance.now() - t0) / 1000,
      scoredDistinct,
    };
  }
  if (job.kind === "forget") {
    forgetKeptIndex();
    return { ok: true };
  }
  if (job.kind === "neighbours") {
    const index = buildIndex(matrix(job.rows, job.cols, job.data));
    index.selfQuery(job.k, job.start, job.end, job);
    return { ok: true };
  }
  const def = getDetector(job.detector);
  if (job.kind === "fitPieces") {
    const X = matrix(job.rows, job.cols, job.data);
    const pieceIndices: number[] = [];
    const take = (): number | undefined => {
      const piece = Atomics.add(job.next, 0, 1);
      if (piece >= job.count) return undefined;
      pieceIndices.push(piece);
      return piece;
    };
    const pieces = def.pieces!.run(X, job.params, take);
    return { ok: true, pieces, pieceIndices };
  }
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
    reply = { ok: false, error: (e as Error).message, errorName: (e as Error).name };
  }
  const transfer: ArrayBuffer[] = [];
  if (reply.ok) {
    for (const c of reply.contributions ?? []) transfer.push(c.buffer as ArrayBuffer);
    if (reply.trainingScores) transfer.push(reply.trainingScores.buffer as ArrayBuffer);
  }
  parentPort!.postMessage({ id, reply }, transfer);
});
