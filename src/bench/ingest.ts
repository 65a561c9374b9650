/**
 * Ingestion benchmarks: reading generated logs into DuckDB tables (rows/s, peak memory), each
 * case in its own process so its peak RSS is its own. Inputs are generated once per size and
 * seed into the system's temporary folder and reused.
 *
 * - `csv`: the synthetic connection log (11 columns), read and its 9 numeric columns turned
 *   into a matrix;
 * - `cloudtrail-jsonl`: synthetic CloudTrail as JSON Lines (~1 KB per record, 55 flattened
 *   columns), read and flattened. Feature encoding of these records (categorical codes,
 *   timestamps, per-entity windows) is not built yet; when it is, this case will include it.
 */
import { existsSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { writeCloudTrail } from "../data/cloudtrail-synth.js";
import { numericColumns, toMatrix } from "../data/csv.js";
import { withDb } from "../data/db.js";
import { readLog } from "../data/read.js";
import { connectionsToCsv, generateConnections } from "../data/synthetic.js";

export type IngestKind = "csv" | "cloudtrail-jsonl";
export const INGEST_KINDS: readonly IngestKind[] = ["csv", "cloudtrail-jsonl"];

/** The input file for a case, generated if it is not there yet. */
export async function ingestInput(kind: IngestKind, rows: number): Promise<string> {
  const path = join(
    tmpdir(),
    `anomalog-bench-${kind}-${rows}-seed1.${kind === "csv" ? "csv" : "jsonl"}`,
  );
  if (existsSync(path)) return path;
  const partial = `${path}.partial-${process.pid}`;
  if (kind === "csv") {
    // In slices, so a million rows never sit in one string.
    const slice = 200_000;
    writeFileSync(partial, "");
    const all = generateConnections(rows, 1);
    for (let start = 0; start < rows; start += slice) {
      const text = connectionsToCsv(all.slice(start, start + slice));
      writeFileSync(partial, start === 0 ? text : text.slice(text.indexOf("\n") + 1), {
        flag: "a",
      });
    }
  } else await writeCloudTrail(partial, rows, 1);
  renameSync(partial, path);
  return path;
}

export interface IngestResult {
  readonly rows: number;
  readonly columns: number;
  readonly seconds: number;
  readonly peakMiB: number;
}

/** Child-process entry: read one input and report time and peak RSS. */
export async function runIngestCase(kind: IngestKind, path: string): Promise<IngestResult> {
  const t0 = performance.now();
  const { rows, columns } = await withDb(async (db) => {
    const t = await readLog(db, path);
    if (kind === "csv") await toMatrix(db, t, await numericColumns(db, t));
    return { rows: t.rows, columns: t.columns.length };
  });
  const seconds = (performance.now() - t0) / 1000;
  return { rows, columns, seconds, peakMiB: process.resourceUsage().maxRSS / 1024 };
}
