/**
 * The saga's promise, stated over what the downstream ledgers hold for one order:
 *
 *   COMPLETED  ⇔  exactly one live shipment, net capture = the order's total, its stock committed;
 *   any other end (REJECTED, CANCELLED, TRANSACTION_REVOKED)  ⇒  nothing kept, nothing shipped,
 *   nothing reserved.
 *
 * And at any time, ended or not: no effect applied twice under one key, and every refund
 * matches the capture it undid. An order still running or parked for an operator may hold what
 * it holds; only the "applied twice" rules apply to it. Pure, so the chaos audit, the property
 * tests and the saga tests all check the same sentence.
 */

export interface LedgerCharge {
  key: string;
  status: 'captured' | 'refunded' | 'declined' | 'voided';
  amount: number;
}
export interface LedgerRefund {
  captureKey: string;
  amount: number;
}
export interface LedgerReservation {
  key: string;
  status: 'reserved' | 'released' | 'committed' | 'voided';
}
export interface LedgerShipment {
  carrier: string;
  key: string;
  /** `voided`: cancelled before pickup, or a marker for a key voided before any dispatch arrived. */
  status: 'dispatched' | 'voided';
}

/** Every ledger row of one order, across the downstreams. */
export interface OrderLedger {
  charges: LedgerCharge[];
  refunds: LedgerRefund[];
  reservations: LedgerReservation[];
  shipments: LedgerShipment[];
}

export const ENDED_STATUSES = ['COMPLETED', 'REJECTED', 'CANCELLED', 'TRANSACTION_REVOKED'] as const;

/** Which part of the promise a finding breaks. */
export type LedgerRule =
  | 'doubleCharge'
  | 'doubleReservation'
  | 'doubleShipment'
  | 'refundMismatch'
  | 'completedOutOfBalance'
  | 'chargedOnFailedOrder'
  | 'shippedOnFailedOrder'
  | 'stockOnFailedOrder';

export interface LedgerFinding {
  rule: LedgerRule;
  message: string;
}

function applied(rule: LedgerRule, what: string, keys: string[]): LedgerFinding[] {
  const counts = new Map<string, number>();
  for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
  return [...counts]
    .filter(([, n]) => n > 1)
    .map(([key, n]) => ({ rule, message: `${what} ${key} applied ${n} times` }));
}

/** What breaks the invariant for one order, by rule (empty: the ledgers keep the promise). */
export function ledgerFindings(order: { status: string; total: number }, ledger: OrderLedger): LedgerFinding[] {
  const charges = ledger.charges.filter((c) => c.status === 'captured' || c.status === 'refunded');
  const reservations = ledger.reservations.filter((r) => r.status !== 'voided');
  const live = ledger.shipments.filter((s) => s.status === 'dispatched');
  const kept = charges.filter((c) => c.status === 'captured').reduce((sum, c) => sum + c.amount, 0);
  const held = reservations.filter((r) => r.status === 'reserved');
  const committed = reservations.filter((r) => r.status === 'committed');
  const carriers = live.map((s) => s.carrier).join(', ');

  const found: LedgerFinding[] = [
    ...applied(
      'doubleCharge',
      'capture key',
      charges.map((c) => c.key),
    ),
    ...applied(
      'refundMismatch',
      'refund of capture',
      ledger.refunds.map((r) => r.captureKey),
    ),
    ...applied(
      'doubleReservation',
      'reservation key',
      reservations.map((r) => r.key),
    ),
    ...applied(
      'doubleShipment',
      'dispatch key',
      live.map((s) => `${s.carrier}:${s.key}`),
    ),
  ];
  const add = (rule: LedgerRule, message: string) => found.push({ rule, message });
  if (charges.length > 1) add('doubleCharge', `charged ${charges.length} times for one order`);
  if (reservations.length > 1) add('doubleReservation', `stock reserved ${reservations.length} times for one order`);
  if (live.length > 1) add('doubleShipment', `shipped ${live.length} times for one order (${carriers})`);
  for (const refund of ledger.refunds) {
    const charge = charges.find((c) => c.key === refund.captureKey);
    if (!charge || charge.status !== 'refunded' || charge.amount !== refund.amount)
      add(
        'refundMismatch',
        `a refund of ${refund.amount} under ${refund.captureKey} matches no refunded capture of that amount`,
      );
  }

  if (!(ENDED_STATUSES as readonly string[]).includes(order.status)) return found;
  if (order.status === 'COMPLETED') {
    if (live.length !== 1)
      add('completedOutOfBalance', `COMPLETED with ${live.length} live shipments, not exactly one`);
    if (kept !== order.total) add('completedOutOfBalance', `COMPLETED but ${kept} kept of a total of ${order.total}`);
    if (committed.length !== 1 || held.length > 0)
      add('completedOutOfBalance', 'COMPLETED without its stock committed');
    return found;
  }
  if (kept > 0) add('chargedOnFailedOrder', `${order.status} but ${kept} is still charged`);
  if (live.length > 0) add('shippedOnFailedOrder', `${order.status} but goods were shipped (${carriers})`);
  if (held.length > 0) add('stockOnFailedOrder', `${order.status} but its stock is still reserved`);
  if (committed.length > 0) add('stockOnFailedOrder', `${order.status} but its stock was committed`);
  return found;
}

/** The same findings, as sentences. */
export function ledgerViolations(order: { status: string; total: number }, ledger: OrderLedger): string[] {
  return ledgerFindings(order, ledger).map((f) => f.message);
}
