/**
 * What a log file is, from its first bytes and its name: gzip or not, and which format. Content
 * wins over the name, so `events.log` holding JSON Lines reads as JSON Lines; the name decides
 * only between CSV and TSV when the header line has both commas and tabs.
 */
import { open, readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { createGunzip } from "node:zlib";
import { createReadStream } from "node:fs";
import { DataError, ParamError } from "../core/errors.js";

export const FORMATS = ["csv", "tsv", "json", "jsonl", "cloudtrail", "parquet", "zeek"] as const;
export type LogFormat = (typeof FORMATS)[number];

export function parseFormat(name: string): LogFormat {
  const f = name.toLowerCase() as LogFormat;
  if (!FORMATS.includes(f))
    throw new ParamError(`unknown format "${name}" (known: ${FORMATS.join(", ")})`);
  return f;
}

const SNIFF_BYTES = 64 * 1024;

/** Whether a file starts with the gzip magic number (1f 8b). */
export async function isGzip(file: string): Promise<boolean> {
  const fh = await open(file, "r");
  try {
    const buf = Buffer.alloc(2);
    const { bytesRead } = await fh.read(buf, 0, 2, 0);
    return bytesRead === 2 && buf[0] === 0x1f && buf[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

/** Up to the first 64 KiB of a file's content, decompressed when it is gzip. */
export async function head(file: string, gzip: boolean): Promise<Buffer> {
  const raw = createReadStream(file, gzip ? {} : { end: SNIFF_BYTES - 1 });
  const stream = gzip ? raw.pipe(createGunzip()) : raw;
  if (gzip) raw.on("error", (e) => (stream as ReturnType<typeof createGunzip>).destroy(e));
  const chunks: Buffer[] = [];
  let length = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      length += chunk.length;
      if (length >= SNIFF_BYTES) break;
    }
  } catch (e) {
    // A short or corrupt gzip still shows its first bytes; the full check happens on reading.
    if (length === 0) throw new DataError(`cannot read: ${(e as Error).message}`, { file });
  } finally {
    raw.destroy();
  }
  return Buffer.concat(chunks).subarray(0, SNIFF_BYTES);
}

/** The format of a file's content (`head` = its first bytes, decompressed), or of a directory. */
export function formatFromContent(file: string, content: Buffer): LogFormat {
  if (content.subarray(0, 4).toString("latin1") === "PAR1") return "parquet";
  const text = content.toString("utf8").replace(/^\uFEFF/, "");
  if (text.startsWith("#separator")) return "zeek";
  const trimmed = text.trimStart();
  if (trimmed.startsWith("[")) return "json";
  if (trimmed.startsWith("{")) {
    // AWS writes {"Records":[...]}; the key may come after whitespace and newlines.
    if (/^\{\s*"Records"\s*:\s*\[/.test(trimmed)) return "cloudtrail";
    // One complete object on the first line: JSON Lines; an object spread over lines: a document.
    try {
      JSON.parse(trimmed.split("\n", 1)[0]);
      return "jsonl";
    } catch {
      return "json";
    }
  }
  if (/\.tsv(\.gz)?$/i.test(file)) return "tsv";
  if (/\.csv(\.gz)?$/i.test(file)) return "csv";
  const firstLine = text.split("\n", 1)[0];
  const tabs = firstLine.split("\t").length;
  const commas = firstLine.split(",").length;
  return tabs > commas ? "tsv" : "csv";
}

/** Every file below a directory whose name ends in .json or .json.gz, in sorted path order. */
export async function jsonFilesBelow(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    const entries = await readdir(d, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const path = join(d, e.name);
      if (e.isDirectory()) await walk(path);
      else if (e.isFile() && /\.json(\.gz)?$/i.test(e.name)) out.push(path);
    }
  };
  await walk(dir);
  return out;
}

export interface Source {
  /** The path the user gave. */
  readonly path: string;
  /** The files read, in order (one unless `path` is a directory). */
  readonly files: readonly string[];
  readonly format: LogFormat;
}

/** Resolves a path to the files to read and their format (given, or detected). */
export async function resolveSource(path: string, format?: LogFormat): Promise<Source> {
  let info;
  try {
    info = await stat(path);
  } catch {
    throw new DataError("file not found", { file: path });
  }
  if (info.isDirectory()) {
    if (format !== undefined && format !== "cloudtrail" && format !== "jsonl")
      throw new ParamError(
        `${path} is a directory; only --format cloudtrail or jsonl read directory trees`,
      );
    const files = await jsonFilesBelow(path);
    if (files.length === 0)
      throw new DataError("directory holds no .json or .json.gz files", { file: path });
    return { path, files, format: format ?? "cloudtrail" };
  }
  if (info.size === 0) throw new DataError("file is empty (no header, no records)", { file: path });
  if (format !== undefined) return { path, files: [path], format };
  const content = await head(path, await isGzip(path));
  if (content.length === 0)
    throw new DataError("file is empty after decompression", { file: path });
  return { path, files: [path], format: formatFromContent(path, content) };
}
