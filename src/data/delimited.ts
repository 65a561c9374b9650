/**
 * Delimited logs (CSV, TSV, optionally gzip; headerless with names supplied; Zeek TSV) into
 * DuckDB, strictly: every column is loaded as text exactly as written, and a line with the wrong
 * number of fields is an error naming file and line, or, when the user asks, a counted skip.
 *
 * CICFlowMeter quirks: header names are trimmed (its CSVs write " Destination Port"), and lines
 * that repeat the header (left where per-day files were concatenated) are removed and reported,
 * never read as data. `Infinity` and `NaN` stay as the text they are; turning them into features
 * is the feature pipeline's decision, not the reader's.
 */
import { DataError } from "../core/errors.js";
import { ident, literal, type Db } from "./db.js";
import { verifyGzip } from "./gzip-check.js";
import { readHeaderLine, splitCsvLine } from "./header.js";
import { isGzip } from "./sniff.js";
import {
  MAX_REPORTED,
  sourceRow,
  type BadRecord,
  type LoadedTable,
  type OnBadRows,
} from "./table.js";

/** Longest line DuckDB will take: a bound, so a runaway field is an error rather than a crash. */
export const MAX_LINE_BYTES = 64 * 1024 * 1024;

export interface DelimitedOptions {
  readonly delimiter: string;
  /** Column names for a file without a header line (e.g. NSL-KDD). */
  readonly names?: readonly string[];
  readonly onBadRows?: OnBadRows;
  /** Zeek: no quoting, `#` lines are comments, `unset` reads as NULL. */
  readonly zeek?: { readonly unset: string };
  /** Lines before the data (Zeek's header block), already parsed by the caller. */
  readonly headerLines?: number;
  /** Reported format name. */
  readonly format?: LoadedTable["format"];
}

let tableCounter = 0;
export function newTableName(prefix = "raw"): string {
  return `${prefix}_${++tableCounter}`;
}

export function delimiterFor(file: string): string {
  return /\.tsv(\.gz)?$/i.test(file) ? "\t" : ",";
}

/** Checks column names: none empty, none twice (DuckDB, like SQL, does not tell "a" from "A"). */
export function checkNames(names: readonly string[], file: string): void {
  const seen = new Set<string>();
  names.forEach((name, k) => {
    if (name.trim() === "")
      throw new DataError(`header field ${k + 1} is empty; every column needs a name`, { file });
    if (seen.has(name.toLowerCase()))
      throw new DataError(`header names column "${name}" twice (names are case-insensitive)`, {
        file,
      });
    seen.add(name.toLowerCase());
  });
}

