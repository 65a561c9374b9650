/**
 * `node dist/bench/recall.js`: how good and how fast approximate neighbour search
 * (src/core/approximate-neighbors.ts) is against the exact engine (src/core/neighbors.ts).
 *
 *   node dist/bench/recall.js [--sizes 100000,1000000] [--cols 10] [--no-generated] [--no-odds]
 *                             [--no-detectors] [--timeout 900]
 *
 * 1. Neighbours on generated rows × 10 (src/bench/generated.ts; --cols for wider rows, where
 *    the exact engine switches to brute force above 16), k = 5 (knn's default) and 20
 *    (lof's): every row's k nearest other rows (the self-query a fit runs), exact on every core
 *    (kNearestAsync) vs approximate (graph built on one thread, searched on every core).
 * 2. The same on the ODDS sets with the most rows or features (mnist 100-d, smtp, satellite):
 *    the training rows' self-query and the test rows' queries, parity split seed 0,
 *    standardised as the parity protocol does; then knn's and lof's test ROC AUC with exact and
 *    approximate neighbours (src/eval/experiment.ts runSeed).
 * 3. knn and lof with `neighbours: "approximate"`, fit + score of every row of generated data
 *    (as `npm run bench` times the exact ones: fitAsync + scoreAsync, own process, peak RSS);
 *    run first, so the children's peak RSS is their own.
 *
 * Columns: recall = share of the exact k neighbours found; tie recall = share of the found
 * neighbours no farther than the exact k-th (a tie with an exact neighbour counts: copies of
 * one row are interchangeable); k-dist ratio = found k-th distance over the exact one (≥ 1;
 * what knn's default score is), mean and max. Results are saved to bench/results/recall-*.json.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { dirname, join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { ApproximateIndex, HNSW_DEFAULTS } from "../core/approximate-neighbors.js";
import { takeRows, type Matrix } from "../core/matrix.js";
import { kNearest, type Neighbours } from "../core/neighbors.js";
import { applyScaler, fitStandardScaler } from "../core/stats.js";
import { readNumericCsv } from "../data/csv.js";
import { withDb } from "../data/db.js";
import { closePool, fitAsync, kNearestAsync, scoreAsync } from "../detectors/parallel.js";
import { runSeed } from "../eval/experiment.js";
import { hasShared, oddsDatasets } from "../eval/reference.js";
import { readSplits } from "../eval/splits.js";
import { generated } from "./generated.js";
import { gitCommit } from "./git.js";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "..", "..");
const ODDS_SETS = ["mnist", "smtp", "satellite"];
const KS = [5, 20];

interface Quality {
  recall: number;
  tieRecall: number;
  kDistRatioMean: number;
  kDistRatioMax: number;
}

function quality(found: Neighbours, exact: Neighbours): Quality {
  const { k } = exact;
  const rows = exact.indices.length / k;
  let hits = 0;
  let tied = 0;
  let ratioSum = 0;
  let ratioMax = 1;
  for (let i = 0; i < rows; i++) {
    const want = new Set(exact.indices.subarray(i * k, (i + 1) * k));
    const kth = exact.distances[i * k + k - 1];
    for (let c = 0; c < k; c++) {
      if (want.has(found.indices[i * k + c])) hits++;
      if (found.distances[i * k + c] <= kth) tied++;
    }
    const got = found.distances[i * k + k - 1];
    const ratio = kth === 0 ? (got === 0 ? 1 : Infinity) : got / kth;
    ratioSum += ratio;
    ratioMax = Math.max(ratioMax, ratio);
  }
  return {
    recall: hits / (rows * k),
    tieRecall: tied / (rows * k),
    kDistRatioMean: ratioSum / rows,
    kDistRatioMax: ratioMax,
  };
}

function seconds(t0: number): number {
  return (performance.now() - t0) / 1000;
}

interface NeighbourRow extends Quality {
  data: string;
  rows: number;
  cols: number;
  queries: "self" | "test";
  k: number;
  exactSeconds: number;
  buildSeconds: number;
  approximateSeconds: number;
}

const HEADER = `${"data".padEnd(12)} ${"rows".padStart(8)} ${"cols".padStart(4)} ${"queries".padEnd(7)} ${"k".padStart(3)} ${"exact s".padStart(8)} ${"build s".padStart(8)} ${"search s".padStart(8)} ${"recall".padStart(7)} ${"tie rec".padStart(7)} ${"kdist mean".padStart(10)} ${"kdist max".padStart(9)}`;

function printRow(r: NeighbourRow): void {
  console.log(
    `${r.data.padEnd(12)} ${String(r.rows).padStart(8)} ${String(r.cols).padStart(4)} ${r.queries.padEnd(7)} ${String(r.k).padStart(3)} ` +
      `${r.exactSeconds.toFixed(2).padStart(8)} ${r.buildSeconds.toFixed(2).padStart(8)} ${r.approximateSeconds.toFixed(2).padStart(8)} ` +
      `${r.recall.toFixed(4).padStart(7)} ${r.tieRecall.toFixed(4).padStart(7)} ${r.kDistRatioMean.toFixed(4).padStart(10)} ${r.kDistRatioMax.toFixed(3).padStart(9)}`,
  );
}

/**
 * Exact vs approximate neighbours of `reference` for each k: its own rows (self-query) or
 * `queries`. The graph is built once and its build time reported apart.
 */
