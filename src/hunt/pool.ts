/**
 * Runs detector fits on worker threads, as many at once as there are cores, over one shared copy
 * of the feature matrix. One detector failing does not stop the others.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { Matrix } from "../core/matrix.js";
import type { FitReply, FitRequest } from "./fit-worker.js";

export interface FitJob {
  readonly detector: string;
  readonly params: Record<string, unknown>;
}

export type JobEvent =
  | { kind: "start"; index: number }
  | { kind: "done"; index: number; reply: FitReply; wallSeconds: number };

export function toShared(X: Matrix): SharedArrayBuffer {
  const buffer = new SharedArrayBuffer(X.data.byteLength);
  new Float64Array(buffer).set(X.data);
  return buffer;
}

export async function runFits(
  X: Matrix,
  jobs: readonly FitJob[],
  onEvent: (e: JobEvent) => void,
  options: { concurrency?: number; keepModels?: boolean } = {},
): Promise<FitReply[]> {
  const buffer = toShared(X);
  const concurrency = Math.max(
    1,
    Math.min(options.concurrency ?? availableParallelism(), jobs.length),
  );
  const replies: FitReply[] = new Array(jobs.length);
  let next = 0;
  const workerUrl = new URL("./fit-worker.js", import.meta.url);

  async function lane(): Promise<void> {
    let worker = new Worker(workerUrl);
    try {
      while (next < jobs.length) {
        const index = next++;
        const job = jobs[index];
        onEvent({ kind: "start", index });
        const started = Date.now();
        const request: FitRequest = {
          detector: job.detector,
          params: job.params,
          buffer,
          rows: X.rows,
          cols: X.cols,
          keepModel: options.keepModels ?? false,
        };
        const reply = await new Promise<FitReply>((resolve) => {
          const onMessage = (r: FitReply): void => {
            worker.off("error", onError);
            resolve(r);
          };
          const onError = (err: Error): void => {
            worker.off("message", onMessage);
            // The worker died (e.g. out of memory); later jobs get a fresh one.
            worker = new Worker(workerUrl);
            resolve({ ok: false, error: err.message, errorName: err.name });
          };
          worker.once("message", onMessage);
          worker.once("error", onError);
          worker.postMessage(request);
        });
        replies[index] = reply;
        onEvent({ kind: "done", index, reply, wallSeconds: (Date.now() - started) / 1000 });
      }
    } finally {
      await worker.terminate();
    }
  }

  await Promise.all(Array.from({ length: concurrency }, () => lane()));
  return replies;
}
