/**
 * `node dist/eval/supervised.js FILE --label COL [--negative VALUE] [--drop a,b] [--seed S]
 * [--test-size F]`: trains every supervised classifier (src/supervised) on a seeded random
 * split of a labelled log and prints each one's ROC AUC, fit time and scikit-learn-style
 * classification report (threshold 0.5).
 *
 * Features are the columns whose every non-empty value reads as a number, CICFlowMeter's
 * "Infinity" and "NaN" text included; those non-finite cells become 0 and are counted. With
 * `--negative`, rows whose label equals that value are class 0 and all others class 1 (attack);
 * without it the label must be 0/1.
 */
import { performance } from "node:perf_hooks";
import type { DuckDBDoubleVector } from "@duckdb/node-api";
import { DataError } from "../core/errors.js";
import { matrix, takeRows, type Matrix } from "../core/matrix.js";
import { ident, literal, withDb, type Db } from "../data/db.js";
import { readLog } from "../data/read.js";
import type { LoadedTable } from "../data/table.js";
import { fitClassifier, predictProba } from "../supervised/classifier.js";
import { listClassifiers } from "../supervised/registry.js";
import { classificationReport, formatClassificationReport, rocAuc } from "./metrics.js";
import { randomSplit } from "./splits.js";

export interface LabelledData {
  readonly X: Matrix;
  readonly y: Uint8Array;
  readonly features: readonly string[];
  readonly nonFinite: number;
}

export async function readLabelled(
  db: Db,
  t: LoadedTable,
  label: string,
  negative: string | undefined,
  drop: readonly string[],
): Promise<LabelledData> {
  if (!t.columns.includes(label))
    throw new DataError(`no label column "${label}" (columns: ${t.columns.join(", ")})`, {
      file: t.file,
    });
  const candidates = t.columns.filter((c) => c !== label && !drop.includes(c));
  const checks = candidates
    .map((c) => `bool_and(${ident(c)} IS NULL OR TRY_CAST(${ident(c)} AS DOUBLE) IS NOT NULL)`)
    .join(", ");
  const flags = (
    await db.connection.runAndReadAll(`SELECT ${checks} FROM ${t.table}`)
  ).getRowsJS()[0];
  const features = candidates.filter((_, k) => flags[k] === true);
  const yExpr =
    negative === undefined
      ? `TRY_CAST(${ident(label)} AS DOUBLE)`
      : `CASE WHEN ${ident(label)} = ${literal(negative)} THEN 0 ELSE 1 END`;
  const select = [...features.map((c) => `TRY_CAST(${ident(c)} AS DOUBLE)`), yExpr].join(", ");
  const result = await db.connection.stream(`SELECT ${select} FROM ${t.table} ORDER BY rowid`);
  const d = features.length;
  const X = new Float64Array(t.rows * d);
  const y = new Uint8Array(t.rows);
  let offset = 0;
  let nonFinite = 0;
  for (;;) {
    const chunk = await result.fetchChunk();
    if (chunk === null || chunk.rowCount === 0) break;
    for (let j = 0; j <= d; j++) {
      const vector = chunk.getColumnVector(j) as DuckDBDoubleVector;
      for (let i = 0; i < chunk.rowCount; i++) {
        const v = vector.getItem(i) as number | null;
        if (j === d) {
          if (v !== 0 && v !== 1)
            throw new DataError(`label is ${v}, expected 0 or 1 (or give --negative VALUE)`, {
              file: t.file,
              row: offset + i + 1,
              column: label,
            });
          y[offset + i] = v;
        } else if (v === null || !Number.isFinite(v)) {
          nonFinite++;
        } else X[(offset + i) * d + j] = v;
      }
    }
    offset += chunk.rowCount;
  }
  return { X: matrix(t.rows, d, X), y, features, nonFinite };
}

function option(args: string[], name: string): string | undefined {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const file = args[0];
  const label = option(args, "--label");
  if (file === undefined || label === undefined) {
    console.error("usage: supervised FILE --label COL [--negative VALUE] [--drop a,b] [--seed S]");
    process.exitCode = 2;
    return;
  }
  const seed = Number(option(args, "--seed") ?? 0);
  const testSize = Number(option(args, "--test-size") ?? 0.3);
  const drop = (option(args, "--drop") ?? "").split(",").filter((s) => s !== "");
  const data = await withDb(async (db) =>
    readLabelled(db, await readLog(db, file), label, option(args, "--negative"), drop),
  );
  const split = randomSplit(data.X.rows, seed, testSize);
  const trainX = takeRows(data.X, split.train);
  const testX = takeRows(data.X, split.test);
  const trainY = Uint8Array.from(split.train, (i) => data.y[i]);
  const testY = Uint8Array.from(split.test, (i) => data.y[i]);
  const positives = data.y.reduce((s, v) => s + v, 0);
  console.log(
    `${file}: ${data.X.rows} rows, ${data.features.length} numeric features, ` +
      `${positives} class 1, ${data.nonFinite} non-finite cells set to 0; ` +
      `seed ${seed}, train ${trainX.rows} / test ${testX.rows}\n`,
  );
  for (const def of listClassifiers()) {
    const t0 = performance.now();
    const model = fitClassifier(def, trainX, trainY, {});
    const fitS = (performance.now() - t0) / 1000;
    const p = predictProba(def, model, testX);
    const predicted = Uint8Array.from(p, (v) => (v > 0.5 ? 1 : 0));
    console.log(`== ${def.name}: ROC AUC ${rocAuc(testY, p).toFixed(4)}, fit ${fitS.toFixed(2)} s`);
    console.log(formatClassificationReport(classificationReport(testY, predicted)));
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
