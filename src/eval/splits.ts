/**
 * Train/test splits for the evaluation protocol: read from a splits file
 * (`{dataset, n, seeds: {"0": {train: [...], test: [...]}, ...}}`, as in the PyOD reference) or
 * drawn here, 60/40, seeded.
 */
import { readFile } from "node:fs/promises";
import { z } from "zod";
import { DataError } from "../core/errors.js";
import { Random } from "../core/random.js";

export interface Split {
  readonly seed: number;
  readonly train: Int32Array;
  readonly test: Int32Array;
}

const splitsFile = z.object({
  dataset: z.string().optional(),
  n: z.int().min(1),
  seeds: z.record(
    z.string(),
    z.object({ train: z.array(z.int().min(0)), test: z.array(z.int().min(0)) }),
  ),
});

export async function readSplits(
  file: string,
  rows: number,
  seeds: readonly number[],
): Promise<Split[]> {
  let parsed: z.infer<typeof splitsFile>;
  try {
    parsed = splitsFile.parse(JSON.parse(await readFile(file, "utf8")));
  } catch (e) {
    throw new DataError(`not a splits file: ${(e as Error).message.split("\n")[0]}`, { file });
  }
  if (parsed.n !== rows)
    throw new DataError(`splits are for ${parsed.n} rows, the data have ${rows}`, { file });
  return seeds.map((seed) => {
    const s = parsed.seeds[String(seed)];
    if (s === undefined) {
      throw new DataError(
        `no split for seed ${seed} (has ${Object.keys(parsed.seeds).join(", ")})`,
        { file },
      );
    }
    for (const i of [...s.train, ...s.test]) {
      if (i >= rows)
        throw new DataError(`split for seed ${seed} names row ${i} of ${rows}`, { file });
    }
    return { seed, train: Int32Array.from(s.train), test: Int32Array.from(s.test) };
  });
}

/** A seeded random split with `testSize` of the rows in the test part. */
export function randomSplit(rows: number, seed: number, testSize = 0.4): Split {
  const order = new Random(seed).shuffle(Int32Array.from({ length: rows }, (_, i) => i));
  const nTest = Math.ceil(rows * testSize);
  return { seed, test: order.slice(0, nTest), train: order.slice(nTest) };
}
