/**
 * The complete text of a few records of a JSON Lines file, by record number: a hunt that read
 * only its features' fields fetches the records it flags this way, instead of typing every field
 * of every record (src/hunt/records.ts).
 *
 * Record numbers are those of src/data/json-scan.ts: 1-based ordinals among non-blank lines, so
 * they agree with the reader's row order and with the record numbers of skipped bad lines.
 */
import { createReadStream, createWriteStream } from "node:fs";
import { once } from "node:events";
import { finished } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { DataError } from "../core/errors.js";

const NEWLINE = 0x0a;
const CR = 0x0d;

function source(file: string, gzip: boolean): AsyncIterable<Buffer> {
  const raw = createReadStream(file, { highWaterMark: 1 << 20 });
  if (!gzip) return raw;
  const gunzip = createGunzip();
  raw.on("error", (e) => gunzip.destroy(e));
  return raw.pipe(gunzip);
}

/**
 * True if a line holds nothing but whitespace, as json-scan.ts decides it (`String.trim`). ASCII
 * bytes are judged directly; a line whose first non-blank ASCII byte is not ASCII is decoded,
 * since trim also removes Unicode spaces (rare: only then is anything decoded).
 */
function isBlankLine(line: Buffer): boolean {
  for (let i = 0; i < line.length; i++) {
    const b = line[i];
    if (b === 0x20 || (b >= 0x09 && b <= 0x0d)) continue;
    if (b < 0x80) return false;
    return line.toString("utf8").trim() === "";
  }
  return true;
}

/**
 * Writes the records numbered `records` (1-based, strictly ascending) to `out`, one line each in
 * that order, without a trailing carriage return; each written line is exactly the record's text.
 */
export async function pickJsonLines(
  file: string,
  gzip: boolean,
  records: ArrayLike<number>,
  out: string,
): Promise<void> {
  for (let k = 1; k < records.length; k++)
    if (!(records[k] > records[k - 1]))
      throw new RangeError("record numbers must be strictly ascending");
  const sink = createWriteStream(out);
  const written: Buffer[] = [];
  let pending = 0;
  let next = 0; // index into records of the next wanted one
  let record = 0;
  let carry: Buffer | undefined;
  const take = async (line: Buffer): Promise<void> => {
    if (next >= records.length || isBlankLine(line)) return;
    record++;
    if (record !== records[next]) return;
    next++;
    const end = line.length > 0 && line[line.length - 1] === CR ? line.length - 1 : line.length;
    // Copied: the chunk it points into is reused by the stream.
    written.push(Buffer.from(line.subarray(0, end)), Buffer.from("\n"));
    pending += end + 1;
    if (pending > 1 << 20) {
      if (!sink.write(Buffer.concat(written))) await once(sink, "drain");
      written.length = 0;
      pending = 0;
    }
  };
  try {
    for await (const chunk of source(file, gzip)) {
      let start = 0;
      for (;;) {
        const at = chunk.indexOf(NEWLINE, start);
        if (at < 0) break;
        const piece = chunk.subarray(start, at);
        if (carry !== undefined) {
          await take(Buffer.concat([carry, piece]));
          carry = undefined;
        } else await take(piece);
        start = at + 1;
      }
      if (next >= records.length) break;
      const rest = chunk.subarray(start);
      carry = carry === undefined ? Buffer.from(rest) : Buffer.concat([carry, rest]);
    }
    if (carry !== undefined && carry.length > 0) await take(carry);
  } catch (e) {
    sink.destroy();
    throw new DataError(`cannot read: ${(e as Error).message}`, { file });
  }
  sink.end(Buffer.concat(written));
  await finished(sink);
  if (next < records.length)
    throw new DataError(
      `record ${records[next]} not found (the file has ${record} records); did it change during the hunt?`,
      { file },
    );
}
