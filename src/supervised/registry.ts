/** Every supervised classifier anomalog knows, by name. */
import { ParamError } from "../core/errors.js";
import type { AnyClassifier } from "./classifier.js";
import { forest } from "./forest.js";
import { logistic } from "./logistic.js";
import { mlp } from "./mlp.js";

const classifiers: readonly AnyClassifier[] = [logistic, mlp, forest];

export function listClassifiers(): readonly AnyClassifier[] {
  return classifiers;
}

export function getClassifier(name: string): AnyClassifier {
  const def = classifiers.find((c) => c.name === name.toLowerCase());
  if (def === undefined)
    throw new ParamError(
      `unknown classifier "${name}" (known: ${classifiers.map((c) => c.name).join(", ")})`,
    );
  return def;
}
