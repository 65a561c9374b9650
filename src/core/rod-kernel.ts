/**
 * ROD's loops over rows (`assembly/rod.ts`) over the columns of one fit or one scoring, laid out
 * once in a kernel instance of their own: the columns, their dense ranks (fits only: they tell
 * distinct rows apart), and the per-row buffers a subspace fills in turn. The per-row arrays
 * below are views on that memory, valid as long as the kernel (the memory never grows after the
 * layout). Rows are padded to a multiple of four, since the kernel takes two rows per
 * instruction and two pairs per step; the views show the n real ones.
 */
import { KernelArena, type WasmMemory } from "./arena.js";

interface RodExports {
  readonly memory: WasmMemory;
  rodDistinct(
    xs: number,
    ys: number,
    zs: number,
    rx: number,
    ry: number,
    rz: number,
    n: number,
    table: number,
    mask: number,
    px: number,
    py: number,
    pz: number,
  ): number;
  rodMedian(
    px: number,
    py: number,
    pz: number,
    m: number,
    tolerance: number,
    maxSteps: number,
    out: number,
  ): void;
  rodAngles(
    xs: number,
    ys: number,
    zs: number,
    n: number,
    mx: number,
    my: number,
    mz: number,
    offset: number,
    angle: number,
  ): void;
  rodCosts(
    angle: number,
    offset: number,
    n: number,
    a1: number,
    b1: number,
    a2: number,
    b2: number,
    cost: number,
  ): void;
  rodDeviations(cost: number, n: number, median: number, deviation: number): void;
  rodAddScores(deviation: number, n: number, mad: number, squash: number, total: number): void;
  rodMedianOf(values: number, n: number, scratch: number): number;
}

/** The angle scalers of one subspace: scaled = angle · scale + shift, acute and obtuse. */
export interface AngleScaling {
  readonly acuteScale: number;
  readonly acuteShift: number;
  readonly obtuseScale: number;
  readonly obtuseShift: number;
}

export class RodKernel {
  readonly n: number;
  /** Per row, for the subspace last passed to `angles`: ‖x − m‖ and the angle (NaN: undefined). */
  readonly offset: Float64Array;
  readonly angle: Float64Array;
  /** Per row: the rotation cost (`costs`) and |cost − median| (`deviations`). */
  readonly cost: Float64Array;
  readonly deviation: Float64Array;
  /** Per row: the scores added by `addScores` since the last `clearTotal`. */
  readonly total: Float64Array;

  private readonly w: RodExports;
  private readonly padded: number;
  private readonly columnAt: number[] = [];
  private readonly rankAt: number[] = [];
  private readonly at: Record<
    | "offset"
    | "angle"
    | "cost"
    | "deviation"
    | "total"
    | "px"
    | "py"
    | "pz"
    | "table"
    | "median"
    | "scratch",
    number
  >;
  private readonly tableMask: number;
  private readonly medianOut: Float64Array;

  /** Columns of n values each; with `ranks` (one per column), `median` can be used. */
  constructor(columns: readonly Float64Array[], ranks?: readonly Int32Array[]) {
    const n = columns[0]?.length ?? 0;
    this.n = n;
    const padded = Math.ceil(n / 4) * 4;
    this.padded = padded;
    const arena = new KernelArena<RodExports>();
    this.w = arena.k;
    const rows = padded * 8;
    for (let j = 0; j < columns.length; j++) this.columnAt.push(arena.take(rows));
    if (ranks !== undefined)
      for (let j = 0; j < ranks.length; j++) this.rankAt.push(arena.take(n * 4));
    let tableSize = 16;
    while (tableSize < 2 * n) tableSize *= 2;
    this.tableMask = tableSize - 1;
    const points = ranks !== undefined ? rows : 0;
    this.at = {
      offset: arena.take(rows),
      angle: arena.take(rows),
      cost: arena.take(rows),
      deviation: arena.take(rows),
      total: arena.take(rows),
      px: arena.take(points),
      py: arena.take(points),
      pz: arena.take(points),
      table: arena.take(ranks !== undefined ? tableSize * 4 : 0),
      median: arena.take(3 * 8),
      scratch: arena.take(rows),
    };
    arena.commit();
    columns.forEach((column, j) => arena.f64(this.columnAt[j], n).set(column));
    ranks?.forEach((rank, j) => arena.i32(this.rankAt[j], n).set(rank));
    this.offset = arena.f64(this.at.offset, n);
    this.angle = arena.f64(this.at.angle, n);
    this.cost = arena.f64(this.at.cost, n);
    this.deviation = arena.f64(this.at.deviation, n);
    this.total = arena.f64(this.at.total, n);
    this.medianOut = arena.f64(this.at.median, 3);
  }

  /**
   * The geometric median of the distinct rows of subspace (a, b, c) (rod.ts says how), after at
   * most `maxSteps` steps or a step shorter than `tolerance`.
   */
  median(a: number, b: number, c: number, tolerance: number, maxSteps: number): Float64Array {
    if (this.rankAt.length === 0) throw new Error("RodKernel: median needs the columns' ranks");
    const { at, columnAt, rankAt } = this;
    const m = this.w.rodDistinct(
      columnAt[a],
      columnAt[b],
      columnAt[c],
      rankAt[a],
      rankAt[b],
      rankAt[c],
      this.n,
      at.table,
      this.tableMask,
      at.px,
      at.py,
      at.pz,
    );
    this.w.rodMedian(at.px, at.py, at.pz, m, tolerance, maxSteps, at.median);
    return Float64Array.from(this.medianOut);
  }

  /** Offsets and angles of every row of subspace (a, b, c) to the median m (3 values). */
  angles(a: number, b: number, c: number, m: ArrayLike<number>): void {
    const { at, columnAt } = this;
    this.w.rodAngles(
      columnAt[a],
      columnAt[b],
      columnAt[c],
      this.padded,
      m[0],
      m[1],
      m[2],
      at.offset,
      at.angle,
    );
  }

  /** Rotation costs from the last angles, scaled by `s`. */
  costs(s: AngleScaling): void {
    const { at } = this;
    this.w.rodCosts(
      at.angle,
      at.offset,
      this.padded,
      s.acuteScale,
      s.acuteShift,
      s.obtuseScale,
      s.obtuseShift,
      at.cost,
    );
  }

  /** |cost − median| of every row. */
  deviations(median: number): void {
    this.w.rodDeviations(this.at.cost, this.padded, median, this.at.deviation);
  }

  /** Adds every row's modified z-score of its deviation (sigmoid-squashed if `squash`) to total. */
  addScores(mad: number, squash: boolean): void {
    this.w.rodAddScores(this.at.deviation, this.padded, mad, squash ? 1 : 0, this.at.total);
  }

  /**
   * The median of every row's cost or deviation, as NumPy's (`quantile(values, 0.5)`, the same
   * number), by selection on the kernel.
   */
  medianOf(values: "cost" | "deviation"): number {
    return this.w.rodMedianOf(this.at[values], this.n, this.at.scratch);
  }

  clearTotal(): void {
    this.total.fill(0);
  }
}
