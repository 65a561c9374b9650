/**
 * Puts typed-array columns into a new DuckDB table, so results can be joined back to the raw
 * records and written by DuckDB.
 */
import { ident, type Db } from "./db.js";

export type NumericColumn =
  | { name: string; type: "INTEGER"; values: Int32Array | Uint8Array }
  | { name: string; type: "DOUBLE"; values: Float64Array };

export async function createNumericTable(
  db: Db,
  table: string,
  rows: number,
  columns: readonly NumericColumn[],
): Promise<void> {
  const defs = columns.map((c) => `${ident(c.name)} ${c.type}`).join(", ");
  await db.connection.run(`CREATE OR REPLACE TABLE ${ident(table)} (${defs})`);
  const appender = await db.connection.createAppender(table);
  try {
    for (let i = 0; i < rows; i++) {
      for (const c of columns) {
        if (c.type === "INTEGER") appender.appendInteger(c.values[i]);
        else appender.appendDouble(c.values[i]);
      }
      appender.endRow();
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
}
