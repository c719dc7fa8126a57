/**
 * Visibility list queries over the order search attributes, and the opaque cursor that pages
 * through them. Values reach the query only after schema validation restricted them to a safe
 * character set; `literal` re-checks that, so no input can change the query's structure.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
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

/**
 * The cursor: `base64url(version ‖ tag ‖ pageToken)`, where `tag` is
 * HMAC-SHA256(API_CURSOR_SECRET, label ‖ len(query) ‖ query ‖ pageToken).
 *
 * The MAC covers the page token and the visibility query it belongs to (the query is a pure
 * function of the filters `status` and `customerId`; `pageSize` is left out, so a client may
 * change it between pages). So a cursor whose MAC verifies carries a page token Temporal itself
 * issued for exactly these filters: altering a single bit of the token, or reusing the cursor
 * with other filters, fails verification, and nothing a client makes up ever reaches Temporal.
 * The token is not encrypted: it is Temporal's (a position in the listing), not a secret.
 *
 * The key is API_CURSOR_SECRET, a secret of the server alone (see `apiSchema`); the label keeps
 * these MACs apart from any other use of the same bytes.
 */
const CURSOR_VERSION = 1;
const CURSOR_MAC_LABEL = 'order-saga/orders-list-cursor/v1';
const MAC_BYTES = 32;

function cursorMac(secret: string, query: string, pageToken: Buffer): Buffer {
  const queryBytes = Buffer.from(query, 'utf8');
  const queryLength = Buffer.alloc(4);
  queryLength.writeUInt32BE(queryBytes.length);
  return createHmac('sha256', secret)
    .update(CURSOR_MAC_LABEL)
    .update(queryLength)
    .update(queryBytes)
    .update(pageToken)
    .digest();
}

export function encodeCursor(secret: string, query: string, pageToken: Buffer): string {
  const version = Buffer.of(CURSOR_VERSION);
  return Buffer.concat([version, cursorMac(secret, query, pageToken), pageToken]).toString('base64url');
}

/**
 * The page token inside a cursor this API issued for `query`; a 400 problem (field `cursor`)
 * for anything else, before any call to Temporal. One answer for every failure (malformed, not
 * ours, altered, other filters): the MAC cannot tell them apart, and no caller needs it to.
 */
export function decodeCursor(secret: string, query: string, cursor: string): Buffer {
  // Node's base64url decoder skips characters outside the alphabet; the schema has refused them already.
  const bytes = Buffer.from(cursor, 'base64url');
  const tag = bytes.subarray(1, 1 + MAC_BYTES);
  const pageToken = bytes.subarray(1 + MAC_BYTES);
  const wellFormed = bytes.length > 1 + MAC_BYTES && bytes[0] === CURSOR_VERSION;
  if (!wellFormed || !timingSafeEqual(tag, cursorMac(secret, query, pageToken))) {
    throw new Problem(
      'invalid-request',
      'The cursor is not one this API issued for these filters; pass back `nextCursor` with the same status and customerId.',
      { errors: [{ field: 'cursor', message: 'unrecognized cursor, or one issued for other status/customerId' }] },
    );
  }
  return Buffer.from(pageToken);
}
