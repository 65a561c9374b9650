/**
 * Feature hashing: a value sets one of n 0/1 columns, chosen by its MD5 (first 32 bits, as an
 * unsigned number, modulo n). Needs no vocabulary, so unseen values need no fallback; MD5 rather
 * than an engine's internal hash so the bucket of a value never changes between versions and can
 * be checked anywhere. A missing value is all zeros.
 */
import { z } from "zod";
import type { Encoder } from "../encoder.js";
import { inputOptions } from "./common.js";

const options = z.strictObject({
  encode: z.literal("hash"),
  ...inputOptions,
  buckets: z.int().min(2).max(1024).default(16).describe("Number of hash columns."),
});
type Options = z.infer<typeof options>;

const state = z.object({});
type State = z.infer<typeof state>;

export const hashing: Encoder<Options, State> = {
  encode: "hash",
  summary: "one of n 0/1 columns chosen by the value's MD5",
  options,
  state,
  fit: () => Promise.resolve({}),
  outputs: (name, f) => Array.from({ length: f.buckets }, (_, k) => `${name}#${k}`),
  async plan(ctx, f) {
    const v = ctx.input(f);
    const bucket = `(('0x' || left(md5(${v}), 8))::UBIGINT % ${f.buckets})`;
    return {
      exprs: Array.from(
        { length: f.buckets },
        (_, k) => `CASE WHEN ${v} IS NOT NULL AND ${bucket} = ${k} THEN 1.0 ELSE 0.0 END`,
      ),
    };
  },
};
