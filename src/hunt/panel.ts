/**
 * The hunt's panel: which detectors run, under which names, with which params. The default is
 * the reference notebook's thirteen (cloudtrail-ensemble-hunt: cblof, iforest, knn, knn with the
 * mean distance, lof with 35 neighbours, rod, cd, copod, ecod, gmm, hbos, inne, loda), each with
 * the notebook's settings; any registered detector can also be named and runs with its defaults.
 */
import { ParamError } from "../core/errors.js";
import { resolveParams } from "../detectors/contract.js";
import { getDetector, listDetectors } from "../detectors/registry.js";

export interface PanelEntry {
  /** The name in outputs (`vote_<name>`); differs from the detector's for variants (knn_mean). */
  readonly name: string;
  readonly detector: string;
  /** Validated params, defaults filled in, contamination set. */
  readonly params: Record<string, unknown>;
}

interface EntrySpec {
  readonly name: string;
  readonly detector: string;
  readonly params: Record<string, unknown>;
}

/** The notebook's panel, in its order; its KNN/AvKNN/LOF settings as our params. */
const NOTEBOOK_PANEL: readonly EntrySpec[] = [
  { name: "cblof", detector: "cblof", params: {} },
  { name: "iforest", detector: "iforest", params: {} },
  { name: "knn", detector: "knn", params: {} },
  { name: "knn_mean", detector: "knn", params: { method: "mean" } },
  { name: "lof", detector: "lof", params: { nNeighbors: 35 } },
  { name: "rod", detector: "rod", params: {} },
  { name: "cd", detector: "cd", params: {} },
  { name: "copod", detector: "copod", params: {} },
  { name: "ecod", detector: "ecod", params: {} },
  { name: "gmm", detector: "gmm", params: {} },
  { name: "hbos", detector: "hbos", params: {} },
  { name: "inne", detector: "inne", params: {} },
  { name: "loda", detector: "loda", params: {} },
];

function registered(detector: string): boolean {
  return listDetectors().some((d) => d.name === detector);
}

/** The notebook's entries whose detector is registered (all thirteen once the catalogue is in). */
export function defaultPanelSpecs(): readonly EntrySpec[] {
  return NOTEBOOK_PANEL.filter((e) => registered(e.detector));
}

/** The notebook's entries not yet in the registry (shown in help so the gap is visible). */
export function missingFromDefaultPanel(): string[] {
  return NOTEBOOK_PANEL.filter((e) => !registered(e.detector)).map((e) => e.name);
}

export function defaultPanelNames(): string[] {
  return defaultPanelSpecs().map((e) => e.name);
}

/**
 * The panel for a list of names (`default` stands for the default panel): a notebook entry's
 * name (knn_mean, lof) takes the notebook's settings, any other name a registered detector with
 * its defaults. Duplicates are dropped; unknown names throw ParamError listing the known ones.
 */
export function resolvePanel(
  names: readonly string[] | undefined,
  contamination: number,
): PanelEntry[] {
  const requested = names === undefined || names.length === 0 ? ["default"] : names;
  const specs: EntrySpec[] = [];
  for (const raw of requested) {
    const name = raw.toLowerCase();
    if (name === "default") {
      specs.push(...defaultPanelSpecs());
      continue;
    }
    const notebook = NOTEBOOK_PANEL.find((e) => e.name === name);
    if (notebook !== undefined && registered(notebook.detector)) {
      specs.push(notebook);
      continue;
    }
    if (!registered(name)) {
      const known = [
        ...new Set([...defaultPanelNames(), ...listDetectors().map((d) => d.name)]),
      ].join(", ");
      throw new ParamError(`unknown detector "${raw}" (known: default, ${known})`);
    }
    specs.push({ name, detector: name, params: {} });
  }
  const seen = new Set<string>();
  const panel: PanelEntry[] = [];
  for (const s of specs) {
    if (seen.has(s.name)) continue;
    seen.add(s.name);
    panel.push({
      name: s.name,
      detector: s.detector,
      params: resolveParams(getDetector(s.detector), { ...s.params, contamination }),
    });
  }
  if (panel.length === 0) throw new ParamError("no detectors named");
  return panel;
}
