/**
 * `anomalog query DIR "SQL"`: SQL over a finished hunt's hunt.duckdb, opened read-only so a
 * query can never change the results it sifts.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { DataError, ParamError } from "../core/errors.js";
import { OUTPUT_FILES, isFinishedHunt } from "../hunt/outputs.js";

export type QueryFormat = "table" | "csv" | "jsonl";

export interface QueryResult {
  readonly columns: string[];
  /** Values as JSON (numbers, strings, null; big integers and dates as strings). */
  readonly rows: unknown[][];
}

export async function runQuery(dir: string, sql: string): Promise<QueryResult> {
  const path = join(dir, OUTPUT_FILES.duckdb);
  if (!existsSync(path) || !isFinishedHunt(dir)) {
    throw new ParamError(
      `${dir} holds no finished hunt (no ${OUTPUT_FILES.duckdb} and ${OUTPUT_FILES.summary}); run anomalog hunt --out ${dir} first`,
    );
  }
  const instance = await DuckDBInstance.create(path, { access_mode: "READ_ONLY" });
  const connection = await instance.connect();
  try {
    const reader = await connection.runAndReadAll(sql).catch((e: Error) => {
      throw new DataError(`query failed: ${e.message}`, { file: path });
    });
    const columns = reader.columnNames();
    const objects = reader.getRowObjectsJson();
    return { columns, rows: objects.map((o) => columns.map((c) => o[c])) };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

export function formatQueryResult(r: QueryResult, format: QueryFormat): string {
  if (format === "jsonl") {
    return r.rows
      .map((row) => JSON.stringify(Object.fromEntries(r.columns.map((c, i) => [c, row[i]]))) + "\n")
      .join("");
  }
  if (format === "csv") {
    const lines = [r.columns.map(csvField), ...r.rows.map((row) => row.map(csvCell))];
    return lines.map((l) => l.join(",")).join("\n") + "\n";
  }
  const cells = r.rows.map((row) => row.map((v) => truncate(text(v), 40)));
  const widths = r.columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i].length)));
  const line = (values: string[]): string =>
    values
      .map((v, i) => v.padEnd(widths[i]))
      .join("  ")
      .trimEnd();
  return (
    [line(r.columns), line(widths.map((w) => "-".repeat(w))), ...cells.map(line)].join("\n") +
    `\n(${r.rows.length} row${r.rows.length === 1 ? "" : "s"})\n`
  );
}

function text(v: unknown): string {
  if (v === null || v === undefined) return "";
  return typeof v === "object" ? JSON.stringify(v) : String(v);
}

function csvCell(v: unknown): string {
  return csvField(text(v));
}

function csvField(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function truncate(v: string, n: number): string {
  return v.length > n ? `${v.slice(0, n - 1)}…` : v;
}
