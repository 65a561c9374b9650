/**
 * Fitting and scoring on every core. A detector's `score` is batch-invariant, so scoring row
 * blocks on worker threads and concatenating them gives exactly the single-threaded scores, for
 * every detector. Separable detectors (a sum of per-feature terms) also fit one feature per
 * thread. The matrix and the model's typed arrays are placed in shared memory once, and a small
 * pool of workers (one per core, created on first use and kept) works on slices of it.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { matrix, type Matrix } from "../core/matrix.js";
import { checkK, forgetKeptIndex, type Neighbours } from "../core/neighbors.js";
import { distinctRowsUpTo, expand } from "../core/distinct.js";
import type { AnyDetector } from "./contract.js";
import { getDetector } from "./registry.js";
import { checkScorable, finishModel, prepareFit, score, type Model } from "./model.js";
import type { PoolJob, PoolReply } from "./score-worker.js";

/**
 * Below this many rows a single thread is faster than sharing the work (starting the pool's
 * threads alone costs a few hundred milliseconds).
 */
export const PARALLEL_MIN_ROWS = 200_000;

/**
 * One pool thread. Jobs carry an id and the worker answers each with it, so overlapping calls
 * (two scoreAsync at once) each get their own reply; the thread is ref'd only while it has jobs
 * in flight. If it dies, its pending jobs fail and it is replaced.
 */
export class PoolWorker {
  private worker: Worker;
  private readonly pending = new Map<number, (reply: PoolReply) => void>();
  private nextId = 0;
  private closed = false;

  constructor(private readonly url: URL) {
    this.worker = this.start();
  }

  private start(): Worker {
    const worker = new Worker(this.url);
    worker.unref(); // an idle pool never keeps the process alive
    worker.on("message", (m: { id: number; reply: PoolReply }) => {
      const resolve = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (this.pending.size === 0) worker.unref();
      resolve?.(m.reply);
    });
    const fail = (why: string): void => {
      if (this.closed || this.worker !== worker) return;
      for (const resolve of this.pending.values()) resolve({ ok: false, error: why });
      this.pending.clear();
      this.worker = this.start();
    };
    worker.on("error", (e: Error) => fail(`worker thread failed: ${e.message}`));
    worker.on("exit", (code: number) => fail(`worker thread exited (code ${code})`));
    return worker;
  }

  run(job: PoolJob): Promise<PoolReply> {
    const id = this.nextId++;
    return new Promise<PoolReply>((resolve) => {
      this.pending.set(id, resolve);
      this.worker.ref();
      this.worker.postMessage({ id, job });
    });
  }

  async terminate(): Promise<void> {
    this.closed = true; // the exit of a terminated worker is not a failure
    await this.worker.terminate();
  }
}

let pool: PoolWorker[] | undefined;

export function workers(): PoolWorker[] {
  if (pool === undefined) {
    const url = new URL("./score-worker.js", import.meta.url);
    pool = Array.from({ length: Math.max(1, availableParallelism()) }, () => new PoolWorker(url));
  }
  return pool;
}

/**
 * Lets every thread's kept KD-tree go (this one's and the pool's): the next search of any rows
 * builds its tree. The bench calls it before each timed fit, so that a fit whose training scores
 * search the training rows (abod's) pays for its tree as PyOD's does, instead of finding the one
 * an earlier repeat left.
 */
export async function forgetKeptIndexes(): Promise<void> {
  forgetKeptIndex();
  if (pool === undefined) return;
  const replies = await Promise.all(pool.map((w) => w.run({ kind: "forget" })));
  for (const reply of replies)
    if (!reply.ok) throw new Error(`forgetting a worker's tree failed: ${reply.error}`);
}

/** Stops the pool's threads (tests and short scripts; the pool is unref'd anyway). */
export async function closePool(): Promise<void> {
  const p = pool;
  pool = undefined;
  if (p) await Promise.all(p.map((w) => w.terminate()));
}

/** A copy of a typed array backed by shared memory. */
function shared<T extends Float64Array | Int32Array>(a: T): T {
  const Ctor = a.constructor as new (buffer: SharedArrayBuffer) => T;
  const out = new Ctor(new SharedArrayBuffer(a.byteLength));
  (out as Float64Array).set(a as Float64Array);
  return out;
}

/** The state with every typed array moved to shared memory (cached per state object). */
const sharedStates = new WeakMap<object, unknown>();
function sharedState(state: unknown): unknown {
  if (state === null || typeof state !== "object") return state;
  const cached = sharedStates.get(state);
  if (cached !== undefined) return cached;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(state)) {
    out[k] = v instanceof Float64Array || v instanceof Int32Array ? shared(v) : v;
  }
  sharedStates.set(state, out);
  return out;
}

