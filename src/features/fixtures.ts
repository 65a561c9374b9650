/** Test helpers: small logs written to a temporary folder and read the way a hunt reads them. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Db } from "../data/db.js";
import { readLog } from "../data/read.js";
import type { LoadedTable } from "../data/table.js";

const dir = mkdtempSync(join(tmpdir(), "anomalog-features-"));
let files = 0;

/** A JSON Lines log of the given records (null stays null: a missing value). */
export function jsonl(records: readonly Record<string, unknown>[]): string {
  const path = join(dir, `log-${++files}.jsonl`);
  writeFileSync(path, records.map((r) => JSON.stringify(r)).join("\n") + "\n");
  return path;
}

export function csvFile(text: string): string {
  const path = join(dir, `log-${++files}.csv`);
  writeFileSync(path, text);
  return path;
}

export async function table(db: Db, path: string): Promise<LoadedTable> {
  return readLog(db, path);
}

/** Column j of a row-major matrix as a plain array. */
export function column(X: { data: Float64Array; rows: number; cols: number }, j: number): number[] {
  return Array.from({ length: X.rows }, (_, i) => X.data[i * X.cols + j]);
}
