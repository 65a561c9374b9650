/**
 * The detector contract: validated params plus two pure functions.
 *
 * `fit(X, params)` learns a state from training rows and returns it with the training scores
 * (PyOD's `decision_scores_`; for some detectors these differ from scoring the training rows
 * again, e.g. a neighbour method that leaves each row out of its own neighbourhood).
 * `score(state, X, params)` scores new rows: higher = more anomalous, and a row's score depends
 * only on that row and the state, never on the rest of the batch.
 */
import { z } from "zod";
import type { Matrix } from "../core/matrix.js";
import type { Neighbours } from "../core/neighbors.js";
import { ParamError } from "../core/errors.js";

/** Params every detector has. */
export const baseParams = z.object({
  contamination: z
    .number()
    .gt(0)
    .max(0.5)
    .default(0.1)
    .describe(
      "Expected share of outliers in the training data; the threshold is the (1 − contamination) quantile of training scores.",
    ),
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyParamsSchema = z.ZodObject<any>;

export interface FitResult<S> {
  readonly state: S;
  /**
   * The training rows' scores where they differ from scoring the training rows as new rows
   * (in-sample definitions such as ECOD's). Left out, they are `score(state, X)`, which the
   * model layer may then compute on several threads.
   */
  readonly trainingScores?: Float64Array;
}

export interface DetectorDefinition<P extends AnyParamsSchema, S> {
  /** Registry name, lowercase (`iforest`). */
  readonly name: string;
  /** One line for `--help`. */
  readonly summary: string;
  /** Where the algorithm comes from, and what we match. */
  readonly reference: string;
  /** Whether the same data give the same scores regardless of `seed`. */
  readonly deterministic: boolean;
  readonly params: P;
  /** Validates a loaded state (shape and types); part of reading a saved model. */
  readonly state: z.ZodType<S>;
  /** Extra consistency checks of a state against the model's feature count: a message if bad. */
  checkState?(state: S, nFeatures: number): string | undefined;
  /**
   * Present on separable detectors, whose score is a sum over features of a term that depends on
   * that feature alone: joins the states of single-feature fits, in feature order, into the
   * state of the fit on all features. Lets a fit run one feature per thread (parallel.ts).
   */
  mergeFeatureStates?(parts: readonly S[]): S;
  /**
   * Present on detectors whose fit starts from each training row's k nearest other training rows
   * (a self-query, src/core/neighbors.ts): the k they need for `rows` training rows, or 0 if
   * none. `fitFromNeighbours` then finishes the fit from those neighbours, so the query, the
   * expensive part, can run on every core (parallel.ts). `fit` must give the same result as
   * `fitFromNeighbours(X, p, kNearest(X, selfNeighbours(X.rows, p)))`.
   */
  selfNeighbours?(rows: number, params: z.output<P>): number;
  fitFromNeighbours?(X: Matrix, params: z.output<P>, nn: Neighbours): FitResult<S>;
  /**
   * Present on detectors whose fit is mostly independent pieces (k-means restarts): how many,
   * the results of the pieces `take` hands out, in the order taken (structured-cloneable, so a
   * worker can send them), and the fit from every piece's result in piece order. `fit` must give
   * the same result as `finish(X, p, run(X, p, pieceRange(0, count(X, p))))`; the pool runs the
   * pieces on every core.
   */
  readonly pieces?: {
    count(X: Matrix, params: z.output<P>): number;
    run(X: Matrix, params: z.output<P>, take: PieceSource): unknown[];
    finish(X: Matrix, params: z.output<P>, results: unknown[]): FitResult<S>;
  };
  /**
   * Present on detectors with their own labelling rule: the score above which a row is an
   * outlier, or undefined to use the contamination quantile of the training scores (PyOD's
   * rule, model.ts) as every other detector. Gets the training scores for rules drawn from
   * them (the autoencoder's MAD rule).
   */
  labelThreshold?(params: z.output<P>, trainingScores: Float64Array): number | undefined;
  /**
   * Present where PyOD scores new rows in a batch-dependent way that `score` deliberately does
   * not (a row's score there depends on the rest of its batch): PyOD's scoring of a batch from
   * a fitted state, for parity checks only (src/eval/pooled.ts, mode "replay"). Never used to score.
   */
  pyodBatchScore?(state: S, X: Matrix, params: z.output<P>): Float64Array;
  /**
   * From how many rows fitting and scoring on the worker pool pays off (parallel.ts; default
   * 200,000), or that number as a function of the feature count and params. Detectors that cost
   * microseconds or more per row (neighbour searches) set it lower; approximate neighbour search
   * never uses the pool (its index searches on every core itself and workers would rebuild it).
   */
  readonly parallelMinRows?: number | ((cols: number, params: z.output<P>) => number);
  /**
   * Set where scoring a row costs microseconds or more (neighbour searches, ensembles of
   * networks): scoreAsync then scores each distinct row of a large input once and spreads the
   * scores back (parallel.ts), which pays for hashing the rows wherever rows repeat.
   */
  readonly costlyScore?: boolean;
  fit(X: Matrix, params: z.output<P>): FitResult<S>;
  score(state: S, X: Matrix, params: z.output<P>): Float64Array;
}

/**
 * Piece indices handed out one at a time, undefined once none are left. A pool worker takes its
 * next piece only when it is done with the last, so pieces of uneven cost (cblof's k-means
 * restarts on smtp run 13 to 31 iterations) even out over the threads instead of one thread
 * getting the slow half.
 */
export type PieceSource = () => number | undefined;

/** Pieces [first, first + count), in order. */
export function pieceRange(first: number, count: number): PieceSource {
  let next = first;
  return () => (next < first + count ? next++ : undefined);
}

/** Identity helper that fixes the generic types of a detector definition. */
export function defineDetector<P extends AnyParamsSchema, S>(
  def: DetectorDefinition<P, S>,
): DetectorDefinition<P, S> {
  return def;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyDetector = DetectorDefinition<AnyParamsSchema, any>;

/** Schemas for typed-array fields of states. */
export const f64 = z.instanceof(Float64Array);
export const i32 = z.instanceof(Int32Array);

/**
 * The strict form of each params schema, built once: `strict()` makes a new schema, and zod
 * compiles a fresh parser for every new schema at its first parse (about 0.2–0.6 ms of CPU per
 * fit, measured; more than the whole fit of a small dataset for some detectors).
 */
const strictSchemas = new WeakMap<AnyParamsSchema, AnyParamsSchema>();

function strictSchema(params: AnyParamsSchema): AnyParamsSchema {
  let strict = strictSchemas.get(params);
  if (strict === undefined) {
    strict = params.strict();
    strictSchemas.set(params, strict);
  }
  return strict;
}

/** Validates params against a detector's schema, with defaults filled in (throws ParamError). */
export function resolveParams(def: AnyDetector, raw: unknown = {}): Record<string, unknown> {
  const parsed = strictSchema(def.params).safeParse(raw ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((i) => `${i.path.length > 0 ? i.path.join(".") : "params"}: ${i.message}`)
      .join("; ");
    const known = Object.keys(def.params.shape).join(", ");
    throw new ParamError(`invalid params for ${def.name}: ${problems} (known params: ${known})`);
  }
  return parsed.data as Record<string, unknown>;
}

/** Concatenates typed arrays in order. */
export function concatF64(parts: readonly Float64Array[]): Float64Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Float64Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
