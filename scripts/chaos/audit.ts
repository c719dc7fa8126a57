/**
 * The audit at the end of a chaos run: the services' ledgers (read over their audit listings,
 * never faulted, with the run's admin token) against every order the API accepted, checked with
 * the saga's one invariant (`src/services/ledger-invariant.ts`, shared with the property and
 * saga tests).
 * Every finding lands in the figure of its rule; each figure must be 0.
 */
import {
  ledgerFindings,
  type LedgerCharge,
  type LedgerRule,
  type LedgerReservation,
  type LedgerShipment,
  type OrderLedger,
} from '../../src/services/ledger-invariant';
import type { OrderState } from '../../src/workflows/definitions';
import { isTerminal, OrderStatus } from '../../src/workflows/order-status';
import { adminAuth, serviceUrl, type Service, type Stack } from './stack';

/** The rows of the services' listings, as they come (only the fields the audit reads). */
interface ChargeRow {
  orderId: string;
  captureKey: string;
  status: LedgerCharge['status'];
  amount: number;
}
interface RefundRow {
  orderId: string;
  captureKey: string;
  amount: number;
}
interface ReservationRow {
  orderId: string;
  reservationKey: string;
  status: LedgerReservation['status'];
}
interface ShipmentRow {
  orderId: string;
  carrier: string;
  dispatchKey: string;
  status: LedgerShipment['status'];
}

/** Every row of every ledger, all orders: `GET /charges`, `/refunds`, `/reservations`, both carriers' `/shipments`. */
export interface Ledgers {
  charges: ChargeRow[];
  refunds: RefundRow[];
  reservations: ReservationRow[];
  /** Both carriers, voided rows included: the invariant tells a cancelled shipment from a live one. */
  shipments: ShipmentRow[];
}

async function list<T>(stack: Stack, service: Service, path: string, field: string): Promise<T[]> {
  const url = `${serviceUrl(stack.layout, service)}${path}`;
  const res = await fetch(url, { headers: adminAuth(stack), signal: AbortSignal.timeout(30_000) });
  if (!res.ok) throw new Error(`${url} answered ${res.status}`);
  return ((await res.json()) as Record<string, T[]>)[field] ?? [];
}

export async function readLedgers(stack: Stack): Promise<Ledgers> {
  const [charges, refunds, reservations, primary, backup] = await Promise.all([
    list<ChargeRow>(stack, 'payments', '/charges', 'charges'),
    list<RefundRow>(stack, 'payments', '/refunds', 'refunds'),
    list<ReservationRow>(stack, 'inventory', '/reservations', 'reservations'),
    list<ShipmentRow>(stack, 'primaryCarrier', '/shipments', 'shipments'),
    list<ShipmentRow>(stack, 'backupCarrier', '/shipments', 'shipments'),
  ]);
  return { charges, refunds, reservations, shipments: [...primary, ...backup] };
}

/** The ledgers cut per order, in the invariant's shape. */
export function ledgersByOrder(ledgers: Ledgers): Map<string, OrderLedger> {
  const byOrder = new Map<string, OrderLedger>();
  const of = (orderId: string) => {
    let ledger = byOrder.get(orderId);
    if (!ledger) byOrder.set(orderId, (ledger = { charges: [], refunds: [], reservations: [], shipments: [] }));
    return ledger;
  };
  for (const c of ledgers.charges)
    of(c.orderId).charges.push({ key: c.captureKey, status: c.status, amount: c.amount });
  for (const r of ledgers.refunds) of(r.orderId).refunds.push({ captureKey: r.captureKey, amount: r.amount });
  for (const r of ledgers.reservations) of(r.orderId).reservations.push({ key: r.reservationKey, status: r.status });
  for (const s of ledgers.shipments)
    of(s.orderId).shipments.push({ carrier: s.carrier, key: s.dispatchKey, status: s.status });
  return byOrder;
}

/** What the run knows of one accepted order at the end: its state, or that the API has no such order. */
export type FinalView = OrderState | 'missing' | 'unreadable';

