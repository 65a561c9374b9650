/**
 * The hunt: read a log file, pick numeric features, fit every detector of the panel on all rows
 * (in parallel on worker threads), turn each detector's training scores into votes at its
 * contamination threshold, rank rows by votes and by the mean of rank-normalised scores, and
 * write the flagged rows, complete and unchanged, with those columns added.
 *
 * Outputs are written under temporary names and renamed when complete, so an interrupted hunt
 * never leaves a file that looks finished.
 */
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { DataError, ParamError } from "../core/errors.js";
import { createNumericTable } from "../data/append.js";
import { numericColumns, requireColumns, toMatrix } from "../data/csv.js";
import { readLog, type ReadOptions } from "../data/read.js";
import { ident, literal, openDb } from "../data/db.js";
import { labelsFromScores } from "../detectors/model.js";
import { getDetector } from "../detectors/registry.js";
import { resolveParams } from "../detectors/contract.js";
import { meanRankScore, voteRank } from "../ensemble/combine.js";
import { runFits, type JobEvent } from "./pool.js";
import { encodeForHunt } from "../features/hunt-encoding.js";
import type { Spec } from "../features/spec.js";
import { saveHuntModel, scoreWithModel, type HuntModel } from "./model-file.js";

export const DEFAULT_PANEL = ["iforest", "hbos", "ecod", "copod", "pca"];

export interface HuntOptions {
  readonly input: string;
  readonly out: string;
  readonly columns?: readonly string[];
  readonly exclude?: readonly string[];
  readonly detectors?: readonly string[];
  readonly contamination?: number;
  /** Write the top K rows by (rank, score) instead of every row with rank > 0. */
  readonly top?: number;
  readonly concurrency?: number;
  /** How to read the input (format, headerless names, bad-record policy). */
  readonly read?: ReadOptions;
  readonly onStage?: (stage: string) => void;
  readonly onDetector?: (event: JobEvent, names: readonly string[]) => void;
  /** Features from a spec, or `fields` encoded as the CloudTrail notebook does (category codes). */
  readonly spec?: Spec | "auto";
  readonly fields?: readonly string[];
  /** Write the fitted encoder and detectors here (`anomalog score` reuses them). */
  readonly save?: string;
  /** Score with a saved hunt instead of fitting: its encoder, detectors and thresholds. */
  readonly model?: HuntModel;
}

export interface DetectorSummary {
  readonly name: string;
  readonly params: Record<string, unknown>;
  readonly status: "ran" | "dropped" | "failed";
  readonly predictedSeconds: number | null;
  readonly seconds: number | null;
  readonly flagged?: number;
  readonly threshold?: number;
  readonly error?: string;
}

export interface HuntSummary {
  readonly input: string;
  readonly rows: number;
  /** Malformed input records skipped at the user's request (`--on-bad-rows skip`). */
  readonly skipped: number;
  readonly distinctRows: number;
  readonly features: readonly string[];
  readonly seconds: number;
  readonly flagged: number;
  readonly contamination: number;
  readonly detectors: readonly DetectorSummary[];
  /** rankHistogram[k] = rows with exactly k votes. */
  readonly rankHistogram: readonly number[];
  readonly outputs: Record<string, string>;
  readonly top: readonly Record<string, unknown>[];
}

const RESERVED = new Set(["rank", "score"]);

