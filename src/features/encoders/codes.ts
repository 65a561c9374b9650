/**
 * Category codes with pandas semantics (`Series.astype('category').cat.codes`): the categories
 * are the distinct non-missing values of the training column, sorted (text by Unicode code
 * point, as Python sorts str; or numerically when asked), and a value's code is its position in
 * that list. Missing values get -1, as in pandas; values not seen in training get `unseen`
 * (default -1, which is what `pd.Categorical(values, categories=training)` gives).
 */
import { z } from "zod";
import { ident } from "../../data/db.js";
import { allRows, num, type Encoder } from "../encoder.js";
import { createLookup, inputOptions } from "./common.js";

const options = z.strictObject({
  encode: z.literal("codes"),
  ...inputOptions,
  order: z
    .enum(["text", "numeric"])
    .default("text")
    .describe(
      "Sort categories as text (code point order, pandas on strings) or as numbers (pandas on a numeric column).",
    ),
  missing: z.number().default(-1).describe("Code of a missing value (pandas: -1)."),
  unseen: z.number().default(-1).describe("Code of a value not seen in training."),
});
type Options = z.infer<typeof options>;

const state = z.object({ categories: z.array(z.string()) });
type State = z.infer<typeof state>;

export const codes: Encoder<Options, State> = {
  encode: "codes",
  summary: "pandas category codes: sorted training categories, missing -1, unseen -1",
  options,
  state,
  async fit(ctx, f) {
    const v = ctx.input(f);
    if (f.order === "numeric")
      await ctx.checkRows(
        `${v} IS NOT NULL AND TRY_CAST(${v} AS DOUBLE) IS NULL`,
        f.column,
        "is not a number (order: numeric)",
      );
    // Binary (code point) collation is DuckDB's default for VARCHAR, as Python compares str.
    const order = f.order === "numeric" ? `TRY_CAST(v AS DOUBLE), v` : "v";
    const rows = await allRows(
      ctx.db,
      `SELECT v FROM (SELECT DISTINCT ${v} AS v FROM ${ctx.view} WHERE ${v} IS NOT NULL) ORDER BY ${order}`,
    );
    return { categories: rows.map((r) => r[0] as string) };
  },
  outputs: (name) => [name],
  async plan(ctx, f, s) {
    const table = ctx.tempName("codes");
    await createLookup(ctx.db, table, s.categories, [Float64Array.from(s.categories, (_, k) => k)]);
    const v = ctx.input(f);
    const t = ident(table);
    return {
      joins: [`LEFT JOIN ${t} ON ${t}.v = ${v}`],
      exprs: [
        `CASE WHEN ${v} IS NULL THEN ${num(f.missing)} ELSE coalesce(${t}.x0, ${num(f.unseen)}) END`,
      ],
    };
  },
};
