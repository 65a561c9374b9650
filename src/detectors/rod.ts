/**
 * Rotation-based Outlier Detection (Almardeny, Boujnah & Cleary 2020), as PyOD's ROD.
 *
 * In three dimensions: the geometric (L1) median m of the distinct training rows (Vardi & Zhang's
 * modified Weiszfeld iteration from their mean, until a step moves less than 1e-5). Each row x
 * has an offset v = x − m and an angle θ = arccos(v·m / (‖v‖·‖m‖)) to the median's direction.
 * Angles up to 90° are min–max scaled into [0.001, 0.955] and larger ones into
 * [90° + 0.001, 2.186] rad, each group's scaler fitted on the training angles together with its
 * two range ends (so a group's range never collapses). The rotation cost is the volume term
 * ‖v‖³·cos(γ)·sin²(γ) of the scaled angle γ; a row's score is its cost's modified z-score,
 * 0.6745·|cost − median| / MAD, with the training costs' median and MAD. A row on the median
 * (‖v‖ = 0) costs 0 and takes no part in the scalers; a median at the origin (no direction)
 * gives every row the angle 90°.
 *
 * More than three features: features are robust-scaled (scikit-learn's RobustScaler: minus the
 * median, over the interquartile range, a zero range counting as 1), every 3-feature subspace
 * (all C(d, 3), in itertools.combinations order) is scored as above, each subspace's scores
 * squashed by a sigmoid after NumPy's nan_to_num (NaN → 0, ∞ → the largest double, as PyOD), and
 * a row's score is their mean. Fewer than three features are padded with zero columns; exactly
 * three are neither padded nor scaled, and their scores are not squashed.
 *
 * Where ours differ from PyOD, on purpose:
 * - PyOD divides new rows' deviations by the MAD of the batch being scored (it recomputes
 *   `median(diff)` on every call), so a row's score depends on its batch; ours divide by the
 *   training MAD, which is what PyOD's training scores use. `pyodBatchScore` replays PyOD's way
 *   for parity (src/eval/pooled.ts).
 * - With exactly three features, a zero MAD gives PyOD infinite or NaN scores; ours apply the
 *   same nan_to_num PyOD applies to every subspace when there are more features.
 * - PyOD's median iteration has no limit; ours stops after 100,000 steps.
 * - PyOD's `parallel_execution` is not a param: it changes the speed only.
 * The cost is C(d, 3) subspaces × rows (each a median iteration and a pass over the rows): 1,330
 * subspaces for 21 features, 161,700 for 100. The loops over rows run on the SIMD kernel
 * (assembly/rod.ts, laid out by src/core/rod-kernel.ts), whose arccosine, sine, cosine and
 * exponential are polynomials within an ulp or two of Math's, and whose sums run in pairs of
 * lanes: scores agree with a row-at-a-time computation to about 1e-12, not to the bit.
 */
import { z } from "zod";
import { baseParams, defineDetector, f64 } from "./contract.js";
import type { Matrix } from "../core/matrix.js";
import { percentile, quantileCounted } from "../core/stats.js";
import { distinctRows as distinctFeatureRows, expand } from "../core/distinct.js";
import { RodKernel, type AngleScaling } from "../core/rod-kernel.js";

/** The median iteration stops when a step moves less than this (PyOD's eps). */
const MEDIAN_TOLERANCE = 1e-5;
const MEDIAN_MAX_STEPS = 100_000;
const RIGHT = Math.PI / 2;
/** Scaled ranges of the two angle groups (PyOD's scale_angles). */
const ACUTE_LOW = 0.001;
const ACUTE_HIGH = 0.955;
const OBTUSE_LOW = RIGHT + 0.001;
const OBTUSE_HIGH = 2.186;

export const rodParams = baseParams;