export async function hunt(options: HuntOptions): Promise<HuntSummary> {
  const started = performance.now();
  const saved = options.model;
  const contamination = saved?.contamination ?? options.contamination ?? 0.001;
  const names = saved
    ? saved.detectors.map((d) => d.detector)
    : [...new Set((options.detectors ?? DEFAULT_PANEL).map((d) => getDetector(d).name))];
  if (names.length === 0) throw new ParamError("no detectors named");
  const jobs = saved
    ? saved.detectors.map((d) => ({ detector: d.detector, params: { ...d.params } }))
    : names.map((name) => ({
        detector: name,
        params: resolveParams(getDetector(name), { contamination }),
      }));
  const encoded = options.spec ?? options.fields ?? saved;
  if (options.save !== undefined && (encoded === undefined || saved !== undefined))
    throw new ParamError("--save needs --spec or --fields (it stores their fitted encoder)");
  if (options.top !== undefined && !(Number.isInteger(options.top) && options.top > 0)) {
    throw new ParamError(`--top must be a positive whole number, got ${options.top}`);
  }

  const db = await openDb();
  try {
    options.onStage?.(`reading ${options.input}`);
    const table = await readLog(db, options.input, options.read);
    for (const c of table.columns) {
      const lower = c.toLowerCase(); // DuckDB names are case-insensitive
      if (RESERVED.has(lower) || lower.startsWith("vote_")) {
        throw new DataError(
          `column "${c}" clashes with a hunt output column (rank, score, vote_<detector>); is this a hunt output? rename the column`,
          { file: options.input },
        );
      }
    }
    const encoding =
      encoded !== undefined
        ? await encodeForHunt(db, table, { ...options, fitted: saved?.features })
        : undefined;
    if (options.exclude) requireColumns(table, options.exclude);
    let features: string[];
    if (encoding !== undefined) features = [...encoding.columns];
    else if (options.columns !== undefined) {
      requireColumns(table, options.columns);
      features = [...options.columns];
    } else {
      const excluded = new Set(options.exclude ?? []);
      features = (await numericColumns(db, table)).filter((c) => !excluded.has(c));
      if (features.length === 0) {
        throw new DataError(
          `no numeric columns to use as features (columns: ${table.columns.join(", ")}); name them with --columns`,
          { file: options.input },
        );
      }
    }
    options.onStage?.(`encoding ${features.length} features of ${table.rows} rows`);
    const X = encoding?.X ?? (await toMatrix(db, table, features));
    const distinctRows =
      encoding?.distinctRows ??
      ((
        await db.connection.runAndReadAll(
          `SELECT count(*)::DOUBLE FROM (SELECT DISTINCT ${features.map((c) => `TRY_CAST(${ident(c)} AS DOUBLE)`).join(", ")} FROM ${table.table})`,
        )
      ).getRowsJS()[0][0] as number);

    options.onStage?.(`fitting ${names.length} detectors`);
    const replies = saved
      ? await scoreWithModel(saved, X)
      : await runFits(X, jobs, (e) => options.onDetector?.(e, names), {
          concurrency: options.concurrency,
          keepModels: options.save !== undefined,
        });
    if (options.save !== undefined && encoding !== undefined) {
      const models = replies.flatMap((r) => (r.ok && r.model !== undefined ? [r.model] : []));
      // With none (every detector failed) the hunt fails below; there is nothing to save.
      if (models.length > 0)
        await saveHuntModel(options.save, encoding.fitted, contamination, models);
    }

    const detectorSummaries: DetectorSummary[] = [];
    const scores: Float64Array[] = [];
    const votes: Uint8Array[] = [];
    const ran: string[] = [];
    replies.forEach((reply, k) => {
      const job = jobs[k];
      if (reply.ok) {
        const v = labelsFromScores(reply.trainingScores, reply.threshold);
        let flagged = 0;
        for (const x of v) flagged += x;
        scores.push(reply.trainingScores);
        votes.push(v);
        ran.push(job.detector);
        detectorSummaries.push({
          name: job.detector,
          params: job.params,
          status: "ran",
          predictedSeconds: null,
          seconds: reply.seconds,
          flagged,
          threshold: reply.threshold,
        });
      } else {
        detectorSummaries.push({
          name: job.detector,
          params: job.params,
          status: "failed",
          predictedSeconds: null,
          seconds: null,
          error: `${reply.errorName}: ${reply.error}`,
        });
      }
    });
    if (ran.length === 0) {
      throw new ParamError(
        `every detector failed: ${detectorSummaries.map((d) => `${d.name}: ${d.error}`).join("; ")}`,
      );
    }

    const rows = X.rows;
    const rank = voteRank(votes, rows);
    const score = meanRankScore(scores, rows);
    const rankHistogram = new Array<number>(ran.length + 1).fill(0);
    for (let i = 0; i < rows; i++) rankHistogram[rank[i]]++;
    const flaggedCount = rows - rankHistogram[0];

    options.onStage?.("writing results");
    await createNumericTable(db, "hunt_scores", rows, [
      { name: "row", type: "INTEGER", values: Int32Array.from({ length: rows }, (_, i) => i) },
      ...ran.map((name, k) => ({
        name: `vote_${name}`,
        type: "INTEGER" as const,
        values: votes[k],
      })),
      { name: "rank", type: "INTEGER", values: rank },
      { name: "score", type: "DOUBLE", values: score },
    ]);
    const outDir = resolve(options.out);
    await mkdir(outDir, { recursive: true });
    const voteCols = ran.map((n) => `s.${ident(`vote_${n}`)}`).join(", ");
    const selection =
      `SELECT r.*, ${voteCols}, s.rank, s.score FROM ${table.table} r JOIN hunt_scores s ON r.rowid = s.row ` +
      (options.top !== undefined ? "" : "WHERE s.rank > 0 ") +
      "ORDER BY s.rank DESC, s.score DESC, s.row" +
      (options.top !== undefined ? ` LIMIT ${options.top}` : "");
    const flaggedCsv = join(outDir, "flagged.csv");
    await writeAtomically(flaggedCsv, async (tmp) => {
      await db.connection.run(`COPY (${selection}) TO ${literal(tmp)} (FORMAT csv, HEADER true)`);
    });
    const topRows = await db.connection.runAndReadAll(
      `${selection.replace(/ LIMIT \d+$/, "")} LIMIT 10`,
    );
    const top = topRows.getRowObjectsJS() as Record<string, unknown>[];
    const written = options.top !== undefined ? Math.min(options.top, rows) : flaggedCount;

    const summary: HuntSummary = {
      input: options.input,
      rows,
      skipped: table.skipped,
      distinctRows,
      features,
      seconds: (performance.now() - started) / 1000,
      flagged: written,
      contamination,
      detectors: detectorSummaries,
      rankHistogram,
      outputs: { flagged: flaggedCsv, summary: join(outDir, "summary.json") },
      top,
    };
    const { top: _omit, ...forFile } = summary;
    await writeAtomically(join(outDir, "summary.json"), (tmp) =>
      writeFile(tmp, JSON.stringify(forFile, null, 2) + "\n"),
    );
    return summary;
  } finally {
    db.close();
  }
}

/** Writes through `write(tmpPath)` and renames into place; removes the temporary file on failure. */
async function writeAtomically(
  path: string,
  write: (tmp: string) => Promise<unknown>,
): Promise<void> {
  const tmp = `${path}.partial-${process.pid}`;
  try {
    await write(tmp);
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}
