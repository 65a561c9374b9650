/**
 * Loaded tables (src/data/read.ts) to numbers: numeric features are cast column by column, and a
 * cell that is not a finite number is an error naming file, row and column.
 *
 * Rows are numbered from 1 for the first data row (file line 2 of a CSV when no field spans
 * lines), counting skipped records, so a row number always points into the file.
 */
import type { DuckDBDoubleVector } from "@duckdb/node-api";
import { DataError } from "../core/errors.js";
import { matrix, type Matrix } from "../core/matrix.js";
import { ident, type Db } from "./db.js";
import { loadDelimited } from "./delimited.js";
import { sourceRow, type LoadedTable } from "./table.js";

export type { LoadedTable } from "./table.js";
export { loadDelimited, delimiterFor } from "./delimited.js";

/** Throws unless every named column exists, listing what does. */
export function requireColumns(t: LoadedTable, names: readonly string[]): void {
  for (const name of names) {
    if (!t.columns.includes(name)) {
      throw new DataError(`no column "${name}" (columns: ${t.columns.join(", ")})`, {
        file: t.file,
      });
    }
  }
}

/**
 * Columns whose every non-empty value parses as a finite number (candidates for features when
 * the user names none).
 */
export async function numericColumns(db: Db, t: LoadedTable): Promise<string[]> {
  if (t.columns.length === 0) return [];
  const checks = t.columns
    // TRY_CAST of text is NULL, and bool_and skips NULLs: coalesce so text counts as "no".
    .map(
      (c) =>
        `bool_and(${ident(c)} IS NULL OR coalesce(isfinite(TRY_CAST(${ident(c)} AS DOUBLE)), false))`,
    )
    .join(", ");
  const r = await db.connection.runAndReadAll(`SELECT ${checks} FROM ${t.table}`);
  const flags = r.getRowsJS()[0];
  return t.columns.filter((_, k) => flags[k] === true);
}

/**
 * The named columns as a numeric matrix, rows in file order. Any empty, non-numeric or
 * non-finite cell is a DataError naming its row and column.
 */
export async function toMatrix(
  db: Db,
  t: LoadedTable,
  columns: readonly string[],
): Promise<Matrix> {
  requireColumns(t, columns);
  const d = columns.length;
  const out = new Float64Array(t.rows * d);
  if (d === 0) return matrix(t.rows, 0, out);
  const select = columns.map((c) => `TRY_CAST(${ident(c)} AS DOUBLE)`).join(", ");
  const result = await db.connection.stream(`SELECT ${select} FROM ${t.table} ORDER BY rowid`);
  let offset = 0;
  for (;;) {
    const chunk = await result.fetchChunk();
    if (chunk === null || chunk.rowCount === 0) break;
    const n = chunk.rowCount;
    for (let j = 0; j < d; j++) {
      const vector = chunk.getColumnVector(j) as DuckDBDoubleVector;
      for (let i = 0; i < n; i++) {
        const v = vector.getItem(i);
        if (v === null || !Number.isFinite(v)) await throwBadCell(db, t, columns[j], offset + i);
        out[(offset + i) * d + j] = v as number;
      }
    }
    offset += n;
  }
  return matrix(t.rows, d, out);
}

async function throwBadCell(
  db: Db,
  t: LoadedTable,
  column: string,
  rowIndex: number,
): Promise<never> {
  const r = await db.connection.runAndReadAll(
    `SELECT ${ident(column)} FROM ${t.table} ORDER BY rowid LIMIT 1 OFFSET ${rowIndex}`,
  );
  const raw = r.getRowsJS()[0]?.[0] as string | null | undefined;
  const where = { file: t.file, row: sourceRow(t, rowIndex), column };
  if (raw === null || raw === undefined || raw.trim() === "") {
    throw new DataError("missing value; every feature cell needs a number", where);
  }
  const shown = raw.length > 60 ? `${raw.slice(0, 60)}…` : raw;
  if (/^[+-]?(nan|inf|infinity)$/i.test(raw.trim())) {
    throw new DataError(`non-finite value "${shown}"; features must be finite numbers`, where);
  }
  throw new DataError(`"${shown}" is not a number`, where);
}

/** A 0/1 label column (1 = anomaly) as bytes; anything else is an error naming the row. */
export async function toLabels(db: Db, t: LoadedTable, column: string): Promise<Uint8Array> {
  const X = await toMatrix(db, t, [column]);
  const labels = new Uint8Array(t.rows);
  for (let i = 0; i < t.rows; i++) {
    const v = X.data[i];
    if (v !== 0 && v !== 1) {
      throw new DataError(`label ${v} is not 0 or 1 (1 = anomaly)`, {
        file: t.file,
        row: sourceRow(t, i),
        column,
      });
    }
    labels[i] = v;
  }
  return labels;
}

export interface NumericDataset {
  readonly file: string;
  readonly X: Matrix;
  readonly features: readonly string[];
  readonly labels?: Uint8Array;
}

/**
 * Reads a CSV into a feature matrix and optional labels. Without `features`, every column
 * other than the label is a feature, and each must be numeric.
 */
export async function readNumericCsv(
  db: Db,
  file: string,
  options: { label?: string; features?: readonly string[] } = {},
): Promise<NumericDataset> {
  const t = await loadDelimited(db, file);
  if (options.label !== undefined) requireColumns(t, [options.label]);
  const features = options.features ?? t.columns.filter((c) => c !== options.label);
  const X = await toMatrix(db, t, features);
  const labels = options.label !== undefined ? await toLabels(db, t, options.label) : undefined;
  return { file, X, features, labels };
}
