import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { withDb } from "../data/db.js";
import { proximityRanks, readCountries } from "./countries.js";
import { geodesicKm } from "./geodesic.js";
import { fitTransform } from "./pipeline.js";
import { parseSpec } from "./spec.js";
import { column, jsonl, table } from "./fixtures.js";

const shared = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "shared", "data");
const countriesCsv = join(shared, "enrich", "countries_codes_and_coordinates.csv");
const ip2asnU32 = join(shared, "enrich", "ip2asn-v4-u32-excerpt.tsv.gz");
const ip2asnDotted = join(shared, "enrich", "ip2asn-v4-excerpt.tsv.gz");
const haveShared = existsSync(countriesCsv) && existsSync(ip2asnU32);

test("geodesic distance matches geopy's documented Newport–Cleveland example", () => {
  // geopy docs: geodesic((41.49008, -71.312796), (41.499498, -81.695391)).miles = 538.390445368
  const km = geodesicKm(41.49008, -71.312796, 41.499498, -81.695391);
  assert.ok(Math.abs(km / 1.609344 - 538.390445368) < 1e-6, `${km / 1.609344}`);
  assert.equal(geodesicKm(10, 20, 10, 20), 0);
  // Near-antipodal points still give a finite distance of about half the circumference.
  const far = geodesicKm(0, 0, 0.5, 179.7);
  assert.ok(far > 19_900 && far < 20_040, `${far}`);
});

test(
  "country ranks: home 0, then its nearest neighbour, a permutation of all rows",
  { skip: !haveShared },
  async () => {
    const countries = await readCountries(countriesCsv);
    assert.equal(countries.length, 246);
    assert.ok(
      countries.some((c) => c.name === "Korea, Democratic People's Republic of" && c.code === "KP"),
    );
    const ranks = proximityRanks(countries, "PT");
    const at = (code: string) => ranks[countries.findIndex((c) => c.code === code)];
    assert.equal(at("PT"), 0);
    assert.equal(at("ES"), 1);
    assert.deepEqual(
      [...ranks].sort((a, b) => a - b),
      countries.map((_, i) => i),
    );
  },
);

test(
  "ip2asn: ASN codes and country ranks through the table, u32 and dotted alike",
  { skip: !haveShared },
  async () => {
    const ips = ["1.1.1.0", "1.1.1.1", "1.1.1.2", "9.9.9.9", "AWS Internal", null];
    for (const ip2asn of [ip2asnU32, ip2asnDotted]) {
      const values = await withDb(async (db) => {
        const t = await table(db, jsonl(ips.map((ip) => ({ ip }))));
        const spec = parseSpec({
          ip2asn,
          countries: countriesCsv,
          home: "US",
          features: [
            { column: "ip", derive: "asn", encode: "codes" },
            { column: "ip", derive: "country", encode: "countryrank" },
          ],
        });
        const e = await fitTransform(db, t, spec);
        return [column(e.X, 0), column(e.X, 1)];
      });
      // 1.1.1.0 and 1.1.1.2: AS13335 (US); 1.1.1.1: AS7497 (CN); categories "13335" < "7497".
      assert.deepEqual(values[0], [0, 1, 0, -1, -1, -1]);
      assert.equal(values[1][0], 0);
      assert.ok(values[1][1] > 0 && values[1][1] < 1000);
      assert.deepEqual(values[1].slice(3), [1000, 1000, 1000]);
    }
  },
);
