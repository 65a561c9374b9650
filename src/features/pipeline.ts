/**
 * Fit a feature spec on a loaded table, and transform any loaded table with the fitted state
 * into a row-major Float64Array matrix, rows in record order.
 *
 * DuckDB does the work in one query per transform: a stage-0 view adds the record number and
 * derived inputs (an address's /24, its ASN and country through the ip2asn ranges), stage 1
 * evaluates every encoder's expressions (joins against lookup tables, window functions per
 * entity), stage 2 the shift windows over stage-1 outputs. Node only copies the result out.
 *
 * Fallbacks are each encoder's (documented in its file): unseen categories and missing values
 * get defined codes; a column marked `optional` that is absent reads as missing on every row; an
 * absent required column is a DataError naming it.
 */
import { z } from "zod";
import type { DuckDBDoubleVector } from "@duckdb/node-api";
import { DataError, ModelFormatError, ParamError } from "../core/errors.js";
import { matrix, type Matrix } from "../core/matrix.js";
import { ident, type Db } from "../data/db.js";
import { sourceRow, type LoadedTable } from "../data/table.js";
import type { EncodeContext, FeatureInput, FeatureRefs, Plan } from "./encoder.js";
import { createIpLookup, ip2asnState, readIp2Asn, type Ip2Asn } from "./ip2asn.js";
import { prefix24Sql } from "./ip.js";
import { ENCODERS, featureName, parseSpec, SPEC_FORMAT, type Feature, type Spec } from "./spec.js";

export const FITTED_FORMAT = "anomalog-features-fitted";
export const FITTED_VERSION = 1;

export interface FittedFeature {
  readonly name: string;
  readonly feature: Feature;
  readonly state: unknown;
  readonly outputs: readonly string[];
}

/** A spec fitted on training data: everything a transform needs, JSON-serialisable. */
export interface FittedFeatures {
  readonly format: typeof FITTED_FORMAT;
  readonly version: number;
  readonly features: readonly FittedFeature[];
  readonly ip2asn?: Ip2Asn;
  /** Output column names, in matrix order. */
  readonly columns: readonly string[];
}

export interface Encoded {
  readonly X: Matrix;
  readonly columns: readonly string[];
}

let counter = 0;
const fresh = (prefix: string) => `feat_${prefix}_${++counter}`;

/** Columns a feature reads, with whether each may be absent. */
function columnsRead(f: Feature): [string, boolean][] {
  const optional = f.optional === true;
  const out: [string, boolean][] = [];
  if (typeof f.column === "string") out.push([f.column, optional]);
  if (typeof f.distinct === "string") out.push([f.distinct, optional]);
  for (const key of ["entity", "time"] as const)
    if (typeof f[key] === "string") out.push([f[key] as string, false]);
  return out;
}

/** The timestamp columns a feature reads. */
function timeColumns(f: Feature): string[] {
  if (f.encode === "hour" || f.encode === "weekday" || f.encode === "delta")
    return [f.column as string];
  return typeof f.time === "string" ? [f.time] : [];
}

/** Checks that passed, by table and condition (tables are never changed once loaded). */
const checked = new Set<string>();

