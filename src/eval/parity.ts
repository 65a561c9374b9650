/**
 * `npm run parity`: every detector configuration on every shared ODDS dataset under the reference
 * protocol, compared with PyOD's mean ROC AUC, plus exact score-fixture checks. Exits 1 on any
 * failure.
 *
 * Gaps not yet explained are listed in OPEN_AUC_DEVIATIONS and printed as OPEN with the summary
 * count; they do not fail the run but stay visible until explained or fixed.
 *
 * Three kinds of documented exception are printed as "known", never silently passed:
 * - test AUC of detectors PyOD scores batch-dependently (ecod/copod pool the test rows with the
 *   training rows; cof/sod score the test rows among themselves): ours score each row against
 *   the training data alone. Where the difference exceeds the band, parity requires that
 *   replaying PyOD's way with our detector (src/eval/pooled.ts) reproduces PyOD's AUC within
 *   0.001, which shows the gap is the batch alone. A stochastic detector (dif, lmdd) cannot
 *   reproduce one draw of PyOD's: its replay is the mean over the same draws as its own AUC and
 *   must land within the detector's own band.
 * - score fixtures where PyOD's numbers rest on floating-point noise or tie order: see
 *   KNOWN_FIXTURE_DEVIATIONS.
 * - test AUC that moves with such a deviation (PyOD's inexact KDE test scores): see
 *   KNOWN_AUC_DEVIATIONS;
 * - PyOD's single draw, for a detector that can draw PyOD's own random choices
 *   (Variant.pyodDraws, the autoencoder with torch's generator): the seed-matched run with them
 *   must reproduce PyOD's AUC (checked on every dataset, a failure otherwise), and our mean must
 *   lie within the band of the mean over the same seeds from PyOD's stream.
 *
 * Stochastic detectors are compared by their expected ROC AUC: the mean over REPEATS forests per
 * split (seeds s, s + 1000, ...), since one draw of 100 trees on a few hundred rows varies by
 * more than the band (one-off measurement on vertebral: sd 0.015 between draws). The single seed-matched draw is
 * printed too. A detector that replays PyOD's own random stream (Variant.replaysSeed) is gated
 * on that seed-matched draw instead, which must reproduce PyOD's.
 */
import { performance } from "node:perf_hooks";
import { takeRows, type Matrix } from "../core/matrix.js";
import { applyScaler, fitStandardScaler } from "../core/stats.js";
import { withDb } from "../data/db.js";
import { readNumericCsv } from "../data/csv.js";
import { getDetector } from "../detectors/registry.js";
import { runSeed, type SeedRun } from "./experiment.js";
import { rocAuc } from "./metrics.js";
import { replayedScores } from "./pooled.js";
import { readSplits, type Split } from "./splits.js";
import { hasShared, oddsDatasets, pyodResults, scoreFixtures, sharedDir } from "./reference.js";
import { VARIANTS, type Variant } from "./parity-variants.js";

const POOLED_TOLERANCE = 0.001;
const REPEATS = 5;
const RELATIVE_TOLERANCE = 1e-6;

/**
 * PyOD's KDE test scores that are not the exact kernel sums. Checked on seed 0 against a
 * brute-force float64 log-sum-exp in NumPy: PyOD's test scores are off from it on 87 of 181 test
 * rows of arrhythmia, 6 of ionosphere, 1 of letter, 163 of mnist, 31 of musk, 1 of thyroid (all of
 * them rows whose largest log-kernel term is below −15; no training row), while ours match it to
 * 1e-14 on every dataset, training and test rows. scikit-learn 1.9.1 gives yet other values on
 * those rows.
 */
const KDE_FAR_ROWS =
  "scikit-learn's tree KDE (atol = rtol = 0) is not exact on test rows far from every training row (largest log-kernel term below −15): PyOD's scores there are off from the exact sum (up to 86% on arrhythmia), ours are the exact sum; training rows, each counting itself, match";

/**
 * PyOD's CD where some regressions are exact (a feature an exact linear function of the others)
 * or its pseudo-inverses keep rounding-noise singular values: its Cook's distances there are
 * rounding noise, scaled into [0, 1] and averaged in. Ours find the exact dependencies and leave
 * those regressions out. One-off NumPy checks (not run here) for each dataset below.
 */
