/**
 * What feature entries share (the input column, its optionality, a derived value), and small
 * lookup tables in DuckDB that the categorical encoders join against.
 */
import { z } from "zod";
import type { Db } from "../../data/db.js";
import { ident } from "../../data/db.js";

export const DERIVED = ["prefix24", "asn", "country"] as const;
export type Derived = (typeof DERIVED)[number];

export const inputOptions = {
  name: z
    .string()
    .min(1)
    .optional()
    .describe("Output name (default: the column, plus the encoding where needed)."),
  column: z.string().min(1).describe("Input column (dotted for nested JSON: userIdentity.arn)."),
  optional: z
    .boolean()
    .default(false)
    .describe(
      "An absent column reads as all-missing (the encoder's missing fallback) instead of an error.",
    ),
  derive: z
    .enum(DERIVED)
    .optional()
    .describe(
      "Encode a value derived from the column: prefix24 (an IPv4 address's /24), asn or country (through the spec's ip2asn table).",
    ),
};

/**
 * A temporary table `(v VARCHAR, x0 DOUBLE, x1 DOUBLE, …)` holding text keys and numbers, for
 * a LEFT JOIN on the key. Appended row by row (a SQL literal of a million keys would be larger
 * than the data).
 */
export async function createLookup(
  db: Db,
  table: string,
  keys: readonly string[],
  columns: readonly ArrayLike<number>[],
): Promise<void> {
  const defs = ["v VARCHAR", ...columns.map((_, k) => `x${k} DOUBLE`)].join(", ");
  await db.connection.run(`CREATE OR REPLACE TABLE ${ident(table)} (${defs})`);
  const appender = await db.connection.createAppender(table);
  try {
    for (let i = 0; i < keys.length; i++) {
      appender.appendVarchar(keys[i]);
      for (const c of columns) appender.appendDouble(c[i]);
      appender.endRow();
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
}
