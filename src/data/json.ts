/**
 * JSON logs into DuckDB: JSON Lines (one object per line), JSON arrays of objects, and CloudTrail
 * files (`{"Records": [...]}`, one file or a directory tree as AWS writes it to S3), plain or
 * gzip. DuckDB parses (in parallel, in C++); the merged structure of all records decides the
 * flat columns (src/data/flatten.ts); every value is kept as its text.
 *
 * Malformed input: the first malformed record is an error naming file, line and problem. With
 * `onBadRows: "skip"`, a JSON Lines file loses just its bad lines, counted and located; a JSON
 * document (array or CloudTrail file) has no record boundaries to resume at once its syntax
 * breaks, so in a directory the whole file is skipped and reported, and a single file is an
 * error either way.
 */
import { DataError } from "../core/errors.js";
import { ident, literal, type Db } from "./db.js";
import { newTableName } from "./delimited.js";
import { flatColumns, jsonPath, type FlatColumn } from "./flatten.js";
import { verifyGzip } from "./gzip-check.js";
import { locateJsonSyntaxError, scanJsonLines } from "./json-scan.js";
import { isGzip } from "./sniff.js";
import { MAX_REPORTED, type BadRecord, type LoadedTable, type OnBadRows } from "./table.js";

export type JsonKind = "jsonl" | "json" | "cloudtrail";

/** Largest single JSON value (a record, or a whole CloudTrail file) DuckDB will parse. */
export const MAX_JSON_OBJECT_BYTES = 256 * 1024 * 1024;

/** Name of the column that says which file a record came from, when reading a directory. */
export const SOURCE_FILE_COLUMN = "_source_file";

export interface JsonOptions {
  readonly kind: JsonKind;
  /** The path the user gave (reported), and the files under it. */
  readonly path: string;
  readonly files: readonly string[];
  readonly onBadRows?: OnBadRows;
}

/** SQL for the records of the files, one JSON object per row, in file order. */
function recordsSql(
  kind: JsonKind,
  files: readonly string[],
  compression: string,
  ignoreErrors: boolean,
): string {
  const list = `[${files.map(literal).join(", ")}]`;
  // "auto" reads a top-level array as its elements, and one or more objects as themselves.
  const format = kind === "jsonl" ? "newline_delimited" : "auto";
  const read =
    `read_json_objects(${list}, format = '${format}', filename = true, compression = '${compression}', ` +
    `maximum_object_size = ${MAX_JSON_OBJECT_BYTES}${ignoreErrors ? ", ignore_errors = true" : ""})`;
  if (kind !== "cloudtrail") return `SELECT json AS j, filename FROM ${read}`;
  return `SELECT unnest(json_extract(json, '$.Records[*]')) AS j, filename FROM ${read}`;
}