const CD_CARDIO =
  "features 11-13 are exact linear functions of the others (a histogram's width = max − min): PyOD's residuals for them are rounding noise (rms 1e-15) which it min–max scales into [0, 1] and averages in; PyOD's own algorithm with those three left out matches ours to 6e-14 (train), and its test AUC then is 0.8965, our replay's";
const CD_MNIST =
  "25 all-zero features: PyOD's pinv of each X₋ᵢ sees their singular values as rounding noise next to its 1e-15 cutoff; PyOD's own algorithm run on the same data without the zero columns (which changes no projection or regression) matches ours to 2e-12 but differs from PyOD's fixture by up to 39×, and the same algorithm in NumPy 2.4 with rcond 1e-15 differs from the fixture by 5.5×";
const CD_ARRHYTHMIA =
  "rank 234 of 274 features on 271 rows (27 all-zero features): PyOD's pinv keeps rounding-noise singular values, so its leverages are 1 to within 1e-16 and its distances noise; the same algorithm in NumPy 2.4 with rcond 1e-15 differs from PyOD's fixture by 87%";

/**
 * Fixture checks whose exact values we cannot and should not reproduce, with the reason. Each is
 * still run and printed; its ROC AUC is still gated, unless listed in KNOWN_AUC_DEVIATIONS.
 */
const KNOWN_FIXTURE_DEVIATIONS: Record<string, string> = {
  "cardio hbos":
    "a 3-valued feature whose middle value lies on a bin edge to within 1 ulp: a 1-ulp difference in the standardised input moves it across the edge",
  "mnist hbos":
    "25 constant features: whether each lands exactly on its bin edge depends on 1-ulp rounding of the standardised input (PyOD scores 11 of them as dense, we score none)",
  "arrhythmia pca":
    "more features than rows: PyOD divides by singular values of ~1e-30 (rounding noise); ours use a reproducible noise floor, so scores agree only up to one common factor",
  "cardio pca":
    "a constant feature: PyOD divides by a rounding-noise singular value (see arrhythmia)",
  "mnist pca":
    "25 constant features: PyOD divides by rounding-noise singular values (see arrhythmia)",
  "breastw lof":
    "duplicated rows: many training rows have their k-th and (k+1)-th neighbours at the same distance; we break such ties by row index, scikit-learn's KD-tree by visiting order, so LOF averages over different (equally near) neighbours",
  "breastw lof_35": "ties at the k-th neighbour distance (see breastw lof)",
  "thyroid lof": "ties at the k-th neighbour distance (see breastw lof)",
  "thyroid lof_35": "ties at the k-th neighbour distance (see breastw lof)",
  "breastw abod":
    "ties at the k-th neighbour distance: 2 of 289 training rows differ, and choosing other equally near neighbours reproduces PyOD's value for each (see breastw lof)",
  "thyroid abod":
    "ties at the k-th neighbour distance: 1 of 2232 training rows differs, and choosing other equally near neighbours reproduces PyOD's value (see breastw lof)",
  "breastw sod":
    "ties at the k-th neighbour distance (see breastw lof; 218 of 409 training rows, 127 of 274 test rows): shared-neighbour counts are over row indices, so which of equally near rows is a neighbour changes the reference sets; every differing row's neighbourhood overlaps a tied one (verified one-off, train and test)",
  "thyroid sod":
    "ties at the k-th neighbour distance (see breastw sod; 69 of 2263 training rows, 60 of 1509 test rows); every differing row's neighbourhood overlaps a tied one (verified one-off, train and test)",
  "arrhythmia kde": KDE_FAR_ROWS,
  "ionosphere kde": KDE_FAR_ROWS,
  "letter kde": KDE_FAR_ROWS,
  "mnist kde": KDE_FAR_ROWS,
  "musk kde": KDE_FAR_ROWS,
  "thyroid kde": KDE_FAR_ROWS,
  "arrhythmia cd": CD_ARRHYTHMIA,
  "cardio cd": CD_CARDIO,
  "mnist cd": CD_MNIST,
};

/** Mean ROC AUC gaps that follow from a known deviation of PyOD's scores, with the reason. */
const CBLOF_ONE_DRAW =
  "PyOD's reference is one k-means run per split, and CBLOF's AUC moves by more than the band between k-means seeds; ours is the mean of 5 seeds per split. One-off checks (not run here): scikit-learn 1.6.1 with 1.2.1's first-centre draw reproduces the reference to 4 decimals with random_state = s, and scikit-learn's own CBLOF averaged over 40-60 seeds per split gives cardio 0.746, satellite 0.751, wbc 0.884, within 0.004 of ours; our k-means reproduces scikit-learn's labels from the same starting centres";
