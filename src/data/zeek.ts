/**
 * Zeek logs in their TSV form: a block of `#` lines (separator, unset and empty markers, field
 * names and types) then tab-separated records, `#close` at the end. Column names come from
 * `#fields`; a field equal to the `#unset_field` marker (`-`) reads as missing; `(empty)` (an
 * empty set or string) stays as written. Extra labelled columns (Stratosphere's `label`,
 * `detailedlabel`) are ordinary fields.
 */
import { createReadStream } from "node:fs";
import { createGunzip } from "node:zlib";
import { DataError } from "../core/errors.js";
import type { Db } from "./db.js";
import { loadDelimited } from "./delimited.js";
import { isGzip } from "./sniff.js";
import type { LoadedTable, OnBadRows } from "./table.js";

export interface ZeekHeader {
  readonly separator: string;
  readonly unset: string;
  readonly fields: readonly string[];
  readonly types: readonly string[];
  /** `#` lines before the first record. */
  readonly lines: number;
}

/** `\x09` and friends, as Zeek writes its separator. */
function unescape(s: string): string {
  return s.replace(/\\x([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

export async function readZeekHeader(file: string): Promise<ZeekHeader> {
  const raw = createReadStream(file);
  const gzip = await isGzip(file);
  const stream = gzip ? raw.pipe(createGunzip()) : raw;
  let text = "";
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      text += chunk.toString("utf8");
      if (/\n[^#]/.test(text) || text.length > 1024 * 1024) break;
    }
  } catch (e) {
    throw new DataError(`cannot read Zeek header: ${(e as Error).message}`, { file });
  } finally {
    raw.destroy();
  }
  const headerLines: string[] = [];
  for (const line of text.split("\n")) {
    if (!line.startsWith("#")) break;
    headerLines.push(line.replace(/\r$/, ""));
  }
  const first = headerLines[0] ?? "";
  const sep = /^#separator[ \t](.*)$/.exec(first);
  if (!sep) throw new DataError('not a Zeek log: the first line is not "#separator …"', { file });
  const separator = unescape(sep[1]);
  const value = (key: string): string[] | undefined => {
    const line = headerLines.find((l) => l.startsWith(`#${key}${separator}`));
    return line?.split(separator).slice(1);
  };
  const fields = value("fields");
  if (fields === undefined || fields.length === 0)
    throw new DataError("Zeek log has no #fields line", { file });
  return {
    separator,
    unset: value("unset_field")?.[0] ?? "-",
    fields,
    types: value("types") ?? [],
    lines: headerLines.length,
  };
}

export async function loadZeek(db: Db, file: string, onBadRows: OnBadRows): Promise<LoadedTable> {
  const header = await readZeekHeader(file);
  return loadDelimited(db, file, {
    delimiter: header.separator,
    names: header.fields,
    onBadRows,
    zeek: { unset: header.unset },
    headerLines: header.lines,
    format: "zeek",
  });
}
