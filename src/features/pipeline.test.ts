import { test } from "node:test";
import assert from "node:assert/strict";
import { DataError, ModelFormatError, ParamError } from "../core/errors.js";
import { withDb } from "../data/db.js";
import { decodeJson, encodeJson } from "../detectors/serialize.js";
import { checkFitted, fitFeatures, transformFeatures } from "./pipeline.js";
import { fieldsSpec, parseSpec } from "./spec.js";
import { column, jsonl, table } from "./fixtures.js";

const train = jsonl([
  { user: "alice", ip: "10.0.0.1", event: "GetObject", t: "2024-01-01T09:00:00Z", bytes: "100" },
  { user: "bob", ip: "10.0.0.2", event: "PutObject", t: "2024-01-01T09:05:00Z", bytes: "2000" },
  { user: "alice", ip: "10.0.0.1", event: "GetObject", t: "2024-01-01T09:10:00Z", bytes: "150" },
  { user: "carol", ip: "8.8.8.8", event: "ListBuckets", t: "2024-01-02T10:00:00Z", bytes: null },
  { user: "alice", ip: "10.0.0.3", event: "GetObject", t: "2024-01-02T11:00:00Z", bytes: "120" },
]);
// New users, events and addresses; no `bytes` column at all.
const later = jsonl([
  { user: "mallory", ip: "203.0.113.9", event: "DeleteTrail", t: "2024-02-01T03:00:00Z" },
  { user: "alice", ip: "10.0.0.1", event: "GetObject", t: "2024-02-01T09:00:00Z" },
]);

const spec = parseSpec({
  entity: "user",
  time: "t",
  features: [
    { column: "user", encode: "codes" },
    { column: "event", encode: "frequency" },
    { column: "event", encode: "onehot", top: 2 },
    { column: "ip", encode: "ipclass" },
    { column: "ip", derive: "prefix24", encode: "codes" },
    { column: "t", encode: "hour" },
    { column: "t", encode: "delta", entity: "user" },
    { encode: "rolling", window: "1h", distinct: "ip" },
    { column: "bytes", encode: "numeric", log1p: true, scale: "standard", optional: true },
  ],
});

test("transforming the training file twice gives byte-identical matrices", async () => {
  await withDb(async (db) => {
    const t = await table(db, train);
    const fitted = await fitFeatures(db, t, spec);
    const a = await transformFeatures(db, t, fitted);
    const b = await transformFeatures(db, t, fitted);
    assert.equal(a.X.rows, 5);
    assert.equal(a.X.cols, fitted.columns.length);
    assert.deepEqual(Buffer.from(a.X.data.buffer), Buffer.from(b.X.data.buffer));
  });
});

test("fit on one file, score another: unseen categories and a missing optional column fall back", async () => {
  await withDb(async (db) => {
    const fitted = await fitFeatures(db, await table(db, train), spec);
    const e = await transformFeatures(db, await table(db, later), fitted);
    const col = (name: string) => column(e.X, e.columns.indexOf(name));
    assert.deepEqual(col("user"), [-1, 0]); // mallory unseen; alice is category 0
    assert.deepEqual(col("event:frequency"), [0, 0.6]);
    assert.deepEqual(col("event:onehot=(other)"), [1, 0]);
    assert.deepEqual(col("ip:ipclass"), [5, 1]);
    assert.deepEqual(col("ip:prefix24:codes"), [-1, 0]);
    assert.deepEqual(col("t:hour"), [3, 9]);
    assert.deepEqual(col("t:delta"), [-1, -1]);
    assert.deepEqual(col("bytes:numeric"), [0, 0]); // absent optional column: missing → 0
  });
});

test("a missing required column is an error naming it", async () => {
  await withDb(async (db) => {
    const fitted = await fitFeatures(db, await table(db, train), spec);
    const noEvent = jsonl([{ user: "a", ip: "1.2.3.4", t: "2024-01-01T00:00:00Z" }]);
    await assert.rejects(
      transformFeatures(db, await table(db, noEvent), fitted),
      (e: unknown) => e instanceof DataError && /no column "event"/.test(e.message),
    );
  });
});

