/** The benchmarks' generated data (src/bench/run.ts, src/bench/recall.ts). */
import { matrix, type Matrix } from "../core/matrix.js";
import { Random } from "../core/random.js";

/** Gaussian clusters plus 1% scattered outliers, seeded. */
export function generated(rows: number, cols: number, seed: number): Matrix {
  const rng = new Random(seed);
  const data = new Float64Array(rows * cols);
  const centres = Array.from({ length: 4 }, () =>
    Array.from({ length: cols }, () => rng.uniform(-5, 5)),
  );
  for (let i = 0; i < rows; i++) {
    const outlier = rng.float() < 0.01;
    const c = centres[rng.int(centres.length)];
    for (let j = 0; j < cols; j++)
      data[i * cols + j] = outlier ? rng.uniform(-12, 12) : c[j] + rng.normal();
  }
  return matrix(rows, cols, data);
}
