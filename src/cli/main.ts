#!/usr/bin/env node
/**
 * The `anomalog` command line: thin shells over the library. User errors print one line naming
 * the problem (exit 2); anything else is a bug and prints its stack (exit 1).
 */
import { Command, InvalidArgumentError } from "commander";
import { basename } from "node:path";
import { AnomalogError, ParamError } from "../core/errors.js";
import { readNumericCsv, requireColumns } from "../data/csv.js";
import { withDb } from "../data/db.js";
import { describeParams, getDetector, listDetectors } from "../detectors/registry.js";
import { evaluate } from "../eval/experiment.js";
import { randomSplit, readSplits } from "../eval/splits.js";
import { DEFAULT_BUDGET_SECONDS, hunt, type HuntOptions } from "../hunt/hunt.js";
import { parseBudget } from "../hunt/forecast.js";
import { defaultPanelNames, missingFromDefaultPanel } from "../hunt/panel.js";
import { abandonPartialOutputs } from "../hunt/outputs.js";
import { formatQueryResult, runQuery, type QueryFormat } from "./query.js";
import { connectionsToCsv, generateConnections } from "../data/synthetic.js";
import { writeCloudTrail } from "../data/cloudtrail-synth.js";
import { writeFile } from "node:fs/promises";
import { formatEvalResult, formatHuntSummary, formatProfile, huntResultLine } from "./format.js";
import { readLog } from "../data/read.js";
import { profileTable } from "../data/profile.js";
import { FORMATS, parseFormat, type LogFormat } from "../data/sniff.js";
import type { OnBadRows } from "../data/table.js";
import { Progress } from "./progress.js";
import { readSpecFile, type Spec } from "../features/spec.js";
import { proposeSpecJson } from "../features/auto.js";
import { loadHuntModel } from "../hunt/model-file.js";

function list(value: string): string[] {
  return value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

function number(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n))
    throw new InvalidArgumentError(`"${value}" is not a number`);
  return n;
}

/** A budget in seconds; Infinity for "none" (commander turns a parser's null into ""). */
function budget(value: string): number {
  try {
    return parseBudget(value) ?? Number.POSITIVE_INFINITY;
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
}

function onBadRows(value: string): OnBadRows {
  if (value !== "fail" && value !== "skip")
    throw new InvalidArgumentError(`"${value}" is not fail or skip`);
  return value;
}

function format(value: string): LogFormat {
  try {
    return parseFormat(value);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
}

const FORMAT_HELP = `log format (${FORMATS.join("|")}; default: detected from content and name)`;
const BAD_ROWS_HELP =
  "malformed records: fail names the first one (default); skip skips, counts and locates them";
const NAMES_HELP = "column names for a CSV/TSV without a header line";

function seedList(value: string): number[] {
  return list(value).map((s) => {
    const n = Number(s);
    if (!Number.isInteger(n)) throw new InvalidArgumentError(`seed "${s}" is not a whole number`);
    return n;
  });
}

function json(value: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(value);
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed))
      throw new Error("not an object");
    return parsed as Record<string, unknown>;
  } catch (e) {
    throw new InvalidArgumentError(`not a JSON object (${(e as Error).message})`);
  }
}

function detectorHelp(): string {
  const lines = ["", "Detectors (params as JSON, e.g. --params '{\"nEstimators\": 200}'):"];
  for (const d of listDetectors()) {
    lines.push(`  ${d.name.padEnd(8)} ${d.summary}`);
    for (const p of describeParams(d)) {
      lines.push(
        `      ${p.name} (${p.type}, default ${JSON.stringify(p.default)}): ${p.description}`,
      );
    }
  }
  return lines.join("\n");
}

/** Hunts at least this long end with the terminal bell. */
const LONG_HUNT_SECONDS = 10;

/**
 * Runs a hunt (or a saved model's scoring) with live progress, then prints the summary and, for
 * a long run, rings the bell with a one-line result. `options` builds the hunt's options with the
 * progress display at hand, which also receives every stage and detector event.
 */
