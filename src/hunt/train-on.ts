/**
 * `--train-on "SQL predicate"`: fit on the rows the predicate selects (e.g. benign traffic only)
 * and score every row with the fitted models. The predicate is DuckDB SQL over the input's
 * columns as read (text: compare with quotes, or cast).
 */
import { performance } from "node:perf_hooks";
import { DataError, ParamError } from "../core/errors.js";
import type { Matrix } from "../core/matrix.js";
import type { Db } from "../data/db.js";
import { loadModel } from "../detectors/model.js";
import { scoreAsync } from "../detectors/parallel.js";
import type { FitReply } from "./pool.js";

/** Input rows (0-based, ascending) where the predicate is true. */
export async function trainingRows(
  db: Db,
  table: string,
  predicate: string,
  file: string,
): Promise<Int32Array> {
  let rows: unknown[][];
  try {
    rows = (
      await db.connection.runAndReadAll(
        `SELECT rowid::INTEGER FROM ${table} WHERE (${predicate}) ORDER BY rowid`,
      )
    ).getRowsJS();
  } catch (e) {
    throw new ParamError(
      `--train-on "${predicate}" is not a valid predicate: ${(e as Error).message}`,
    );
  }
  if (rows.length === 0)
    throw new DataError(`--train-on "${predicate}" selects no rows to train on`, { file });
  return Int32Array.from(rows, (r) => r[0] as number);
}

/** A fit on the training rows turned into scores of every row (the model's threshold kept). */
export async function scoreAllRows(reply: FitReply, X: Matrix): Promise<FitReply> {
  if (!reply.ok) return reply;
  const t0 = performance.now();
  try {
    const model = loadModel(reply.model!, "fitted model");
    const scores = await scoreAsync(model, X);
    return {
      ...reply,
      trainingScores: scores,
      seconds: reply.seconds + (performance.now() - t0) / 1000,
    };
  } catch (e) {
    return { ok: false, error: (e as Error).message, errorName: (e as Error).name };
  }
}
