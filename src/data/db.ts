/**
 * The embedded data engine: one in-memory DuckDB per job, and SQL quoting helpers.
 */
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";

export interface Db {
  readonly connection: DuckDBConnection;
  close(): void;
}

export async function openDb(path = ":memory:"): Promise<Db> {
  const instance = await DuckDBInstance.create(path);
  const connection = await instance.connect();
  return {
    connection,
    close() {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

/** Runs `body` with a fresh in-memory database, closing it afterwards. */
export async function withDb<T>(body: (db: Db) => Promise<T>): Promise<T> {
  const db = await openDb();
  try {
    return await body(db);
  } finally {
    db.close();
  }
}

/** A SQL identifier in double quotes (any column name, dots and spaces included). */
export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A SQL string literal. */
export function literal(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}
