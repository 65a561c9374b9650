/**
 * Runtime forecast, as the reference notebook's `quick_forecast`: each detector is fitted on
 * small samples of the data (1k, 3k and 7k rows drawn from a 10% sample of at least 1,000 rows,
 * three repeats each, median time per size), the medians are made non-decreasing in size, and a
 * power law t = a·n^b is fitted to them by least squares on log–log axes with b clamped at 0;
 * the full fit's time is predicted as a·N^b. A detector whose sample fits fail gets no forecast
 * (it runs, and its failure is reported there).
 *
 * The sample fits run on the worker pool, as the real fits do, and are timed inside the worker,
 * so predicted and actual seconds measure the same thing; each detector first fits the smallest
 * sample once untimed, so its times are of warm code (the notebook's `warmup_s` is the same idea).
 */
import { takeRows, type Matrix } from "../core/matrix.js";
import { Random } from "../core/random.js";
import { sharedMatrix, workers } from "../detectors/parallel.js";
import type { FitJob } from "./pool.js";

export interface ForecastOptions {
  /** Share of the rows the samples are drawn from (notebook: 0.10). */
  readonly sampleFraction?: number;
  /** Sample sizes (notebook: 1000, 3000, 7000). */
  readonly sizes?: readonly number[];
  /** Fits per size; the median counts (notebook: 3). */
  readonly repeats?: number;
  readonly seed?: number;
  readonly concurrency?: number;
}

export interface Forecast {
  /** Predicted seconds for the full fit, or null if the sample fits failed. */
  readonly predictedSeconds: number | null;
  /** (rows, median seconds) per sample size, after the non-decreasing fix. */
  readonly points: readonly { rows: number; seconds: number }[];
  readonly a: number;
  readonly b: number;
  readonly error?: string;
}

const DEFAULTS = { sampleFraction: 0.1, sizes: [1000, 3000, 7000], repeats: 3, seed: 42 };

/** The sample matrices, by size then repeat; shared by every detector so all see the same rows. */
export function forecastSamples(X: Matrix, options: ForecastOptions = {}): Matrix[][] {
  const fraction = options.sampleFraction ?? DEFAULTS.sampleFraction;
  const sizes = options.sizes ?? DEFAULTS.sizes;
  const repeats = options.repeats ?? DEFAULTS.repeats;
  const rng = new Random(options.seed ?? DEFAULTS.seed);
  const n = X.rows;
  const sampleRows = Math.min(n, Math.max(1000, Math.floor(n * fraction)));
  const pool = drawWithoutReplacement(rng, n, sampleRows);
  const out: Matrix[][] = [];
  for (const size of [...new Set(sizes.map((s) => Math.min(s, sampleRows)))]) {
    if (size < 10) continue;
    const reps: Matrix[] = [];
    for (let r = 0; r < repeats; r++) {
      const pick = drawWithoutReplacement(rng, sampleRows, size);
      for (let i = 0; i < size; i++) pick[i] = pool[pick[i]];
      reps.push(sharedMatrix(takeRows(X, pick)));
    }
    out.push(reps);
  }
  return out;
}

/** `count` distinct integers from [0, n), by a partial Fisher–Yates shuffle. */
function drawWithoutReplacement(rng: Random, n: number, count: number): Int32Array {
  const all = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < count; i++) {
    const j = i + rng.int(n - i);
    const t = all[i];
    all[i] = all[j];
    all[j] = t;
  }
  return all.slice(0, count);
}

/**
 * Forecasts of every job's fit on `fullRows` rows (one count for all, or one per job), from
 * timed fits on the samples.
 */
