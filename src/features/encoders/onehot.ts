/**
 * One-hot of the k most frequent training values (ties broken by code point order), plus one
 * `other` column that is 1 for every other non-missing value, seen in training or not. A
 * missing value is all zeros.
 */
import { z } from "zod";
import { ident } from "../../data/db.js";
import { allRows, type Encoder } from "../encoder.js";
import { createLookup, inputOptions } from "./common.js";

const options = z.strictObject({
  encode: z.literal("onehot"),
  ...inputOptions,
  top: z.int().min(1).max(1000).default(10).describe("Columns for the k most frequent values."),
});
type Options = z.infer<typeof options>;

const state = z.object({ values: z.array(z.string()) });
type State = z.infer<typeof state>;

export const onehot: Encoder<Options, State> = {
  encode: "onehot",
  summary: "0/1 columns for the top-k training values, and one for any other value",
  options,
  state,
  async fit(ctx, f) {
    const v = ctx.input(f);
    const rows = await allRows(
      ctx.db,
      `SELECT ${v} AS v FROM ${ctx.view} WHERE ${v} IS NOT NULL GROUP BY ALL ORDER BY count(*) DESC, v LIMIT ${f.top}`,
    );
    return { values: rows.map((r) => r[0] as string) };
  },
  outputs: (name, _f, s) => [...s.values.map((v) => `${name}=${v}`), `${name}=(other)`],
  async plan(ctx, f, s) {
    const table = ctx.tempName("onehot");
    await createLookup(ctx.db, table, s.values, [Float64Array.from(s.values, (_, k) => k)]);
    const v = ctx.input(f);
    const t = ident(table);
    return {
      joins: [`LEFT JOIN ${t} ON ${t}.v = ${v}`],
      exprs: [
        ...s.values.map((_, k) => `CASE WHEN ${t}.x0 = ${k} THEN 1.0 ELSE 0.0 END`),
        `CASE WHEN ${v} IS NOT NULL AND ${t}.x0 IS NULL THEN 1.0 ELSE 0.0 END`,
      ],
    };
  },
};