interface RodState {
  /** RobustScaler centre and scale per feature; empty with three features or fewer. */
  readonly center: Float64Array;
  readonly scale: Float64Array;
  /** Per subspace, in combinations order: the geometric median (3 values each). */
  readonly medians: Float64Array;
  /** Per subspace: the training costs' median and MAD (median |cost − median|). */
  readonly costMedian: Float64Array;
  readonly costMad: Float64Array;
  /** Per subspace: scaled angle = angle · scale + shift, for acute and obtuse angles. */
  readonly acuteScale: Float64Array;
  readonly acuteShift: Float64Array;
  readonly obtuseScale: Float64Array;
  readonly obtuseShift: Float64Array;
}

export const rod = defineDetector({
  name: "rod",
  summary:
    "Rotation-based: modified z-scores of rotation costs about the geometric median, averaged over all 3-feature subspaces.",
  reference: "Almardeny, Boujnah & Cleary 2020; PyOD ROD",
  deterministic: true,
  params: rodParams,
  state: z.object({
    center: f64,
    scale: f64,
    medians: f64,
    costMedian: f64,
    costMad: f64,
    acuteScale: f64,
    acuteShift: f64,
    obtuseScale: f64,
    obtuseShift: f64,
  }),
  checkState(s: RodState, d: number) {
    if (s.center.length !== s.scale.length) return "scaler centre and scale differ in length";
    if (d > 3 ? s.center.length !== d : s.center.length !== 0)
      return "scaler does not match the features";
    const count = subspaceCount(Math.max(d, 3));
    if (SUBSPACE_KEYS.some((key) => s[key].length !== SUBSPACE_WIDTHS[key] * count))
      return `expected ${count} subspaces`;
    return undefined;
  },
  // Every 3-feature subspace costs a median iteration and passes over the rows: with many
  // features even a few hundred rows pay for the pool, which fits runs of subspaces apart.
  parallelMinRows: (cols) => (cols > 5 ? 100 : 200_000),
  costlyScore: true,
  pieces: {
    count: (X) => runCount(subspaceCount(Math.max(X.cols, 3))),
    run: (X, _p, take) => {
      const setup = fitSetup(X, true);
      const runs: FitRun[] = [];
      for (let r = take(); r !== undefined; r = take()) runs.push(...fitRuns(setup, r, 1));
      return runs;
    },
    finish: (X, _p, results) => finishFit(X, fitSetup(X, true), results as FitRun[]),
  },
  fit(X) {
    return fitRod(X);
  },
  score(state, X) {
    return scoreRows(state, X, false);
  },
  pyodBatchScore(state, X) {
    return scoreRows(state, X, true);
  },
});

/**
 * Subspaces are taken in this many consecutive runs (fewer when there are fewer subspaces): each
 * run's scores are summed on their own and the runs' sums added in order, in fit and score
 * alike. The pool fits runs on different threads (`pieces`) and gets the same sums.
 */
const SUBSPACE_RUNS = 16;

/** Subspace index where run r starts, for r = 0..runs (the last is the subspace count). */
function runStart(count: number, runs: number, r: number): number {
  return Math.floor((count * r) / runs);
}

function runCount(subspaces: number): number {
  return Math.min(SUBSPACE_RUNS, subspaces);
}

/** What every run of a fit shares: the scaler, distinct rows and the columns. */
interface FitSetup {
  readonly scaler: { center: Float64Array; scale: Float64Array } | undefined;
  readonly unique: ReturnType<typeof distinctFeatureRows> | undefined;
  readonly columns: Float64Array[];
  /** Rows the runs work on (the distinct rows when they were collapsed). */
  readonly n: number;
  readonly count: number;
  /**
   * The columns and their ranks in kernel memory, ranked and laid out on first use: finishing a
   * fit on the calling thread needs neither.
   */
  kernel(): RodKernel;
}

/** The angle scalers of each subspace (state arrays, or a run's). */
type AngleScalers = Pick<RodState, "acuteScale" | "acuteShift" | "obtuseScale" | "obtuseShift">;

