/**
 * The feature spec: a JSON file naming, per feature, an input column and an encoding, with that
 * encoding's options. Validated here, once, by each encoder's zod schema; a typo in a key is an
 * error, not a silently ignored option.
 *
 * ```json
 * {
 *   "format": "anomalog-features", "version": 1,
 *   "entity": "userIdentity.arn", "time": "eventTime",
 *   "features": [
 *     {"column": "eventName", "encode": "codes"},
 *     {"column": "sourceIPAddress", "encode": "frequency"},
 *     {"column": "eventTime", "encode": "hour"},
 *     {"encode": "rolling", "window": "1h", "distinct": "sourceIPAddress"}
 *   ]
 * }
 * ```
 *
 * Spec-level `entity`, `time`, `home` and `countries` are defaults for the features that take
 * them. Relative paths (`ip2asn`, `countries`) are relative to the spec file.
 */
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { z } from "zod";
import { parse as parseYaml } from "yaml";
import { ParamError } from "../core/errors.js";
import type { AnyEncoder } from "./encoder.js";
import { codes } from "./encoders/codes.js";
import { countryRank } from "./encoders/country-rank.js";
import { frequency } from "./encoders/frequency.js";
import { hashing } from "./encoders/hashing.js";
import { indicator, sign } from "./encoders/indicator.js";
import { ipClass, portClass } from "./encoders/network.js";
import { numeric } from "./encoders/numeric.js";
import { onehot } from "./encoders/onehot.js";
import { delta, rolling, shift, timePart } from "./encoders/time.js";

export const SPEC_FORMAT = "anomalog-features";
export const SPEC_VERSION = 1;

/** Every encoding by its `encode` name. */
export const ENCODERS: ReadonlyMap<string, AnyEncoder> = new Map<string, AnyEncoder>([
  ["codes", codes],
  ["frequency", frequency],
  ["onehot", onehot],
  ["hash", hashing],
  ["numeric", numeric],
  ["indicator", indicator],
  ["sign", sign],
  ["hour", timePart],
  ["weekday", timePart],
  ["delta", delta],
  ["rolling", rolling],
  ["shift", shift],
  ["ipclass", ipClass],
  ["portclass", portClass],
  ["countryrank", countryRank],
]);

const specSchema = z.strictObject({
  format: z.literal(SPEC_FORMAT).optional(),
  version: z.literal(SPEC_VERSION).default(SPEC_VERSION),
  entity: z.string().min(1).optional().describe("Default entity column of delta, rolling, shift."),
  time: z.string().min(1).optional().describe("Default time column of rolling and shift."),
  home: z.string().length(2).optional().describe("Default home country of countryrank."),
  countries: z.string().min(1).optional().describe("Default countries table of countryrank."),
  ip2asn: z.string().min(1).optional().describe("iptoasn.com v4 table, for derive: asn | country."),
  features: z.array(z.record(z.string(), z.unknown())).min(1),
});

/** A feature entry after validation: `encode` plus that encoder's options, defaults filled. */
export type Feature = { readonly encode: string } & Record<string, unknown>;

export interface Spec {
  readonly format: typeof SPEC_FORMAT;
  readonly version: number;
  readonly ip2asn?: string;
  readonly features: readonly Feature[];
}

const DEFAULTED = ["entity", "time", "home", "countries"] as const;

/** Validates a spec object; `baseDir` resolves relative paths. */
export function parseSpec(raw: unknown, baseDir = process.cwd(), source = "spec"): Spec {
  const top = specSchema.safeParse(raw);
  if (!top.success)
    throw new ParamError(`${source}: ${z.prettifyError(top.error).replace(/\n/g, "; ")}`);
  const s = top.data;
  const features = s.features.map((entry, k): Feature => {
    const encode = entry.encode;
    const encoder = typeof encode === "string" ? ENCODERS.get(encode) : undefined;
    if (encoder === undefined)
      throw new ParamError(
        `${source}: feature ${k + 1}: encode ${JSON.stringify(encode)} is not one of ${[...ENCODERS.keys()].join(", ")}`,
      );
    const withDefaults: Record<string, unknown> = { ...entry };
    const shape = (encoder.options as unknown as { shape?: Record<string, unknown> }).shape ?? {};
    for (const key of DEFAULTED)
      if (withDefaults[key] === undefined && key in shape && s[key] !== undefined)
        withDefaults[key] = s[key];
    if (typeof withDefaults.countries === "string")
      withDefaults.countries = resolve(baseDir, withDefaults.countries);
    const parsed = encoder.options.safeParse(withDefaults);
    if (!parsed.success)
      throw new ParamError(
        `${source}: feature ${k + 1} (${encode}): ${z.prettifyError(parsed.error).replace(/\n/g, "; ")}`,
      );
    return parsed.data as Feature;
  });
  if (features.some((f) => f.derive === "asn" || f.derive === "country") && s.ip2asn === undefined)
    throw new ParamError(`${source}: derive asn / country needs the spec's "ip2asn" table path`);
  return {
    format: SPEC_FORMAT,
    version: s.version,
    ...(s.ip2asn !== undefined ? { ip2asn: resolve(baseDir, s.ip2asn) } : {}),
    features,
  };
}

/**
 * A spec file: YAML when its name ends in .yaml or .yml, JSON otherwise. YAML is read as a
 * plain document (no custom tags), so both spellings validate through the same schema.
 */
export async function readSpecFile(path: string): Promise<Spec> {
  const yaml = /\.ya?ml$/i.test(path);
  let raw: unknown;
  try {
    const text = await readFile(path, "utf8");
    raw = yaml ? parseYaml(text, { prettyErrors: true }) : JSON.parse(text);
  } catch (e) {
    const kind = yaml ? "YAML" : "JSON";
    throw new ParamError(`${path}: not a readable ${kind} feature spec (${(e as Error).message})`);
  }
  return parseSpec(raw, dirname(resolve(path)), path);
}

/**
 * `--fields a,b,c`: the CloudTrail notebook's encoding exactly, pandas category codes of each
 * field's raw text (sorted categories, missing −1), unscaled.
 */
export function fieldsSpec(fields: readonly string[]): Spec {
  if (fields.length === 0) throw new ParamError("--fields needs at least one column");
  return parseSpec({ features: fields.map((column) => ({ column, encode: "codes" })) });
}

/** The display name of a feature: its `name`, or one made from its column and encoding. */
export function featureName(f: Feature): string {
  if (typeof f.name === "string") return f.name;
  switch (f.encode) {
    case "rolling":
      return `${String(f.entity)}:${f.distinct !== undefined ? `distinct ${String(f.distinct)}` : "events"}/${String(f.window)}`;
    case "shift":
      return `${String(f.of)}:prev`;
    case "codes":
      if (f.derive === undefined) return String(f.column);
  }
  return [f.column, f.derive, f.encode].filter((p) => p !== undefined).join(":");
}

/** Every column a spec reads (what a reader must load for it). */
export function specColumns(spec: Spec): string[] {
  const out = new Set<string>();
  for (const f of spec.features)
    for (const key of ["column", "distinct", "entity", "time"])
      if (typeof f[key] === "string") out.add(f[key]);
  return [...out];
}
