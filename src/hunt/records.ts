/**
 * A hunt over JSON Lines whose features name only some fields reads just those fields (one
 * projected pass, src/data/json.ts): typing every field of every record was most of a 1M-record
 * hunt's time. Its outputs still carry complete records, for the flagged rows only: their lines
 * are picked from the file by record number (src/data/pick-lines.ts) and read through the normal
 * flattening reader, so their columns are named and valued as a full read names them.
 *
 * One difference remains, by construction: a full read's columns are every field of every record,
 * these are every field of the flagged records (a field no flagged record has is not a column).
 */
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ident, type Db } from "../data/db.js";
import { loadJson } from "../data/json.js";
import { pickJsonLines } from "../data/pick-lines.js";
import type { ReadOptions } from "../data/read.js";
import { isGzip, resolveSource } from "../data/sniff.js";
import type { LoadedTable } from "../data/table.js";
import { createNumericTable } from "../data/append.js";
import type { Spec } from "../features/spec.js";
import { specColumns } from "../features/spec.js";
import type { FittedFeatures } from "../features/pipeline.js";

/** Column of a fetched-records table naming the hunt row (input row, 0-based) it is. */
export const RECORD_KEY = "__hunt_record_row";

export interface FieldsRead {
  /** Fields to read for encoding: the features' columns, the label and excluded columns. */
  readonly fields: readonly string[];
}

/**
 * The fields to read when a hunt needs only some, or undefined when it must read everything: an
 * input other than one JSON Lines file, features chosen from the data (`--spec auto`, numeric
 * columns), or a `--train-on` predicate (any column may appear in it).
 */
export async function fieldsToRead(
  input: string,
  read: ReadOptions | undefined,
  features: { spec?: Spec | "auto"; fields?: readonly string[]; fitted?: FittedFeatures },
  also: { label?: string; exclude?: readonly string[]; trainOn?: string },
): Promise<FieldsRead | undefined> {
  if (also.trainOn !== undefined) return undefined;
  let columns: string[];
  if (features.fitted !== undefined)
    columns = specColumns({
      format: "anomalog-features",
      version: 1,
      features: features.fitted.features.map((f) => f.feature),
    });
  else if (features.spec === "auto") return undefined;
  else if (features.spec !== undefined) columns = specColumns(features.spec);
  else if (features.fields !== undefined) columns = [...features.fields];
  else return undefined;
  const source = await resolveSource(input, read?.format);
  if (source.format !== "jsonl" || source.files.length !== 1 || source.files[0] !== input)
    return undefined;
  const fields = new Set([
    ...columns,
    ...(also.label !== undefined ? [also.label] : []),
    ...(also.exclude ?? []),
  ]);
  return { fields: [...fields] };
}

/**
 * The input's 1-based record numbers of table rows `rows` (0-based, ascending), stepping over
 * the records the read skipped (`removedRows`, ascending): what `sourceRow` gives, in one merge.
 */
export function recordNumbers(
  removedRows: ArrayLike<number>,
  rows: ArrayLike<number>,
): Float64Array {
  const out = new Float64Array(rows.length);
  let r = 0; // removed rows at or before the current source row
  for (let k = 0; k < rows.length; k++) {
    let source = rows[k] + 1 + r;
    while (r < removedRows.length && removedRows[r] <= source) {
      r++;
      source++;
    }
    out[k] = source;
  }
  return out;
}

/**
 * The complete records of table rows `selected` (any order), flattened by the normal reader into
 * a table with RECORD_KEY = the row. `columns` excludes RECORD_KEY.
 */
export async function fetchRecords(
  db: Db,
  input: string,
  read: LoadedTable,
  selected: Int32Array,
): Promise<{ table: string; columns: readonly string[]; key: string }> {
  const rows = Int32Array.from(selected).sort();
  const picked = join(tmpdir(), `anomalog-flagged-${process.pid}-${Date.now()}.jsonl`);
  try {
    await pickJsonLines(input, await isGzip(input), recordNumbers(read.removedRows, rows), picked);
    const records = await loadJson(db, { kind: "jsonl", path: picked, files: [picked] });
    await createNumericTable(db, "hunt_record_rows", rows.length, [
      { name: RECORD_KEY, type: "INTEGER", values: rows },
    ]);
    const table = `${records.table}_keyed`;
    // The k-th picked record is the k-th row of both tables (rowid = reading order).
    await db.connection.run(
      `CREATE TEMP TABLE ${table} AS SELECT k.${ident(RECORD_KEY)}, r.* FROM ${records.table} r ` +
        `JOIN hunt_record_rows k ON r.rowid = k.rowid`,
    );
    await db.connection.run(`DROP TABLE ${records.table}`);
    await db.connection.run("DROP TABLE hunt_record_rows");
    return { table, columns: records.columns, key: RECORD_KEY };
  } finally {
    await rm(picked, { force: true });
  }
}