async function runHunt(
  quiet: boolean,
  options: (progress: Progress) => HuntOptions,
): Promise<void> {
  const progress = new Progress(process.stderr, quiet);
  let summary: Awaited<ReturnType<typeof hunt>>;
  try {
    summary = await hunt({
      ...options(progress),
      onStage: (s) => progress.setStage(s),
      onDetector: (e, names) => progress.detectorEvent(e, names),
    });
  } finally {
    progress.finish();
  }
  if (quiet) return;
  console.log(formatHuntSummary(summary));
  // A long hunt was probably left running in another window: ring and say how it went.
  const bell = summary.seconds >= LONG_HUNT_SECONDS && process.stderr.isTTY ? "\x07" : "";
  process.stderr.write(`${bell}${huntResultLine(summary)}\n`);
}

function queryFormat(value: string): QueryFormat {
  if (value !== "table" && value !== "csv" && value !== "jsonl")
    throw new InvalidArgumentError(`"${value}" is not table, csv or jsonl`);
  return value;
}

// Ctrl-C or a kill mid-hunt: remove the unfinished outputs' staging folder before exiting, so
// nothing half-written is left (summary.json, the mark of a finished run, is written last).
for (const [signal, code] of [
  ["SIGINT", 130],
  ["SIGTERM", 143],
] as const) {
  process.on(signal, () => {
    abandonPartialOutputs();
    process.stderr.write(`\nanomalog: interrupted (${signal}); unfinished outputs removed\n`);
    process.exit(code);
  });
}

const program = new Command();
program
  .name("anomalog")
  .description(
    "Find suspicious activity in security logs with a verified ensemble of outlier detectors.",
  )
  .version("0.1.0")
  .showHelpAfterError();

program
  .command("hunt")
  .description(
    "Score every row of a CSV with a panel of detectors and write the flagged rows, most suspicious first.",
  )
  .argument(
    "<file>",
    "log file (CSV, TSV, JSON, JSON Lines, CloudTrail, Zeek, Parquet; optionally .gz)",
  )
  .option("--format <format>", FORMAT_HELP, format)
  .option("--on-bad-rows <mode>", BAD_ROWS_HELP, onBadRows, "fail" as OnBadRows)
  .option("--names <a,b,...>", NAMES_HELP, list)
  .option("--columns <a,b,...>", "feature columns (default: every numeric column)", list)
  .option("--exclude <a,b,...>", "columns never used as features (e.g. labels, ids)", list)
  .option(
    "--detectors <list>",
    `detectors to run, by name (any registered detector, or a default-panel name such as knn_mean); "default" = ${defaultPanelNames().join(",")}` +
      (missingFromDefaultPanel().length > 0
        ? ` (the notebook's ${missingFromDefaultPanel().join(", ")} are not built yet)`
        : ""),
    list,
  )
  .option("--contamination <share>", "expected share of outliers per detector", number, 0.001)
  .option(
    "--budget <time>",
    "drop detectors whose fit is predicted (from timed fits on samples) to take longer than this: 60s, 2m, 1h, or none",
    budget,
    DEFAULT_BUDGET_SECONDS,
  )
  .option(
    "--train-on <predicate>",
    `fit on the rows a DuckDB SQL predicate selects (e.g. "attack = '-'") and score every row`,
  )
  .option(
    "--label <column>",
    "0/1 column (1 = anomaly), never a feature: report ROC AUC, AP and precision@n of the ranking",
  )
  .option("--top <k>", "write the top k rows instead of every row with at least one vote", number)
  .option(
    "--spec <file>",
    "feature spec (JSON; see README), or auto: proposed from the profile of the input",
  )
  .option(
    "--fields <a,b,...>",
    "encode these columns as the CloudTrail notebook does: pandas category codes, missing -1, unscaled",
    list,
  )
  .option("--save <model.json>", "save the fitted encoder and detectors (with --spec or --fields)")
  .option("--out <dir>", "output folder", "hunt-out")
  .option("--quiet", "no progress, summary, result line or bell on the terminal (for scripts)")
  .addHelpText("after", detectorHelp())
  .action(
    async (
      file: string,
      o: {
        spec?: string;
        fields?: string[];
        save?: string;
        columns?: string[];
        exclude?: string[];
        detectors?: string[];
        contamination: number;
        top?: number;
        budget: number;
        label?: string;
        trainOn?: string;
        out: string;
        quiet?: boolean;
        format?: LogFormat;
        onBadRows: OnBadRows;
        names?: string[];
      },
    ) => {
      if (o.spec !== undefined && o.fields !== undefined)
        throw new ParamError("give --spec or --fields, not both");
      if ((o.spec !== undefined || o.fields !== undefined) && o.columns !== undefined)
        throw new ParamError(
          "--columns picks numeric columns; with --spec or --fields, leave it out",
        );
      const spec: Spec | "auto" | undefined =
        o.spec === "auto" ? "auto" : o.spec !== undefined ? await readSpecFile(o.spec) : undefined;
      await runHunt(o.quiet === true, (progress) => ({
        input: file,
        out: o.out,
        spec,
        fields: o.fields,
        save: o.save,
        columns: o.columns,
        exclude: o.exclude,
        detectors: o.detectors,
        contamination: o.contamination,
        top: o.top,
        read: { format: o.format, onBadRows: o.onBadRows, names: o.names },
        budgetSeconds: o.budget === Number.POSITIVE_INFINITY ? null : o.budget,
        label: o.label,
        trainOn: o.trainOn,
        onForecast: (names, predicted) => progress.setForecast(names, predicted),
        onDropped: (name, predicted, limit) =>
          progress.note(
            `dropping ${name}: predicted ${predicted.toFixed(1)} s > budget ${limit} s`,
          ),
      }));
    },
  );

