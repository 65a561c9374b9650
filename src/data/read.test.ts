import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { DataError } from "../core/errors.js";
import { hasShared, sharedDir } from "../eval/reference.js";
import { withDb, type Db } from "./db.js";
import { readLog, type ReadOptions } from "./read.js";
import type { LoadedTable } from "./table.js";

const dir = mkdtempSync(join(tmpdir(), "anomalog-read-"));
function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, content);
  return path;
}

const read = (path: string, options: ReadOptions = {}): Promise<LoadedTable> =>
  withDb((db) => readLog(db, path, options));

async function rows(db: Db, t: LoadedTable, columns: readonly string[]): Promise<unknown[][]> {
  const r = await db.connection.runAndReadAll(
    `SELECT ${columns.map((c) => `"${c}"`).join(", ")} FROM ${t.table} ORDER BY rowid`,
  );
  return r.getRowsJS();
}

async function rejects(path: string, pattern: RegExp, options: ReadOptions = {}): Promise<void> {
  await assert.rejects(read(path, options), (e: unknown) => {
    assert.ok(e instanceof DataError, `expected DataError, got ${String(e)}`);
    assert.match(e.message, pattern);
    return true;
  });
}

// Every file of the shared corpus except ODDS, with the rows the data README states (BETH
// previews: 100 rows each). The Stratus ec2-user-data file is malformed as published.
const CORPUS: readonly [string, string, number, ReadOptions?][] = [
  ["beth/labelled_training_data.sample100.csv", "csv", 100],
  ["beth/labelled_validation_data.sample100.csv", "csv", 100],
  ...["105", "186", "26", "4", "95"].flatMap((h): [string, string, number][] => [
    [`beth/host_samples/labelled_2021may-ip-10-100-1-${h}.csv`, "csv", 100],
    [`beth/host_samples/labelled_2021may-ip-10-100-1-${h}-dns.csv`, "csv", 100],
  ]),
  ["beth/host_samples/labelled_2021may-ubuntu.csv", "csv", 100],
  ["beth/host_samples/labelled_2021may-ubuntu-dns.csv", "csv", 100],
  ["cloudtrail/dune_cloudtrail.csv.gz", "csv", 25_675],
  ["cloudtrail/dune_pyod_mark_two_reference.json", "json", 1],
  ["cloudtrail/otrf/AWS_S3_HoneyBucketLogs.csv.gz", "csv", 301],
  ["cloudtrail/otrf/ec2_proxy_s3_exfiltration.records.json.gz", "cloudtrail", 103],
  ["cloudtrail/otrf/ec2_proxy_s3_exfiltration_2020-09-14011940.ndjson.gz", "jsonl", 103],
  [
    "cloudtrail/stratus_red_team/aws.credential-access.secretsmanager-retrieve-secrets.json.gz",
    "cloudtrail",
    10,
  ],
  ["cloudtrail/stratus_red_team/aws.defense-evasion.cloudtrail-delete.json.gz", "cloudtrail", 1],
  ["cloudtrail/stratus_red_team/aws.exfiltration.ec2-share-ebs-snapshot.json.gz", "cloudtrail", 1],
  ["enrich/countries_codes_and_coordinates.csv", "csv", 246],
  ...["ip2asn-v4-excerpt.tsv.gz", "ip2asn-v4-u32-excerpt.tsv.gz"].map(
    (f): [string, string, number, ReadOptions] => [
      `enrich/${f}`,
      "tsv",
      1_427,
      { names: ["range_start", "range_end", "asn", "country", "description"] },
    ],
  ),
  ["flows/cicids2017_improved_sample.csv.gz", "csv", 43_419],
  ["other/zeek_labeled/001-zeek-scenario-malicious.labeled-conn.log.gz", "zeek", 992],
  ["other/zeek_labeled/008-zeek-mixed.conn.log.labeled.gz", "zeek", 5_663],
  ["other/zeek_labeled/010-zeek-mixed.conn.log.labeled.gz", "zeek", 5_347],
  ["other/zeek_labeled/011-zeek-mixed.conn.log.labeled.gz", "zeek", 9_048],
  ["other/zeek_labeled/012-zeek-mixed.conn.log.labeled.gz", "zeek", 4_740],
];
const MALFORMED = "cloudtrail/stratus_red_team/aws.execution.ec2-user-data.json.gz";

test("every shared log file reads with its documented row count and format", async (t) => {
  if (!hasShared()) return t.skip("shared data not available");
  for (const [name, format, expected, options] of CORPUS) {
    const table = await read(join(sharedDir(), "data", name), options);
    assert.equal(table.format, format, name);
    assert.equal(table.rows, expected, name);
    assert.equal(table.skipped, 0, name);
  }
});

test("the malformed Stratus file is an error naming file and line, in both modes", async (t) => {
  if (!hasShared()) return t.skip("shared data not available");
  const path = join(sharedDir(), "data", MALFORMED);
  await rejects(path, /ec2-user-data\.json\.gz: line 112, column \d+: malformed JSON/);
  // One JSON document has no record boundary to resume at; skipping cannot recover its records.
  await rejects(path, /line 112/, { onBadRows: "skip" });
});

