/**
 * Bench helper until the feature pipeline's `--fields` lands: writes a log with extra columns
 * `code_<field>` holding each field's pandas category code (the reference notebook's
 * `astype('category').cat.codes`: categories sorted, strings by code point, code = position;
 * missing = −1), so `anomalog hunt --columns code_a,code_b,...` sees what PyOD saw, and the
 * flagged rows still carry every original field.
 *
 *   node dist/bench/category-codes.js IN OUT.csv field1,field2,...
 *
 * Missing = NULL or one of the strings pandas' read_csv reads as NaN by default.
 */
import { fileURLToPath } from "node:url";
import { ident, literal, withDb } from "../data/db.js";
import { readLog } from "../data/read.js";
import { requireColumns } from "../data/csv.js";

/** pandas.read_csv's default na_values (pandas 1.x/2.x `STR_NA_VALUES`). */
const PANDAS_NA = [
  "",
  "#N/A",
  "#N/A N/A",
  "#NA",
  "-1.#IND",
  "-1.#QNAN",
  "-NaN",
  "-nan",
  "1.#IND",
  "1.#QNAN",
  "<NA>",
  "N/A",
  "NA",
  "NULL",
  "NaN",
  "None",
  "n/a",
  "nan",
  "null",
];

export async function writeCategoryCodes(
  input: string,
  output: string,
  fields: readonly string[],
): Promise<{ rows: number; distinctRows: number }> {
  return withDb(async (db) => {
    const t = await readLog(db, input);
    requireColumns(t, fields);
    const na = PANDAS_NA.map(literal).join(", ");
    const ctes = fields.map(
      (f, i) =>
        `c${i} AS (SELECT v, (row_number() OVER (ORDER BY v COLLATE "binary") - 1)::INTEGER AS code FROM ` +
        `(SELECT DISTINCT ${ident(f)} AS v FROM ${t.table} WHERE ${ident(f)} IS NOT NULL AND ${ident(f)} NOT IN (${na})))`,
    );
    const codes = fields.map((f, i) => `coalesce(c${i}.code, -1) AS ${ident(`code_${f}`)}`);
    const joins = fields.map((f, i) => `LEFT JOIN c${i} ON r.${ident(f)} = c${i}.v`).join(" ");
    await db.connection.run(
      `CREATE TABLE coded AS WITH ${ctes.join(", ")} SELECT r.*, ${codes.join(", ")} FROM ` +
        `(SELECT rowid AS source_order, * FROM ${t.table}) r ${joins} ORDER BY r.source_order`,
    );
    await db.connection.run(
      `COPY (SELECT * EXCLUDE (source_order) FROM coded ORDER BY source_order) TO ${literal(output)} (FORMAT csv, HEADER true)`,
    );
    const distinct = await db.connection.runAndReadAll(
      `SELECT count(*)::INTEGER FROM (SELECT DISTINCT ${fields.map((f) => ident(`code_${f}`)).join(", ")} FROM coded)`,
    );
    return { rows: t.rows, distinctRows: distinct.getRowsJS()[0][0] as number };
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [input, output, fields] = process.argv.slice(2);
  if (fields === undefined) {
    process.stderr.write("usage: node dist/bench/category-codes.js IN OUT.csv field1,field2,...\n");
    process.exit(2);
  }
  const r = await writeCategoryCodes(input, output, fields.split(","));
  process.stdout.write(`${output}: ${r.rows} rows, ${r.distinctRows} distinct coded rows\n`);
}
