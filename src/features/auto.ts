/**
 * `auto` mode: a spec proposed from a profile (src/data/profile.ts), one or more features per
 * column by its suggested encoding. A starting point to read and edit, not a tuned spec:
 *
 * - category → pandas codes; frequency → frequency; numeric → standard scaling;
 *   log1p → log1p then robust scaling; port → port classes; ip → address class and the
 *   frequency of its /24; timestamp → hour and weekday;
 * - drop and label columns are left out (labels must not be features).
 */
import type { Profile } from "../data/profile.js";
import { parseSpec, SPEC_FORMAT, SPEC_VERSION, type Spec } from "./spec.js";

/** The spec as plain JSON (what `profile --spec` prints), before validation. */
export function proposeSpecJson(profile: Profile): Record<string, unknown> {
  const features: Record<string, unknown>[] = [];
  for (const c of profile.columns) {
    const column = c.name;
    const optional = c.nulls === profile.rows ? { optional: true } : {};
    switch (c.suggest) {
      case "category":
        features.push({ column, encode: "codes", ...optional });
        break;
      case "frequency":
        features.push({ column, encode: "frequency", ...optional });
        break;
      case "numeric":
        features.push({ column, encode: "numeric", scale: "standard", ...optional });
        break;
      case "log1p":
        features.push({ column, encode: "numeric", log1p: true, scale: "robust", ...optional });
        break;
      case "port":
        features.push({ column, encode: "portclass", ...optional });
        break;
      case "ip":
        features.push({ column, encode: "ipclass", ...optional });
        features.push({ column, derive: "prefix24", encode: "frequency", ...optional });
        break;
      case "timestamp":
        features.push({ column, encode: "hour", ...optional });
        features.push({ column, encode: "weekday", ...optional });
        break;
      case "drop":
      case "label":
        break;
    }
  }
  return { format: SPEC_FORMAT, version: SPEC_VERSION, features };
}

export function proposeSpec(profile: Profile): Spec {
  return parseSpec(proposeSpecJson(profile), process.cwd(), `auto spec for ${profile.file}`);
}