/** The per-subspace arrays of the state, and values per subspace in each. */
type SubspaceArrays = Omit<RodState, "center" | "scale">;
const SUBSPACE_WIDTHS: Readonly<Record<keyof SubspaceArrays, number>> = {
  medians: 3,
  costMedian: 1,
  costMad: 1,
  acuteScale: 1,
  acuteShift: 1,
  obtuseScale: 1,
  obtuseShift: 1,
};
const SUBSPACE_KEYS = Object.keys(SUBSPACE_WIDTHS) as (keyof SubspaceArrays)[];

/** Zeroed per-subspace arrays for `count` subspaces. */
function subspaceArrays(count: number): SubspaceArrays {
  const out: Partial<Record<keyof SubspaceArrays, Float64Array>> = {};
  for (const key of SUBSPACE_KEYS) out[key] = new Float64Array(SUBSPACE_WIDTHS[key] * count);
  return out as SubspaceArrays;
}

/** One run's subspaces, from `start`: their state entries and the sum of their row scores. */
interface FitRun extends SubspaceArrays {
  readonly start: number;
  readonly total: Float64Array;
}

function fitSetup(X: Matrix, collapseDuplicates: boolean): FitSetup {
  const scaler = X.cols > 3 ? robustScaler(X) : undefined;
  // Everything but the cost medians is a function of a row's values, so when rows repeat it is
  // computed once per distinct row, and the medians are taken over every row through the
  // counts: the same numbers as on all rows (the distinct rows keep first-appearance order, so
  // even the geometric median sums its points in the same order).
  const found = collapseDuplicates ? distinctFeatureRows(X) : undefined;
  const unique = found !== undefined && found.X.rows <= X.rows / 2 ? found : undefined;
  const columns = prepareColumns(unique?.X ?? X, scaler);
  let kernel: RodKernel | undefined;
  return {
    scaler,
    unique,
    columns,
    n: (unique?.X ?? X).rows,
    count: subspaceCount(columns.length),
    kernel: () => (kernel ??= new RodKernel(columns, columns.map(denseRanks))),
  };
}

/** Runs [first, first + count) of a fit. */
function fitRuns(setup: FitSetup, first: number, count: number): FitRun[] {
  const { columns, unique } = setup;
  const kernel = setup.kernel();
  const median = (values: "cost" | "deviation"): number =>
    unique !== undefined
      ? quantileCounted(kernel[values], unique.counts, 0.5)
      : kernel.medianOf(values);
  const runs = runCount(setup.count);
  const from = runStart(setup.count, runs, first);
  const to = runStart(setup.count, runs, first + count);
  const all = subspaceArrays(to - from);
  // Each run's scores are summed in the kernel's total, taken out when the next run starts.
  const totals: Float64Array[] = [];
  let nextRun = runStart(setup.count, runs, first + 1);
  kernel.clearTotal();
  forEachSubspaceIn(columns.length, from, to, (a, b, c, s) => {
    const at = s - from;
    if (s === nextRun) {
      totals.push(Float64Array.from(kernel.total));
      kernel.clearTotal();
      nextRun = runStart(setup.count, runs, first + totals.length + 1);
    }
    const m = kernel.median(a, b, c, MEDIAN_TOLERANCE, MEDIAN_MAX_STEPS);
    all.medians.set(m, 3 * at);
    kernel.angles(a, b, c, m);
    fitAngleScalers(kernel.angle, all, at);
    kernel.costs(scalingOf(all, at));
    all.costMedian[at] = median("cost");
    kernel.deviations(all.costMedian[at]);
    all.costMad[at] = median("deviation");
    kernel.addScores(all.costMad[at], columns.length > 3);
  });
  totals.push(Float64Array.from(kernel.total));
  return totals.map((total, i) => {
    const lo = runStart(setup.count, runs, first + i) - from;
    const hi = runStart(setup.count, runs, first + i + 1) - from;
    const own: Partial<Record<keyof SubspaceArrays, Float64Array>> = {};
    for (const key of SUBSPACE_KEYS)
      own[key] = all[key].slice(SUBSPACE_WIDTHS[key] * lo, SUBSPACE_WIDTHS[key] * hi);
    return { ...(own as SubspaceArrays), start: lo + from, total };
  });
}