export function sharedMatrix(X: Matrix): Matrix {
  if (X.data.buffer instanceof SharedArrayBuffer) return X;
  return matrix(X.rows, X.cols, shared(X.data));
}

function isRegistered(def: AnyDetector): boolean {
  try {
    return getDetector(def.name) === def;
  } catch {
    return false;
  }
}

/** [start, end) ranges splitting `count` items over the pool. */
function shares(count: number, parts: number): [number, number][] {
  const per = Math.ceil(count / parts);
  const out: [number, number][] = [];
  for (let start = 0; start < count; start += per) out.push([start, Math.min(count, start + per)]);
  return out;
}

async function scoreRows(
  def: AnyDetector,
  state: unknown,
  params: Record<string, unknown>,
  X: Matrix,
): Promise<Float64Array> {
  const threads = workers();
  const X2 = sharedMatrix(X);
  const out = new Float64Array(new SharedArrayBuffer(X.rows * 8));
  const st = sharedState(state);
  await Promise.all(
    shares(X.rows, threads.length).map(async ([start, end], t) => {
      const reply = await threads[t].run({
        kind: "score",
        detector: def.name,
        params,
        state: st,
        data: X2.data,
        cols: X.cols,
        start,
        end,
        out,
      });
      if (!reply.ok)
        throw new Error(`${def.name}: scoring on a worker thread failed: ${reply.error}`);
    }),
  );
  return new Float64Array(out);
}

/** What every fit job on the pool carries: the detector, its params and the rows (shared). */
function fitJobBase(def: AnyDetector, params: Record<string, unknown>, X: Matrix) {
  return { detector: def.name, params, data: sharedMatrix(X).data, rows: X.rows, cols: X.cols };
}

/** A worker's answer to a fit job; its failure as an error naming the detector. */
function fitAnswer(def: AnyDetector, reply: PoolReply): Extract<PoolReply, { ok: true }> {
  if (!reply.ok) throw new Error(`${def.name}: fitting on a worker thread failed: ${reply.error}`);
  return reply;
}

/** Features [0, count) of a fit shared out over the pool; replies in order. */
async function fitRanges(
  def: AnyDetector,
  params: Record<string, unknown>,
  X: Matrix,
  count: number,
): Promise<PoolReply[]> {
  const threads = workers();
  const base = fitJobBase(def, params, X);
  return Promise.all(
    shares(count, threads.length).map(async ([start, end], t) =>
      fitAnswer(def, await threads[t].run({ kind: "fitFeatures", ...base, start, end })),
    ),
  );
}

/**
 * A separable detector fitted one feature at a time across the pool. The training scores are the
 * per-feature contributions added in feature order, exactly as the single-threaded fit adds them.
 */
async function fitByFeature(
  def: AnyDetector,
  params: Record<string, unknown>,
  X: Matrix,
): Promise<{ state: unknown; trainingScores: Float64Array }> {
  const replies = await fitRanges(def, params, X, X.cols);
  const states = replies.flatMap((r) => (r.ok ? (r.states ?? []) : []));
  const contributions = replies.flatMap((r) => (r.ok ? (r.contributions ?? []) : []));
  const trainingScores = new Float64Array(X.rows);
  for (const c of contributions) for (let i = 0; i < X.rows; i++) trainingScores[i] += c[i];
  return { state: def.mergeFeatureStates!(states), trainingScores };
}

/**
 * A fit made of independent pieces (the definition's `pieces`: k-means restarts), each worker
 * taking the next piece as it finishes one, and finished here from their results in piece
 * order: the same fit as on one thread. Pieces are taken one by one rather than in fixed halves
 * because their costs differ: cblof's ten k-means restarts on smtp (seed 0) run 13 to 31 Lloyd
 * iterations, and fixed halves gave one thread 127 of the 217.
 */
async function fitByPieces(
  def: AnyDetector,
  params: Record<string, unknown>,
  X: Matrix,
): Promise<{ state: unknown; trainingScores?: Float64Array }> {
  const pieces = def.pieces!;
  const count = pieces.count(X, params);
  const base = fitJobBase(def, params, X);
  const next = new Int32Array(new SharedArrayBuffer(4));
  const results: unknown[] = new Array(count);
  await Promise.all(
    workers().map(async (thread) => {
      const reply = fitAnswer(def, await thread.run({ kind: "fitPieces", ...base, count, next }));
      reply.pieceIndices?.forEach((piece, at) => (results[piece] = reply.pieces![at]));
    }),
  );
  return pieces.finish(X, params, results);
}

export interface ParallelOptions {
  /** Inputs with fewer rows are scored on the calling thread. */
  readonly minRows?: number;
}

