/**
 * `npm run bench`: fit + score time of every detector on the shared ODDS datasets (ratio to
 * PyOD's recorded time on the same kind of machine) and on generated 100k × 10 and 1M × 10
 * matrices (rows/s and peak memory, each large case in its own process so its peak RSS is its
 * own). Prints a table and saves the results under bench/results/.
 *
 *   node dist/bench/run.js [--quick] [--only iforest,hbos] [--repeats 5] [--timeout 180]
 *                          [--ingest-only | --no-ingest] [--hunt-only | --no-hunt]
 *                          [--no-generated] [--single-thread] [--odds-timeout 600]
 *
 * On ODDS every parity configuration runs (knn_mean, lof_35, ...; `--only` takes labels or
 * detector names). On generated data, KiB/row is peak RSS over rows: if it stays level or falls
 * from 100k to 1M rows, memory grows linearly (no n × n structure anywhere).
 * A generated case that runs past --timeout seconds is reported as a timeout, not waited for,
 * and the detector is not run on larger sizes. An ODDS case slower than 10 s is timed once.
 * An ODDS case PyOD did not finish (its reference says timeout or skipped) runs once in its own
 * process and is reported as a timeout after --odds-timeout seconds.
 *
 * Then ingestion (src/bench/ingest.ts): generated CSV and CloudTrail JSON Lines read into
 * DuckDB, 1M rows (100k with --quick), rows/s and peak memory, median of 3 runs.
 *
 * Then the hunt (src/bench/hunt-bench.ts): the DUNE CloudTrail file resampled to 300k rows and
 * 1M generated CloudTrail records end to end, one run each (not with --quick).
 *
 * Times are medians over repeats; the machine is noisy, so compare ratios within one run.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { takeRows, type Matrix } from "../core/matrix.js";
import { applyScaler, fitStandardScaler } from "../core/stats.js";
import { readNumericCsv } from "../data/csv.js";
import { withDb } from "../data/db.js";
import { fit, score } from "../detectors/model.js";
import { listDetectors } from "../detectors/registry.js";
import { closePool, fitAsync, forgetKeptIndexes, scoreAsync } from "../detectors/parallel.js";
import { availableParallelism } from "node:os";
import { hasShared, oddsDatasets, pyodResults } from "../eval/reference.js";
import { VARIANTS } from "../eval/parity-variants.js";
import { readSplits } from "../eval/splits.js";
import { INGEST_KINDS, ingestInput, runIngestCase, type IngestKind } from "./ingest.js";
import {
  HUNT_KINDS,
  huntInput,
  runHuntCase,
  type HuntCaseResult,
  type HuntKind,
} from "./hunt-bench.js";
import { runNeuralBench, type NeuralCase } from "./neural.js";
import { generated } from "./generated.js";
import { gitCommit } from "./git.js";

export { generated };

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "..", "..");

interface Timing {
  fitSeconds: number;
  scoreSeconds: number;
}

const SLOW_CASE_SECONDS = 10;

const USAGE = `usage: node dist/bench/run.js [--quick] [--only iforest,hbos] [--repeats 5] [--timeout 180]
                            [--ingest-only | --no-ingest] [--hunt-only | --no-hunt]
                            [--no-generated] [--single-thread] [--odds-timeout 600]
       node dist/bench/run.js --case DETECTOR ROWS COLS`;

const KNOWN_FLAGS = [
  "--help",
  "--quick",
  "--only",
  "--repeats",
  "--timeout",
  "--odds-timeout",
  "--ingest-only",
  "--no-ingest",
  "--hunt-only",
  "--no-hunt",
  "--no-generated",
  "--single-thread",
];

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Median fit and score seconds over `repeats` runs. With `pooled`, through the worker pool as the
 * hunt runs detectors (fitAsync/scoreAsync: both cores for inputs above a detector's
 * parallelMinRows, the calling thread below it); otherwise on the calling thread alone.
 */