/** Builds the stage-0 view over `t` and the context encoders read through. */
async function context(
  db: Db,
  t: LoadedTable,
  features: readonly Feature[],
  ip2asn: Ip2Asn | undefined,
): Promise<{ ctx: EncodeContext; view: string }> {
  const byLower = new Map(t.columns.map((c) => [c.toLowerCase(), c]));
  const actual = (name: string) =>
    t.columns.includes(name) ? name : byLower.get(name.toLowerCase());
  for (const f of features)
    for (const [name, optional] of columnsRead(f))
      if (actual(name) === undefined && !optional)
        throw new DataError(
          `no column "${name}" (needed by feature "${featureName(f)}"; mark it "optional": true to read an absent column as missing); columns: ${t.columns.slice(0, 50).join(", ")}${t.columns.length > 50 ? ", …" : ""}`,
          { file: t.file },
        );
  const column = (name: string, optional = false): string => {
    const a = actual(name);
    if (a === undefined) {
      if (optional) return "NULL::VARCHAR";
      throw new DataError(`no column "${name}"`, { file: t.file });
    }
    return `nullif(s0.${ident(a)}::VARCHAR, '')`;
  };

  // Derived inputs, one view column per distinct (derive, column).
  const derivedAs = new Map<string, string>();
  const select: string[] = ["r.rowid AS __row", "r.*"];
  const joins: string[] = [];
  const lookups = new Map<string, string>();
  for (const f of features) {
    if (typeof f.derive !== "string" || typeof f.column !== "string") continue;
    const key = `${f.derive}\u0000${f.column}`;
    if (derivedAs.has(key)) continue;
    const name = `__d${derivedAs.size}`;
    derivedAs.set(key, name);
    const raw = column(f.column, f.optional === true).replace(/s0\./g, "r.");
    if (f.derive === "prefix24") select.push(`${prefix24Sql(raw)} AS ${name}`);
    else {
      if (ip2asn === undefined) throw new ParamError("derive asn / country needs an ip2asn table");
      let table = lookups.get(f.column);
      if (table === undefined) {
        table = fresh("ip");
        lookups.set(f.column, table);
        await createIpLookup(db, table, ip2asn, `${t.table} r`, raw);
        joins.push(`LEFT JOIN ${ident(table)} ON ${ident(table)}.v = ${raw}`);
      }
      select.push(`${ident(table)}.${f.derive === "asn" ? "asn" : "country"} AS ${name}`);
    }
  }
  // Each time column parsed once, in the view, however many features read it.
  const timeAs = new Map<string, string>();
  for (const f of features)
    for (const name of timeColumns(f)) {
      if (timeAs.has(name)) continue;
      const as = `__t${timeAs.size}`;
      timeAs.set(name, as);
      const v = column(name, f.optional === true).replace(/s0\./g, "r.");
      select.push(
        `coalesce(epoch(TRY_CAST(${v} AS TIMESTAMPTZ)), TRY_CAST(${v} AS DOUBLE)) AS ${as}`,
      );
    }
  const view = fresh("view");
  await db.connection.run(
    `CREATE OR REPLACE TEMP VIEW ${view} AS SELECT ${select.join(", ")} FROM ${t.table} r ${joins.join(" ")}`,
  );
  const from = `${view} s0`;

  const ctx: EncodeContext = {
    db,
    view: from,
    file: t.file,
    column,
    input(f: FeatureInput) {
      if (f.derive !== undefined) return `s0.${derivedAs.get(`${f.derive}\u0000${f.column}`)!}`;
      return column(f.column!, f.optional === true);
    },
    time(name, optional = false) {
      const as = timeAs.get(name);
      if (as !== undefined) return `s0.${as}`;
      const v = column(name, optional);
      return `coalesce(epoch(TRY_CAST(${v} AS TIMESTAMPTZ)), TRY_CAST(${v} AS DOUBLE))`;
    },
    tempName: fresh,
    async checkRows(badWhere, columnName, problem) {
      // A table's rows never change once loaded: each check runs once per table.
      const key = `${t.table}\u0000${badWhere}`;
      if (checked.has(key)) return;
      const r = await db.connection.runAndReadAll(
        `SELECT s0.__row::DOUBLE, ${column(columnName, true)} FROM ${from} WHERE ${badWhere} ORDER BY s0.__row LIMIT 1`,
      );
      const hit = r.getRowsJS()[0] as [number, string] | undefined;
      if (hit === undefined) {
        checked.add(key);
        return;
      }
      const before = await db.connection.runAndReadAll(
        `SELECT count(*)::DOUBLE FROM ${t.table} WHERE rowid < ${hit[0]}`,
      );
      const index = before.getRowsJS()[0][0] as number;
      const shown = hit[1].length > 60 ? `${hit[1].slice(0, 60)}…` : hit[1];
      throw new DataError(`"${shown}" ${problem}`, {
        file: t.file,
        row: sourceRow(t, index),
        column: columnName,
      });
    },
  };
  return { ctx, view };
}

