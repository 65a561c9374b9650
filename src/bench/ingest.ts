/**
 * Ingestion benchmarks: reading generated logs into DuckDB tables (rows/s, peak memory), each
 * case in its own process so its peak RSS is its own. Inputs are generated once per size and
 * seed into the system's temporary folder and reused.
 *
 * - `csv`: the synthetic connection log (11 columns), read and its 9 numeric columns turned
 *   into a matrix;
 * - `csv-read`: the same file, read alone (the reader's own speed);
 * - `cloudtrail-jsonl`: synthetic CloudTrail as JSON Lines (~1 KB per record, 55 flattened
 *   columns), read and flattened, every field;
 * - `cloudtrail-encode`: the same file read for a feature spec (only the fields it names, one
 *   pass) and encoded: the CloudTrail notebook's five fields as category codes, hour, weekday
 *   and seconds since the ARN's previous call, and distinct source IPs per ARN in the last hour.
 *
 * Seconds are wall time inside the case's process (process start excluded); cpuSeconds is the
 * process's CPU time, which a loaded machine inflates less.
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
import { fitTransform } from "../features/pipeline.js";
import { parseSpec, specColumns } from "../features/spec.js";

export type IngestKind = "csv" | "csv-read" | "cloudtrail-jsonl" | "cloudtrail-encode";
export const INGEST_KINDS: readonly IngestKind[] = [
  "csv",
  "csv-read",
  "cloudtrail-jsonl",
  "cloudtrail-encode",
];

/** The bench's CloudTrail spec: 5 categorical, 3 timestamp features, one per-entity window. */
export const CLOUDTRAIL_BENCH_SPEC = {
  entity: "userIdentity.arn",
  time: "eventTime",
  features: [
    ...["sourceIPAddress", "eventSource", "eventName", "userAgent", "userIdentity.arn"].map(
      (column) => ({ column, encode: "codes" }),
    ),
    { column: "eventTime", encode: "hour" },
    { column: "eventTime", encode: "weekday" },
    { column: "eventTime", encode: "delta" },
    { encode: "rolling", window: "1h", distinct: "sourceIPAddress" },
  ],
};

/** The input file for a case, generated if it is not there yet. */
export async function ingestInput(kind: IngestKind, rows: number): Promise<string> {
  const csv = kind === "csv" || kind === "csv-read";
  // One input per format, shared by the cases that read it.
  const path = join(
    tmpdir(),
    `anomalog-bench-${csv ? "csv" : "cloudtrail-jsonl"}-${rows}-seed1.${csv ? "csv" : "jsonl"}`,
  );
  if (existsSync(path)) return path;
  const partial = `${path}.partial-${process.pid}`;
  if (csv) {
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
  readonly cpuSeconds: number;
  /** Of `seconds`, the reading (the rest is encoding). */
  readonly readSeconds: number;
}

/** Child-process entry: read one input and report time and peak RSS. */
export async function runIngestCase(kind: IngestKind, path: string): Promise<IngestResult> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let readSeconds = 0;
  const { rows, columns } = await withDb(async (db) => {
    if (kind === "cloudtrail-encode") {
      const spec = parseSpec(CLOUDTRAIL_BENCH_SPEC);
      const t = await readLog(db, path, { fields: specColumns(spec) });
      readSeconds = (performance.now() - t0) / 1000;
      const encoded = await fitTransform(db, t, spec);
      return { rows: encoded.X.rows, columns: encoded.X.cols };
    }
    const t = await readLog(db, path);
    readSeconds = (performance.now() - t0) / 1000;
    if (kind === "csv") await toMatrix(db, t, await numericColumns(db, t));
    return { rows: t.rows, columns: t.columns.length };
  });
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return {
    rows,
    columns,
    seconds,
    readSeconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    peakMiB: process.resourceUsage().maxRSS / 1024,
  };
}
