import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { matrix } from "../core/matrix.js";
import { connectionsToCsv, generateConnections } from "../data/synthetic.js";
import { hunt } from "./hunt.js";
import { runFits } from "./pool.js";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const sample = join(repo, "examples", "data", "connections.csv");
const tmp = (): string => mkdtempSync(join(tmpdir(), "anomalog-hunt-"));

function parseCsv(text: string): string[][] {
  return text
    .trim()
    .split("\n")
    .map((l) => l.split(","));
}

test("the committed sample is exactly what the generator makes (no drift)", () => {
  assert.equal(readFileSync(sample, "utf8"), connectionsToCsv(generateConnections(5000, 1)));
});

test("hunt writes flagged rows, complete, most suspicious first, with votes, rank and score", async () => {
  const out = tmp();
  const s = await hunt({ input: sample, out, exclude: ["hour"], contamination: 0.005 });
  const rows = parseCsv(readFileSync(join(out, "flagged.csv"), "utf8"));
  const header = rows[0];
  const original = readFileSync(sample, "utf8").split("\n")[0].split(",");
  assert.deepEqual(header.slice(0, original.length), original);
  assert.deepEqual(header.slice(original.length), [
    "vote_iforest",
    "vote_hbos",
    "vote_ecod",
    "vote_copod",
    "vote_pca",
    "rank",
    "score",
  ]);
  const body = rows.slice(1);
  assert.equal(body.length, s.flagged);
  assert.equal(s.flagged, s.rows - s.rankHistogram[0]);
  const rankCol = header.indexOf("rank");
  const scoreCol = header.indexOf("score");
  for (let i = 1; i < body.length; i++) {
    const [r0, r1] = [Number(body[i - 1][rankCol]), Number(body[i][rankCol])];
    assert.ok(r0 > r1 || (r0 === r1 && Number(body[i - 1][scoreCol]) >= Number(body[i][scoreCol])));
  }
  for (const r of body) {
    const votes = r.slice(original.length, original.length + 5).reduce((a, v) => a + Number(v), 0);
    assert.equal(votes, Number(r[rankCol]));
    assert.ok(votes > 0);
  }
  // Every original field is carried through unchanged: each flagged line starts with a sample line.
  const sampleLines = new Set(readFileSync(sample, "utf8").trim().split("\n").slice(1));
  for (const r of body) assert.ok(sampleLines.has(r.slice(0, original.length).join(",")));
  // The injected exfiltration is what all five detectors agree on.
  assert.equal(body[0][original.indexOf("attack")], "exfiltration");
  assert.equal(body[0][rankCol], "5");

  const summary = JSON.parse(readFileSync(join(out, "summary.json"), "utf8")) as Record<
    string,
    unknown
  >;
  for (const key of ["input", "rows", "distinctRows", "seconds", "flagged", "detectors"])
    assert.ok(key in summary, key);
  const d = (summary.detectors as Record<string, unknown>[])[0];
  for (const key of ["name", "params", "status", "predictedSeconds", "seconds"])
    assert.ok(key in d, key);
  assert.deepEqual(
    readdirSync(out).filter((f) => f.includes(".partial")),
    [],
    "no temporary files left",
  );
});

test("hunt --top k writes exactly k rows", async () => {
  const out = tmp();
  await hunt({ input: sample, out, top: 7, detectors: ["hbos", "ecod"] });
  assert.equal(parseCsv(readFileSync(join(out, "flagged.csv"), "utf8")).length, 8);
});

test("hunt refuses input whose columns clash with its outputs", async () => {
  const dir = tmp();
  const input = join(dir, "again.csv");
  writeFileSync(input, "a,rank\n1,2\n3,4\n");
  await assert.rejects(hunt({ input, out: join(dir, "out") }), /column "rank" clashes/);
  assert.equal(existsSync(join(dir, "out", "flagged.csv")), false);
});

test("one failing detector is reported and the rest finish", async () => {
  const X = matrix(
    20,
    2,
    Float64Array.from({ length: 40 }, (_, i) => (i * 7) % 13),
  );
  const replies = await runFits(
    X,
    [
      { detector: "hbos", params: {} },
      { detector: "pca", params: { nComponents: 99 } },
      { detector: "ecod", params: {} },
    ],
    () => {},
  );
  assert.equal(replies[0].ok, true);
  assert.equal(replies[1].ok, false);
  if (!replies[1].ok) assert.match(replies[1].error, /nComponents=99 exceeds/);
  assert.equal(replies[2].ok, true);
});
