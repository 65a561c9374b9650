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
import { numericColumns, requireColumns, toLabels, toMatrix } from "../data/csv.js";
import { readLog, type ReadOptions } from "../data/read.js";
import { openDb } from "../data/db.js";
import { labelsFromScores } from "../detectors/model.js";
import { encodeForHunt } from "../features/hunt-encoding.js";
import type { Spec } from "../features/spec.js";
import { saveHuntModel, scoreWithModel, type HuntModel } from "./model-file.js";
import { consensus } from "./consensus.js";
import { labelReport, type LabelReport } from "./evaluate.js";
import { forecastFits, forecastSamples, type Forecast } from "./forecast.js";
import { checkOutputColumns, prepareOutDir, selectRows, writeOutputs } from "./outputs.js";
import { fetchRecords, fieldsToRead, RECORD_KEY } from "./records.js";
import { resolvePanel } from "./panel.js";
import { runFits, type FitJob, type FitReply, type JobEvent } from "./pool.js";
import { scoreAllRows, trainingRows } from "./train-on.js";
import { takeRows } from "../core/matrix.js";
import { sharedMatrix } from "../detectors/parallel.js";
import { dedupes, distinctRows as distinctRowsOf, fitDistinct } from "./dedupe.js";

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
  /**
   * Seconds any one detector's fit may be predicted to take before it is dropped (notebook: 60);
   * null = no forecast, nothing dropped.
   */
  readonly budgetSeconds?: number | null;
  /**
   * Score each distinct feature row once where a detector's definition allows it exactly
   * (dedupe.ts; default true). False runs every detector on all rows (the naive path).
   */
  readonly dedupe?: boolean;
  /**
   * DuckDB SQL predicate over the input's columns: fit on the rows it selects, score every row
   * (e.g. `attack = '-'` to learn benign traffic only).
   */
  readonly trainOn?: string;
  /** A 0/1 column (1 = anomaly) to measure the ranking against; never used as a feature. */
  readonly label?: string;
  /**
   * Read every field of every record even where the features need only some (records.ts): the
   * outputs' columns are then every field of the input, not just of the flagged records.
   */
  readonly readAll?: boolean;
  /** Inputs of at most this many rows get no forecast (default FORECAST_MIN_ROWS). */
  readonly forecastMinRows?: number;
  /** The detectors kept and their predicted seconds (null: no forecast), before fitting. */
  readonly onForecast?: (names: readonly string[], predicted: readonly (number | null)[]) => void;
  readonly onDropped?: (name: string, predictedSeconds: number, budget: number) => void;
}

/**
 * No forecast for inputs this small: the forecast's largest sample (7,000 rows) would be most of
 * the data, so timing samples would cost about as much as the fits themselves.
 */
export const FORECAST_MIN_ROWS = 7000;

/** The notebook's max_seconds. */
export const DEFAULT_BUDGET_SECONDS = 60;

export interface ForecastReport {
  readonly budgetSeconds: number | null;
  /** Time spent on the sample fits. */
  readonly seconds: number;
  /** Per detector that ran with a forecast: actual / predicted seconds. */
  readonly ratios: Record<string, number>;
  /** Median over those detectors of |log2(actual / predicted)|: 1 = off by a factor 2. */
  readonly medianAbsLog2Error: number | null;
}

function forecastReport(
  budget: number | null,
  seconds: number,
  detectors: readonly DetectorSummary[],
): ForecastReport {
  const ratios: Record<string, number> = {};
  const errors: number[] = [];
  for (const d of detectors) {
    if (d.status !== "ran" || d.predictedSeconds === null || d.seconds === null) continue;
    if (!(d.predictedSeconds > 0)) continue;
    ratios[d.name] = d.seconds / d.predictedSeconds;
    errors.push(Math.abs(Math.log2(ratios[d.name])));
  }
  errors.sort((a, b) => a - b);
  const m = errors.length >> 1;
  return {
    budgetSeconds: budget,
    seconds,
    ratios,
    medianAbsLog2Error:
      errors.length === 0 ? null : errors.length % 2 ? errors[m] : (errors[m - 1] + errors[m]) / 2,
  };
}

