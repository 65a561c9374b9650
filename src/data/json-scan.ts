/**
 * Finding malformed JSON records in Node, for what DuckDB's JSON reader cannot say: which lines
 * of a JSON Lines file it skipped, and where in a JSON document the syntax breaks.
 */
import { createReadStream, createWriteStream } from "node:fs";
import { once } from "node:events";
import { finished } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { DataError } from "../core/errors.js";

export interface LineProblem {
  /** 1-based line in the decompressed file. */
  readonly line: number;
  /** 1-based ordinal among non-blank lines (the record number). */
  readonly record: number;
  readonly problem: string;
}

export interface LineScan {
  /** Non-blank lines, i.e. records of a JSON Lines file. */
  readonly records: number;
  readonly problems: LineProblem[];
}

function lines(file: string, gzip: boolean): AsyncIterable<Buffer> {
  const raw = createReadStream(file);
  if (!gzip) return raw;
  const gunzip = createGunzip();
  raw.on("error", (e) => gunzip.destroy(e));
  return raw.pipe(gunzip);
}

const isBlank = (s: string): boolean => s.trim() === "";

/**
 * Every line of a JSON Lines file that is not one JSON object: its line, record number and
 * JSON.parse's complaint. `stopAtFirst` ends at the first problem.
 */
export async function scanJsonLines(
  file: string,
  gzip: boolean,
  stopAtFirst: boolean,
): Promise<LineScan> {
  const problems: LineProblem[] = [];
  let line = 0;
  let records = 0;
  let carry = "";
  const check = (text: string): boolean => {
    line++;
    if (isBlank(text)) return false;
    records++;
    let problem: string | undefined;
    try {
      const value: unknown = JSON.parse(text);
      if (value === null || typeof value !== "object" || Array.isArray(value))
        problem = `not a JSON object (${value === null ? "null" : Array.isArray(value) ? "an array" : typeof value})`;
    } catch (e) {
      problem = (e as Error).message;
    }
    if (problem === undefined) return false;
    problems.push({ line, record: records, problem });
    return stopAtFirst;
  };
  try {
    for await (const chunk of lines(file, gzip)) {
      const text = carry + chunk.toString("utf8");
      const parts = text.split("\n");
      carry = parts.pop()!;
      for (const part of parts) if (check(part.replace(/\r$/, ""))) return { records, problems };
    }
  } catch (e) {
    throw new DataError(`cannot read: ${(e as Error).message}`, { file });
  }
  if (carry !== "") check(carry.replace(/\r$/, ""));
  return { records, problems };
}

/** Where a JSON document (one value, e.g. {"Records": [...]}) stops parsing: line and problem. */
export async function locateJsonSyntaxError(
  file: string,
  gzip: boolean,
): Promise<{ line: number; column: number; problem: string } | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of lines(file, gzip)) {
    chunks.push(chunk);
    size += chunk.length;
    // V8 strings stop near 512 MiB; past that we keep DuckDB's byte offset.
    if (size > 400 * 1024 * 1024) return undefined;
  }
  const text = Buffer.concat(chunks).toString("utf8");
  try {
    JSON.parse(text);
    return undefined;
  } catch (e) {
    const message = (e as Error).message;
    const at = /position (\d+)/.exec(message);
    if (!at) return { line: 1, column: 1, problem: message };
    const position = Number(at[1]);
    const before = text.slice(0, position);
    const line = before.split("\n").length;
    const column = position - before.lastIndexOf("\n");
    return { line, column, problem: message.replace(/ in JSON at position \d+.*$/, "") };
  }
}

/**
 * Copies a JSON Lines file without the given (1-based) lines, uncompressed, for DuckDB to read
 * in skip mode: its type inference would otherwise see the bad lines too.
 */
export async function copyWithoutLines(
  file: string,
  gzip: boolean,
  drop: ReadonlySet<number>,
  out: string,
): Promise<void> {
  const sink = createWriteStream(out);
  let line = 0;
  let carry = "";
  let buffer = "";
  const keep = (text: string): void => {
    line++;
    if (!drop.has(line)) buffer += `${text}\n`;
  };
  for await (const chunk of lines(file, gzip)) {
    const parts = (carry + chunk.toString("utf8")).split("\n");
    carry = parts.pop()!;
    for (const part of parts) keep(part);
    if (buffer.length > 1 << 20) {
      if (!sink.write(buffer)) await once(sink, "drain");
      buffer = "";
    }
  }
  if (carry !== "") keep(carry);
  sink.end(buffer);
  await finished(sink);
}
