/**
 * Runs a panel of detector fits on the worker pool of src/detectors/parallel.ts, as many at
 * once as there are cores, over one shared copy of the feature matrix. One detector failing
 * does not stop the others.
 */
import type { Matrix } from "../core/matrix.js";
import { sharedMatrix, workers } from "../detectors/parallel.js";

export interface FitJob {
  readonly detector: string;
  readonly params: Record<string, unknown>;
  /**
   * Runs the fit some other way (on distinct rows, dedupe.ts) in this job's lane; undefined =
   * declined, fit on the worker as usual.
   */
  readonly custom?: () => Promise<FitReply | undefined>;
  /**
   * Distinct rows (shared, row-major) and each row's distinct row: training scores that are
   * scores of the training rows are computed once per distinct row (same numbers).
   */
  readonly distinct?: { readonly data: Float64Array; readonly inverse: Int32Array };
}

export type FitReply =
  | {
      ok: true;
      trainingScores: Float64Array;
      threshold: number;
      seconds: number;
      model?: string;
      /** The training scores were computed once per distinct row. */
      scoredDistinct?: boolean;
    }
  | { ok: false; error: string; errorName: string };

export type JobEvent =
  | { kind: "start"; index: number }
  | { kind: "done"; index: number; reply: FitReply; wallSeconds: number };

export async function runFits(
  X: Matrix,
  jobs: readonly FitJob[],
  onEvent: (e: JobEvent) => void,
  options: { concurrency?: number; keepModels?: boolean } = {},
): Promise<FitReply[]> {
  const pool = workers();
  const shared = sharedMatrix(X);
  const lanes = Math.max(1, Math.min(options.concurrency ?? pool.length, pool.length, jobs.length));
  const replies: FitReply[] = new Array(jobs.length);
  let next = 0;

  async function lane(worker: (typeof pool)[number]): Promise<void> {
    while (next < jobs.length) {
      const index = next++;
      const job = jobs[index];
      onEvent({ kind: "start", index });
      const started = Date.now();
      const custom = job.custom === undefined ? undefined : await job.custom();
      if (custom !== undefined) {
        replies[index] = custom;
        onEvent({ kind: "done", index, reply: custom, wallSeconds: (Date.now() - started) / 1000 });
        continue;
      }
      const r = await worker.run(
        job.distinct !== undefined && !options.keepModels
          ? {
              kind: "fitDistinct",
              detector: job.detector,
              params: job.params,
              data: shared.data,
              rows: X.rows,
              cols: X.cols,
              distinct: job.distinct.data,
              inverse: job.distinct.inverse,
            }
          : {
              kind: "fit",
              detector: job.detector,
              params: job.params,
              data: shared.data,
              rows: X.rows,
              cols: X.cols,
              keepModel: options.keepModels ?? false,
            },
      );
      const reply: FitReply = r.ok
        ? {
            ok: true,
            trainingScores: r.trainingScores!,
            threshold: r.threshold!,
            seconds: r.seconds!,
            model: r.model,
            scoredDistinct: r.scoredDistinct,
          }
        : { ok: false, error: r.error, errorName: r.errorName ?? "Error" };
      replies[index] = reply;
      onEvent({ kind: "done", index, reply, wallSeconds: (Date.now() - started) / 1000 });
    }
  }

  await Promise.all(pool.slice(0, lanes).map((w) => lane(w)));
  return replies;
}
