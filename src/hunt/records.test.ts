import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { Random } from "../core/random.js";
import { writeCloudTrail } from "../data/cloudtrail-synth.js";
import { pickJsonLines } from "../data/pick-lines.js";
import { sourceRow } from "../data/table.js";
import { hunt, type HuntOptions } from "./hunt.js";
import { recordNumbers } from "./records.js";

const tmp = (): string => mkdtempSync(join(tmpdir(), "anomalog-records-"));
const FIELDS = ["sourceIPAddress", "eventSource", "eventName", "userAgent", "userIdentity.arn"];

test("recordNumbers is sourceRow for every row, in one merge", () => {
  const rng = new Random(7);
  for (let trial = 0; trial < 50; trial++) {
    const total = 1 + Math.floor(rng.float() * 60);
    const removed = Float64Array.from(
      Array.from({ length: total }, (_, i) => i + 1).filter(() => rng.float() < 0.3),
    );
    const kept = total - removed.length;
    const rows = Int32Array.from(
      Array.from({ length: kept }, (_, i) => i).filter(() => rng.float() < 0.5),
    );
    const expected = Array.from(rows, (i) => sourceRow({ removedRows: removed }, i));
    assert.deepEqual(Array.from(recordNumbers(removed, rows)), expected);
  }
});

test("pickJsonLines picks records by number over blank lines, CRLF and gzip", async () => {
  const dir = tmp();
  const text = '{"a":1}\r\n\n  \n{"a":2}\n{"a":3}\r\n\t\n{"a":4}';
  const plain = join(dir, "in.jsonl");
  const gz = join(dir, "in.jsonl.gz");
  writeFileSync(plain, text);
  writeFileSync(gz, gzipSync(Buffer.from(text)));
  for (const [file, gzip] of [
    [plain, false],
    [gz, true],
  ] as const) {
    const out = join(dir, "out.jsonl");
    await pickJsonLines(file, gzip, [1, 3, 4], out);
    assert.equal(readFileSync(out, "utf8"), '{"a":1}\n{"a":3}\n{"a":4}\n');
    await assert.rejects(pickJsonLines(file, gzip, [2, 5], out), /record 5 not found/);
  }
});

/** flagged.csv as {column: values}; columns every flagged row leaves empty are left out. */
function filledColumns(path: string): Map<string, string[]> {
  // The generated records have no commas or quotes inside values (checked below).
  const lines = readFileSync(path, "utf8").trim().split("\n");
  const header = lines[0].split(",");
  const body = lines.slice(1).map((l) => l.split(","));
  for (const r of body) assert.equal(r.length, header.length, "a value holds a comma");
  const out = new Map<string, string[]>();
  header.forEach((name, j) => {
    const values = body.map((r) => r[j]);
    if (values.some((v) => v !== "")) out.set(name, values);
  });
  return out;
}

async function bothPaths(
  options: Omit<HuntOptions, "out">,
): Promise<{ fast: string; full: string; fastFields: readonly string[] | null }> {
  const dir = tmp();
  const fast = join(dir, "fast");
  const full = join(dir, "full");
  const f = await hunt({ ...options, out: fast });
  const g = await hunt({ ...options, out: full, readAll: true });
  assert.equal(g.readFields, null);
  assert.equal(f.flagged, g.flagged);
  assert.ok(f.flagged > 0);
  return { fast, full, fastFields: f.readFields };
}

const PANEL = { contamination: 0.01, detectors: ["iforest", "hbos", "ecod"] };

test("reading only the features' fields flags the same rows and writes the same records", async () => {
  const dir = tmp();
  const input = join(dir, "ct.jsonl");
  await writeCloudTrail(input, 4000, 5);
  const { fast, full, fastFields } = await bothPaths({ input, fields: FIELDS, ...PANEL });
  assert.deepEqual(fastFields, FIELDS);
  const a = filledColumns(join(fast, "flagged.csv"));
  const b = filledColumns(join(full, "flagged.csv"));
  // Same columns (those some flagged record has), same values, same row order.
  assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort());
  for (const [name, values] of a) assert.deepEqual(values, b.get(name), name);
  assert.ok(a.has("requestID") && a.has("vote_iforest"));
});

test("skipped malformed lines shift nothing: the same records come back as from a clean file", async () => {
  const dir = tmp();
  const clean = join(dir, "clean.jsonl");
  await writeCloudTrail(clean, 3000, 9);
  const lines = readFileSync(clean, "utf8").trim().split("\n");
  // Bad lines and blank lines at the start, inside and at the end.
  const dirty: string[] = ["{broken", ""];
  lines.forEach((l, i) => {
    dirty.push(l);
    if (i % 700 === 3) dirty.push('{"eventName": }', "[1, 2]", "   ");
  });
  dirty.push("not json");
  const input = join(dir, "dirty.jsonl");
  writeFileSync(input, dirty.join("\n") + "\n");

  const reference = join(dir, "reference");
  await hunt({ input: clean, out: reference, fields: FIELDS, ...PANEL, readAll: true });
  const { fast, full } = await bothPaths({
    input,
    fields: FIELDS,
    ...PANEL,
    read: { format: "jsonl", onBadRows: "skip" },
  });
  const expected = readFileSync(join(reference, "flagged.csv"), "utf8");
  assert.equal(readFileSync(join(full, "flagged.csv"), "utf8"), expected);
  const a = filledColumns(join(fast, "flagged.csv"));
  const b = filledColumns(join(reference, "flagged.csv"));
  assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort());
  for (const [name, values] of a) assert.deepEqual(values, b.get(name), name);

  // Without skip, the malformed first line is an error on both paths.
  const strict = { fields: FIELDS, ...PANEL, read: { format: "jsonl" as const } };
  await assert.rejects(hunt({ input, out: join(dir, "x"), ...strict }), /line 1/);
  await assert.rejects(hunt({ input, out: join(dir, "y"), ...strict, readAll: true }), /line 1/);
});

test("inputs other than JSON Lines, and --train-on, read every field", async () => {
  const dir = tmp();
  const input = join(dir, "ct.jsonl");
  await writeCloudTrail(input, 1500, 2);
  const trained = await hunt({
    input,
    out: join(dir, "t"),
    fields: FIELDS,
    ...PANEL,
    trainOn: "label = '0'",
  });
  assert.equal(trained.readFields, null);
  const csv = join(dir, "ct.csv");
  writeFileSync(
    csv,
    ["src_ip,proto", ...Array.from({ length: 300 }, (_, i) => `10.0.0.${i % 7},tcp`)].join("\n"),
  );
  const fromCsv = await hunt({ input: csv, out: join(dir, "c"), fields: ["src_ip"], ...PANEL });
  assert.equal(fromCsv.readFields, null);
});
