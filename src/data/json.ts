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
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DataError } from "../core/errors.js";
import { ident, literal, type Db } from "./db.js";
import { newTableName } from "./delimited.js";
import { flatColumns, MAX_FLATTEN_DEPTH, structFields, structPath } from "./flatten.js";
import { verifyGzip } from "./gzip-check.js";
import { copyWithoutLines, locateJsonSyntaxError, scanJsonLines } from "./json-scan.js";
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
  /**
   * Read only these columns (dotted paths into nested objects), in one pass over the records
   * instead of two: a feature spec names what it needs, and typing every field of every record
   * is most of the cost of reading JSON. Absent from a record means missing. Ignored for
   * CloudTrail `Records` files.
   */
  readonly fields?: readonly string[];
}

/**
 * The record type that reads just `fields` as text: `[["userIdentity", "STRUCT(arn VARCHAR)"],
 * ["eventName", "VARCHAR"]]`. Undefined when a path is both a value and a parent of another.
 */
export function projectedType(fields: readonly string[]): [string, string][] | undefined {
  type Node = Map<string, Node | null>;
  const root: Node = new Map();
  for (const field of new Set(fields)) {
    const parts = field.split(".");
    let node = root;
    for (let k = 0; k < parts.length; k++) {
      const last = k === parts.length - 1;
      const existing = node.get(parts[k]);
      if (last) {
        if (existing !== undefined) return undefined;
        node.set(parts[k], null);
      } else {
        if (existing === null) return undefined;
        const child: Node = existing ?? new Map();
        node.set(parts[k], child);
        node = child;
      }
    }
  }
  const typeOf = (n: Node | null): string =>
    n === null
      ? "VARCHAR"
      : `STRUCT(${[...n].map(([k, c]) => `${ident(k)} ${typeOf(c)}`).join(", ")})`;
  return [...root].map(([k, n]) => [k, typeOf(n)]);
}

/** DuckDB's read_json over the files: a full scan types the records (no sampling). */
function readJsonSql(
  kind: JsonKind,
  files: readonly string[],
  compression: string,
  ignoreErrors: boolean,
  columns?: string,
): string {
  const list = `[${files.map(literal).join(", ")}]`;
  // "auto" reads a top-level array as its elements, and one or more objects as themselves.
  const format = kind === "jsonl" ? "newline_delimited" : "auto";
  const typing =
    columns !== undefined
      ? `columns = ${columns}`
      : // Objects stay STRUCTs however ragged (flattened by us, up to MAX_FLATTEN_DEPTH keys).
        // (CloudTrail records sit two levels down: the Records list, then its elements.)
        `sample_size = -1, maximum_depth = ${MAX_FLATTEN_DEPTH + (kind === "cloudtrail" ? 3 : 1)}, ` +
        "field_appearance_threshold = 0, map_inference_threshold = -1";
  return (
    `read_json(${list}, format = '${format}', compression = '${compression}', filename = '__file', ` +
    `maximum_object_size = ${MAX_JSON_OBJECT_BYTES}, ${typing}${ignoreErrors ? ", ignore_errors = true" : ""})`
  );
}

