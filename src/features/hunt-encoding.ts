/**
 * The hunt's encoding step when features come from a spec, `--fields`, or a saved model: fit
 * (or reuse) the encoder and transform the table.
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
}

export async function encodeForHunt(
  db: Db,
  table: LoadedTable,
  source: { spec?: Spec | "auto"; fields?: readonly string[]; fitted?: FittedFeatures },
): Promise<HuntEncoding> {
  if (source.fitted !== undefined) {
    return { ...(await transformFeatures(db, table, source.fitted)), fitted: source.fitted };
  }
  const spec =
    source.spec === "auto"
      ? proposeSpec(await profileTable(db, table))
      : (source.spec ?? fieldsSpec(source.fields ?? []));
  return fitTransform(db, table, spec);
}
