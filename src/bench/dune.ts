/**
 * The DUNE check: our hunt against PyOD's on the reference notebook's CloudTrail file
 * (../shared/data/cloudtrail/dune_cloudtrail.csv.gz; its five fields as pandas category codes,
 * contamination 0.001, the thirteen-detector panel, every detector run: no budget). Compares
 * with `rank_fit` of ../shared/reference/pyod/dune_cloudtrail_ranks.csv.gz (votes from each
 * fitted model's own training labels, the sound semantics; see that folder's README):
 * Jaccard overlap of the rank > 0 sets, Spearman correlation of the ranks over all rows and over
 * their union, the top-ranked events, and per detector the Jaccard overlap of the votes.
 *
 *   node dist/bench/dune.js [--out bench/results]
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { literal, withDb } from "../data/db.js";
import { rankAverage } from "../core/stats.js";
import { hunt } from "../hunt/hunt.js";
import { closePool } from "../detectors/parallel.js";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "..", "..");
const shared = resolve(repo, "..", "shared");
const FIELDS = ["sourceIPAddress", "eventSource", "eventName", "userAgent", "userIdentity.arn"];
/** PyOD's model names in the reference file and ours. */
const MODELS: Record<string, string> = {
  CBLOF: "cblof",
  IForest: "iforest",
  KNN: "knn",
  AvKNN: "knn_mean",
  LOF: "lof",
  ROD: "rod",
  CD: "cd",
  COPOD: "copod",
  ECOD: "ecod",
  GMM: "gmm",
  HBOS: "hbos",
  INNE: "inne",
  LODA: "loda",
};

function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i] / n;
    my += y[i] / n;
  }
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}

const spearman = (x: ArrayLike<number>, y: ArrayLike<number>): number =>
  pearson(rankAverage(x), rankAverage(y));

function jaccard(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let both = 0;
  let either = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] > 0 && b[i] > 0) both++;
    if (a[i] > 0 || b[i] > 0) either++;
  }
  return either === 0 ? 1 : both / either;
}

async function main(): Promise<void> {
  const outArg = process.argv.indexOf("--out");
  const resultsDir = resolve(
    outArg > 0 ? process.argv[outArg + 1] : join(repo, "bench", "results"),
  );
  const work = join(tmpdir(), `anomalog-dune-${process.pid}`);
  mkdirSync(work, { recursive: true });
  const summary = await hunt({
    input: join(shared, "data", "cloudtrail", "dune_cloudtrail.csv.gz"),
    out: join(work, "out"),
    fields: FIELDS,
    contamination: 0.001,
    budgetSeconds: null,
  });
  const ran = summary.detectors.filter((d) => d.status === "ran").map((d) => d.name);

  const joined = await withDb(async (db) => {
    const ours = `read_csv(${literal(join(work, "out", "flagged.csv"))}, all_varchar = true)`;
    const ref = `read_csv(${literal(join(shared, "reference", "pyod", "dune_cloudtrail_ranks.csv.gz"))}, all_varchar = true)`;
    const voteCols = Object.entries(MODELS)
      .filter(([, ourName]) => ran.includes(ourName))
      .flatMap(([pyod, ourName]) => [
        `coalesce(o."vote_${ourName}"::INTEGER, 0) AS "ours_${ourName}"`,
        `r."fit_${pyod}"::INTEGER AS "ref_${ourName}"`,
      ]);
    const reader = await db.connection.runAndReadAll(
      `SELECT r.eventid, coalesce(o.rank::INTEGER, 0) AS ours, r.rank_fit::INTEGER AS ref, ${voteCols.join(", ")} ` +
        `FROM ${ref} r LEFT JOIN ${ours} o USING (eventid) ORDER BY r.row::INTEGER`,
    );
    return reader.getRowObjectsJS() as Record<string, number | string>[];
  });
  const ours = Float64Array.from(joined, (r) => Number(r.ours));
  const ref = Float64Array.from(joined, (r) => Number(r.ref));
  const union = joined.map((_, i) => i).filter((i) => ours[i] > 0 || ref[i] > 0);
  const top = (ranks: Float64Array): string[] => {
    const max = Math.max(...ranks);
    return joined.filter((_, i) => ranks[i] === max).map((r) => String(r.eventid));
  };
  const perDetector = Object.fromEntries(
    ran
      .filter((name) => Object.values(MODELS).includes(name))
      .map((name) => {
        const a = joined.map((r) => Number(r[`ours_${name}`]));
        const b = joined.map((r) => Number(r[`ref_${name}`]));
        return [
          name,
          {
            ours: a.reduce((s, v) => s + v, 0),
            pyod: b.reduce((s, v) => s + v, 0),
            jaccard: jaccard(a, b),
          },
        ];
      }),
  );
  const result = {
    when: new Date().toISOString(),
    input: "dune_cloudtrail.csv.gz",
    rows: summary.rows,
    distinctRows: summary.distinctRows,
    detectors: ran,
    seconds: summary.seconds,
    oursRankGt0: ours.filter((v) => v > 0).length,
    pyodRankFitGt0: ref.filter((v) => v > 0).length,
    jaccardRankGt0: jaccard(ours, ref),
    spearmanAllRows: spearman(ours, ref),
    spearmanUnion: spearman(
      union.map((i) => ours[i]),
      union.map((i) => ref[i]),
    ),
    pearsonAllRows: pearson(ours, ref),
    topOurs: { rank: Math.max(...ours), eventids: top(ours) },
    topPyod: { rank: Math.max(...ref), eventids: top(ref) },
    perDetector,
  };
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, `dune-${result.when.replace(/[:.]/g, "-").slice(0, 19)}.json`);
  writeFileSync(file, JSON.stringify(result, null, 2) + "\n");
  console.log(JSON.stringify(result, null, 2));
  console.log(`saved ${file}`);
  rmSync(work, { recursive: true, force: true });
  await closePool();
}

await main();
