/**
 * Neural training benchmarks (issue: "trains the notebooks' networks on 100k rows in seconds";
 * "autoencoder training of 30 epochs on 100k × 20 under 60 s"): each case trains one network
 * on generated 100k × 20 data in this process `repeats` times and reports the median wall and CPU
 * seconds (CPU seconds are the steadier figure on a shared machine).
 */
import { performance } from "node:perf_hooks";
import { fit } from "../detectors/model.js";
import { NETWORK_FLOWS_NOTEBOOK } from "../detectors/autoencoder.js";
import { fitClassifier } from "../supervised/classifier.js";
import { mlp } from "../supervised/mlp.js";
import type { Matrix } from "../core/matrix.js";

export interface NeuralCase {
  readonly name: string;
  readonly rows: number;
  readonly cols: number;
  readonly wallSeconds: number;
  readonly cpuSeconds: number;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function timed(run: () => void): { wallSeconds: number; cpuSeconds: number } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  run();
  const c = process.cpuUsage(c0);
  return { wallSeconds: (performance.now() - t0) / 1000, cpuSeconds: (c.user + c.system) / 1e6 };
}

/** The cases, on X (100k × 20 in `npm run bench`); labels for the MLP are X's planted outliers. */
export function runNeuralBench(X: Matrix, labels: Uint8Array, repeats = 3): NeuralCase[] {
  const cases: [string, () => void][] = [
    ["autoencoder PyOD defaults, 30 epochs", () => fit("autoencoder", X, { epochNum: 30 })],
    [
      "autoencoder notebook (12-6 elu, batch 4096), 30 epochs",
      () => fit("autoencoder", X, NETWORK_FLOWS_NOTEBOOK),
    ],
    [
      "mlp 128-64-1 (BETH), 10 epochs, batch 256",
      () => fitClassifier(mlp, X, labels, { epochs: 10, patience: 10 }),
    ],
  ];
  const out: NeuralCase[] = [];
  console.log(
    `\nNeural training on generated ${X.rows} × ${X.cols} (one thread; median of ${repeats})`,
  );
  console.log(`${"case".padEnd(56)} ${"wall s".padStart(8)} ${"cpu s".padStart(8)}`);
  for (const [name, run] of cases) {
    const runs = Array.from({ length: repeats }, () => timed(run));
    const t = {
      wallSeconds: median(runs.map((r) => r.wallSeconds)),
      cpuSeconds: median(runs.map((r) => r.cpuSeconds)),
    };
    out.push({ name, rows: X.rows, cols: X.cols, ...t });
    console.log(
      `${name.padEnd(56)} ${t.wallSeconds.toFixed(2).padStart(8)} ${t.cpuSeconds.toFixed(2).padStart(8)}`,
    );
  }
  return out;
}
