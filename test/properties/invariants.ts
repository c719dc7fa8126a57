/**
 * The invariants every fault schedule must leave intact, as pure functions returning the
 * violations found (empty: all good), so they can be tested on hand-made bad ledgers too.
 */
import type { OrderState } from '../../src/workflows/definitions';
import { canTransition, isTerminal } from '../../src/workflows/order-status';
import { OrderStatus } from '../../src/workflows/order-status';
import type { LedgerSnapshot } from './ledger-ports';

/** Every consecutive pair of the transition log is a legal move, and the log ends where the order is. */
export function transitionViolations(state: Pick<OrderState, 'status' | 'transitions'>): string[] {
  const { transitions } = state;
  const found: string[] = [];
  if (transitions.length === 0) return ['the transition log is empty'];
  transitions.forEach((t, i) => {
    const previous = i === 0 ? null : transitions[i - 1]!.to;
    if (t.from !== previous)
      found.push(`transition ${i} starts from ${t.from ?? '(start)'} but the order was in ${previous ?? '(start)'}`);
    if (!canTransition(t.from, t.to)) found.push(`transition ${i} ${t.from ?? '(start)'} → ${t.to} is illegal`);
  });
  if (transitions.at(-1)!.to !== state.status)
    found.push(`the log ends in ${transitions.at(-1)!.to} but the order says ${state.status}`);
  return found;
}

/** A parked order is never parked unseen: it says why, and from where. */
export function parkedViolations(state: Pick<OrderState, 'status' | 'parked' | 'lastError' | 'transitions'>): string[] {
  if (state.status !== OrderStatus.NEEDS_ATTENTION) return [];
  const found: string[] = [];
  if (!state.parked) found.push('parked in NEEDS_ATTENTION without a parked record');
  else {
    if (!state.parked.reason.trim()) found.push('parked without a reason');
    const parking = state.transitions.at(-1);
    if (parking?.to === OrderStatus.NEEDS_ATTENTION && parking.from !== state.parked.from)
      found.push(`parked.from ${state.parked.from} differs from the status it parked from (${parking.from})`);
  }
  if (!state.lastError) found.push('parked in NEEDS_ATTENTION with no lastError to explain it');
  return found;
}

const countBy = <T>(rows: T[], key: (row: T) => string): Map<string, number> => {
  const counts = new Map<string, number>();
  for (const row of rows) counts.set(key(row), (counts.get(key(row)) ?? 0) + 1);
  return counts;
};

function twice<T>(what: string, rows: T[], key: (row: T) => string): string[] {
  return [...countBy(rows, key)].filter(([, n]) => n > 1).map(([k, n]) => `${what} ${k} applied ${n} times`);
}

/**
 * The ledgers of one settled (terminal) order: nothing applied twice, money only kept for
 * goods shipped, stock either shipped or given back, and the outcome the order reports
 * matching what the downstreams hold.
 */
export function ledgerViolations(
  order: { orderId: string; status: OrderStatus; total: number },
  ledger: LedgerSnapshot,
): string[] {
  const mine = <T extends { orderId: string }>(rows: T[]) => rows.filter((r) => r.orderId === order.orderId);
  const reservations = mine(ledger.reservations).filter((r) => r.status !== 'voided');
  const charges = mine(ledger.charges).filter((c) => c.status === 'captured' || c.status === 'refunded');
  const refunds = mine(ledger.refunds);
  // Voided shipments were cancelled before pickup (or are markers of keys voided before any dispatch).
  const shipments = mine(ledger.shipments).filter((s) => s.status !== 'voided');
  const found: string[] = [
    ...twice('reservation key', reservations, (r) => r.key),
    ...twice('capture key', charges, (c) => c.key),
    ...twice('refund of capture', refunds, (r) => r.captureKey),
    ...twice('dispatch key', shipments, (s) => `${s.carrier}:${s.key}`),
  ];
  if (reservations.length > 1) found.push(`stock reserved ${reservations.length} times for one order`);
  if (charges.length > 1) found.push(`charged ${charges.length} times for one order`);
  if (shipments.length > 1)
    found.push(`shipped ${shipments.length} times for one order (${shipments.map((s) => s.carrier).join(', ')})`);

  const kept = charges.filter((c) => c.status === 'captured').reduce((sum, c) => sum + c.amount, 0);
  if (kept > 0 && shipments.length === 0) found.push(`charged ${kept} without a shipment or a refund`);
  for (const r of refunds) {
    const charge = charges.find((c) => c.key === r.captureKey);
    if (!charge || charge.status !== 'refunded' || charge.amount !== r.amount)
      found.push(`refund ${r.refundId} does not match a refunded capture of the same amount`);
  }

  if (!isTerminal(order.status)) return [...found, `ledgers audited while the order is still ${order.status}`];
  for (const r of reservations.filter((r) => r.status === 'reserved'))
    found.push(`reservation ${r.reservationId} leaked: neither committed nor released after ${order.status}`);
  if (reservations.some((r) => r.status === 'committed') && shipments.length === 0)
    found.push('stock committed but nothing shipped');
  if (order.status === OrderStatus.COMPLETED) {
    if (shipments.length === 0) found.push('COMPLETED without a shipment');
    if (kept !== order.total) found.push(`COMPLETED but ${kept} kept of a total of ${order.total}`);
    if (!reservations.some((r) => r.status === 'committed')) found.push('COMPLETED without committed stock');
  } else {
    if (kept > 0) found.push(`${order.status} but ${kept} is still charged`);
    if (shipments.length > 0)
      found.push(`${order.status} but goods were shipped (${shipments.map((s) => s.shipmentId).join(', ')})`);
  }

  // Conservation: what left the warehouse is exactly what was committed.
  for (const [sku, initial] of Object.entries(ledger.initialStock)) {
    const committed = reservations
      .filter((r) => r.status === 'committed')
      .flatMap((r) => r.items.filter((i) => i.sku === sku))
      .reduce((sum, i) => sum + i.quantity, 0);
    if ((ledger.stock[sku] ?? 0) !== initial - committed)
      found.push(
        `stock of ${sku} is ${ledger.stock[sku]} but ${initial} - ${committed} committed = ${initial - committed}`,
      );
  }
  return found;
}