test("a directory of CloudTrail files reads every file, skipping a malformed one on request", async (t) => {
  if (!hasShared()) return t.skip("shared data not available");
  const stratus = join(sharedDir(), "data", "cloudtrail", "stratus_red_team");
  await rejects(stratus, /ec2-user-data\.json\.gz: line 112/);
  const table = await read(stratus, { onBadRows: "skip" });
  assert.equal(table.rows, 10 + 1 + 1);
  assert.equal(table.skipped, 1);
  assert.match(table.badRecords[0].file, /ec2-user-data/);
  assert.equal(table.badRecords[0].line, 112);
  assert.equal(table.columns[0], "_source_file");
});

test("CloudTrail JSON flattens to the DUNE CSV's dotted columns for the fields they share", async (t) => {
  if (!hasShared()) return t.skip("shared data not available");
  const data = join(sharedDir(), "data", "cloudtrail");
  const dune = await read(join(data, "dune_cloudtrail.csv.gz"));
  const shared = ["sourceIPAddress", "eventSource", "eventName", "userAgent", "userIdentity.arn"];
  for (const c of shared) assert.ok(dune.columns.includes(c), c);
  // Datadog, which forwarded the Stratus records, moved sourceIPAddress and userAgent to
  // network.client.ip and http.useragent; the fields it kept have the DUNE names.
  const kept = ["eventSource", "eventName", "userIdentity.arn"];
  for (const [name, fields] of [
    ["otrf/ec2_proxy_s3_exfiltration_2020-09-14011940.ndjson.gz", shared],
    ["otrf/ec2_proxy_s3_exfiltration.records.json.gz", shared],
    ["stratus_red_team/aws.credential-access.secretsmanager-retrieve-secrets.json.gz", kept],
    ["stratus_red_team/aws.exfiltration.ec2-share-ebs-snapshot.json.gz", kept],
  ] as const) {
    const t2 = await read(join(data, name));
    for (const c of fields) assert.ok(t2.columns.includes(c), `${name}: ${c}`);
    assert.ok(t2.columns.includes("userIdentity.sessionContext.sessionIssuer.arn"), name);
  }
  // The same records, as JSON Lines and as a Records file, give the same table.
  await withDb(async (db) => {
    const a = await readLog(
      db,
      join(data, "otrf/ec2_proxy_s3_exfiltration_2020-09-14011940.ndjson.gz"),
    );
    const b = await readLog(db, join(data, "otrf/ec2_proxy_s3_exfiltration.records.json.gz"));
    assert.deepEqual(a.columns, b.columns);
    assert.deepEqual(await rows(db, a, a.columns), await rows(db, b, b.columns));
    const arn = await rows(db, a, ["userIdentity.arn", "eventName"]);
    assert.deepEqual(arn[0], ["arn:aws:iam::123456789123:user/pedro", "DescribeInstanceTypes"]);
  });
});

test("nested values: objects flatten, arrays and mixed types stay JSON text", async () => {
  const path = file(
    "nested.jsonl",
    [
      '{"a":{"b":1,"c":{"d":"x"}},"list":[1,2],"m":{"k":1},"e":{}}',
      '{"a":{"b":2.5},"m":"text","dotted.key":true}',
    ].join("\n") + "\n",
  );
  await withDb(async (db) => {
    const t = await readLog(db, path);
    assert.equal(t.format, "jsonl");
    assert.deepEqual(t.columns, ["a.b", "a.c.d", "list", "m", "e", "dotted.key"]);
    assert.deepEqual(await rows(db, t, t.columns), [
      ["1", "x", "[1,2]", '{"k":1}', "{}", null],
      ["2.5", null, null, '"text"', null, "true"],
    ]);
  });
});

test("JSON Lines: a bad line is an error naming its line, or a counted, located skip", async () => {
  const path = file("bad.jsonl", '{"a":1}\n{"a":2}\n{"a":\n\n{"a":4}\n[5]\n');
  await rejects(path, /bad\.jsonl: line 3: malformed JSON record/);
  await withDb(async (db) => {
    const t = await readLog(db, path, { onBadRows: "skip" });
    assert.equal(t.rows, 3);
    assert.equal(t.skipped, 2);
    assert.deepEqual(
      t.badRecords.map((b) => b.line),
      [3, 6],
    );
    assert.match(t.badRecords[1].problem, /not a JSON object/);
    assert.deepEqual(await rows(db, t, ["a"]), [["1"], ["2"], ["4"]]);
  });
});

test("a JSON array of records reads as rows; gzip is detected from content", async () => {
  const t = await read(file("arr.data", gzipSync('[{"x":1,"y":"a"},{"x":2,"y":"b"}]')));
  assert.equal(t.format, "json");
  assert.equal(t.rows, 2);
  assert.deepEqual(t.columns, ["x", "y"]);
});

