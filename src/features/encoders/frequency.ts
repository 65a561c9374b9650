/**
 * Frequency encoding: a value becomes its share of the training rows. Rare values (the
 * interesting ones in a hunt) get small numbers without a column per value. Missing values are a
 * value of their own (their training share); values not seen in training get 0.
 */
import { z } from "zod";
import { ident } from "../../data/db.js";
import { allRows, type Encoder } from "../encoder.js";
import { createLookup, inputOptions } from "./common.js";

const options = z.strictObject({ encode: z.literal("frequency"), ...inputOptions });
type Options = z.infer<typeof options>;

const state = z.object({
  values: z.array(z.string()),
  shares: z.instanceof(Float64Array),
  missingShare: z.number(),
});
type State = z.infer<typeof state>;

export const frequency: Encoder<Options, State> = {
  encode: "frequency",
  summary: "share of training rows with the value; unseen 0",
  options,
  state,
  async fit(ctx, f) {
    const v = ctx.input(f);
    const rows = await allRows(
      ctx.db,
      `SELECT v, c / sum(c) OVER () FROM (SELECT ${v} AS v, count(*)::DOUBLE AS c FROM ${ctx.view} GROUP BY ALL) ORDER BY v NULLS FIRST`,
    );
    let missingShare = 0;
    const values: string[] = [];
    const shares: number[] = [];
    for (const [value, share] of rows) {
      if (value === null) missingShare = share as number;
      else {
        values.push(value as string);
        shares.push(share as number);
      }
    }
    return { values, shares: Float64Array.from(shares), missingShare };
  },
  outputs: (name) => [name],
  async plan(ctx, f, s) {
    const table = ctx.tempName("freq");
    await createLookup(ctx.db, table, s.values, [s.shares]);
    const v = ctx.input(f);
    const t = ident(table);
    return {
      joins: [`LEFT JOIN ${t} ON ${t}.v = ${v}`],
      exprs: [
        `CASE WHEN ${v} IS NULL THEN ${s.missingShare}::DOUBLE ELSE coalesce(${t}.x0, 0.0) END`,
      ],
    };
  },
};
