/**
 * The shared reference material: PyOD's results and score fixtures, and the ODDS datasets.
 * `ANOMALOG_SHARED` overrides where `shared/` is (default: beside the repository).
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export function sharedDir(): string {
  if (process.env.ANOMALOG_SHARED) return resolve(process.env.ANOMALOG_SHARED);
  const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
  return resolve(repoRoot, "..", "shared");
}

export function hasShared(): boolean {
  return existsSync(join(sharedDir(), "data", "odds"));
}

export function oddsDatasets(): { name: string; file: string; splits: string }[] {
  const dir = join(sharedDir(), "data", "odds");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".csv.gz"))
    .sort()
    .map((f) => {
      const name = f.replace(/\.csv\.gz$/, "");
      return {
        name,
        file: join(dir, f),
        splits: join(sharedDir(), "reference", "splits", `${name}.json`),
      };
    });
}

export interface PyodResult {
  readonly dataset: string;
  readonly n: number;
  readonly d: number;
  readonly detector: string;
  readonly rocAucMean: number;
  readonly apMean: number;
  readonly fitSeconds: number;
  readonly scoreSeconds: number;
  readonly status: string;
}

/** Rows of reference/pyod/odds_results.csv. */
export function pyodResults(): PyodResult[] {
  const text = readFileSync(join(sharedDir(), "reference", "pyod", "odds_results.csv"), "utf8");
  const [header, ...lines] = text.trim().split(/\r?\n/);
  const cols = header.split(",");
  const at = (name: string): number => cols.indexOf(name);
  return lines.map((line) => {
    const f = line.split(",");
    return {
      dataset: f[at("dataset")],
      n: Number(f[at("n")]),
      d: Number(f[at("d")]),
      detector: f[at("detector")],
      rocAucMean: Number(f[at("roc_auc_mean")]),
      apMean: Number(f[at("ap_mean")]),
      fitSeconds: Number(f[at("fit_s_mean")]),
      scoreSeconds: Number(f[at("score_s_mean")]),
      status: f[at("status")],
    };
  });
}

export interface ScoreFixture {
  readonly train_scores: (number | null)[];
  readonly test_scores: (number | null)[];
}

/** Seed-0 score fixtures of a dataset (`reference/pyod/scores/<name>.json`), if present. */
export function scoreFixtures(dataset: string): Record<string, ScoreFixture> | undefined {
  const file = join(sharedDir(), "reference", "pyod", "scores", `${dataset}.json`);
  if (!existsSync(file)) return undefined;
  return (JSON.parse(readFileSync(file, "utf8")) as { detectors: Record<string, ScoreFixture> })
    .detectors;
}