export interface DetectorSummary {
  /** Name in outputs (vote_<name>); differs from `detector` for variants such as knn_mean. */
  readonly name: string;
  readonly detector: string;
  readonly params: Record<string, unknown>;
  /** Scored each distinct feature row once (dedupe.ts), with results identical to all rows. */
  readonly onDistinctRows: boolean;
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
  /** Rows the detectors were fitted on (--train-on), or all rows. */
  readonly trainedOn: number;
  /** Malformed input records skipped at the user's request (`--on-bad-rows skip`). */
  readonly skipped: number;
  readonly distinctRows: number;
  readonly features: readonly string[];
  readonly seconds: number;
  /** Seconds reading the input, then encoding its features (within `seconds`). */
  readonly readSeconds: number;
  readonly encodeSeconds: number;
  /**
   * The fields read for encoding when the features needed only some (records.ts), else null
   * (every field read).
   */
  readonly readFields: readonly string[] | null;
  /** Seconds fetching the flagged rows' complete records after such a read, else null. */
  readonly recordsSeconds: number | null;
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
  readonly forecast: ForecastReport;
  /** With `label`: ROC AUC, AP and precision@n of the ranking and of each detector. */
  readonly label?: LabelReport;
  readonly outputs: Record<string, string>;
  readonly top: readonly Record<string, unknown>[];
}

const RESERVED = new Set(["rank", "score"]);

/** Throws if an input column would clash with a column the hunt adds to its outputs. */
function checkInputColumns(columns: readonly string[], input: string): void {
  for (const c of columns) {
    const lower = c.toLowerCase(); // DuckDB names are case-insensitive
    if (RESERVED.has(lower) || lower.startsWith("vote_") || lower === RECORD_KEY) {
      throw new DataError(
        `column "${c}" clashes with a hunt output column (rank, score, vote_<detector>); is this a hunt output? rename the column`,
        { file: input },
      );
    }
  }
  checkOutputColumns(columns, input);
}