/** A DuckDB type with every scalar leaf made VARCHAR (its text as written) and other leaves JSON. */
function textType(type: string, depth: number): string {
  const fields = structFields(type);
  if (fields !== undefined && fields.length > 0 && depth < MAX_FLATTEN_DEPTH)
    return `STRUCT(${fields.map(([k, t]) => `${ident(k)} ${textType(t, depth + 1)}`).join(", ")})`;
  if (fields !== undefined || /\[\d*\]$|^MAP\(|^JSON$|^UNION\(/.test(type)) return "JSON";
  return "VARCHAR";
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
  let compression = compressionOf(files, gzipOf);
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
  // DuckDB types records from every line it reads, bad ones too: it reads a clean copy.
  const copies: string[] = [];
  if (lineScans !== undefined && skipped > 0) {
    files = await Promise.all(
      files.map(async (f) => {
        const scan = lineScans.get(f)!;
        if (scan.problems.length === 0) return f;
        const copy = join(tmpdir(), `anomalog-clean-${process.pid}-${copies.length}.jsonl`);
        copies.push(copy);
        await copyWithoutLines(f, gzipOf.get(f)!, new Set(scan.problems.map((p) => p.line)), copy);
        gzipOf.set(copy, false);
        return copy;
      }),
    );
  }
  compression = compressionOf(files, gzipOf);
  try {
    return await loadRecords();
  } finally {
    await Promise.all(copies.map((c) => rm(c, { force: true })));
  }

  async function loadRecords(): Promise<LoadedTable> {
    const projected =
      kind !== "cloudtrail" && options.fields ? projectedType(options.fields) : undefined;
    if (projected !== undefined) {
      const t = await readAs(projected);
      // A path that matched nothing may be a key with a literal dot ("userIdentity.arn" in an
      // already-flattened log): read everything and let the full structure decide.
      const counts = await db.connection.runAndReadAll(
        `SELECT ${t.columns.map((c) => `count(${ident(c)})::DOUBLE`).join(", ")} FROM ${t.table}`,
      );
      if ((counts.getRowsJS()[0] as number[]).every((n) => n > 0)) return t;
      await db.connection.run(`DROP TABLE ${t.table}`);
    }
    // Pass 1: the records' structure. Pass 2: read them again with every scalar typed as text,
    // so values keep the text they were written with (no timestamp or number reformatting).
    const ignoreErrors = kind === "jsonl" && skip;
    let described: [string, string][];
    try {
      const r = await db.connection.runAndReadAll(
        `DESCRIBE SELECT * EXCLUDE (__file) FROM ${readJsonSql(kind, files, compression, ignoreErrors)}`,
      );
      described = (r.getRowsJS() as string[][]).map((row) => [row[0], row[1]]);
    } catch (e) {
      throw (await describeJsonError(e as Error, files, gzipOf, kind)).error;
    }
    if (kind === "cloudtrail") {
      const records = described.find(([name]) => name === "Records");
      const element =
        records !== undefined ? structFields(records[1].replace(/\[\]$/, "")) : undefined;
      if (element === undefined)
        throw new DataError("CloudTrail Records are not JSON objects", { file: path });
      described = element;
    }
    return readAs(described);
  }

  async function readAs(described: [string, string][]): Promise<LoadedTable> {
    const ignoreErrors = kind === "jsonl" && skip;
    if (described.length === 0)
      throw new DataError(
        skipped > 0 ? `no records left after skipping ${skipped}` : "no records",
        {
          file: path,
        },
      );
    const columns = flatColumns(described, path);
    const typed = `{${described.map(([k, t]) => `${literal(k)}: ${literal(textType(t, 1))}`).join(", ")}}`;
    const source =
      kind === "cloudtrail"
        ? `(SELECT unnest(r), __file FROM (SELECT unnest(Records) AS r, __file FROM ${readJsonSql(
            kind,
            files,
            compression,
            false,
            `{'Records': ${literal(`${textType(`STRUCT(${described.map(([k, t]) => `${ident(k)} ${t}`).join(", ")})`, 0)}[]`)}}`,
          )}))`
        : readJsonSql(kind, files, compression, ignoreErrors, typed);
    const withSource = options.files.length > 1;
    const select = columns.map((c) => `${structPath(c.path)}::VARCHAR AS ${ident(c.name)}`);
    if (withSource) {
      if (columns.some((c) => c.name.toLowerCase() === SOURCE_FILE_COLUMN))
        throw new DataError(
          `records have a field "${SOURCE_FILE_COLUMN}", which names the source file here`,
          { file: path },
        );
      select.unshift(`__file AS ${SOURCE_FILE_COLUMN}`);
    }
    const table = newTableName();
    try {
      await db.connection.run(
        `CREATE TEMP TABLE ${table} AS SELECT ${select.join(", ")} FROM ${source}`,
      );
    } catch (e) {
      throw (await describeJsonError(e as Error, files, gzipOf, kind)).error;
    }
    const count = await db.connection.runAndReadAll(`SELECT count(*)::DOUBLE FROM ${table}`);

    let rows = count.getRowsJS()[0][0] as number;
    if (lineScans !== undefined) {
      // DuckDB gives a bad line an empty row or leaves it out; Node's scan says which lines.
      let all = 0;
      let bad = 0;
      for (const scan of lineScans.values()) {
        all += scan.records;
        bad += scan.problems.length;
      }
      if (rows === all && bad > 0) {
        await db.connection.run(
          `DELETE FROM ${table} WHERE rowid + 1 IN (${removed.map(String).join(", ")})`,
        );
        rows -= bad;
      } else if (rows !== all - bad)
        throw new DataError(
          `read ${rows} records but found ${all - bad} valid lines; refusing to guess which records are missing`,
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
}

/** One compression for a list of files: gzip, none, or (mixed) decided per file by its name. */
function compressionOf(files: readonly string[], gzipOf: ReadonlyMap<string, boolean>): string {
  const gz = files.map((f) => gzipOf.get(f));
  return gz.every((g) => g) ? "gzip" : gz.every((g) => !g) ? "uncompressed" : "auto_detect";
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