/** Subspace s's angle scalers. */
function scalingOf(state: AngleScalers, s: number): AngleScaling {
  return {
    acuteScale: state.acuteScale[s],
    acuteShift: state.acuteShift[s],
    obtuseScale: state.obtuseScale[s],
    obtuseShift: state.obtuseShift[s],
  };
}

/** The fitted state and training scores from every run, in order. */
function finishFit(X: Matrix, setup: FitSetup, runs: readonly FitRun[]): RodFit {
  const { count, n, scaler, unique } = setup;
  const state: RodState = {
    center: scaler?.center ?? new Float64Array(0),
    scale: scaler?.scale ?? new Float64Array(0),
    ...subspaceArrays(count),
  };
  const total = new Float64Array(n);
  for (const run of runs) {
    for (const key of SUBSPACE_KEYS) state[key].set(run[key], SUBSPACE_WIDTHS[key] * run.start);
    for (let i = 0; i < n; i++) total[i] += run.total[i];
  }
  if (count > 1) for (let i = 0; i < n; i++) total[i] /= count;
  if (unique === undefined) return { state, trainingScores: total };
  return { state, trainingScores: expand(total, unique.inverse) };
}

interface RodFit {
  state: RodState;
  trainingScores: Float64Array;
}

/**
 * ROD's fit. `collapseDuplicates` false computes every row's values (the naive path, for tests:
 * the results are identical either way).
 */
export function fitRod(X: Matrix, collapseDuplicates = true): RodFit {
  const setup = fitSetup(X, collapseDuplicates);
  return finishFit(X, setup, fitRuns(setup, 0, runCount(setup.count)));
}

/**
 * Scores rows with a fitted state. `batchMad` replays PyOD: each subspace's MAD from the scored
 * rows' own deviations instead of the training MAD.
 */
function scoreRows(state: RodState, X: Matrix, batchMad: boolean): Float64Array {
  const n = X.rows;
  const scaler = state.center.length > 0 ? { center: state.center, scale: state.scale } : undefined;
  const columns = prepareColumns(X, scaler);
  const count = state.costMedian.length;
  const runs = runCount(count);
  const kernel = new RodKernel(columns);
  const total = new Float64Array(n);
  let run = 0;
  let runEnd = runStart(count, runs, 1);
  // Summed run by run, as fit sums them, so a training row scores as it did in fit.
  kernel.clearTotal();
  forEachSubspace(columns.length, (a, b, c, s) => {
    kernel.angles(a, b, c, state.medians.subarray(3 * s, 3 * s + 3));
    kernel.costs(scalingOf(state, s));
    kernel.deviations(state.costMedian[s]);
    const mad = batchMad ? kernel.medianOf("deviation") : state.costMad[s];
    kernel.addScores(mad, columns.length > 3);
    if (s + 1 === runEnd) {
      runEnd = runStart(count, runs, ++run + 1);
      const runTotal = kernel.total;
      for (let i = 0; i < n; i++) total[i] += runTotal[i];
      kernel.clearTotal();
    }
  });
  if (count > 1) for (let i = 0; i < n; i++) total[i] /= count;
  return total;
}

/** C(d, 3). */
function subspaceCount(d: number): number {
  return (d * (d - 1) * (d - 2)) / 6;
}

/**
 * Calls visit(a, b, c, s) for every a < b < c < d, in itertools.combinations order, s counting
 * them from 0.
 */
function forEachSubspace(
  d: number,
  visit: (a: number, b: number, c: number, s: number) => void,
): void {
  forEachSubspaceIn(d, 0, subspaceCount(d), visit);
}

/** As forEachSubspace, for the subspaces numbered [from, to) only. */
function forEachSubspaceIn(
  d: number,
  from: number,
  to: number,
  visit: (a: number, b: number, c: number, s: number) => void,
): void {
  let s = 0;
  for (let a = 0; a < d && s < to; a++) {
    // The (a, ·, ·) subspaces number C(d − a − 1, 2): skipped whole when before `from`.
    const withA = ((d - a - 1) * (d - a - 2)) / 2;
    if (s + withA <= from) {
      s += withA;
      continue;
    }
    for (let b = a + 1; b < d && s < to; b++)
      for (let c = b + 1; c < d && s < to; c++, s++) if (s >= from) visit(a, b, c, s);
  }
}