export async function loadJson(db: Db, options: JsonOptions): Promise<LoadedTable> {
  const { kind, path, onBadRows = "fail" } = options;
  const skip = onBadRows === "skip";
  const badRecords: BadRecord[] = [];
  const removed: number[] = [];
  const notes: string[] = [];
  let skipped = 0;
  let files = [...options.files];

  const gz = await Promise.all(files.map((f) => isGzip(f)));
  const gzipOf = new Map(files.map((f, k) => [f, gz[k]]));
  await Promise.all(files.filter((f) => gzipOf.get(f)).map((f) => verifyGzip(f)));
  // One compression for the whole list; in a directory, names must say what the content is.
  const compression = gz.every((g) => g)
    ? "gzip"
    : gz.every((g) => !g)
      ? "uncompressed"
      : "auto_detect";
  if (compression === "auto_detect") {
    const liar = files.find((f, k) => gz[k] !== f.toLowerCase().endsWith(".gz"));
    if (liar !== undefined)
      throw new DataError(
        `content is ${gzipOf.get(liar) ? "" : "not "}gzip but the name says otherwise, among files that mix both`,
        { file: liar },
      );
  }

  if (kind === "cloudtrail") {
    // Each file must be an object with a Records array; a file that fails to parse is skipped
    // (skip mode, several files) or reported where it breaks.
    for (;;) {
      try {
        const r = await db.connection.runAndReadAll(
          `SELECT filename FROM read_json_objects([${files.map(literal).join(", ")}], format = 'auto', compression = '${compression}', ` +
            `filename = true, maximum_object_size = ${MAX_JSON_OBJECT_BYTES}) ` +
            `WHERE json_type(json, '$.Records') IS DISTINCT FROM 'ARRAY' LIMIT 1`,
        );
        const bad = r.getRowsJS()[0]?.[0] as string | undefined;
        if (bad !== undefined)
          throw new DataError('not a CloudTrail file: no top-level "Records" array', { file: bad });
        break;
      } catch (e) {
        const failed = await describeJsonError(e as Error, files, gzipOf, "json");
        if (!skip || files.length === 1 || failed.file === undefined) throw failed.error;
        files = files.filter((f) => f !== failed.file);
        skipped++;
        if (badRecords.length < MAX_REPORTED)
          badRecords.push({
            file: failed.file,
            line: failed.line,
            problem: `whole file skipped: ${failed.problem}`,
          });
        notes.push(`${failed.file} skipped whole (malformed JSON); its records are not counted`);
      }
    }
  }

  // JSON Lines in skip mode: DuckDB drops bad lines quietly, so Node finds and counts them.
  let lineScans: Map<string, Awaited<ReturnType<typeof scanJsonLines>>> | undefined;
  if (kind === "jsonl" && skip) {
    lineScans = new Map();
    let offset = 0;
    for (const f of files) {
      const scan = await scanJsonLines(f, gzipOf.get(f)!, false);
      lineScans.set(f, scan);
      for (const p of scan.problems) {
        skipped++;
        removed.push(offset + p.record);
        if (badRecords.length < MAX_REPORTED)
          badRecords.push({ file: f, line: p.line, problem: p.problem });
      }
      offset += scan.records;
    }
  }

  const records = recordsSql(kind, files, compression, kind === "jsonl" && skip);
  const objects = `(${records}) WHERE json_type(j) = 'OBJECT'`;
  let structure: unknown;
  let nonObject: number;
  try {
    const r = await db.connection.runAndReadAll(
      `SELECT json_group_structure(CASE WHEN json_type(j) = 'OBJECT' THEN j END), ` +
        `count(*) FILTER (WHERE json_type(j) IS DISTINCT FROM 'OBJECT')::DOUBLE FROM (${records})`,
    );
    const [s, n] = r.getRowsJS()[0] as [string | null, number];
    structure = s === null ? null : (JSON.parse(s) as unknown);
    nonObject = n;
  } catch (e) {
    throw (await describeJsonError(e as Error, files, gzipOf, kind)).error;
  }
  if (nonObject > 0 && !skip) {
    const where = await firstNonObject(db, records, files, gzipOf, kind);
    throw new DataError(
      `${where.place}: record is not a JSON object (use --on-bad-rows skip to skip and count such records)`,
      { file: where.file },
    );
  }
  if (nonObject > 0 && kind !== "jsonl") {
    // Non-object elements of a JSON array or Records list: located by their index.
    const r = await db.connection.runAndReadAll(
      `SELECT filename, n::DOUBLE FROM (SELECT filename, row_number() OVER (PARTITION BY filename) AS n, json_type(j) AS t FROM (${records})) WHERE t IS DISTINCT FROM 'OBJECT' ORDER BY filename, n`,
    );
    for (const [f, n] of r.getRowsJS() as [string, number][]) {
      skipped++;
      if (badRecords.length < MAX_REPORTED)
        badRecords.push({ file: f, record: n, problem: "not a JSON object" });
    }
  }
  if (structure === null)
    throw new DataError(skipped > 0 ? `no records left after skipping ${skipped}` : "no records", {
      file: path,
    });

  const columns = flatColumns(structure, path);
  const withSource = options.files.length > 1;
  const select = columns.map((c) => `${extract(c)} AS ${ident(c.name)}`);
  if (withSource) {
    if (columns.some((c) => c.name.toLowerCase() === SOURCE_FILE_COLUMN))
      throw new DataError(
        `records have a field "${SOURCE_FILE_COLUMN}", which names the source file here`,
        { file: path },
      );
    select.unshift(`filename AS ${SOURCE_FILE_COLUMN}`);
  }
  const table = newTableName();
  await db.connection.run(
    `CREATE TEMP TABLE ${table} AS SELECT ${select.join(", ")} FROM ${objects}`,
  );
  const count = await db.connection.runAndReadAll(`SELECT count(*)::DOUBLE FROM ${table}`);
  const rows = count.getRowsJS()[0][0] as number;

  if (lineScans !== undefined) {
    let expected = 0;
    for (const s of lineScans.values()) expected += s.records - s.problems.length;
    if (expected !== rows)
      throw new DataError(
        `read ${rows} records but found ${expected} valid lines; refusing to guess which records are missing`,
        { file: path },
      );
  }
  return {
    file: path,
    format: kind,
    table,
    columns: [...(withSource ? [SOURCE_FILE_COLUMN] : []), ...columns.map((c) => c.name)],
    rows,
    skipped,
    badRecords,
    notes,
    removedRows: Float64Array.from(removed.sort((a, b) => a - b)),
  };
}