export async function forecastFits(
  samples: readonly Matrix[][],
  jobs: readonly FitJob[],
  fullRows: number | readonly number[],
  options: ForecastOptions = {},
): Promise<Forecast[]> {
  const pool = workers();
  const seconds: number[][][] = jobs.map(() => samples.map(() => []));
  const errors: (string | undefined)[] = jobs.map(() => undefined);
  const fitOn = (worker: (typeof pool)[number], j: number, X: Matrix) =>
    worker.run({
      kind: "fit",
      detector: jobs[j].detector,
      params: jobs[j].params,
      data: X.data,
      rows: X.rows,
      cols: X.cols,
      keepModel: false,
    });
  // One worker times all of a detector's sample fits, after one untimed fit that warms its
  // compiled code up: otherwise the first fits on each thread measure the JIT, not the detector.
  let next = 0;
  async function lane(worker: (typeof pool)[number]): Promise<void> {
    while (next < jobs.length) {
      const j = next++;
      if (samples.length === 0) continue;
      const warm = await fitOn(worker, j, samples[0][0]);
      if (!warm.ok) {
        errors[j] = `${warm.errorName ?? "Error"}: ${warm.error}`;
        continue;
      }
      for (let s = 0; s < samples.length && errors[j] === undefined; s++) {
        for (const X of samples[s]) {
          const reply = await fitOn(worker, j, X);
          if (!reply.ok) {
            errors[j] = `${reply.errorName ?? "Error"}: ${reply.error}`;
            break;
          }
          seconds[j][s].push(reply.seconds!);
        }
      }
    }
  }
  const lanes = Math.max(1, Math.min(options.concurrency ?? pool.length, pool.length));
  await Promise.all(pool.slice(0, lanes).map((w) => lane(w)));

  return jobs.map((_, j) => {
    if (errors[j] !== undefined)
      return { predictedSeconds: null, points: [], a: 0, b: 0, error: errors[j] };
    const points = samples.map((reps, s) => ({
      rows: reps[0].rows,
      seconds: median(seconds[j][s]),
    }));
    return powerLawForecast(points, typeof fullRows === "number" ? fullRows : fullRows[j]);
  });
}

/**
 * The notebook's fit: medians made non-decreasing in size, then log t = log a + b·log n by
 * least squares (1e-9 added to t against log 0), b clamped at 0, prediction a·N^b. With a
 * single size (data smaller than the smallest sample) time is taken as linear in rows.
 */
export function powerLawForecast(
  measured: readonly { rows: number; seconds: number }[],
  fullRows: number,
): Forecast {
  const points = [...measured].sort((p, q) => p.rows - q.rows);
  let last = 0;
  for (const p of points) {
    p.seconds = Math.max(p.seconds, last);
    last = p.seconds;
  }
  if (points.length === 0) return { predictedSeconds: null, points, a: 0, b: 0 };
  if (points.length === 1) {
    const a = points[0].seconds / points[0].rows;
    return { predictedSeconds: a * fullRows, points, a, b: 1 };
  }
  const xs = points.map((p) => Math.log(p.rows));
  const ys = points.map((p) => Math.log(p.seconds + 1e-9));
  const mx = xs.reduce((s, v) => s + v, 0) / xs.length;
  const my = ys.reduce((s, v) => s + v, 0) / ys.length;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < xs.length; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
  }
  const slope = sxy / sxx;
  const a = Math.exp(my - slope * mx);
  const b = Math.max(slope, 0);
  return { predictedSeconds: a * fullRows ** b, points, a, b };
}

function median(values: number[]): number {
  const s = [...values].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Parses a budget: "60s", "90", "2m", "1h", or "none" (no forecast, nothing dropped). */
export function parseBudget(text: string): number | null {
  const t = text.trim().toLowerCase();
  if (t === "none" || t === "off") return null;
  const m = /^(\d+(?:\.\d+)?)\s*(s|m|h)?$/.exec(t);
  if (m === null || Number(m[1]) <= 0)
    throw new Error(`"${text}" is not a time budget (e.g. 60s, 2m, 1h, none)`);
  return Number(m[1]) * (m[2] === "m" ? 60 : m[2] === "h" ? 3600 : 1);
}
