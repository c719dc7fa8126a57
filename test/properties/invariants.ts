/**
 * The invariants every fault schedule must leave intact, as pure functions returning the
 * violations found (empty: all good), so they can be tested on hand-made bad ledgers too.
 */
import type { OrderState } from '../../src/workflows/definitions';
import { canTransition, isTerminal } from '../../src/workflows/order-status';
import { OrderStatus } from '../../src/workflows/order-status';
import { ledgerViolations as sharedLedgerViolations, type OrderLedger } from '../../src/services/ledger-invariant';
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

/** One order's rows of a run's ledgers, in the shape of the shared invariant. */
export function orderLedger(orderId: string, ledger: LedgerSnapshot): OrderLedger {
  const mine = <T extends { orderId: string }>(rows: T[]) => rows.filter((r) => r.orderId === orderId);
  return {
    charges: mine(ledger.charges).map(({ key, status, amount }) => ({ key, status, amount })),
    refunds: mine(ledger.refunds).map(({ captureKey, amount }) => ({ captureKey, amount })),
    reservations: mine(ledger.reservations).map(({ key, status }) => ({ key, status })),
    shipments: mine(ledger.shipments).map(({ carrier, key, status }) => ({
      carrier,
      key,
      status: status ?? 'dispatched',
    })),
  };
}

/**
 * The ledgers of one order after its run: the shared invariant (`src/services/ledger-invariant.ts`:
 * COMPLETED ⇔ one live shipment, the total kept, the stock committed; any other end ⇒ nothing
 * kept, shipped or reserved; nothing applied twice), and stock conservation: what left the
 * warehouse is exactly what was committed.
 */
export function ledgerViolations(
  order: { orderId: string; status: OrderStatus; total: number },
  ledger: LedgerSnapshot,
): string[] {
  const found = sharedLedgerViolations(order, orderLedger(order.orderId, ledger));
  if (!isTerminal(order.status)) found.push(`ledgers audited while the order is still ${order.status}`);
  const committed = ledger.reservations.filter((r) => r.orderId === order.orderId && r.status === 'committed');
  for (const [sku, initial] of Object.entries(ledger.initialStock)) {
    const shipped = committed
      .flatMap((r) => r.items.filter((i) => i.sku === sku))
      .reduce((sum, i) => sum + i.quantity, 0);
    if ((ledger.stock[sku] ?? 0) !== initial - shipped)
      found.push(
        `stock of ${sku} is ${ledger.stock[sku]} but ${initial} - ${shipped} committed = ${initial - shipped}`,
      );
  }
  return found;
}
