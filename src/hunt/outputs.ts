/**
 * What a hunt leaves in its output folder, and how it gets there without ever looking finished
 * when it is not.
 *
 * Fixed names in DIR: flagged.csv, flagged.jsonl, flagged.parquet (the flagged rows, complete
 * original records plus vote_<detector>, rank and score, most suspicious first), hunt.duckdb
 * (tables events, features, scores, votes, detectors, agreement, run; every table but
 * detectors, agreement and run keyed by hunt_row, the row's 0-based position in the input) and
 * summary.json.
 *
 * Everything is written into a hidden staging folder DIR/.hunt-partial-<pid> and moved into
 * place when all of it is complete, summary.json last: summary.json is the mark of a finished
 * run. A new run first deletes the previous run's files (summary.json first) and any staging
 * folder left by a killed run, so a rerun starts clean.
 */
import { existsSync, rmSync } from "node:fs";
import { mkdir, readdir, rename, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { DataError } from "../core/errors.js";
import type { Matrix } from "../core/matrix.js";
import { createNumericTable, type NumericColumn } from "../data/append.js";
import { ident, literal, type Db } from "../data/db.js";
import type { Consensus } from "./consensus.js";

export const OUTPUT_FILES = {
  csv: "flagged.csv",
  jsonl: "flagged.jsonl",
  parquet: "flagged.parquet",
  duckdb: "hunt.duckdb",
  summary: "summary.json",
} as const;

const STAGING_PREFIX = ".hunt-partial-";
/** Column of hunt.duckdb's tables naming the input row. */
export const ROW_KEY = "hunt_row";

/** Staging folders of runs in this process, removed if the process is interrupted. */
const activeStaging = new Set<string>();

/**
 * Removes the staging folders of unfinished runs, synchronously (for a SIGINT/SIGTERM handler,
 * which must finish before the process exits).
 */
export function abandonPartialOutputs(): void {
  for (const dir of activeStaging) rmSync(dir, { recursive: true, force: true });
  activeStaging.clear();
}

/** Throws if an input column would clash with a column the hunt adds to its tables. */
export function checkOutputColumns(columns: readonly string[], file: string): void {
  for (const c of columns) {
    if (c.toLowerCase() === ROW_KEY) {
      throw new DataError(
        `column "${c}" clashes with the hunt's row key (${ROW_KEY}); rename the column`,
        { file },
      );
    }
  }
}

/**
 * Deletes a previous run's outputs (summary.json first, so a half-deleted folder never looks
 * finished) and staging folders left by killed runs, and creates the folder.
 */
export async function prepareOutDir(out: string): Promise<string> {
  const dir = resolve(out);
  await mkdir(dir, { recursive: true });
  await rm(join(dir, OUTPUT_FILES.summary), { force: true });
  for (const f of Object.values(OUTPUT_FILES)) await rm(join(dir, f), { force: true });
  for (const f of await readdir(dir)) {
    if (f.startsWith(STAGING_PREFIX)) await rm(join(dir, f), { recursive: true, force: true });
  }
  return dir;
}

/**
 * Row indices in output order: rank descending, then score descending, then input order. Rows
 * with rank > 0, or the first `top` rows of that order.
 */
export function selectRows(rank: Int32Array, score: Float64Array, top?: number): Int32Array {
  const n = rank.length;
  let candidates: Int32Array;
  if (top === undefined) {
    let count = 0;
    for (let i = 0; i < n; i++) if (rank[i] > 0) count++;
    candidates = new Int32Array(count);
    let j = 0;
    for (let i = 0; i < n; i++) if (rank[i] > 0) candidates[j++] = i;
  } else {
    candidates = Int32Array.from({ length: n }, (_, i) => i);
  }
  const order = Array.from(candidates).sort(
    (a, b) => rank[b] - rank[a] || score[b] - score[a] || a - b,
  );
  return Int32Array.from(top === undefined ? order : order.slice(0, top));
}

export interface DetectorRecord {
  readonly name: string;
  readonly detector: string;
  readonly params: Record<string, unknown>;
  readonly status: string;
  readonly predictedSeconds: number | null;
  readonly seconds: number | null;
  readonly flagged?: number;
  readonly threshold?: number;
  readonly error?: string;
}

export interface HuntOutputs {
  readonly db: Db;
  /**
   * The records written for the flagged rows: the input's DuckDB table (rowid = input row), or,
   * with `key`, a table holding just those rows, `key` naming each one's input row.
   */
  readonly table: {
    readonly table: string;
    readonly columns: readonly string[];
    readonly key?: string;
  };
  /** The rows to write, in output order (selectRows), when the caller needed them first. */
  readonly selected?: Int32Array;
  readonly outDir: string;
  /** Detectors that ran, in order, with their votes and raw training scores. */
  readonly ran: readonly string[];
  readonly votes: readonly Uint8Array[];
  readonly scores: readonly Float64Array[];
  readonly consensus: Consensus;
  readonly features: readonly string[];
  readonly X: Matrix;
  readonly top?: number;
  readonly detectors: readonly DetectorRecord[];
  /** summary.json's content, less `flagged`, `seconds` and `outputs`, which this adds. */
  readonly summary: Record<string, unknown>;
  /** performance.now() at the start of the run, for `seconds`. */
  readonly started: number;
}

export interface WrittenOutputs {
  /** Output file paths by kind. */
  readonly paths: Record<keyof typeof OUTPUT_FILES, string>;
  /** Rows written. */
  readonly written: number;
  /** The first ten flagged rows as objects (original fields, votes, rank, score). */
  readonly top: Record<string, unknown>[];
  /** Seconds from the start of the run to the last output written. */
  readonly seconds: number;
}

export async function writeOutputs(o: HuntOutputs): Promise<WrittenOutputs> {
  const { db, consensus: c } = o;
  const run = db.connection;
  const staging = join(o.outDir, `${STAGING_PREFIX}${process.pid}`);
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging);
  activeStaging.add(staging);
  const paths = Object.fromEntries(
    Object.entries(OUTPUT_FILES).map(([k, f]) => [k, join(o.outDir, f)]),
  ) as Record<keyof typeof OUTPUT_FILES, string>;
  try {
    const selected = o.selected ?? selectRows(c.rank, c.mean, o.top);
    const m = selected.length;
    const gather = <T extends Float64Array | Int32Array | Uint8Array>(
      values: T,
      Ctor: new (n: number) => T,
    ): T => {
      const out = new Ctor(m);
      for (let i = 0; i < m; i++) out[i] = values[selected[i]];
      return out;
    };
    const voteCols = o.ran.map((name, k): NumericColumn => ({
      name: `vote_${name}`,
      type: "INTEGER",
      values: gather(o.votes[k], Uint8Array),
    }));
    const featureCols = o.features.map((name, j): NumericColumn => {
      const values = new Float64Array(m);
      for (let i = 0; i < m; i++) values[i] = o.X.data[selected[i] * o.X.cols + j];
      return { name, type: "DOUBLE", values };
    });
    await createNumericTable(db, "hunt_selected", m, [
      { name: "position", type: "INTEGER", values: Int32Array.from({ length: m }, (_, i) => i) },
      { name: ROW_KEY, type: "INTEGER", values: selected },
      ...voteCols,
      { name: "rank", type: "INTEGER", values: gather(c.rank, Int32Array) },
      { name: "score", type: "DOUBLE", values: gather(c.mean, Float64Array) },
      { name: "score_max", type: "DOUBLE", values: gather(c.max, Float64Array) },
      { name: "score_aom", type: "DOUBLE", values: gather(c.aom, Float64Array) },
      { name: "score_moa", type: "DOUBLE", values: gather(c.moa, Float64Array) },
      ...o.ran.map((name, k): NumericColumn => ({
        name: `score_${name}`,
        type: "DOUBLE",
        values: gather(o.scores[k], Float64Array),
      })),
    ]);
    await createNumericTable(db, "hunt_features", m, [
      { name: ROW_KEY, type: "INTEGER", values: selected },
      ...featureCols,
    ]);

    const votes = o.ran.map((n) => `s.${ident(`vote_${n}`)}`).join(", ");
    const key = o.table.key;
    const records = key === undefined ? "r.*" : `r.* EXCLUDE (${ident(key)})`;
    const row = key === undefined ? "r.rowid" : `r.${ident(key)}`;
    await run.run(
      `CREATE OR REPLACE TEMP TABLE hunt_flagged AS SELECT s.position AS hunt_position, s.${ROW_KEY}, ${records}, ${votes}, s.rank, s.score ` +
        `FROM ${o.table.table} r JOIN hunt_selected s ON ${row} = s.${ROW_KEY} ORDER BY s.position`,
    );
    const flagged = `SELECT * EXCLUDE (hunt_position, ${ROW_KEY}) FROM hunt_flagged ORDER BY hunt_position`;
    await run.run(
      `COPY (${flagged}) TO ${literal(join(staging, OUTPUT_FILES.csv))} (FORMAT csv, HEADER true)`,
    );
    await run.run(
      `COPY (${flagged}) TO ${literal(join(staging, OUTPUT_FILES.jsonl))} (FORMAT json)`,
    );
    await run.run(
      `COPY (${flagged}) TO ${literal(join(staging, OUTPUT_FILES.parquet))} (FORMAT parquet)`,
    );
    const top = (await run.runAndReadAll(`${flagged} LIMIT 10`)).getRowObjectsJS() as Record<
      string,
      unknown
    >[];

    const seconds = (performance.now() - o.started) / 1000;
    const summary = { ...o.summary, seconds, flagged: m, outputs: paths };
    await writeDatabase(o, summary, join(staging, OUTPUT_FILES.duckdb));
    await writeFile(join(staging, OUTPUT_FILES.summary), JSON.stringify(summary, null, 2) + "\n");

    // Into place, summary.json last: until it appears the folder is visibly unfinished.
    for (const kind of ["csv", "jsonl", "parquet", "duckdb", "summary"] as const) {
      await rename(join(staging, OUTPUT_FILES[kind]), paths[kind]);
    }
    return { paths, written: m, top, seconds };
  } finally {
    await rm(staging, { recursive: true, force: true });
    activeStaging.delete(staging);
    await run.run("DROP TABLE IF EXISTS hunt_selected");
    await run.run("DROP TABLE IF EXISTS hunt_features");
    await run.run("DROP TABLE IF EXISTS hunt_flagged");
  }
}

