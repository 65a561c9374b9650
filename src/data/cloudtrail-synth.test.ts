import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ATTACKS, generateCloudTrail, writeCloudTrail } from "./cloudtrail-synth.js";
import { withDb } from "./db.js";
import { readLog } from "./read.js";

const dir = mkdtempSync(join(tmpdir(), "anomalog-ct-"));

test("synthetic CloudTrail: same seed, same records; another seed, others", () => {
  const a = [...generateCloudTrail(2000, 7)];
  assert.equal(a.length, 2000);
  assert.deepEqual([...generateCloudTrail(2000, 7)], a);
  assert.notDeepEqual([...generateCloudTrail(2000, 8)], a);
});

test("synthetic CloudTrail: time-ordered nested records with every attack labelled", async () => {
  const path = join(dir, "ct.json.gz");
  await writeCloudTrail(path, 40_000, 3);
  await withDb(async (db) => {
    const t = await readLog(db, path);
    assert.equal(t.format, "cloudtrail");
    assert.equal(t.rows, 40_000);
    for (const c of ["userIdentity.arn", "userIdentity.sessionContext.sessionIssuer.userName"])
      assert.ok(t.columns.includes(c), c);
    const r = await db.connection.runAndReadAll(
      `SELECT attack, count(*)::DOUBLE, min(label), max(label) FROM ${t.table} GROUP BY 1 ORDER BY 1`,
    );
    const byAttack = new Map(
      (r.getRowsJS() as [string | null, number, string, string][]).map((x) => [x[0], x]),
    );
    for (const a of ATTACKS) assert.ok((byAttack.get(a)?.[1] ?? 0) > 0, `${a} present`);
    assert.deepEqual(byAttack.get(null)?.slice(2), ["0", "0"]);
    const attacks = 40_000 - byAttack.get(null)![1];
    assert.ok(attacks > 40 && attacks < 2000, `${attacks} attack records`);
    const order = await db.connection.runAndReadAll(
      `SELECT count(*)::DOUBLE FROM (SELECT "eventTime" < lag("eventTime") OVER (ORDER BY rowid) AS back FROM ${t.table}) WHERE back`,
    );
    assert.equal(order.getRowsJS()[0][0], 0);
  });
});

test("synthetic CloudTrail as JSON Lines equals the Records form record for record", async () => {
  const jsonl = join(dir, "ct.jsonl");
  const records = join(dir, "ct.json");
  await writeCloudTrail(jsonl, 500, 11);
  await writeCloudTrail(records, 500, 11);
  const lines = readFileSync(jsonl, "utf8").trimEnd().split("\n");
  const parsed = JSON.parse(readFileSync(records, "utf8")) as { Records: unknown[] };
  assert.deepEqual(
    parsed.Records,
    lines.map((l) => JSON.parse(l) as unknown),
  );
});
