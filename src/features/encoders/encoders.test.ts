import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { DataError } from "../../core/errors.js";
import { withDb } from "../../data/db.js";
import { fitTransform } from "../pipeline.js";
import { parseSpec } from "../spec.js";
import { column, csvFile, jsonl, table } from "../fixtures.js";

/** Fits `features` on the records and returns each output column. */
async function encode(
  records: readonly Record<string, unknown>[],
  features: Record<string, unknown>[],
  extra: Record<string, unknown> = {},
): Promise<{ columns: readonly string[]; values: number[][] }> {
  return withDb(async (db) => {
    const t = await table(db, jsonl(records));
    const e = await fitTransform(db, t, parseSpec({ ...extra, features }));
    return { columns: e.columns, values: e.columns.map((_, j) => column(e.X, j)) };
  });
}

test("codes: pandas cat.codes, categories sorted by code point, missing -1", async () => {
  // pd.Series(["b","a",None,"B","é","10","9","a","\ufffd","😀"]).astype("category"):
  // categories ['10', '9', 'B', 'a', 'b', 'é', '\ufffd', '😀'] (Python str order: code points;
  // JavaScript's default sort would put the astral 😀 before U+FFFD), so codes
  // [4, 3, -1, 2, 5, 0, 1, 3, 6, 7].
  const xs = ["b", "a", null, "B", "é", "10", "9", "a", "\ufffd", "😀"];
  const { values } = await encode(
    xs.map((x) => ({ x })),
    [{ column: "x", encode: "codes" }],
  );
  assert.deepEqual(values[0], [4, 3, -1, 2, 5, 0, 1, 3, 6, 7]);
});

test("codes: an empty string is missing (as pandas read_csv reads an empty field)", async () => {
  const { values } = await encode(
    ["b", "", "a"].map((x) => ({ x })),
    [{ column: "x", encode: "codes" }],
  );
  assert.deepEqual(values[0], [1, -1, 0]);
});

test("codes with order numeric sort as pandas sorts a numeric column", async () => {
  const { values } = await encode(
    ["10", "9", "2.5", "9"].map((x) => ({ x })),
    [{ column: "x", encode: "codes", order: "numeric" }],
  );
  assert.deepEqual(values[0], [2, 1, 0, 1]);
});

test("frequency: training shares; missing its own share", async () => {
  const { values } = await encode(
    ["a", "a", "b", null].map((x) => ({ x })),
    [{ column: "x", encode: "frequency" }],
  );
  assert.deepEqual(values[0], [0.5, 0.5, 0.25, 0.25]);
});

test("onehot: top-k columns by count then text, one for the rest, missing all zero", async () => {
  const { columns, values } = await encode(
    ["b", "a", "a", "c", null, "b", "a"].map((x) => ({ x })),
    [{ column: "x", encode: "onehot", top: 2 }],
  );
  assert.deepEqual(columns, ["x:onehot=a", "x:onehot=b", "x:onehot=(other)"]);
  assert.deepEqual(values, [
    [0, 1, 1, 0, 0, 0, 1],
    [1, 0, 0, 0, 0, 1, 0],
    [0, 0, 0, 1, 0, 0, 0],
  ]);
});

test("hash: the bucket is the first 32 bits of the value's MD5 modulo n", async () => {
  const xs = ["alice", "bob", "carol", "dave", "eve", "mallory"];
  const n = 5;
  const { values } = await encode(
    [...xs, null].map((x) => ({ x })),
    [{ column: "x", encode: "hash", buckets: n }],
  );
  xs.forEach((x, i) => {
    const bucket = parseInt(createHash("md5").update(x).digest("hex").slice(0, 8), 16) % n;
    for (let b = 0; b < n; b++)
      assert.equal(values[b][i], b === bucket ? 1 : 0, `${x} bucket ${b}`);
  });
  for (let b = 0; b < n; b++) assert.equal(values[b][xs.length], 0);
});