function minRows(
  def: AnyDetector,
  options: ParallelOptions,
  cols: number,
  params: Readonly<Record<string, unknown>>,
): number {
  const own = def.parallelMinRows;
  return (
    options.minRows ?? (typeof own === "function" ? own(cols, params) : own) ?? PARALLEL_MIN_ROWS
  );
}

/**
 * Share of distinct rows below which an input is scored one distinct row at a time (below):
 * hashing a row costs a fraction of a microsecond, a neighbour search's score many.
 */
const DISTINCT_SCORE_SHARE = 0.95;

/**
 * As `score`, on every core for large inputs (same numbers).
 *
 * Rows repeat in logs (smtp's test split is 86% distinct; coded CloudTrail fields repeat far more).
 * A detector that costs microseconds a row (its definition sets `costlyScore`: neighbour
 * searches, inne, kde, dif, rod) scores each distinct row once and the scores are spread back to
 * the copies: exact, since `score` is pure and a row's score its own, and rows are told apart by
 * their bits (a zero's sign too), so a copy is the same input.
 */
export async function scoreAsync(
  model: Model,
  X: Matrix,
  options: ParallelOptions = {},
): Promise<Float64Array> {
  const def = getDetector(model.detector);
  const least = minRows(def, options, X.cols, model.params);
  if (X.rows < least) return score(model, X);
  checkScorable(model, X);
  return scoreOnPool(def, model.state, model.params, X, least);
}

/**
 * Scores X (at least `least` rows) on the pool; a costly detector's distinct rows only, once
 * each, when rows repeat enough, and on the calling thread if they are then fewer than `least`.
 */
async function scoreOnPool(
  def: AnyDetector,
  state: unknown,
  params: Record<string, unknown>,
  X: Matrix,
  least: number,
): Promise<Float64Array> {
  if (def.costlyScore === true) {
    const distinct = distinctRowsUpTo(X, Math.ceil(DISTINCT_SCORE_SHARE * X.rows) - 1, true);
    if (distinct !== undefined) {
      const once =
        distinct.X.rows < least
          ? def.score(state, distinct.X, params)
          : await scoreRows(def, state, params, distinct.X);
      return expand(once, distinct.inverse);
    }
  }
  return scoreRows(def, state, params, X);
}

/**
 * Every row's k nearest other rows (kNearest's self-query), the rows shared out over the pool.
 * Identical to the single-threaded query: each part is searched in the same index.
 */
export async function kNearestAsync(X: Matrix, k: number): Promise<Neighbours> {
  checkK(X.rows, k, true);
  const threads = workers();
  const X2 = sharedMatrix(X);
  const distances = new Float64Array(new SharedArrayBuffer(X.rows * k * 8));
  const indices = new Int32Array(new SharedArrayBuffer(X.rows * k * 4));
  await Promise.all(
    shares(X.rows, threads.length).map(async ([start, end], t) => {
      const reply = await threads[t].run({
        kind: "neighbours",
        data: X2.data,
        rows: X.rows,
        cols: X.cols,
        k,
        start,
        end,
        distances,
        indices,
      });
      if (!reply.ok) throw new Error(`nearest-neighbour search on a worker failed: ${reply.error}`);
    }),
  );
  return { k, distances: new Float64Array(distances), indices: new Int32Array(indices) };
}

/** As `fit`, on every core where the detector's definition allows it (same numbers). */
export async function fitAsync(
  detector: string | AnyDetector,
  X: Matrix,
  rawParams: unknown = {},
  options: ParallelOptions = {},
): Promise<Model> {
  const { def, params } = prepareFit(detector, X, rawParams);
  // Workers find detectors by name, so only registered ones can run there.
  const least = minRows(def, options, X.cols, params);
  const small = X.rows < least || !isRegistered(def);
  if (!small && def.mergeFeatureStates !== undefined && X.cols > 1) {
    const { state, trainingScores } = await fitByFeature(def, params, X);
    return finishModel(def.name, params, X.cols, state, trainingScores);
  }
  const fromNeighbours = small ? undefined : def.fitFromNeighbours;
  const k = fromNeighbours !== undefined ? (def.selfNeighbours?.(X.rows, params) ?? 0) : 0;
  const fitted =
    fromNeighbours !== undefined && k > 0
      ? fromNeighbours(X, params, await kNearestAsync(X, k))
      : !small && def.pieces !== undefined
        ? await fitByPieces(def, params, X)
        : def.fit(X, params);
  const trainingScores =
    fitted.trainingScores ??
    (small
      ? def.score(fitted.state, X, params)
      : await scoreOnPool(def, fitted.state, params, X, least));
  return finishModel(def.name, params, X.cols, fitted.state, trainingScores);
}