export async function hunt(huntOptions: HuntOptions): Promise<HuntSummary> {
  let options = huntOptions;
  const started = performance.now();
  if (options.label !== undefined)
    options = { ...options, exclude: [...(options.exclude ?? []), options.label] }; // never a feature
  // Scoring with a saved hunt: its encoder, detectors, names and thresholds; nothing is fitted.
  const saved = options.model;
  if (saved !== undefined && (options.trainOn !== undefined || options.save !== undefined))
    throw new ParamError(
      "scoring with a saved model fits nothing: --train-on and --save do not apply",
    );
  const contamination = saved?.contamination ?? options.contamination ?? 0.001;
  const panel = saved
    ? saved.detectors.map((d, k) => ({
        name: saved.names[k],
        detector: d.detector,
        params: { ...d.params },
      }))
    : resolvePanel(options.detectors, contamination);
  const budget =
    saved !== undefined
      ? null
      : options.budgetSeconds === undefined
        ? DEFAULT_BUDGET_SECONDS
        : options.budgetSeconds;
  if (budget !== null && !(budget > 0))
    throw new ParamError(`the time budget must be positive seconds, got ${budget}`);
  const names = panel.map((e) => e.name);
  const jobs: FitJob[] = panel.map((e) => ({ detector: e.detector, params: e.params }));
  const encoded = options.spec ?? options.fields ?? saved;
  if (options.save !== undefined && encoded === undefined)
    throw new ParamError("--save needs --spec or --fields (it stores their fitted encoder)");
  if (options.top !== undefined && !(Number.isInteger(options.top) && options.top > 0)) {
    throw new ParamError(`--top must be a positive whole number, got ${options.top}`);
  }

  const db = await openDb();
  try {
    options.onStage?.(`reading ${options.input}`);
    // Only the fields the features need, where that is enough (records.ts).
    const fieldsRead =
      options.readAll === true
        ? undefined
        : await fieldsToRead(
            options.input,
            options.read,
            { spec: options.spec, fields: options.fields, fitted: saved?.features },
            options,
          );
    const table = await readLog(
      db,
      options.input,
      fieldsRead === undefined ? options.read : { ...options.read, fields: fieldsRead.fields },
    );
    const readDone = performance.now();
    checkInputColumns(table.columns, options.input);
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
    const encodeDone = performance.now();
    // Distinct feature rows, hashed once: counted for the summary, and scored once each below.
    const distinct = distinctRowsOf(X);
    const distinctRows = distinct.X.rows;

    const labels =
      options.label === undefined ? undefined : await toLabels(db, table, options.label);
    const trainRows =
      options.trainOn === undefined
        ? undefined
        : await trainingRows(db, table.table, options.trainOn, options.input);
    // The rows the detectors are fitted on: all, or those --train-on selects.
    const fitX = trainRows === undefined ? X : takeRows(X, trainRows);
    const outDir = await prepareOutDir(options.out);

    // Detectors whose definition allows it score each distinct row once (dedupe.ts).
    // The others fit on all rows, and score each distinct row once where their training
    // scores are scores of the training rows (score-worker.ts, fitDistinct).
    const useDistinct =
      options.dedupe !== false &&
      trainRows === undefined &&
      saved === undefined &&
      options.save === undefined &&
      distinctRows < X.rows;
    const unique = useDistinct ? distinct : undefined;
    const onDistinct = panel.map((e) => unique !== undefined && dedupes(e.detector, e.params));
    const sharedDistinct =
      unique === undefined
        ? undefined
        : {
            data: sharedMatrix(unique.X).data,
            inverse: new Int32Array(new SharedArrayBuffer(unique.inverse.byteLength)),
          };
    sharedDistinct?.inverse.set(unique!.inverse);
    panel.forEach((e, k) => {
      if (onDistinct[k])
        jobs[k] = { ...jobs[k], custom: () => fitDistinct(unique!, e.detector, e.params) };
      else if (sharedDistinct !== undefined) jobs[k] = { ...jobs[k], distinct: sharedDistinct };
    });

    // Forecast each fit's time on samples; drop those predicted over the budget.
    const forecasts: (Forecast | undefined)[] = panel.map(() => undefined);
    let forecastSeconds = 0;
    // The rows each fit really runs on: a distinct-row fit runs on the distinct rows. Fits on
    // at most FORECAST_MIN_ROWS rows are not forecast (timing samples would cost as much).
    const fitRows = panel.map((_, k) => (onDistinct[k] ? unique!.X.rows : fitX.rows));
    const minRows = options.forecastMinRows ?? FORECAST_MIN_ROWS;
    const toForecast = panel.map((_, k) => k).filter((k) => fitRows[k] > minRows);
    if (budget !== null && toForecast.length > 0) {
      options.onStage?.(`forecasting ${toForecast.length} detectors' times on samples`);
      const t0 = performance.now();
      const found = await forecastFits(
        forecastSamples(fitX),
        toForecast.map((k) => jobs[k]),
        toForecast.map((k) => fitRows[k]),
        { concurrency: options.concurrency },
      );
      toForecast.forEach((k, i) => (forecasts[k] = found[i]));
      forecastSeconds = (performance.now() - t0) / 1000;
    }
    const predicted = forecasts.map((f) => f?.predictedSeconds ?? null);
    const kept = panel
      .map((_, k) => k)
      .filter((k) => budget === null || predicted[k] === null || predicted[k]! <= budget);
    for (const k of panel.keys()) {
      if (!kept.includes(k)) options.onDropped?.(names[k], predicted[k]!, budget!);
    }
    const keptNames = kept.map((k) => names[k]);
    options.onForecast?.(
      keptNames,
      kept.map((k) => predicted[k]),
    );

    options.onStage?.(
      saved ? `scoring with ${kept.length} saved detectors` : `fitting ${kept.length} detectors`,
    );
    let replies = saved
      ? await scoreWithModel(saved, X)
      : await runFits(
          fitX,
          kept.map((k) => jobs[k]),
          (e) => options.onDetector?.(e, keptNames),
          {
            concurrency: options.concurrency,
            keepModels: trainRows !== undefined || options.save !== undefined,
          },
        );
    if (options.save !== undefined && encoding !== undefined) {
      const models = replies.flatMap((r, i) =>
        r.ok && r.model !== undefined ? [{ name: keptNames[i], model: r.model }] : [],
      );
      // With none (every detector failed) the hunt fails below; there is nothing to save.
      if (models.length > 0)
        await saveHuntModel(
          options.save,
          encoding.fitted,
          contamination,
          models.map((m) => m.model),
          models.map((m) => m.name),
        );
    }
    if (trainRows !== undefined) {
      options.onStage?.(`scoring all ${X.rows} rows with the models fitted on ${fitX.rows}`);
      const all: FitReply[] = [];
      for (const r of replies) all.push(await scoreAllRows(r, X));
      replies = all;
    }

    const detectorSummaries: DetectorSummary[] = [];
    const scores: Float64Array[] = [];
    const votes: Uint8Array[] = [];
    const ran: string[] = [];
    panel.forEach((entry, k) => {
      const position = kept.indexOf(k);
      const answer = position < 0 ? undefined : replies[position];
      const base = {
        name: entry.name,
        detector: entry.detector,
        params: entry.params,
        predictedSeconds: predicted[k],
        onDistinctRows: onDistinct[k] || (answer?.ok === true && answer.scoredDistinct === true),
      };
      if (position < 0) {
        detectorSummaries.push({
          ...base,
          status: "dropped",
          seconds: null,
          error: `predicted ${predicted[k]!.toFixed(1)} s > budget ${budget} s`,
        });
        return;
      }
      const reply = replies[position];
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
          seconds: reply.seconds,
          flagged,
          threshold: reply.threshold,
        });
      } else {
        detectorSummaries.push({
          ...base,
          status: "failed",
          seconds: null,
          error: `${reply.errorName}: ${reply.error}`,
        });
      }
    });
    if (ran.length === 0) {
      throw new ParamError(
        `no detector ran: ${detectorSummaries.map((d) => `${d.name}: ${d.error}`).join("; ")}`,
      );
    }

    const rows = X.rows;
    const agreed = consensus(votes, scores, rows);
    const rankHistogram = new Array<number>(ran.length + 1).fill(0);
    for (let i = 0; i < rows; i++) rankHistogram[agreed.rank[i]]++;

    const selected = selectRows(agreed.rank, agreed.mean, options.top);
    let records: { table: string; columns: readonly string[]; key?: string } = table;
    let recordsSeconds: number | null = null;
    if (fieldsRead !== undefined && selected.length > 0) {
      options.onStage?.(`fetching the ${selected.length} flagged records`);
      const t0 = performance.now();
      records = await fetchRecords(db, options.input, table, selected);
      checkInputColumns(records.columns, options.input);
      recordsSeconds = (performance.now() - t0) / 1000;
    }

    options.onStage?.("writing results");
    const partial = {
      readSeconds: (readDone - started) / 1000,
      encodeSeconds: (encodeDone - readDone) / 1000,
      readFields: fieldsRead?.fields ?? null,
      recordsSeconds,
      input: options.input,
      rows,
      trainedOn: fitX.rows,
      skipped: table.skipped,
      distinctRows,
      features,
      contamination,
      detectors: detectorSummaries,
      rankHistogram,
      agreement: { detectors: ran, ...agreed.agreement },
      forecast: forecastReport(budget, forecastSeconds, detectorSummaries),
      ...(labels === undefined
        ? {}
        : { label: labelReport(options.label!, labels, agreed.rank, agreed.mean, ran, scores) }),
    };
    const written = await writeOutputs({
      db,
      table: records,
      selected,
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
