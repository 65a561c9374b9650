/**
 * Parquet into a table of text columns like every other reader: nested STRUCT columns flatten
 * to dotted names (as JSON objects do), LIST and MAP values become JSON text, scalars their
 * DuckDB text form (numbers round-trip exactly).
 */
import { DataError } from "../core/errors.js";
import { ident, literal, type Db } from "./db.js";
import { checkNames, newTableName } from "./delimited.js";
import { flatColumns, structPath } from "./flatten.js";
import type { LoadedTable } from "./table.js";

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
  const columns = flatColumns(described, file).map((c) => ({
    name: c.name,
    expr:
      c.kind === "json"
        ? `to_json(${structPath(c.path)})::VARCHAR`
        : `${structPath(c.path)}::VARCHAR`,
  }));
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