async function timeDetector(
  detector: string,
  params: Record<string, unknown>,
  train: Matrix,
  test: Matrix,
  repeats: number,
  pooled: boolean,
): Promise<Timing> {
  const fits: number[] = [];
  const scores: number[] = [];
  for (let r = 0; r < repeats; r++) {
    // Every fit starts from no kept tree, as a fresh PyOD fit does; its score searches the tree
    // the fit built.
    await forgetKeptIndexes();
    const t0 = performance.now();
    const model = pooled ? await fitAsync(detector, train, params) : fit(detector, train, params);
    const t1 = performance.now();
    if (pooled) await scoreAsync(model, test);
    else score(model, test);
    const t2 = performance.now();
    fits.push((t1 - t0) / 1000);
    scores.push((t2 - t1) / 1000);
  }
  return { fitSeconds: median(fits), scoreSeconds: median(scores) };
}

/**
 * Child-process entry: one detector on one generated size, on every core (fitAsync/scoreAsync);
 * prints JSON timing and peak RSS.
 */
async function runCase(detector: string, rows: number, cols: number): Promise<void> {
  const X = generated(rows, cols, 1);
  const t0 = performance.now();
  const model = await fitAsync(detector, X);
  const t1 = performance.now();
  await scoreAsync(model, X);
  const t2 = performance.now();
  await closePool();
  const peakMiB = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(
    JSON.stringify({ fitSeconds: (t1 - t0) / 1000, scoreSeconds: (t2 - t1) / 1000, peakMiB }) +
      "\n",
  );
}

/** An ODDS dataset's seed-0 split, standardised on its train rows (the parity protocol). */
async function oddsSplit(ds: {
  file: string;
  splits: string;
}): Promise<{ train: Matrix; test: Matrix }> {
  const data = await withDb((db) => readNumericCsv(db, ds.file, { label: "label" }));
  const [split] = await readSplits(ds.splits, data.X.rows, [0]);
  const scaler = fitStandardScaler(takeRows(data.X, split.train));
  return {
    train: applyScaler(scaler, takeRows(data.X, split.train)),
    test: applyScaler(scaler, takeRows(data.X, split.test)),
  };
}

/** Child-process entry: one ODDS configuration (parity label), timed once; prints JSON timing. */
async function runOddsCase(dataset: string, label: string, pooled: boolean): Promise<void> {
  const ds = oddsDatasets().find((d) => d.name === dataset);
  const v = VARIANTS.find((x) => x.label === label);
  if (ds === undefined || v === undefined) throw new Error(`no ODDS case ${dataset} ${label}`);
  const { train, test } = await oddsSplit(ds);
  const t = await timeDetector(v.detector, v.params, train, test, 1, pooled);
  await closePool();
  process.stdout.write(JSON.stringify(t) + "\n");
}