/** Each figure lists its findings, `<orderId> (<status>: <what>)`; all must be empty. */
export interface Figures {
  /** Accepted by the API, but no order (workflow) behind the id. */
  lost: string[];
  /** A capture applied twice under one key, or more than one capture that took money for one order. */
  doubleCharges: string[];
  /** Stock reserved twice under one key, or more than one reservation for one order. */
  doubleReservations: string[];
  /** A dispatch applied twice under one key, or more than one live shipment for one order (both carriers). */
  doubleShipments: string[];
  /** A refund applied twice, or one that matches no refunded capture of its amount. */
  refundMismatches: string[];
  /** Ended without completing (rejected, cancelled, revoked) and money still captured. */
  chargedOnFailedOrder: string[];
  /** Ended without completing and a shipment still live. */
  shippedOnFailedOrder: string[];
  /** Ended without completing and its stock still reserved, or committed. */
  stockOnFailedOrder: string[];
  /** COMPLETED without exactly one live shipment, without its total captured, or without its stock committed. */
  completedOutOfBalance: string[];
  /** Neither finished, nor parked for an operator, nor waiting for an approval, after the settle deadline. */
  stuck: string[];
}

export const FIGURE_LABELS: Record<keyof Figures, string> = {
  lost: 'orders lost',
  doubleCharges: 'double charges',
  doubleReservations: 'double reservations',
  doubleShipments: 'double shipments',
  refundMismatches: 'refunds twice or unmatched',
  chargedOnFailedOrder: 'money kept, order not completed',
  shippedOnFailedOrder: 'goods shipped, order not completed',
  stockOnFailedOrder: 'stock kept, order not completed',
  completedOutOfBalance: 'completed out of balance',
  stuck: 'stuck orders',
};

/** The figure each rule of the invariant counts in. */
export const FIGURE_OF_RULE: Record<LedgerRule, Exclude<keyof Figures, 'lost' | 'stuck'>> = {
  doubleCharge: 'doubleCharges',
  doubleReservation: 'doubleReservations',
  doubleShipment: 'doubleShipments',
  refundMismatch: 'refundMismatches',
  completedOutOfBalance: 'completedOutOfBalance',
  chargedOnFailedOrder: 'chargedOnFailedOrder',
  shippedOnFailedOrder: 'shippedOnFailedOrder',
  stockOnFailedOrder: 'stockOnFailedOrder',
};

/** Not stuck: finished, or visibly waiting for a person (an operator, an approver). */
export function isSettled(state: OrderState): boolean {
  return (
    isTerminal(state.status) ||
    state.status === OrderStatus.NEEDS_ATTENTION ||
    state.status === OrderStatus.AWAITING_APPROVAL
  );
}

export function emptyFigures(): Figures {
  return Object.fromEntries(Object.keys(FIGURE_LABELS).map((k) => [k, []])) as unknown as Figures;
}

const NO_ROWS: OrderLedger = { charges: [], refunds: [], reservations: [], shipments: [] };

export function audit(orders: Map<string, FinalView>, ledgers: Ledgers): Figures {
  const byOrder = ledgersByOrder(ledgers);
  const figures = emptyFigures();

  for (const [orderId, view] of orders) {
    if (view === 'missing') figures.lost.push(orderId);
    else if (view === 'unreadable' || !isSettled(view))
      figures.stuck.push(
        `${orderId} (${view === 'unreadable' ? 'unreadable' : `${view.status}, step ${view.currentStep ?? '-'}`})`,
      );
    // An order whose state is unknown is held to the rules that hold at any time ("applied
    // twice"); so is one still running, parked or awaiting approval (the invariant knows which).
    const status = typeof view === 'string' ? view : view.status;
    const total = typeof view === 'string' ? 0 : view.order.total;
    for (const { rule, message } of ledgerFindings({ status, total }, byOrder.get(orderId) ?? NO_ROWS))
      figures[FIGURE_OF_RULE[rule]].push(`${orderId} (${status}: ${message})`);
  }
  return figures;
}

export function totalOf(figures: Figures): number {
  return (Object.values(figures) as string[][]).reduce((sum, list) => sum + list.length, 0);
}
