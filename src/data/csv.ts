/**
 * Delimited files (CSV, TSV, optionally gzip) into DuckDB, strictly: the header is read first,
 * every column is loaded as text exactly as written, and a line with the wrong number of fields
 * is an error naming the file and line. Numeric features are then cast column by column, and a
 * cell that is not a finite number is an error naming file, row and column.
 *
 * Rows are numbered from 1 for the first data row (file line 2 when no field spans lines).
 */
import type { DuckDBDoubleVector } from "@duckdb/node-api";
import { DataError } from "../core/errors.js";
import { matrix, type Matrix } from "../core/matrix.js";
import { ident, literal, type Db } from "./db.js";
import { readHeaderLine, splitCsvLine } from "./header.js";

export interface LoadedTable {
  readonly file: string;
  /** DuckDB table holding every column as text, in file order (by rowid). */
  readonly table: string;
  readonly columns: readonly string[];
  readonly rows: number;
}

let tableCounter = 0;

export function delimiterFor(file: string): string {
  return /\.tsv(\.gz)?$/i.test(file) ? "\t" : ",";
}

/** Loads a delimited file into a new DuckDB table of text columns. */
export async function loadDelimited(db: Db, file: string): Promise<LoadedTable> {
  const delimiter = delimiterFor(file);
  const header = splitCsvLine(await readHeaderLine(file), delimiter, file);
  const seen = new Set<string>();
  header.forEach((name, k) => {
    if (name.trim() === "")
      throw new DataError(`header field ${k + 1} is empty; every column needs a name`, { file });
    // DuckDB, like SQL, does not tell "a" from "A".
    if (seen.has(name.toLowerCase()))
      throw new DataError(`header names column "${name}" twice (names are case-insensitive)`, {
        file,
      });
    seen.add(name.toLowerCase());
  });
  const columnTypes = `{${header.map((c) => `${literal(c)}: 'VARCHAR'`).join(", ")}}`;
  const table = `raw_${++tableCounter}`;
  try {
    await db.connection.run(
      `CREATE TEMP TABLE ${table} AS SELECT * FROM read_csv(${literal(file)}, auto_detect = false, header = true, ` +
        `delim = ${literal(delimiter)}, quote = '"', escape = '"', columns = ${columnTypes})`,
    );
  } catch (e) {
    throw csvError(e as Error, file);
  }
  const count = await db.connection.runAndReadAll(`SELECT count(*)::DOUBLE FROM ${table}`);
  const rows = count.getRowsJS()[0][0] as number;
  if (rows === 0) throw new DataError("file has a header but no data rows", { file });
  return { file, table, columns: header, rows };
}

/** Turns DuckDB's CSV error into one line naming the file and line. */
function csvError(e: Error, file: string): DataError {
  const msg = e.message;
  const line = /CSV Error on Line: (\d+)/.exec(msg);
  const expected = /Expected Number of Columns: (\d+) Found: (\d+)/.exec(msg);
  if (line && expected) {
    return new DataError(
      `malformed CSV at line ${line[1]}: expected ${expected[1]} fields, found ${expected[2]}`,
      { file },
    );
  }
  if (line) {
    const detail = msg.split("\n")[0].replace(/^[A-Za-z ]+Error: /, "");
    return new DataError(`malformed CSV at line ${line[1]}: ${detail}`, { file });
  }
  return new DataError(`cannot read as CSV: ${msg.split("\n")[0]}`, { file });
}

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
  const where = { file: t.file, row: rowIndex + 1, column };
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
        row: i + 1,
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
