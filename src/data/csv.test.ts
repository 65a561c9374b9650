import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { DataError } from "../core/errors.js";
import { withDb } from "./db.js";
import { loadDelimited, numericColumns, readNumericCsv } from "./csv.js";

const dir = mkdtempSync(join(tmpdir(), "anomalog-csv-"));
function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}
const read = (path: string, options: { label?: string; features?: string[] } = {}) =>
  withDb((db) => readNumericCsv(db, path, options));

async function rejects(
  path: string,
  pattern: RegExp,
  options: { label?: string; features?: string[] } = {},
): Promise<void> {
  await assert.rejects(read(path, options), (e: unknown) => {
    assert.ok(e instanceof DataError, `expected DataError, got ${String(e)}`);
    assert.match(e.message, pattern);
    return true;
  });
}

test("reads a CSV into a row-major matrix with labels", async () => {
  const d = await read(file("ok.csv", 'a,b,label\n1,2.5,0\n3,"4",1\n'), { label: "label" });
  assert.deepEqual(d.features, ["a", "b"]);
  assert.deepEqual(Array.from(d.X.data), [1, 2.5, 3, 4]);
  assert.deepEqual(Array.from(d.labels!), [0, 1]);
});

test("reads gzip and TSV", async () => {
  const d = await read(file("ok.tsv.gz", gzipSync("x\ty\n1\t2\n3\t4\n")));
  assert.deepEqual(Array.from(d.X.data), [1, 2, 3, 4]);
});

test("a line with too many fields names the file and line", async () => {
  await rejects(
    file("extra.csv", "a,b\n1,2\n3,4,5\n"),
    /extra\.csv: malformed CSV at line 3: expected 2 fields, found 3/,
  );
});

test("a non-numeric feature names file, row and column", async () => {
  await rejects(
    file("text.csv", "a,b\n1,2\n3,x\n"),
    /text\.csv, row 2, column "b": "x" is not a number/,
  );
});

test("NaN and Infinity are refused, naming the cell", async () => {
  await rejects(file("nan.csv", "a,b\n1,NaN\n"), /row 1, column "b": non-finite value "NaN"/);
  await rejects(
    file("inf.csv", "a,b\n1,2\n-Infinity,3\n"),
    /row 2, column "a": non-finite value "-Infinity"/,
  );
});

test("an empty cell is a missing value", async () => {
  await rejects(file("gap.csv", "a,b\n1,\n"), /row 1, column "b": missing value/);
});

test("an empty file, a header without rows, a missing file", async () => {
  await rejects(file("empty.csv", ""), /empty\.csv: file is empty/);
  await rejects(file("header.csv", "a,b\n"), /header but no data rows/);
  await rejects(join(dir, "nope.csv"), /nope\.csv: file not found/);
});

test("a missing column lists the columns there are", async () => {
  await rejects(file("cols.csv", "a,b\n1,2\n"), /no column "label" \(columns: a, b\)/, {
    label: "label",
  });
});

test("a label that is not 0/1 names its row", async () => {
  await rejects(
    file("label.csv", "a,label\n1,0\n2,2\n"),
    /row 2, column "label": label 2 is not 0 or 1/,
    { label: "label" },
  );
});

test("duplicate and empty header names are refused", async () => {
  await rejects(file("dup.csv", "a,a\n1,2\n"), /names column "a" twice/);
  await rejects(file("blank.csv", "a,,c\n1,2,3\n"), /header field 2 is empty/);
});

test("truncated gzip is a clear error", async () => {
  const gz = gzipSync("a,b\n" + "1,2\n".repeat(10000));
  await assert.rejects(read(file("cut.csv.gz", gz.subarray(0, gz.length / 2))), DataError);
});

test("a column of empty cells and text is not numeric; a numeric column with gaps is", async () => {
  const path = file("mixed.csv", "a,note,b\n1,,2\n2,scan,\n3,,4\n");
  const numeric = await withDb(async (db) => numericColumns(db, await loadDelimited(db, path)));
  assert.deepEqual(numeric, ["a", "b"]);
});

test("a .gz path that cannot be read is a DataError, not a crash", async () => {
  const path = join(dir, "folder.csv.gz");
  mkdirSync(path);
  await assert.rejects(read(path), DataError);
});

test("column names differing only in case are refused (SQL names are case-insensitive)", async () => {
  await rejects(file("case.csv", "a,A\n1,2\n"), /names column "A" twice/);
});
