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
import { newKernelInstance } from "./wasm.js";
import type { Activation } from "./nn.js";

interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

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

const PAGE = 65536;

/**
 * Bump allocation in a kernel instance's memory: `take` regions, `commit` once (the memory grows
 * to fit), then read and write them through `f64`/`u32`/`i32` views. `reset` starts a new layout
 * in the same instance (earlier views must no longer be used).
 */
export class Arena {
  readonly k: NnKernels;
  private readonly base: number;
  private end: number;
  private committed = false;

  constructor(kernels?: NnKernels) {
    this.k = kernels ?? (newKernelInstance() as NnKernels);
    this.base = this.k.memory.buffer.byteLength;
    this.end = this.base;
  }

  /** Reserves `bytes` (rounded up to 16 for SIMD alignment) and returns their offset. */
  take(bytes: number): number {
    if (this.committed) throw new Error("Arena: take after commit");
    const at = this.end;
    this.end += Math.ceil(bytes / 16) * 16;
    return at;
  }

  takeF64(count: number): number {
    return this.take(count * 8);
  }

  /** Grows the memory to hold every region taken. */
  commit(): void {
    const needed = this.end - this.k.memory.buffer.byteLength;
    if (needed > 0) this.k.memory.grow(Math.ceil(needed / PAGE));
    this.committed = true;
  }

  /** Forgets the layout (the memory stays), for a new one. */
  reset(): void {
    this.end = this.base;
    this.committed = false;
  }

  /** Bytes of memory the instance holds. */
  get bytes(): number {
    return this.k.memory.buffer.byteLength;
  }

  f64(at: number, count: number): Float64Array<ArrayBuffer> {
    return new Float64Array(this.k.memory.buffer, at, count);
  }

  u32(at: number, count: number): Uint32Array<ArrayBuffer> {
    return new Uint32Array(this.k.memory.buffer, at, count);
  }

  i32(at: number, count: number): Int32Array<ArrayBuffer> {
    return new Int32Array(this.k.memory.buffer, at, count);
  }
}

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
