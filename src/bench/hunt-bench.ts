/**
 * Hunt benchmarks (the issue's targets), each case in its own process so its peak RSS is its own:
 * - `dune-300k`: the DUNE CloudTrail file resampled with replacement to 300,000 rows (seeded),
 *   its five fields as pandas category codes (`fields`), the default panel with the default
 *   budget (PyOD's time for the same: ../shared/reference/pyod/dune_timing.json,
 *   `cloudtrail_300k`);
 * - `cloudtrail-1m`: 1,000,000 generated CloudTrail records (JSON Lines), end to end: read,
 *   the five fields coded, the hunt.
 * Reported: seconds (read, encode, fetching the flagged records, the whole hunt), peak memory,
 * detectors run/dropped, forecast error.
 */
import { existsSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { writeCloudTrail } from "../data/cloudtrail-synth.js";
import { literal, withDb } from "../data/db.js";
import { hunt } from "../hunt/hunt.js";

export type HuntKind = "dune-300k" | "cloudtrail-1m";
export const HUNT_KINDS: readonly HuntKind[] = ["dune-300k", "cloudtrail-1m"];
const FIELDS = ["sourceIPAddress", "eventSource", "eventName", "userAgent", "userIdentity.arn"];

/** The case's input, made once and reused from the system's temporary folder. */
export async function huntInput(kind: HuntKind, repo: string): Promise<string> {
  if (kind === "cloudtrail-1m") {
    const path = join(tmpdir(), "anomalog-bench-cloudtrail-1000000-seed1.jsonl");
    if (!existsSync(path)) {
      await writeCloudTrail(`${path}.partial-${process.pid}.jsonl`, 1_000_000, 1);
      renameSync(`${path}.partial-${process.pid}.jsonl`, path);
    }
    return path;
  }
  const path = join(tmpdir(), "anomalog-bench-dune-300k-seed1.csv");
  if (existsSync(path)) return path;
  const source = resolve(repo, "..", "shared", "data", "cloudtrail", "dune_cloudtrail.csv.gz");
  await withDb(async (db) => {
    // Resampled with replacement: 300,000 draws of a row number, seeded through DuckDB's setseed.
    await db.connection.run(
      `CREATE TABLE src AS SELECT row_number() OVER () - 1 AS i, * FROM read_csv(${literal(source)}, all_varchar = true, header = true, delim = ',', quote = '"', escape = '"')`,
    );
    await db.connection.run("SELECT setseed(0.1)");
    await db.connection.run(
      "CREATE TABLE draws AS SELECT d AS k, floor(random() * (SELECT count(*) FROM src))::BIGINT AS i FROM range(300000) t(d)",
    );
    await db.connection.run(
      `COPY (SELECT src.* EXCLUDE (i) FROM draws JOIN src USING (i) ORDER BY draws.k) TO ${literal(`${path}.partial`)} (FORMAT csv, HEADER true)`,
    );
  });
  renameSync(`${path}.partial`, path);
  return path;
}

export interface HuntCaseResult {
  readonly kind: HuntKind;
  readonly rows: number;
  readonly distinctRows: number;
  /** Reading the input (only the five fields, for the JSON Lines case: src/hunt/records.ts). */
  readonly readSeconds: number;
  readonly encodeSeconds: number;
  /** Fetching the flagged rows' complete records after a read of some fields, else null. */
  readonly recordsSeconds: number | null;
  /** From the start of the hunt to its last output (read, encode and fetch included). */
  readonly huntSeconds: number;
  readonly seconds: number;
  readonly peakMiB: number;
  readonly ran: string[];
  readonly dropped: string[];
  readonly failed: string[];
  readonly forecastSeconds: number;
  readonly forecastMedianErrorFactor: number | null;
  readonly detectorSeconds: Record<string, { predicted: number | null; actual: number | null }>;
  readonly flagged: number;
}

export async function runHuntCase(kind: HuntKind, path: string): Promise<HuntCaseResult> {
  const t0 = performance.now();
  const out = join(tmpdir(), `anomalog-bench-hunt-${kind}-${process.pid}`);
  let s: Awaited<ReturnType<typeof hunt>>;
  try {
    s = await hunt({ input: path, out, fields: FIELDS, contamination: 0.001 });
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
  const encodeSeconds = s.encodeSeconds;
  const names = (st: string): string[] =>
    s.detectors.filter((d) => d.status === st).map((d) => d.name);
  return {
    kind,
    rows: s.rows,
    distinctRows: s.distinctRows,
    readSeconds: s.readSeconds,
    encodeSeconds,
    recordsSeconds: s.recordsSeconds,
    huntSeconds: s.seconds,
    seconds: (performance.now() - t0) / 1000,
    peakMiB: process.resourceUsage().maxRSS / 1024,
    ran: names("ran"),
    dropped: names("dropped"),
    failed: names("failed"),
    forecastSeconds: s.forecast.seconds,
    forecastMedianErrorFactor:
      s.forecast.medianAbsLog2Error === null ? null : 2 ** s.forecast.medianAbsLog2Error,
    detectorSeconds: Object.fromEntries(
      s.detectors.map((d) => [d.name, { predicted: d.predictedSeconds, actual: d.seconds }]),
    ),
    flagged: s.flagged,
  };
}
