/**
 * Nested records to flat columns. Objects flatten to dotted names (`userIdentity.arn`), as
 * pandas' json_normalize and the DUNE CSV name them; arrays, objects nested deeper than
 * MAX_FLATTEN_DEPTH keys, and values DuckDB cannot type as one structure across records stay
 * whole, as JSON text columns.
 */
import { DataError } from "../core/errors.js";
import { ident, literal } from "./db.js";

/** Keys in a flattened name at most; `userIdentity.sessionContext.sessionIssuer.arn` is four. */
export const MAX_FLATTEN_DEPTH = 4;
/** Columns a flattening may produce; beyond this the records are too ragged to tabulate. */
export const MAX_FLAT_COLUMNS = 20_000;

export interface FlatColumn {
  /** Dotted name, unique case-insensitively. */
  readonly name: string;
  /** Object keys from the record's root. */
  readonly path: readonly string[];
  /** "text": a scalar, as its text; "json": the value as JSON text. */
  readonly kind: "text" | "json";
}

/** Splits DuckDB's `STRUCT(a INTEGER, "b c" VARCHAR)` type text into its fields, or undefined. */
export function structFields(type: string): [string, string][] | undefined {
  const m = /^STRUCT\((.*)\)$/s.exec(type);
  if (!m) return undefined;
  const body = m[1];
  const out: [string, string][] = [];
  let depth = 0;
  let start = 0;
  let quoted = false;
  const push = (part: string): void => {
    const nm = /^("(?:[^"]|"")*"|\S+)\s+(.*)$/s.exec(part.trim());
    if (!nm) return;
    const name = nm[1].startsWith('"') ? nm[1].slice(1, -1).replace(/""/g, '"') : nm[1];
    out.push([name, nm[2]]);
  };
  for (let i = 0; i < body.length; i++) {
    const ch = body[i];
    if (ch === '"') quoted = !quoted;
    else if (quoted) continue;
    else if (ch === "(" || ch === "[") depth++;
    else if (ch === ")" || ch === "]") depth--;
    else if (ch === "," && depth === 0) {
      push(body.slice(start, i));
      start = i + 1;
    }
  }
  push(body.slice(start));
  return out;
}

/**
 * Flat columns for records whose top-level fields have these DuckDB types (as DuckDB's JSON
 * and Parquet readers infer them): STRUCTs flatten, lists, maps and JSON stay JSON text.
 */
export function flatColumns(fields: readonly [string, string][], file: string): FlatColumn[] {
  const out: FlatColumn[] = [];
  const seen = new Set<string>();
  const add = (path: string[], kind: FlatColumn["kind"]): void => {
    const base = path.join(".");
    // A key with a dot in it can meet a flattened name ({"a.b":1} and {"a":{"b":2}}), and JSON
    // keys may differ in case only; later ones get a numbered suffix rather than vanish.
    let name = base;
    for (let n = 2; seen.has(name.toLowerCase()); n++) name = `${base}~${n}`;
    seen.add(name.toLowerCase());
    if (out.length >= MAX_FLAT_COLUMNS)
      throw new DataError(
        `records flatten to more than ${MAX_FLAT_COLUMNS} columns; they are too ragged to tabulate`,
        { file },
      );
    out.push({ name, path, kind });
  };
  const walk = (type: string, path: string[]): void => {
    const inner = structFields(type);
    if (inner !== undefined) {
      if (path.length >= MAX_FLATTEN_DEPTH || inner.length === 0) add(path, "json");
      else for (const [k, t] of inner) walk(t, [...path, k]);
    } else if (/\[\d*\]$|^MAP\(|^JSON$|^UNION\(/.test(type)) add(path, "json");
    else add(path, "text");
  };
  for (const [k, t] of fields) walk(t, [k]);
  return out;
}

/** SQL for a flat column's value: its STRUCT keys followed from the top-level column. */
export function structPath(path: readonly string[]): string {
  let expr = ident(path[0]);
  for (const k of path.slice(1)) expr = `struct_extract(${expr}, ${literal(k)})`;
  return expr;
}
