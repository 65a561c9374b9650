/**
 * A log loaded into DuckDB: one table of text columns in record order, and an account of every
 * record that did not make it into the table (skipped as malformed, or a repeated header line),
 * so that nothing leaves silently and row numbers in later errors still point into the file.
 */
import type { LogFormat } from "./sniff.js";

/** A record left out of the table, and why. */
export interface BadRecord {
  readonly file: string;
  /** 1-based line in the (decompressed) file, where known. */
  readonly line?: number;
  /** 1-based record number within the file (JSON arrays, CloudTrail Records). */
  readonly record?: number;
  readonly problem: string;
}

export interface LoadedTable {
  /** The path the user gave (a file, or a directory of CloudTrail files). */
  readonly file: string;
  readonly format: LogFormat;
  /** DuckDB table holding every column as text, in record order (by rowid). */
  readonly table: string;
  readonly columns: readonly string[];
  readonly rows: number;
  /** Malformed records skipped at the user's request (`onBadRows: "skip"`). */
  readonly skipped: number;
  /** The first skipped records (at most MAX_REPORTED), with their place and problem. */
  readonly badRecords: readonly BadRecord[];
  /** Things done to the input that a user should know of (e.g. repeated headers removed). */
  readonly notes: readonly string[];
  /**
   * Source row numbers (1-based, ascending) that are not in the table: skipped records and
   * removed header lines. Table row i (0-based) is source row `sourceRow(t, i)`.
   */
  readonly removedRows: Float64Array;
}

export type OnBadRows = "fail" | "skip";

export const MAX_REPORTED = 20;

/** The 1-based source row of table row `index` (0-based), stepping over removed rows. */
export function sourceRow(
  t: { readonly removedRows: ArrayLike<number> & Iterable<number> },
  index: number,
): number {
  let row = index + 1;
  for (const removed of t.removedRows) {
    if (removed <= row) row++;
    else break;
  }
  return row;
}