test("fitted state survives a JSON round trip and transforms identically", async () => {
  await withDb(async (db) => {
    const t = await table(db, train);
    const fitted = await fitFeatures(db, t, spec);
    const loaded = checkFitted(decodeJson(encodeJson(fitted)), "test");
    const a = await transformFeatures(db, t, fitted);
    const b = await transformFeatures(db, t, loaded);
    assert.deepEqual(Buffer.from(a.X.data.buffer), Buffer.from(b.X.data.buffer));
    const broken = decodeJson(encodeJson(fitted)) as { features: { state: unknown }[] };
    broken.features[0].state = { categories: "oops" };
    assert.throws(() => checkFitted(broken, "test"), ModelFormatError);
  });
});

test("--fields: category codes of each field, notebook style", async () => {
  await withDb(async (db) => {
    const t = await table(db, train);
    const fitted = await fitFeatures(db, t, fieldsSpec(["user", "event"]));
    const e = await transformFeatures(db, t, fitted);
    assert.deepEqual(e.columns, ["user", "event"]);
    assert.deepEqual(column(e.X, 0), [0, 1, 0, 2, 0]);
    assert.deepEqual(column(e.X, 1), [0, 2, 0, 1, 0]);
  });
});

test("spec validation: unknown encodings, unknown keys, duplicate names", async () => {
  assert.throws(() => parseSpec({ features: [{ column: "x", encode: "magic" }] }), ParamError);
  assert.throws(
    () => parseSpec({ features: [{ column: "x", encode: "codes", sorted: true }] }),
    /sorted/,
  );
  assert.throws(() => parseSpec({ features: [{ column: "x", encode: "delta" }] }), /entity/);
  await withDb(async (db) => {
    const twice = parseSpec({
      features: [
        { column: "user", encode: "codes" },
        { column: "user", encode: "codes" },
      ],
    });
    await assert.rejects(fitFeatures(db, await table(db, train), twice), /named "user"/);
  });
});

test("reading for a spec loads just its fields, the same text as a full read", async () => {
  const { readLog } = await import("../data/read.js");
  const nested = jsonl([
    { a: { b: "x", c: 1 }, d: 5, e: "skip me" },
    { a: { b: null }, d: 7.5 },
    { d: 9 },
  ]);
  await withDb(async (db) => {
    const full = await readLog(db, nested);
    const part = await readLog(db, nested, { fields: ["a.b", "d"] });
    assert.deepEqual(part.columns, ["a.b", "d"]);
    const rows = async (t: string) =>
      (await db.connection.runAndReadAll(`SELECT "a.b", d FROM ${t} ORDER BY rowid`)).getRowsJS();
    assert.deepEqual(await rows(part.table), await rows(full.table));
  });
  // A key with a literal dot is not a path: the reader falls back to reading everything.
  const flat = jsonl([{ "a.b": "x", d: "1" }]);
  await withDb(async (db) => {
    const t = await readLog(db, flat, { fields: ["a.b"] });
    assert.ok(t.columns.includes("a.b"));
    const r = await db.connection.runAndReadAll(`SELECT "a.b" FROM ${t.table}`);
    assert.deepEqual(r.getRowsJS(), [["x"]]);
  });
});

test("a YAML spec file reads to the same spec as its JSON twin; a broken one names the file", async () => {
  const { mkdtemp, writeFile } = await import("node:fs/promises");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const { readSpecFile } = await import("./spec.js");
  const dir = await mkdtemp(join(tmpdir(), "anomalog-spec-"));
  const json = {
    entity: "user",
    time: "t",
    features: [
      { column: "user", encode: "codes" },
      { column: "event", encode: "onehot", top: 2 },
      { column: "bytes", encode: "numeric", log1p: true, scale: "robust" },
    ],
  };
  await writeFile(join(dir, "spec.json"), JSON.stringify(json));
  await writeFile(
    join(dir, "spec.yaml"),
    [
      "entity: user",
      "time: t",
      "features:",
      "  - { column: user, encode: codes }",
      "  - column: event",
      "    encode: onehot",
      "    top: 2",
      "  - { column: bytes, encode: numeric, log1p: true, scale: robust }",
      "",
    ].join("\n"),
  );
  assert.deepEqual(
    await readSpecFile(join(dir, "spec.yaml")),
    await readSpecFile(join(dir, "spec.json")),
  );
  await writeFile(join(dir, "bad.yml"), "features: [ { column: user\n");
  await assert.rejects(
    readSpecFile(join(dir, "bad.yml")),
    (e: unknown) =>
      e instanceof ParamError && /bad\.yml: not a readable YAML feature spec/.test(e.message),
  );
});
