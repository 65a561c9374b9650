/**
 * A full integrity check of a gzip file. DuckDB stops quietly at the end of a truncated gzip
 * stream, so a file cut at a line boundary would read as a shorter, valid file and its lost
 * records would vanish without a word. Node's zlib checks the trailer (CRC and length) and
 * fails on a short stream; we run it alongside DuckDB's read, so it costs little wall time.
 */
import { createReadStream } from "node:fs";
import { createGunzip } from "node:zlib";
import { DataError } from "../core/errors.js";

export async function verifyGzip(file: string): Promise<void> {
  const raw = createReadStream(file);
  const gunzip = createGunzip();
  raw.on("error", (e) => gunzip.destroy(e));
  let bytes = 0;
  try {
    for await (const chunk of raw.pipe(gunzip) as AsyncIterable<Buffer>) bytes += chunk.length;
  } catch (e) {
    const reason = (e as Error).message;
    throw new DataError(
      `gzip stream is truncated or corrupt (${reason}) after ${bytes} decompressed bytes; ` +
        "the file is incomplete, so it is not read at all",
      { file },
    );
  } finally {
    raw.destroy();
  }
}
