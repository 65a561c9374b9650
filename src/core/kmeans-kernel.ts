/**
 * The k-means kernels of `assembly/kmeans.ts` over buffers laid out once per kMeans call in a
 * kernel instance of their own (so the shared kernels, which lay out their memory afresh on
 * every call, cannot overwrite them). Everything a restart touches row by row lives there; the
 * typed arrays below are views on it, valid as long as the session (the memory never grows after
 * the layout).
 */
import { KernelArena, type WasmMemory } from "./arena.js";

interface KMeansExports {
  readonly memory: WasmMemory;
  kmRunningPotential(
    weight: number,
    closest: number,
    inverse: number,
    n: number,
    cumulative: number,
  ): number;
  kmCandidates(
    points: number,
    u: number,
    d: number,
    candidates: number,
    trials: number,
    closest: number,
    out: number,
    weight: number,
    inverse: number,
    n: number,
    potentials: number,
    scratch: number,
  ): void;
  kmAssign(
    points: number,
    u: number,
    d: number,
    centres: number,
    k: number,
    labels: number,
    upper: number,
    lower: number,
    halfGap: number,
    moved: number,
    drift: number,
    changed: number,
    previous: number,
    changedList: number,
    scratch: number,
    pending: number,
  ): number;
  kmApplyChanges(
    data: number,
    n: number,
    d: number,
    weight: number,
    inverse: number,
    changed: number,
    previous: number,
    labels: number,
    rowLabels: number,
    sums: number,
    weightOf: number,
    countOf: number,
    changedList: number,
    count: number,
  ): void;
  kmInertia(
    data: number,
    n: number,
    d: number,
    centres: number,
    labels: number,
    weight: number,
  ): number;
}

export interface KMeansKernelShape {
  /** Rows, and the points measured for them (each distinct row once, or every row: u = n). */
  readonly n: number;
  readonly u: number;
  readonly d: number;
  readonly k: number;
  /** k-means++ candidates per draw. */
  readonly trials: number;
  /** Row → point, when points are the distinct rows. */
  readonly hasInverse: boolean;
}

/** Byte offsets and views of one kMeans call's buffers. */
export class KMeansKernel {
  readonly shape: KMeansKernelShape;
  /** The rows (n × d), their weights, and (with distinct points) the points and row → point. */
  readonly data: Float64Array;
  readonly weight: Float64Array;
  readonly points: Float64Array;
  readonly inverse: Int32Array | undefined;
  /** k-means++: running potentials by row, each point's D², the candidates and their results. */
  readonly cumulative: Float64Array;
  readonly closest: Float64Array;
  readonly candidateClosest: Float64Array;
  readonly candidates: Float64Array;
  readonly potentials: Float64Array;
  /** Two centre buffers (k × d): the centres assigned to, and the next ones. */
  readonly centres: readonly [Float64Array, Float64Array];
  /** Lloyd: each row's cluster, the running per-cluster sums, weights and counts. */
  readonly rowLabels: Int32Array;
  readonly sums: Float64Array;
  readonly weightOf: Float64Array;
  readonly countOf: Int32Array;
  /** How far each centre moved in the last update (consumed by the next assignment). */
  readonly moved: Float64Array;

  private readonly w: KMeansExports;
  private readonly at: Record<string, number> = {};
  private readonly labels: Int32Array;
  private readonly changed: Uint8Array;
  /** How far each centre moved since the restart began, and the sum of each update's largest move. */
  private readonly drift: Float64Array;