program
  .command("score")
  .description(
    "Score a log with a hunt saved by hunt --save: the same encoding, detectors and thresholds; writes the same outputs as hunt.",
  )
  .argument("<model>", "model file written by hunt --save")
  .argument("<file>", "log file to score")
  .option("--format <format>", FORMAT_HELP, format)
  .option("--on-bad-rows <mode>", BAD_ROWS_HELP, onBadRows, "fail" as OnBadRows)
  .option("--names <a,b,...>", NAMES_HELP, list)
  .option("--top <k>", "write the top k rows instead of every row with at least one vote", number)
  .option("--out <dir>", "output folder", "score-out")
  .option("--quiet", "no progress or summary on the terminal")
  .action(
    async (
      modelFile: string,
      file: string,
      o: {
        top?: number;
        out: string;
        quiet?: boolean;
        format?: LogFormat;
        onBadRows: OnBadRows;
        names?: string[];
      },
    ) => {
      const model = await loadHuntModel(modelFile);
      await runHunt(o.quiet === true, () => ({
        input: file,
        out: o.out,
        model,
        top: o.top,
        read: { format: o.format, onBadRows: o.onBadRows, names: o.names },
      }));
    },
  );

program
  .command("query")
  .description(
    "Run SQL on a hunt's results (DIR/hunt.duckdb: tables events, features, scores, votes, detectors, agreement, run).",
  )
  .argument("<dir>", "a hunt's output folder")
  .argument("<sql>", 'SQL, e.g. "SELECT * FROM events WHERE rank >= 3 ORDER BY score DESC"')
  .option("--format <format>", "table, csv or jsonl", queryFormat, "table" as QueryFormat)
  .action(async (dir: string, sql: string, o: { format: QueryFormat }) => {
    const result = await runQuery(dir, sql);
    process.stdout.write(formatQueryResult(result, o.format));
  });

program
  .command("profile")
  .description(
    "Describe a log column by column: type, missing and distinct counts, top values, range, and a suggested encoding.",
  )
  .argument("<file>", "log file or directory of CloudTrail files")
  .option("--format <format>", FORMAT_HELP, format)
  .option("--columns <a,b,...>", "profile only these columns", list)
  .option("--on-bad-rows <mode>", BAD_ROWS_HELP, onBadRows, "fail" as OnBadRows)
  .option("--names <a,b,...>", NAMES_HELP, list)
  .option(
    "--json",
    "one JSON object on stdout: {file, rows, skipped, columns: [{name, type, nulls, distinct, top: [{value, count}], ...}], ...}",
  )
  .option("--spec", "print a feature spec proposed from the profile (JSON, for hunt --spec)")
  .action(
    async (
      file: string,
      o: {
        format?: LogFormat;
        columns?: string[];
        onBadRows: OnBadRows;
        names?: string[];
        json?: boolean;
        spec?: boolean;
      },
    ) => {
      const profile = await withDb(async (db) => {
        const table = await readLog(db, file, {
          format: o.format,
          onBadRows: o.onBadRows,
          names: o.names,
        });
        if (o.columns) requireColumns(table, o.columns);
        return profileTable(db, table, o.columns);
      });
      if (o.spec) process.stdout.write(JSON.stringify(proposeSpecJson(profile), null, 2) + "\n");
      else if (o.json) process.stdout.write(JSON.stringify(profile) + "\n");
      else console.log(formatProfile(profile));
    },
  );

