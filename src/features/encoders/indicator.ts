/**
 * Flags and signs, for the hand-made features of the BETH notebooks: `processId in {0, 1, 2}`,
 * `userId < 1000`, `mountNamespace == 4026531840`, the sign of `returnValue`.
 *
 * `indicator` is 1 where the test holds, else 0 (and `missing`, default 0, for a missing value).
 * With `in`, numbers in the list compare numerically and text compares as text. `sign` is −1, 0
 * or 1 (missing: 0).
 */
import { z } from "zod";
import { literal } from "../../data/db.js";
import { num, type Encoder } from "../encoder.js";
import { inputOptions } from "./common.js";
import { numericInput } from "./numeric.js";

const COMPARISONS = { lt: "<", le: "<=", gt: ">", ge: ">=", eq: "=", ne: "<>" } as const;

const options = z.strictObject({
  encode: z.literal("indicator"),
  ...inputOptions,
  op: z.enum(["in", "lt", "le", "gt", "ge", "eq", "ne"]),
  value: z.number().optional().describe("Right-hand side of lt/le/gt/ge/eq/ne."),
  values: z
    .array(z.union([z.number(), z.string()]))
    .optional()
    .describe("Set for `in`."),
  missing: z.number().default(0),
});
type Options = z.infer<typeof options>;

const signOptions = z.strictObject({ encode: z.literal("sign"), ...inputOptions });
type SignOptions = z.infer<typeof signOptions>;

const empty = z.object({});

export const indicator: Encoder<Options, Record<string, never>> = {
  encode: "indicator",
  summary: "1 where a comparison or set membership holds, else 0",
  options: options.refine((o) => (o.op === "in" ? o.values !== undefined : o.value !== undefined), {
    message: "`in` needs `values`; the comparisons need `value`",
  }),
  state: empty as unknown as z.ZodType<Record<string, never>>,
  fit: () => Promise.resolve({}),
  outputs: (name) => [name],
  async plan(ctx, f) {
    const text = ctx.input(f);
    const needsNumber = f.op !== "in" || f.values!.some((v) => typeof v === "number");
    const x = needsNumber ? await numericInput(ctx, f, f.op !== "in") : "NULL";
    let test: string;
    if (f.op === "in") {
      const numbers = f.values!.filter((v): v is number => typeof v === "number");
      const texts = f.values!.filter((v): v is string => typeof v === "string");
      const parts = [
        ...(numbers.length > 0 ? [`${x} IN (${numbers.map(num).join(", ")})`] : []),
        ...(texts.length > 0 ? [`${text} IN (${texts.map(literal).join(", ")})`] : []),
      ];
      test = parts.length > 0 ? parts.map((p) => `coalesce(${p}, false)`).join(" OR ") : "false";
    } else test = `${x} ${COMPARISONS[f.op]} ${num(f.value!)}`;
    return {
      exprs: [
        `CASE WHEN ${text} IS NULL THEN ${num(f.missing)} WHEN ${test} THEN 1.0 ELSE 0.0 END`,
      ],
    };
  },
};

export const sign: Encoder<SignOptions, Record<string, never>> = {
  encode: "sign",
  summary: "−1, 0 or 1 by the sign of a number (missing 0)",
  options: signOptions,
  state: empty as unknown as z.ZodType<Record<string, never>>,
  fit: () => Promise.resolve({}),
  outputs: (name) => [name],
  async plan(ctx, f) {
    const x = await numericInput(ctx, f, true);
    return { exprs: [`coalesce(sign(${x})::DOUBLE, 0.0)`] };
  },
};
