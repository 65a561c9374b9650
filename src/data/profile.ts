/**
 * What is in a log, column by column: inferred type, missing and distinct counts, the most
 * common values, numeric range, and a suggested encoding. This is the page a hunter reads to
 * choose fields (DUNE's first page), and what the feature spec's `auto` mode starts from.
 *
 * Types are inferred from the text of every non-missing value (not a sample): integer, number
 * (with a count of Infinity/NaN, which CICFlowMeter writes), boolean, timestamp, ip, json, text.
 * Missing = NULL or empty text.
 */
import { ident, type Db } from "./db.js";
import type { BadRecord, LoadedTable } from "./table.js";

export type ColumnType =
  "empty" | "integer" | "number" | "boolean" | "timestamp" | "ip" | "json" | "text";

export type Suggestion =
  "drop" | "label" | "numeric" | "log1p" | "category" | "frequency" | "timestamp" | "ip" | "port";

export interface TopValue {
  readonly value: string;
  readonly count: number;
}

export interface ColumnProfile {
  readonly name: string;
  readonly type: ColumnType;
  readonly nulls: number;
  readonly distinct: number;
  readonly top: readonly TopValue[];
  /** Finite range of numeric columns. */
  readonly min?: number;
  readonly max?: number;
  /** Values that read as numbers but are not finite (Infinity, NaN). */
  readonly nonFinite?: number;
  readonly suggest: Suggestion;
  readonly why: string;
}

export interface Profile {
  readonly file: string;
  readonly format: string;
  readonly rows: number;
  readonly skipped: number;
  readonly badRecords: readonly BadRecord[];
  readonly notes: readonly string[];
  readonly columns: readonly ColumnProfile[];
}

const TOP_K = 5;
/** Longest value text shown in `top`; a 10 MB field is summarised, not echoed. */
export const MAX_VALUE_CHARS = 200;
/** Columns profiled per SQL statement (a 10,000-column file is ten pairs of queries). */
const BATCH = 1000;
/** A text column with at most this many distinct values is a category; above, frequency. */
const CATEGORY_MAX_DISTINCT = 1000;

const LABEL_NAMES = /^(label|labels|attack|sus|evil|is_attack|anomaly|class|detailedlabel)$/i;

interface Counts {
  present: number;
  distinct: number;
  integer: number;
  number: number;
  finite: number;
  boolean: number;
  timestamp: number;
  ip: number;
  json: number;
  min: number | null;
  max: number | null;
}

/** Aggregates over `v`, one column's values, for the inference. */
const COUNTS_SQL = (() => {
  const v = "nullif(v, '')";
  const num = `TRY_CAST(${v} AS DOUBLE)`;
  return [
    `count(${v})`,
    `count(DISTINCT ${v})`,
    `count(*) FILTER (WHERE regexp_full_match(${v}, '[+-]?[0-9]+') AND TRY_CAST(${v} AS BIGINT) IS NOT NULL)`,
    `count(${num})`,
    `count(*) FILTER (WHERE isfinite(${num}))`,
    `count(*) FILTER (WHERE lower(${v}) IN ('true', 'false', 't', 'f'))`,
    `count(*) FILTER (WHERE ${num} IS NULL AND TRY_CAST(${v} AS TIMESTAMPTZ) IS NOT NULL)`,
    `count(*) FILTER (WHERE regexp_full_match(${v}, '\\d{1,3}(\\.\\d{1,3}){3}') OR regexp_full_match(${v}, '([0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}|[0-9A-Fa-f:]*::[0-9A-Fa-f:]*'))`,
    `count(*) FILTER (WHERE left(${v}, 1) IN ('{', '[') AND json_valid(${v}))`,
    `min(${num}) FILTER (WHERE isfinite(${num}))`,
    `max(${num}) FILTER (WHERE isfinite(${num}))`,
  ]
    .map((e) => `(${e})::DOUBLE`)
    .join(", ");
})();

/**
 * The columns of a batch stacked into (j, v) pairs: one set of aggregate expressions serves any
 * number of columns, so a 10,000-column file costs what its cells cost, not what binding
 * 100,000 expressions costs.
 */
function unpivot(table: string, columns: readonly string[]): string {
  return `(SELECT unnest(range(${columns.length})) AS j, unnest([${columns.map(ident).join(", ")}]) AS v FROM ${table})`;
}

function inferType(k: Counts): ColumnType {
  const n = k.present;
  if (n === 0) return "empty";
  if (k.integer === n) return "integer";
  if (k.number === n) return "number";
  if (k.boolean === n) return "boolean";
  if (k.timestamp === n) return "timestamp";
  if (k.ip === n) return "ip";
  if (k.json === n) return "json";
  return "text";
}

