/**
 * The WebAssembly side of the network engine (core/nn.ts): the kernels of assembly/nn.ts and an
 * arena that lays out every buffer a network needs in one kernel instance's memory.
 *
 * Why an instance of its own per arena: a training run keeps parameters, optimiser state, data
 * and every intermediate in kernel memory for thousands of steps, while other code (validation
 * passes, other detectors) may use the shared instance of core/wasm.ts in between, which lays
 * out its memory afresh on each call. The arena grows its memory once, at `commit`, so the
 * typed-array views it hands out stay valid for its lifetime.
 */
import { KernelArena, type WasmMemory } from "./arena.js";
import type { Activation } from "./nn.js";

/** The network kernels (assembly/nn.ts); offsets are byte offsets into `memory`. */
export interface NnKernels {
  readonly memory: WasmMemory;
  nnMatMul(
    a: number,
    aRow: number,
    aCol: number,
    m: number,
    k: number,
    b: number,
    n: number,
    bias: number,
    c: number,
  ): void;
  nnTranspose(a: number, rows: number, cols: number, out: number): void;
  nnTanh(v: number, n: number): void;
  nnActivate(kind: number, v: number, n: number): void;
  nnActivationBackward(kind: number, y: number, g: number, mask: number, n: number): void;
  nnDropout(
    z: number,
    n: number,
    bits: number,
    keepBelow: number,
    scale: number,
    mask: number,
    out: number,
  ): void;
  nnBatchNormTrain(
    z: number,
    rows: number,
    units: number,
    gamma: number,
    beta: number,
    hat: number,
    invStd: number,
    mean: number,
    ss: number,
    runMean: number,
    runVar: number,
    eps: number,
    momentum: number,
    update: number,
  ): void;
  nnBatchNormInfer(
    z: number,
    rows: number,
    units: number,
    gamma: number,
    beta: number,
    runMean: number,
    runVar: number,
    eps: number,
    inv: number,
  ): void;
  nnBatchNormBackward(
    g: number,
    hat: number,
    invStd: number,
    gamma: number,
    rows: number,
    units: number,
    dGamma: number,
    dBeta: number,
    scale: number,
  ): void;
  nnColumnSums(g: number, rows: number, units: number, out: number): void;
  nnGather(x: number, cols: number, order: number, start: number, rows: number, out: number): void;
  nnMse(out: number, target: number, n: number, grad: number): number;
  nnBce(p: number, target: number, weights: number, n: number, grad: number): number;
  nnAdam(
    params: number,
    grads: number,
    m: number,
    v: number,
    n: number,
    stepSize: number,
    beta1: number,
    beta2: number,
    eps: number,
    weightDecay: number,
    sqrtC2: number,
  ): void;
}

/** The kernels' activation codes (assembly/nn.ts). */
export const ACTIVATION_CODE: Record<Activation, number> = {
  linear: 0,
  relu: 1,
  tanh: 2,
  sigmoid: 3,
  elu: 4,
};

/** An arena (core/arena.ts) in an instance typed with the network kernels. */
export class Arena extends KernelArena<NnKernels> {}

/** Above this, the shared inference arena's instance is dropped after use (not pinned). */
const KEEP_BYTES = 256 * 1024 * 1024;
let shared: Arena | undefined;

/**
 * Runs `work` on the shared arena for one synchronous job (inference, element-wise kernels),
 * laid out afresh; large memories are let go afterwards.
 */
export function withSharedArena<T>(work: (arena: Arena) => T): T {
  const arena = shared ?? new Arena();
  shared = arena;
  arena.reset();
  try {
    return work(arena);
  } finally {
    if (arena.bytes > KEEP_BYTES) shared = undefined;
  }
}

/** tanh of every value of v, in place, on the SIMD kernel (within a few ulps of Math.tanh). */
export function tanhInPlace(v: Float64Array): Float64Array {
  const chunk = 1 << 20;
  withSharedArena((arena) => {
    const at = arena.takeF64(Math.min(chunk, v.length));
    arena.commit();
    for (let start = 0; start < v.length; start += chunk) {
      const count = Math.min(chunk, v.length - start);
      const view = arena.f64(at, count);
      view.set(v.subarray(start, start + count));
      arena.k.nnTanh(at, count);
      v.set(view, start);
    }
  });
  return v;
}
