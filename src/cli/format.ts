/** Terminal renderings of results. */
import { dirname } from "node:path";
import type { HuntSummary } from "../hunt/hunt.js";
import type { EvalResult } from "../eval/experiment.js";
import type { Profile } from "../data/profile.js";

export function formatHuntSummary(s: HuntSummary): string {
  const lines: string[] = [];
  lines.push(
    `${s.rows} rows (${s.distinctRows} distinct feature rows), ${s.features.length} features: ${s.features.join(", ")}`,
  );
  lines.push(`contamination ${s.contamination}; ${s.seconds.toFixed(2)} s in all`);
  if (s.trainedOn !== s.rows)
    lines.push(`fitted on ${s.trainedOn} rows (--train-on), every row scored`);
  const byStatus = (st: string): string[] =>
    s.detectors.filter((d) => d.status === st).map((d) => d.name);
  lines.push(
    `detectors: ${byStatus("ran").length} ran` +
      (byStatus("dropped").length > 0 ? `, dropped ${byStatus("dropped").join(", ")}` : "") +
      (byStatus("failed").length > 0 ? `, failed ${byStatus("failed").join(", ")}` : ""),
  );
  lines.push("");
  lines.push("detector    status   predicted s  seconds  actual/pred  flagged");
  for (const d of s.detectors) {
    const predicted = d.predictedSeconds === null ? "-" : d.predictedSeconds.toFixed(3);
    const ratio = s.forecast.ratios[d.name];
    lines.push(
      `${d.name.padEnd(11)} ${d.status.padEnd(8)} ${predicted.padStart(11)}  ${(d.seconds === null ? "-" : d.seconds.toFixed(3)).padStart(7)}  ${(ratio === undefined ? "-" : ratio.toFixed(2)).padStart(11)}  ${String(d.flagged ?? "-").padStart(7)}` +
        (d.error ? `   ${d.error}` : ""),
    );
  }
  if (s.forecast.budgetSeconds !== null) {
    const e = s.forecast.medianAbsLog2Error;
    lines.push(
      `forecast: ${s.forecast.seconds.toFixed(2)} s of sample fits; budget ${s.forecast.budgetSeconds} s per detector` +
        (e === null ? "" : `; median error ×${(2 ** e).toFixed(2)} (actual vs predicted)`),
    );
  }
  if (s.label !== undefined) {
    const l = s.label;
    lines.push(
      `against ${l.column} (${l.positives} anomalies): ranking ROC AUC ${l.rocAuc.toFixed(4)}, AP ${l.averagePrecision.toFixed(4)}, precision@n ${l.precisionAtN.toFixed(4)}`,
    );
    lines.push(
      "  per detector (ROC AUC / AP): " +
        Object.entries(l.perDetector)
          .map(([d, m]) => `${d} ${m.rocAuc.toFixed(3)}/${m.averagePrecision.toFixed(3)}`)
          .join(", "),
    );
  }
  lines.push("");
  lines.push("votes  rows");
  s.rankHistogram.forEach((count, k) => {
    if (k > 0 || count > 0) lines.push(`${String(k).padStart(5)}  ${count}`);
  });
  if (s.top.length > 0) {
    lines.push("");
    lines.push("most suspicious:");
    // Key fields: the features the detectors saw, then other fields while there is room.
    const original = Object.keys(s.top[0]).filter(
      (k) => k !== "rank" && k !== "score" && !k.startsWith("vote_"),
    );
    const shown = [
      ...s.features.filter((f) => original.includes(f)),
      ...original.filter((k) => !s.features.includes(k)),
    ].slice(0, 6);
    const header = ["rank", "score", ...shown];
    const rows = s.top.map((r) => [
      String(r.rank),
      Number(r.score).toFixed(4),
      ...shown.map((k) => truncate(r[k] === null || r[k] === undefined ? "" : String(r[k]), 24)),
    ]);
    const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
    const fmt = (cells: string[]): string => cells.map((v, c) => v.padEnd(widths[c])).join("  ");
    lines.push(fmt(header));
    for (const r of rows) lines.push(fmt(r));
  }
  lines.push("");
  lines.push(`${s.flagged} rows written to ${s.outputs.csv} (also .jsonl, .parquet, hunt.duckdb)`);
  return lines.join("\n");
}

/** One line saying how a hunt went (printed last, after the bell of a long hunt). */
export function huntResultLine(s: HuntSummary): string {
  const ran = s.detectors.filter((d) => d.status === "ran").length;
  const maxRank =
    s.rankHistogram.length - 1 - [...s.rankHistogram].reverse().findIndex((c) => c > 0);
  return (
    `anomalog: hunt done in ${s.seconds.toFixed(1)} s: ${s.rows} rows, ${ran}/${s.detectors.length} detectors, ` +
    `${s.flagged} flagged (highest rank ${maxRank}) in ${dirname(s.outputs.summary)}`
  );
}

function truncate(v: string, n: number): string {
  return v.length > n ? `${v.slice(0, n - 1)}…` : v;
}

export function formatEvalResult(r: EvalResult): string {
  const lines = [
    `${r.detector} on ${r.dataset} ${JSON.stringify(r.params)}`,
    "seed   ROC AUC       AP    fit s  score s",
  ];
  const row = (
    name: string,
    x: { rocAuc: number; averagePrecision: number; fitSeconds: number; scoreSeconds: number },
  ): string =>
    `${name.padEnd(5)} ${x.rocAuc.toFixed(4).padStart(8)} ${x.averagePrecision.toFixed(4).padStart(8)} ${x.fitSeconds.toFixed(4).padStart(8)} ${x.scoreSeconds.toFixed(4).padStart(8)}`;
  for (const s of r.perSeed) lines.push(row(String(s.seed), s));
  lines.push(row("mean", r.mean));
  return lines.join("\n");
}

export function formatProfile(p: Profile): string {
  const lines: string[] = [];
  lines.push(
    `${p.file}: ${p.format}, ${p.rows} rows, ${p.columns.length} columns` +
      (p.skipped > 0 ? `, ${p.skipped} bad records skipped` : ""),
  );
  for (const b of p.badRecords)
    lines.push(
      `  skipped: ${b.file}${b.line !== undefined ? ` line ${b.line}` : ""}${b.record !== undefined ? ` record ${b.record}` : ""}: ${b.problem}`,
    );
  if (p.skipped > p.badRecords.length)
    lines.push(`  … and ${p.skipped - p.badRecords.length} more`);
  for (const n of p.notes) lines.push(`  note: ${n}`);
  lines.push("");
  const width = Math.min(40, Math.max(6, ...p.columns.map((c) => c.name.length)));
  lines.push(
    `${"column".padEnd(width)}  ${"type".padEnd(9)} ${"missing".padStart(8)} ${"distinct".padStart(9)}  ${"suggest".padEnd(9)}  values`,
  );
  for (const c of p.columns) {
    const name = c.name.length > width ? `${c.name.slice(0, width - 1)}…` : c.name;
    const range =
      c.min !== undefined
        ? `${c.min} … ${c.max}${c.nonFinite ? ` (+${c.nonFinite} non-finite)` : ""}; `
        : "";
    const top = c.top
      .slice(0, 3)
      .map((t) => `${t.value.length > 24 ? `${t.value.slice(0, 23)}…` : t.value} (${t.count})`)
      .join(", ");
    lines.push(
      `${name.padEnd(width)}  ${c.type.padEnd(9)} ${String(c.nulls).padStart(8)} ${String(c.distinct).padStart(9)}  ${c.suggest.padEnd(9)}  ${range}${top}`,
    );
  }
  return lines.join("\n");
}
