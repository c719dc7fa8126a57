/**
 * Visibility list queries over the order search attributes, and the opaque cursor that pages
 * through them. Values reach the query only after schema validation restricted them to a safe
 * character set; `literal` re-checks that, so no input can change the query's structure.
 */
import { createHash } from 'node:crypto';
import { ORDER_WORKFLOW_TYPE } from '../workflows/definitions';
import { CustomerIdKey, OrderStatusKey } from '../workflows/definitions';
import { Problem } from './problem';
import type { ListOrdersQuery } from './schemas';

const SAFE_LITERAL = /^[A-Za-z0-9._:@-]+$/;

function literal(value: string): string {
  if (!SAFE_LITERAL.test(value)) throw new Error(`refusing an unsafe visibility query value: ${JSON.stringify(value)}`);
  return `'${value}'`;
}

export function ordersQuery(filters: Pick<ListOrdersQuery, 'status' | 'customerId'>): string {
  const clauses = [`WorkflowType = ${literal(ORDER_WORKFLOW_TYPE)}`];
  if (filters.status) clauses.push(`${OrderStatusKey.name} = ${literal(filters.status)}`);
  if (filters.customerId) clauses.push(`${CustomerIdKey.name} = ${literal(filters.customerId)}`);
  return clauses.join(' AND ');
}

/** Binds a cursor to its query, so a cursor is never replayed against different filters. */
function queryTag(query: string): string {
  return createHash('sha256').update(query).digest('base64url').slice(0, 16);
}

export function encodeCursor(query: string, pageToken: Buffer): string {
  return Buffer.from(JSON.stringify({ q: queryTag(query), t: pageToken.toString('base64') })).toString('base64url');
}

export function decodeCursor(query: string, cursor: string): Buffer {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    decoded = null;
  }
  const fields = decoded as { q?: unknown; t?: unknown } | null;
  if (typeof fields?.q !== 'string' || typeof fields.t !== 'string' || fields.t.length === 0) {
    throw new Problem('invalid-request', 'The cursor is not one this API issued.', {
      errors: [{ field: 'cursor', message: 'unrecognized cursor' }],
    });
  }
  if (fields.q !== queryTag(query)) {
    throw new Problem('invalid-request', 'The cursor belongs to a listing with different filters.', {
      errors: [{ field: 'cursor', message: 'cursor does not match status/customerId' }],
    });
  }
  return Buffer.from(fields.t, 'base64');
}
