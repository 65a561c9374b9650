/**
 * Reads the header line of a delimited file (plain or gzip) without loading the file, so column
 * names are known exactly before DuckDB parses the body strictly.
 */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { createGunzip } from "node:zlib";
import { DataError } from "../core/errors.js";

const MAX_HEADER_BYTES = 16 * 1024 * 1024;

export async function readHeaderLine(file: string): Promise<string> {
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch {
    throw new DataError("file not found", { file });
  }
  if (size === 0) throw new DataError("file is empty (no header, no rows)", { file });
  const raw = createReadStream(file);
  let stream: NodeJS.ReadableStream = raw;
  if (file.endsWith(".gz")) {
    const gunzip = createGunzip();
    // pipe() does not forward read errors (a directory, no permission): hand them on.
    raw.on("error", (e) => gunzip.destroy(e));
    stream = raw.pipe(gunzip);
  }
  const chunks: Buffer[] = [];
  let length = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const newline = chunk.indexOf(0x0a);
      if (newline >= 0) {
        chunks.push(chunk.subarray(0, newline));
        break;
      }
      chunks.push(chunk);
      length += chunk.length;
      if (length > MAX_HEADER_BYTES) {
        throw new DataError(`header line is longer than ${MAX_HEADER_BYTES} bytes`, { file });
      }
    }
  } catch (e) {
    if (e instanceof DataError) throw e;
    throw new DataError(`cannot read header: ${(e as Error).message}`, { file });
  } finally {
    raw.destroy();
  }
  const line = Buffer.concat(chunks)
    .toString("utf8")
    .replace(/\r$/, "")
    .replace(/^\uFEFF/, "");
  if (line.trim() === "") throw new DataError("file is empty (no header line)", { file });
  return line;
}

/** Splits one CSV line into fields (RFC 4180 quotes, doubled quotes inside). */
export function splitCsvLine(line: string, delimiter: string, file: string): string[] {
  const fields: string[] = [];
  let field = "";
  let i = 0;
  let quoted = false;
  while (i < line.length) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"') {
        if (line[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else field += ch;
    } else if (ch === '"' && field === "") quoted = true;
    else if (ch === delimiter) {
      fields.push(field);
      field = "";
    } else field += ch;
    i++;
  }
  if (quoted) throw new DataError("header line has an unterminated quote", { file, row: 0 });
  fields.push(field);
  return fields;
}
