/**
 * Every detector anomalog knows, by name. CLI help and the eval harness read this list.
 */
import { z } from "zod";
import { ParamError } from "../core/errors.js";
import type { AnyDetector } from "./contract.js";
import { abod } from "./abod.js";
import { autoencoder } from "./autoencoder.js";
import { cblof } from "./cblof.js";
import { cd } from "./cd.js";
import { cof } from "./cof.js";
import { dif } from "./dif.js";
import { copod } from "./copod.js";
import { ecod } from "./ecod.js";
import { gmm } from "./gmm.js";
import { hbos } from "./hbos.js";
import { iforest } from "./iforest.js";
import { inne } from "./inne.js";
import { kde } from "./kde.js";
import { kmeansdist } from "./kmeansdist.js";
import { knn } from "./knn.js";
import { lmdd } from "./lmdd.js";
import { lof } from "./lof.js";
import { loda } from "./loda.js";
import { mcd } from "./mcd.js";
import { ocsvm } from "./ocsvm.js";
import { pca } from "./pca.js";
import { qmcd } from "./qmcd.js";
import { rod } from "./rod.js";
import { sgdocsvm } from "./sgdocsvm.js";
import { sod } from "./sod.js";

const detectors: readonly AnyDetector[] = [
  iforest,
  hbos,
  ecod,
  copod,
  pca,
  knn,
  lof,
  cof,
  sod,
  abod,
  kde,
  cblof,
  inne,
  gmm,
  mcd,
  lmdd,
  ocsvm,
  sgdocsvm,
  qmcd,
  loda,
  cd,
  kmeansdist,
  rod,
  autoencoder,
  dif,
];
const byName = new Map(detectors.map((d) => [d.name, d]));

export function listDetectors(): readonly AnyDetector[] {
  return detectors;
}

export function getDetector(name: string): AnyDetector {
  const def = byName.get(name.toLowerCase());
  if (def === undefined) {
    throw new ParamError(
      `unknown detector "${name}" (known: ${detectors.map((d) => d.name).join(", ")})`,
    );
  }
  return def;
}

export interface ParamDoc {
  readonly name: string;
  readonly type: string;
  readonly default: unknown;
  readonly description: string;
}

/** Each param's name, type, default and description, read from the detector's schema. */
export function describeParams(def: AnyDetector): ParamDoc[] {
  const schema = z.toJSONSchema(def.params, { io: "input", unrepresentable: "any" }) as {
    properties?: Record<
      string,
      {
        type?: string;
        anyOf?: { type?: string; const?: unknown }[];
        enum?: unknown[];
        default?: unknown;
        description?: string;
      }
    >;
  };
  return Object.entries(schema.properties ?? {}).map(([name, prop]) => ({
    name,
    type:
      prop.enum !== undefined
        ? prop.enum.map((v) => JSON.stringify(v)).join(" | ")
        : prop.anyOf !== undefined
          ? prop.anyOf
              .map((a) => (a.const !== undefined ? JSON.stringify(a.const) : (a.type ?? "?")))
              .join(" | ")
          : (prop.type ?? "any"),
    default: prop.default,
    description: prop.description ?? "",
  }));
}