/** Learns every feature's state from the training table. */
export async function fitFeatures(db: Db, t: LoadedTable, spec: Spec): Promise<FittedFeatures> {
  await db.connection.run("SET TimeZone = 'UTC'");
  const ip2asn = spec.ip2asn !== undefined ? await readIp2Asn(db, spec.ip2asn) : undefined;
  const { ctx, view } = await context(db, t, spec.features, ip2asn);
  try {
    const fitted: FittedFeature[] = [];
    const names = new Set<string>();
    for (const f of spec.features) {
      const name = featureName(f);
      if (names.has(name))
        throw new ParamError(`two features are named "${name}"; give one a "name"`);
      names.add(name);
      const encoder = ENCODERS.get(f.encode)!;
      const state: unknown = await encoder.fit(ctx, f);
      fitted.push({ name, feature: f, state, outputs: encoder.outputs(name, f, state) });
    }
    return {
      format: FITTED_FORMAT,
      version: FITTED_VERSION,
      features: fitted,
      ...(ip2asn !== undefined ? { ip2asn } : {}),
      columns: fitted.flatMap((f) => f.outputs),
    };
  } finally {
    await db.connection.run(`DROP VIEW IF EXISTS ${view}`);
  }
}

/** The feature matrix of any table, with the fitted state (rows in record order). */
export async function transformFeatures(
  db: Db,
  t: LoadedTable,
  fitted: FittedFeatures,
): Promise<Encoded> {
  await db.connection.run("SET TimeZone = 'UTC'");
  const features = fitted.features.map((f) => f.feature);
  const { ctx, view } = await context(db, t, features, fitted.ip2asn);
  try {
    const stage1: string[] = [];
    const stage2: string[] = [];
    const joins: string[] = [];
    const refs = new Map<string, string[]>();
    const outputs: string[] = []; // per output column, in matrix order: its stage-1 or 2 name
    let k = 0;
    for (const f of fitted.features) {
      const encoder = ENCODERS.get(f.feature.encode)!;
      let plan: Plan;
      try {
        plan = await encoder.plan(ctx, f.feature, f.state, refs as FeatureRefs);
      } catch (e) {
        if (e instanceof DataError || e instanceof ParamError) throw e;
        throw new ParamError(`feature "${f.name}": ${(e as Error).message}`);
      }
      joins.push(...(plan.joins ?? []));
      const cols = plan.exprs.map((expr) => {
        const col = `__f${k++}`;
        (plan.stage === 2 ? stage2 : stage1).push(`(${expr})::DOUBLE AS ${col}`);
        return col;
      });
      refs.set(f.name, cols);
      outputs.push(...cols);
    }
    // Rows come back in any order with their record number, and are placed by it: cheaper than
    // sorting a million rows, when record numbers are 0..rows-1 (no record was removed).
    const dense =
      ((
        await db.connection.runAndReadAll(`SELECT coalesce(max(rowid), -1)::DOUBLE FROM ${t.table}`)
      ).getRowsJS()[0][0] as number) ===
      t.rows - 1;
    const sql =
      `WITH s1 AS (SELECT s0.*${stage1.map((e) => `, ${e}`).join("")} FROM ${ctx.view} ${joins.join(" ")}) ` +
      `SELECT ${dense ? "__row::DOUBLE" : "(row_number() OVER (ORDER BY __row) - 1)::DOUBLE"}, ${outputs.join(", ")} ` +
      `FROM (SELECT s0.*${stage2.map((e) => `, ${e}`).join("")} FROM s1 s0)`;
    const X = await readMatrix(db, sql, t.rows, outputs.length, fitted.columns, t);
    return { X, columns: fitted.columns };
  } finally {
    await db.connection.run(`DROP VIEW IF EXISTS ${view}`);
  }
}

/**
 * Streams the result of `sql` into a row-major matrix: column 0 is each row's index (0-based,
 * in record order), the others its DOUBLE features.
 */
