/**
 * The one seam between the reference services and their database: parameterised queries and
 * transactions. Two implementations run the same SQL: embedded PGlite (WASM Postgres, the
 * default: no server, no native build) and PostgreSQL through `pg` when DATABASE_URL is set.
 */
import { openPglite } from './pglite';
import { openPostgres } from './postgres';

export type Row = Record<string, unknown>;

export interface Queryable {
  /** Runs one statement with `$1..$n` parameters and returns its rows. */
  query<R extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface Database extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /** Commits when `work` resolves, rolls back when it throws. READ COMMITTED isolation. */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export type DatabaseLocation =
  /** Embedded, thrown away on close: tests. */
  | { kind: 'memory' }
  /** Embedded, persisted in a folder. */
  | { kind: 'directory'; path: string }
  /** A PostgreSQL server; `schema` (created if missing) isolates one user of a shared server, e.g. a test file. */
  | { kind: 'postgres'; url: string; schema?: string };

export function openDatabase(location: DatabaseLocation): Promise<Database> {
  if (location.kind === 'postgres') return openPostgres(location.url, location.schema);
  return openPglite(location.kind === 'directory' ? location.path : undefined);
}
