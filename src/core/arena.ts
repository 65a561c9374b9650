/**
 * Bump allocation in a WebAssembly kernel instance's memory, for code that keeps buffers there
 * across many kernel calls (the network engine, k-means): `take` regions, `commit` once (the
 * memory grows to fit, so views taken afterwards stay valid), then read and write them through
 * `f64`/`u32`/`i32`/`u8` views. `reset` starts a new layout in the same instance (earlier views must
 * no longer be used). Each arena has an instance of its own: the shared instance of core/wasm.ts
 * lays out its memory afresh on every call.
 */
import { newKernelInstance } from "./wasm.js";

export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

/** What an arena needs of a kernel instance: its memory. */
export interface KernelInstance {
  readonly memory: WasmMemory;
}

const PAGE = 65536;

export class KernelArena<K extends KernelInstance> {
  /** The instance's exports, typed as the caller's kernels. */
  readonly k: K;
  private readonly base: number;
  private end: number;
  private committed = false;

  constructor(kernels?: K) {
    this.k = kernels ?? (newKernelInstance() as K);
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

  u8(at: number, count: number): Uint8Array<ArrayBuffer> {
    return new Uint8Array(this.k.memory.buffer, at, count);
  }
}