function suggest(
  name: string,
  type: ColumnType,
  k: Counts,
  rows: number,
): { suggest: Suggestion; why: string } {
  if (LABEL_NAMES.test(name)) return { suggest: "label", why: "named like a label; not a feature" };
  if (k.distinct === 0) return { suggest: "drop", why: "always missing" };
  if (k.distinct === 1)
    return k.present < rows
      ? { suggest: "category", why: "one value or missing: its presence is the signal" }
      : { suggest: "drop", why: "the same value on every row" };
  switch (type) {
    case "integer":
    case "number":
      if (k.distinct === k.present && k.present > 100 && /(^|[^a-z])id$|Id$/.test(name))
        return { suggest: "drop", why: "a different number on every row, named like an id" };
      if (/(port|_p)$/i.test(name) && type === "integer" && k.min! >= 0 && k.max! <= 65535)
        return { suggest: "port", why: "integers 0–65535 in a column named like a port" };
      if (/^(ts|time|timestamp)$/i.test(name) && k.min! >= 1e8)
        return { suggest: "timestamp", why: "epoch seconds in a column named like a time" };
      if (k.min! >= 0 && k.max! > 1000 * Math.max(1, Math.abs(k.min!)))
        return {
          suggest: "log1p",
          why: "non-negative with a range over three orders of magnitude",
        };
      return { suggest: "numeric", why: "numbers" };
    case "boolean":
      return { suggest: "category", why: "two values" };
    case "timestamp":
      return { suggest: "timestamp", why: "times: hour, weekday, gaps between an entity's events" };
    case "ip":
      return { suggest: "ip", why: "addresses: class, /24 prefix, ASN and country" };
    case "json":
      return { suggest: "drop", why: "nested JSON; flatten or pick fields to use it" };
    default:
      if (k.distinct === k.present && k.present > 100)
        return { suggest: "drop", why: "a different value on every row (an id)" };
      return k.distinct <= CATEGORY_MAX_DISTINCT
        ? { suggest: "category", why: `${k.distinct} distinct values` }
        : { suggest: "frequency", why: `${k.distinct} distinct values: too many for codes` };
  }
}

export async function profileTable(
  db: Db,
  t: LoadedTable,
  columns: readonly string[] = t.columns,
): Promise<Profile> {
  const out: ColumnProfile[] = [];
  for (let start = 0; start < columns.length; start += BATCH) {
    const batch = columns.slice(start, start + BATCH);
    const r = await db.connection.runAndReadAll(
      `SELECT j, ${COUNTS_SQL} FROM ${unpivot(t.table, batch)} GROUP BY j ORDER BY j`,
    );
    const byColumn = r.getRowsJS() as (number | null)[][];
    const tops = await topValues(db, t.table, batch);
    batch.forEach((name, j) => {
      const f = byColumn[j].slice(1);
      const k: Counts = {
        present: f[0]!,
        distinct: f[1]!,
        integer: f[2]!,
        number: f[3]!,
        finite: f[4]!,
        boolean: f[5]!,
        timestamp: f[6]!,
        ip: f[7]!,
        json: f[8]!,
        min: f[9],
        max: f[10],
      };
      const type = inferType(k);
      const numeric = type === "integer" || type === "number";
      out.push({
        name,
        type,
        nulls: t.rows - k.present,
        distinct: k.distinct,
        top: tops[j],
        ...(numeric && k.min !== null ? { min: k.min, max: k.max! } : {}),
        ...(numeric ? { nonFinite: k.number - k.finite } : {}),
        ...suggest(name, type, k, t.rows),
      });
    });
  }
  return {
    file: t.file,
    format: t.format,
    rows: t.rows,
    skipped: t.skipped,
    badRecords: t.badRecords,
    notes: t.notes,
    columns: out,
  };
}

async function topValues(db: Db, table: string, columns: readonly string[]): Promise<TopValue[][]> {
  const r = await db.connection.runAndReadAll(
    `SELECT j, left(v, ${MAX_VALUE_CHARS + 1}), c FROM (SELECT j, v, count(*)::DOUBLE AS c, ` +
      `row_number() OVER (PARTITION BY j ORDER BY count(*) DESC, v) AS rank ` +
      `FROM ${unpivot(table, columns)} WHERE nullif(v, '') IS NOT NULL GROUP BY j, v) ` +
      `WHERE rank <= ${TOP_K} ORDER BY j, c DESC, v`,
  );
  const out = columns.map((): TopValue[] => []);
  for (const [j, v, c] of r.getRowsJS() as [number, string, number][]) {
    const value = v.length > MAX_VALUE_CHARS ? `${v.slice(0, MAX_VALUE_CHARS)}…` : v;
    out[j].push({ value, count: c });
  }
  return out;
}
