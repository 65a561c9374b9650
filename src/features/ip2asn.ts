/**
 * IP to ASN and country through a user-supplied iptoasn.com table (`ip2asn-v4.tsv` with dotted
 * addresses or `ip2asn-v4-u32.tsv` with numbers; tab-separated, no header: range_start,
 * range_end, AS_number, country_code, AS_description; gzip or not). Ranges of AS 0 ("not
 * routed") are left out, as the network-flows notebook filters them, so such addresses read as
 * missing. The ranges are kept in the fitted state (about 14 bytes a range), so a saved model
 * scores new logs without the table.
 */
import { z } from "zod";
import { DataError } from "../core/errors.js";
import { ident, literal, type Db } from "../data/db.js";
import { ipv4Number } from "./ip.js";

export const ip2asnState = z.object({
  starts: z.instanceof(Uint32Array),
  ends: z.instanceof(Uint32Array),
  asns: z.instanceof(Uint32Array),
  countryIndex: z.instanceof(Uint16Array),
  countries: z.array(z.string()),
});
export type Ip2Asn = z.infer<typeof ip2asnState>;

export async function readIp2Asn(db: Db, path: string): Promise<Ip2Asn> {
  const number = (c: string) => `coalesce(TRY_CAST(${c} AS UBIGINT), ${ipv4Number(c)})`;
  let rows: unknown[][];
  try {
    const r = await db.connection.runAndReadAll(
      `SELECT ${number("s")}::DOUBLE, ${number("e")}::DOUBLE, TRY_CAST(asn AS DOUBLE), cc FROM read_csv(${literal(path)}, ` +
        `delim = '\t', header = false, quote = '', auto_detect = false, ` +
        `columns = {'s': 'VARCHAR', 'e': 'VARCHAR', 'asn': 'VARCHAR', 'cc': 'VARCHAR', 'name': 'VARCHAR'}) ORDER BY 1`,
    );
    rows = r.getRowsJS() as unknown[][];
  } catch (e) {
    throw new DataError(`cannot read as an ip2asn table: ${(e as Error).message.split("\n")[0]}`, {
      file: path,
    });
  }
  const kept = rows.filter((r, i) => {
    if (r[0] === null || r[1] === null || r[2] === null)
      throw new DataError("not an ip2asn v4 range (start, end, AS number, country, name)", {
        file: path,
        row: i + 1,
      });
    return r[2] !== 0;
  });
  const countries = [...new Set(kept.map((r) => (r[3] as string | null) ?? ""))].sort();
  const at = new Map(countries.map((c, k) => [c, k]));
  return {
    starts: Uint32Array.from(kept, (r) => r[0] as number),
    ends: Uint32Array.from(kept, (r) => r[1] as number),
    asns: Uint32Array.from(kept, (r) => r[2] as number),
    countryIndex: Uint16Array.from(kept, (r) => at.get((r[3] as string | null) ?? "")!),
    countries,
  };
}

/**
 * A table `(v VARCHAR, asn VARCHAR, country VARCHAR)` for the distinct addresses of `input`
 * (an SQL text expression over `from`), by an as-of join on the sorted ranges.
 */
export async function createIpLookup(
  db: Db,
  table: string,
  ranges: Ip2Asn,
  from: string,
  input: string,
): Promise<void> {
  const rangeTable = `${table}_ranges`;
  await db.connection.run(
    `CREATE OR REPLACE TABLE ${ident(rangeTable)} (s UBIGINT, e UBIGINT, asn VARCHAR, country VARCHAR)`,
  );
  const appender = await db.connection.createAppender(rangeTable);
  try {
    for (let i = 0; i < ranges.starts.length; i++) {
      appender.appendUBigInt(BigInt(ranges.starts[i]));
      appender.appendUBigInt(BigInt(ranges.ends[i]));
      appender.appendVarchar(String(ranges.asns[i]));
      const cc = ranges.countries[ranges.countryIndex[i]];
      if (cc === "" || cc === "None") appender.appendNull();
      else appender.appendVarchar(cc);
      appender.endRow();
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
  const r = ident(rangeTable);
  await db.connection.run(
    `CREATE OR REPLACE TABLE ${ident(table)} AS SELECT d.v, ` +
      `CASE WHEN d.n <= ${r}.e THEN ${r}.asn END AS asn, CASE WHEN d.n <= ${r}.e THEN ${r}.country END AS country ` +
      `FROM (SELECT DISTINCT v, ${ipv4Number("v")} AS n FROM (SELECT ${input} AS v FROM ${from}) WHERE ${ipv4Number("v")} IS NOT NULL) d ` +
      `ASOF LEFT JOIN ${r} ON d.n >= ${r}.s`,
  );
}
