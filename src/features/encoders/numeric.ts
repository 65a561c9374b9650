/**
 * Numbers, optionally log1p-transformed, then scaled with statistics of the training column:
 * standard ((x − mean) / population std), minmax ((x − min) / (max − min)) or robust
 * ((x − median) / IQR, quartiles by linear interpolation), as scikit-learn's scalers do; a zero
 * spread scales by 1, as they do. log1p keeps the sign of negative values: sign(x)·log1p(|x|).
 *
 * Missing values, and values that read as numbers but are not finite (CICFlowMeter writes
 * Infinity and NaN), become `missing` after scaling (default 0: the mean under standard
 * scaling). Text that is not a number is an error naming its row.
 */
import { z } from "zod";
import { num, scalarRow, type EncodeContext, type Encoder } from "../encoder.js";
import { inputOptions } from "./common.js";

const options = z.strictObject({
  encode: z.literal("numeric"),
  ...inputOptions,
  log1p: z.boolean().default(false).describe("sign(x)·log1p(|x|) before scaling."),
  scale: z.enum(["none", "standard", "minmax", "robust"]).default("none"),
  missing: z.number().default(0).describe("Output for missing or non-finite values."),
});
type Options = z.infer<typeof options>;

const state = z.object({ center: z.number(), scale: z.number() });
type State = z.infer<typeof state>;

/** A checked numeric reading of the input: finite DOUBLE or NULL. Throws on text. */
export async function numericInput(
  ctx: EncodeContext,
  f: { column?: string; optional?: boolean; derive?: string },
  check: boolean,
): Promise<string> {
  const v = ctx.input(f);
  if (check)
    await ctx.checkRows(
      `${v} IS NOT NULL AND TRY_CAST(${v} AS DOUBLE) IS NULL`,
      f.column ?? "?",
      "is not a number",
    );
  return `(CASE WHEN isfinite(TRY_CAST(${v} AS DOUBLE)) THEN TRY_CAST(${v} AS DOUBLE) END)`;
}

function transformed(x: string, log1p: boolean): string {
  return log1p ? `(sign(${x}) * ln(1 + abs(${x})))` : x;
}

export const numeric: Encoder<Options, State> = {
  encode: "numeric",
  summary: "numbers, optionally log1p, scaled standard / minmax / robust",
  options,
  state,
  async fit(ctx, f) {
    const x = transformed(await numericInput(ctx, f, true), f.log1p);
    if (f.scale === "none") return { center: 0, scale: 1 };
    const stats =
      f.scale === "standard"
        ? `avg(${x}), stddev_pop(${x})`
        : f.scale === "minmax"
          ? `min(${x}), max(${x}) - min(${x})`
          : `quantile_cont(${x}, 0.5), quantile_cont(${x}, 0.75) - quantile_cont(${x}, 0.25)`;
    const [center, spread] = (await scalarRow(ctx.db, `SELECT ${stats} FROM ${ctx.view}`)) as (
      number | null
    )[];
    // No finite training value: nothing to centre on, so the input passes through unscaled.
    return {
      center: center ?? 0,
      scale: spread === null || spread === 0 || !Number.isFinite(spread) ? 1 : spread,
    };
  },
  outputs: (name) => [name],
  async plan(ctx, f, s) {
    const x = transformed(await numericInput(ctx, f, true), f.log1p);
    return {
      exprs: [`coalesce((${x} - ${num(s.center)}) / ${num(s.scale)}, ${num(f.missing)})`],
    };
  },
};
