/**
 * The `neighbours` param shared by the neighbour-based detectors (knn, lof): exact search
 * (src/core/neighbors.ts, the default everywhere) or approximate search over an HNSW graph
 * (src/core/approximate-neighbors.ts) for inputs where exact search is too slow.
 *
 * An approximate model stores what an exact one stores (its training rows); scoring builds the
 * graph again from them, once per process (the index is kept with the rows it was built on), so
 * the model file has no graph in it and its format is unchanged.
 */
import { z } from "zod";
import { approximateIndex } from "../core/approximate-neighbors.js";
import { matrix, type Matrix } from "../core/matrix.js";
import { kNearest, neighbourSearchMinRows, type Neighbours } from "../core/neighbors.js";

export const neighboursParam = z
  .enum(["exact", "approximate"])
  .default("exact")
  .describe(
    "Neighbour search: exact, or approximate (an HNSW graph, usearch) for very large inputs; " +
      "neighbours' distances stay exact, a few true neighbours may be missed (README: Approximate neighbours).",
  );

export type NeighbourSearch = z.output<typeof neighboursParam>;

/**
 * From how many rows a detector fits and scores on the worker pool (parallel.ts): exact searches
 * as neighbourSearchMinRows says (fewer rows on wide data); approximate ones never, since the
 * graph searches on every core itself and each worker would have to build it again.
 */
export function neighbourParallelMinRows(cols: number, p: { neighbours: NeighbourSearch }): number {
  return p.neighbours === "approximate" ? Infinity : neighbourSearchMinRows(cols);
}

/**
 * Approximate search: the training rows as a fitted state keeps them (a copy of X's values) and
 * each one's k nearest other training rows. The graph is built on that copy, so scoring with the
 * state finds it again instead of building another.
 */
export function approximateTrainingNeighbours(
  X: Matrix,
  k: number,
): { train: Float64Array; nn: Neighbours } {
  const train = X.data.slice();
  return { train, nn: approximateIndex(matrix(X.rows, X.cols, train)).selfQuery(k) };
}

/**
 * The approximate detectors' self-query is not the exact one (parallel.ts and the hunt's
 * distinct-row path run an exact self-query for `selfNeighbours` > 0): 0 sends their fits to
 * `fit`.
 */
export function exactSelfNeighbours(search: NeighbourSearch, k: number): number {
  return search === "approximate" ? 0 : k;
}

/** The k nearest training rows (row-major `train`, X's width) of each row of X. */
export function neighboursAmong(
  train: Float64Array,
  k: number,
  X: Matrix,
  search: NeighbourSearch,
): Neighbours {
  const reference = matrix(train.length / X.cols, X.cols, train);
  return search === "approximate"
    ? approximateIndex(reference).search(k, X)
    : kNearest(reference, k, X);
}