async function readMatrix(
  db: Db,
  sql: string,
  rows: number,
  d: number,
  names: readonly string[],
  t: LoadedTable,
): Promise<Matrix> {
  const out = new Float64Array(rows * d);
  // Materialised, not streamed: DuckDB then runs the whole query on every thread, where a
  // stream would compute it chunk by chunk as Node asks.
  const result = await db.connection.run(sql);
  let offset = 0;
  let at = new Int32Array(2048);
  for (;;) {
    const chunk = await result.fetchChunk();
    if (chunk === null || chunk.rowCount === 0) break;
    const n = chunk.rowCount;
    if (n > at.length) at = new Int32Array(n);
    const index = chunk.getColumnVector(0) as DuckDBDoubleVector;
    for (let i = 0; i < n; i++) at[i] = index.getItem(i)!;
    for (let j = 0; j < d; j++) {
      const vector = chunk.getColumnVector(j + 1) as DuckDBDoubleVector;
      for (let i = 0; i < n; i++) {
        const v = vector.getItem(i);
        if (v === null || !Number.isFinite(v))
          throw new DataError(`feature value ${String(v)} is not finite`, {
            file: t.file,
            row: sourceRow(t, at[i]),
            column: names[j],
          });
        out[at[i] * d + j] = v;
      }
    }
    offset += n;
  }
  if (offset !== rows) throw new Error(`transform produced ${offset} rows for ${rows}`);
  return matrix(rows, d, out);
}

/** Fit on `t`, then transform `t`: a hunt's encoding step. */
export async function fitTransform(
  db: Db,
  t: LoadedTable,
  spec: Spec,
): Promise<Encoded & { fitted: FittedFeatures }> {
  const fitted = await fitFeatures(db, t, spec);
  return { ...(await transformFeatures(db, t, fitted)), fitted };
}

const fittedSchema = z.object({
  format: z.literal(FITTED_FORMAT),
  version: z.number(),
  features: z.array(
    z.object({
      name: z.string(),
      feature: z.record(z.string(), z.unknown()),
      state: z.unknown(),
      outputs: z.array(z.string()),
    }),
  ),
  ip2asn: ip2asnState.optional(),
  columns: z.array(z.string()),
});

/** Validates fitted features read back from a model file (after typed-array decoding). */
export function checkFitted(raw: unknown, source: string): FittedFeatures {
  const parsed = fittedSchema.safeParse(raw);
  if (!parsed.success)
    throw new ModelFormatError(
      `${source}: corrupt feature state: ${z.prettifyError(parsed.error).replace(/\n/g, "; ")}`,
    );
  const f = parsed.data;
  if (f.version !== FITTED_VERSION)
    throw new ModelFormatError(
      `${source}: feature state version ${f.version} is not supported (this anomalog reads ${FITTED_VERSION})`,
    );
  // Options were validated when fitted; validating again catches a hand-edited file.
  const spec = parseSpec(
    {
      format: SPEC_FORMAT,
      features: f.features.map((x) => x.feature),
      // The ranges travel in the state; the path only has to be there for validation.
      ...(f.ip2asn !== undefined ? { ip2asn: "(embedded)" } : {}),
    },
    "/",
    source,
  );
  const features = f.features.map((x, k): FittedFeature => {
    const encoder = ENCODERS.get(spec.features[k].encode)!;
    const state = encoder.state.safeParse(x.state);
    if (!state.success)
      throw new ModelFormatError(`${source}: corrupt state of feature "${x.name}"`);
    const outputs = encoder.outputs(x.name, spec.features[k], state.data);
    if (outputs.join("\u0000") !== x.outputs.join("\u0000"))
      throw new ModelFormatError(`${source}: feature "${x.name}" outputs do not match its state`);
    return { name: x.name, feature: spec.features[k], state: state.data, outputs };
  });
  return {
    format: FITTED_FORMAT,
    version: f.version,
    features,
    ...(f.ip2asn !== undefined ? { ip2asn: f.ip2asn } : {}),
    columns: features.flatMap((x) => x.outputs),
  };
}
