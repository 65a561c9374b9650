/**
 * Country proximity rank (src/features/countries.ts): a country code, or a country name as the
 * countries table writes it, becomes its rank by distance from the home country; anything else,
 * missing included, is `default` (the notebook's 1000).
 */
import { z } from "zod";
import { ident } from "../../data/db.js";
import { num, type Encoder } from "../encoder.js";
import { proximityRanks, readCountries } from "../countries.js";
import { createLookup, inputOptions } from "./common.js";

const options = z.strictObject({
  encode: z.literal("countryrank"),
  ...inputOptions,
  home: z.string().length(2).describe("Alpha-2 code of the home country (rank 0)."),
  countries: z.string().min(1).describe("Path of the countries table (name, code, lat, lon)."),
  default: z
    .number()
    .default(1000)
    .describe("Rank of an unknown or missing country (notebook: 1000)."),
});
type Options = z.infer<typeof options>;

const state = z.object({ keys: z.array(z.string()), ranks: z.instanceof(Float64Array) });
type State = z.infer<typeof state>;

export const countryRank: Encoder<Options, State> = {
  encode: "countryrank",
  summary: "rank of the country by geodesic proximity to a home country (unknown 1000)",
  options,
  state,
  async fit(_ctx, f) {
    const countries = await readCountries(f.countries);
    const ranks = proximityRanks(countries, f.home);
    // Codes and names both map to a rank; a code listed twice keeps its first (smaller) rank.
    const byKey = new Map<string, number>();
    countries.forEach((c, i) => {
      for (const key of [c.code, c.name]) {
        const known = byKey.get(key);
        if (known === undefined || ranks[i] < known) byKey.set(key, ranks[i]);
      }
    });
    const keys = [...byKey.keys()].sort();
    return { keys, ranks: Float64Array.from(keys, (k) => byKey.get(k)!) };
  },
  outputs: (name) => [name],
  async plan(ctx, f, s) {
    const table = ctx.tempName("country");
    await createLookup(ctx.db, table, s.keys, [s.ranks]);
    const t = ident(table);
    return {
      joins: [`LEFT JOIN ${t} ON ${t}.v = ${ctx.input(f)}`],
      exprs: [`coalesce(${t}.x0, ${num(f.default)})`],
    };
  },
};