/** hunt.duckdb: the flagged events and their features, scores and votes; detectors; agreement; the run. */
async function writeDatabase(
  o: HuntOutputs,
  s: Record<string, unknown>,
  path: string,
): Promise<void> {
  const run = o.db.connection;
  const ranCols = o.ran.map((n) => ident(`vote_${n}`)).join(", ");
  const scoreCols = o.ran.map((n) => ident(`score_${n}`)).join(", ");
  await run.run(`ATTACH ${literal(path)} AS hunt_out`);
  try {
    await run.run(
      `CREATE TABLE hunt_out.events AS SELECT * EXCLUDE (hunt_position) FROM hunt_flagged ORDER BY hunt_position`,
    );
    await run.run(
      `CREATE TABLE hunt_out.features AS SELECT f.* FROM hunt_features f JOIN hunt_selected s USING (${ROW_KEY}) ORDER BY s.position`,
    );
    await run.run(
      `CREATE TABLE hunt_out.scores AS SELECT ${ROW_KEY}, rank, score, score_max, score_aom, score_moa, ${scoreCols} FROM hunt_selected ORDER BY position`,
    );
    await run.run(
      `CREATE TABLE hunt_out.votes AS SELECT ${ROW_KEY}, ${ranCols}, rank FROM hunt_selected ORDER BY position`,
    );
    await run.run(
      "CREATE TABLE hunt_out.detectors (name VARCHAR, detector VARCHAR, params JSON, status VARCHAR, " +
        "predicted_seconds DOUBLE, seconds DOUBLE, flagged INTEGER, threshold DOUBLE, error VARCHAR)",
    );
    for (const d of o.detectors) {
      await run.run(
        `INSERT INTO hunt_out.detectors VALUES (${[
          literal(d.name),
          literal(d.detector),
          literal(JSON.stringify(d.params)),
          literal(d.status),
          sqlNumber(d.predictedSeconds),
          sqlNumber(d.seconds),
          sqlNumber(d.flagged),
          sqlNumber(d.threshold),
          d.error === undefined ? "NULL" : literal(d.error),
        ].join(", ")})`,
      );
    }
    await run.run(
      "CREATE TABLE hunt_out.agreement (detector_a VARCHAR, detector_b VARCHAR, votes_pearson DOUBLE, scores_spearman DOUBLE)",
    );
    const pairs: string[] = [];
    o.ran.forEach((a, i) =>
      o.ran.forEach((b, j) =>
        pairs.push(
          `(${literal(a)}, ${literal(b)}, ${sqlNumber(o.consensus.agreement.votes[i][j])}, ${sqlNumber(o.consensus.agreement.scores[i][j])})`,
        ),
      ),
    );
    if (pairs.length > 0)
      await run.run(`INSERT INTO hunt_out.agreement VALUES ${pairs.join(", ")}`);
    await run.run(
      `CREATE TABLE hunt_out.run AS SELECT ${literal(String(s.input))} AS input, ${sqlNumber(s.rows as number)}::BIGINT AS rows, ` +
        `${sqlNumber(s.distinctRows as number)}::BIGINT AS distinct_rows, ${sqlNumber(s.flagged as number)}::BIGINT AS flagged, ` +
        `${sqlNumber(s.contamination as number)} AS contamination, ${sqlNumber(s.seconds as number)} AS seconds, ` +
        `${literal(JSON.stringify(s.features))}::JSON AS features, now() AS finished_at, ${literal(JSON.stringify(s))}::JSON AS summary`,
    );
  } finally {
    await run.run("DETACH hunt_out");
  }
}

function sqlNumber(v: number | null | undefined): string {
  return v === null || v === undefined || !Number.isFinite(v) ? "NULL" : String(v);
}

/** True if DIR holds a finished hunt (its summary.json exists). */
export function isFinishedHunt(dir: string): boolean {
  return existsSync(join(dir, OUTPUT_FILES.summary));
}
