/**
 * The supervised classifier contract: validated params plus two pure functions, as the detector
 * contract (src/detectors/contract.ts) but fitted on labels. `fit(X, y, params)` learns a state
 * from rows and 0/1 labels (1 = the positive class, e.g. attack); `predictProba(state, X,
 * params)` gives each row's probability of class 1, depending on that row alone.
 */
import { z } from "zod";
import type { Matrix } from "../core/matrix.js";
import { assertFinite } from "../core/matrix.js";
import { DataError, ParamError, ShapeError } from "../core/errors.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyParamsSchema = z.ZodObject<any>;

export interface ClassifierDefinition<P extends AnyParamsSchema, S> {
  readonly name: string;
  readonly summary: string;
  readonly reference: string;
  readonly params: P;
  fit(X: Matrix, y: Uint8Array, params: z.output<P>): S;
  predictProba(state: S, X: Matrix, params: z.output<P>): Float64Array;
}

export function defineClassifier<P extends AnyParamsSchema, S>(
  def: ClassifierDefinition<P, S>,
): ClassifierDefinition<P, S> {
  return def;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyClassifier = ClassifierDefinition<AnyParamsSchema, any>;

export interface FittedClassifier {
  readonly classifier: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly nFeatures: number;
  readonly state: unknown;
}

/**
 * Validates params, data and labels once, then fits. Labels must be 0/1, one per row, with both
 * classes present: a one-class label column is an error (nothing to separate), not a model that
 * always answers the same.
 */
export function fitClassifier(
  def: AnyClassifier,
  X: Matrix,
  y: Uint8Array,
  rawParams: unknown = {},
): FittedClassifier {
  const parsed = def.params.strict().safeParse(rawParams ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((i) => `${i.path.length > 0 ? i.path.join(".") : "params"}: ${i.message}`)
      .join("; ");
    throw new ParamError(`invalid params for ${def.name}: ${problems}`);
  }
  if (y.length !== X.rows)
    throw new ShapeError(`${def.name}: ${y.length} labels for ${X.rows} rows`);
  if (X.cols < 1) throw new ShapeError(`${def.name}: cannot fit on zero features`);
  assertFinite(X, "training data");
  let positives = 0;
  for (let i = 0; i < y.length; i++) {
    if (y[i] !== 0 && y[i] !== 1)
      throw new DataError(`${def.name}: label of row ${i} is ${y[i]}, expected 0 or 1`);
    positives += y[i];
  }
  if (positives === 0 || positives === y.length)
    throw new DataError(
      `${def.name}: the labels have one class only (${y.length} rows, all ${positives === 0 ? 0 : 1}); ` +
        "a classifier needs examples of both classes (for one class, use an unsupervised detector)",
    );
  const params = parsed.data as Record<string, unknown>;
  return { classifier: def.name, params, nFeatures: X.cols, state: def.fit(X, y, params) };
}

/** Each row's probability of class 1. */
export function predictProba(def: AnyClassifier, model: FittedClassifier, X: Matrix): Float64Array {
  if (X.cols !== model.nFeatures)
    throw new ShapeError(
      `${model.classifier} was fit on ${model.nFeatures} features, got ${X.cols}`,
    );
  assertFinite(X, "data to classify");
  return def.predictProba(model.state, X, model.params);
}

/** scikit-learn's class_weight="balanced": n / (2 · n_class) for each row's class. */
export function balancedWeights(y: Uint8Array): Float64Array {
  let positives = 0;
  for (const v of y) positives += v;
  const w1 = y.length / (2 * positives);
  const w0 = y.length / (2 * (y.length - positives));
  return Float64Array.from(y, (v) => (v === 1 ? w1 : w0));
}
