/**
 * The audit at the end of a chaos run: the services' ledgers (read over their audit listings,
 * which are never faulted) against every order the API accepted. Each figure must be 0.
 */
import type { OrderState } from '../../src/workflows/definitions';
import { isTerminal } from '../../src/workflows/order-status';
import { OrderStatus } from '../../src/workflows/order-status';
import { serviceUrl, type Layout } from './stack';

interface Charge {
  orderId: string;
  captureKey: string;
  status: 'captured' | 'refunded' | 'declined' | 'voided';
  amount: number;
}
interface Refund {
  orderId: string;
  captureKey: string;
}
interface Reservation {
  orderId: string;
  reservationKey: string;
  status: 'reserved' | 'released' | 'committed' | 'voided';
}
interface Shipment {
  orderId: string;
  carrier: string;
  status: 'dispatched' | 'voided';
}

export interface Ledgers {
  charges: Charge[];
  refunds: Refund[];
  reservations: Reservation[];
  shipments: Shipment[];
}

async function list<T>(url: string, field: string): Promise<T[]> {
  const res = await fetch(url, { signal: AbortSignal.timeout(30_000) });
  if (!res.ok) throw new Error(`${url} answered ${res.status}`);
  return ((await res.json()) as Record<string, T[]>)[field] ?? [];
}

export async function readLedgers(l: Layout): Promise<Ledgers> {
  const [charges, refunds, reservations, primary, backup] = await Promise.all([
    list<Charge>(`${serviceUrl(l, 'payments')}/charges`, 'charges'),
    list<Refund>(`${serviceUrl(l, 'payments')}/refunds`, 'refunds'),
    list<Reservation>(`${serviceUrl(l, 'inventory')}/reservations`, 'reservations'),
    list<Shipment>(`${serviceUrl(l, 'primaryCarrier')}/shipments`, 'shipments'),
    list<Shipment>(`${serviceUrl(l, 'backupCarrier')}/shipments`, 'shipments'),
  ]);
  // A voided shipment was cancelled before pickup (or marks a key voided before any dispatch).
  const live = (s: Shipment) => s.status !== 'voided';
  return { charges, refunds, reservations, shipments: [...primary, ...backup].filter(live) };
}

/** What the run knows of one accepted order at the end: its state, or that the API has no such order. */
export type FinalView = OrderState | 'missing' | 'unreadable';

export interface Figures {
  /** Accepted by the API, but no order (workflow) behind the id. */
  lost: string[];
  /** More than one capture that took money for one order. */
  doubleCharges: string[];
  /** More than one shipment for one order (both carriers counted). */
  doubleShipments: string[];
  /** A finished order that still holds money without having shipped. */
  chargedWithoutShipment: string[];
  /** A finished order whose stock is still reserved: neither committed (shipped) nor released. */
  leakedReservations: string[];
  /** Neither finished, nor parked for an operator, nor waiting for an approval, after the settle deadline. */
  stuck: string[];
}

export const FIGURE_LABELS: Record<keyof Figures, string> = {
  lost: 'orders lost',
  doubleCharges: 'double charges',
  doubleShipments: 'double shipments',
  chargedWithoutShipment: 'charged without shipment or refund',
  leakedReservations: 'leaked reservations',
  stuck: 'stuck orders',
};

/** Not stuck: finished, or visibly waiting for a person (an operator, an approver). */
export function isSettled(state: OrderState): boolean {
  return (
    isTerminal(state.status) ||
    state.status === OrderStatus.NEEDS_ATTENTION ||
    state.status === OrderStatus.AWAITING_APPROVAL
  );
}

export function audit(orders: Map<string, FinalView>, ledgers: Ledgers): Figures {
  const byOrder = <T extends { orderId: string }>(rows: T[]) => {
    const map = new Map<string, T[]>();
    for (const row of rows) map.set(row.orderId, [...(map.get(row.orderId) ?? []), row]);
    return map;
  };
  const charges = byOrder(ledgers.charges.filter((c) => c.status === 'captured' || c.status === 'refunded'));
  const reservations = byOrder(ledgers.reservations);
  const shipments = byOrder(ledgers.shipments);
  const figures: Figures = {
    lost: [],
    doubleCharges: [],
    doubleShipments: [],
    chargedWithoutShipment: [],
    leakedReservations: [],
    stuck: [],
  };

  for (const [orderId, view] of orders) {
    if (view === 'missing') {
      figures.lost.push(orderId);
      continue;
    }
    const taken = charges.get(orderId) ?? [];
    const shipped = shipments.get(orderId) ?? [];
    if (taken.length > 1) figures.doubleCharges.push(`${orderId} (${taken.length} captures)`);
    if (shipped.length > 1) figures.doubleShipments.push(`${orderId} (${shipped.map((s) => s.carrier).join(', ')})`);
    if (view === 'unreadable' || !isSettled(view)) {
      figures.stuck.push(
        `${orderId} (${view === 'unreadable' ? 'unreadable' : `${view.status}, step ${view.currentStep ?? '-'}`})`,
      );
      continue;
    }
    if (!isTerminal(view.status)) continue; // parked or awaiting approval: visible, and allowed to hold what it holds
    if (taken.some((c) => c.status === 'captured') && shipped.length === 0)
      figures.chargedWithoutShipment.push(`${orderId} (${view.status})`);
    const open = (reservations.get(orderId) ?? []).filter((r) => r.status === 'reserved');
    if (open.length > 0) figures.leakedReservations.push(`${orderId} (${view.status}, ${open.length} open)`);
  }
  return figures;
}

export function totalOf(figures: Figures): number {
  return (Object.values(figures) as string[][]).reduce((sum, list) => sum + list.length, 0);
}