function extract(c: FlatColumn): string {
  const path = literal(jsonPath(c.path));
  return c.kind === "text" ? `j->>${path}` : `(j->${path})::VARCHAR`;
}

/** Where DuckDB's JSON error happened: the file, line and problem, found again in Node. */
async function describeJsonError(
  e: Error,
  files: readonly string[],
  gzipOf: ReadonlyMap<string, boolean>,
  kind: JsonKind,
): Promise<{ error: Error; file?: string; line?: number; problem: string }> {
  if (e instanceof DataError) return { error: e, file: e.location.file, problem: e.message };
  const message = e.message.split("\n")[0].replace(/^[A-Za-z ]+Error: /, "");
  const named = /in file "([^"]+)"/.exec(message)?.[1];
  const file = named ?? (files.length === 1 ? files[0] : undefined);
  if (file === undefined || !gzipOf.has(file))
    return {
      error: new DataError(`cannot read as JSON: ${message}`, { file: files[0] }),
      problem: message,
    };
  const hint = " (use --on-bad-rows skip to skip and count bad records)";
  if (/maximum_object_size|maximum object size/i.test(message))
    return {
      error: new DataError(
        `a JSON value is larger than ${MAX_JSON_OBJECT_BYTES / 1024 / 1024} MiB, the most anomalog reads as one record`,
        { file },
      ),
      file,
      problem: "value too large",
    };
  if (kind === "jsonl") {
    const scan = await scanJsonLines(file, gzipOf.get(file)!, true);
    const p = scan.problems[0];
    if (p !== undefined)
      return {
        error: new DataError(`line ${p.line}: malformed JSON record: ${p.problem}${hint}`, {
          file,
        }),
        file,
        line: p.line,
        problem: p.problem,
      };
  } else {
    const at = await locateJsonSyntaxError(file, gzipOf.get(file)!);
    if (at !== undefined)
      return {
        error: new DataError(
          `line ${at.line}, column ${at.column}: malformed JSON: ${at.problem}`,
          { file },
        ),
        file,
        line: at.line,
        problem: at.problem,
      };
  }
  return { error: new DataError(`malformed JSON: ${message}`, { file }), file, problem: message };
}

async function firstNonObject(
  db: Db,
  records: string,
  files: readonly string[],
  gzipOf: ReadonlyMap<string, boolean>,
  kind: JsonKind,
): Promise<{ file: string; place: string }> {
  if (kind === "jsonl") {
    for (const f of files) {
      const p = (await scanJsonLines(f, gzipOf.get(f)!, true)).problems[0];
      if (p !== undefined) return { file: f, place: `line ${p.line}` };
    }
  }
  const r = await db.connection.runAndReadAll(
    `SELECT filename, n::DOUBLE FROM (SELECT filename, row_number() OVER (PARTITION BY filename) AS n, json_type(j) AS t FROM (${records})) WHERE t IS DISTINCT FROM 'OBJECT' ORDER BY filename, n LIMIT 1`,
  );
  const [file, n] = r.getRowsJS()[0] as [string, number];
  return { file, place: `record ${n}` };
}
