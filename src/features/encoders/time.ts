/**
 * Timestamps: hour of day and day of week (UTC; Monday = 0, as pandas' `dayofweek`), and the
 * seconds since the previous event of the same entity (`delta`). A timestamp is ISO-8601 text
 * (CloudTrail's `eventTime`, with or without zone; no zone means UTC) or epoch seconds.
 * Unparseable text is an error naming its row; a missing time gives `missing` (default −1).
 */
import { z } from "zod";
import { ident } from "../../data/db.js";
import { num, type EncodeContext, type Encoder } from "../encoder.js";
import { inputOptions } from "./common.js";

/** The column as epoch seconds (DOUBLE or NULL), after checking every value parses. */
export async function timeInput(
  ctx: EncodeContext,
  column: string,
  optional = false,
): Promise<string> {
  const v = ctx.column(column, optional);
  const t = ctx.time(column, optional);
  await ctx.checkRows(
    `${v} IS NOT NULL AND ${t} IS NULL`,
    column,
    "is neither an ISO-8601 time nor epoch seconds",
  );
  return t;
}

/** PARTITION BY / ORDER BY of an entity's events: by time when given (ties in record order). */
export function entityWindow(ctx: EncodeContext, entity: string, time?: string): string {
  const order = time !== undefined ? `${ctx.time(time)} NULLS LAST, s0.__row` : "s0.__row";
  return `(PARTITION BY ${ctx.column(entity)} ORDER BY ${order})`;
}

const partOptions = z.strictObject({
  encode: z.enum(["hour", "weekday"]),
  ...inputOptions,
  missing: z.number().default(-1),
});
type PartOptions = z.infer<typeof partOptions>;

const empty = z.object({}) as unknown as z.ZodType<Record<string, never>>;

export const timePart: Encoder<PartOptions, Record<string, never>> = {
  encode: "hour|weekday",
  summary: "hour of day 0–23 or weekday 0–6 (Monday 0), UTC",
  options: partOptions,
  state: empty,
  fit: () => Promise.resolve({}),
  outputs: (name) => [name],
  async plan(ctx, f) {
    const t = await timeInput(ctx, f.column, f.optional);
    const day = 86400;
    // 1970-01-01 was a Thursday (3 with Monday = 0).
    const expr =
      f.encode === "hour"
        ? `floor((${t} - floor(${t} / ${day}) * ${day}) / 3600)`
        : `((floor(${t} / ${day})::BIGINT + 3) % 7 + 7) % 7`;
    return { exprs: [`coalesce((${expr})::DOUBLE, ${num(f.missing)})`] };
  },
};

const deltaOptions = z.strictObject({
  encode: z.literal("delta"),
  ...inputOptions,
  entity: z.string().min(1).describe("Column naming the entity (user, ARN, source IP)."),
  first: z
    .number()
    .default(-1)
    .describe("Output for an entity's first event (and for a missing time)."),
});
type DeltaOptions = z.infer<typeof deltaOptions>;

export const delta: Encoder<DeltaOptions, Record<string, never>> = {
  encode: "delta",
  summary: "seconds since the same entity's previous event",
  options: deltaOptions,
  state: empty,
  fit: () => Promise.resolve({}),
  outputs: (name) => [name],
  async plan(ctx, f) {
    const t = await timeInput(ctx, f.column, f.optional);
    return {
      exprs: [
        `coalesce(${t} - lag(${t}) OVER ${entityWindow(ctx, f.entity, f.column)}, ${num(f.first)})`,
      ],
    };
  },
};

const DURATION = /^(\d+(?:\.\d+)?)(s|m|h|d)$/;
const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86400 } as const;

/** "90s", "30m", "1h", "1d", or a number of seconds. */
export function durationSeconds(value: string | number): number {
  if (typeof value === "number") return value;
  const m = DURATION.exec(value.trim());
  if (m === null) throw new Error(`"${value}" is not a duration like 30m, 1h or 1d`);
  return Number(m[1]) * UNIT_SECONDS[m[2] as keyof typeof UNIT_SECONDS];
}

