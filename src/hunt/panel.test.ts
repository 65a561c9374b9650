import { test } from "node:test";
import assert from "node:assert/strict";
import { listDetectors } from "../detectors/registry.js";
import { defaultPanelNames, missingFromDefaultPanel, resolvePanel } from "./panel.js";

test("the default panel is the notebook's thirteen, less those not yet registered", () => {
  const all = [...defaultPanelNames(), ...missingFromDefaultPanel()].sort();
  assert.deepEqual(all, [
    "cblof",
    "cd",
    "copod",
    "ecod",
    "gmm",
    "hbos",
    "iforest",
    "inne",
    "knn",
    "knn_mean",
    "loda",
    "lof",
    "rod",
  ]);
  const registered = new Set(listDetectors().map((d) => d.name));
  for (const name of missingFromDefaultPanel()) assert.ok(!registered.has(name));
  assert.deepEqual(
    resolvePanel(undefined, 0.001).map((e) => e.name),
    defaultPanelNames(),
  );
});

test("panel entries carry the notebook's settings and the contamination", () => {
  const panel = resolvePanel(["knn_mean", "lof", "pca", "default"], 0.002);
  const byName = new Map(panel.map((e) => [e.name, e]));
  assert.equal(byName.get("knn_mean")!.detector, "knn");
  assert.equal(byName.get("knn_mean")!.params.method, "mean");
  assert.equal(byName.get("lof")!.params.nNeighbors, 35);
  assert.equal(byName.get("pca")!.params.contamination, 0.002);
  assert.equal(new Set(panel.map((e) => e.name)).size, panel.length, "no duplicates");
});

test("an unknown detector name is refused with the known names", () => {
  assert.throws(() => resolvePanel(["knnn"], 0.001), /unknown detector "knnn" \(known: default, /);
});
