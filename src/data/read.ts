/**
 * One entry point for every log format: `readLog(db, path)` detects the format (or takes the
 * one given), reads the file, or a directory of CloudTrail files, into a DuckDB table of text
 * columns in record order, and accounts for every record it did not keep (src/data/table.ts).
 */
import type { Db } from "./db.js";
import { loadDelimited } from "./delimited.js";
import { loadJson } from "./json.js";
import { loadParquet } from "./parquet.js";
import { resolveSource, type LogFormat } from "./sniff.js";
import type { LoadedTable, OnBadRows } from "./table.js";
import { loadZeek } from "./zeek.js";

export interface ReadOptions {
  /** Given by the user; detected from content and name when absent. */
  readonly format?: LogFormat;
  /** Column names for a headerless CSV/TSV (NSL-KDD). */
  readonly names?: readonly string[];
  readonly onBadRows?: OnBadRows;
  /**
   * Columns the caller needs; JSON formats then read just these, in one pass (src/data/json.ts).
   * Other formats read every column.
   */
  readonly fields?: readonly string[];
}

export async function readLog(
  db: Db,
  path: string,
  options: ReadOptions = {},
): Promise<LoadedTable> {
  const source = await resolveSource(path, options.format);
  const onBadRows = options.onBadRows ?? "fail";
  const file = source.files[0];
  switch (source.format) {
    case "csv":
    case "tsv":
      return loadDelimited(db, file, {
        delimiter: source.format === "tsv" ? "\t" : ",",
        names: options.names,
        onBadRows,
        format: source.format,
      });
    case "zeek":
      return loadZeek(db, file, onBadRows);
    case "parquet":
      return loadParquet(db, file);
    case "json":
    case "jsonl":
    case "cloudtrail":
      return loadJson(db, {
        kind: source.format,
        path,
        files: source.files,
        onBadRows,
        fields: options.fields,
      });
  }
}
