/**
 * The hunt's encoding step when features come from a spec, `--fields`, or a saved model: fit
 * (or reuse) the encoder and transform the table, and count distinct feature rows.
 */
import type { Matrix } from "../core/matrix.js";
import type { Db } from "../data/db.js";
import type { LoadedTable } from "../data/table.js";
import { fitTransform, transformFeatures, type FittedFeatures } from "./pipeline.js";
import { fieldsSpec, type Spec } from "./spec.js";
import { profileTable } from "../data/profile.js";
import { proposeSpec } from "./auto.js";

export interface HuntEncoding {
  readonly X: Matrix;
  readonly columns: readonly string[];
  readonly fitted: FittedFeatures;
  readonly distinctRows: number;
}

export async function encodeForHunt(
  db: Db,
  table: LoadedTable,
  source: { spec?: Spec | "auto"; fields?: readonly string[]; fitted?: FittedFeatures },
): Promise<HuntEncoding> {
  let encoded;
  if (source.fitted !== undefined) {
    encoded = { ...(await transformFeatures(db, table, source.fitted)), fitted: source.fitted };
  } else {
    const spec =
      source.spec === "auto"
        ? proposeSpec(await profileTable(db, table))
        : (source.spec ?? fieldsSpec(source.fields ?? []));
    encoded = await fitTransform(db, table, spec);
  }
  return { ...encoded, distinctRows: distinctRowCount(encoded.X) };
}

/** Rows of X that differ in at least one value (bit-exact). */
export function distinctRowCount(X: Matrix): number {
  const seen = new Set<string>();
  const bytes = Buffer.from(X.data.buffer, X.data.byteOffset, X.data.byteLength);
  const width = X.cols * 8;
  // latin1 maps bytes to characters one to one: equal keys, equal rows.
  for (let i = 0; i < X.rows; i++) seen.add(bytes.toString("latin1", i * width, (i + 1) * width));
  return seen.size;
}
