import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Random } from "../core/random.js";
import { listDetectors } from "../detectors/registry.js";

const cli = join(dirname(fileURLToPath(import.meta.url)), "main.js");
const dir = mkdtempSync(join(tmpdir(), "anomalog-cli-"));
const run = (...args: string[]) =>
  spawnSync(process.execPath, [cli, ...args], { encoding: "utf8" });

function labelledCsv(): string {
  const rng = new Random(3);
  const lines = ["x0,x1,label"];
  for (let i = 0; i < 200; i++) {
    const outlier = i % 20 === 0;
    const shift = outlier ? 5 : 0;
    lines.push(`${rng.normal() + shift},${rng.normal() - shift},${outlier ? 1 : 0}`);
  }
  const path = join(dir, "labelled.csv");
  writeFileSync(path, lines.join("\n") + "\n");
  return path;
}

test("eval --json prints exactly one JSON object with the documented fields", () => {
  const r = run(
    "eval",
    "--data",
    labelledCsv(),
    "--label",
    "label",
    "--detector",
    "hbos",
    "--seeds",
    "0,1",
    "--json",
  );
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as Record<string, unknown>;
  assert.deepEqual(Object.keys(out), ["dataset", "detector", "params", "perSeed", "mean"]);
  assert.equal(out.dataset, "labelled");
  assert.equal(out.detector, "hbos");
  const perSeed = out.perSeed as Record<string, number>[];
  assert.deepEqual(
    perSeed.map((s) => s.seed),
    [0, 1],
  );
  for (const s of perSeed)
    assert.deepEqual(Object.keys(s), [
      "seed",
      "rocAuc",
      "averagePrecision",
      "fitSeconds",
      "scoreSeconds",
    ]);
  assert.deepEqual(Object.keys(out.mean as object), [
    "rocAuc",
    "averagePrecision",
    "fitSeconds",
    "scoreSeconds",
  ]);
  assert.ok((out.mean as { rocAuc: number }).rocAuc > 0.9);
});

test("user errors are one clear line and exit code 2, not a stack trace", () => {
  const missing = run("hunt", join(dir, "missing.csv"));
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /\nanomalog: DataError: .*missing\.csv: file not found\n$/);
  assert.doesNotMatch(missing.stderr, /\n\s+at /);
  const badParams = run(
    "eval",
    "--data",
    labelledCsv(),
    "--label",
    "label",
    "--detector",
    "iforest",
    "--params",
    '{"nEstimators": 0}',
  );
  assert.equal(badParams.status, 2);
  assert.match(badParams.stderr, /ParamError: invalid params for iforest: nEstimators/);
  const unknown = run("eval", "--data", labelledCsv(), "--label", "label", "--detector", "nope");
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /unknown detector "nope"/);
});

test("detectors --json lists every detector with described params", () => {
  const r = run("detectors", "--json");
  assert.equal(r.status, 0);
  const list = JSON.parse(r.stdout) as {
    name: string;
    params: { name: string; description: string }[];
  }[];
  assert.deepEqual(
    list.map((d) => d.name),
    listDetectors().map((d) => d.name),
  );
  for (const name of ["iforest", "knn", "lof", "cof", "sod", "abod", "kde", "cblof", "inne"])
    assert.ok(
      list.some((d) => d.name === name),
      name,
    );
  for (const d of list)
    for (const p of d.params) assert.ok(p.description.length > 0, `${d.name}.${p.name}`);
});

test("the README quick start works as written: npx anomalog hunt on the bundled sample", () => {
  const repo = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
  const out = join(dir, "quickstart");
  const r = spawnSync(
    "npx",
    [
      "--no-install",
      "anomalog",
      "hunt",
      "examples/data/connections.csv",
      "--exclude",
      "hour",
      "--contamination",
      "0.005",
      "--out",
      out,
    ],
    { cwd: repo, encoding: "utf8" },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /rows written to .*flagged\.csv/);
  assert.ok(existsSync(join(out, "flagged.csv")) && existsSync(join(out, "summary.json")));
});

test("profile --json prints one object with the documented fields", () => {
  const path = join(dir, "events.jsonl");
  writeFileSync(
    path,
    '{"user":{"arn":"a"},"n":1}\n{"user":{"arn":"b"},"n":2}\nnot json\n{"user":{"arn":"a"},"n":3}\n',
  );
  const failed = run("profile", path, "--json");
  assert.equal(failed.status, 2);
  assert.match(failed.stderr, /events\.jsonl: line 3: malformed JSON record/);
  const r = run("profile", path, "--json", "--on-bad-rows", "skip");
  assert.equal(r.status, 0, r.stderr);
  const p = JSON.parse(r.stdout) as {
    file: string;
    rows: number;
    skipped: number;
    columns: { name: string; type: string; nulls: number; distinct: number; top: unknown[] }[];
  };
  assert.equal(p.file, path);
  assert.equal(p.rows, 3);
  assert.equal(p.skipped, 1);
  assert.deepEqual(
    p.columns.map((c) => [c.name, c.type, c.nulls, c.distinct]),
    [
      ["user.arn", "text", 0, 2],
      ["n", "integer", 0, 3],
    ],
  );
  assert.deepEqual(p.columns[0].top, [
    { value: "a", count: 2 },
    { value: "b", count: 1 },
  ]);
});

test("hunt reads JSON Lines and names an unknown format", () => {
  const rng = new Random(5);
  const lines: string[] = [];
  for (let i = 0; i < 300; i++)
    lines.push(JSON.stringify({ id: `e${i}`, m: { a: rng.normal(), b: rng.normal() } }));
  const path = join(dir, "h.jsonl");
  writeFileSync(path, lines.join("\n") + "\n");
  const out = join(dir, "hunt-jsonl");
  const r = run("hunt", path, "--columns", "m.a,m.b", "--out", out, "--quiet");
  assert.equal(r.status, 0, r.stderr);
  assert.ok(existsSync(join(out, "flagged.csv")));
  const bad = run("hunt", path, "--format", "xml");
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /unknown format "xml"/);
});
