import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { withDb } from "./db.js";
import { profileTable } from "./profile.js";
import { readLog } from "./read.js";

const dir = mkdtempSync(join(tmpdir(), "anomalog-profile-"));

test("profile infers types, counts missing and distinct values, ranks top values", async () => {
  const path = join(dir, "p.csv");
  writeFileSync(
    path,
    [
      "id,when,src,dst_port,bytes,flag,proto,rate,label,v6,clock",
      "1,2024-01-01T00:00:00Z,10.0.0.1,443,10,true,tcp,1.5,0,fd2d:ab8c:225::1,12:30:45",
      "2,2024-01-01T01:00:00Z,10.0.0.2,80,20000,false,tcp,Infinity,0,ff02::1:3,08:00:01",
      "3,2024-01-01T02:00:00Z,10.0.0.1,443,,true,udp,2.5,1,2001:db8:0:0:0:0:0:1,23:59:59",
    ].join("\n") + "\n",
  );
  const p = await withDb(async (db) => profileTable(db, await readLog(db, path)));
  assert.equal(p.rows, 3);
  const col = (n: string) => p.columns.find((c) => c.name === n)!;
  assert.equal(col("id").type, "integer");
  assert.equal(col("when").type, "timestamp");
  assert.equal(col("when").suggest, "timestamp");
  assert.equal(col("src").type, "ip");
  assert.deepEqual(col("src").top, [
    { value: "10.0.0.1", count: 2 },
    { value: "10.0.0.2", count: 1 },
  ]);
  assert.equal(col("dst_port").suggest, "port");
  assert.equal(col("bytes").nulls, 1);
  assert.equal(col("bytes").distinct, 2);
  assert.deepEqual([col("bytes").min, col("bytes").max], [10, 20000]);
  assert.equal(col("bytes").suggest, "log1p");
  assert.equal(col("flag").type, "boolean");
  assert.equal(col("proto").suggest, "category");
  assert.equal(col("rate").type, "number");
  assert.equal(col("rate").nonFinite, 1);
  assert.equal(col("label").suggest, "label");
  assert.equal(col("v6").type, "ip");
  // Times of day have colons too; they are not addresses.
  assert.notEqual(col("clock").type, "ip");
});

test("profile of a huge field shows a bounded value", async () => {
  const path = join(dir, "big.csv");
  writeFileSync(path, `a,b\n${"x".repeat(10 * 1024 * 1024)},1\n`);
  const p = await withDb(async (db) => profileTable(db, await readLog(db, path)));
  assert.equal(p.columns[0].top[0].value.length, 201);
  assert.equal(p.columns[0].top[0].count, 1);
});