const LMDD_ONE_DRAW =
  "PyOD's LMDD scores the test rows among themselves (ours score each against the training orders: the replay above is PyOD's way with our detector, averaged over the same 5 draws per split as ours) and its reference is one draw of 50 random orders per split, whose ROC AUC varies widely between draws. One-off checks (not run here): a NumPy re-statement of PyOD's LMDD reproduces the reference with random_state = s (wbc 0.9329, vertebral 0.3962) and gives our training scores to 6e-15 from the same orders; over other seeds its mean and per-draw sd are breastw 0.674 ± 0.088, glass 0.573 ± 0.095, ionosphere 0.750 ± 0.063, pima 0.553 ± 0.063, wbc 0.883 ± 0.106, so the reference's 3 draws are off their own expectation by up to 0.05; on wbc our scoring of new rows is also lower than the batch's (about 0.82 vs 0.87 over 12 draws per split)";
const LODA_ONE_DRAW =
  "PyOD's reference is one draw of 100 random projections per split, and LODA's AUC varies between draws by more than the band (SD per draw: glass 0.17, lympho 0.26, thyroid 0.08, mnist 0.12, pima 0.04); ours is the mean of 5 draws per split. One-off checks (not run here): PyOD's LODA transcribed to NumPy with RandomState(s) reproduces the reference AUC to 6 decimals (glass 0.571976, lympho 0.686858, thyroid 0.768156, mnist 0.557822, pima 0.527684); over 100 draws per split its mean is glass 0.484, lympho 0.744, thyroid 0.846, mnist 0.573, pima 0.564, and ours 0.491, 0.743, 0.844, 0.567, 0.566";
/**
 * Gaps outside the band that are NOT explained yet: printed as OPEN with what is known so far,
 * counted apart from passes and known deviations in the summary line, and not failing the run.
 * Each entry is a to-do, not an excuse; it is removed when explained (moved to the known list) or
 * fixed.
 */
const OPEN_AUC_DEVIATIONS: Record<string, string> = {};

const KNOWN_AUC_DEVIATIONS: Record<string, string> = {
  "breastw lmdd": LMDD_ONE_DRAW,
  "glass lmdd": LMDD_ONE_DRAW,
  "ionosphere lmdd": LMDD_ONE_DRAW,
  "pima lmdd": LMDD_ONE_DRAW,
  "wbc lmdd": LMDD_ONE_DRAW,
  "cardio cblof": CBLOF_ONE_DRAW,
  "satellite cblof": CBLOF_ONE_DRAW,
  "wbc cblof": CBLOF_ONE_DRAW,
  "cardio cd": `${CD_CARDIO}; ours 0.8888, replayed PyOD scoring 0.8965, PyOD 0.8999 (with the noise features in its average)`,
  "mnist cd":
    "PyOD's test scores rest on rounding noise: on top of the training noise (see the mnist cd fixture), a test batch with a row of leverage 1 (alone in some feature) makes PyOD's distance infinite, which scales every other row to 0; our replay reproduces PyOD's all-zero seed-0 test scores exactly, but whether 1 − h rounds to 0 or to 1e-16 in PyOD's other seeds is noise",
  "glass loda": LODA_ONE_DRAW,
  "lympho loda": LODA_ONE_DRAW,
  "mnist loda": LODA_ONE_DRAW,
  "pima loda": LODA_ONE_DRAW,
  "thyroid loda": LODA_ONE_DRAW,
  "arrhythmia kde": `${KDE_FAR_ROWS}; on arrhythmia (274 features, 452 rows) such rows are a large share of the test set (a one-off NumPy check on seed 0 counted 87 of 181, and the AUC of PyOD's scores vs the exact sums was 0.775 vs 0.814)`,
};

interface AucRow {
  dataset: string;
  variant: Variant;
  ours: number;
  single: number;
  pyod: number;
  pooled?: number;
  /** With Variant.pyodDraws: the seed-matched run's AUC, and the mean over `REPEATS` draws. */
  pyodStream?: { replayed: number; mean: number };
  status: "ok" | "known" | "OPEN" | "FAIL";
}

const STREAM_EXPLANATION =
  "PyOD's figure is one draw per split from its random stream: the seed-matched run with that stream reproduces it (see the replays below), and our mean over the draws from our own generator lies within the band of the mean over the same seeds from PyOD's stream";