test("numeric: standard (population std), minmax, robust (linear quartiles), log1p, missing", async () => {
  const { values } = await encode(
    [1, 2, 3, 4, null].map((x) => ({ x: x === null ? null : String(x) })),
    [
      { column: "x", encode: "numeric", name: "raw" },
      { column: "x", encode: "numeric", scale: "standard", name: "std" },
      { column: "x", encode: "numeric", scale: "minmax", name: "mm" },
      { column: "x", encode: "numeric", scale: "robust", name: "rob" },
      { column: "x", encode: "numeric", log1p: true, name: "log", missing: -7 },
    ],
  );
  assert.deepEqual(values[0], [1, 2, 3, 4, 0]);
  const sd = Math.sqrt(1.25); // population std of 1..4
  values[1].slice(0, 4).forEach((v, i) => assert.ok(Math.abs(v - (i + 1 - 2.5) / sd) < 1e-12));
  assert.equal(values[1][4], 0);
  assert.deepEqual(values[2], [0, 1 / 3, 2 / 3, 1, 0]);
  // quartiles of 1..4 by linear interpolation: 1.75 and 3.25, median 2.5.
  assert.deepEqual(values[3], [-1, -1 / 3, 1 / 3, 1, 0]);
  values[4].slice(0, 4).forEach((v, i) => assert.ok(Math.abs(v - Math.log1p(i + 1)) < 1e-12));
  assert.equal(values[4][4], -7);
});

test("numeric: text that is not a number is an error naming row and column", async () => {
  await assert.rejects(
    encode(
      ["1", "2", "lots"].map((x) => ({ x })),
      [{ column: "x", encode: "numeric" }],
    ),
    (e: unknown) =>
      e instanceof DataError && /row 3, column "x": "lots" is not a number/.test(e.message),
  );
});

test("numeric: Infinity and NaN read as missing", async () => {
  const { values } = await withDb(async (db) => {
    const t = await table(db, csvFile("x\n1\nInfinity\nNaN\n3\n"));
    const e = await fitTransform(
      db,
      t,
      parseSpec({ features: [{ column: "x", encode: "numeric", scale: "minmax" }] }),
    );
    return { values: [column(e.X, 0)] };
  });
  assert.deepEqual(values[0], [0, 0, 0, 1]);
});

test("hour and weekday in UTC, Monday 0; ISO text with zones and epoch seconds", async () => {
  const times = [
    "2024-01-01T13:05:00Z", // Monday
    "2024-01-07T23:59:59+02:00", // Sunday 21:59:59 UTC
    "0", // 1970-01-01 00:00 UTC, a Thursday
    "2024-01-03 08:00:00", // no zone: UTC; Wednesday
    null,
  ];
  const { values } = await encode(
    times.map((t) => ({ t })),
    [
      { column: "t", encode: "hour" },
      { column: "t", encode: "weekday" },
    ],
  );
  assert.deepEqual(values[0], [13, 21, 0, 8, -1]);
  assert.deepEqual(values[1], [0, 6, 3, 2, -1]);
});

test("delta: seconds since the entity's previous event, in time order; first -1", async () => {
  const records = [
    { u: "a", t: "2024-01-01T00:00:25Z" },
    { u: "b", t: "2024-01-01T00:00:00Z" },
    { u: "a", t: "2024-01-01T00:00:00Z" },
    { u: "a", t: "2024-01-01T00:00:10Z" },
    { u: "b", t: "2024-01-01T01:00:00Z" },
  ];
  const { values } = await encode(records, [{ column: "t", encode: "delta", entity: "u" }]);
  assert.deepEqual(values[0], [15, -1, -1, 10, 3600]);
});