const rollingOptions = z.strictObject({
  encode: z.literal("rolling"),
  name: z.string().min(1).optional(),
  entity: z.string().min(1).describe("Column naming the entity."),
  time: z.string().min(1).describe("Timestamp column."),
  window: z
    .union([z.number().positive(), z.string().regex(DURATION)])
    .describe("Look-back: seconds, or 30m / 1h / 1d."),
  distinct: z
    .string()
    .min(1)
    .optional()
    .describe("Count distinct values of this column (e.g. source IPs) instead of events."),
  optional: z.boolean().default(false).describe("Applies to the `distinct` column."),
});
type RollingOptions = z.infer<typeof rollingOptions>;

export const rolling: Encoder<RollingOptions, Record<string, never>> = {
  encode: "rolling",
  summary:
    "events (or distinct values of a column) of the entity in the last window, this one included",
  options: rollingOptions,
  state: empty,
  fit: () => Promise.resolve({}),
  outputs: (name) => [name],
  async plan(ctx, f) {
    const t = await timeInput(ctx, f.time);
    const seconds = durationSeconds(f.window);
    // RANGE over epoch seconds: every event of the entity in [t − window, t], same-time peers
    // included (they happened at once; record order is not time order).
    const frame = `(PARTITION BY ${ctx.column(f.entity)} ORDER BY ${t} RANGE BETWEEN ${num(seconds)} PRECEDING AND CURRENT ROW)`;
    // Distinct 64-bit hashes rather than the text: the same count (a collision among a
    // window's few values has odds near 2^-64) at two thirds of the time.
    const distinct = f.distinct !== undefined ? ctx.column(f.distinct, f.optional) : undefined;
    const what =
      distinct !== undefined
        ? `count(DISTINCT CASE WHEN ${distinct} IS NOT NULL THEN hash(${distinct}) END)`
        : "count(*)";
    return { exprs: [`CASE WHEN ${t} IS NULL THEN 0.0 ELSE (${what} OVER ${frame})::DOUBLE END`] };
  },
};

const shiftOptions = z.strictObject({
  encode: z.literal("shift"),
  name: z.string().min(1).optional(),
  of: z.string().min(1).describe("Name of an earlier feature (one output column) to look back on."),
  entity: z.string().min(1).describe("Column naming the entity."),
  time: z
    .string()
    .min(1)
    .optional()
    .describe("Order events by this timestamp column (default: record order)."),
  k: z.int().min(1).max(64).default(4).describe("Previous values prev1..prevk."),
  fill: z.number().default(-1).describe("Output where the entity has fewer than i earlier events."),
});
type ShiftOptions = z.infer<typeof shiftOptions>;

export const shift: Encoder<ShiftOptions, Record<string, never>> = {
  encode: "shift",
  summary: "the entity's previous k values of another feature (the notebook's shift windows)",
  options: shiftOptions,
  state: empty,
  fit: () => Promise.resolve({}),
  outputs: (name, f) => Array.from({ length: f.k }, (_, i) => `${name}${i + 1}`),
  async plan(ctx, f, _s, refs) {
    const source = refs.get(f.of);
    if (source === undefined) throw new Error(`shift: "of" names no earlier feature "${f.of}"`);
    if (source.length !== 1)
      throw new Error(`shift: feature "${f.of}" has ${source.length} columns; shift needs one`);
    if (f.time !== undefined) await timeInput(ctx, f.time);
    const over = entityWindow(ctx, f.entity, f.time);
    return {
      stage: 2,
      exprs: Array.from(
        { length: f.k },
        (_, i) => `coalesce(lag(s0.${ident(source[0])}, ${i + 1}) OVER ${over}, ${num(f.fill)})`,
      ),
    };
  },
};
