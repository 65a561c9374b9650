/**
 * The encoder contract. An encoder turns one input (a column's text, or a value derived from it)
 * into one or more numeric feature columns in two steps: `fit` learns a JSON-serialisable state
 * from the training table, and `plan` turns that state into SQL that DuckDB evaluates for any
 * table (joins against small lookup tables, window functions per entity). Fit once, plan as often
 * as needed: the same state gives the same numbers.
 *
 * Every encoder reads its input through the context, which knows whether a column is present:
 * an optional column that is absent reads as all-missing, so the encoder's documented fallback
 * for missing values applies to every row.
 */
import type { z } from "zod";
import type { Db } from "../data/db.js";

export interface EncodeContext {
  readonly db: Db;
  /** The stage-0 view: every raw column, `__row` (record order) and derived inputs. */
  readonly view: string;
  readonly file: string;
  /** SQL text expression of a feature's input: NULL when missing or empty. */
  input(feature: FeatureInput): string;
  /** SQL expression of a column as epoch seconds (DOUBLE), NULL when missing. */
  time(column: string, optional?: boolean): string;
  /** SQL expression of a raw column's text (NULL when missing or empty, or absent and optional). */
  column(name: string, optional?: boolean): string;
  /** A fresh temporary table name. */
  tempName(prefix: string): string;
  /** Throws a DataError naming the first row where `badWhere` holds, if any. */
  checkRows(badWhere: string, column: string, problem: string): Promise<void>;
}

/** What every feature entry names: a column (or a derived value of it) and its optionality. */
export interface FeatureInput {
  readonly column?: string;
  readonly optional?: boolean;
  readonly derive?: string;
  /** Filled in by the pipeline: the view column holding the derived value. */
  readonly derivedAs?: string;
}

/** How one fitted feature appears in the final SELECT. */
export interface Plan {
  /** `LEFT JOIN …` clauses against lookup tables this plan created. */
  readonly joins?: readonly string[];
  /** One SQL expression (DOUBLE, never NULL) per output column. */
  readonly exprs: readonly string[];
  /**
   * 2 when the expressions read other features' outputs (`__f<k>` columns of stage 1), as the
   * shift windows do; they are then evaluated over stage 1.
   */
  readonly stage?: 2;
}

export interface Encoder<F, S> {
  readonly encode: string;
  /** One line for docs and `--help`. */
  readonly summary: string;
  readonly options: z.ZodType<F>;
  readonly state: z.ZodType<S>;
  fit(ctx: EncodeContext, feature: F): Promise<S>;
  /** Names of the output columns, given the feature's display name. */
  outputs(name: string, feature: F, state: S): string[];
  plan(ctx: EncodeContext, feature: F, state: S, refs: FeatureRefs): Promise<Plan>;
}

/** Stage-1 output columns of earlier features, by feature name (for shift windows). */
export type FeatureRefs = ReadonlyMap<string, readonly string[]>;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyEncoder = Encoder<any, any>;

/** SQL literal of a finite double. */
export function num(v: number): string {
  if (!Number.isFinite(v)) throw new Error(`not a finite number: ${v}`);
  return Object.is(v, -0) ? "0.0" : `${v}::DOUBLE`;
}

/** Single-row numeric/text helpers shared by encoders. */
export async function scalarRow(db: Db, sql: string): Promise<unknown[]> {
  const r = await db.connection.runAndReadAll(sql);
  return r.getRowsJS()[0] ?? [];
}

export async function allRows(db: Db, sql: string): Promise<unknown[][]> {
  const r = await db.connection.runAndReadAll(sql);
  return r.getRowsJS() as unknown[][];
}