  constructor(shape: KMeansKernelShape) {
    this.shape = shape;
    const { n, u, d, k, trials, hasInverse } = shape;
    const arena = new KernelArena<KMeansExports>();
    this.w = arena.k;
    const take = (name: string, bytes: number) => (this.at[name] = arena.take(bytes));
    take("data", n * d * 8);
    take("weight", n * 8);
    if (hasInverse) {
      take("points", u * d * 8);
      take("inverse", n * 4);
    } else this.at.points = this.at.data;
    take("cumulative", n * 8);
    take("closest", u * 8);
    take("candidateClosest", trials * u * 8);
    take("candidates", trials * d * 8);
    take("potentials", (trials + (trials % 2)) * 8); // summed in pairs of lanes
    take("centres0", k * d * 8);
    take("centres1", k * d * 8);
    take("labels", u * 4);
    take("rowLabels", n * 4);
    take("upper", u * 8);
    take("lower", u * 8);
    take("halfGap", k * 8);
    take("moved", k * 8);
    take("drift", (k + 1) * 8);
    take("changed", u);
    take("previous", u * 4);
    take("changedList", u * 4);
    take("pending", u * 4);
    take("sums", k * d * 8);
    take("weightOf", k * 8);
    take("countOf", k * 4);
    // Transposed centres or candidates (in pairs of columns, or eight for up to eight centres),
    // and one point's distances to them.
    take("scratch", (d + 1) * (Math.max(k, trials, 8) + 1) * 8);
    arena.commit();
    const f64 = (name: string, length: number) => arena.f64(this.at[name], length);
    const i32 = (name: string, length: number) => arena.i32(this.at[name], length);
    this.data = f64("data", n * d);
    this.weight = f64("weight", n);
    this.points = f64("points", u * d);
    this.inverse = hasInverse ? i32("inverse", n) : undefined;
    this.cumulative = f64("cumulative", n);
    this.closest = f64("closest", u);
    this.candidateClosest = f64("candidateClosest", trials * u);
    this.candidates = f64("candidates", trials * d);
    this.potentials = f64("potentials", trials);
    this.centres = [f64("centres0", k * d), f64("centres1", k * d)];
    this.labels = i32("labels", u);
    this.rowLabels = i32("rowLabels", n);
    this.changed = arena.u8(this.at.changed, u);
    this.sums = f64("sums", k * d);
    this.weightOf = f64("weightOf", k);
    this.countOf = i32("countOf", k);
    this.moved = f64("moved", k);
    this.drift = f64("drift", k + 1);
  }

  /** cumulative[i] = Σ_{r ≤ i} weight[r] · closest[point of r]; returns the total. */
  runningPotential(): number {
    const { n } = this.shape;
    const a = this.at;
    return this.w.kmRunningPotential(a.weight, a.closest, this.inverseAt(), n, a.cumulative);
  }

  /**
   * Measures the first `trials` candidates against every point: candidateClosest[t·u + p] =
   * min(closest[p], D²), and potentials[t] their weighted sum over the rows in row order.
   */
  measureCandidates(trials: number): void {
    const { n, u, d } = this.shape;
    const a = this.at;
    this.w.kmCandidates(
      a.points,
      u,
      d,
      a.candidates,
      trials,
      a.closest,
      a.candidateClosest,
      a.weight,
      this.inverseAt(),
      n,
      a.potentials,
      a.scratch,
    );
  }

  /** Clears the labels, bounds' moves and running sums for a new restart. */
  resetLloyd(): void {
    this.labels.fill(-1);
    this.rowLabels.fill(-1);
    this.changed.fill(0);
    this.moved.fill(0);
    this.drift.fill(0);
    this.sums.fill(0);
    this.weightOf.fill(0);
    this.countOf.fill(0);
  }

  /**
   * Assigns every point to its nearest of the centres in buffer `which` (Hamerly's bounds
   * skipping the settled ones) and moves the rows that changed cluster in the running sums.
   * Returns how many points changed.
   */
  assign(which: 0 | 1): number {
    const { n, u, d, k } = this.shape;
    const a = this.at;
    const count = this.w.kmAssign(
      a.points,
      u,
      d,
      a[`centres${which}`],
      k,
      a.labels,
      a.upper,
      a.lower,
      a.halfGap,
      a.moved,
      a.drift,
      a.changed,
      a.previous,
      a.changedList,
      a.scratch,
      a.pending,
    );
    this.w.kmApplyChanges(
      a.data,
      n,
      d,
      a.weight,
      this.inverseAt(),
      a.changed,
      a.previous,
      a.labels,
      a.rowLabels,
      a.sums,
      a.weightOf,
      a.countOf,
      a.changedList,
      count,
    );
    return count;
  }

  /** Weighted sum of the rows' squared distances to their labels' centres (buffer `which`). */
  inertia(which: 0 | 1): number {
    const { n, d } = this.shape;
    const a = this.at;
    return this.w.kmInertia(a.data, n, d, a[`centres${which}`], a.rowLabels, a.weight);
  }

  private inverseAt(): number {
    return this.shape.hasInverse ? this.at.inverse : 0;
  }
}