/** Loads a delimited file into a new DuckDB table of text columns. */
export async function loadDelimited(
  db: Db,
  file: string,
  options: DelimitedOptions = { delimiter: delimiterFor(file) },
): Promise<LoadedTable> {
  const { delimiter, onBadRows = "fail" } = options;
  const notes: string[] = [];
  let written: string[];
  let hasHeader: boolean;
  if (options.zeek !== undefined) {
    // The caller read the names from the `#fields` line; records start after the `#` block.
    written = [...(options.names ?? [])];
    hasHeader = false;
  } else if (options.names !== undefined) {
    written = [...options.names];
    hasHeader = false;
    const first = splitCsvLine(await readHeaderLine(file), delimiter, file);
    if (first.length !== written.length)
      throw new DataError(
        `${written.length} column names given, but line 1 has ${first.length} fields`,
        { file },
      );
  } else {
    written = splitCsvLine(await readHeaderLine(file), delimiter, file);
    hasHeader = true;
  }
  const names = written.map((n) => n.trim());
  if (names.some((n, k) => n !== written[k]))
    notes.push("column names trimmed of surrounding spaces");
  try {
    checkNames(names, file);
  } catch (e) {
    // A header of numbers or addresses is usually the first record of a headerless file.
    if (hasHeader && names.some((n) => /^[-+]?[\d.:]+$/.test(n)))
      throw new DataError(
        `${(e as Error).message.replace(/^.*?: /, "")}; the first line looks like data: if the file has no header, name its columns (--names a,b,...)`,
        { file },
      );
    throw e;
  }
  if (hasHeader && names.every((n) => /^[-+]?[\d.:]+$/.test(n)))
    notes.push(
      "every header field is a number or an address: if the file has no header line, name its columns (--names a,b,...)",
    );

  const table = newTableName();
  const rejects = `${table}_rejects`;
  const columnTypes = `{${names.map((c) => `${literal(c)}: 'VARCHAR'`).join(", ")}}`;
  const skip = onBadRows === "skip";
  const dialect = options.zeek
    ? `quote = '', escape = '', comment = '#', nullstr = ${literal(options.zeek.unset)}, header = false`
    : `quote = '"', escape = '"', header = ${hasHeader}`;
  const gzip = await isGzip(file);
  const sql =
    `CREATE TEMP TABLE ${table} AS SELECT * FROM read_csv(${literal(file)}, auto_detect = false, ` +
    `compression = '${gzip ? "gzip" : "none"}', ` +
    `${dialect}, delim = ${literal(delimiter)}, columns = ${columnTypes}, ` +
    `max_line_size = ${MAX_LINE_BYTES}, buffer_size = ${2 * MAX_LINE_BYTES}` +
    (skip
      ? `, ignore_errors = true, store_rejects = true, rejects_table = '${rejects}', rejects_scan = '${rejects}_scan'`
      : "") +
    ")";
  const [integrity, load] = await Promise.allSettled([
    gzip ? verifyGzip(file) : Promise.resolve(),
    db.connection.run(sql),
  ]);
  if (integrity.status === "rejected") {
    await db.connection.run(`DROP TABLE IF EXISTS ${table}`);
    throw integrity.reason;
  }
  if (load.status === "rejected") throw csvError(load.reason as Error, file);

  const removed: number[] = [];
  const badRecords: BadRecord[] = [];
  let skipped = 0;
  const headerOffset = (hasHeader ? 1 : 0) + (options.headerLines ?? 0);
  if (skip) {
    const r = await db.connection.runAndReadAll(
      `SELECT line::DOUBLE, string_agg(DISTINCT error_message, '; ') FROM ${rejects} GROUP BY line ORDER BY line`,
    );
    for (const [line, message] of r.getRowsJS() as [number, string][]) {
      skipped++;
      removed.push(line - headerOffset);
      if (badRecords.length < MAX_REPORTED)
        badRecords.push({ file, line, problem: firstLine(message) });
    }
    await db.connection.run(
      `DROP TABLE IF EXISTS ${rejects}; DROP TABLE IF EXISTS ${rejects}_scan`,
    );
  }

  if (hasHeader && names.length > 0) {
    // A line equal to the header, field for field, is a header repeated mid-file.
    const repeat = written.map((w, k) => `${ident(names[k])} = ${literal(w)}`).join(" AND ");
    const r = await db.connection.runAndReadAll(
      `SELECT rowid::DOUBLE FROM ${table} WHERE ${repeat} ORDER BY rowid`,
    );
    const rowids = (r.getRowsJS() as [number][]).map(([id]) => id);
    if (rowids.length > 0) {
      await db.connection.run(`DELETE FROM ${table} WHERE ${repeat}`);
      const rows = rowids.map((id) => sourceRow({ removedRows: removed }, id));
      notes.push(
        `${rowids.length} repeated header line(s) removed (data row ${rows.slice(0, MAX_REPORTED).join(", ")}${rows.length > MAX_REPORTED ? ", …" : ""})`,
      );
      removed.push(...rows);
      removed.sort((a, b) => a - b);
    }
  }
  const count = await db.connection.runAndReadAll(`SELECT count(*)::DOUBLE FROM ${table}`);
  const rows = count.getRowsJS()[0][0] as number;
  if (rows === 0)
    throw new DataError(
      skipped > 0
        ? `no data rows left after skipping ${skipped} bad line(s)`
        : "file has a header but no data rows",
      { file },
    );
  return {
    file,
    format: options.format ?? (delimiter === "\t" ? "tsv" : "csv"),
    table,
    columns: names,
    rows,
    skipped,
    badRecords,
    notes,
    removedRows: Float64Array.from(removed),
  };
}

function firstLine(s: string): string {
  return s.split("\n")[0];
}

/** Turns DuckDB's CSV error into one line naming the file and line. */
function csvError(e: Error, file: string): DataError {
  const msg = e.message;
  const line = /CSV Error on Line: (\d+)/.exec(msg);
  const expected = /Expected Number of Columns: (\d+) Found: (\d+)/.exec(msg);
  const hint = " (use --on-bad-rows skip to skip and count such lines)";
  if (line && expected) {
    return new DataError(
      `malformed CSV at line ${line[1]}: expected ${expected[1]} fields, found ${expected[2]}${hint}`,
      { file },
    );
  }
  if (line) {
    const lines = msg.split("\n");
    const detail =
      lines.find((l) => /invalid unicode|maximum line size|unterminated|quote/i.test(l)) ??
      lines[0].replace(/^[A-Za-z ]+Error: /, "");
    return new DataError(`malformed CSV at line ${line[1]}: ${detail.trim()}${hint}`, { file });
  }
  return new DataError(`cannot read as CSV: ${firstLine(msg)}`, { file });
}