/** Runs runOddsCase in a child process, killed after `timeoutSeconds`. */
function oddsCaseInChild(
  dataset: string,
  label: string,
  timeoutSeconds: number,
  pooled: boolean,
): Timing | { failure: string; timedOut: boolean } {
  const child = spawnSync(
    process.execPath,
    [
      fileURLToPath(import.meta.url),
      "--odds-case",
      dataset,
      label,
      ...(pooled ? [] : ["--single-thread"]),
    ],
    { encoding: "utf8", maxBuffer: 1 << 20, timeout: timeoutSeconds * 1000 },
  );
  if (child.error !== undefined || child.signal !== null)
    return { failure: `TIMEOUT: no result within ${timeoutSeconds} s`, timedOut: true };
  if (child.status !== 0)
    return { failure: `FAILED: ${child.stderr.split("\n")[0]}`, timedOut: false };
  return JSON.parse(child.stdout) as Timing;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const caseIndex = args.indexOf("--case");
  if (caseIndex >= 0) {
    const [detector, rows, cols] = args.slice(caseIndex + 1);
    await runCase(detector, Number(rows), Number(cols));
    return;
  }
  const oddsCase = args.indexOf("--odds-case");
  if (oddsCase >= 0) {
    const [dataset, label] = args.slice(oddsCase + 1);
    await runOddsCase(dataset, label, !args.includes("--single-thread"));
    return;
  }
  const ingestCase = args.indexOf("--ingest-case");
  if (ingestCase >= 0) {
    const [kind, path] = args.slice(ingestCase + 1);
    process.stdout.write(JSON.stringify(await runIngestCase(kind as IngestKind, path)) + "\n");
    return;
  }
  const huntCase = args.indexOf("--hunt-case");
  if (huntCase >= 0) {
    const [kind, path] = args.slice(huntCase + 1);
    process.stdout.write(JSON.stringify(await runHuntCase(kind as HuntKind, path)) + "\n");
    return;
  }
  const unknown = args.filter((a) => a.startsWith("--") && !KNOWN_FLAGS.includes(a));
  if (args.includes("--help") || unknown.length > 0) {
    if (unknown.length > 0) console.error(`unknown option ${unknown.join(", ")}`);
    console.error(USAGE);
    process.exitCode = unknown.length > 0 ? 2 : 0;
    return;
  }
  const quick = args.includes("--quick");
  const huntOnly = args.includes("--hunt-only");
  const noHunt = args.includes("--no-hunt") || quick;
  const ingestOnly = args.includes("--ingest-only");
  const noIngest = args.includes("--no-ingest");
  // ODDS only, as far as detectors go: no generated-size cases and no neural training.
  const noGenerated = args.includes("--no-generated");
  // ODDS cases on the calling thread only (CPU-time comparisons), instead of the worker pool.
  const pooled = !args.includes("--single-thread");
  const onlyIndex = args.indexOf("--only");
  const only = onlyIndex >= 0 ? args[onlyIndex + 1].split(",") : undefined;
  const repeatsIndex = args.indexOf("--repeats");
  const repeats = repeatsIndex >= 0 ? Number(args[repeatsIndex + 1]) : 5;
  const timeoutIndex = args.indexOf("--timeout");
  const timeoutSeconds = timeoutIndex >= 0 ? Number(args[timeoutIndex + 1]) : 180;
  const oddsTimeoutIndex = args.indexOf("--odds-timeout");
  const oddsTimeoutSeconds = oddsTimeoutIndex >= 0 ? Number(args[oddsTimeoutIndex + 1]) : 600;
  const detectors = listDetectors()
    .map((d) => d.name)
    .filter((d) => only === undefined || only.includes(d));
  // On ODDS, every configuration PyOD has a time for (knn_mean, lof_35, ...), by label.
  const variants = VARIANTS.filter(
    (v) => only === undefined || only.includes(v.label) || only.includes(v.detector),
  );

  const oddsRows: Record<string, unknown>[] = [];
  if (ingestOnly || huntOnly) {
    // Only the ingestion section below.
  } else if (hasShared()) {
    const reference = pyodResults();
    console.log(
      `ODDS datasets: fit on the 60% train split (seed 0), score the 40% test split; median of ${repeats} (one run where a case takes over ${SLOW_CASE_SECONDS} s); ${pooled ? `wall-clock through the worker pool (${availableParallelism()} threads, as the hunt runs; PyOD's times are wall-clock with its BLAS threads)` : "on one thread"}`,
    );
    console.log(
      `${"dataset".padEnd(11)} ${"detector".padEnd(10)} ${"fit s".padStart(8)} ${"score s".padStart(8)} ${"rows/s".padStart(10)} ${"pyod s".padStart(8)} ${"ratio".padStart(6)}`,
    );
    for (const ds of oddsDatasets()) {
      const { train, test } = await oddsSplit(ds);
      for (const v of variants) {
        const det = v.label;
        const ref = reference.find((r) => r.dataset === ds.name && r.detector === v.pyod);
        const pyod = ref?.status === "ok" ? ref.fitSeconds + ref.scoreSeconds : NaN;
        // PyOD gave up on this case (over 120 s a seed, or skipped): ours may be as slow, so it
        // runs once in its own process and is abandoned after --odds-timeout seconds.
        const pyodStatus = ref !== undefined && ref.status !== "ok" ? ref.status : undefined;
        let t: Timing;
        if (pyodStatus !== undefined) {
          const outcome = oddsCaseInChild(ds.name, det, oddsTimeoutSeconds, pooled);
          if ("failure" in outcome) {
            console.log(
              `${ds.name.padEnd(11)} ${det.padEnd(10)} ${outcome.failure} (PyOD: ${pyodStatus})`,
            );
            oddsRows.push({
              dataset: ds.name,
              rows: train.rows + test.rows,
              cols: train.cols,
              detector: det,
              pyodStatus,
              ...(outcome.timedOut
                ? { timeoutSeconds: oddsTimeoutSeconds }
                : { error: outcome.failure }),
            });
            continue;
          }
          t = outcome;
        } else {
          // Warm-up (JIT, and the pool's threads started).
          const warm = await timeDetector(v.detector, v.params, train, test, 1, pooled);
          // A case that takes more than SLOW_CASE_SECONDS is timed once: its warm-up run is the
          // measurement (compilation is a negligible share of it).
          const slow = warm.fitSeconds + warm.scoreSeconds > SLOW_CASE_SECONDS;
          t = slow ? warm : await timeDetector(v.detector, v.params, train, test, repeats, pooled);
        }
        const ours = t.fitSeconds + t.scoreSeconds;
        const ratio = ours / pyod;
        const rowsPerSecond = (train.rows + test.rows) / ours;
        oddsRows.push({
          dataset: ds.name,
          threads: pooled ? availableParallelism() : 1,
          rows: train.rows + test.rows,
          cols: train.cols,
          detector: det,
          ...t,
          rowsPerSecond,
          pyodSeconds: pyod,
          ratio,
          ...(pyodStatus !== undefined ? { pyodStatus } : {}),
        });
        console.log(
          `${ds.name.padEnd(11)} ${det.padEnd(10)} ${t.fitSeconds.toFixed(4).padStart(8)} ${t.scoreSeconds.toFixed(4).padStart(8)} ` +
            `${Math.round(rowsPerSecond).toString().padStart(10)} ${(pyodStatus ?? pyod.toFixed(4)).padStart(8)} ${ratio.toFixed(2).padStart(6)}${pyod > 0.05 && ratio > 1 ? "  SLOWER than PyOD" : pyod > 0.5 && ratio > 0.5 ? "  under 2x PyOD" : ""}`,
        );
      }
    }
    await closePool();
  } else {
    console.log("shared data not found: skipping the ODDS benchmarks");
  }

  const sizes =
    ingestOnly || huntOnly || noGenerated ? [] : quick ? [100_000] : [100_000, 1_000_000];
  const largeRows: Record<string, unknown>[] = [];
  if (sizes.length > 0) {
    console.log(
      `\nGenerated data, 10 features: fit and score all rows on ${availableParallelism()} threads; one process per case (peak RSS is the case's)`,
    );
    console.log(
      `${"rows".padStart(9)} ${"detector".padEnd(8)} ${"fit s".padStart(8)} ${"score s".padStart(8)} ${"total s".padStart(8)} ${"rows/s".padStart(10)} ${"peak MiB".padStart(9)} ${"KiB/row".padStart(8)}`,
    );
  }
  const timedOut = new Set<string>();
  for (const rows of sizes) {
    for (const det of detectors) {
      if (timedOut.has(det)) {
        console.log(
          `${String(rows).padStart(9)} ${det.padEnd(8)} skipped: timed out on fewer rows`,
        );
        largeRows.push({ rows, cols: 10, detector: det, skipped: "timed out on fewer rows" });
        continue;
      }
      const child = spawnSync(
        process.execPath,
        [fileURLToPath(import.meta.url), "--case", det, String(rows), "10"],
        {
          encoding: "utf8",
          maxBuffer: 1 << 20,
          timeout: timeoutSeconds * 1000,
        },
      );
      if (child.error !== undefined || child.signal !== null) {
        console.log(
          `${String(rows).padStart(9)} ${det.padEnd(8)} TIMEOUT: no result within ${timeoutSeconds} s`,
        );
        largeRows.push({ rows, cols: 10, detector: det, timeoutSeconds });
        timedOut.add(det);
        continue;
      }
      if (child.status !== 0) {
        console.log(
          `${String(rows).padStart(9)} ${det.padEnd(8)} FAILED: ${child.stderr.split("\n")[0]}`,
        );
        largeRows.push({ rows, cols: 10, detector: det, error: child.stderr });
        continue;
      }
      const r = JSON.parse(child.stdout) as {
        fitSeconds: number;
        scoreSeconds: number;
        peakMiB: number;
      };
      const total = r.fitSeconds + r.scoreSeconds;
      largeRows.push({
        rows,
        cols: 10,
        detector: det,
        ...r,
        totalSeconds: total,
        rowsPerSecond: rows / total,
      });
      console.log(
        `${String(rows).padStart(9)} ${det.padEnd(8)} ${r.fitSeconds.toFixed(3).padStart(8)} ${r.scoreSeconds.toFixed(3).padStart(8)} ` +
          `${total.toFixed(3).padStart(8)} ${Math.round(rows / total)
            .toString()
            .padStart(10)} ${r.peakMiB.toFixed(0).padStart(9)} ${((r.peakMiB * 1024) / rows)
            .toFixed(2)
            .padStart(8)}`,
      );
    }
  }

  // Neural training (src/bench/neural.ts): with no --only, or when it names a neural model.
  let neuralRows: NeuralCase[] = [];
  const neuralWanted =
    only === undefined || only.some((o) => ["autoencoder", "mlp", "neural"].includes(o));
  if (!ingestOnly && !huntOnly && !noGenerated && neuralWanted) {
    const X = generated(100_000, 20, 2);
    // Labels for the classifier: the generator's scattered rows, found as those far from all.
    const labels = Uint8Array.from({ length: X.rows }, (_, i) => {
      let far = 0;
      for (let j = 0; j < X.cols; j++) far += Math.abs(X.data[i * X.cols + j]) > 7 ? 1 : 0;
      return far > 0 ? 1 : 0;
    });
    neuralRows = runNeuralBench(X, labels, Math.max(1, Math.min(repeats, 3)));
  }

  const ingestRows: Record<string, unknown>[] = [];
  if (!noIngest && !huntOnly) {
    const rows = quick ? 100_000 : 1_000_000;
    console.log(`\nIngestion: generated logs read into DuckDB; median of 3 runs, one process each`);
    console.log(
      `${"input".padEnd(17)} ${"rows".padStart(9)} ${"columns".padStart(7)} ${"seconds".padStart(8)} ${"read s".padStart(7)} ${"cpu s".padStart(7)} ${"rows/s".padStart(10)} ${"peak MiB".padStart(9)}`,
    );
    for (const kind of INGEST_KINDS) {
      const path = await ingestInput(kind, rows);
      const runs: {
        rows: number;
        columns: number;
        seconds: number;
        readSeconds: number;
        cpuSeconds: number;
        peakMiB: number;
      }[] = [];
      for (let r = 0; r < 3; r++) {
        const child = spawnSync(
          process.execPath,
          [fileURLToPath(import.meta.url), "--ingest-case", kind, path],
          { encoding: "utf8", maxBuffer: 1 << 20, timeout: timeoutSeconds * 1000 },
        );
        if (child.status !== 0) {
          console.log(`${kind.padEnd(17)} FAILED: ${(child.stderr || "timeout").split("\n")[0]}`);
          break;
        }
        runs.push(JSON.parse(child.stdout) as (typeof runs)[number]);
      }
      if (runs.length === 0) continue;
      const seconds = median(runs.map((r) => r.seconds));
      const peakMiB = median(runs.map((r) => r.peakMiB));
      const readSeconds = median(runs.map((r) => r.readSeconds));
      const cpuSeconds = median(runs.map((r) => r.cpuSeconds));
      ingestRows.push({
        input: kind,
        rows: runs[0].rows,
        columns: runs[0].columns,
        seconds,
        readSeconds,
        cpuSeconds,
        rowsPerSecond: runs[0].rows / seconds,
        peakMiB,
      });
      console.log(
        `${kind.padEnd(17)} ${String(runs[0].rows).padStart(9)} ${String(runs[0].columns).padStart(7)} ${seconds.toFixed(2).padStart(8)} ` +
          `${readSeconds.toFixed(2).padStart(7)} ${cpuSeconds.toFixed(2).padStart(7)} ` +
          `${Math.round(runs[0].rows / seconds)
            .toString()
            .padStart(10)} ${peakMiB.toFixed(0).padStart(9)}`,
      );
    }
  }

  const huntRows: HuntCaseResult[] = [];
  if (!noHunt && !ingestOnly) {
    console.log(
      `\nHunt: the default panel, contamination 0.001, budget 60 s; one run each, own process`,
    );
    console.log(
      `${"case".padEnd(14)} ${"rows".padStart(9)} ${"distinct".padStart(8)} ${"read s".padStart(6)} ${"encode s".padStart(8)} ${"fetch s".padStart(7)} ${"hunt s".padStart(7)} ${"total s".padStart(7)} ${"peak MiB".padStart(8)}  ran/dropped  forecast err`,
    );
    for (const kind of HUNT_KINDS) {
      if (kind === "dune-300k" && !hasShared()) continue;
      const path = await huntInput(kind, repo);
      const child = spawnSync(
        process.execPath,
        [fileURLToPath(import.meta.url), "--hunt-case", kind, path],
        { encoding: "utf8", maxBuffer: 1 << 22, timeout: Math.max(timeoutSeconds, 600) * 1000 },
      );
      if (child.status !== 0) {
        console.log(`${kind.padEnd(14)} FAILED: ${(child.stderr || "timeout").split("\n")[0]}`);
        continue;
      }
      const r = JSON.parse(child.stdout.trim().split("\n").pop()!) as Awaited<
        ReturnType<typeof runHuntCase>
      >;
      huntRows.push(r);
      console.log(
        `${kind.padEnd(14)} ${String(r.rows).padStart(9)} ${String(r.distinctRows).padStart(8)} ${r.readSeconds.toFixed(1).padStart(6)} ${r.encodeSeconds.toFixed(1).padStart(8)} ` +
          `${r.recordsSeconds === null ? "-".padStart(7) : r.recordsSeconds.toFixed(1).padStart(7)} ` +
          `${r.huntSeconds.toFixed(1).padStart(7)} ${r.seconds.toFixed(1).padStart(7)} ${r.peakMiB.toFixed(0).padStart(8)}  ` +
          `${`${r.ran.length}/${r.dropped.length}`.padEnd(11)}  ${r.forecastMedianErrorFactor === null ? "-" : `×${r.forecastMedianErrorFactor.toFixed(2)}`}` +
          (r.dropped.length > 0 ? `  dropped: ${r.dropped.join(", ")}` : "") +
          (r.failed.length > 0 ? `  failed: ${r.failed.join(", ")}` : ""),
      );
    }
  }

  const stamp = new Date().toISOString().replace(/[:]/g, "-").replace(/\..+$/, "");
  const dir = join(repo, "bench", "results");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${stamp}-${gitCommit(repo)}.json`);
  writeFileSync(
    file,
    JSON.stringify(
      {
        date: new Date().toISOString(),
        commit: gitCommit(repo),
        node: process.version,
        repeats,
        odds: oddsRows,
        generated: largeRows,
        ingest: ingestRows,
        hunt: huntRows,
        neural: neuralRows,
      },
      null,
      2,
    ) + "\n",
  );
  console.log(`\nsaved ${file}`);
}

await main();