/** A gap that is PyOD's single draw: its draws replay to its figure and the expectations agree. */
function explainedByStream(row: AucRow): boolean {
  const draws = row.variant.pyodDraws;
  if (draws === undefined || row.pyodStream === undefined) return false;
  return (
    Math.abs(row.pyodStream.replayed - row.pyod) <= draws.tolerance &&
    Math.abs(row.ours - row.pyodStream.mean) <= row.variant.tolerance
  );
}

/**
 * Test ROC AUC over the splits: `single` from the seed-matched runs (random_state = split seed,
 * as PyOD's reference ran), `mean` over `repeats` draws per split (seeds s + 1000 r; a
 * deterministic detector's one run keeps its params). `each` sees every run.
 */
function drawAucs(
  X: Matrix,
  labels: Uint8Array,
  splits: readonly Split[],
  detector: string,
  params: Record<string, unknown>,
  repeats: number,
  each?: (run: SeedRun, split: Split) => void,
): { single: number; mean: number } {
  let sum = 0;
  let single = 0;
  for (let r = 0; r < repeats; r++) {
    for (const split of splits) {
      const seeded = repeats > 1 ? { ...params, seed: split.seed + 1000 * r } : params;
      const run = runSeed(X, labels, split, detector, seeded);
      each?.(run, split);
      sum += run.result.rocAuc;
      if (r === 0) single += run.result.rocAuc;
    }
  }
  return { single: single / splits.length, mean: sum / (repeats * splits.length) };
}

/** The AUC held against PyOD's: the seed-matched draw for detectors that replay its stream. */
function gatedAuc(row: AucRow): number {
  return row.variant.replaysSeed === true ? row.single : row.ours;
}

function maxRelativeError(
  ours: Float64Array,
  ref: (number | null)[],
): { err: number; compared: number } {
  let err = 0;
  let compared = 0;
  for (let i = 0; i < ref.length; i++) {
    const r = ref[i];
    if (r === null || !Number.isFinite(r)) continue;
    compared++;
    const e = Math.abs(ours[i] - r) / Math.max(Math.abs(r), 1e-12);
    if (!(e <= err)) err = e; // NaN propagates as a failure
  }
  return { err, compared };
}

/** Max relative error after dividing out the best common factor (median ratio). */
function maxRelativeErrorUpToScale(ours: Float64Array, ref: (number | null)[]): number {
  const ratios: number[] = [];
  ref.forEach((r, i) => {
    if (r !== null && Number.isFinite(r) && ours[i] !== 0) ratios.push(r / ours[i]);
  });
  ratios.sort((a, b) => a - b);
  const factor = ratios[Math.floor(ratios.length / 2)];
  return maxRelativeError(
    ours.map((v) => v * factor),
    ref,
  ).err;
}

/**
 * Mean test ROC AUC over the splits when the test rows are scored PyOD's batch-dependent way;
 * for a stochastic detector over the same `repeats` draws per split as its own AUC.
 */
function replayedAuc(
  X: Matrix,
  labels: Uint8Array,
  splits: readonly Split[],
  v: Variant,
  repeats: number,
): number {
  let sum = 0;
  for (let r = 0; r < repeats; r++) {
    for (const split of splits) {
      const params = repeats > 1 ? { ...v.params, seed: split.seed + 1000 * r } : v.params;
      sum += rocAuc(
        Uint8Array.from(split.test, (i) => labels[i]),
        replayed(X, split, v, params).map((s) => (Number.isFinite(s) ? s : 0)),
      );
    }
  }
  return sum / (repeats * splits.length);
}

function replayed(
  X: Matrix,
  split: Split,
  v: Variant,
  params: Record<string, unknown> = v.params,
): Float64Array {
  const scaler = fitStandardScaler(takeRows(X, split.train));
  return replayedScores(
    v.pyodScoring!,
    v.detector,
    params,
    applyScaler(scaler, takeRows(X, split.train)),
    applyScaler(scaler, takeRows(X, split.test)),
  );
}

