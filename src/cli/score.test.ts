import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const cli = join(dirname(fileURLToPath(import.meta.url)), "main.js");
const dir = mkdtempSync(join(tmpdir(), "anomalog-score-"));
const run = (...args: string[]) =>
  spawnSync(process.execPath, [cli, ...args], { encoding: "utf8" });

function ok(r: ReturnType<typeof run>): void {
  assert.equal(r.status, 0, `exit ${r.status}: ${r.stderr}`);
}

interface Summary {
  rows: number;
  features: string[];
  detectors: { name: string; status: string; flagged: number; threshold: number }[];
}
const summary = (out: string): Summary =>
  JSON.parse(readFileSync(join(out, "summary.json"), "utf8")) as Summary;

const FIELDS = "sourceIPAddress,eventSource,eventName,userAgent,userIdentity.arn";

test("hunt --fields --save, then score: same encoder, detectors and thresholds", () => {
  const train = join(dir, "train.jsonl");
  ok(run("generate", "cloudtrail", "--rows", "3000", "--seed", "1", "--out", train));
  const model = join(dir, "fields-model.json");
  const huntOut = join(dir, "hunt-fields");
  ok(run("hunt", train, "--fields", FIELDS, "--save", model, "--out", huntOut, "--quiet"));
  const h = summary(huntOut);
  assert.deepEqual(h.features, FIELDS.split(","));
  const saved = JSON.parse(readFileSync(model, "utf8")) as { format: string; version: number };
  assert.equal(saved.format, "anomalog-hunt-model");
  assert.equal(saved.version, 1);

  const scoreOut = join(dir, "score-fields");
  ok(run("score", model, train, "--out", scoreOut, "--quiet"));
  const s = summary(scoreOut);
  assert.equal(s.rows, h.rows);
  assert.deepEqual(s.features, h.features);
  for (const [k, d] of s.detectors.entries()) {
    assert.equal(d.name, h.detectors[k].name);
    assert.equal(d.threshold, h.detectors[k].threshold);
    // Detectors whose training scores are their scores of the training rows flag the same
    // rows again; ECOD and COPOD define training scores in-sample (PyOD's way), so new-row
    // scores of the same rows may differ a little.
    if (["iforest", "hbos", "pca"].includes(d.name))
      assert.equal(d.flagged, h.detectors[k].flagged);
  }
  const header = readFileSync(join(scoreOut, "flagged.csv"), "utf8").split("\n")[0];
  assert.ok(header.endsWith("rank,score"), header);
});

test("a spec fitted on one file scores another with unseen values and a missing optional column", () => {
  const train = join(dir, "train2.jsonl");
  ok(run("generate", "cloudtrail", "--rows", "2000", "--seed", "3", "--out", train));
  // New records: no userAgent at all, a user and an event never seen in training.
  const later = join(dir, "later.jsonl");
  const records = readFileSync(train, "utf8")
    .trim()
    .split("\n")
    .slice(0, 50)
    .map((line, i) => {
      const r = JSON.parse(line) as Record<string, unknown>;
      delete r.userAgent;
      if (i === 7) {
        r.eventName = "NeverSeenBefore";
        r.userIdentity = { type: "IAMUser", arn: "arn:aws:iam::999999999999:user/stranger" };
      }
      return JSON.stringify(r);
    });
  writeFileSync(later, records.join("\n") + "\n");
  const spec = join(dir, "spec.json");
  writeFileSync(
    spec,
    JSON.stringify({
      format: "anomalog-features",
      version: 1,
      entity: "userIdentity.arn",
      time: "eventTime",
      features: [
        { column: "eventName", encode: "codes" },
        { column: "userIdentity.arn", encode: "frequency" },
        { column: "userAgent", encode: "codes", optional: true },
        { column: "sourceIPAddress", encode: "ipclass" },
        { column: "eventTime", encode: "hour" },
        { encode: "rolling", window: "1h", distinct: "sourceIPAddress" },
      ],
    }),
  );
  const model = join(dir, "spec-model.json");
  ok(run("hunt", train, "--spec", spec, "--save", model, "--out", join(dir, "h2"), "--quiet"));
  const out = join(dir, "s2");
  ok(run("score", model, later, "--out", out, "--top", "5", "--quiet"));
  const s = summary(out);
  assert.equal(s.rows, 50);
  assert.equal(s.features.length, 6);
  assert.ok(s.detectors.every((d) => d.status === "ran"));
  const flagged = readFileSync(join(out, "flagged.csv"), "utf8").trim().split("\n");
  assert.equal(flagged.length, 6); // header + top 5
  // The stranger calling an unknown API is the most suspicious row.
  assert.match(flagged[1], /NeverSeenBefore/);
});

test("score names what is wrong with a file that is not a hunt model", () => {
  const bogus = join(dir, "bogus.json");
  writeFileSync(bogus, JSON.stringify({ format: "something-else" }));
  const r = run("score", bogus, bogus);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /not an anomalog hunt model/);
});

test("hunt --spec auto and profile --spec propose a spec from the profile", () => {
  const train = join(dir, "train.jsonl");
  const p = run("profile", train, "--spec");
  ok(p);
  const proposed = JSON.parse(p.stdout) as { features: { column: string; encode: string }[] };
  assert.ok(proposed.features.some((f) => f.column === "eventName" && f.encode === "codes"));
  assert.ok(!proposed.features.some((f) => f.column === "label")); // labels are never features
  const out = join(dir, "auto");
  ok(run("hunt", train, "--spec", "auto", "--out", out, "--quiet"));
  assert.ok(summary(out).features.includes("eventName"));
});
