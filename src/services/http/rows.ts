/** Small helpers to turn database rows into JSON bodies the same way on PGlite and PostgreSQL. */
import { randomUUID } from 'node:crypto';

export function iso(value: unknown): string {
  return value instanceof Date ? value.toISOString() : String(value);
}

/** A readable, globally unique id, e.g. `rsv_3f0c…`. */
export function newId(prefix: string): string {
  return `${prefix}_${randomUUID()}`;
}
