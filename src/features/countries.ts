/**
 * Country proximity ranks, the network-flows notebook's method (Antunes 2023): from the
 * countries table (name, alpha-2 code, mean latitude and longitude), the home country is rank
 * 0; then, repeatedly, the country with the smallest sum of geodesic distances to all countries
 * ranked so far gets the next rank (ties: the earlier row in the table). A country's distance to
 * itself counts as the largest distance in the table, as the notebook fills the diagonal.
 */
import { readFile } from "node:fs/promises";
import { DataError } from "../core/errors.js";
import { geodesicKm } from "./geodesic.js";

export interface Country {
  readonly name: string;
  readonly code: string;
  readonly lat: number;
  readonly lon: number;
}

/** The countries table (`countries_codes_and_coordinates.csv`: quoted, space after commas). */
export async function readCountries(path: string): Promise<Country[]> {
  const text = await readFile(path, "utf8");
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== "");
  const header = fields(lines[0]);
  const col = (pattern: RegExp): number => {
    const k = header.findIndex((h) => pattern.test(h));
    if (k < 0)
      throw new DataError(
        `countries table has no column like ${pattern} (has ${header.join(", ")})`,
        {
          file: path,
        },
      );
    return k;
  };
  const [name, code, lat, lon] = [
    col(/^country$/i),
    col(/alpha-2|code2/i),
    col(/^lat/i),
    col(/^lon/i),
  ];
  return lines.slice(1).map((line, i) => {
    const f = fields(line);
    const row: Country = {
      name: f[name],
      code: f[code],
      lat: Number(f[lat]),
      lon: Number(f[lon]),
    };
    if (!Number.isFinite(row.lat) || !Number.isFinite(row.lon))
      throw new DataError(`latitude/longitude "${f[lat]}", "${f[lon]}" are not numbers`, {
        file: path,
        row: i + 1,
      });
    return row;
  });
}

/** Fields of one line: double-quoted (commas inside quotes) or bare, spaces around trimmed. */
function fields(line: string): string[] {
  const out: string[] = [];
  const field = /\s*(?:"((?:[^"]|"")*)"|([^,]*?))\s*(?:,|$)/y;
  while (field.lastIndex < line.length) {
    const m = field.exec(line);
    if (m === null) break;
    out.push((m[1] !== undefined ? m[1].replace(/""/g, '"') : m[2]).trim());
  }
  return out;
}

/** Rank of each row of `countries` (0 = home), by the notebook's greedy proximity order. */
export function proximityRanks(countries: readonly Country[], home: string): Int32Array {
  const n = countries.length;
  const homeIndex = countries.findIndex((c) => c.code === home);
  if (homeIndex < 0) throw new DataError(`home country "${home}" is not in the countries table`);
  const dist = new Float64Array(n * n);
  let largest = 0;
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) {
      const d = geodesicKm(countries[i].lat, countries[i].lon, countries[j].lat, countries[j].lon);
      dist[i * n + j] = d;
      dist[j * n + i] = d;
      if (d > largest) largest = d;
    }
  for (let i = 0; i < n; i++) dist[i * n + i] = largest;
  const rank = new Int32Array(n).fill(-1);
  const sums = new Float64Array(n);
  let current = homeIndex;
  for (let r = 0; r < n; r++) {
    rank[current] = r;
    for (let j = 0; j < n; j++) sums[j] += dist[current * n + j];
    let best = -1;
    for (let j = 0; j < n; j++) if (rank[j] < 0 && (best < 0 || sums[j] < sums[best])) best = j;
    if (best < 0) break;
    current = best;
  }
  return rank;
}
