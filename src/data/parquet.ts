/**
 * Parquet into a table of text columns like every other reader: nested STRUCT columns flatten
 * to dotted names (as JSON objects do), LIST and MAP values become JSON text, scalars their
 * DuckDB text form (numbers round-trip exactly).
 */
import { DataError } from "../core/errors.js";
import { ident, literal, type Db } from "./db.js";
import { checkNames, newTableName } from "./delimited.js";
import { MAX_FLATTEN_DEPTH } from "./flatten.js";
import type { LoadedTable } from "./table.js";

interface ParquetColumn {
  readonly name: string;
  readonly expr: string;
}

/** Splits DuckDB's `STRUCT(a INTEGER, "b c" VARCHAR)` type text into its fields. */
function structFields(type: string): [string, string][] | undefined {
  const m = /^STRUCT\((.*)\)$/s.exec(type);
  if (!m) return undefined;
  const body = m[1];
  const out: [string, string][] = [];
  let depth = 0;
  let start = 0;
  let quoted = false;
  const push = (part: string): void => {
    const p = part.trim();
    const nm = /^("(?:[^"]|"")*"|[^\s]+)\s+(.*)$/s.exec(p);
    if (!nm) return;
    const name = nm[1].startsWith('"') ? nm[1].slice(1, -1).replace(/""/g, '"') : nm[1];
    out.push([name, nm[2]]);
  };
  for (let i = 0; i < body.length; i++) {
    const ch = body[i];
    if (ch === '"') quoted = !quoted;
    else if (quoted) continue;
    else if (ch === "(" || ch === "[") depth++;
    else if (ch === ")" || ch === "]") depth--;
    else if (ch === "," && depth === 0) {
      push(body.slice(start, i));
      start = i + 1;
    }
  }
  push(body.slice(start));
  return out;
}

function columnsOf(name: string, expr: string, type: string, depth: number): ParquetColumn[] {
  const fields = structFields(type);
  if (fields !== undefined && depth < MAX_FLATTEN_DEPTH && fields.length > 0)
    return fields.flatMap(([f, t]) =>
      columnsOf(`${name}.${f}`, `struct_extract(${expr}, ${literal(f)})`, t, depth + 1),
    );
  const text =
    fields !== undefined || /\[\]$|^MAP\(|^LIST|\[\d+\]$/.test(type)
      ? `to_json(${expr})::VARCHAR`
      : `${expr}::VARCHAR`;
  return [{ name, expr: text }];
}

export async function loadParquet(db: Db, file: string): Promise<LoadedTable> {
  let described: [string, string][];
  try {
    const r = await db.connection.runAndReadAll(
      `DESCRIBE SELECT * FROM read_parquet(${literal(file)})`,
    );
    described = (r.getRowsJS() as string[][]).map((row) => [row[0], row[1]]);
  } catch (e) {
    throw new DataError(`cannot read as Parquet: ${(e as Error).message.split("\n")[0]}`, { file });
  }
  const columns = described.flatMap(([name, type]) => columnsOf(name, ident(name), type, 1));
  checkNames(
    columns.map((c) => c.name),
    file,
  );
  const table = newTableName();
  await db.connection.run(
    `CREATE TEMP TABLE ${table} AS SELECT ${columns.map((c) => `${c.expr} AS ${ident(c.name)}`).join(", ")} FROM read_parquet(${literal(file)})`,
  );
  const count = await db.connection.runAndReadAll(`SELECT count(*)::DOUBLE FROM ${table}`);
  const rows = count.getRowsJS()[0][0] as number;
  if (rows === 0) throw new DataError("Parquet file has no rows", { file });
  return {
    file,
    format: "parquet",
    table,
    columns: columns.map((c) => c.name),
    rows,
    skipped: 0,
    badRecords: [],
    notes: [],
    removedRows: new Float64Array(0),
  };
}
