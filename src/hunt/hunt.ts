/**
 * The hunt: read a log file, pick numeric features, fit every detector of the panel (panel.ts)
 * on all rows in parallel on worker threads (pool.ts), turn each detector's training scores into
 * votes at its contamination threshold, combine them (consensus.ts: rank = votes, score = mean
 * of rank-normalised scores, plus max, AOM, MOA and the agreement matrices), and write the
 * flagged rows, complete and unchanged, with those columns added (outputs.ts).
 *
 * Outputs are staged and moved into place when complete, summary.json last, so an interrupted
 * hunt never leaves a folder that looks finished.
 */
import { performance } from "node:perf_hooks";
import { DataError, ParamError } from "../core/errors.js";
import { numericColumns, requireColumns, toMatrix } from "../data/csv.js";
import { readLog, type ReadOptions } from "../data/read.js";
import { ident, openDb } from "../data/db.js";
import { labelsFromScores } from "../detectors/model.js";
import { consensus } from "./consensus.js";
import { checkOutputColumns, prepareOutDir, writeOutputs } from "./outputs.js";
import { resolvePanel } from "./panel.js";
import { runFits, type JobEvent } from "./pool.js";

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
}

export interface DetectorSummary {
  /** Name in outputs (vote_<name>); differs from `detector` for variants such as knn_mean. */
  readonly name: string;
  readonly detector: string;
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
  /** Pairwise agreement of the detectors that ran (Pearson on votes, Spearman on scores). */
  readonly agreement: {
    readonly detectors: readonly string[];
    readonly votes: (number | null)[][];
    readonly scores: (number | null)[][];
  };
  readonly outputs: Record<string, string>;
  readonly top: readonly Record<string, unknown>[];
}

const RESERVED = new Set(["rank", "score"]);

export async function hunt(options: HuntOptions): Promise<HuntSummary> {
  const started = performance.now();
  const contamination = options.contamination ?? 0.001;
  const panel = resolvePanel(options.detectors, contamination);
  const names = panel.map((e) => e.name);
  const jobs = panel.map((e) => ({ detector: e.detector, params: e.params }));
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
    if (options.exclude) requireColumns(table, options.exclude);
    let features: string[];
    if (options.columns !== undefined) {
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
    const X = await toMatrix(db, table, features);
    const distinct = await db.connection.runAndReadAll(
      `SELECT count(*)::DOUBLE FROM (SELECT DISTINCT ${features.map((c) => `TRY_CAST(${ident(c)} AS DOUBLE)`).join(", ")} FROM ${table.table})`,
    );
    const distinctRows = distinct.getRowsJS()[0][0] as number;

    checkOutputColumns(table.columns, options.input);
    const outDir = await prepareOutDir(options.out);

    options.onStage?.(`fitting ${names.length} detectors`);
    const replies = await runFits(X, jobs, (e) => options.onDetector?.(e, names), {
      concurrency: options.concurrency,
    });

    const detectorSummaries: DetectorSummary[] = [];
    const scores: Float64Array[] = [];
    const votes: Uint8Array[] = [];
    const ran: string[] = [];
    replies.forEach((reply, k) => {
      const entry = panel[k];
      const base = { name: entry.name, detector: entry.detector, params: entry.params };
      if (reply.ok) {
        const v = labelsFromScores(reply.trainingScores, reply.threshold);
        let flagged = 0;
        for (const x of v) flagged += x;
        scores.push(reply.trainingScores);
        votes.push(v);
        ran.push(entry.name);
        detectorSummaries.push({
          ...base,
          status: "ran",
          predictedSeconds: null,
          seconds: reply.seconds,
          flagged,
          threshold: reply.threshold,
        });
      } else {
        detectorSummaries.push({
          ...base,
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
    const agreed = consensus(votes, scores, rows);
    const rankHistogram = new Array<number>(ran.length + 1).fill(0);
    for (let i = 0; i < rows; i++) rankHistogram[agreed.rank[i]]++;

    options.onStage?.("writing results");
    const partial = {
      input: options.input,
      rows,
      skipped: table.skipped,
      distinctRows,
      features,
      contamination,
      detectors: detectorSummaries,
      rankHistogram,
      agreement: { detectors: ran, ...agreed.agreement },
    };
    const written = await writeOutputs({
      db,
      table,
      outDir,
      ran,
      votes,
      scores,
      consensus: agreed,
      features,
      X,
      top: options.top,
      detectors: detectorSummaries,
      summary: partial,
      started,
    });
    return {
      ...partial,
      seconds: written.seconds,
      flagged: written.written,
      outputs: written.paths,
      top: written.top,
    };
  } finally {
    db.close();
  }
}
