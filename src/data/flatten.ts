/**
 * Nested records to flat columns. Objects flatten to dotted names (`userIdentity.arn`), as
 * pandas' json_normalize and the DUNE CSV name them; arrays, objects nested deeper than
 * MAX_FLATTEN_DEPTH keys, and values whose type varies between records (an object in one record,
 * a string in another) stay whole, as JSON text columns.
 */
import { DataError } from "../core/errors.js";

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

/**
 * Columns for records of the merged structure `structure` (DuckDB's json_group_structure: an
 * object of keys to nested structures, `[x]` for arrays, a type name for scalars, "JSON" where
 * records disagree).
 */
export function flatColumns(structure: unknown, file: string): FlatColumn[] {
  if (structure === null || typeof structure !== "object" || Array.isArray(structure))
    throw new DataError("records are not JSON objects", { file });
  const out: FlatColumn[] = [];
  const seen = new Map<string, number>();
  const add = (path: string[], kind: FlatColumn["kind"]): void => {
    let name = path.join(".");
    // A key with a dot in it can meet a flattened name ({"a.b":1} and {"a":{"b":2}}), and JSON
    // keys may differ in case only; later ones get a numbered suffix rather than vanish.
    const base = name;
    let n = seen.get(name.toLowerCase());
    while (n !== undefined) {
      seen.set(base.toLowerCase(), n + 1);
      name = `${base}~${n + 1}`;
      n = seen.get(name.toLowerCase());
    }
    seen.set(name.toLowerCase(), 1);
    if (out.length >= MAX_FLAT_COLUMNS)
      throw new DataError(
        `records flatten to more than ${MAX_FLAT_COLUMNS} columns; they are too ragged to tabulate`,
        { file },
      );
    out.push({ name, path, kind });
  };
  const walk = (node: unknown, path: string[]): void => {
    if (node !== null && typeof node === "object" && !Array.isArray(node)) {
      const keys = Object.keys(node);
      if (path.length >= MAX_FLATTEN_DEPTH || keys.length === 0) {
        add(path, "json");
        return;
      }
      for (const k of keys) walk((node as Record<string, unknown>)[k], [...path, k]);
    } else if (Array.isArray(node) || node === "JSON") add(path, "json");
    else add(path, "text");
  };
  for (const k of Object.keys(structure)) walk((structure as Record<string, unknown>)[k], [k]);
  return out;
}

/** A DuckDB JSON path for object keys, each quoted so dots and spaces in keys stay keys. */
export function jsonPath(path: readonly string[]): string {
  return "$" + path.map((k) => `."${k.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`).join("");
}
