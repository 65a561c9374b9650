// Hostile inputs: each is a clear error or a bounded, documented result, never a hang or a crash.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { DataError } from "../core/errors.js";
import { withDb } from "./db.js";
import { MAX_FLATTEN_DEPTH } from "./flatten.js";
import { profileTable } from "./profile.js";
import { readLog } from "./read.js";

const dir = mkdtempSync(join(tmpdir(), "anomalog-fuzz-"));
function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

async function rejectsData(path: string, pattern: RegExp): Promise<void> {
  await assert.rejects(
    withDb((db) => readLog(db, path)),
    (e: unknown) => {
      assert.ok(e instanceof DataError, `expected DataError, got ${String(e)}`);
      assert.match(e.message, pattern);
      return true;
    },
  );
}

test("invalid UTF-8 is an error naming the line (CSV) or the record (JSON Lines)", async () => {
  const bad = Buffer.from([0xff, 0xfe, 0x41]);
  await rejectsData(
    file("bad-utf8.csv", Buffer.concat([Buffer.from("a,b\n1,2\n3,"), bad, Buffer.from("\n")])),
    /bad-utf8\.csv: malformed CSV at line 3: .*unicode/i,
  );
  await rejectsData(
    file(
      "bad-utf8.jsonl",
      Buffer.concat([Buffer.from('{"a":"x"}\n{"a":"'), bad, Buffer.from('"}\n')]),
    ),
    /bad-utf8\.jsonl/,
  );
});

test("a 10 MB field reads whole, in CSV and JSON Lines", async () => {
  const big = "y".repeat(10 * 1024 * 1024);
  for (const [name, content] of [
    ["big.csv", `a,b\n${big},1\n2,3\n`],
    ["big.jsonl", `${JSON.stringify({ a: big, b: 1 })}\n{"a":"2","b":3}\n`],
  ] as const) {
    await withDb(async (db) => {
      const t = await readLog(db, file(name, content));
      assert.equal(t.rows, 2, name);
      const r = await db.connection.runAndReadAll(`SELECT length("a") FROM ${t.table} LIMIT 1`);
      assert.equal(Number(r.getRowsJS()[0][0]), big.length, name);
    });
  }
});

test("10,000 columns read and profile", async () => {
  const names = Array.from({ length: 10_000 }, (_, j) => `c${j}`);
  const row = (i: number) => names.map((_, j) => String((i * 7 + j) % 13)).join(",");
  const path = file(
    "wide.csv.gz",
    gzipSync(`${names.join(",")}\n${row(1)}\n${row(2)}\n${row(3)}\n`),
  );
  const p = await withDb(async (db) => profileTable(db, await readLog(db, path)));
  assert.equal(p.rows, 3);
  assert.equal(p.columns.length, 10_000);
  assert.equal(p.columns[9_999].type, "integer");
});

test("JSON nested 100 deep flattens to a bounded depth, the rest as JSON text", async () => {
  let nested: unknown = "leaf";
  for (let d = 0; d < 100; d++) nested = { k: nested };
  const path = file("deep.jsonl", `${JSON.stringify({ id: 1, deep: nested })}\n`);
  await withDb(async (db) => {
    const t = await readLog(db, path);
    const deepest = t.columns.find((c) => c.startsWith("deep"))!;
    assert.equal(deepest.split(".").length, MAX_FLATTEN_DEPTH);
    const r = await db.connection.runAndReadAll(`SELECT "${deepest}" FROM ${t.table}`);
    const text = r.getRowsJS()[0][0] as string;
    // The part below the cut is kept, as JSON: 100 − 3 levels of {"k": …} around "leaf".
    assert.equal((text.match(/"k"/g) ?? []).length, 100 - (MAX_FLATTEN_DEPTH - 1));
    assert.match(text, /"leaf"/);
  });
});

test("a gzip file cut short is refused, whatever the format", async () => {
  const whole = gzipSync(Buffer.from('{"a":1}\n'.repeat(100_000)));
  await rejectsData(
    file("cut.jsonl.gz", whole.subarray(0, whole.length - 12)),
    /truncated or corrupt/,
  );
  await rejectsData(file("junk.csv.gz", Buffer.from([0x1f, 0x8b, 1, 2, 3])), /corrupt|cannot read/);
});