async function main(): Promise<number> {
  if (!hasShared()) {
    console.error(`parity: shared data not found at ${sharedDir()} (set ANOMALOG_SHARED)`);
    return 1;
  }
  const only = process.argv.includes("--only")
    ? process.argv[process.argv.indexOf("--only") + 1].split(",")
    : undefined;
  const named = (v: Variant): boolean =>
    only !== undefined && (only.includes(v.label) || only.includes(v.detector));
  const variants = VARIANTS.filter((v) =>
    v.onlyWhenNamed !== undefined ? named(v) : only === undefined || named(v),
  );
  for (const v of VARIANTS) {
    if (v.onlyWhenNamed !== undefined && !named(v))
      console.log(`not run (name it with --only ${v.label}): ${v.label}: ${v.onlyWhenNamed}`);
  }
  const reference = pyodResults();
  const rows: AucRow[] = [];
  const fixtureLines: string[] = [];
  const replayLines: string[] = [];
  const counts = { passed: 0, known: 0, open: 0, failed: 0 };
  const started = performance.now();
  for (const ds of oddsDatasets()) {
    const data = await withDb((db) => readNumericCsv(db, ds.file, { label: "label" }));
    const labels = data.labels!;
    const splits = await readSplits(ds.splits, data.X.rows, [0, 1, 2]);
    // The seed-0 run of each variant with its own params, kept for the fixture checks below.
    const firstRuns = new Map<Variant, SeedRun>();
    for (const v of variants) {
      const ref = reference.find((r) => r.dataset === ds.name && r.detector === v.pyod);
      if (ref === undefined || ref.status !== "ok") continue;
      const repeats = getDetector(v.detector).deterministic ? 1 : REPEATS;
      const own = drawAucs(data.X, labels, splits, v.detector, v.params, repeats, (run, split) => {
        if (repeats === 1 && split === splits[0]) firstRuns.set(v, run);
      });
      const row: AucRow = {
        dataset: ds.name,
        variant: v,
        ours: own.mean,
        single: own.single,
        pyod: ref.rocAucMean,
        status: "ok",
      };
      if (v.pyodDraws !== undefined) {
        const streamParams = { ...v.params, ...v.pyodDraws.params };
        const stream = drawAucs(data.X, labels, splits, v.detector, streamParams, repeats);
        row.pyodStream = { replayed: stream.single, mean: stream.mean };
        const diff = row.pyodStream.replayed - ref.rocAucMean;
        const ok = Math.abs(diff) <= v.pyodDraws.tolerance;
        counts[ok ? "passed" : "failed"]++;
        replayLines.push(
          `${ok ? "ok   " : "FAIL "} ${ds.name.padEnd(11)} ${v.label.padEnd(11)} ` +
            `${row.pyodStream.replayed.toFixed(4).padStart(7)} ${ref.rocAucMean.toFixed(4).padStart(7)} ` +
            `${`${diff >= 0 ? "+" : ""}${diff.toFixed(4)}`.padStart(8)} ${v.pyodDraws.tolerance.toFixed(3).padStart(6)}`,
        );
      }
      if (Math.abs(gatedAuc(row) - ref.rocAucMean) > v.tolerance) {
        const key = `${ds.name} ${v.label}`;
        row.status =
          KNOWN_AUC_DEVIATIONS[key] !== undefined
            ? "known"
            : OPEN_AUC_DEVIATIONS[key] !== undefined
              ? "OPEN"
              : "FAIL";
        if (v.pyodScoring !== undefined) {
          row.pooled = replayedAuc(data.X, labels, splits, v, repeats);
          // A deterministic replay must give PyOD's number; a stochastic one, the mean of as
          // many draws as ours, can only be held to the band the detector itself is held to.
          const replayBand = repeats > 1 ? v.tolerance : POOLED_TOLERANCE;
          if (Math.abs(row.pooled - ref.rocAucMean) <= replayBand) row.status = "known";
        }
        if (row.pyodStream !== undefined && explainedByStream(row)) row.status = "known";
      }
      counts[
        row.status === "ok"
          ? "passed"
          : row.status === "known"
            ? "known"
            : row.status === "OPEN"
              ? "open"
              : "failed"
      ]++;
      rows.push(row);
    }
    const fixtures = scoreFixtures(ds.name);
    if (fixtures === undefined) continue;
    for (const v of variants) {
      const fx = v.fixture !== undefined ? fixtures[v.fixture] : undefined;
      if (fx === undefined) continue;
      const run = firstRuns.get(v) ?? runSeed(data.X, labels, splits[0], v.detector, v.params);
      const parts: [string, Float64Array, (number | null)[]][] = [
        ["train", run.model.trainingScores, fx.train_scores],
      ];
      // PyOD's batch-scored test rows are checked against the same replay (see pooled.ts).
      if (v.testFixture)
        parts.push([
          "test",
          v.pyodScoring === "batch" || v.pyodScoring === "replay"
            ? replayed(data.X, splits[0], v)
            : run.testScores,
          fx.test_scores,
        ]);
      const known = KNOWN_FIXTURE_DEVIATIONS[`${ds.name} ${v.label}`];
      for (const [part, ours, ref] of parts) {
        const { err, compared } = maxRelativeError(ours, ref);
        const ok = err <= RELATIVE_TOLERANCE && ours.length === ref.length;
        // A noise-floored PCA must still match PyOD's training scores up to their common factor.
        const scaled =
          !ok && v.detector === "pca" ? maxRelativeErrorUpToScale(ours, ref) : undefined;
        const excused =
          known !== undefined &&
          !(part === "train" && scaled !== undefined && scaled > RELATIVE_TOLERANCE);
        const status = ok ? "ok   " : excused ? "known" : "FAIL ";
        counts[ok ? "passed" : excused ? "known" : "failed"]++;
        let line =
          `${status} ${ds.name.padEnd(11)} ${v.label.padEnd(10)} ${part.padEnd(5)} ` +
          `max rel err ${err.toExponential(2)} over ${compared} of ${ref.length}`;
        if (scaled !== undefined) line += `; up to one common factor ${scaled.toExponential(2)}`;
        if (!ok && known !== undefined) line += `\n      why: ${known}`;
        fixtureLines.push(line);
      }
    }
  }
  console.log(`Mean ROC AUC over seeds 0, 1, 2 (reference protocol), ours vs PyOD 3.6.5`);
  console.log(
    `(stochastic detectors: "ours" = mean of ${REPEATS} forests per split, "draw" = the seed-matched one)\n`,
  );
  console.log(
    `${"dataset".padEnd(11)} ${"detector".padEnd(10)} ${"ours".padStart(7)} ${"draw".padStart(7)} ` +
      `${"pyod".padStart(7)} ${"diff".padStart(8)} ${"tol".padStart(6)}`,
  );
  for (const r of rows) {
    const diff = gatedAuc(r) - r.pyod;
    const single = getDetector(r.variant.detector).deterministic ? "" : r.single.toFixed(4);
    let line =
      `${r.dataset.padEnd(11)} ${r.variant.label.padEnd(10)} ${r.ours.toFixed(4).padStart(7)} ${single.padStart(7)} ` +
      `${r.pyod.toFixed(4).padStart(7)} ${`${diff >= 0 ? "+" : ""}${diff.toFixed(4)}`.padStart(8)} ` +
      `${r.variant.tolerance.toFixed(3).padStart(6)} ${r.status}`;
    if (r.pooled !== undefined)
      line += ` (PyOD's ${r.variant.pyodScoring} scoring replayed: ${r.pooled.toFixed(4)})`;
    if (r.pyodStream !== undefined)
      line += ` (PyOD's draws replayed: ${r.pyodStream.replayed.toFixed(4)}; mean of that stream: ${r.pyodStream.mean.toFixed(4)})`;
    const why =
      r.status === "known" && explainedByStream(r)
        ? STREAM_EXPLANATION
        : KNOWN_AUC_DEVIATIONS[`${r.dataset} ${r.variant.label}`];
    if (r.status === "known" && why !== undefined) line += `\n      why: ${why}`;
    const open = OPEN_AUC_DEVIATIONS[`${r.dataset} ${r.variant.label}`];
    if (r.status === "OPEN" && open !== undefined) line += `\n      open: ${open}`;
    console.log(line);
  }
  if (replayLines.length > 0) {
    console.log(`\nPyOD's own random draws replayed (seed-matched run, mean over seeds 0, 1, 2)\n`);
    console.log(
      `      ${"dataset".padEnd(11)} ${"detector".padEnd(11)} ${"replay".padStart(7)} ${"pyod".padStart(7)} ${"diff".padStart(8)} ${"tol".padStart(6)}`,
    );
    for (const line of replayLines) console.log(line);
  }
  console.log(
    `\nScore fixtures (seed 0, relative tolerance ${RELATIVE_TOLERANCE}; non-finite PyOD scores skipped)\n`,
  );
  for (const line of fixtureLines) console.log(line);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(
    `\nparity: ${counts.passed} passed, ${counts.failed} failed, ${counts.known} known deviations, ${counts.open} open (unexplained, listed above) (${seconds} s)`,
  );
  return counts.failed === 0 ? 0 : 1;
}

process.exitCode = await main();