test("rolling: events and distinct values per entity in the last window", async () => {
  const records = [
    { u: "a", ip: "1.1.1.1", t: "2024-01-01T00:00:00Z" },
    { u: "a", ip: "2.2.2.2", t: "2024-01-01T00:30:00Z" },
    { u: "a", ip: "1.1.1.1", t: "2024-01-01T00:50:00Z" },
    { u: "b", ip: "3.3.3.3", t: "2024-01-01T00:50:00Z" },
    { u: "a", ip: "3.3.3.3", t: "2024-01-01T01:40:00Z" }, // window from 00:40: the 00:50 event
  ];
  const { values } = await encode(
    records,
    [
      { encode: "rolling", window: "1h" },
      { encode: "rolling", window: 3600, distinct: "ip", name: "ips" },
    ],
    { entity: "u", time: "t" },
  );
  assert.deepEqual(values[0], [1, 2, 3, 1, 2]);
  assert.deepEqual(values[1], [1, 2, 2, 1, 2]);
});

test("shift: the entity's previous k values of another feature (notebook windows)", async () => {
  const records = [
    { u: "a", p: "22" },
    { u: "b", p: "80" },
    { u: "a", p: "443" },
    { u: "a", p: "8080" },
  ];
  const { columns, values } = await encode(records, [
    { column: "p", encode: "portclass", name: "port" },
    { encode: "shift", of: "port", entity: "u", k: 2 },
  ]);
  assert.deepEqual(columns, ["port", "port:prev1", "port:prev2"]);
  assert.deepEqual(values[0], [20, 30, 30, 100]);
  assert.deepEqual(values[1], [-1, -1, 20, 30]);
  assert.deepEqual(values[2], [-1, -1, -1, 20]);
});

test("ipclass: private, loopback, link-local, multicast, reserved, public, names, missing", async () => {
  const cases: [string | null, number][] = [
    ["10.1.2.3", 1],
    ["172.31.255.255", 1],
    ["172.32.0.1", 0],
    ["192.168.0.1", 1],
    ["8.8.8.8", 0],
    ["127.0.0.1", 2],
    ["169.254.169.254", 3],
    ["224.0.0.251", 4],
    ["0.1.2.3", 5],
    ["100.64.0.1", 5],
    ["255.255.255.255", 5],
    ["::1", 2],
    ["fe80::1", 3],
    ["fd12:3456::1", 1],
    ["ff02::1", 4],
    ["2600:1f18::1", 0],
    ["AWS Internal", 6],
    ["ec2.amazonaws.com", 6],
    ["300.1.1.1", 6],
    [null, -1],
  ];
  const { values } = await encode(
    cases.map(([ip]) => ({ ip })),
    [{ column: "ip", encode: "ipclass" }],
  );
  assert.deepEqual(
    values[0],
    cases.map(([, c]) => c),
  );
});

test("portclass: the notebook's table, other ports 100, missing -1", async () => {
  const { values } = await encode(
    ["22", "443", "53", "8080", null, "0"].map((p) => ({ p })),
    [{ column: "p", encode: "portclass" }],
  );
  assert.deepEqual(values[0], [20, 30, 10, 100, -1, 0]);
});

test("prefix24 then codes: addresses of one /24 share a code; names stay themselves", async () => {
  const { values } = await encode(
    ["10.0.0.1", "10.0.0.200", "10.0.1.1", "AWS Internal"].map((ip) => ({ ip })),
    [{ column: "ip", derive: "prefix24", encode: "codes" }],
  );
  // categories: "10.0.0.0/24", "10.0.1.0/24", "AWS Internal"
  assert.deepEqual(values[0], [0, 0, 1, 2]);
});

test("indicator and sign express the BETH notebook's hand-made features", async () => {
  const records = [
    { pid: "0", uid: "0", ns: "4026531840", ret: "-2" },
    { pid: "7", uid: "1000", ns: "4026532231", ret: "0" },
    { pid: "2", uid: "999", ns: "4026531840", ret: "15" },
  ];
  const { values } = await encode(records, [
    { column: "pid", encode: "indicator", op: "in", values: [0, 1, 2] },
    { column: "uid", encode: "indicator", op: "lt", value: 1000 },
    { column: "ns", encode: "indicator", op: "eq", value: 4026531840 },
    { column: "ret", encode: "sign" },
  ]);
  assert.deepEqual(values, [
    [1, 0, 1],
    [1, 0, 1],
    [1, 0, 1],
    [-1, 0, 1],
  ]);
});