program
  .command("eval")
  .description(
    "Evaluate a detector on a labelled CSV with the PyOD reference protocol (train/test splits, StandardScaler on train).",
  )
  .requiredOption("--data <file>", "labelled CSV (every other column is a numeric feature)")
  .requiredOption("--label <column>", "0/1 label column, 1 = anomaly")
  .requiredOption("--detector <name>", "detector to evaluate")
  .option("--params <json>", "detector params as a JSON object", json, {})
  .option(
    "--splits <file>",
    'splits file ({n, seeds: {"0": {train, test}}}); default: seeded random 60/40',
  )
  .option("--seeds <list>", "seeds to run", seedList, [0, 1, 2])
  .option("--json", "print one JSON object on stdout and nothing else there")
  .addHelpText("after", detectorHelp())
  .action(
    async (o: {
      data: string;
      label: string;
      detector: string;
      params: Record<string, unknown>;
      splits?: string;
      seeds: number[];
      json?: boolean;
    }) => {
      getDetector(o.detector);
      if (o.seeds.length === 0) throw new ParamError("--seeds needs at least one seed");
      const data = await withDb((db) => readNumericCsv(db, o.data, { label: o.label }));
      const splits =
        o.splits !== undefined
          ? await readSplits(o.splits, data.X.rows, o.seeds)
          : o.seeds.map((s) => randomSplit(data.X.rows, s));
      const dataset = basename(o.data).replace(/\.(csv|tsv)(\.gz)?$/i, "");
      const result = evaluate(dataset, data.X, data.labels!, splits, o.detector, o.params);
      if (o.json) process.stdout.write(JSON.stringify(result) + "\n");
      else console.log(formatEvalResult(result));
    },
  );

program
  .command("detectors")
  .description("List the detectors and their params.")
  .option("--json", "as JSON")
  .action((o: { json?: boolean }) => {
    if (o.json) {
      const out = listDetectors().map((d) => ({
        name: d.name,
        summary: d.summary,
        reference: d.reference,
        deterministic: d.deterministic,
        params: describeParams(d),
      }));
      process.stdout.write(JSON.stringify(out, null, 2) + "\n");
    } else console.log(detectorHelp().trimStart());
  });

program
  .command("generate")
  .description(
    "Write a synthetic, labelled log for demos, tests and benchmarks (SYNTHETIC; documented in src/data/synthetic.ts and src/data/cloudtrail-synth.ts).",
  )
  .argument(
    "<kind>",
    'connections (CSV) or cloudtrail (JSON Lines, or {"Records": [...]} when --out ends in .json; gzip when .gz)',
  )
  .option("--rows <n>", "rows to generate", number, 5000)
  .option("--seed <s>", "random seed", number, 1)
  .requiredOption("--out <file>", "file to write")
  .action(async (kind: string, o: { rows: number; seed: number; out: string }) => {
    if (!Number.isInteger(o.rows) || o.rows < 1)
      throw new ParamError("--rows must be a positive whole number");
    if (kind === "connections")
      await writeFile(o.out, connectionsToCsv(generateConnections(o.rows, o.seed)));
    else if (kind === "cloudtrail") await writeCloudTrail(o.out, o.rows, o.seed);
    else throw new ParamError(`unknown kind "${kind}" (known: connections, cloudtrail)`);
  });

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof AnomalogError) {
    process.stderr.write(`anomalog: ${e.name}: ${e.message}\n`);
    process.exitCode = 2;
  } else {
    process.stderr.write(
      `anomalog: internal error (please report): ${(e as Error).stack ?? String(e)}\n`,
    );
    process.exitCode = 1;
  }
}