test("a CloudTrail file without a Records array is refused", async () => {
  await rejects(file("not-ct/x.json", '{"Records": 5}'), /no top-level "Records" array/, {
    format: "cloudtrail",
  });
});

test("headerless CSV takes names; a numeric header hints at it", async () => {
  const path = file("nohead.csv", "1,2,tcp\n3,2,udp\n");
  await rejects(file("nohead2.csv", "1,1\n3,2\n"), /looks like data.*--names/);
  const guessed = await read(file("nohead3.csv", "1,2\n3,4\n"));
  assert.ok(guessed.notes.some((n) => /--names/.test(n)));
  await withDb(async (db) => {
    const t = await readLog(db, path, { names: ["a", "b", "proto"] });
    assert.equal(t.rows, 2);
    assert.deepEqual(await rows(db, t, ["proto"]), [["tcp"], ["udp"]]);
  });
  await rejects(path, /2 column names given, but line 1 has 3 fields/, { names: ["a", "b"] });
});

test("CICFlowMeter quirks: trimmed names, repeated headers removed and reported, Infinity kept", async () => {
  const path = file(
    "cic.csv",
    " Flow ID, Dst Port,Flow Bytes/s\nf1,80,Infinity\n Flow ID, Dst Port,Flow Bytes/s\nf2,443,NaN\nf3,22,1.5\n",
  );
  await withDb(async (db) => {
    const t = await readLog(db, path);
    assert.deepEqual(t.columns, ["Flow ID", "Dst Port", "Flow Bytes/s"]);
    assert.equal(t.rows, 3);
    assert.ok(t.notes.some((n) => /1 repeated header line\(s\) removed \(data row 2\)/.test(n)));
    assert.deepEqual(await rows(db, t, ["Flow Bytes/s"]), [["Infinity"], ["NaN"], ["1.5"]]);
    assert.deepEqual(Array.from(t.removedRows), [2]);
  });
});

test("CSV: a short line is an error naming the line, or a counted skip that keeps row numbers true", async () => {
  const path = file("short.csv", "a,b\n1,2\n3\n4,5\n6,7,8\n9,x\n");
  await rejects(path, /short\.csv: malformed CSV at line 3: expected 2 fields, found 1/);
  const { toMatrix } = await import("./csv.js");
  await withDb(async (db) => {
    const t = await readLog(db, path, { onBadRows: "skip" });
    assert.equal(t.rows, 3);
    assert.equal(t.skipped, 2);
    assert.deepEqual(
      t.badRecords.map((b) => b.line),
      [3, 5],
    );
    // "x" is in data row 5 (file line 6): the error says so although two rows were skipped.
    await assert.rejects(toMatrix(db, t, ["a", "b"]), /row 5, column "b": "x" is not a number/);
  });
});

test("Zeek: names from #fields, the unset marker reads as missing", async () => {
  const path = file(
    "conn.log",
    [
      "#separator \\x09",
      "#set_separator\t,",
      "#empty_field\t(empty)",
      "#unset_field\t-",
      "#fields\tts\tuid\tduration\tservice",
      "#types\ttime\tstring\tinterval\tstring",
      "1.5\tCa\t0.1\tdns",
      "2.5\tCb\t-\t(empty)",
      "#close\t2020-01-01",
    ].join("\n") + "\n",
  );
  await withDb(async (db) => {
    const t = await readLog(db, path);
    assert.equal(t.format, "zeek");
    assert.deepEqual(t.columns, ["ts", "uid", "duration", "service"]);
    assert.deepEqual(await rows(db, t, t.columns), [
      ["1.5", "Ca", "0.1", "dns"],
      ["2.5", "Cb", null, "(empty)"],
    ]);
  });
});

test("Parquet: nested structs flatten, lists become JSON text", async () => {
  const path = join(dir, "x.parquet");
  await withDb(async (db) => {
    await db.connection.run(
      `COPY (SELECT 1 AS id, {'arn': 'a:b', 'session': {'mfa': true}} AS "userIdentity", [1, 2] AS tags) TO '${path}' (FORMAT parquet)`,
    );
    const t = await readLog(db, path);
    assert.equal(t.format, "parquet");
    assert.deepEqual(t.columns, ["id", "userIdentity.arn", "userIdentity.session.mfa", "tags"]);
    assert.deepEqual(await rows(db, t, t.columns), [["1", "a:b", "true", "[1,2]"]]);
  });
});

test("empty, missing and truncated files are clear errors", async () => {
  await rejects(file("empty.csv", ""), /empty/);
  await rejects(join(dir, "nope.csv"), /file not found/);
  const whole = gzipSync(Buffer.from("a,b\n" + "1,2\n".repeat(50_000)));
  await rejects(
    file("cut.csv.gz", whole.subarray(0, whole.length >> 1)),
    /gzip stream is truncated or corrupt/,
  );
  const jsonl = gzipSync(Buffer.from('{"a":1}\n'.repeat(50_000)));
  await rejects(file("cut.jsonl.gz", jsonl.subarray(0, jsonl.length - 20)), /truncated or corrupt/);
});