async function compareNeighbours(
  data: string,
  reference: Matrix,
  queries?: Matrix,
): Promise<NeighbourRow[]> {
  const out: NeighbourRow[] = [];
  const t0 = performance.now();
  const index = new ApproximateIndex(reference);
  const buildSeconds = seconds(t0);
  for (const k of KS) {
    const t1 = performance.now();
    const exact =
      queries === undefined ? await kNearestAsync(reference, k) : kNearest(reference, k, queries);
    const exactSeconds = seconds(t1);
    const t2 = performance.now();
    const found = queries === undefined ? index.selfQuery(k) : index.search(k, queries);
    const approximateSeconds = seconds(t2);
    const row: NeighbourRow = {
      data,
      rows: reference.rows,
      cols: reference.cols,
      queries: queries === undefined ? "self" : "test",
      k,
      exactSeconds,
      buildSeconds,
      approximateSeconds,
      ...quality(found, exact),
    };
    printRow(row);
    out.push(row);
  }
  return out;
}

interface DetectorRow {
  detector: string;
  neighbours: string;
  rows: number;
  cols: number;
  fitSeconds?: number;
  scoreSeconds?: number;
  cpuSeconds?: number;
  peakMiB?: number;
  error?: string;
}

/** Child-process entry: one detector fitted and scored on generated rows; prints JSON. */
async function runCase(
  detector: string,
  rows: number,
  neighbours: string,
  cols: number,
): Promise<void> {
  const X = generated(rows, cols, 1);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const model = await fitAsync(detector, X, { neighbours });
  const t1 = performance.now();
  await scoreAsync(model, X);
  const t2 = performance.now();
  // CPU time too: on a machine shared with other jobs, wall time says more about them.
  const cpu = process.cpuUsage(cpu0);
  await closePool();
  process.stdout.write(
    JSON.stringify({
      fitSeconds: (t1 - t0) / 1000,
      scoreSeconds: (t2 - t1) / 1000,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      peakMiB: process.resourceUsage().maxRSS / 1024,
    }) + "\n",
  );
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const caseAt = args.indexOf("--case");
  if (caseAt >= 0) {
    const [detector, rows, neighbours, cols] = args.slice(caseAt + 1);
    await runCase(detector, Number(rows), neighbours, Number(cols ?? 10));
    return;
  }
  const option = (name: string): string | undefined => {
    const at = args.indexOf(name);
    return at >= 0 ? args[at + 1] : undefined;
  };
  const sizes = (option("--sizes") ?? "100000,1000000").split(",").map(Number);
  const cols = Number(option("--cols") ?? 10);
  const timeoutSeconds = Number(option("--timeout") ?? 900);
  console.log(
    `HNSW defaults ${JSON.stringify(HNSW_DEFAULTS)}; ${availableParallelism()} threads; exact = kNearestAsync (self) or kNearest (test rows)`,
  );

  // First, while this process is small: a child's peak RSS as Node reports it (getrusage) starts
  // from its parent's at the fork, so cases spawned after the large sections below would report
  // this process's peak instead of theirs.
  const detectorRows: DetectorRow[] = [];
  if (!args.includes("--no-detectors")) {
    console.log(
      `knn and lof with approximate neighbours: fit + score every generated row × ${cols} (fitAsync + scoreAsync), own process`,
    );
    console.log(
      `${"rows".padStart(9)} ${"detector".padEnd(8)} ${"fit s".padStart(8)} ${"score s".padStart(8)} ${"total s".padStart(8)} ${"cpu s".padStart(8)} ${"peak MiB".padStart(9)}`,
    );
    for (const rows of sizes) {
      for (const detector of ["knn", "lof"]) {
        const child = spawnSync(
          process.execPath,
          [
            fileURLToPath(import.meta.url),
            "--case",
            detector,
            String(rows),
            "approximate",
            String(cols),
          ],
          { encoding: "utf8", maxBuffer: 1 << 20, timeout: timeoutSeconds * 1000 },
        );
        const row: DetectorRow = { detector, neighbours: "approximate", rows, cols };
        if (child.status !== 0 || child.signal !== null) {
          row.error = child.signal !== null ? `no result within ${timeoutSeconds} s` : child.stderr;
          console.log(`${String(rows).padStart(9)} ${detector.padEnd(8)} FAILED: ${row.error}`);
        } else {
          Object.assign(row, JSON.parse(child.stdout) as DetectorRow);
          console.log(
            `${String(rows).padStart(9)} ${detector.padEnd(8)} ${row.fitSeconds!.toFixed(2).padStart(8)} ${row.scoreSeconds!.toFixed(2).padStart(8)} ` +
              `${(row.fitSeconds! + row.scoreSeconds!).toFixed(2).padStart(8)} ${row.cpuSeconds!.toFixed(1).padStart(8)} ${row.peakMiB!.toFixed(0).padStart(9)}`,
          );
        }
        detectorRows.push(row);
      }
    }
  }

  const neighbourRows: NeighbourRow[] = [];
  if (!args.includes("--no-generated")) {
    console.log(`\nGenerated rows × ${cols}: every row's k nearest other rows`);
    console.log(HEADER);
    for (const rows of sizes) {
      neighbourRows.push(...(await compareNeighbours(`generated`, generated(rows, cols, 1))));
    }
  }

  const aucRows: Record<string, unknown>[] = [];
  if (!args.includes("--no-odds")) {
    if (!hasShared()) console.log("\nshared data not found: skipping the ODDS sets");
    else {
      console.log(`\nODDS, parity split seed 0, standardised on the training rows`);
      console.log(HEADER);
      const sets = oddsDatasets().filter((d) => ODDS_SETS.includes(d.name));
      const loaded = [];
      for (const ds of sets) {
        const data = await withDb((db) => readNumericCsv(db, ds.file, { label: "label" }));
        const [split] = await readSplits(ds.splits, data.X.rows, [0]);
        const scaler = fitStandardScaler(takeRows(data.X, split.train));
        const train = applyScaler(scaler, takeRows(data.X, split.train));
        const test = applyScaler(scaler, takeRows(data.X, split.test));
        neighbourRows.push(...(await compareNeighbours(ds.name, train)));
        neighbourRows.push(...(await compareNeighbours(ds.name, train, test)));
        loaded.push({ name: ds.name, data, split });
      }
      console.log(`\nTest ROC AUC, split seed 0: exact vs approximate neighbours`);
      console.log(
        `${"data".padEnd(10)} ${"detector".padEnd(8)} ${"exact".padStart(7)} ${"approx".padStart(7)} ${"delta".padStart(8)} ${"exact s".padStart(8)} ${"approx s".padStart(8)}`,
      );
      for (const { name, data, split } of loaded) {
        for (const detector of ["knn", "lof"]) {
          const exact = runSeed(data.X, data.labels!, split, detector, {}).result;
          const approx = runSeed(data.X, data.labels!, split, detector, {
            neighbours: "approximate",
          }).result;
          const row = {
            data: name,
            detector,
            exactAuc: exact.rocAuc,
            approximateAuc: approx.rocAuc,
            delta: approx.rocAuc - exact.rocAuc,
            exactSeconds: exact.fitSeconds + exact.scoreSeconds,
            approximateSeconds: approx.fitSeconds + approx.scoreSeconds,
          };
          aucRows.push(row);
          console.log(
            `${name.padEnd(10)} ${detector.padEnd(8)} ${row.exactAuc.toFixed(4).padStart(7)} ${row.approximateAuc.toFixed(4).padStart(7)} ` +
              `${row.delta.toFixed(4).padStart(8)} ${row.exactSeconds.toFixed(2).padStart(8)} ${row.approximateSeconds.toFixed(2).padStart(8)}`,
          );
        }
      }
    }
  }

  const stamp = new Date().toISOString().replace(/[:]/g, "-").replace(/\..+$/, "");
  const dir = join(repo, "bench", "results");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `recall-${stamp}-${gitCommit(repo)}.json`);
  writeFileSync(
    file,
    JSON.stringify(
      {
        date: new Date().toISOString(),
        commit: gitCommit(repo),
        node: process.version,
        threads: availableParallelism(),
        hnsw: HNSW_DEFAULTS,
        neighbours: neighbourRows,
        auc: aucRows,
        detectors: detectorRows,
      },
      null,
      2,
    ) + "\n",
  );
  console.log(`\nsaved ${file}`);
  await closePool();
}

await main();