/**
 * The columns ROD works on: robust-scaled when given a scaler (more than three features),
 * padded with zero columns to three when fewer.
 */
function prepareColumns(
  X: Matrix,
  scaler: { center: Float64Array; scale: Float64Array } | undefined,
): Float64Array[] {
  const { rows: n, cols: d, data } = X;
  const columns: Float64Array[] = [];
  for (let j = 0; j < d; j++) {
    const col = new Float64Array(n);
    for (let i = 0; i < n; i++) col[i] = data[i * d + j];
    if (scaler !== undefined) {
      const c = scaler.center[j];
      const s = scaler.scale[j];
      for (let i = 0; i < n; i++) col[i] = (col[i] - c) / s;
    }
    columns.push(col);
  }
  while (columns.length < 3) columns.push(new Float64Array(n));
  return columns;
}

/** scikit-learn's RobustScaler: median and interquartile range (25–75) per feature, 0 → 1. */
function robustScaler(X: Matrix): { center: Float64Array; scale: Float64Array } {
  const { rows: n, cols: d, data } = X;
  const center = new Float64Array(d);
  const scale = new Float64Array(d);
  const col = new Float64Array(n);
  for (let j = 0; j < d; j++) {
    for (let i = 0; i < n; i++) col[i] = data[i * d + j];
    center[j] = percentile(col, 50);
    const range = percentile(col, 75) - percentile(col, 25);
    scale[j] = range === 0 ? 1 : range;
  }
  return { center, scale };
}

/** Dense ranks of a column's values (equal values, equal ranks): cheap keys for distinct rows. */
function denseRanks(col: Float64Array): Int32Array {
  // The distinct values, ascending (a typed sort: no comparator calls, a third of ROD's time on
  // 1M rows when sorting row indices), then each value's position among them. −0 and 0 are one
  // value, as `===` has it (fit takes finite values only).
  const sorted = Float64Array.from(col).sort();
  let u = 0;
  for (let k = 0; k < sorted.length; k++)
    if (k === 0 || sorted[k] !== sorted[u - 1]) sorted[u++] = sorted[k];
  const values = sorted.subarray(0, u);
  const ranks = new Int32Array(col.length);
  for (let i = 0; i < col.length; i++) {
    const v = col[i];
    let lo = 0;
    let hi = u - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (values[mid] < v) lo = mid + 1;
      else hi = mid;
    }
    ranks[i] = lo;
  }
  return ranks;
}

/**
 * Fits subspace s's two angle scalers (scikit-learn's MinMaxScaler) on the defined training
 * angles of each group plus the group's two range ends.
 */
function fitAngleScalers(angle: Float64Array, state: AngleScalers, s: number): void {
  let acuteMin = ACUTE_LOW;
  let acuteMax = ACUTE_HIGH;
  let obtuseMin = OBTUSE_LOW;
  let obtuseMax = OBTUSE_HIGH;
  for (let i = 0; i < angle.length; i++) {
    const g = angle[i];
    if (Number.isNaN(g)) continue;
    if (g <= RIGHT) {
      if (g < acuteMin) acuteMin = g;
      if (g > acuteMax) acuteMax = g;
    } else {
      if (g < obtuseMin) obtuseMin = g;
      if (g > obtuseMax) obtuseMax = g;
    }
  }
  state.acuteScale[s] = (ACUTE_HIGH - ACUTE_LOW) / (acuteMax - acuteMin);
  state.acuteShift[s] = ACUTE_LOW - acuteMin * state.acuteScale[s];
  state.obtuseScale[s] = (OBTUSE_HIGH - OBTUSE_LOW) / (obtuseMax - obtuseMin);
  state.obtuseShift[s] = OBTUSE_LOW - obtuseMin * state.obtuseScale[s];
}
