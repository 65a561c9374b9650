/**
 * Network encoders: the class of an IP address, and destination-port classes (the
 * network-flows notebook's `map_dst_ports`, by default).
 */
import { z } from "zod";
import { num, type Encoder } from "../encoder.js";
import { ipClassSql } from "../ip.js";
import { inputOptions } from "./common.js";

const classOptions = z.strictObject({ encode: z.literal("ipclass"), ...inputOptions });
type ClassOptions = z.infer<typeof classOptions>;

const empty = z.object({}) as unknown as z.ZodType<Record<string, never>>;

export const ipClass: Encoder<ClassOptions, Record<string, never>> = {
  encode: "ipclass",
  summary:
    "−1 missing, 0 public, 1 private, 2 loopback, 3 link-local, 4 multicast, 5 reserved, 6 not an address",
  options: classOptions,
  state: empty,
  fit: () => Promise.resolve({}),
  outputs: (name) => [name],
  plan: (ctx, f) => Promise.resolve({ exprs: [ipClassSql(ctx.input(f))] }),
};

/**
 * The network-flows notebook's port classes (Antunes 2023, `map_dst_ports`): known ports below
 * 1024 grouped by what they carry; any other port is `default` (100).
 */
export const NOTEBOOK_PORT_CLASSES: Readonly<Record<number, number>> = {
  0: 0,
  1: 0,
  5: 0,
  7: 10,
  20: 20,
  21: 20,
  22: 20,
  23: 20,
  25: 40,
  37: 10,
  43: 10,
  53: 10,
  80: 30,
  81: 50,
  82: 20,
  83: 0,
  88: 20,
  110: 40,
  119: 40,
  123: 10,
  135: 10,
  137: 10,
  139: 10,
  143: 40,
  161: 10,
  389: 10,
  443: 30,
  444: 30,
  445: 20,
  465: 30,
  500: 10,
  514: 20,
  585: 40,
  587: 40,
  843: 10,
  993: 40,
  995: 40,
};

const portOptions = z.strictObject({
  encode: z.literal("portclass"),
  ...inputOptions,
  classes: z
    .record(z.string().regex(/^\d+$/), z.number())
    .optional()
    .describe("Port → class (default: the network-flows notebook's table)."),
  default: z.number().default(100).describe("Class of any other port (notebook: 100)."),
  missing: z.number().default(-1),
});
type PortOptions = z.infer<typeof portOptions>;

export const portClass: Encoder<PortOptions, Record<string, never>> = {
  encode: "portclass",
  summary: "port to class by a table (default: the notebook's), other ports 100",
  options: portOptions,
  state: empty,
  fit: () => Promise.resolve({}),
  outputs: (name) => [name],
  async plan(ctx, f) {
    const v = ctx.input(f);
    await ctx.checkRows(
      `${v} IS NOT NULL AND TRY_CAST(${v} AS DOUBLE) IS NULL`,
      f.column,
      "is not a port number",
    );
    const table = f.classes ?? NOTEBOOK_PORT_CLASSES;
    const cases = Object.entries(table)
      .map(([port, cls]) => `WHEN ${Number(port)} THEN ${num(cls)}`)
      .join(" ");
    return {
      exprs: [
        `CASE WHEN ${v} IS NULL THEN ${num(f.missing)} ELSE CASE TRY_CAST(${v} AS DOUBLE) ${cases} ELSE ${num(f.default)} END END`,
      ],
    };
  },
};
